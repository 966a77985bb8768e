/**
 * Legacy record formats (`x-legacy`) and version chains (`x-previous-versions`) in the generated code of
 * test/fixtures/catalogs/legacy-formats/, on the in-memory transport: legacy and envelope records interleaved on one
 * topic are handled in order (old versions upcast), the same legacy record delivered twice is handled once, an
 * unknown version and an unknown legacy type go to the dead-letter topic with their reason.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateTargets } from '../generator/index.js';
import type * as Runtime from '../templates/runtime/index.js';
import { fixturePath, ROOT, writeTree } from './support/tree.js';

type Seen = Array<{ type: string; data: unknown; source: string; key: string | null; eventId: string }>;
/** The part of the generated tree this test drives (imported at run time from test/output). */
interface Tree {
  InMemoryTransport: typeof Runtime.InMemoryTransport;
  InMemoryProcessedStore: typeof Runtime.InMemoryProcessedStore;
  silentLogger: Runtime.Logger;
  decodeHeaders: typeof Runtime.decodeHeaders;
  upcast: typeof Runtime.upcast;
  PriceUpdatedEvent: Runtime.EventDefinition;
  createProducers(from: { transport: Runtime.Transport; logger?: Runtime.Logger }): {
    marketEvents: { priceUpdated(data: unknown): Promise<unknown>; orderPlaced(data: unknown): Promise<unknown> };
  };
  pricing: { createConsumer(options: Record<string, unknown>): Runtime.GroupConsumer };
}

let tree: Tree;
const consumers: Runtime.GroupConsumer[] = [];
afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.stop()));
});

beforeAll(async () => {
  const result = await generateTargets(path.relative(ROOT, fixturePath('legacy-formats')), ['plain'], { cwd: ROOT });
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const plain = writeTree('legacy-formats/plain', result.files.get('plain') ?? []);
  tree = (await import(pathToFileURL(path.join(plain, 'index.ts')).href)) as Tree;
}, 60_000);

function handlers(seen: Seen) {
  const handler = (type: string) => ({
    async handle(data: unknown, ctx: Runtime.EventContext) {
      seen.push({ type, data, source: ctx.metadata.source, key: ctx.metadata.partitionKey, eventId: ctx.eventId });
    },
  });
  return { priceUpdated: handler('price.updated'), orderPlaced: handler('order.placed') };
}

async function start(transport: Runtime.InMemoryTransport, seen: Seen, store: Runtime.InMemoryProcessedStore = new tree.InMemoryProcessedStore()): Promise<Runtime.GroupConsumer> {
  const consumer = tree.pricing.createConsumer({ transport, handlers: handlers(seen), store, fromBeginning: true, logger: tree.silentLogger });
  consumers.push(consumer);
  await consumer.start();
  return consumer;
}

async function produceRaw(transport: Runtime.InMemoryTransport, key: string, value: unknown): Promise<void> {
  const p = transport.producer();
  await p.connect();
  await p.send([{ topic: 'market.events', messages: [{ key, value: typeof value === 'string' ? value : JSON.stringify(value) }] }]);
}

