/**
 * Retry-topics benchmark (issue 16, Speed): one partition on the real broker, N ~1 KB records produced before the
 * consumer starts; 1% of them (every 100th) fail once with a retriable error and succeed on their second attempt.
 * Three modes, each on a fresh topic and group, interleaved over the repetitions (after an unmeasured warm-up):
 * - `success`: no record fails (the baseline);
 * - `topics`: the failing records move to a retry topic (`x-retry: { mode: topics, delays: [200ms] }`);
 * - `blocking`: the runtime's in-process retries with the same 200 ms delay (the partition waits for each retry).
 * Measured from the first handled record: the partition's throughput (original records handled per second, up to
 * the last first attempt on the original topic) and the completion rate (records per second until every record
 * succeeded, retries included).
 */
import { pathToFileURL } from 'node:url';
import { EventProducer, GroupConsumer, TopicDelegator, batchItem, retryTopicsPolicy, route, silentLogger, type EventHandler } from '../../templates/runtime/index.js';
import { TickEvent, admin, createTopics, transport, waitFor, type Tick } from '../integration/helpers.js';
import { brokersFromEnv } from './kafka.js';
import { median, pairedRatio, progress } from './stats.js';

export const RETRY_MODES = ['success', 'topics', 'blocking'] as const;
export type RetryMode = (typeof RETRY_MODES)[number];
const DELAY_MS = 200;

export interface RetryRun {
  mode: RetryMode;
  records: number;
  failing: number;
  /** Original records handled per second on their partition (first attempts). */
  partitionRate: number;
  /** Records per second until every record succeeded (retries included). */
  completionRate: number;
}

export interface RetryResult {
  records: number;
  failing: number;
  delayMs: number;
  repetitions: number;
  runs: RetryRun[];
  medians: Record<RetryMode, { partitionRate: number; completionRate: number }>;
  ratios: { topicsVsSuccess: number; blockingVsSuccess: number; perRep: Array<{ topics: number; blocking: number }> };
}

async function runOnce(brokers: string, mode: RetryMode, records: number): Promise<RetryRun> {
  const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
  const topic = `bench-retry-${mode}-${id}`;
  const groupId = `bench-retry-${mode}-${id}`;
  const policy = retryTopicsPolicy(topic, groupId, [DELAY_MS]);
  const a = await admin(brokers);
  try {
    await createTopics(a, [{ topic, partitions: 1 }, { topic: `${topic}.dlq`, partitions: 1 }, ...(mode === 'topics' ? policy.topics.map((t) => ({ topic: t, partitions: 1 })) : [])]);
    const t = transport(brokers, { logger: silentLogger });
    const producer = new EventProducer({ transport: t, source: 'bench', logger: silentLogger });
    const note = 'n'.repeat(1000);
    for (let i = 0; i < records; i += 500) {
      await producer.sendBatch(Array.from({ length: Math.min(500, records - i) }, (_, k) => batchItem(topic, TickEvent, { key: `k${(i + k) % 64}`, seq: i + k, note })));
    }
    await producer.disconnect();
    let first = 0;
    let lastOriginal = 0;
    let originals = 0;
    let done = 0;
    let lastDone = 0;
    let failing = 0;
    const handler: EventHandler<Tick> = {
      async handle(data, ctx) {
        const now = performance.now();
        if (first === 0) first = now;
        if (ctx.topic === topic && ctx.attempt === 1) {
          originals++;
          lastOriginal = now;
        }
        if (mode !== 'success' && data.seq % 100 === 0 && ctx.attempt === 1) {
          failing++;
          throw new Error('transient failure');
        }
        done++;
        lastDone = performance.now();
      },
    };
    const delegator =
      mode === 'topics'
        ? new TopicDelegator({ topic, retryTopics: policy, routes: [route(TickEvent, handler)] })
        : new TopicDelegator({ topic, retry: { maxRetries: 1, initialDelayMs: DELAY_MS, maxDelayMs: DELAY_MS, multiplier: 1, jitter: 0 }, routes: [route(TickEvent, handler)] });
    const consumer = new GroupConsumer({ groupId, transport: t, topics: [delegator], store: null, logger: silentLogger, fromBeginning: true });
    await consumer.start();
    try {
      await waitFor(() => done >= records, 120_000, () => `${mode}: ${done}/${records} done`, 5);
    } finally {
      await consumer.stop();
    }
    return { mode, records, failing, partitionRate: (originals - 1) / ((lastOriginal - first) / 1000), completionRate: records / ((lastDone - first) / 1000) };
  } finally {
    await a.deleteTopics({ topics: [topic, `${topic}.dlq`, ...(mode === 'topics' ? policy.topics : [])] }).catch(() => undefined);
    await a.disconnect();
  }
}

export async function retryBench(options: { quick: boolean; brokers?: string }): Promise<RetryResult> {
  const brokers = options.brokers ?? brokersFromEnv();
  const records = options.quick ? 2_000 : 20_000;
  const repetitions = options.quick ? 1 : 5;
  const runs: RetryRun[] = [];
  // Unmeasured warm-up (JIT, broker segment files, producer and consumer code paths of every mode), so the first
  // measured run of the first mode is not the cold one.
  for (const mode of RETRY_MODES) if (mode !== 'blocking') await runOnce(brokers, mode, Math.min(records, 5_000));
  for (let rep = 0; rep < repetitions; rep++) {
    const order = [...RETRY_MODES.slice(rep % RETRY_MODES.length), ...RETRY_MODES.slice(0, rep % RETRY_MODES.length)];
    for (const mode of order) {
      // Blocking mode's rate is set by its waits (1 % × 200 ms): a quarter of the records measure it as well, in a quarter of the time.
      const run = await runOnce(brokers, mode, mode === 'blocking' ? Math.max(2_000, records / 4) : records);
      progress(`retry: ${mode} (rep ${rep + 1}/${repetitions}): partition ${Math.round(run.partitionRate)} records/s, completion ${Math.round(run.completionRate)} records/s, ${run.failing} failed once`);
      runs.push(run);
    }
  }
  const of = (mode: RetryMode): RetryRun[] => runs.filter((r) => r.mode === mode);
  const med = (mode: RetryMode) => ({ partitionRate: median(of(mode).map((r) => r.partitionRate)), completionRate: median(of(mode).map((r) => r.completionRate)) });
  const success = of('success').map((r) => r.partitionRate);
  const topics = of('topics').map((r) => r.partitionRate);
  const blocking = of('blocking').map((r) => r.partitionRate);
  return {
    records,
    failing: Math.round(records / 100),
    delayMs: DELAY_MS,
    repetitions,
    runs,
    medians: { success: med('success'), topics: med('topics'), blocking: med('blocking') },
    ratios: { topicsVsSuccess: pairedRatio(topics, success), blockingVsSuccess: pairedRatio(blocking, success), perRep: success.map((s, i) => ({ topics: (topics[i] as number) / s, blocking: (blocking[i] as number) / s })) },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  retryBench({ quick: process.argv.includes('--quick') })
    .then((r) => console.log(JSON.stringify(r)))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
