/** Helpers of the cache tests: workspaces with their own cache directory, the CLI in process, output trees. */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main, type Io } from '../../generator/cli.js';

const temps: string[] = [];
const cacheDirs = new Map<string, string>();

/** A temporary copy of the catalog's directory as `catalog/`; its cache in `<ws>/.cache` unless `cacheDir: false`. */
export function workspace(catalog: string, options: { cacheDir?: boolean } = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'eventgen-cache-'));
  temps.push(dir);
  cpSync(path.dirname(catalog), path.join(dir, 'catalog'), { recursive: true });
  if (options.cacheDir !== false) cacheDirs.set(dir, path.join(dir, '.cache'));
  return dir;
}

export function cleanup(): void {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
}

export interface Run {
  code: number;
  out: string;
  err: string;
}

/** `gen ...` in process, in `cwd`, with the workspace's cache directory. */
export async function gen(cwd: string, ...argv: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), cwd, color: false };
  const saved = process.env.EVENTGEN_CACHE_DIR;
  const dir = cacheDirs.get(cwd);
  if (dir) process.env.EVENTGEN_CACHE_DIR = dir;
  try {
    const code = await main(argv, io);
    return { code, out, err };
  } finally {
    if (dir) {
      if (saved === undefined) delete process.env.EVENTGEN_CACHE_DIR;
      else process.env.EVENTGEN_CACHE_DIR = saved;
    }
  }
}

/** What a user sees, without the cache's trace lines and timings. */
export function stripCacheTrace(r: Run): Run {
  const clean = (s: string): string =>
    s
      .split('\n')
      .filter((l) => !l.startsWith('eventgen-cache:'))
      .join('\n')
      .replace(/\(\d+ ms\)/g, '(N ms)')
      .replace(/, \d+ ms\)/g, ', N ms)');
  return { code: r.code, out: clean(r.out), err: clean(r.err) };
}

/** Every file under `dir` (the cache directory excluded) with its content. */
export function outputTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === '.eventgen-cache') continue;
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out[path.relative(dir, full).split(path.sep).join('/')] = readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return out;
}
