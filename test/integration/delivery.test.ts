/**
 * (a) Throughput and ordering on a real broker: 10,000 events over 3 partitions and 200 keys are each handled
 * exactly once, in per-key order, and the group's committed offsets end equal to the end offsets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin } from 'kafkajs';
import { EventProducer, GroupConsumer, TopicDelegator, batchItem, route, type EventHandler } from '../../templates/runtime/index.js';
import { kafkaBrokers, uniqueName } from '../support/kafka.js';
import { TickEvent, admin, committed, createTopics, endOffsets, testLogger, transport, waitFor, type Tick } from './helpers.js';

const brokers = await kafkaBrokers();

describe.skipIf(!brokers)('kafka: delivery (a)', () => {
  let a: Admin;
  beforeAll(async () => {
    a = await admin(brokers!);
  });
  afterAll(async () => {
    await a?.disconnect();
  });

  it('10,000 events, 3 partitions, 200 keys: each handled once, per-key order kept, committed = end offsets', async () => {
    const topic = uniqueName('it-delivery');
    const groupId = uniqueName('g-delivery');
    await createTopics(a, [{ topic, partitions: 3 }]);
    const t = transport(brokers!, { consumer: { partitionsConsumedConcurrently: 3 } });
    const TOTAL = 10_000;
    const KEYS = 200;

    const seen = new Map<string, number>(); // eventId -> times handled
    const lastSeq = new Map<string, number>();
    const orderViolations: string[] = [];
    const handler: EventHandler<Tick> = {
      async handle(data, ctx) {
        seen.set(ctx.eventId, (seen.get(ctx.eventId) ?? 0) + 1);
        const prev = lastSeq.get(data.key) ?? -1;
        if (data.seq !== prev + 1) orderViolations.push(`${data.key}: ${prev} -> ${data.seq}`);
        lastSeq.set(data.key, data.seq);
      },
    };
    const consumer = new GroupConsumer({
      groupId,
      transport: t,
      topics: [new TopicDelegator({ topic, routes: [route(TickEvent, handler)] })],
      store: null, // no dedup: "handled once" must come from the delivery itself
      fromBeginning: true,
      logger: testLogger(),
    });

    const producer = new EventProducer({ transport: t, source: 'it' });
    const t0 = Date.now();
    const perKey = new Map<string, number>();
    for (let sent = 0; sent < TOTAL; ) {
      const items = [];
      for (let i = 0; i < 1000 && sent < TOTAL; i++, sent++) {
        const key = `k${sent % KEYS}`;
        const seq = perKey.get(key) ?? 0;
        perKey.set(key, seq + 1);
        items.push(batchItem(topic, TickEvent, { key, seq }));
      }
      const metadata = await producer.sendBatch(items);
      expect(metadata).toHaveLength(items.length);
    }
    const produceMs = Date.now() - t0;
    await producer.disconnect();
    const ends = await endOffsets(a, topic);
    expect([...ends.values()].reduce((n, o) => n + Number(o), 0)).toBe(TOTAL);
    expect([...ends.values()].every((o) => Number(o) > 0)).toBe(true); // all 3 partitions used

    const t1 = Date.now();
    await consumer.start();
    try {
      await waitFor(() => seen.size >= TOTAL, 150_000, () => `handled ${seen.size}/${TOTAL}`, 200);
      const consumeMs = Date.now() - t1;
      await waitFor(
        async () => {
          const c = await committed(a, groupId, topic);
          return [...ends].every(([p, end]) => c.get(p) === end);
        },
        15_000,
        () => 'committed offsets did not reach the end offsets',
        200,
      );
      const duplicates = [...seen.values()].filter((n) => n > 1).length;
      console.log(`[it] (a) produced ${TOTAL} in ${produceMs} ms, consumed in ${consumeMs} ms; duplicates ${duplicates}; order violations ${orderViolations.length}; end offsets ${JSON.stringify(Object.fromEntries(ends))}`);
      expect(seen.size).toBe(TOTAL);
      expect(duplicates).toBe(0);
      expect(orderViolations).toEqual([]);
      expect(consumer.health()).toMatchObject({ healthy: true, status: 'running', processed: TOTAL });
    } finally {
      await consumer.stop();
    }
    expect(Object.fromEntries(await committed(a, groupId, topic))).toEqual(Object.fromEntries(ends));
  });
});
