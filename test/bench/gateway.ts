/**
 * Gateway load benchmark (issue 13, Speed): `POST /events/order.created` with ~1 KB payloads through three servers,
 * each a child process (test/bench/gateway-server.ts) publishing to the real broker (KAFKA_BROKERS, default
 * 127.0.0.1:19092), loaded by autocannon from this process:
 * - `baseline`: a hand-written minimal `node:http` + kafkajs endpoint (one `send` per request);
 * - `gateway`: the generated gateway (`createGateway`: validation, status store, envelope, metrics) on its own server;
 * - `fastify`: the same gateway `handle` mounted in fastify 5 (framework overhead only).
 * Repetitions interleave the modes (order rotated per repetition); ratios are medians of per-repetition ratios.
 * Then one overload run: the gateway with a small `maxInFlight` under more connections than it admits, to show that
 * the excess is refused with 503 (nothing queued): accepted latency, the 503 share and the child's memory.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { OrderCreatedSchema } from '../../generated/schemas/order-created.js';
import { orderPayload } from './fixtures.js';
import { median, pairedRatio, progress } from './stats.js';

export const GATEWAY_MODES = ['baseline', 'gateway', 'fastify'] as const;
export type GatewayMode = (typeof GATEWAY_MODES)[number];

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const TSX_IMPORT = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs')).href;
const SERVER = path.join(ROOT, 'test', 'bench', 'gateway-server.ts');
const PARTITIONS = 6;
const PATH = '/events/order.created';

/** One load run against one server. Latencies in ms, from autocannon's per-response times. */
export interface GatewayRun {
  mode: GatewayMode;
  connections: number;
  /** Measured duration (s). */
  seconds: number;
  /** 2xx answers. */
  accepted: number;
  /** 2xx answers per second. */
  rps: number;
  /** Latency of 2xx answers. */
  p50: number;
  p99: number;
  max: number;
  /** Answers by status code. */
  statuses: Record<string, number>;
  non2xx: number;
  /** Latency of non-2xx answers (NaN without any). */
  p50Non2xx: number;
  p99Non2xx: number;
  /** Connection errors and timeouts (autocannon). */
  errors: number;
  timeouts: number;
  /** CPU time (user + system) of the server process per 2xx answer, µs (NaN off Linux). */
  serverCpuUs: number;
  /** RSS of the server process before and after the run, and its peak so far (bytes; NaN off Linux). */
  rssBefore: number;
  rssAfter: number;
  rssPeak: number;
}

export interface GatewayResult {
  brokers: string;
  partitions: number;
  payloadBytes: number;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  reps: number;
  runs: Record<GatewayMode, GatewayRun[]>;
  /** Per mode: medians over the repetitions. */
  medians: Record<GatewayMode, { rps: number; p50: number; p99: number; non2xx: number; errors: number; serverCpuUs: number }>;
  /**
   * Paired ratios (median of per-repetition ratios) of accepted requests/s, each repetition's, and of the server's CPU
   * time per accepted request (less sensitive to the load of the shared machine than rates).
   */
  ratios: {
    gatewayVsBaseline: number;
    fastifyVsGateway: number;
    fastifyVsBaseline: number;
    perRep: Array<{ gatewayVsBaseline: number; fastifyVsGateway: number }>;
    cpuGatewayVsBaseline: number;
    cpuFastifyVsGateway: number;
  };
  overload: GatewayRun & { maxInFlight: number; admitted: number; share503: number; retryAfter: boolean; otherNon2xx: number };
}

// autocannon ships no types: the part of its programmatic API used here.
interface AutocannonClient {
  setBody(body: string | Buffer): void;
}
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  '2xx': number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}
interface AutocannonInstance extends Promise<AutocannonResult> {
  on(event: 'response', listener: (client: AutocannonClient, statusCode: number, resBytes: number, responseTime: number) => void): this;
}
type Autocannon = (options: {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  duration: number;
  timeout?: number;
  setupClient?: (client: AutocannonClient) => void;
}) => AutocannonInstance;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

function brokersFromEnv(): string {
  return process.env.KAFKA_BROKERS?.trim() || `127.0.0.1:${process.env.KAFKA_LOCAL_PORT ?? '19092'}`;
}

