/**
 * `--with sagas` on the saga fixture (test/sagas/fixtures/sagas.asyncapi.yaml): the files and their ownership, the
 * tree (with the scaffolded step stubs) type-checks under tsc --strict, step handlers cannot return an event outside
 * their declaration (@ts-expect-error), and the generated runner drives the happy path and both compensation paths
 * end to end on the in-memory transport, keeping the correlation id and chaining causation ids.
 */
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateFromString, type GenerateResult } from '../../generator/index.js';
import type { InMemoryTransport, InMemoryTransportOptions } from '../../templates/runtime/index.js';
import { typecheck, writeTree } from '../support/tree.js';
import { chain, fixtureText, implementedSteps, witness, type Root, type SagaModule } from './support.js';

const ANY = /(:\s*any\b|<any>|\bas any\b|any\[\])/;

/** Compiled with the tree: outcomes are a closed union per step. */
const TYPED_USAGE = [
  "import type { ChargePaymentStep, ShipOrderStep, Steps } from './sagas/order-fulfillment/flow.js';",
  "import { createSaga } from './sagas/order-fulfillment/runner.js';",
  "export const ok: ChargePaymentStep = { async handle(data) { return data.orderId === '' ? { emit: 'payment.failed', payload: { orderId: data.orderId } } : { emit: 'payment.captured', payload: { orderId: data.orderId } }; } };",
  'export const outside: ChargePaymentStep = {',
  '  // @ts-expect-error order.shipped is not an outcome of step charge-payment',
  "  async handle(data) { return { emit: 'order.shipped', payload: { orderId: data.orderId } }; },",
  '};',
  'export const compensationOutside: ShipOrderStep = {',
  '  // @ts-expect-error a step without a failure event cannot emit one',
  "  async handle(data) { return { emit: 'payment.failed', payload: { orderId: data.orderId } }; },",
  '};',
  'export const badPayload: ChargePaymentStep = {',
  '  // @ts-expect-error the payload is the declared event\'s input',
  "  async handle() { return { emit: 'payment.captured', payload: { order: 1 } }; },",
  '};',
  '// @ts-expect-error every step must be given',
  'export const missing: Steps = { chargePayment: ok };',
  'export type Runner = ReturnType<typeof createSaga>;',
  '',
].join('\n');

