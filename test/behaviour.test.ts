/**
 * Behaviour of the generated code (the committed generated/ tree for the bundled catalog) on the in-memory
 * transport: typed produce → route → typed handler; validation at produce; every poison-pill path to the
 * dead-letter topic; stubs are safe until implemented; events a group does not receive are acknowledged.
 */
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createProducers,
  decodeHeaders,
  EventProducer,
  EventValidationError,
  events,
  InMemoryTransport,
  notificationService,
  partitionForKey,
  paymentService,
  silentLogger,
  TOPIC_PARTITIONS,
  topics,
  type EventContext,
  type EventHandler,
  type GroupConsumer,
  type OrderCreated,
  type OrderCancelled,
} from '../generated/index.js';
import { generateAt, ROOT } from './support/tree.js';

const consumers: GroupConsumer[] = [];
afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.stop()));
});

/** Example payloads from the catalog itself (validated against the schemas in the last test). */
const EXAMPLES = new Map<string, unknown>();
beforeAll(async () => {
  const result = await generateAt(path.join(ROOT, 'catalog/shop.asyncapi.yaml'));
  for (const e of result.catalog?.events ?? []) EXAMPLES.set(e.type, e.examples[0]?.payload);
});
const example = <T>(type: string): T => structuredClone(EXAMPLES.get(type)) as T;
type OrderInput = Parameters<ReturnType<typeof createProducers>['shopOrdersV1']['orderCreated']>[0];

function recorder<T>(fail?: (data: T) => Error | undefined): EventHandler<T> & { seen: Array<{ data: T; ctx: EventContext }> } {
  const seen: Array<{ data: T; ctx: EventContext }> = [];
  return {
    seen,
    async handle(data, ctx) {
      seen.push({ data, ctx });
      const err = fail?.(data);
      if (err) throw err;
    },
  };
}

async function setup() {
  const transport = new InMemoryTransport({ defaultPartitions: 3, redeliveryDelayMs: 5 });
  const producer = new EventProducer({ transport, source: 'order-service', logger: silentLogger });
  const producers = createProducers(producer);
  return { transport, producer, producers };
}

