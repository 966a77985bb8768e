/**
 * Non-blocking retry topics on a real broker (issue #16 part 1): `delays: [1s, 2s]`.
 * (1) A record failing twice then succeeding is handled on attempt 3, each retry at least its declared delay after
 *     the failure before, while 500 records behind it on the same partition are handled without waiting for it.
 * (2) A record failing 3 times lands in the dead-letter topic with the whole attempt history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin } from 'kafkajs';
import { DLQ_HEADERS, EventProducer, GroupConsumer, RETRY_HEADERS, TopicDelegator, batchItem, retryHistory, retryTopicsPolicy, route, type EventHandler } from '../../templates/runtime/index.js';
import { kafkaBrokers, uniqueName } from '../support/kafka.js';
import { TickEvent, admin, committed, createTopics, endOffsets, readAll, testLogger, transport, waitFor, type Tick } from './helpers.js';

const brokers = await kafkaBrokers();
const DELAYS = [1_000, 2_000];

describe.skipIf(!brokers)('kafka: retry topics', () => {
  let a: Admin;
  beforeAll(async () => {
    a = await admin(brokers!);
  });
  afterAll(async () => {
    await a?.disconnect();
  });

  async function topicsFor(topic: string, groupId: string) {
    const policy = retryTopicsPolicy(topic, groupId, DELAYS);
    await createTopics(a, [{ topic, partitions: 1 }, { topic: `${topic}.dlq`, partitions: 1 }, ...policy.topics.map((t) => ({ topic: t, partitions: 1 }))]);
    return policy;
  }

  it('(1) fails twice then succeeds on attempt 3 after >= the declared delays; 500 records behind it are handled meanwhile', async () => {
    const topic = uniqueName('it-retry-topics');
    const groupId = uniqueName('g-retry-topics');
    const policy = await topicsFor(topic, groupId);
    const t = transport(brokers!);
    const attempts: Array<{ attempt: number; at: number; topic: string }> = [];
    const others = new Map<number, number>(); // seq -> handled at
    const handler: EventHandler<Tick> = {
      async handle(data, ctx) {
        if (data.key === 'flaky') {
          attempts.push({ attempt: ctx.attempt, at: Date.now(), topic: ctx.topic });
          if (ctx.attempt < 3) throw new Error(`flaky failure ${ctx.attempt}`);
          return;
        }
        others.set(data.seq, Date.now());
      },
    };
    const consumer = new GroupConsumer({ groupId, transport: t, topics: [new TopicDelegator({ topic, retryTopics: policy, routes: [route(TickEvent, handler)] })], store: null, logger: testLogger() });
    const producer = new EventProducer({ transport: t, source: 'it' });
    // The flaky record first, then 500 others on the same (only) partition.
    await producer.sendBatch([batchItem(topic, TickEvent, { key: 'flaky', seq: 0 }), ...Array.from({ length: 500 }, (_, i) => batchItem(topic, TickEvent, { key: `k${i}`, seq: i }))]);
    await producer.disconnect();
    await consumer.start();
    try {
      await waitFor(() => attempts.length >= 3 && others.size >= 500, 30_000, () => `attempts ${attempts.length}, others ${others.size}`);
      const [first, second, third] = attempts as [(typeof attempts)[0], (typeof attempts)[0], (typeof attempts)[0]];
      const lastOther = Math.max(...others.values());
      console.log(`[it] retry topics (1): attempts at +0, +${second.at - first.at} ms (${second.topic}), +${third.at - first.at} ms (${third.topic}); 500 others done ${lastOther - first.at} ms after attempt 1`);
      expect(attempts.map((x) => x.attempt)).toEqual([1, 2, 3]);
      expect(attempts.map((x) => x.topic)).toEqual([topic, ...policy.topics]);
      expect(second.at - first.at).toBeGreaterThanOrEqual(DELAYS[0] as number);
      expect(third.at - second.at).toBeGreaterThanOrEqual(DELAYS[1] as number);
      // Not blocked: every other record was handled before the first retry was even due.
      expect(lastOther).toBeLessThan(first.at + (DELAYS[0] as number));
      expect(others.size).toBe(500);
      await waitFor(
        async () => {
          for (const tp of [topic, ...policy.topics]) {
            const ends = await endOffsets(a, tp);
            const c = await committed(a, groupId, tp);
            if (![...ends].every(([p, end]) => c.get(p) === end)) return false;
          }
          return true;
        },
        15_000,
        () => 'committed offsets of the topic and its retry topics did not reach their ends',
        200,
      );
    } finally {
      await consumer.stop();
    }
    expect(consumer.metrics.get('dead_lettered')).toBe(0);
  }, 60_000);

  it('(2) a record failing 3 times lands in the DLQ with the full attempt history', async () => {
    const topic = uniqueName('it-retry-topics-dlq');
    const groupId = uniqueName('g-retry-topics-dlq');
    const policy = await topicsFor(topic, groupId);
    const t = transport(brokers!);
    const attempts: number[] = [];
    const handler: EventHandler<Tick> = {
      async handle(_data, ctx) {
        attempts.push(ctx.attempt);
        throw new Error(`always fails (attempt ${ctx.attempt})`);
      },
    };
    const consumer = new GroupConsumer({ groupId, transport: t, topics: [new TopicDelegator({ topic, retryTopics: policy, routes: [route(TickEvent, handler)] })], store: null, logger: testLogger() });
    const producer = new EventProducer({ transport: t, source: 'it' });
    const [sent] = await producer.sendBatch([batchItem(topic, TickEvent, { key: 'doomed', seq: 0 })]);
    await producer.disconnect();
    await consumer.start();
    try {
      const [dead] = await readAll(brokers!, `${topic}.dlq`, 1, 30_000);
      expect(dead).toBeDefined();
      const h = dead!.headers;
      console.log(`[it] retry topics (2): dlq headers attempts=${h[DLQ_HEADERS.attempts]} history=${h[RETRY_HEADERS.history]}`);
      expect(attempts).toEqual([1, 2, 3]);
      expect(dead!.key).toBe('doomed');
      expect(h[DLQ_HEADERS.attempts]).toBe('3');
      expect(h[DLQ_HEADERS.reason]).toBe('retries-exhausted');
      expect(h[DLQ_HEADERS.errorMessage]).toBe('always fails (attempt 3)');
      expect(h[RETRY_HEADERS.originalTopic]).toBe(topic);
      expect(h[RETRY_HEADERS.originalOffset]).toBe(sent?.offset ?? '0');
      expect(retryHistory(h).map((e) => `${e.attempt} ${e.errorClass}: ${e.message}`)).toEqual(['1 Error: always fails (attempt 1)', '2 Error: always fails (attempt 2)']);
    } finally {
      await consumer.stop();
    }
  }, 60_000);
});
