import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  DecodeError,
  EnvelopeError,
  EventProducer,
  EventValidationError,
  GroupConsumer,
  HEADERS,
  InMemoryProcessedStore,
  InMemoryTransport,
  NotImplementedError,
  TopicDelegator,
  batchItem,
  createLogger,
  decodeEnvelope,
  decodeHeaders,
  defineEvent,
  headersEnvelopeMigration,
  partitionForKey,
  route,
  type EventContext,
  type EventHandler,
  type RecordMetadata,
  type SendOptions,
} from '../../templates/runtime/index.js';

// The shapes generated code uses (see the brief in docs/runtime.md); they must type-check as written.
const OrderCreatedSchema = z.object({ orderId: z.string(), total: z.number().default(0) });
type OrderCreated = z.output<typeof OrderCreatedSchema>;
const OrderCreatedEvent = defineEvent({
  eventType: 'order.created',
  version: '1.0.0',
  topics: ['shop.orders'],
  schema: OrderCreatedSchema,
  classification: 'internal',
  partitionKey: (data) => data.orderId,
});
class ShopOrdersProducer {
  constructor(private readonly producer: EventProducer) {}
  orderCreated(data: z.input<typeof OrderCreatedSchema>, options?: SendOptions): Promise<RecordMetadata> {
    return this.producer.send('shop.orders', OrderCreatedEvent, data, options);
  }
}
class OrderCreatedEventHandler implements EventHandler<OrderCreated> {
  async handle(_data: OrderCreated, _context: EventContext): Promise<void> {
    throw new NotImplementedError('order.created');
  }
}
interface ShopOrdersEventHandlers {
  orderCreated: EventHandler<OrderCreated>;
}
class ShopOrdersTopicHandler extends TopicDelegator {
  constructor(handlers: ShopOrdersEventHandlers) {
    super({
      topic: 'shop.orders',
      retry: { maxRetries: 3, initialDelayMs: 100, maxDelayMs: 5000, multiplier: 2, jitter: 0.2 },
      deadLetter: { enabled: true, topic: 'shop.orders.dlq' },
      routes: [route(OrderCreatedEvent, handlers.orderCreated)],
    });
  }
}

function setup(): { transport: InMemoryTransport; producer: EventProducer; orders: ShopOrdersProducer } {
  const transport = new InMemoryTransport({ defaultPartitions: 3 });
  let n = 0;
  const producer = new EventProducer({ transport, source: 'order-service', newId: () => `id-${++n}`, now: () => new Date('2024-05-01T10:00:00Z') });
  return { transport, producer, orders: new ShopOrdersProducer(producer) };
}

