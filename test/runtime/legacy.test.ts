/** Legacy record formats (`x-legacy`) and version chains (`x-previous-versions`) in the runtime, against the in-memory transport. */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  DLQ_HEADERS,
  EventProducer,
  EventVersionError,
  GroupConsumer,
  InMemoryProcessedStore,
  InMemoryTransport,
  TopicDelegator,
  applyUpcastStep,
  buildDeadLetterMessage,
  deadLetterReason,
  decodeEnvelope,
  decodeHeaders,
  defineEvent,
  headersEnvelopeMigration,
  legacyMigration,
  majorVersion,
  recordEventId,
  route,
  upcast,
  uuidV5,
  type EventContext,
  type EventHandler,
  type LegacyFormat,
} from '../../templates/runtime/index.js';

const PriceSchema = z.object({ sku: z.string(), amountCents: z.number().int(), currency: z.string() });
type Price = z.output<typeof PriceSchema>;
const PriceUpdated = defineEvent({
  eventType: 'price.updated',
  version: '3',
  topics: ['market'],
  schema: PriceSchema,
  classification: 'public',
  partitionKey: (d) => d.sku,
  upcasters: [
    { version: 1, rename: { price: 'amount' }, defaults: { currency: 'EUR' } },
    { version: 2, rename: { amount: 'amountCents' }, remove: ['legacyFlag'] },
  ],
});
const OrderPlaced = defineEvent({ eventType: 'order.placed', version: '1.0.0', topics: ['market'], schema: z.object({ orderId: z.string(), sku: z.string() }), classification: 'confidential', partitionKey: (d) => d.sku });
const FORMAT: LegacyFormat = { typeField: 'type', timestampField: 'ts', userIdField: 'user', types: { PRICE_UPDATE: 'price.updated', ORDER: 'order.placed' } };
const POSITION = { topic: 'market', partition: 2, offset: '41', timestamp: '1700000000000', key: Buffer.from('sku-1') };

describe('uuidV5', () => {
  it('matches the RFC 9562 vector (www.example.com in the DNS namespace)', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });
});