const unique = (prefix: string): string => `bench-gw-${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;

/** A server child: started, its port known, stopped with SIGTERM. */
interface Server {
  child: ChildProcess;
  port: number;
  stderr: () => string;
}

async function startServer(mode: GatewayMode, topic: string, brokers: string, maxInFlight?: number): Promise<Server> {
  const args = ['--import', TSX_IMPORT, SERVER, mode, topic, brokers, ...(maxInFlight !== undefined ? [String(maxInFlight)] : [])];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${mode} server did not start within 60 s:\n${stderr.slice(-2000)}`)), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /"port":(\d+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${mode} server exited ${code} before listening:\n${stderr.slice(-2000)}`));
    });
  });
  return { child, port, stderr: () => stderr };
}

async function stopServer(server: Server): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 30_000);
  const code = await exited;
  clearTimeout(timer);
  if (code !== 0) progress(`gateway server exited ${code}: ${server.stderr().slice(-1000)}`);
}

let clockTicks: number | undefined;
/** CPU time (user + system, all threads) of a process in µs, from /proc (NaN elsewhere). */
function cpuUs(pid: number | undefined): number {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / clockTicks) * 1e6;
  } catch {
    return Number.NaN;
  }
}

/** Current and peak RSS of a process in bytes, from /proc (NaN elsewhere). */
function rss(pid: number | undefined): { now: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    return { now: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return { now: Number.NaN, peak: Number.NaN };
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** One autocannon run; each connection sends its own payload (own orderId, hence key and partition). */
async function load(mode: GatewayMode, server: Server, bodies: readonly string[], connections: number, seconds: number): Promise<GatewayRun> {
  const pid = server.child.pid;
  const ok: number[] = [];
  const failed: number[] = [];
  let next = 0;
  const before = rss(pid);
  const cpu0 = cpuUs(pid);
  const instance = autocannon({
    url: `http://127.0.0.1:${server.port}${PATH}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: bodies[0] as string,
    connections,
    duration: seconds,
    timeout: 10,
    setupClient: (client) => client.setBody(bodies[next++ % bodies.length] as string),
  });
  instance.on('response', (_client, status, _bytes, ms) => (status >= 200 && status < 300 ? ok : failed).push(ms));
  const r = await instance;
  const cpu = cpuUs(pid) - cpu0;
  const after = rss(pid);
  ok.sort((a, b) => a - b);
  failed.sort((a, b) => a - b);
  const statuses = Object.fromEntries(Object.entries(r.statusCodeStats).map(([code, s]) => [code, s.count]));
  return {
    mode,
    connections,
    seconds: r.duration,
    accepted: r['2xx'],
    rps: r['2xx'] / r.duration,
    p50: percentile(ok, 50),
    p99: percentile(ok, 99),
    max: ok[ok.length - 1] ?? Number.NaN,
    statuses,
    non2xx: r.non2xx,
    p50Non2xx: percentile(failed, 50),
    p99Non2xx: percentile(failed, 99),
    errors: r.errors,
    timeouts: r.timeouts,
    serverCpuUs: cpu / Math.max(1, r['2xx']),
    rssBefore: before.now,
    rssAfter: after.now,
    rssPeak: after.peak,
  };
}

/** One request by hand: the payload must be accepted (202 with an eventId) before anything is measured. */
async function checkAccepted(mode: GatewayMode, server: Server, body: string): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${server.port}${PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await res.text();
  if (res.status !== 202 || typeof (JSON.parse(text) as { eventId?: unknown }).eventId !== 'string') {
    throw new Error(`${mode}: the benchmark payload was not accepted (${res.status} ${text.slice(0, 500)})`);
  }
}

