/**
 * `--with sagas` on a real broker: the fixture saga (test/sagas/fixtures) with topics and consumer groups unique to
 * this run. The generated runner (one consumer per step group) drives the happy path and both compensation paths
 * end to end over Kafka; a witness group sees every event with one correlation id per order and causation chained.
 * Skips without a broker (REQUIRE_KAFKA=1: fails), like the other integration tests.
 */
import path from 'node:path';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFromString } from '../../generator/index.js';
import type { KafkaTransportOptions, Transport } from '../../templates/runtime/index.js';
import { chain, fixtureText, implementedSteps, witness, type Root, type SagaModule, type Seen } from '../sagas/support.js';
import { kafkaBrokers, uniqueName } from '../support/kafka.js';
import { writeTree } from '../support/tree.js';
import { admin, createTopics, testLogger, waitFor } from './helpers.js';

const brokers = await kafkaBrokers();

describe.skipIf(!brokers)('saga runner on Kafka', () => {
  let a: Admin;
  let root: Root & { createTransport(options: Omit<KafkaTransportOptions, 'client'>): Transport; kafkaConfig(options: { brokers: string; clientId: string }): KafkaTransportOptions['config'] };
  let transport: Transport;
  let runner: ReturnType<SagaModule['createSaga']> | undefined;
  let watcher: ReturnType<typeof witness> | undefined;
  const calls: string[] = [];
  const id = uniqueName('it-saga');
  const topics = { orders: `${id}-orders`, payments: `${id}-payments`, inventory: `${id}-inventory` };

  beforeAll(async () => {
    a = await admin(brokers!);
    await createTopics(a, [
      { topic: topics.orders, partitions: 3 },
      { topic: topics.payments, partitions: 3 },
      { topic: topics.inventory, partitions: 2 },
    ]);
    const catalog = fixtureText()
      .replace('address: saga.orders', `address: ${topics.orders}`)
      .replace('address: saga.payments', `address: ${topics.payments}`)
      .replace('address: saga.inventory', `address: ${topics.inventory}`)
      .replaceAll('group: saga-shop.', `group: ${id}.`);
    const result = generateFromString(catalog, { services: ['sagas'], path: `${id}.asyncapi.yaml` });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const dir = writeTree(id, result.files);
    root = (await import(path.join(dir, 'index.ts'))) as typeof root;
    const saga = (await import(path.join(dir, 'sagas/order-fulfillment/index.ts'))) as SagaModule;
    transport = root.createTransport({
      config: root.kafkaConfig({ brokers: brokers!, clientId: 'eventgen-it-saga' }),
      logger: testLogger(),
      producer: {},
      consumer: { heartbeatIntervalMs: 1000, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 20_000 },
    });
    const producers = root.createProducers({ transport, logger: testLogger() });
    runner = saga.createSaga({ transport, producers, steps: implementedSteps(calls), logger: testLogger(), fromBeginning: true });
    expect([...runner.consumers.keys()].sort()).toEqual([`${id}.inventory`, `${id}.orders`, `${id}.payment`, `${id}.shipping`]);
    watcher = witness(root, transport, `${id}.witness`, Object.values(topics));
    await runner.start();
    await watcher.consumer.start();
  });

  afterAll(async () => {
    await runner?.stop();
    await watcher?.consumer.stop();
    await a?.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await a?.disconnect();
  });

  it('happy path and both compensations end to end; correlation kept per order, causation chained', async () => {
    // The producers' module shape in support.ts names the fixture's topic member; here the topic is unique per run.
    const all = root.createProducers({ transport, logger: testLogger() }) as unknown as Record<string, { orderCreated?: (d: { orderId: string; amount?: number; reason?: string }) => Promise<unknown> }>;
    const orders = Object.values(all).find((p) => p.orderCreated !== undefined);
    const orderCreated = orders?.orderCreated?.bind(orders);
    if (orderCreated === undefined) throw new Error('no orders producer');
    await orderCreated({ orderId: 'ok', amount: 10 });
    await orderCreated({ orderId: 'declined', amount: -1 });
    await orderCreated({ orderId: 'no-stock', amount: 5, reason: 'no-stock' });
    const seen = watcher?.seen as Seen[];
    const expected: Record<string, string[]> = {
      ok: ['order.created', 'payment.captured', 'stock.reserved', 'order.shipped'],
      declined: ['order.created', 'payment.failed', 'order.cancelled'],
      'no-stock': ['order.created', 'payment.captured', 'stock.reservation-failed', 'payment.refunded'],
    };
    await waitFor(
      () => Object.entries(expected).every(([o, c]) => chain(seen, o).length === c.length),
      120_000,
      () => JSON.stringify(Object.keys(expected).map((o) => [o, chain(seen, o)])),
      200,
    );
    for (const [orderId, c] of Object.entries(expected)) {
      expect(chain(seen, orderId), orderId).toEqual(c);
      const mine = seen.filter((s) => s.orderId === orderId);
      expect(new Set(mine.map((s) => s.correlationId)).size, orderId).toBe(1);
    }
    expect(calls.filter((c) => c.endsWith(':declined')).sort()).toEqual(['cancel-order:declined', 'charge-payment:declined']);
    expect(calls).not.toContain('ship-order:no-stock');
  });
});