describe('EventProducer', () => {
  it('wraps the validated payload in an envelope and mirrors ids in headers', async () => {
    const { transport, orders } = setup();
    const meta = await orders.orderCreated({ orderId: 'o-1' }, { correlationId: 'corr-1', causationId: 'cause-1', userId: 'u-1', traceparent: '00-abc-def-01', headers: { tenant: 't1', 'event-type': 'spoofed' } });
    expect(meta).toEqual({ topic: 'shop.orders', partition: partitionForKey('o-1', 3), offset: '0' });
    const [record] = transport.records('shop.orders');
    expect(record?.key?.toString()).toBe('o-1');
    const envelope = decodeEnvelope(record?.value ?? null, decodeHeaders(record?.headers ?? {}));
    expect(envelope).toEqual({
      metadata: {
        eventId: 'id-1',
        eventType: 'order.created',
        eventVersion: '1.0.0',
        correlationId: 'corr-1',
        causationId: 'cause-1',
        timestamp: '2024-05-01T10:00:00.000Z',
        source: 'order-service',
        userId: 'u-1',
        dataClassification: 'internal',
        partitionKey: 'o-1',
      },
      data: { orderId: 'o-1', total: 0 }, // schema default applied before sending
    });
    expect(decodeHeaders(record?.headers ?? {})).toEqual({
      tenant: 't1',
      'event-type': 'order.created', // the runtime's headers win over user headers
      'event-id': 'id-1',
      'event-version': '1.0.0',
      'correlation-id': 'corr-1',
      'content-type': 'application/json',
      source: 'order-service',
      traceparent: '00-abc-def-01',
    });
  });

  it('generates a correlation id when none is given and omits traceparent', async () => {
    const { transport, orders } = setup();
    await orders.orderCreated({ orderId: 'o-2', total: 5 });
    const headers = decodeHeaders(transport.records('shop.orders')[0]?.headers ?? {});
    expect(headers[HEADERS.eventId]).toBe('id-1');
    expect(headers[HEADERS.correlationId]).toBe('id-2');
    expect(headers).not.toHaveProperty('traceparent');
  });

  it('refuses an invalid payload before anything reaches the topic', async () => {
    const { transport, producer } = setup();
    const bad = { orderId: 42 } as unknown as z.input<typeof OrderCreatedSchema>;
    const error = await producer.send('shop.orders', OrderCreatedEvent, bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventValidationError);
    expect((error as EventValidationError).issues[0]?.path).toEqual(['orderId']);
    expect(transport.records('shop.orders')).toHaveLength(0);
    expect(producer.health().sent).toBe(0);
  });

  it('lets options.key override the partition key (null = round-robin)', async () => {
    const { transport, orders } = setup();
    await orders.orderCreated({ orderId: 'o-1' }, { key: 'customer-9' });
    await orders.orderCreated({ orderId: 'o-1' }, { key: null });
    const [first, second] = transport.records('shop.orders');
    expect(first?.key?.toString()).toBe('customer-9');
    expect(first?.partition).toBe(partitionForKey('customer-9', 3));
    expect(second?.key).toBeNull();
    expect(JSON.parse(second?.value?.toString() ?? '{}').metadata.partitionKey).toBeNull();
  });

  it('sendBatch validates everything first, then sends all in one call in input order', async () => {
    const { transport, producer } = setup();
    const AuditEvent = defineEvent({ eventType: 'audit.logged', version: '1.0.0', topics: ['audit'], schema: z.object({ what: z.string() }), classification: 'public', partitionKey: () => null });
    const invalid = producer.sendBatch([batchItem('shop.orders', OrderCreatedEvent, { orderId: 'a' }), { topic: 'audit', definition: AuditEvent, data: { what: 1 } }]);
    await expect(invalid).rejects.toBeInstanceOf(EventValidationError);
    expect(transport.records('shop.orders')).toHaveLength(0);
    const metas = await producer.sendBatch([
      batchItem('shop.orders', OrderCreatedEvent, { orderId: 'a' }),
      batchItem('audit', AuditEvent, { what: 'x' }),
      batchItem('shop.orders', OrderCreatedEvent, { orderId: 'a' }),
    ]);
    expect(metas.map((m) => [m.topic, m.offset])).toEqual([['shop.orders', '0'], ['audit', '0'], ['shop.orders', '1']]);
    expect(producer.health()).toMatchObject({ healthy: true, status: 'connected', sent: 3 });
    await producer.disconnect();
    expect(producer.health()).toMatchObject({ healthy: false, status: 'disconnected' });
  });

  it('generated wiring end to end: a stub dead-letters, every log line carries the correlation id', async () => {
    const { transport, orders } = setup();
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) });
    const store = new InMemoryProcessedStore();
    const handlers: ShopOrdersEventHandlers = { orderCreated: new OrderCreatedEventHandler() };
    const consumer = new GroupConsumer({ groupId: 'payments', transport, topics: [new ShopOrdersTopicHandler(handlers)], logger, store });
    await consumer.start();
    await orders.orderCreated({ orderId: 'o-7' }, { correlationId: 'corr-7' });
    await transport.drain();
    await consumer.stop();
    const dead = transport.records('shop.orders.dlq');
    expect(dead).toHaveLength(1);
    expect(decodeHeaders(dead[0]?.headers ?? {})['dlq-reason']).toBe('handler-non-retriable');
    // Record-level lines (they name an offset) carry the record's correlation id; partition-level ones cannot.
    const recordLines = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e['offset'] !== undefined);
    expect(recordLines.map((e) => e['msg'])).toContain('Record dead-lettered');
    for (const entry of recordLines) expect(entry).toMatchObject({ groupId: 'payments', correlationId: 'corr-7' });
    expect(consumer.health().status).toBe('stopped');
  });

  it('generated delegator shape routes to the typed stub', async () => {
    const delegator = new ShopOrdersTopicHandler({ orderCreated: new OrderCreatedEventHandler() });
    expect(delegator.eventTypes).toEqual(['order.created']);
    expect(delegator.deadLetter).toEqual({ enabled: true, topic: 'shop.orders.dlq' });
    await expect(delegator.dispatch('order.created', { orderId: 'x' }, {} as EventContext)).rejects.toBeInstanceOf(NotImplementedError);
  });
});

describe('decodeEnvelope', () => {
  it('rejects non-JSON and empty values with DecodeError, non-envelopes with EnvelopeError', () => {
    expect(() => decodeEnvelope(Buffer.from('not json'), {})).toThrow(DecodeError);
    expect(() => decodeEnvelope(null, {})).toThrow(DecodeError);
    expect(() => decodeEnvelope(Buffer.from('{"orderId":"x"}'), {})).toThrow(EnvelopeError);
    expect(() => decodeEnvelope(Buffer.from(JSON.stringify({ metadata: validMetadata() })), {})).toThrow(/data/);
  });

  it('keeps unknown metadata fields and accepts a null payload', () => {
    const envelope = decodeEnvelope(JSON.stringify({ metadata: { ...validMetadata(), extra: 1 }, data: null }), {});
    expect(envelope.data).toBeNull();
    expect(envelope.metadata).toMatchObject({ eventId: 'e1', extra: 1 });
  });

  it('turns flat legacy records into envelopes through the migration hook', () => {
    const migrate = headersEnvelopeMigration({ source: 'legacy' });
    const envelope = decodeEnvelope(Buffer.from('{"orderId":"x"}'), { 'event-type': 'order.created', 'event-id': 'e9' }, migrate);
    expect(envelope.metadata).toMatchObject({ eventType: 'order.created', eventId: 'e9', correlationId: 'e9', source: 'legacy' });
    expect(envelope.data).toEqual({ orderId: 'x' });
    expect(() => decodeEnvelope(Buffer.from('{"orderId":"x"}'), {}, migrate)).toThrow(EnvelopeError);
  });
});

function validMetadata(): Record<string, unknown> {
  return { eventId: 'e1', eventType: 't', eventVersion: '1', correlationId: 'c', timestamp: '2024-01-01T00:00:00Z', source: 's', dataClassification: 'public', partitionKey: null };
}