describe('upcast (x-previous-versions)', () => {
  it('applies the chain in order from the record version, without changing the input', () => {
    const v1 = Object.freeze({ sku: 's', price: 100, legacyFlag: true });
    expect(upcast(PriceUpdated, '1', v1)).toEqual({ sku: 's', amountCents: 100, currency: 'EUR' });
    expect(v1).toEqual({ sku: 's', price: 100, legacyFlag: true });
    expect(upcast(PriceUpdated, '2.0.0', { sku: 's', amount: 5, currency: 'USD' })).toEqual({ sku: 's', amountCents: 5, currency: 'USD' });
    const current = { sku: 's', amountCents: 1, currency: 'USD' };
    expect(upcast(PriceUpdated, '3', current)).toBe(current);
  });

  it('defaults never overwrite a value; a step on a non-object leaves it as it is', () => {
    expect(applyUpcastStep({ version: 1, defaults: { currency: 'EUR' } }, { currency: 'USD' })).toEqual({ currency: 'USD' });
    expect(applyUpcastStep({ version: 1, rename: { a: 'b' } }, 'text')).toBe('text');
  });

  it.each([
    ['4', 'newer'],
    ['0', 'no upcaster step from version 0'],
    ['abc', 'no major number'],
  ])('refuses version %s with EventVersionError (%s)', (version, detail) => {
    let error: unknown;
    try {
      upcast(PriceUpdated, version, {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EventVersionError);
    expect((error as EventVersionError).message).toContain(detail);
    expect(deadLetterReason(error, false)).toBe('version');
    expect((error as EventVersionError).retriable).toBe(false);
  });

  it('puts the seen and supported versions in the dead-letter headers', () => {
    const record = { topic: 'market', partition: 0, offset: '1', key: null, value: Buffer.from('{}'), headers: {}, timestamp: '0' };
    const message = buildDeadLetterMessage({ record, groupId: 'g', reason: 'version', error: new EventVersionError('price.updated', '9', '3', 'newer'), attempts: 1, correlationId: undefined });
    expect(decodeHeaders(message.headers ?? {})).toMatchObject({ [DLQ_HEADERS.reason]: 'version', [DLQ_HEADERS.eventVersion]: '9', [DLQ_HEADERS.supportedVersion]: '3' });
  });

  it('reads major versions', () => {
    expect([majorVersion('3'), majorVersion('3.1.0'), majorVersion('v2'), majorVersion('x')]).toEqual([3, 3, 2, NaN]);
  });
});

describe('legacyMigration (x-legacy)', () => {
  const migrate = legacyMigration(FORMAT, [PriceUpdated, OrderPlaced]);

  it('builds an envelope with a deterministic event id from topic/partition/offset', () => {
    const raw = { type: 'PRICE_UPDATE', ts: 1700000001000, user: 'u-1', sku: 'sku-1', price: 120 };
    const envelope = migrate(raw, {}, POSITION);
    expect(envelope).toEqual({
      metadata: {
        eventId: recordEventId(POSITION),
        eventType: 'price.updated',
        eventVersion: '1', // no versionField: the oldest version of the chain
        correlationId: recordEventId(POSITION),
        timestamp: new Date(1700000001000).toISOString(),
        source: 'legacy',
        userId: 'u-1',
        dataClassification: 'public',
        partitionKey: 'sku-1',
      },
      data: { sku: 'sku-1', price: 120 },
    });
    expect(migrate(raw, {}, POSITION)?.metadata.eventId).toBe(envelope?.metadata.eventId);
    expect(migrate(raw, {}, { ...POSITION, offset: '42' })?.metadata.eventId).not.toBe(envelope?.metadata.eventId);
  });

  it('reads dataField, versionField, correlationIdField and ISO timestamps; unmapped types keep their name', () => {
    const m = legacyMigration({ typeField: 'kind', dataField: 'body', versionField: 'v', correlationIdField: 'cid', timestampField: 'at' }, [PriceUpdated]);
    const envelope = m({ kind: 'price.updated', v: 2, cid: 'c-1', at: '2024-01-02T03:04:05Z', body: { sku: 'a' } }, {}, POSITION);
    expect(envelope?.metadata).toMatchObject({ eventType: 'price.updated', eventVersion: '2', correlationId: 'c-1', timestamp: '2024-01-02T03:04:05.000Z' });
    expect(envelope?.data).toEqual({ sku: 'a' });
    expect(m({ kind: 'SOMETHING', body: {} }, {}, POSITION)?.metadata).toMatchObject({ eventType: 'SOMETHING', eventVersion: '0', dataClassification: 'internal' });
  });

  it('leaves envelopes, non-objects, records without the type field, bad timestamps and unknown positions to the next hook', () => {
    expect(migrate({ metadata: {}, data: {} }, {}, POSITION)).toBeUndefined();
    expect(migrate([1], {}, POSITION)).toBeUndefined();
    expect(migrate({ sku: 'x' }, {}, POSITION)).toBeUndefined();
    expect(migrate({ type: 'ORDER', ts: 'yesterday' }, {}, POSITION)).toBeUndefined();
    expect(migrate({ type: 'ORDER' }, {}, undefined)).toBeUndefined();
    expect(migrate({ type: 'ORDER' }, {}, POSITION)?.metadata.timestamp).toBe(new Date(1700000000000).toISOString());
  });

  it('keeps a __proto__ key of a record (or a step) an own property: no prototype is set', () => {
    const envelope = migrate(JSON.parse('{"type":"ORDER","orderId":"o","__proto__":{"sku":"injected"}}'), {}, POSITION);
    const data = envelope?.data as Record<string, unknown>;
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(data['sku']).toBeUndefined();
    expect(Object.keys(data)).toEqual(['orderId', '__proto__']);
    const stepped = applyUpcastStep({ version: 1, rename: { a: '__proto__' } }, { a: { sku: 'x' } }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(stepped)).toBe(Object.prototype);
    expect(stepped['sku']).toBeUndefined();
  });

  it('decodeEnvelope accepts the migrated envelope', () => {
    const envelope = decodeEnvelope(JSON.stringify({ type: 'ORDER', orderId: 'o', sku: 's' }), {}, migrate, POSITION);
    expect(envelope.metadata.eventType).toBe('order.placed');
  });
});

const running: GroupConsumer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

function recorder<T>(calls: Array<{ type: string; data: unknown; ctx: EventContext }>, type: string): EventHandler<T> {
  return {
    async handle(data, ctx) {
      calls.push({ type, data, ctx });
    },
  };
}

async function start(transport: InMemoryTransport, store: InMemoryProcessedStore, calls: Array<{ type: string; data: unknown; ctx: EventContext }>, extra: { migrateEnvelope?: ReturnType<typeof headersEnvelopeMigration> } = {}): Promise<GroupConsumer> {
  const delegator = new TopicDelegator({
    topic: 'market',
    legacy: FORMAT,
    routes: [route(PriceUpdated, recorder<Price>(calls, 'price.updated')), route(OrderPlaced, recorder(calls, 'order.placed'))],
  });
  const consumer = new GroupConsumer({ groupId: 'pricing', transport, topics: [delegator], fromBeginning: true, store, random: () => 0.5, sleep: async () => {}, ...extra });
  running.push(consumer);
  await consumer.start();
  return consumer;
}

async function produceRaw(transport: InMemoryTransport, key: string, value: unknown): Promise<void> {
  const p = transport.producer();
  await p.connect();
  await p.send([{ topic: 'market', messages: [{ key, value: JSON.stringify(value) }] }]);
}

describe('GroupConsumer with a legacy topic', () => {
  it('handles legacy and envelope records interleaved on one key in order, upcasting old versions', async () => {
    const transport = new InMemoryTransport({ defaultPartitions: 3 });
    const calls: Array<{ type: string; data: unknown; ctx: EventContext }> = [];
    await start(transport, new InMemoryProcessedStore(), calls);
    const producer = new EventProducer({ transport, source: 'test' });
    await produceRaw(transport, 'sku-1', { type: 'PRICE_UPDATE', ts: 1, sku: 'sku-1', price: 100 });
    await producer.send('market', PriceUpdated, { sku: 'sku-1', amountCents: 110, currency: 'USD' });
    await produceRaw(transport, 'sku-1', { type: 'ORDER', orderId: 'o-1', sku: 'sku-1' });
    await producer.send('market', OrderPlaced, { orderId: 'o-2', sku: 'sku-1' });
    await transport.drain();
    expect(calls.map((c) => [c.type, c.ctx.metadata.source])).toEqual([
      ['price.updated', 'legacy'],
      ['price.updated', 'test'],
      ['order.placed', 'legacy'],
      ['order.placed', 'test'],
    ]);
    expect(calls.map((c) => c.data)).toEqual([
      { sku: 'sku-1', amountCents: 100, currency: 'EUR' },
      { sku: 'sku-1', amountCents: 110, currency: 'USD' },
      { orderId: 'o-1', sku: 'sku-1' },
      { orderId: 'o-2', sku: 'sku-1' },
    ]);
    expect(transport.records('market.dlq')).toHaveLength(0);
  });

  it('deduplicates the same legacy record delivered twice (same topic/partition/offset → same event id)', async () => {
    const store = new InMemoryProcessedStore();
    const calls: Array<{ type: string; data: unknown; ctx: EventContext }> = [];
    const record = { type: 'ORDER', orderId: 'o-1', sku: 'sku-1' };
    for (let run = 0; run < 2; run++) {
      // A fresh log with the same record at the same position: a redelivery of that offset (offsets not committed).
      const transport = new InMemoryTransport({ defaultPartitions: 1 });
      const consumer = await start(transport, store, calls);
      await produceRaw(transport, 'sku-1', record);
      await transport.drain();
      if (run === 1) expect(consumer.metrics.get('duplicates_skipped')).toBe(1);
      await consumer.stop();
    }
    expect(calls).toHaveLength(1);
  });

  it('dead-letters an unknown version (reason version) and an unknown legacy type (reason unknown-event-type)', async () => {
    const transport = new InMemoryTransport({ defaultPartitions: 1 });
    const calls: Array<{ type: string; data: unknown; ctx: EventContext }> = [];
    await start(transport, new InMemoryProcessedStore(), calls);
    const newer = { metadata: { eventId: 'e-9', eventType: 'price.updated', eventVersion: '9', correlationId: 'c', timestamp: new Date().toISOString(), source: 'future', dataClassification: 'public', partitionKey: 'sku-1' }, data: {} };
    await produceRaw(transport, 'sku-1', newer);
    await produceRaw(transport, 'sku-1', { type: 'PRICE_UPDATE', v: 1, sku: 'sku-1', price: 1, currency: 'EUR' });
    await produceRaw(transport, 'sku-1', { type: 'TELEPORT', sku: 'sku-1' });
    await transport.drain();
    const dead = transport.records('market.dlq').map((r) => decodeHeaders(r.headers));
    expect(dead.map((h) => h[DLQ_HEADERS.reason])).toEqual(['version', 'unknown-event-type']);
    expect(dead[0]).toMatchObject({ [DLQ_HEADERS.eventVersion]: '9', [DLQ_HEADERS.supportedVersion]: '3', [DLQ_HEADERS.errorClass]: 'EventVersionError' });
    expect(calls.map((c) => c.type)).toEqual(['price.updated']);
  });

  it('runs the topic migration before the consumer hook, and a handler upcast overrides the chain', async () => {
    const transport = new InMemoryTransport({ defaultPartitions: 1 });
    const calls: Array<{ type: string; data: unknown; ctx: EventContext }> = [];
    const own: EventHandler<Price> = {
      upcast: (data) => ({ ...(data as object), amountCents: 1, currency: 'CHF' }),
      async handle(data, ctx) {
        calls.push({ type: 'own', data, ctx });
      },
    };
    const delegator = new TopicDelegator({ topic: 'market', legacy: FORMAT, routes: [route(PriceUpdated, own), route(OrderPlaced, recorder(calls, 'order.placed'))] });
    const consumer = new GroupConsumer({ groupId: 'g', transport, topics: [delegator], fromBeginning: true, migrateEnvelope: headersEnvelopeMigration({ source: 'flat' }) });
    running.push(consumer);
    await consumer.start();
    await produceRaw(transport, 'sku-1', { type: 'PRICE_UPDATE', sku: 'sku-1', price: 7 });
    const p = transport.producer();
    await p.connect();
    await p.send([{ topic: 'market', messages: [{ key: 'sku-1', value: JSON.stringify({ orderId: 'o', sku: 's' }), headers: { 'event-type': 'order.placed' } }] }]);
    await transport.drain();
    expect(calls.map((c) => [c.type, c.ctx.metadata.source, c.data])).toEqual([
      ['own', 'legacy', { sku: 'sku-1', amountCents: 1, currency: 'CHF' }],
      ['order.placed', 'flat', { orderId: 'o', sku: 's' }],
    ]);
  });
});
