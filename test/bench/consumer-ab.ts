/**
 * Consumer A/B on the real broker (issue #18): the generated consumer (GroupConsumer over KafkaTransport, envelope +
 * Zod, `store: null`, one partition at a time: the `generated` case of test/bench/kafka.ts) against raw kafkajs
 * `eachMessage` + `JSON.parse`, and optionally against another copy of the runtime (`--before <dir>`, e.g. the
 * runtime of main copied to test/output/runtime-main) in the same process, interleaved.
 *
 *   NODE_OPTIONS=--expose-gc npx tsx test/bench/consumer-ab.ts [--before test/output/runtime-main] [--reps 7] [--messages 20000] [--profile <case>]
 *
 * The records are produced once (by the generated producer, as in kafka.ts); every run reads all of them from the
 * beginning in a new group. The case order rotates per repetition. Per run: wall rate from the first record handed to
 * the handler to the last (group join excluded) and process CPU (user + system) per record over the same window.
 * `--skip <n>` also reports a steady-state window from the n-th record on (start-up work of the consumer, e.g. its
 * admin requests at assignment, left out). Ratios are per repetition (each generated run against the raw run of the same repetition). Before each run: a
 * 200 ms pause and, with `--expose-gc`, a full garbage collection (the previous run's garbage is not billed to it).
 * `--profile <case,...>` starts the V8 CPU profiler (node:inspector) for those cases' runs only and writes
 * test/output/consumer-<case>-<rep>.cpuprofile.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import * as current from '../../templates/runtime/index.js';
import { OrderCreatedEvent, orderPayload, type OrderCreatedInput } from './fixtures.js';
import { brokersFromEnv, type ConsumerRun } from './kafka.js';
import { median } from './stats.js';

type Runtime = typeof current;
const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const brokers = brokersFromEnv();
const messages = Number(arg('--messages') ?? 20_000);
const reps = Number(arg('--reps') ?? 7);
const beforeDir = arg('--before');
const skip = Number(arg('--skip') ?? 0);
const profileCases = new Set((arg('--profile') ?? '').split(',').filter((c) => c !== ''));
const before: Runtime | undefined = beforeDir === undefined ? undefined : ((await import(pathToFileURL(path.resolve(beforeDir, 'index.ts')).href)) as Runtime);
const unique = (prefix: string): string => `bench-${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;

/** The bench's window (from the first record handled) and a steady-state one starting at record `skip` (`--skip`). */
interface Run extends ConsumerRun {
  steadyRate: number;
  steadyCpuUs: number;
}
function window(n: number): { tick: () => void; finished: Promise<Run> } {
  let handled = 0;
  let first = 0;
  let cpu = process.cpuUsage();
  let steadyAt = 0;
  let steadyCpu = cpu;
  let done!: (r: Run) => void;
  const finished = new Promise<Run>((resolve) => (done = resolve));
  return {
    tick: () => {
      if (handled === 0) {
        first = performance.now();
        cpu = process.cpuUsage();
      }
      if (handled === skip) {
        steadyAt = performance.now();
        steadyCpu = process.cpuUsage();
      }
      handled++;
      if (handled === n) {
        const now = performance.now();
        const used = process.cpuUsage(cpu);
        const steady = process.cpuUsage(steadyCpu);
        done({
          rate: ((n - 1) / (now - first)) * 1000,
          cpuUs: (used.user + used.system) / (n - 1),
          steadyRate: ((n - 1 - skip) / (now - steadyAt)) * 1000,
          steadyCpuUs: (steady.user + steady.system) / (n - 1 - skip),
        });
      }
    },
    finished,
  };
}

async function generated(rt: Runtime, topic: string): Promise<Run> {
  const w = window(messages);
  const handler = { handle: async (): Promise<void> => w.tick() };
  const consumer = new rt.GroupConsumer({
    groupId: unique('gen'),
    transport: rt.createTransport({ client: 'kafkajs', config: rt.kafkaConfig({ brokers, clientId: 'bench' }), logger: rt.silentLogger }),
    topics: [new rt.TopicDelegator({ topic, routes: [rt.route(OrderCreatedEvent, handler)] })],
    store: null,
    logger: rt.silentLogger,
  });
  await consumer.start();
  const run = await w.finished;
  await consumer.stop();
  return run;
}

async function raw(topic: string): Promise<Run> {
  const consumer = new Kafka({ brokers: brokers.split(','), clientId: 'bench-raw', logLevel: logLevel.NOTHING }).consumer({ groupId: unique('raw'), maxWaitTimeInMs: 500 });
  const w = window(messages);
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      JSON.parse(message.value?.toString('utf8') ?? 'null');
      w.tick();
    },
  });
  const run = await w.finished;
  await consumer.disconnect();
  return run;
}

