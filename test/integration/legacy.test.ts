/**
 * Legacy record formats (`x-legacy`) and version chains (`x-previous-versions`) on a real broker: raw legacy JSON
 * records and producer envelopes interleaved on one topic are handled in per-key order (legacy v1 upcast to v3); the
 * same records redelivered at the same offsets (the group's offsets reset to the beginning) are skipped by the
 * processed store thanks to their deterministic event ids; an unknown version lands in `<topic>.dlq` with reason
 * `version` (and an unknown legacy type with `unknown-event-type`).
 */
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EventProducer, GroupConsumer, InMemoryProcessedStore, TopicDelegator, defineEvent, route, type EventHandler, type LegacyFormat, type ProcessedStore } from '../../templates/runtime/index.js';
import { kafkaBrokers, uniqueName } from '../support/kafka.js';
import { admin, committed, createTopics, endOffsets, readAll, testLogger, transport, waitFor } from './helpers.js';

const brokers = await kafkaBrokers();

// The fixture catalog's events (test/fixtures/catalogs/legacy-formats), on a topic unique to this run.
const PriceUpdated = defineEvent({
  eventType: 'price.updated',
  version: '3',
  topics: [],
  schema: z.object({ sku: z.string(), amountCents: z.number().int(), currency: z.string() }),
  classification: 'public',
  partitionKey: (d) => d.sku,
  upcasters: [
    { version: 1, rename: { price: 'amount' }, defaults: { currency: 'EUR' } },
    { version: 2, rename: { amount: 'amountCents' }, remove: ['legacyFlag'] },
  ],
});
const OrderPlaced = defineEvent({ eventType: 'order.placed', version: '1.0.0', topics: [], schema: z.object({ orderId: z.string(), sku: z.string() }), classification: 'internal', partitionKey: (d) => d.sku });
const LEGACY: LegacyFormat = { typeField: 'type', timestampField: 'timestamp', userIdField: 'user', types: { PRICE_UPDATE: 'price.updated', ORDER_PLACED: 'order.placed' } };

type Call = { key: string; type: string; source: string; eventId: string; data: unknown };

describe.skipIf(!brokers)('kafka: legacy formats and version chains', () => {
  let a: Admin;
  beforeAll(async () => {
    a = await admin(brokers!);
  });
  afterAll(async () => {
    await a?.disconnect();
  });

  it('interleaved legacy/envelope records in per-key order; redelivered legacy records deduplicated; unknown version → DLQ', async () => {
    const topic = uniqueName('it-legacy');
    const groupId = uniqueName('g-legacy');
    await createTopics(a, [
      { topic, partitions: 3 },
      { topic: `${topic}.dlq`, partitions: 1 },
    ]);
    const t = transport(brokers!);
    const calls: Call[] = [];
    const handler = <T>(type: string): EventHandler<T> => ({
      async handle(data, ctx) {
        calls.push({ key: ctx.record.key?.toString() ?? '', type, source: ctx.metadata.source, eventId: ctx.eventId, data });
      },
    });
    const store: ProcessedStore = new InMemoryProcessedStore();
    const consumer = (): GroupConsumer =>
      new GroupConsumer({
        groupId,
        transport: t,
        topics: [new TopicDelegator({ topic, legacy: LEGACY, routes: [route(PriceUpdated, handler('price.updated')), route(OrderPlaced, handler('order.placed'))] })],
        store,
        fromBeginning: true,
        logger: testLogger(),
      });

    // Produce: per key, legacy and envelope records alternate (sequential sends: the per-key order is the log order).
    const producer = new EventProducer({ transport: t, source: 'it' });
    const raw = t.producer();
    await raw.connect();
    const sendRaw = async (key: string, value: unknown): Promise<void> => {
      await raw.send([{ topic, messages: [{ key, value: JSON.stringify(value) }] }]);
    };
    const keys = ['sku-a', 'sku-b', 'sku-c', 'sku-d'];
    for (const key of keys) {
      await sendRaw(key, { type: 'PRICE_UPDATE', timestamp: 1700000000000, user: 'u-1', sku: key, price: 100 });
      await producer.send(topic, PriceUpdated, { sku: key, amountCents: 110, currency: 'USD' });
      await sendRaw(key, { type: 'ORDER_PLACED', timestamp: '2024-05-01T10:00:00Z', orderId: `${key}-o1`, sku: key });
      await producer.send(topic, OrderPlaced, { orderId: `${key}-o2`, sku: key });
      await sendRaw(key, { type: 'PRICE_UPDATE', sku: key, price: 120, currency: 'GBP' });
    }
    // Poison: a newer version than this consumer knows, and a legacy type the catalog does not map.
    const future = { eventId: uniqueName('e'), eventType: 'price.updated', eventVersion: '4', correlationId: 'c-4', timestamp: new Date().toISOString(), source: 'future', dataClassification: 'public', partitionKey: 'sku-a' };
    await sendRaw('sku-a', { metadata: future, data: { sku: 'sku-a', amountCents: 1, currency: 'EUR' } });
    await sendRaw('sku-a', { type: 'PRICE_DROPPED', sku: 'sku-a' });
    await producer.disconnect();
    await raw.disconnect();
    const ends = await endOffsets(a, topic);
    const atEnd = async (): Promise<boolean> => {
      const c = await committed(a, groupId, topic);
      return [...ends].every(([p, end]) => end === '0' || c.get(p) === end); // a partition no key hashed to has no commit
    };

    // First delivery.
    const first = consumer();
    await first.start();
    try {
      await waitFor(() => calls.length >= keys.length * 5, 60_000, () => `handled ${calls.length}/${keys.length * 5}`);
      await waitFor(atEnd, 30_000, () => 'committed offsets did not reach the end offsets');
    } finally {
      await first.stop();
    }
    for (const key of keys) {
      expect(calls.filter((c) => c.key === key).map((c) => [c.type, c.source, c.data])).toEqual([
        ['price.updated', 'legacy', { sku: key, amountCents: 100, currency: 'EUR' }],
        ['price.updated', 'it', { sku: key, amountCents: 110, currency: 'USD' }],
        ['order.placed', 'legacy', { orderId: `${key}-o1`, sku: key }],
        ['order.placed', 'it', { orderId: `${key}-o2`, sku: key }],
        ['price.updated', 'legacy', { sku: key, amountCents: 120, currency: 'GBP' }],
      ]);
    }
    expect(calls).toHaveLength(keys.length * 5);
    const dead = await readAll(brokers!, `${topic}.dlq`, 2);
    expect(dead.map((d) => d.headers['dlq-reason']).sort()).toEqual(['unknown-event-type', 'version']);
    expect(dead.find((d) => d.headers['dlq-reason'] === 'version')?.headers).toMatchObject({ 'dlq-event-version': '4', 'dlq-supported-version': '3', 'dlq-error-class': 'EventVersionError', 'dlq-original-topic': topic });

    // Second delivery of the same offsets: the group's offsets back to the beginning, same processed store.
    await a.setOffsets({ groupId, topic, partitions: [...ends.keys()].map((partition) => ({ partition, offset: '0' })) });
    const second = consumer();
    await second.start();
    try {
      await waitFor(atEnd, 60_000, () => 'committed offsets did not reach the end offsets after the reset');
    } finally {
      await second.stop();
    }
    expect(calls).toHaveLength(keys.length * 5); // nothing handled twice
    expect(second.metrics.get('duplicates_skipped')).toBeGreaterThanOrEqual(keys.length * 5);
  }, 180_000);
});
