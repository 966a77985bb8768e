/**
 * The generated NestJS layer (examples/nest-shop, generated from the bundled catalog) without a broker:
 * KAFKA_ENABLED=false (no-op services), and both handler styles end to end on the runtime's InMemoryTransport.
 */
import 'reflect-metadata';
import { Injectable, Logger, Module, Scope, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppModule } from '../../examples/nest-shop/src/app.module.js';
import {
  BaseTopicHandler,
  EventHandler,
  EventValidationError,
  InMemoryTransport,
  KafkaDispatcher,
  KafkaModule,
  KafkaProducerService,
  silentLogger,
  type KafkaEvent,
  type KafkaEventHandler,
  type KafkaModuleOptions,
} from '../../examples/nest-shop/src/events/index.js';
import { KafkaHealthIndicator } from '../../examples/nest-shop/src/events/kafka/kafka-health.indicator.js';
import { OrderTimelineService } from '../../examples/nest-shop/src/orders/order-timeline.service.js';
import { PaymentLedger } from '../../examples/nest-shop/src/payments/payment.commands.js';
import { catalogExample } from './fixtures.js';

let app: INestApplication | undefined;

async function start(kafka: KafkaModuleOptions, extra: Array<new (...args: never[]) => unknown> = []): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.register({ logger: silentLogger, ...kafka }), ...extra] }).compile();
  moduleRef.useLogger(false);
  app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

afterEach(async () => {
  await app?.close();
  app = undefined;
  vi.restoreAllMocks();
});

describe('KAFKA_ENABLED=false: no-op services, no broker', () => {
  it('starts, discovers both styles, validates and "sends" nothing, reports healthy', async () => {
    const a = await start({ env: { KAFKA_ENABLED: 'false' } });
    const dispatcher = a.get(KafkaDispatcher);
    expect(dispatcher.topics.map((t) => `${t.groupId}/${t.topic}/${t.eventTypes.join(',')}`)).toEqual([
      'payment-service/shop.orders.v1/order.created,order.cancelled',
    ]);
    expect(dispatcher.handlers.map((h) => `${h.groupId}:${h.source}:${h.eventType}`)).toEqual([
      'nest-shop-timeline:OrderTimelineService.onOrderEvent:order.*',
      'nest-shop-timeline:OrderTimelineService.onPaymentFailed:payment.failed',
    ]);
    const producer = a.get(KafkaProducerService);
    const order = await catalogExample('order.created');
    await expect(producer.orderCreated(order as never)).resolves.toEqual({ topic: 'shop.orders.v1', partition: -1, offset: '-1' });
    await expect(producer.orderCreated({ ...order, orderId: 42 } as never)).rejects.toBeInstanceOf(EventValidationError);
    const health = await a.get(KafkaHealthIndicator).isHealthy('kafka');
    expect(health).toEqual({ kafka: { status: 'up', enabled: false } });
  });

  it('reads KAFKA_ENABLED from process.env by default', async () => {
    vi.stubEnv('KAFKA_ENABLED', 'false');
    vi.stubEnv('KAFKA_BROKERS', '');
    const a = await start({});
    expect(a.get(KafkaHealthIndicator)).toBeDefined();
    await expect(a.get(KafkaHealthIndicator).isConsumerHealthy()).resolves.toEqual({ 'kafka-consumer': { status: 'up', enabled: false } });
    vi.unstubAllEnvs();
  });

  it('refuses an invalid KAFKA_ENABLED and missing brokers with clear messages', async () => {
    await expect(start({ env: { KAFKA_ENABLED: 'maybe' } })).rejects.toThrow(/KAFKA_ENABLED must be true or false/);
    await expect(start({ env: {} })).rejects.toThrow(/KAFKA_BROKERS/);
  });
});