let result: GenerateResult;
let dir: string;
beforeAll(() => {
  result = generateFromString(fixtureText(), { services: ['sagas'], path: 'test/sagas/fixtures/sagas.asyncapi.yaml' });
  expect(result.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
  dir = writeTree('sagas-fixture', [...result.files, { path: 'typed-usage.ts', content: TYPED_USAGE, ownership: 'managed' }]);
});

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

describe('generated sagas/ (fixture catalog)', () => {
  it('emits flow, runner and index (managed), steps.ts and one stub per step (scaffolds), and the sagas barrel', () => {
    const files = Object.fromEntries(result.files.filter((f) => f.path.startsWith('sagas/')).map((f) => [f.path, f.ownership]));
    expect(files).toEqual({
      'sagas/index.ts': 'managed',
      'sagas/order-fulfillment/flow.ts': 'managed',
      'sagas/order-fulfillment/runner.ts': 'managed',
      'sagas/order-fulfillment/index.ts': 'managed',
      'sagas/order-fulfillment/steps.ts': 'scaffold',
      'sagas/order-fulfillment/steps/charge-payment.step.ts': 'scaffold',
      'sagas/order-fulfillment/steps/reserve-stock.step.ts': 'scaffold',
      'sagas/order-fulfillment/steps/ship-order.step.ts': 'scaffold',
      'sagas/order-fulfillment/steps/cancel-order.step.ts': 'scaffold',
      'sagas/order-fulfillment/steps/refund-payment.step.ts': 'scaffold',
    });
    for (const f of result.files) expect(ANY.test(f.content), `${f.path} contains any`).toBe(false);
    const stub = result.files.find((f) => f.path.endsWith('charge-payment.step.ts'))?.content ?? '';
    expect(stub).toMatch(/^\/\/ Scaffolded by eventgen/);
    expect(stub).toContain('implements ChargePaymentStep');
    expect(stub).toContain('Promise<ChargePaymentOutcome>');
    expect(stub).toContain('throw new NotImplementedError');
  });

  it('is not generated without --with sagas', () => {
    const plain = generateFromString(fixtureText(), { path: 'test/sagas/fixtures/sagas.asyncapi.yaml' });
    expect(plain.files.some((f) => f.path.startsWith('sagas/'))).toBe(false);
  });

  it('type-checks under tsc --strict, and steps cannot return events outside their declaration (@ts-expect-error)', () => {
    expect(typecheck([dir])).toEqual([]);
  }, 120_000);

  describe('runs on the in-memory transport', () => {
    async function start(): Promise<{ root: Root; saga: SagaModule; transport: InMemoryTransport; calls: string[]; seen: ReturnType<typeof witness>['seen'] }> {
      const root = (await import(path.join(dir, 'index.ts'))) as Root & { InMemoryTransport: new (o: InMemoryTransportOptions) => InMemoryTransport; TOPIC_PARTITIONS: Record<string, number> };
      const saga = (await import(path.join(dir, 'sagas/order-fulfillment/index.ts'))) as SagaModule;
      const transport = new root.InMemoryTransport({ partitions: root.TOPIC_PARTITIONS, redeliveryDelayMs: 5 });
      const calls: string[] = [];
      const producers = root.createProducers({ transport, logger: root.silentLogger });
      const runner = saga.createSaga({ transport, producers, steps: implementedSteps(calls), logger: root.silentLogger });
      const w = witness(root, transport, 'witness', ['saga.orders', 'saga.payments', 'saga.inventory']);
      closers.push(() => runner.stop(), () => w.consumer.stop());
      await runner.start();
      await w.consumer.start();
      return { root, saga, transport, calls, seen: w.seen };
    }

    it('happy path: order.created → payment.captured → stock.reserved → order.shipped, one correlation id, causation chained', async () => {
      const { root, transport, calls, seen } = await start();
      const producers = root.createProducers({ transport, logger: root.silentLogger });
      await producers.sagaOrders.orderCreated({ orderId: 'o-1', amount: 10 });
      await transport.drain();
      expect(chain(seen, 'o-1')).toEqual(['order.created', 'payment.captured', 'stock.reserved', 'order.shipped']);
      expect(calls).toEqual(['charge-payment:o-1', 'reserve-stock:o-1', 'ship-order:o-1']);
      expect(new Set(seen.map((s) => s.correlationId)).size).toBe(1);
    });

    it('payment fails: payment.failed → compensation cancel-order → order.cancelled; nothing reserved or shipped', async () => {
      const { root, transport, calls, seen } = await start();
      await root.createProducers({ transport, logger: root.silentLogger }).sagaOrders.orderCreated({ orderId: 'o-2', amount: -1 });
      await transport.drain();
      expect(chain(seen, 'o-2')).toEqual(['order.created', 'payment.failed', 'order.cancelled']);
      expect(calls).toEqual(['charge-payment:o-2', 'cancel-order:o-2']);
      expect(new Set(seen.map((s) => s.correlationId)).size).toBe(1);
    });

    it('stock fails: stock.reservation-failed → compensation refund-payment → payment.refunded; nothing shipped', async () => {
      const { root, transport, calls, seen } = await start();
      await root.createProducers({ transport, logger: root.silentLogger }).sagaOrders.orderCreated({ orderId: 'o-3', amount: 5, reason: 'no-stock' });
      await transport.drain();
      expect(chain(seen, 'o-3')).toEqual(['order.created', 'payment.captured', 'stock.reservation-failed', 'payment.refunded']);
      expect(calls).toEqual(['charge-payment:o-3', 'reserve-stock:o-3', 'refund-payment:o-3']);
    });

    it('one consumer per step group (steps sharing a group share one), and `only` runs a subset', async () => {
      const { saga, root } = await start();
      const transport = new (root as unknown as { InMemoryTransport: new () => InMemoryTransport }).InMemoryTransport();
      const all = saga.createSaga({ transport, producers: root.createProducers({ transport }), steps: implementedSteps([]), logger: root.silentLogger });
      expect([...all.consumers.keys()].sort()).toEqual(['saga-shop.inventory', 'saga-shop.orders', 'saga-shop.payment', 'saga-shop.shipping']);
      const some = saga.createSaga({ transport, producers: root.createProducers({ transport }), steps: implementedSteps([]), only: ['shipOrder'], groupIds: { shipOrder: 'custom' } });
      expect([...some.consumers.keys()]).toEqual(['custom']);
    });

    it('a step answering an undeclared event (a cast, plain JS) is refused: non-retriable, dead-lettered, nothing published', async () => {
      const root = (await import(path.join(dir, 'index.ts'))) as Root & { InMemoryTransport: new (o: InMemoryTransportOptions) => InMemoryTransport };
      const saga = (await import(path.join(dir, 'sagas/order-fulfillment/index.ts'))) as SagaModule;
      const transport = new root.InMemoryTransport({ redeliveryDelayMs: 5 });
      const steps = implementedSteps([]);
      steps.chargePayment = { handle: async (d) => ({ emit: 'order.shipped', payload: { orderId: d.orderId } }) };
      const runner = saga.createSaga({ transport, producers: root.createProducers({ transport }), steps, only: ['chargePayment'], logger: root.silentLogger });
      closers.push(() => runner.stop());
      await runner.start();
      await root.createProducers({ transport, logger: root.silentLogger }).sagaOrders.orderCreated({ orderId: 'o-4', amount: 1 });
      await transport.drain();
      expect(transport.records('saga.orders').length).toBe(1);
      const dlq = transport.records('saga.orders.dlq');
      expect(dlq.length).toBe(1);
      expect(String(dlq[0]?.headers['dlq-error-message'] ?? '')).toContain('which it does not declare');
    });
  });
});
