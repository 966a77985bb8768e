/** Small helpers shared by the benchmark sections: medians, formatting, child processes, the machine. */
import { spawn } from 'node:child_process';
import { cpus, freemem, loadavg, totalmem } from 'node:os';

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Median of the per-repetition ratios a[i] / b[i] (each pair measured back to back, so load affects both alike). */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  return median(a.map((x, i) => x / (b[i] ?? Number.NaN)));
}

export const ms = (x: number): string => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : 'n/a');
export const ratio = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a');
export const mb = (bytes: number): string => (Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(0)} MB` : 'n/a');
export const rate = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
export const verdict = (ok: boolean | undefined): string => (ok === undefined ? '–' : ok ? 'met' : '**missed**');

export interface MachineInfo {
  nproc: number;
  cpu: string;
  memoryGb: number;
  freeGb: number;
  node: string;
  load: string;
  platform: string;
}

export function machine(): MachineInfo {
  return {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGb: totalmem() / 1024 ** 3,
    freeGb: freemem() / 1024 ** 3,
    node: process.version,
    load: loadavg().map((l) => l.toFixed(2)).join(' '),
    platform: `${process.platform} ${process.arch}`,
  };
}

export interface ChildResult {
  code: number | null;
  wallMs: number;
  stdout: string;
  stderr: string;
  /** Peak resident set size in bytes (from GNU time when available, else the child's own report). */
  maxRssBytes: number;
}

const GNU_TIME = '/usr/bin/time';

/**
 * Runs a command to completion (bounded by `timeoutMs`) and measures wall time and peak RSS. With GNU time the
 * peak RSS comes from `wait4` (the whole process, from exec to exit); the time itself is ours.
 */
export async function runChild(
  command: string,
  args: readonly string[],
  options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; gnuTime?: boolean } = {},
): Promise<ChildResult> {
  const useTime = options.gnuTime !== false && (await hasGnuTime());
  const argv = useTime ? ['-f', '@@maxrss_kb=%M', command, ...args] : [...args];
  const exe = useTime ? GNU_TIME : command;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(exe, argv, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      const m = /@@maxrss_kb=(\d+)/.exec(stderr);
      const own = /"maxRssBytes":(\d+)/.exec(stdout);
      resolve({
        code,
        wallMs,
        stdout,
        stderr: stderr.replace(/@@maxrss_kb=\d+\n?/, ''),
        maxRssBytes: m ? Number(m[1]) * 1024 : own ? Number(own[1]) : Number.NaN,
      });
    });
  });
}

let gnuTime: Promise<boolean> | undefined;
function hasGnuTime(): Promise<boolean> {
  gnuTime ??= new Promise((resolve) => {
    const child = spawn(GNU_TIME, ['-f', '%M', 'true'], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
  return gnuTime;
}

/** Last line of a child's stdout that is a JSON object. */
export function lastJson<T>(stdout: string): T {
  const line = stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  if (line === undefined) throw new Error(`no JSON result in child output:\n${stdout.slice(-2000)}`);
  return JSON.parse(line) as T;
}

/** Logs progress to stderr (stdout of children carries results). */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