describe('both styles on the in-memory transport (same runtime path as Kafka)', () => {
  it('routes a published event to the style-1 handler and the style-2 glob handler, each in its group', async () => {
    const transport = new InMemoryTransport({ redeliveryDelayMs: 5 });
    const a = await start({ transport });
    const order = await catalogExample('order.created');
    const sent = await a.get(KafkaProducerService).orderCreated(order as never, { correlationId: 'corr-1' });
    expect(sent.topic).toBe('shop.orders.v1');
    await transport.drain();
    const ledger = a.get(PaymentLedger);
    expect(ledger.authorized.get(String(order.orderId))).toMatchObject({ correlationId: 'corr-1' });
    const timeline = a.get(OrderTimelineService).timeline.get(String(order.orderId));
    expect(timeline?.map((e) => [e.eventType, e.topic, e.offset])).toEqual([['order.created', 'shop.orders.v1', sent.offset]]);
    expect(transport.committedOffset('payment-service', 'shop.orders.v1', sent.partition)).toBe(String(Number(sent.offset) + 1));
    expect(transport.committedOffset('nest-shop-timeline', 'shop.orders.v1', sent.partition)).toBe(String(Number(sent.offset) + 1));
  });

  it('dead-letters a poison record once and handles the next one (the partition never sticks)', async () => {
    const transport = new InMemoryTransport({ redeliveryDelayMs: 5 });
    const a = await start({ transport });
    const raw = transport.producer();
    await raw.connect();
    const order = await catalogExample('order.created');
    await raw.send([{ topic: 'shop.orders.v1', messages: [{ key: String(order.orderId), value: '{not json' }] }]);
    await a.get(KafkaProducerService).orderCreated(order as never);
    await transport.drain();
    const dlq = transport.records('shop.orders.v1.dlq');
    // One dead-letter record per group that read the poison record.
    expect(dlq.map((r) => String(r.headers['dlq-consumer-group'])).sort()).toEqual(['nest-shop-timeline', 'payment-service']);
    expect(dlq.every((r) => String(r.headers['dlq-reason']) === 'decode')).toBe(true);
    expect(a.get(PaymentLedger).authorized.has(String(order.orderId))).toBe(true);
    await raw.disconnect();
  });

  it('uses KAFKA_DLQ_TOPIC as the one dead-letter topic', async () => {
    const transport = new InMemoryTransport({ redeliveryDelayMs: 5 });
    await start({ transport, env: { KAFKA_DLQ_TOPIC: 'nest-shop.dlq' } });
    const raw = transport.producer();
    await raw.connect();
    await raw.send([{ topic: 'shop.orders.v1', messages: [{ key: null, value: JSON.stringify({ metadata: { eventType: 'order.nope' }, data: {} }) }] }]);
    await transport.drain();
    expect(transport.records('nest-shop.dlq').length).toBe(2);
    await raw.disconnect();
  });

  it('reports health from the producer and the consumers', async () => {
    const transport = new InMemoryTransport();
    const a = await start({ transport });
    const result = await a.get(KafkaHealthIndicator).isHealthy('kafka');
    expect(result.kafka.status).toBe('up');
    expect(result.kafka).toMatchObject({ broker: { reachable: true }, producer: { healthy: true, status: 'idle' } });
    await a.close();
    app = undefined;
  });
});

@Injectable({ scope: Scope.REQUEST })
class RequestScopedHandlers {
  // `eventName` is the deprecated spelling of `eventType` (eventgen 0.1); it still works.
  @EventHandler({ eventName: 'order.created' })
  async onCreated(_event: KafkaEvent<'order.created'>): Promise<void> {}
}
@Module({ providers: [RequestScopedHandlers] })
class RequestScopedModule {}

@Injectable()
class NoCommit {
  @EventHandler({ eventType: 'order.created', autoCommit: false })
  async onCreated(): Promise<void> {}
}
@Module({ providers: [NoCommit] })
class NoCommitModule {}

@Injectable()
class Unmatched {
  @EventHandler({ eventName: '*' })
  async onAnything(): Promise<void> {}
}
@Module({ providers: [Unmatched] })
class UnmatchedModule {}

describe('discovery rules', () => {
  it('skips request-scoped providers with a warning', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const a = await start({ enabled: false }, [RequestScopedModule]);
    expect(a.get(KafkaDispatcher).handlers.map((h) => h.source)).not.toContain('RequestScopedHandlers.onCreated');
    expect(warn.mock.calls.map((c) => String(c[0]))).toContainEqual(expect.stringContaining('RequestScopedHandlers has @EventHandler() methods but is not a singleton'));
  });

  it('refuses autoCommit: false and a glob that matches no catalog event', async () => {
    await expect(start({ enabled: false }, [NoCommitModule])).rejects.toThrow(/NoCommit.onCreated: autoCommit: false is not supported/);
    await expect(start({ enabled: false }, [UnmatchedModule])).rejects.toThrow(/'\*' matches no event of the catalog .*'\*\*' matches every event/);
  });

  it('KafkaModule.forRootAsync takes options from a factory', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [KafkaModule.forRootAsync({ useFactory: async () => ({ enabled: false, groupId: 'from-factory', logger: silentLogger }) })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    expect(app.get(KafkaDispatcher)).toBeDefined();
    expect((await import('../../examples/nest-shop/src/events/index.js')).KafkaConnection).toBeDefined();
  });
});

describe('style 1 handlers: eventType, and eventName (eventgen 0.1) still accepted', () => {
  class Probe extends BaseTopicHandler {
    constructor() {
      super({ topic: 'shop.orders.v1', groupId: 'probe' });
    }
    add(handler: KafkaEventHandler): void {
      this.register(handler);
    }
  }
  const handle = async (): Promise<void> => undefined;

  it('registers by eventType, or by the deprecated eventName', () => {
    const probe = new Probe();
    probe.add({ eventType: 'order.created', handle });
    probe.add({ eventName: 'order.cancelled', handle });
    expect(probe.eventTypes).toEqual(['order.created', 'order.cancelled']);
    expect(probe.eventNames).toEqual(probe.eventTypes);
  });

  it('refuses a handler with neither, with two different ones, or a second one for the same event', () => {
    const probe = new Probe();
    expect(() => probe.add({ handle })).toThrow(/declares no eventType on topic 'shop.orders.v1' in group 'probe'/);
    expect(() => probe.add({ eventType: 'order.created', eventName: 'order.cancelled', handle })).toThrow(/declares eventType 'order.created' but eventName 'order.cancelled'/);
    probe.add({ eventType: 'order.created', handle });
    expect(() => probe.add({ eventName: 'order.created', handle })).toThrow(/Two handlers for event 'order.created'/);
  });
});
