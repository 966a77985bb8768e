/**
 * End to end on a real broker (Test.createTestingModule → init → close): the nest-shop example with both handler
 * styles, a poison record, shutdown, and /health going 503 when (its own, second) broker stops.
 * Without a broker these tests skip with one line (REQUIRE_KAFKA=1 makes that a failure, see global set-up).
 */
import 'reflect-metadata';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, stopBroker } from '../../scripts/kafka/lib.mjs';
import { AppModule } from '../../examples/nest-shop/src/app.module.js';
import { EventHandler, KafkaConnection, KafkaProducerService, PlatformaticTransport, silentLogger, type KafkaEvent, type KafkaEventContext } from '../../examples/nest-shop/src/events/index.js';
import { OrderTimelineService } from '../../examples/nest-shop/src/orders/order-timeline.service.js';
import { PaymentLedger } from '../../examples/nest-shop/src/payments/payment.commands.js';
import { kafkaBrokers, skipReason, uniqueName } from '../support/kafka.js';
import { catalogExample } from './fixtures.js';

const brokers = await kafkaBrokers();
if (!brokers) process.stderr.write(`NestJS Kafka e2e tests SKIPPED: ${skipReason() || 'no broker'}\n`);

const GROUP = uniqueName('nest-e2e');
const DLQ = uniqueName('nest-e2e-dlq');
const CONSUMER = { heartbeatIntervalMs: 1_000, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 20_000, maxWaitTimeMs: 100 };

/** A decorated handler in a group unique to this run (offsets and membership can be checked exactly). */
@Injectable()
class RunProbe {
  readonly seen: Array<{ orderId: string; partition: number; offset: string }> = [];

  @EventHandler({ eventType: 'order.created', groupId: GROUP })
  async onCreated(event: KafkaEvent<'order.created'>, { partition, offset }: KafkaEventContext): Promise<void> {
    this.seen.push({ orderId: event.data.orderId, partition, offset });
  }
}
@Module({ providers: [RunProbe] })
class ProbeModule {}

async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function newOrderId(): string {
  return crypto.randomUUID();
}

describe.skipIf(!brokers)('nest-shop on Kafka', () => {
  let admin: Admin;
  let dlqConsumer: Consumer;
  let rawProducer: Producer;
  const dead: Array<{ headers: Record<string, string> }> = [];
  let app: INestApplication | undefined;

  beforeAll(async () => {
    const kafka = new Kafka({ clientId: 'nest-e2e-admin', brokers: String(brokers).split(','), logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const wanted = ['shop.orders.v1', 'shop.payments.v1', DLQ].filter((t) => !existing.has(t));
    if (wanted.length) await admin.createTopics({ topics: wanted.map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
    rawProducer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await rawProducer.connect();
    dlqConsumer = kafka.consumer({ groupId: uniqueName('nest-e2e-dlq-reader'), maxWaitTimeInMs: 100 });
    await dlqConsumer.connect();
    await dlqConsumer.subscribe({ topic: DLQ, fromBeginning: true });
    await dlqConsumer.run({
      eachMessage: async ({ message }) => {
        dead.push({ headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])) });
      },
    });
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.register({ brokers, logger: silentLogger, deadLetterTopic: DLQ, consumer: CONSUMER }), ProbeModule],
    }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await dlqConsumer?.disconnect();
    await rawProducer?.disconnect();
    await admin?.disconnect();
  });

  it('an event published through KafkaProducerService reaches the style-1 handler and the style-2 handlers', async () => {
    const order = { ...(await catalogExample('order.created')), orderId: newOrderId() };
    const sent = await app!.get(KafkaProducerService).orderCreated(order as never, { correlationId: 'e2e-corr' });
    expect(sent.topic).toBe('shop.orders.v1');
    const ledger = app!.get(PaymentLedger);
    await until('the payment-service handler (style 1)', () => ledger.authorized.get(order.orderId));
    expect(ledger.authorized.get(order.orderId)?.correlationId).toBe('e2e-corr');
    await until('the timeline (style 2, order.*)', () => app!.get(OrderTimelineService).timeline.get(order.orderId));
    await until('the probe (style 2, its own group)', () => app!.get(RunProbe).seen.find((s) => s.orderId === order.orderId));
    expect(app!.get(RunProbe).seen.find((s) => s.orderId === order.orderId)).toEqual({ orderId: order.orderId, partition: sent.partition, offset: sent.offset });
  });

  it('a poison record goes to the dead-letter topic and the next record of the partition is handled', async () => {
    const order = { ...(await catalogExample('order.created')), orderId: newOrderId() };
    // Same key as the good record (murmur2, as the runtime) → same partition, right before it.
    const [poison] = await rawProducer.send({ topic: 'shop.orders.v1', messages: [{ key: order.orderId, value: '{"metadata": broken' }] });
    const good = await app!.get(KafkaProducerService).orderCreated(order as never);
    expect(good.partition).toBe(poison?.partition);
    expect(BigInt(good.offset)).toBeGreaterThan(BigInt(poison?.baseOffset ?? '-1'));
    await until('the record after the poison one', () => app!.get(RunProbe).seen.find((s) => s.orderId === order.orderId));
    const mine = await until('the dead-letter record of our group', () =>
      dead.find((d) => d.headers['dlq-consumer-group'] === GROUP && d.headers['dlq-original-offset'] === poison?.baseOffset),
    );
    expect(mine.headers['dlq-reason']).toBe('decode');
    expect(mine.headers['dlq-original-topic']).toBe('shop.orders.v1');
  });

  it('shutdown commits the handled offsets and leaves the group', async () => {
    const order = { ...(await catalogExample('order.created')), orderId: newOrderId() };
    const sent = await app!.get(KafkaProducerService).orderCreated(order as never);
    await until('the last record', () => app!.get(RunProbe).seen.find((s) => s.orderId === order.orderId));
    await app!.close();
    app = undefined;
    const offsets = await admin.fetchOffsets({ groupId: GROUP, topics: ['shop.orders.v1'] });
    const committed = offsets[0]?.partitions.find((p) => p.partition === sent.partition)?.offset;
    expect(committed).toBe(String(BigInt(sent.offset) + 1n));
    const { groups } = await admin.describeGroups([GROUP]);
    expect(groups[0]?.members).toEqual([]);
  });
});