describe('generated legacy-formats tree', () => {
  it('exports the upcasters with the event definition (pure, testable)', () => {
    expect(tree.PriceUpdatedEvent.upcasters).toEqual([
      { version: 1, rename: { price: 'amount' }, defaults: { currency: 'EUR' } },
      { version: 2, rename: { amount: 'amountCents' }, remove: ['legacyFlag'] },
    ]);
    expect(tree.upcast(tree.PriceUpdatedEvent, '1', { sku: 's', price: 5, legacyFlag: 1 })).toEqual({ sku: 's', amountCents: 5, currency: 'EUR' });
  });

  it('handles legacy and envelope records interleaved on one topic in order, legacy v1 upcast to v3', async () => {
    const transport = new tree.InMemoryTransport({ defaultPartitions: 3 });
    const seen: Seen = [];
    await start(transport, seen);
    const { marketEvents } = tree.createProducers({ transport, logger: tree.silentLogger });
    await produceRaw(transport, 'sku-1', { type: 'PRICE_UPDATE', timestamp: '2020-01-01T00:00:00Z', user: 'u-1', sku: 'sku-1', price: 100 });
    await marketEvents.priceUpdated({ sku: 'sku-1', amountCents: 120, currency: 'USD' });
    await produceRaw(transport, 'sku-1', { type: 'ORDER_PLACED', timestamp: 1577836800000, orderId: 'o-1', sku: 'sku-1' });
    await marketEvents.orderPlaced({ orderId: 'o-2', sku: 'sku-1' });
    await produceRaw(transport, 'sku-1', { type: 'PRICE_UPDATE', sku: 'sku-1', price: 130, currency: 'GBP' });
    await transport.drain();
    expect(seen.map((s) => [s.type, s.source, s.data])).toEqual([
      ['price.updated', 'legacy', { sku: 'sku-1', amountCents: 100, currency: 'EUR' }],
      ['price.updated', 'market', { sku: 'sku-1', amountCents: 120, currency: 'USD' }],
      ['order.placed', 'legacy', { orderId: 'o-1', sku: 'sku-1', quantity: 1 }],
      ['order.placed', 'market', { orderId: 'o-2', sku: 'sku-1', quantity: 1 }],
      ['price.updated', 'legacy', { sku: 'sku-1', amountCents: 130, currency: 'GBP' }],
    ]);
    expect(seen.every((s) => s.key === 'sku-1')).toBe(true);
    expect(transport.records('market.events.dlq')).toHaveLength(0);
  });

  it('handles the same legacy record delivered twice at the same offset once (deterministic event id + dedup)', async () => {
    const store = new tree.InMemoryProcessedStore();
    const seen: Seen = [];
    const bytes = JSON.stringify({ type: 'ORDER_PLACED', orderId: 'o-1', sku: 'sku-1' });
    let skipped = 0;
    for (let delivery = 0; delivery < 2; delivery++) {
      // The same log again (the record at the same topic/partition/offset), offsets not carried over: a redelivery.
      const transport = new tree.InMemoryTransport({ defaultPartitions: 3 });
      const consumer = await start(transport, seen, store);
      await produceRaw(transport, 'sku-1', bytes);
      await transport.drain();
      skipped += consumer.metrics.get('duplicates_skipped');
      await consumer.stop();
    }
    expect(seen).toHaveLength(1);
    expect(skipped).toBe(1);
  });

  it('dead-letters an unknown version (reason version, versions in headers) and an unknown legacy type (reason unknown-event-type)', async () => {
    const transport = new tree.InMemoryTransport({ defaultPartitions: 1 });
    const seen: Seen = [];
    await start(transport, seen);
    const metadata = { eventId: 'e-4', eventType: 'price.updated', eventVersion: '4', correlationId: 'c-4', timestamp: new Date().toISOString(), source: 'future', dataClassification: 'public', partitionKey: 'sku-1' };
    await produceRaw(transport, 'sku-1', { metadata, data: { sku: 'sku-1', amountCents: 1, currency: 'EUR' } });
    await produceRaw(transport, 'sku-1', { metadata: { ...metadata, eventId: 'e-2', eventVersion: '2' }, data: { sku: 'sku-1', amount: 7, currency: 'USD', legacyFlag: true } });
    await produceRaw(transport, 'sku-1', { type: 'PRICE_DROPPED', sku: 'sku-1' });
    await transport.drain();
    const dead = transport.records('market.events.dlq').map((r) => tree.decodeHeaders(r.headers));
    expect(dead.map((h) => h['dlq-reason'])).toEqual(['version', 'unknown-event-type']);
    expect(dead[0]).toMatchObject({ 'dlq-event-version': '4', 'dlq-supported-version': '3', 'dlq-error-class': 'EventVersionError', 'dlq-original-offset': '0' });
    expect(dead[1]).toMatchObject({ 'dlq-original-offset': '2' });
    expect(seen.map((s) => [s.type, s.data])).toEqual([['price.updated', { sku: 'sku-1', amountCents: 7, currency: 'USD' }]]);
  });
});