const cases: Record<string, (topic: string) => Promise<Run>> = {
  raw,
  generated: (t) => generated(current, t),
  ...(before === undefined ? {} : { before: (t: string) => generated(before, t) }),
};

const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
await admin.connect();
const topic = unique('ab');
await admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true });
const session = profileCases.size === 0 ? undefined : new Session();
try {
  const producer = new current.EventProducer({ transport: current.createTransport({ client: 'kafkajs', config: current.kafkaConfig({ brokers, clientId: 'bench' }), logger: current.silentLogger, producer: { compression: 'none' } }), source: 'bench', logger: current.silentLogger });
  await producer.connect();
  for (let i = 0; i < messages; i += 500) {
    const items: current.BatchItem[] = [];
    for (let k = i; k < Math.min(messages, i + 500); k++) items.push(current.batchItem(topic, OrderCreatedEvent, orderPayload(k) as OrderCreatedInput));
    await producer.sendBatch(items);
  }
  await producer.disconnect();
  const names = Object.keys(cases);
  // One untimed warm-up run per case (JIT, connections).
  for (const name of names) await (cases[name] as (t: string) => Promise<Run>)(topic);
  if (session !== undefined) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
  }
  const results: Record<string, Run[]> = Object.fromEntries(names.map((n) => [n, [] as Run[]]));
  for (let r = 0; r < reps; r++) {
    const order = [...names.slice(r % names.length), ...names.slice(0, r % names.length)];
    for (const name of order) {
      // Garbage and timers left by the previous run are settled before this one (with --expose-gc: a full
      // collection), so each window pays for its own allocations only.
      await new Promise((resolve) => setTimeout(resolve, 200));
      (globalThis as { gc?: () => void }).gc?.();
      const profiling = session !== undefined && profileCases.has(name);
      if (profiling) await session.post('Profiler.start');
      (results[name] as Run[]).push(await (cases[name] as (t: string) => Promise<Run>)(topic));
      if (profiling) {
        const { profile } = await session.post('Profiler.stop');
        writeFileSync(path.resolve('test/output', `consumer-${name}-${r}.cpuprofile`), JSON.stringify(profile));
      }
    }
    const line = names.map((n) => `${n} ${Math.round(results[n]?.[r]?.rate ?? NaN)}/s ${(results[n]?.[r]?.cpuUs ?? NaN).toFixed(1)}µs (steady ${(results[n]?.[r]?.steadyCpuUs ?? NaN).toFixed(1)}µs)`).join(', ');
    const ratios = names
      .filter((n) => n !== 'raw')
      .map((n) => {
        const a = results[n]?.[r];
        const b = results['raw']?.[r];
        return `${n}/raw rate ${((a?.rate ?? NaN) / (b?.rate ?? NaN)).toFixed(2)} cpu ${((b?.cpuUs ?? NaN) / (a?.cpuUs ?? NaN)).toFixed(2)} steady cpu ${((b?.steadyCpuUs ?? NaN) / (a?.steadyCpuUs ?? NaN)).toFixed(2)}`;
      })
      .join(', ');
    process.stderr.write(`rep ${r + 1}/${reps}: ${line} | ${ratios}\n`);
  }
  const summary: Record<string, unknown> = { messages, reps, skip, load: (await import('node:os')).loadavg() };
  const per = (runs: Run[], base: Run[], f: (x: Run, b: Run) => number): { each: number[]; median: number } => {
    const each = runs.map((x, i) => f(x, base[i] as Run));
    return { each: each.map((v) => Number(v.toFixed(3))), median: Number(median(each).toFixed(3)) };
  };
  for (const n of names) {
    const runs = results[n] as Run[];
    summary[n] = { rates: runs.map((x) => Math.round(x.rate)), cpuUs: runs.map((x) => Number(x.cpuUs.toFixed(2))), steadyCpuUs: runs.map((x) => Number(x.steadyCpuUs.toFixed(2))) };
    if (n !== 'raw') {
      const base = results['raw'] as Run[];
      summary[`${n}/raw`] = { rate: per(runs, base, (x, b) => x.rate / b.rate), cpu: per(runs, base, (x, b) => b.cpuUs / x.cpuUs), steadyCpu: per(runs, base, (x, b) => b.steadyCpuUs / x.steadyCpuUs) };
    }
  }
  if (results['before'] !== undefined) {
    const base = results['before'];
    summary['generated/before'] = { rate: per(results['generated'] as Run[], base, (x, b) => x.rate / b.rate), cpu: per(results['generated'] as Run[], base, (x, b) => b.cpuUs / x.cpuUs), steadyCpu: per(results['generated'] as Run[], base, (x, b) => b.steadyCpuUs / x.steadyCpuUs) };
  }
  process.stdout.write(`${JSON.stringify(summary)}\n`);
} finally {
  session?.disconnect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
}