describe.skipIf(!brokers)('nest-shop on @platformatic/kafka (KafkaModule option `client`)', () => {
  let app: INestApplication | undefined;

  afterAll(async () => {
    await app?.close();
  });

  it('runs its producer and both handler styles on the @platformatic/kafka transport; the health ping reaches the broker', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.register({ brokers, client: 'platformatic', logger: silentLogger, deadLetterTopic: DLQ, consumer: CONSUMER }), ProbeModule],
    }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.init();
    const connection = app.get(KafkaConnection);
    expect(connection.settings.client).toBe('platformatic');
    expect(connection.transport).toBeInstanceOf(PlatformaticTransport);
    const order = { ...(await catalogExample('order.created')), orderId: newOrderId() };
    const sent = await app.get(KafkaProducerService).orderCreated(order as never, { correlationId: 'e2e-plt' });
    expect(sent.topic).toBe('shop.orders.v1');
    await until('the payment-service handler (style 1)', () => app!.get(PaymentLedger).authorized.get(order.orderId), 60_000);
    await until('the probe (style 2, its own group)', () => app!.get(RunProbe).seen.find((s) => s.orderId === order.orderId), 60_000);
    expect(app.get(RunProbe).seen.find((s) => s.orderId === order.orderId)).toEqual({ orderId: order.orderId, partition: sent.partition, offset: sent.offset });
    expect(await connection.ping()).toEqual({ reachable: true });
  });
});

describe.skipIf(!brokers)('/health on its own broker', () => {
  const env = { ...process.env, KAFKA_LOCAL_PORT: '19192', KAFKA_LOCAL_CONTROLLER_PORT: '19193' };
  let started = false;
  let app: INestApplication | undefined;

  afterAll(async () => {
    if (app) await Promise.race([app.close(), new Promise((r) => setTimeout(r, 20_000))]);
    if (started) await stopBroker({ env, clean: true });
  });

  it('is up (200), then down (503) when the broker stops', async () => {
    const broker = await startBroker({ env });
    started = broker.started;
    const kafka = new Kafka({ clientId: 'nest-e2e-health', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: ['shop.orders.v1', 'shop.payments.v1'].map((topic) => ({ topic, numPartitions: 1 })), waitForLeaders: true });
    await admin.disconnect();
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.register({ brokers: broker.bootstrap, logger: silentLogger, consumer: CONSUMER })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    const url = `${await app.getUrl()}/health`;
    const up = await fetch(url);
    expect(up.status).toBe(200);
    expect(await up.json()).toMatchObject({ status: 'ok', info: { kafka: { status: 'up', broker: { reachable: true } } } });
    await stopBroker({ env });
    const down = await until('a 503', async () => {
      const r = await fetch(url);
      return r.status === 503 ? r : undefined;
    });
    expect(await down.json()).toMatchObject({ status: 'error', error: { kafka: { status: 'down', broker: { reachable: false } } } });
  });
});
