/**
 * The 'outbox' section of `npm run bench`: the transactional outbox on PostgreSQL (docs/outbox.md) against the same
 * work without it, in one run.
 *
 * - Insert overhead: business transactions (BEGIN; INSERT a business row; COMMIT) with and without one outbox row
 *   written by `OutboxWriter` (validation + envelope + INSERT), interleaved in blocks; mean and p50 per transaction.
 * - Relay throughput: E ~0.3 KB events over 100 keys, written once by `OutboxWriter` and kept as a template that each
 *   run copies into the outbox (one statement, id order) for its own fresh 6-partition topic, then drained (commit →
 *   ack, events/s) by (a) 3 concurrent relays (head-of-key `FOR UPDATE SKIP LOCKED`) and (b) 3 relays with
 *   `mode: 'single-active'` (advisory lock: one publishes); the baseline is a direct `EventProducer` sending the same
 *   events with `sendBatch` in chunks of 1,000. Relays run in this process (one event loop). The three run in turn,
 *   the order rotating, over REPS repetitions; ratios are the median of the per-repetition pairs.
 * - Latency: E/2 events committed in transactions of 50 while 3 concurrent relays run; per event, the relay's ack
 *   mark (`published_at`, clock_timestamp after the ack) minus the commit time; the direct producer's p99 is per
 *   sendBatch of 50 (call → ack).
 * Per-key order is checked on the topic of relay (a): every key's sequence in insert order.
 * Standalone: `npx tsx test/bench/outbox.ts [--quick]` (KAFKA_BROKERS default 127.0.0.1:19092; PostgreSQL WITNESS_PG_URL).
 */
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { z } from 'zod';
import { MIGRATION_TEMPLATE, renderMigration } from '../../generator/emit/outbox/migration.js';
import { createOutboxRelay, type OutboxRelay } from '../../templates/outbox/relay.js';
import { OutboxWriter } from '../../templates/outbox/writer.js';
import { batchItem, createLogger, defineEvent, EventProducer, KafkaTransport, kafkaConfig } from '../../templates/runtime/index.js';
import { median, ms, pairedRatio, progress, rate, ratio, verdict } from './stats.js';

const { Kafka, logLevel } = kafkajs;
const brokers = process.env.KAFKA_BROKERS?.trim() || '127.0.0.1:19092';
const PG_URL = process.env.WITNESS_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const KEYS = 100;

const Schema = z.object({ key: z.string(), seq: z.number().int(), note: z.string() });
const Event = defineEvent({ eventType: 'bench.outbox', version: '1.0.0', topics: [], schema: Schema, classification: 'internal', partitionKey: (d) => d.key });
const NOTE = 'x'.repeat(200);

export interface OutboxBenchResult {
  transactions: number;
  insert: { withoutMs: number; withMs: number; withoutP50: number; withP50: number; overheadMs: number };
  events: number;
  repetitions: number;
  direct: { eventsPerSecond: number; p99: number; runs: number[] };
  concurrent: { eventsPerSecond: number; relays: number; runs: number[] };
  singleActive: { eventsPerSecond: number; relays: number; runs: number[] };
  latency: { events: number; p50: number; p99: number };
  orderKept: boolean;
  /** Paired medians over the repetitions (each relay run against the direct run of its repetition). */
  ratios: { concurrentVsDirect: number; singleVsDirect: number; concurrentPerRep: number[] };
}

const p = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const quiet = createLogger({ level: 'error' });
const transport = (): KafkaTransport => new KafkaTransport({ config: kafkaConfig({ brokers, clientId: 'eventgen-bench-outbox' }), logger: quiet });