describe('generated producers', () => {
  it('validate, envelope, key and send with the catalog metadata', async () => {
    const { transport, producers } = await setup();
    const ORDER = example<OrderInput>('order.created');
    delete ORDER.channel;
    const meta = await producers.shopOrdersV1.orderCreated(ORDER, { correlationId: 'corr-1' });
    expect(meta.topic).toBe('shop.orders.v1');
    const [record] = transport.records('shop.orders.v1');
    expect(record?.key?.toString()).toBe(ORDER.orderId); // x-partition-key: { field: orderId }
    const headers = decodeHeaders(record?.headers ?? {});
    expect(headers).toMatchObject({ 'event-type': 'order.created', 'event-version': '1.0.0', 'correlation-id': 'corr-1', 'content-type': 'application/json', source: 'order-service' });
    const envelope = JSON.parse(record?.value?.toString() ?? '{}');
    expect(envelope.metadata).toMatchObject({ eventType: 'order.created', eventVersion: '1.0.0', correlationId: 'corr-1', source: 'order-service', dataClassification: 'confidential', partitionKey: ORDER.orderId });
    expect(envelope.metadata.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(envelope.data.channel).toBe('web'); // schema default applied before sending
  });

  it('refuse an invalid payload before anything reaches the topic', async () => {
    const { transport, producers } = await setup();
    const bad = { ...example<OrderInput>('order.created'), orderNumber: 'not-an-order-number' };
    await expect(producers.shopOrdersV1.orderCreated(bad)).rejects.toBeInstanceOf(EventValidationError);
    expect(transport.records('shop.orders.v1')).toHaveLength(0);
  });

  it('derive nested and constant keys from the catalog rules', async () => {
    const rules = Object.values(events).map((e) => [e.eventType, e.partitionKey.toString()]);
    expect(rules.length).toBe(18);
    const byType = new Map<string, (typeof events)[keyof typeof events]>(Object.values(events).map((e) => [e.eventType, e]));
    const registered = byType.get('customer.registered');
    expect(registered?.partitionKey({ customer: { id: 'c-42' } } as never)).toBe('c-42');
    const snap = byType.get('inventory.snapshotted');
    expect(snap?.partitionKey({} as never)).toBe('inventory');
  });
});

describe('TOPIC_PARTITIONS', () => {
  it('gives the in-memory transport the catalog\'s partition counts, dead-letter topics included', async () => {
    expect(TOPIC_PARTITIONS['shop.orders.v1']).toBe(topics['shop.orders.v1'].partitions);
    expect(TOPIC_PARTITIONS['shop.orders.v1.dlq']).toBe(6); // x-dead-letter: { partitions: 6 }
    const transport = new InMemoryTransport({ partitions: TOPIC_PARTITIONS });
    const producers = createProducers(new EventProducer({ transport, source: 'order-service', logger: silentLogger }));
    await producers.shopOrdersV1.orderCreated(example('order.created'));
    expect(transport.partitionCount('shop.orders.v1')).toBe(12);
    const [record] = transport.records('shop.orders.v1');
    // Keyed onto the partition Kafka's default partitioner picks for 12 partitions.
    expect(record?.partition).toBe(partitionForKey(Buffer.from(example<{ orderId: string }>('order.created').orderId), 12));
  });
});

describe('generated consumers (topic delegator layout)', () => {
  it('route each event type to its typed handler and commit', async () => {
    const { transport, producers } = await setup();
    const created = recorder<OrderCreated>();
    const cancelled = recorder<OrderCancelled>();
    const consumer = paymentService.createConsumer({
      transport,
      logger: silentLogger,
      fromBeginning: true,
      handlers: { orderCreated: created, orderCancelled: cancelled },
    });
    consumers.push(consumer);
    await consumer.start();
    await producers.shopOrdersV1.orderCreated(example('order.created'), { correlationId: 'corr-2' });
    await producers.shopOrdersV1.orderCancelled(example('order.cancelled'));
    await transport.drain();
    expect(created.seen).toHaveLength(1);
    expect(created.seen[0]?.data).toEqual(example<OrderCreated>('order.created'));
    expect(created.seen[0]?.ctx).toMatchObject({ topic: 'shop.orders.v1', eventType: 'order.created', correlationId: 'corr-2', attempt: 1 });
    expect(cancelled.seen).toHaveLength(1);
    const partition = transport.records('shop.orders.v1')[0]?.partition ?? -1;
    expect(transport.committedOffset('payment-service', 'shop.orders.v1', partition)).toBe(transport.endOffset('shop.orders.v1', partition));
  });

  it('acknowledge events of the topic the group does not receive, without a handler or a DLQ record', async () => {
    const { transport, producers } = await setup();
    const created = recorder<OrderCreated>();
    const consumer = paymentService.createConsumer({
      transport,
      logger: silentLogger,
      fromBeginning: true,
      handlers: { orderCreated: created, orderCancelled: recorder() },
    });
    consumers.push(consumer);
    await consumer.start();
    await producers.shopOrdersV1.orderShipped(example('order.shipped'));
    await transport.drain();
    expect(transport.records('shop.orders.v1.dlq')).toHaveLength(0);
    expect(consumer.metrics.get('ignored', { event_type: 'order.shipped' })).toBe(1);
    const partition = transport.records('shop.orders.v1')[0]?.partition ?? -1;
    expect(transport.committedOffset('payment-service', 'shop.orders.v1', partition)).toBe('1');
  });

  it('send a stub’s NotImplementedError to the dead-letter topic (nothing silently acknowledged)', async () => {
    const { transport, producers } = await setup();
    const consumer = paymentService.createConsumer({ transport, logger: silentLogger, fromBeginning: true, handlers: paymentService.createHandlers() });
    consumers.push(consumer);
    await consumer.start();
    await producers.shopOrdersV1.orderCreated(example('order.created'));
    await transport.drain();
    const dead = transport.records('shop.orders.v1.dlq');
    expect(dead).toHaveLength(1);
    expect(decodeHeaders(dead[0]?.headers ?? {})).toMatchObject({ 'dlq-reason': 'handler-non-retriable', 'dlq-error-class': 'NotImplementedError', 'dlq-attempts': '1', 'dlq-consumer-group': 'payment-service' });
    expect(dead[0]?.value?.toString()).toBe(transport.records('shop.orders.v1')[0]?.value?.toString());
  });

  it.each([
    ['decode', 'not json at all'],
    ['envelope', JSON.stringify({ orderId: 'flat legacy payload' })],
    ['validation', 'invalid-payload'],
    ['unknown-event-type', 'unknown-type'],
  ])('dead-letter a %s failure with its reason after exactly one attempt', async (reason, kind) => {
    const { transport } = await setup();
    const created = recorder<OrderCreated>();
    const consumer = paymentService.createConsumer({
      transport,
      logger: silentLogger,
      fromBeginning: true,
      handlers: { orderCreated: created, orderCancelled: recorder() },
    });
    consumers.push(consumer);
    await consumer.start();
    const envelope = (eventType: string, data: unknown): string =>
      JSON.stringify({ metadata: { eventId: 'e-1', eventType, eventVersion: '1.0.0', correlationId: 'corr-p', timestamp: '2026-11-22T10:00:00.000Z', source: 'legacy', dataClassification: 'internal', partitionKey: 'k' }, data });
    const value = kind === 'invalid-payload' ? envelope('order.created', { orderId: 42 }) : kind === 'unknown-type' ? envelope('order.teleported', {}) : kind;
    const raw = transport.producer();
    await raw.connect();
    await raw.send([{ topic: 'shop.orders.v1', messages: [{ key: 'k', value }] }]);
    await transport.drain();
    const dead = transport.records('shop.orders.v1.dlq');
    expect(dead).toHaveLength(1);
    expect(decodeHeaders(dead[0]?.headers ?? {})).toMatchObject({ 'dlq-reason': reason, 'dlq-attempts': '1', 'dlq-original-topic': 'shop.orders.v1' });
    expect(created.seen).toHaveLength(0);
  });

  it('route the same record to every group that receives it (shared topic, independent offsets)', async () => {
    const { transport, producers } = await setup();
    const pay = recorder<OrderCreated>();
    const notify = recorder<OrderCreated>();
    const a = paymentService.createConsumer({ transport, logger: silentLogger, fromBeginning: true, handlers: { orderCreated: pay, orderCancelled: recorder() } });
    const ok = recorder<never>();
    // The handlers keyed by topic and the create<Group>Consumer names of eventgen 0.1 still work (deprecated).
    const b = notificationService.createNotificationServiceConsumer({
      transport,
      logger: silentLogger,
      fromBeginning: true,
      handlers: {
        shopOrdersV1: { orderCreated: notify, orderShipped: ok, orderDelivered: ok },
        shopPaymentsV1: { paymentFailed: ok, paymentRefunded: ok },
        shopCustomersV1: { customerRegistered: ok },
      },
    });
    consumers.push(a, b);
    await Promise.all([a.start(), b.start()]);
    await producers.shopOrdersV1.orderCreated(example('order.created'));
    await transport.drain();
    expect(pay.seen).toHaveLength(1);
    expect(notify.seen).toHaveLength(1);
  });
});

describe('catalog examples', () => {
  it('every example payload in the bundled catalog is valid for its generated Zod schema', async () => {
    const result = await generateAt(path.join(ROOT, 'catalog/shop.asyncapi.yaml'));
    const catalog = result.catalog;
    expect(catalog).toBeDefined();
    const definitions = new Map<string, (typeof events)[keyof typeof events]>(Object.values(events).map((e) => [e.eventType, e]));
    let checked = 0;
    for (const event of catalog?.events ?? []) {
      const def = definitions.get(event.type);
      expect(def, event.type).toBeDefined();
      expect(event.examples.length, `${event.type} has no example`).toBeGreaterThan(0);
      for (const ex of event.examples) {
        const parsed = def?.schema.safeParse(ex.payload);
        expect(parsed?.success, `${event.type} example ${ex.name ?? ''}: ${JSON.stringify(parsed?.error?.issues)}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(17);
  });
});
