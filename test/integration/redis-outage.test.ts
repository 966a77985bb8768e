/**
 * (f) Redis outage with the Redis processed store: a redis-server of our own (scripts/kafka) is stopped mid-stream.
 * No event is handled without a successful dedup check; the consumer holds the partition and reports the store in
 * health; after Redis returns, processing resumes, every event is handled and there are 0 duplicate side effects.
 */
import { Redis } from 'ioredis';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, stopRedis } from '../../scripts/kafka/lib.mjs';
import { EventProducer, GroupConsumer, RedisProcessedStore, TopicDelegator, batchItem, route, type EventHandler, type ProcessedStore } from '../../templates/runtime/index.js';
import { kafkaBrokers, redisUrl, uniqueName } from '../support/kafka.js';
import { TickEvent, admin, committed, createTopics, testLogger, transport, waitFor, type Tick } from './helpers.js';

const brokers = await kafkaBrokers();
const haveRedis = (await redisUrl()) !== undefined;
const PORT = 16391;

describe.skipIf(!brokers || !haveRedis)('kafka + redis: outage (f)', () => {
  let a: Admin;
  let redis: Redis;
  beforeAll(async () => {
    a = await admin(brokers!);
    await startRedis({ port: PORT });
    redis = new Redis({ port: PORT, host: '127.0.0.1', maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    redis.on('error', () => {}); // outages are expected here; the store reports them
  });
  afterAll(async () => {
    redis?.disconnect();
    await stopRedis({ port: PORT });
    await a?.disconnect();
  });

  it('holds while Redis is down (no unchecked handling, health reports it), then resumes with 0 duplicates', async () => {
    const topic = uniqueName('it-redis');
    const groupId = uniqueName('g-redis');
    await createTopics(a, [{ topic, partitions: 2 }]);
    const TOTAL = 300;
    const checked = new Set<string>(); // eventIds whose claim Redis answered
    const redisStore = new RedisProcessedStore({ client: redis, operationTimeoutMs: 300 });
    const store: ProcessedStore = {
      async claim(g, ids, owner, leaseMs) {
        const r = await redisStore.claim(g, ids, owner, leaseMs);
        for (const id of ids) checked.add(id);
        return r;
      },
      renew: (g, ids, owner, leaseMs) => redisStore.renew(g, ids, owner, leaseMs),
      complete: (g, ids) => redisStore.complete(g, ids),
      release: (g, ids, owner) => redisStore.release(g, ids, owner),
    };
    const handled: string[] = [];
    const unchecked: string[] = [];
    let down = false;
    let handledWhileDown = 0;
    const handler: EventHandler<Tick> = {
      async handle(_d, ctx) {
        if (!checked.has(ctx.eventId)) unchecked.push(ctx.eventId);
        if (down) handledWhileDown += 1;
        handled.push(ctx.eventId);
        await new Promise((r) => setTimeout(r, 10));
      },
    };
    const t = transport(brokers!);
    const consumer = new GroupConsumer({
      groupId,
      transport: t,
      topics: [new TopicDelegator({ topic, routes: [route(TickEvent, handler)] })],
      store,
      storeRetry: { maxRetries: 0, initialDelayMs: 100, maxDelayMs: 500, multiplier: 2, jitter: 0.2 },
      fromBeginning: true,
      logger: testLogger(),
    });
    const producer = new EventProducer({ transport: t, source: 'it' });
    await producer.sendBatch(Array.from({ length: TOTAL }, (_, i) => batchItem(topic, TickEvent, { key: `k${i % 10}`, seq: i })));
    await producer.disconnect();
    await consumer.start();
    try {
      await waitFor(() => handled.length >= 60, 30_000, () => `handled ${handled.length}`);
      await stopRedis({ port: PORT });
      const outageStart = handled.length;
      await new Promise((r) => setTimeout(r, 50)); // the in-flight attempts (checked before the outage) finish
      down = true;
      const atDown = handled.length;
      await waitFor(() => consumer.health().failingPartitions.length > 0, 10_000, () => JSON.stringify(consumer.health()));
      await new Promise((r) => setTimeout(r, 3000));
      const during = handled.length - atDown;
      const health = consumer.health();
      expect(health.healthy).toBe(false);
      expect(health.failingPartitions[0]?.reason).toMatch(/processed store unavailable/);
      down = false;
      const restartAt = Date.now();
      await startRedis({ port: PORT });
      await waitFor(() => new Set(handled).size >= TOTAL, 60_000, () => `handled ${new Set(handled).size}/${TOTAL}`);
      const resumeMs = Date.now() - restartAt;
      await waitFor(async () => [...(await committed(a, groupId, topic)).values()].reduce((n, o) => n + Number(o), 0) === TOTAL, 15_000);
      await waitFor(() => consumer.health().healthy, 5_000, () => JSON.stringify(consumer.health()));
      const duplicates = handled.length - new Set(handled).size;
      console.log(`[it] (f) Redis stopped after ${outageStart} handled; handled during the 3 s outage ${during} (unchecked ${handledWhileDown}); resumed and finished ${TOTAL} ${resumeMs} ms after Redis returned; unchecked ${unchecked.length}, duplicates ${duplicates}`);
      expect(during).toBe(0);
      expect(handledWhileDown).toBe(0);
      expect(unchecked).toEqual([]);
      expect(duplicates).toBe(0);
    } finally {
      await consumer.stop();
    }
  });
});