export async function outboxBench(options: { quick?: boolean } = {}): Promise<OutboxBenchResult> {
  const quick = options.quick === true;
  const transactions = quick ? 1000 : 5000;
  const E = quick ? 5_000 : 30_000;
  const REPS = quick ? 2 : 3;
  const schema = `eg_outbox_bench_${Date.now().toString(36)}`;
  const pool = new pg.Pool({ connectionString: PG_URL, max: 12 });
  const kafka = new Kafka({ clientId: 'eventgen-bench-outbox-admin', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topics: string[] = [];
  const newTopic = async (): Promise<string> => {
    const topic = `egbench-outbox-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 6, replicationFactor: 1 }] });
    topics.push(topic);
    return topic;
  };
  try {
    await pool.query(renderMigration(MIGRATION_TEMPLATE, { schema }));
    await pool.query(`CREATE TABLE "${schema}".orders (id bigserial PRIMARY KEY, customer text NOT NULL, total numeric NOT NULL)`);
    const outbox = `"${schema}".eventgen_outbox`;

    // 1. Insert overhead per business transaction.
    const times = { without: [] as number[], with: [] as number[] };
    const client = await pool.connect();
    try {
      for (let block = 0; block < 10; block++) {
        for (const mode of block % 2 === 0 ? (['without', 'with'] as const) : (['with', 'without'] as const)) {
          for (let i = 0; i < transactions / 10; i++) {
            const t0 = performance.now();
            await client.query('BEGIN');
            await client.query(`INSERT INTO "${schema}".orders (customer, total) VALUES ($1, $2)`, [`c${i}`, 42]);
            if (mode === 'with') await new OutboxWriter(client, { schema, source: 'bench' }).insert('bench.unused', Event, { key: `k${i % KEYS}`, seq: i, note: NOTE });
            await client.query('COMMIT');
            times[mode].push(performance.now() - t0);
          }
        }
      }
    } finally {
      client.release();
    }
    await pool.query(`DELETE FROM ${outbox}`);
    const insert = { withoutMs: mean(times.without), withMs: mean(times.with), withoutP50: p(times.without, 0.5), withP50: p(times.with, 0.5), overheadMs: mean(times.with) - mean(times.without) };

    const fill = async (topic: string, n: number, perTx = 500, onCommit?: (ids: string[], at: number) => void): Promise<void> => {
      const next = new Array<number>(KEYS).fill(0);
      for (let done = 0; done < n; ) {
        const c = await pool.connect();
        try {
          await c.query('BEGIN');
          const w = new OutboxWriter(c, { schema, source: 'bench' });
          const ids: string[] = [];
          for (let i = 0; i < perTx && done < n; i++, done++) {
            const k = done % KEYS;
            ids.push((await w.insert(topic, Event, { key: `k${k}`, seq: next[k] as number, note: NOTE })).eventId);
            next[k] = (next[k] as number) + 1;
          }
          await c.query('COMMIT');
          onCommit?.(ids, Date.now());
        } finally {
          c.release();
        }
      }
    };
    // The backlog of every relay run: E rows written once by the writer, kept as a template; each run copies them
    // (in id order, one statement) with its own topic, so the runs drain the same rows and the fill costs little.
    const template = `"${schema}".bench_template`;
    const templateTopic = 'egbench-outbox-template';
    await fill(templateTopic, E);
    await pool.query(`CREATE TABLE ${template} AS SELECT id, event_id, event_type, key, ordering_key, kafka_partition, value, headers FROM ${outbox} ORDER BY id`);
    await pool.query(`DELETE FROM ${outbox}`);
    const backlog = async (topic: string): Promise<void> => {
      await pool.query(`INSERT INTO ${outbox} (event_id, event_type, topic, key, ordering_key, kafka_partition, value, headers) SELECT event_id, event_type, $1, key, ordering_key, kafka_partition, value, headers FROM ${template} ORDER BY id`, [topic]);
      await pool.query(`ANALYZE ${outbox}`);
    };
    const drainWith = async (mode: 'concurrent' | 'single-active', topic: string): Promise<number> => {
      await backlog(topic);
      const relays: OutboxRelay[] = [0, 1, 2].map(() => createOutboxRelay({ pool, transport: transport(), schema, mode, pollIntervalMs: 200, logger: quiet }));
      const t0 = performance.now();
      await Promise.all(relays.map((r) => r.start()));
      for (;;) {
        const n = (await pool.query(`SELECT count(*)::int AS n FROM ${outbox} WHERE status = 'pending'`)).rows[0].n as number;
        if (n === 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const seconds = (performance.now() - t0) / 1000;
      await Promise.all(relays.map((r) => r.stop()));
      await pool.query(`DELETE FROM ${outbox}`);
      return E / seconds;
    };

    // 2. Direct producer baseline: the same events, sendBatch in chunks of 1,000 (one connected producer, warmed up).
    const producer = new EventProducer({ transport: transport(), source: 'bench', logger: quiet });
    await producer.connect();
    const direct = async (topic: string): Promise<number> => {
      const items = Array.from({ length: E }, (_, i) => batchItem(topic, Event, { key: `k${i % KEYS}`, seq: i, note: NOTE }));
      const d0 = performance.now();
      for (let i = 0; i < E; i += 1000) await producer.sendBatch(items.slice(i, i + 1000));
      return E / ((performance.now() - d0) / 1000);
    };

    // 3. Interleaved repetitions (the order rotates), each run on a fresh topic; ratios paired per repetition.
    const runs = { direct: [] as number[], concurrent: [] as number[], single: [] as number[] };
    let concurrentTopic = '';
    const modes = ['direct', 'concurrent', 'single'] as const;
    for (let rep = 0; rep < REPS; rep++) {
      for (let m = 0; m < modes.length; m++) {
        const mode = modes[(m + rep) % modes.length] as (typeof modes)[number];
        progress(`outbox: repetition ${rep + 1}/${REPS}, ${mode}`);
        const topic = await newTopic();
        if (mode === 'direct') runs.direct.push(await direct(topic));
        else if (mode === 'concurrent') {
          runs.concurrent.push(await drainWith('concurrent', topic));
          if (concurrentTopic === '') concurrentTopic = topic;
        } else runs.single.push(await drainWith('single-active', topic));
      }
    }
    const directTopic = await newTopic();
    const items = Array.from({ length: E / 2 }, (_, i) => batchItem(directTopic, Event, { key: `k${i % KEYS}`, seq: i, note: NOTE }));
    const chunkLatency: number[] = [];
    for (let i = 0; i < items.length; i += 50) {
      const t = performance.now();
      await producer.sendBatch(items.slice(i, i + 50));
      chunkLatency.push(performance.now() - t);
    }
    await producer.disconnect();

    // 4. Commit → ack latency while inserting.
    const latencyTopic = await newTopic();
    const relays = [0, 1, 2].map(() => createOutboxRelay({ pool, transport: transport(), schema, pollIntervalMs: 200, logger: quiet }));
    await Promise.all(relays.map((r) => r.start()));
    const committed = new Map<string, number>();
    await fill(latencyTopic, E / 2, 50, (ids, at) => {
      for (const id of ids) committed.set(id, at);
    });
    for (;;) {
      const n = (await pool.query(`SELECT count(*)::int AS n FROM ${outbox} WHERE status = 'pending'`)).rows[0].n as number;
      if (n === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(relays.map((r) => r.stop()));
    const acked = (await pool.query(`SELECT event_id, (extract(epoch FROM published_at) * 1000)::float8 AS at FROM ${outbox}`)).rows as Array<{ event_id: string; at: number }>;
    const latencies = acked.map((r) => r.at - (committed.get(r.event_id) ?? r.at));

    // 5. Per-key order on the concurrent relays' topic.
    const orderKept = await checkOrder(kafka, concurrentTopic, E);

    return {
      transactions,
      insert,
      events: E,
      repetitions: REPS,
      direct: { eventsPerSecond: median(runs.direct), p99: p(chunkLatency, 0.99), runs: runs.direct },
      concurrent: { eventsPerSecond: median(runs.concurrent), relays: 3, runs: runs.concurrent },
      singleActive: { eventsPerSecond: median(runs.single), relays: 3, runs: runs.single },
      latency: { events: latencies.length, p50: p(latencies, 0.5), p99: p(latencies, 0.99) },
      orderKept,
      ratios: {
        concurrentVsDirect: pairedRatio(runs.concurrent, runs.direct),
        singleVsDirect: pairedRatio(runs.single, runs.direct),
        concurrentPerRep: runs.concurrent.map((x, i) => x / (runs.direct[i] as number)),
      },
    };
  } finally {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
}

async function checkOrder(kafka: InstanceType<typeof Kafka>, topic: string, expected: number): Promise<boolean> {
  const consumer = kafka.consumer({ groupId: `egbench-outbox-check-${Date.now()}`, maxWaitTimeInMs: 200 });
  const last = new Map<string, number>();
  let count = 0;
  let ok = true;
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const { data } = JSON.parse(String(message.value)) as { data: { key: string; seq: number } };
      if (data.seq !== (last.get(data.key) ?? -1) + 1) ok = false;
      last.set(data.key, data.seq);
      count++;
    },
  });
  const t0 = Date.now();
  while (count < expected && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  return ok && count === expected;
}

/** The report lines and the target rows of the section. */
export function renderOutbox(r: OutboxBenchResult | { skipped: string }): { lines: string[]; targets: string[] } {
  if ('skipped' in r) return { lines: ['### Transactional outbox (PostgreSQL + real broker)', '', `Skipped: ${r.skipped}.`, ''], targets: [] };
  const us = (x: number): string => `${(x * 1000).toFixed(0)} µs`;
  return {
    lines: [
      '### Transactional outbox (PostgreSQL + real broker)',
      '',
      `Insert overhead (${r.transactions.toLocaleString('en-US')} business transactions per mode, interleaved): ${ms(r.insert.withoutMs)} ms mean (p50 ${ms(r.insert.withoutP50)}) without the outbox row, ${ms(r.insert.withMs)} ms (p50 ${ms(r.insert.withP50)}) with it: **+${us(r.insert.overheadMs)}** per transaction.`,
      '',
      `| ${r.events.toLocaleString('en-US')} events, 100 keys, 6 partitions; median of ${r.repetitions} interleaved runs | events/s (commit → ack) | vs direct (paired) |`,
      '|---|---|---|',
      `| direct \`EventProducer.sendBatch\` (chunks of 1,000; baseline) | ${rate(r.direct.eventsPerSecond)} | 1.00× |`,
      `| 3 relays, head-of-key \`FOR UPDATE SKIP LOCKED\` (default) | ${rate(r.concurrent.eventsPerSecond)} | ${ratio(r.ratios.concurrentVsDirect)} |`,
      `| 3 relays, \`single-active\` (advisory lock, one publishes) | ${rate(r.singleActive.eventsPerSecond)} | ${ratio(r.ratios.singleVsDirect)} |`,
      '',
      `Per repetition, 3 relays vs direct: ${r.ratios.concurrentPerRep.map(ratio).join(', ')}.`,
      '',
      `Commit → ack latency with 3 relays while inserting ${r.latency.events.toLocaleString('en-US')} events in transactions of 50: p50 ${ms(r.latency.p50)} ms, p99 **${ms(r.latency.p99)} ms** (direct sendBatch of 50: p99 ${ms(r.direct.p99)} ms). Per-key order on the relays' topic: ${r.orderKept ? 'kept' : '**broken**'}.`,
      '',
    ],
    targets: [`| outbox relay ≥ 0.5× a direct producer, per-key order kept | ${ratio(r.ratios.concurrentVsDirect)} (${rate(r.concurrent.eventsPerSecond)} vs ${rate(r.direct.eventsPerSecond)} events/s), order ${r.orderKept ? 'kept' : 'broken'} | ${verdict(r.ratios.concurrentVsDirect >= 0.5 && r.orderKept)} |`],
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await outboxBench({ quick: process.argv.includes('--quick') });
  if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 1));
  else console.log([...renderOutbox(result).lines, ...renderOutbox(result).targets].join('\n'));
  process.exit(0);
}
