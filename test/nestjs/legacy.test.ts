/**
 * Legacy record formats (`x-legacy`) and version chains (`x-previous-versions`) in the NestJS target (fixture
 * test/fixtures/catalogs/legacy-formats/): the dispatcher's delegators carry the topic's legacy format from topics.ts
 * and the event definitions' upcasters, so `@EventHandler()` methods get legacy records as upcast events, and an
 * unknown version is dead-lettered with reason `version` (in-memory transport).
 */
import 'reflect-metadata';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../generator/index.js';
import type * as Runtime from '../../templates/runtime/index.js';
import { fixturePath, ROOT, writeTree } from './support.js';

interface Dispatcher {
  addHandler(registration: Record<string, unknown>): void;
  plan(): Array<{ groupId: string; topics: Runtime.TopicDelegator[] }>;
}
interface Kafka {
  KafkaConnection: new (options: Record<string, unknown>) => unknown;
  KafkaDispatcher: new (connection: unknown) => Dispatcher;
}

let kafka: Kafka;
let runtime: typeof Runtime;
let OrderPlacedEvent: Runtime.EventDefinition;
beforeAll(async () => {
  const result = await generate(path.relative(ROOT, fixturePath('legacy-formats')), { cwd: ROOT, target: 'nestjs' });
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const dir = writeTree('legacy-formats/nestjs-behaviour', result.files);
  kafka = (await import(pathToFileURL(path.join(dir, 'kafka/index.ts')).href)) as Kafka;
  runtime = (await import(pathToFileURL(path.join(dir, 'runtime/index.ts')).href)) as typeof Runtime;
  ({ OrderPlacedEvent } = (await import(pathToFileURL(path.join(dir, 'events.ts')).href)) as { OrderPlacedEvent: Runtime.EventDefinition });
}, 120_000);

const consumers: Runtime.GroupConsumer[] = [];
afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.stop()));
});

describe('NestJS: legacy records and version chains', () => {
  it('@EventHandler() methods get legacy and envelope records in order, v1 upcast; an unknown version is dead-lettered', async () => {
    const dispatcher = new kafka.KafkaDispatcher(new kafka.KafkaConnection({ enabled: false }));
    const seen: Array<[string, string, unknown]> = [];
    const on = (eventType: string) => ({
      eventType,
      groupId: 'pricing',
      source: `Test.${eventType}`,
      handle: async (event: { eventType: string; data: unknown; metadata: Runtime.EnvelopeMetadata }) => void seen.push([event.eventType, event.metadata.source, event.data]),
    });
    dispatcher.addHandler(on('price.updated'));
    dispatcher.addHandler(on('order.placed'));
    const [group] = dispatcher.plan();
    expect(group?.topics.map((t) => [t.topic, t.migrateEnvelope !== undefined])).toEqual([['market.events', true]]);

    const transport = new runtime.InMemoryTransport({ defaultPartitions: 1 });
    const consumer = new runtime.GroupConsumer({ groupId: 'pricing', transport, topics: group?.topics ?? [], fromBeginning: true, logger: runtime.silentLogger });
    consumers.push(consumer);
    await consumer.start();
    const producer = new runtime.EventProducer({ transport, source: 'market', logger: runtime.silentLogger });
    const raw = transport.producer();
    await raw.connect();
    const send = (value: unknown) => raw.send([{ topic: 'market.events', messages: [{ key: 'sku-1', value: JSON.stringify(value) }] }]);
    await send({ type: 'PRICE_UPDATE', timestamp: 1, sku: 'sku-1', price: 100 });
    await producer.send('market.events', OrderPlacedEvent, { orderId: 'o-2', sku: 'sku-1' });
    await send({ metadata: { eventId: 'e-4', eventType: 'price.updated', eventVersion: '4', correlationId: 'c', timestamp: new Date().toISOString(), source: 'future', dataClassification: 'public', partitionKey: 'sku-1' }, data: {} });
    await transport.drain();
    expect(seen).toEqual([
      ['price.updated', 'legacy', { sku: 'sku-1', amountCents: 100, currency: 'EUR' }],
      ['order.placed', 'market', { orderId: 'o-2', sku: 'sku-1', quantity: 1 }],
    ]);
    expect(transport.records('market.events.dlq').map((r) => runtime.decodeHeaders(r.headers)['dlq-reason'])).toEqual(['version']);
  });
});
