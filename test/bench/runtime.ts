/**
 * Runtime throughput in process (InMemoryTransport): produce → consume → handler with 1 KB `order.created`
 * payloads, against the same transport driven by a minimal path (JSON.stringify / JSON.parse + a Map lookup,
 * no envelope, no validation) and a floor without any transport. Run alone: `tsx test/bench/runtime.ts [--quick]`.
 */
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import * as current from '../../templates/runtime/index.js';
import type { BatchItem } from '../../templates/runtime/index.js';
import { OrderCreatedEvent, orderPayload, type OrderCreatedInput } from './fixtures.js';
import { median, pairedRatio, progress } from './stats.js';

const TOPIC = 'shop.orders.v1';
const POOL = 1024;
const pool: OrderCreatedInput[] = Array.from({ length: POOL }, (_, i) => orderPayload(i));
type Runtime = typeof current;

/** Messages per second of wall time and per second of this process's CPU time (user + system, all threads). */
export interface Rate {
  wall: number;
  cpu: number;
}

function startClock(): () => { rate(messages: number): Rate } {
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  return () => {
    const wallMs = performance.now() - wall0;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    return { rate: (messages) => ({ wall: (messages / wallMs) * 1000, cpu: (messages / cpuMs) * 1000 }) };
  };
}
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface RuntimeCase {
  name: string;
  /** Messages per second of wall time, per repetition. */
  rates: number[];
  /** Messages per CPU-second (the process is single-threaded: throughput on one core), per repetition. */
  cpuRates: number[];
}

export interface RuntimeResult {
  messages: number;
  batch: number;
  partitions: number;
  payloadBytes: number;
  cases: RuntimeCase[];
  /** Median of paired ratios generated / baseline (msgs per CPU-second). */
  ratioVsBaseline: number;
  ratioNoStoreVsBaseline: number;
  ratioVsFloor: number;
  heapUsedMb: number;
  /** Median paired ratio current runtime / `before` runtime (when given). */
  afterVsBefore?: number;
}

interface PathOptions {
  messages: number;
  batch: number;
  partitions: number;
}

/** The generated path: EventProducer.sendBatch → InMemoryTransport → GroupConsumer → TopicDelegator → route (Zod) → handler. */
async function generatedPath(rt: Runtime, { messages, batch, partitions }: PathOptions, dedup: boolean): Promise<Rate> {
  const { EventProducer, GroupConsumer, InMemoryTransport, TopicDelegator, batchItem, route, silentLogger } = rt;
  const transport = new InMemoryTransport({ defaultPartitions: partitions });
  transport.createTopic(TOPIC, partitions);
  let handled = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const handler = {
    handle: async (): Promise<void> => {
      if (++handled === messages) done();
    },
  };
  const consumer = new GroupConsumer({
    groupId: 'bench',
    transport,
    topics: [new TopicDelegator({ topic: TOPIC, routes: [route(OrderCreatedEvent, handler)] })],
    logger: silentLogger,
    ...(dedup ? {} : { store: null }),
  });
  await consumer.start();
  const producer = new EventProducer({ transport, source: 'bench', logger: silentLogger });
  await producer.connect();
  const started = startClock();
  for (let i = 0; i < messages; i += batch) {
    const items: BatchItem[] = [];
    for (let k = i; k < Math.min(messages, i + batch); k++) items.push(batchItem(TOPIC, OrderCreatedEvent, pool[k % POOL] as OrderCreatedInput));
    await producer.sendBatch(items);
    await yieldToLoop();
  }
  await finished;
  const elapsed = started();
  await consumer.stop();
  await producer.disconnect();
  if (consumer.health().processed !== messages) throw new Error(`processed ${consumer.health().processed} of ${messages}`);
  return elapsed.rate(messages);
}

/** The baseline on the same transport: JSON.stringify → send → JSON.parse → Map lookup → handler. No envelope, no validation. */
async function baselinePath({ messages, batch, partitions }: PathOptions): Promise<Rate> {
  const transport = new current.InMemoryTransport({ defaultPartitions: partitions });
  transport.createTopic(TOPIC, partitions);
  let handled = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const handlers = new Map<string, (data: unknown) => Promise<void>>([
    [
      'order.created',
      async () => {
        if (++handled === messages) done();
      },
    ],
  ]);
  const consumer = transport.consumer({ groupId: 'bench' });
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPIC] });
  // The minimal consumer of the transport's batches: parse, look up, handle, advance; commit once per batch.
  await consumer.run({
    onBatch: async (b) => {
      let last: string | undefined;
      for (const record of b.records) {
        const { type, data } = JSON.parse(record.value?.toString('utf8') ?? 'null') as { type: string; data: unknown };
        const h = handlers.get(type);
        if (h === undefined) throw new Error(`no handler for ${type}`);
        await h(data);
        b.advance(record.offset);
        last = record.offset;
      }
      if (last !== undefined) await consumer.commit([{ topic: b.topic, partition: b.partition, offset: String(Number(last) + 1), epoch: b.epoch }]);
    },
  });
  const producer = transport.producer();
  await producer.connect();
  const started = startClock();
  for (let i = 0; i < messages; i += batch) {
    const out = [];
    for (let k = i; k < Math.min(messages, i + batch); k++) {
      const data = pool[k % POOL] as OrderCreatedInput;
      out.push({ key: data.orderId, value: JSON.stringify({ type: 'order.created', data }) });
    }
    await producer.send([{ topic: TOPIC, messages: out }]);
    await yieldToLoop();
  }
  await finished;
  const elapsed = started();
  await consumer.stop();
  await producer.disconnect();
  return elapsed.rate(messages);
}

