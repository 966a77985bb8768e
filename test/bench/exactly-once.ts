/**
 * Exactly-once consume → produce benchmark (issue #15 part 2, Bench): on the real broker, N ~200-byte records on a
 * 2-partition input topic, produced before the consumer starts; the group turns each into one output record on a
 * 2-partition output topic. The handler is the same in both modes — a `handleBatch` that sends its batch's outputs
 * with one typed `sendBatch` called with `{ causedBy: context }`:
 * - `plain`: an at-least-once group (the outputs are sent and acknowledged before the offsets may be committed);
 * - `transactional`: `exactlyOnce: true` (the outputs and the offsets commit in one Kafka transaction per partition).
 * Each run on fresh topics and a fresh group; modes interleaved over the repetitions. Measured: records per second
 * from the consumer's start until the group's committed offsets cover every input record (polled every 20 ms), so a
 * transaction's latency counts as the commit's does.
 */
import { pathToFileURL } from 'node:url';
import { EventProducer, GroupConsumer, TopicDelegator, batchItem, createLogger, route, silentLogger, type EventHandler } from '../../templates/runtime/index.js';
import { TickEvent, admin, committed, createTopics, transport, waitFor, type Tick } from '../integration/helpers.js';
import { brokersFromEnv } from './kafka.js';
import { median, pairedRatio, progress } from './stats.js';

export const EOS_MODES = ['plain', 'transactional'] as const;
export type EosMode = (typeof EOS_MODES)[number];

export interface EosRun {
  mode: EosMode;
  records: number;
  /** Input records consumed, transformed, produced and committed per second. */
  rate: number;
  /** Transactions committed (transactional mode). */
  seconds: number;
}

export interface EosResult {
  records: number;
  partitions: number;
  repetitions: number;
  runs: EosRun[];
  medians: Record<EosMode, number>;
  /** Paired median of transactional / plain records per second. */
  ratio: number;
  perRep: number[];
}

async function runOnce(brokers: string, mode: EosMode, records: number, partitions: number): Promise<EosRun> {
  const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
  const input = `bench-eos-in-${mode}-${id}`;
  const output = `bench-eos-out-${mode}-${id}`;
  const groupId = `bench-eos-${mode}-${id}`;
  const a = await admin(brokers);
  try {
    await createTopics(a, [
      { topic: input, partitions },
      { topic: output, partitions },
      { topic: `${input}.dlq`, partitions: 1 },
    ]);
    const t = transport(brokers, { logger: silentLogger });
    const producer = new EventProducer({ transport: t, source: 'bench', logger: silentLogger });
    const note = 'n'.repeat(150);
    for (let i = 0; i < records; i += 500) {
      await producer.sendBatch(Array.from({ length: Math.min(500, records - i) }, (_, k) => batchItem(input, TickEvent, { key: `k${(i + k) % 64}`, seq: i + k, note })));
    }
    const out = new EventProducer({ transport: t, source: 'bench', logger: silentLogger });
    const handler: EventHandler<Tick> = {
      async handle(data, context) {
        await out.send(output, TickEvent, data, { causedBy: context });
      },
      async handleBatch(items) {
        await out.sendBatch(items.map(({ data, context }) => batchItem(output, TickEvent, data, { causedBy: context })));
      },
    };
    const delegator = new TopicDelegator({ topic: input, routes: [route(TickEvent, handler)] });
    const consumer = new GroupConsumer({ groupId, transport: t, topics: [delegator], store: mode === 'plain' ? null : undefined, exactlyOnce: mode === 'transactional', logger: process.env.EOS_BENCH_DEBUG === undefined ? silentLogger : createLogger({ level: 'warn' }), fromBeginning: true });
    const started = performance.now();
    await consumer.start();
    let seconds = 0;
    try {
      await waitFor(async () => [...(await committed(a, groupId, input)).values()].reduce((s, v) => s + Math.max(0, Number(v)), 0) >= records, 180_000, () => `${mode}: not everything committed`, 20);
      seconds = (performance.now() - started) / 1000;
    } finally {
      await consumer.stop();
      await out.disconnect();
      await producer.disconnect();
    }
    return { mode, records, rate: records / seconds, seconds };
  } finally {
    await a.deleteTopics({ topics: [input, output, `${input}.dlq`] }).catch(() => undefined);
    await a.disconnect();
  }
}

export async function exactlyOnceBench(options: { quick: boolean; brokers?: string }): Promise<EosResult> {
  const brokers = options.brokers ?? brokersFromEnv();
  const records = options.quick ? 4_000 : 20_000;
  const repetitions = options.quick ? 1 : 3;
  const partitions = 2;
  const runs: EosRun[] = [];
  for (let rep = 0; rep < repetitions; rep++) {
    const order = rep % 2 === 0 ? EOS_MODES : ([...EOS_MODES].reverse() as EosMode[]);
    for (const mode of order) {
      const run = await runOnce(brokers, mode, records, partitions);
      progress(`exactly-once: ${mode} (rep ${rep + 1}/${repetitions}): ${Math.round(run.rate)} records/s (${run.seconds.toFixed(1)} s)`);
      runs.push(run);
    }
  }
  const of = (mode: EosMode): number[] => runs.filter((r) => r.mode === mode).map((r) => r.rate);
  const plain = of('plain');
  const txn = of('transactional');
  return {
    records,
    partitions,
    repetitions,
    runs,
    medians: { plain: median(plain), transactional: median(txn) },
    ratio: pairedRatio(txn, plain),
    perRep: plain.map((p, i) => (txn[i] as number) / p),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  exactlyOnceBench({ quick: process.argv.includes('--quick') })
    .then((r) => console.log(JSON.stringify(r)))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
