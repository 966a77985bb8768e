/**
 * Live fan-out benchmark (issue 14, Speed): ~1 KB events fanned out to N local WebSocket clients (loopback), by
 * two servers, each a child process (test/bench/live-server.ts), loaded by one client process
 * (test/bench/live-clients.ts, N `ws` clients):
 * - `baseline`: a minimal `ws` broadcast (one `JSON.stringify` per event, `send` to every open client);
 * - `live`: the generated gateway's server (`createLiveServer`, templates/live): subscriptions, classification,
 *   bounded per-connection queues, metrics.
 * Publishing is paced by a window of events in flight (the lowest sequence number every client has received, relayed
 * every 20 ms), so neither server queues without bound and the rate is what the whole loop sustains. Measured after a
 * warm-up: frames delivered per second (all clients) and the end-to-end latency publish → client on every 10th client.
 * Repetitions interleave the modes (order rotated); the ratio is the median of per-repetition ratios.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { median, pairedRatio, progress } from './stats.js';

export const LIVE_MODES = ['baseline', 'live'] as const;
export type LiveMode = (typeof LIVE_MODES)[number];
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const TSX_IMPORT = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs')).href;

export interface LiveRun {
  mode: LiveMode;
  clients: number;
  seconds: number;
  /** Frames received by all clients during the measured window. */
  frames: number;
  framesPerSecond: number;
  /** Events published per second (each fanned out to every client). */
  eventsPerSecond: number;
  /** The client that received the fewest frames (a straggler shows here). */
  minFramesPerClient: number;
  p50: number;
  p99: number;
  max: number;
  /** Server CPU per delivered frame (µs) and RSS after the run. */
  serverCpuUsPerFrame: number;
  serverRss: number;
}

export interface LiveResult {
  clients: number;
  window: number;
  seconds: number;
  repetitions: number;
  runs: LiveRun[];
  medians: Record<LiveMode, { framesPerSecond: number; p50: number; p99: number; serverCpuUsPerFrame: number }>;
  ratios: { liveVsBaseline: number; perRep: number[] };
}

type Msg = Record<string, unknown>;
function waitFor<T>(child: ChildProcess, key: string, timeoutMs = 120_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`live bench: no "${key}" from child within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: Msg): void => {
      if (key in m) {
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(m[key] as T);
      }
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`live bench: child exited ${code} before "${key}"`)));
  });
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
// LIVE_BENCH_PROFILE=<dir>: the servers run with --cpu-prof into <dir> (one profile per server process).
const PROFILE = process.env.LIVE_BENCH_PROFILE;
const forkTs = (file: string, args: string[]): ChildProcess =>
  fork(path.join(ROOT, 'test', 'bench', file), args, {
    execArgv: ['--import', TSX_IMPORT, ...(PROFILE !== undefined && file === 'live-server.ts' ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });

export async function runOnce(mode: LiveMode, clients: number, window: number, seconds: number): Promise<LiveRun> {
  const server = forkTs('live-server.ts', [mode]);
  try {
    const { port } = await waitFor<{ port: number }>(server, 'ready');
    const load = forkTs('live-clients.ts', [`ws://127.0.0.1:${port}/ws`, String(clients), mode]);
    try {
      await waitFor(load, 'ready');
      load.on('message', (m: Msg) => {
        if (typeof m.ack === 'number' && Number.isFinite(m.ack)) server.send({ ack: m.ack });
      });
      server.send({ start: { window } });
      await sleep(1_000); // warm-up
      const before = await (server.send({ stats: true }), waitFor<{ published: number; cpuUs: number }>(server, 'stats'));
      load.send({ reset: true });
      const t0 = performance.now();
      await sleep(seconds * 1000);
      load.send({ report: true });
      const report = await waitFor<{ frames: number; minFrames: number; p50: number; p99: number; max: number }>(load, 'report');
      const elapsed = (performance.now() - t0) / 1000;
      const after = await (server.send({ stats: true }), waitFor<{ published: number; cpuUs: number; rss: number }>(server, 'stats'));
      server.send({ stop: true });
      load.send({ close: true });
      return {
        mode,
        clients,
        seconds: elapsed,
        frames: report.frames,
        framesPerSecond: report.frames / elapsed,
        eventsPerSecond: (after.published - before.published) / elapsed,
        minFramesPerClient: report.minFrames,
        p50: report.p50,
        p99: report.p99,
        max: report.max,
        serverCpuUsPerFrame: (after.cpuUs - before.cpuUs) / Math.max(1, report.frames),
        serverRss: after.rss,
      };
    } finally {
      load.kill('SIGKILL');
    }
  } finally {
    const exited = new Promise<void>((resolve) => {
      if (server.exitCode !== null) resolve();
      else server.once('exit', () => resolve());
    });
    if (server.connected) server.send({ exit: true });
    await Promise.race([exited, sleep(5_000)]);
    server.kill('SIGKILL');
  }
}

export async function liveBench(options: { quick: boolean }): Promise<LiveResult> {
  const clients = options.quick ? 200 : 1000;
  const seconds = options.quick ? 2 : 5;
  const repetitions = options.quick ? 1 : 3;
  const window = 64;
  const runs: LiveRun[] = [];
  for (let rep = 0; rep < repetitions; rep += 1) {
    const order = rep % 2 === 0 ? LIVE_MODES : [...LIVE_MODES].reverse();
    for (const mode of order) {
      progress(`live: ${mode}, ${clients} clients, ${seconds} s (repetition ${rep + 1}/${repetitions})`);
      const run = await runOnce(mode, clients, window, seconds);
      progress(`live: ${mode} ${Math.round(run.framesPerSecond)} frames/s, p99 ${run.p99.toFixed(1)} ms`);
      runs.push(run);
    }
  }
  const of = (mode: LiveMode): LiveRun[] => runs.filter((r) => r.mode === mode);
  const med = (mode: LiveMode) => ({
    framesPerSecond: median(of(mode).map((r) => r.framesPerSecond)),
    p50: median(of(mode).map((r) => r.p50)),
    p99: median(of(mode).map((r) => r.p99)),
    serverCpuUsPerFrame: median(of(mode).map((r) => r.serverCpuUsPerFrame)),
  });
  const live = of('live').map((r) => r.framesPerSecond);
  const base = of('baseline').map((r) => r.framesPerSecond);
  return {
    clients,
    window,
    seconds,
    repetitions,
    runs,
    medians: { baseline: med('baseline'), live: med('live') },
    ratios: { liveVsBaseline: pairedRatio(live, base), perRep: live.map((v, i) => v / base[i]!) },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  liveBench({ quick: process.argv.includes('--quick') })
    .then((r) => console.log(JSON.stringify(r)))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
