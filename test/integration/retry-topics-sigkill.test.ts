/**
 * Retry topics survive SIGKILL (issue #16 part 1), on a real broker with PostgreSQL as the witness: 60 records each
 * fail attempts 1 and 2 and succeed on attempt 3 (delays [1s, 2s]); the consumer process is SIGKILLed while records
 * are in the middle of the chain and a new one takes over. Every handler attempt is a row written before the handler
 * decides. Asserted: 0 records lost (each has a successful attempt 3), no attempt beyond 3, and per record at most
 * one repeated attempt. A second case runs 3,000 records of which 1 % take the chain, so the retry-topic writes are
 * in flight (pipelined) while the records behind them are handled when the process is killed.
 */
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin } from 'kafkajs';
import { EventProducer, batchItem, retryTopicsPolicy } from '../../templates/runtime/index.js';
import { kafkaBrokers, redisUrl, uniqueName } from '../support/kafka.js';
import { TickEvent, admin, createTopics, transport, waitFor, childProcesses } from './helpers.js';
import { PG_URL, pgProblem } from './witness/witness-db.js';

const brokers = await kafkaBrokers();
const redis = await redisUrl();
const pgReason = brokers ? await pgProblem(PG_URL) : 'no broker';
const DELAYS = [1_000, 2_000];
const N = 60;

describe.skipIf(!brokers || !redis || pgReason !== '')('kafka: retry topics under SIGKILL (witness: PostgreSQL)', () => {
  let a: Admin;
  let db: pg.Client;
  const children = childProcesses({ entry: path.resolve(import.meta.dirname, 'retry-topics/child.ts'), name: 'retry-topics', envVar: 'RETRY_CHILD' });
  const start = children.start;
  beforeAll(async () => {
    a = await admin(brokers!);
    db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    await children.prepare();
  });
  afterAll(async () => {
    children.killAll();
    await a?.disconnect();
    await db?.end();
  });

  /** A fresh topic (2 partitions), its retry topics and DLQ, a witness table, and `n` records produced (keys k0..k{keys-1}). */
  async function scenario(name: string, n: number, keys: number, extra: Record<string, unknown> = {}) {
    const topic = uniqueName(`it-${name}`);
    const groupId = uniqueName(`g-${name}`);
    const table = `${name.replaceAll('-', '_')}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    await db.query(`create table ${table} (event_id text not null, seq int not null, attempt int not null, topic text not null, pid int not null, at_ms bigint not null)`);
    const policy = retryTopicsPolicy(topic, groupId, DELAYS);
    await createTopics(a, [{ topic, partitions: 2 }, { topic: `${topic}.dlq`, partitions: 1 }, ...policy.topics.map((t) => ({ topic: t, partitions: 2 }))]);
    const producer = new EventProducer({ transport: transport(brokers!), source: 'it' });
    for (let i = 0; i < n; i += 500) await producer.sendBatch(Array.from({ length: Math.min(500, n - i) }, (_, k) => batchItem(topic, TickEvent, { key: `k${(i + k) % keys}`, seq: i + k })));
    await producer.disconnect();
    return {
      table,
      config: { brokers, topic, groupId, pg: PG_URL, table, redis, delaysMs: DELAYS, ...extra },
      count: async (sql: string): Promise<number> => Number((await db.query<{ n: string }>(sql)).rows[0]?.n ?? 0),
      drop: () => db.query(`drop table if exists ${table}`),
    };
  }

  it(`${N} records through [1s, 2s]; SIGKILL mid-chain: 0 lost, no attempt past 3, at most one repeated attempt per record`, async () => {
    const { table, config, count, drop } = await scenario('retry-kill', N, N);
    try {
      const first = await start(config);
      // Mid-chain: some records are on their second attempt, none finished.
      await waitFor(async () => (await count(`select count(*) as n from ${table} where attempt = 2`)) >= N / 3, 30_000, () => 'no second attempts');
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      const before = await count(`select count(*) as n from ${table}`);
      const second = await start(config);
      await waitFor(async () => (await count(`select count(distinct event_id) as n from ${table} where attempt = 3`)) >= N, 60_000, () => 'not every record reached attempt 3');
      // Let anything repeated after the last success show up before counting.
      await new Promise((r) => setTimeout(r, 3_000));
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
      const events = await count(`select count(distinct event_id) as n from ${table}`);
      const succeeded = await count(`select count(distinct event_id) as n from ${table} where attempt = 3`);
      const beyond = await count(`select count(*) as n from ${table} where attempt > 3`);
      const repeats = (await db.query<{ event_id: string; repeats: string }>(`select event_id, sum(c - 1) as repeats from (select event_id, attempt, count(*) as c from ${table} group by event_id, attempt) x group by event_id having sum(c - 1) > 0`)).rows;
      const totalRepeats = repeats.reduce((n, r) => n + Number(r.repeats), 0);
      console.log(`[it] retry topics SIGKILL: ${N} records, ${before} attempts before the kill, ${await count(`select count(*) as n from ${table}`)} attempts in all (${3 * N} without repeats); lost ${N - succeeded}; records with repeated attempts ${repeats.length}, repeated attempts ${totalRepeats}; attempts past 3: ${beyond}`);
      expect(events).toBe(N);
      expect(succeeded).toBe(N);
      expect(beyond).toBe(0);
      expect(repeats.filter((r) => Number(r.repeats) > 1)).toEqual([]);
    } finally {
      await drop();
    }
  }, 120_000);

  it('3,000 records, 1 % through [1s, 2s] with the writes pipelined; SIGKILL under load: 0 lost, no attempt handled more than twice, none past 3', async () => {
    const n = 3_000;
    const failEvery = 100;
    const { table, config, count, drop } = await scenario('retry-kill-load', n, 97, { failEvery });
    const chained = n / failEvery;
    try {
      const first = await start(config);
      // Under load: failing records are being moved while the ones behind them are handled.
      await waitFor(async () => (await count(`select count(*) as n from ${table} where attempt = 1 and seq % ${failEvery} = 0`)) >= chained / 3, 60_000, () => 'no failing record reached');
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      const second = await start(config);
      const done = `select count(distinct event_id) as n from ${table} where (seq % ${failEvery} <> 0) or attempt = 3`;
      await waitFor(async () => (await count(done)) >= n, 90_000, () => 'not every record completed');
      await new Promise((r) => setTimeout(r, 3_000));
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
      const completed = await count(done);
      const completions = await count(`select count(*) as n from ${table} where (seq % ${failEvery} <> 0) or attempt = 3`);
      const beyond = await count(`select count(*) as n from ${table} where attempt > 3`);
      const twice = (await db.query<{ event_id: string }>(`select event_id from ${table} group by event_id, attempt having count(*) > 2`)).rows;
      console.log(`[it] retry topics SIGKILL under load: ${n} records (${chained} through the chain); lost ${n - completed}; completions ${completions} (${n} without repeats); attempts past 3: ${beyond}`);
      expect(completed).toBe(n);
      expect(beyond).toBe(0);
      // A record handled when the process died may be handled once more by the next owner, never more.
      expect(twice).toEqual([]);
      expect(completions - n).toBeLessThanOrEqual(n / 10);
    } finally {
      await drop();
    }
  }, 180_000);
});