export async function gatewayBench(options: { quick: boolean; reps?: number; seconds?: number; connections?: number }): Promise<GatewayResult> {
  const brokers = brokersFromEnv();
  const reps = options.reps ?? (options.quick ? 1 : 3);
  const seconds = options.seconds ?? (options.quick ? 2 : 10);
  const warmupSeconds = options.quick ? 1 : 2;
  const connections = options.connections ?? 64;
  const overload = { maxInFlight: 64, connections: 256 };

  // ~1.1 KB `order.created` payloads (3 line items), one per connection; checked against the generated schema.
  const bodies = Array.from({ length: overload.connections }, (_, i) => JSON.stringify(orderPayload(i)));
  for (const b of bodies) {
    const parsed = OrderCreatedSchema.safeParse(JSON.parse(b));
    if (!parsed.success) throw new Error(`benchmark payload rejected by the generated OrderCreatedSchema: ${parsed.error.message}`);
  }
  const payloadBytes = median(bodies.map((b) => Buffer.byteLength(b)));

  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const topicOf = new Map<string, string>();
  for (let r = 0; r < reps; r++) for (const mode of GATEWAY_MODES) topicOf.set(`${mode}:${r}`, unique(`${mode}${r}`));
  topicOf.set('overload', unique('overload'));
  const topics = [...topicOf.values()];
  await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })), waitForLeaders: true });

  const runs = Object.fromEntries(GATEWAY_MODES.map((m) => [m, [] as GatewayRun[]])) as Record<GatewayMode, GatewayRun[]>;
  let overloadRun: GatewayResult['overload'];
  try {
    const measure = async (mode: GatewayMode, topic: string, conns: number, maxInFlight?: number): Promise<{ run: GatewayRun; retryAfter: boolean }> => {
      const server = await startServer(mode, topic, brokers, maxInFlight);
      try {
        await checkAccepted(mode, server, bodies[0] as string);
        await load(mode, server, bodies, conns, warmupSeconds); // warm-up: connections, metadata, JIT
        const run = await load(mode, server, bodies, conns, seconds);
        // autocannon does not report headers: one burst by hand shows whether the refusals carry Retry-After.
        const retryAfter = maxInFlight !== undefined && (await probeRetryAfter(server, bodies, conns));
        return { run, retryAfter };
      } finally {
        await stopServer(server);
      }
    };

    for (let r = 0; r < reps; r++) {
      const order = [...GATEWAY_MODES.slice(r % GATEWAY_MODES.length), ...GATEWAY_MODES.slice(0, r % GATEWAY_MODES.length)];
      for (const mode of order) {
        const { run } = await measure(mode, topicOf.get(`${mode}:${r}`) as string, connections);
        runs[mode].push(run);
        progress(`gateway rep ${r + 1}/${reps} ${mode}: ${Math.round(run.rps)} accepted/s, p50 ${run.p50.toFixed(1)} ms, p99 ${run.p99.toFixed(1)} ms, non-2xx ${run.non2xx}, errors ${run.errors}, server CPU ${run.serverCpuUs.toFixed(0)} µs/request`);
      }
    }

    const { run, retryAfter } = await measure('gateway', topicOf.get('overload') as string, overload.connections, overload.maxInFlight);
    const s503 = run.statuses['503'] ?? 0;
    const total = run.accepted + run.non2xx;
    overloadRun = { ...run, maxInFlight: overload.maxInFlight, admitted: Math.floor(overload.maxInFlight * 0.8), share503: total === 0 ? Number.NaN : s503 / total, retryAfter, otherNon2xx: run.non2xx - s503 };
    progress(
      `gateway overload (maxInFlight ${overload.maxInFlight}, ${overload.connections} connections): ${Math.round(run.rps)} accepted/s, ${(overloadRun.share503 * 100).toFixed(0)}% answered 503, accepted p99 ${run.p99.toFixed(1)} ms, 503 p99 ${run.p99Non2xx.toFixed(1)} ms, RSS ${(run.rssBefore / 2 ** 20).toFixed(0)} → ${(run.rssAfter / 2 ** 20).toFixed(0)} MB`,
    );
  } finally {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  }

  const med = (mode: GatewayMode): GatewayResult['medians'][GatewayMode] => {
    const rs = runs[mode];
    return {
      rps: median(rs.map((x) => x.rps)),
      p50: median(rs.map((x) => x.p50)),
      p99: median(rs.map((x) => x.p99)),
      non2xx: median(rs.map((x) => x.non2xx)),
      errors: median(rs.map((x) => x.errors)),
      serverCpuUs: median(rs.map((x) => x.serverCpuUs)),
    };
  };
  const rps = (mode: GatewayMode): number[] => runs[mode].map((x) => x.rps);
  const cpu = (mode: GatewayMode): number[] => runs[mode].map((x) => x.serverCpuUs);
  return {
    brokers,
    partitions: PARTITIONS,
    payloadBytes,
    connections,
    seconds,
    warmupSeconds,
    reps,
    runs,
    medians: { baseline: med('baseline'), gateway: med('gateway'), fastify: med('fastify') },
    ratios: {
      gatewayVsBaseline: pairedRatio(rps('gateway'), rps('baseline')),
      fastifyVsGateway: pairedRatio(rps('fastify'), rps('gateway')),
      fastifyVsBaseline: pairedRatio(rps('fastify'), rps('baseline')),
      perRep: runs.gateway.map((g, i) => ({ gatewayVsBaseline: g.rps / (runs.baseline[i]?.rps ?? Number.NaN), fastifyVsGateway: (runs.fastify[i]?.rps ?? Number.NaN) / g.rps })),
      cpuGatewayVsBaseline: pairedRatio(cpu('gateway'), cpu('baseline')),
      cpuFastifyVsGateway: pairedRatio(cpu('fastify'), cpu('gateway')),
    },
    overload: overloadRun,
  };
}

/** Under a burst of `connections` concurrent requests, does a 503 carry `Retry-After`? */
async function probeRetryAfter(server: Server, bodies: readonly string[], connections: number): Promise<boolean> {
  const answers = await Promise.all(
    Array.from({ length: connections }, (_, i) =>
      fetch(`http://127.0.0.1:${server.port}${PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[i % bodies.length] as string }).then(
        async (res) => {
          await res.arrayBuffer();
          return { status: res.status, retryAfter: res.headers.get('retry-after') };
        },
        () => ({ status: 0, retryAfter: null }),
      ),
    ),
  );
  const refused = answers.filter((a) => a.status === 503);
  return refused.length > 0 && refused.every((a) => a.retryAfter !== null);
}

// Standalone: `npx tsx test/bench/gateway.ts [--quick]` prints the result as JSON.
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const result = await gatewayBench({ quick: process.argv.includes('--quick') });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