/** The floor: the same serialisation and lookup with no transport at all. */
async function floorPath({ messages }: PathOptions): Promise<Rate> {
  let handled = 0;
  const handlers = new Map<string, (data: unknown) => Promise<void>>([['order.created', async () => void handled++]]);
  const started = startClock();
  for (let i = 0; i < messages; i++) {
    const value = Buffer.from(JSON.stringify({ type: 'order.created', data: pool[i % POOL] }));
    const { type, data } = JSON.parse(value.toString('utf8')) as { type: string; data: unknown };
    await handlers.get(type)?.(data);
  }
  if (handled !== messages) throw new Error('floor lost messages');
  return started().rate(messages);
}

/**
 * `before`: optional path of another copy of the runtime (e.g. the previous version) measured as one more case in
 * the same interleaved run, for before/after comparisons of runtime changes.
 */
export async function runtimeBench(options: { quick: boolean; before?: string }): Promise<RuntimeResult> {
  const path0: PathOptions = { messages: options.quick ? 10_000 : 50_000, batch: 100, partitions: 6 };
  const reps = options.quick ? 1 : 5;
  const before: Runtime | undefined = options.before === undefined ? undefined : ((await import(pathToFileURL(path.resolve(options.before, 'index.ts')).href)) as Runtime);
  type Name = 'baseline' | 'generated' | 'generatedNoStore' | 'floor' | 'before';
  const names: Name[] = ['baseline', 'generated', 'generatedNoStore', 'floor', ...(before ? (['before'] as const) : [])];
  const run = (name: Name, p: PathOptions): Promise<Rate> =>
    name === 'baseline'
      ? baselinePath(p)
      : name === 'generated'
        ? generatedPath(current, p, true)
        : name === 'generatedNoStore'
          ? generatedPath(current, p, false)
          : name === 'before' && before !== undefined
            ? generatedPath(before, p, true)
            : floorPath(p);
  const warm = { ...path0, messages: Math.min(10_000, path0.messages) };
  for (const name of names) await run(name, warm);
  const cases = Object.fromEntries(names.map((n) => [n, [] as Rate[]])) as Record<Name, Rate[]>;
  for (let r = 0; r < reps; r++) {
    // Interleaved, rotating the order so a slow phase of the machine does not always hit the same case.
    const order = names.map((_, i) => names[(i + r) % names.length] as Name);
    for (const name of order) {
      global.gc?.();
      cases[name].push(await run(name, path0));
    }
    progress(`runtime rep ${r + 1}/${reps}: ${order.map((k) => `${k} ${Math.round(cases[k][cases[k].length - 1]?.cpu ?? 0)}/cpu-s`).join(', ')}`);
  }
  const cpu = (xs: Rate[]): number[] => xs.map((x) => x.cpu);
  const result: RuntimeResult = {
    messages: path0.messages,
    batch: path0.batch,
    partitions: path0.partitions,
    payloadBytes: Buffer.byteLength(JSON.stringify(pool[0])),
    cases: [
      { name: 'generated (envelope + Zod both sides + in-memory dedup + metrics)', rates: cases.generated.map((x) => x.wall), cpuRates: cases.generated.map((x) => x.cpu) },
      { name: 'generated, no dedup store', rates: cases.generatedNoStore.map((x) => x.wall), cpuRates: cases.generatedNoStore.map((x) => x.cpu) },
      { name: 'baseline: JSON + Map lookup, same transport', rates: cases.baseline.map((x) => x.wall), cpuRates: cases.baseline.map((x) => x.cpu) },
      { name: 'floor: JSON + Map lookup, no transport', rates: cases.floor.map((x) => x.wall), cpuRates: cases.floor.map((x) => x.cpu) },
    ],
    ratioVsBaseline: pairedRatio(cpu(cases.generated), cpu(cases.baseline)),
    ratioNoStoreVsBaseline: pairedRatio(cpu(cases.generatedNoStore), cpu(cases.baseline)),
    ratioVsFloor: pairedRatio(cpu(cases.generated), cpu(cases.floor)),
    heapUsedMb: process.memoryUsage().heapUsed / 1024 / 1024,
  };
  if (before) {
    result.cases.push({ name: `generated with the runtime in ${options.before}`, rates: cases.before.map((x) => x.wall), cpuRates: cases.before.map((x) => x.cpu) });
    result.afterVsBefore = pairedRatio(cpu(cases.generated), cpu(cases.before));
  }
  return result;
}

export { median };

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const beforeAt = process.argv.indexOf('--before');
  const before = beforeAt > 0 ? process.argv[beforeAt + 1] : undefined;
  const result = await runtimeBench({ quick: process.argv.includes('--quick'), ...(before === undefined ? {} : { before }) });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
