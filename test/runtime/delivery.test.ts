/**
 * The delivery engine's decisions, driven through the real kafkajs adapter (KafkaTransport) against a scripted fake
 * kafkajs client: each numbered scenario of issue 11 ("Delivery engine v2") is a test here. Guarantees on a real
 * broker with several processes are in test/integration.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  DLQ_HEADERS,
  EventProducer,
  GroupConsumer,
  InMemoryProcessedStore,
  KafkaTransport,
  NonRetriableError,
  NotImplementedError,
  RetriableError,
  TopicDelegator,
  createLogger,
  decodeHeaders,
  defineEvent,
  encodeEnvelope,
  envelopeHeaders,
  headersEnvelopeMigration,
  kafkaConfig,
  recordEventId,
  route,
  uuidV5,
  type DeadLetterPolicy,
  type EnvelopeMetadata,
  type EventContext,
  type GroupConsumerOptions,
  type KafkaConsumerOptions,
  type ProcessedStore,
  type RetryPolicy,
} from '../../templates/runtime/index.js';
import { FakeKafka, type FakeConsumer, type FakeMessage } from './fake-kafka.js';

const Schema = z.object({ orderId: z.string() });
const OrderCreated = defineEvent({ eventType: 'order.created', version: '1.0.0', topics: ['orders'], schema: Schema, classification: 'internal', partitionKey: (d) => d.orderId });
const RETRY: RetryPolicy = { maxRetries: 2, initialDelayMs: 10, maxDelayMs: 100, multiplier: 2, jitter: 0 };
const DLQ: DeadLetterPolicy = { enabled: true, topic: 'orders.dlq' };

type Handle = (data: { orderId: string }, ctx: EventContext, call: number) => Promise<void> | void;

interface Setup {
  kafka: FakeKafka;
  consumer: GroupConsumer;
  fc: FakeConsumer;
  calls: Array<{ data: { orderId: string }; ctx: EventContext }>;
  lines: Array<Record<string, unknown>>;
  dlq: () => Array<{ partition: number; message: { key: unknown; value: Buffer | null; headers: Record<string, unknown> } }>;
}

const running: GroupConsumer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

async function setup(options: { handle?: Handle; retry?: RetryPolicy; deadLetter?: DeadLetterPolicy; consumer?: Partial<GroupConsumerOptions>; kafkaConsumer?: KafkaConsumerOptions; join?: boolean; kafka?: FakeKafka; store?: ProcessedStore | null } = {}): Promise<Setup> {
  const kafka = options.kafka ?? new FakeKafka();
  kafka.topics.set('orders', 2);
  kafka.topics.set('orders.dlq', 1);
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'debug', write: (line) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const transport = new KafkaTransport({ config: kafkaConfig({ brokers: 'fake:9092', clientId: 'test' }), client: kafka.client, logger, consumer: { commitIntervalMs: 0, ...options.kafkaConsumer } });
  const calls: Setup['calls'] = [];
  const handle = options.handle ?? (() => undefined);
  const delegator = new TopicDelegator({
    topic: 'orders',
    retry: options.retry ?? RETRY,
    deadLetter: options.deadLetter ?? DLQ,
    routes: [
      route(OrderCreated, {
        async handle(data, ctx) {
          calls.push({ data, ctx });
          await handle(data, ctx, calls.length);
        },
      }),
    ],
  });
  const consumer = new GroupConsumer({ groupId: 'g', transport, topics: [delegator], logger, heartbeatIntervalMs: 20, stopTimeoutMs: 2_000, ...(options.store === undefined ? {} : { store: options.store }), ...options.consumer });
  running.push(consumer);
  await consumer.start();
  const fc = kafka.consumers[kafka.consumers.length - 1] as FakeConsumer;
  if (options.join !== false) fc.join({ orders: [0, 1] });
  const dlq = (): ReturnType<Setup['dlq']> => kafka.producers.flatMap((p) => p.sent.filter((s) => s.topic === 'orders.dlq'));
  return { kafka, consumer, fc, calls, lines, dlq };
}

let seq = 0;
function meta(overrides: Partial<EnvelopeMetadata> = {}): EnvelopeMetadata {
  seq += 1;
  return { eventId: `e-${seq}`, eventType: 'order.created', eventVersion: '1.0.0', correlationId: `corr-${seq}`, timestamp: new Date().toISOString(), source: 'test', dataClassification: 'internal', partitionKey: 'k', ...overrides };
}

function message(offset: number, data: unknown = { orderId: `o-${offset}` }, metadata: EnvelopeMetadata = meta()): FakeMessage {
  return { offset: String(offset), key: Buffer.from('k'), value: encodeEnvelope({ metadata, data }), headers: envelopeHeaders(metadata) };
}

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('delivery engine on a fake kafkajs client', () => {
  it('handles a batch in order, resolves the last record once, commits once per batch, heartbeats only when work takes time', async () => {
    const s = await setup();
    const result = await s.fc.deliver('orders', 0, [message(0), message(1), message(2)]);
    expect(s.calls.map((c) => c.ctx.offset)).toEqual(['0', '1', '2']);
    expect(result.resolved).toEqual(['2']);
    expect(s.fc.committed()).toEqual(['orders[0]=3']);
    expect(s.fc.runOptions).toMatchObject({ autoCommit: false, eachBatchAutoResolve: false });
    expect(s.fc.config).toMatchObject({ allowAutoTopicCreation: false });
    expect(s.consumer.health()).toMatchObject({ healthy: true, status: 'running', processed: 3, assignedPartitions: 2 });
  });

  it('a batch left midway (a long retry pauses the partition) hands kafkajs only the last record it finished', async () => {
    const s = await setup({
      retry: { maxRetries: 3, initialDelayMs: 60_000, maxDelayMs: 60_000, multiplier: 1, jitter: 0 },
      handle: (_d, ctx) => (ctx.offset === '1' ? Promise.reject(new RetriableError('later')) : undefined),
    });
    const result = await s.fc.deliver('orders', 0, [message(0), message(1), message(2)]);
    expect(s.calls.map((c) => c.ctx.offset)).toEqual(['0', '1']);
    expect(result.resolved).toEqual(['0']);
    expect(s.fc.committed()).toEqual(['orders[0]=1']);
  });

  it('(1) a rolling deploy never dead-letters: a handler that fails because the consumer stops leaves its record uncommitted', async () => {
    const s = await setup({
      retry: { ...RETRY, maxRetries: 0 },
      handle: (_d, ctx) =>
        new Promise<void>((_, reject) => {
          ctx.signal.addEventListener('abort', () => reject(new Error('aborted by stop')));
        }),
    });
    const delivered = s.fc.deliver('orders', 0, [message(0), message(1)]);
    await tick(10);
    const stopped = s.consumer.stop();
    const result = await delivered;
    await stopped;
    expect(s.calls).toHaveLength(1);
    expect(s.calls[0]?.ctx.signal.aborted).toBe(true);
    expect(result.resolved).toEqual([]);
    expect(s.dlq()).toHaveLength(0);
    expect(s.fc.committed()).toEqual([]);
    expect(s.consumer.metrics.get('dead_lettered')).toBe(0);
    expect(s.fc.calls.slice(-2)).toEqual(['stop', 'disconnect']);
  });

  it('(2) new groups start at the earliest offset, with a warning per partition that has no committed offset', async () => {
    const kafka = new FakeKafka();
    kafka.committedOffsets.set('g orders 1', '42');
    const s = await setup({ kafka });
    expect(s.fc.subscribed).toEqual({ topics: ['orders'], fromBeginning: true });
    await tick(10);
    const warnings = s.lines.filter((l) => l['level'] === 'warn' && /no committed offset/.test(String(l['msg'])));
    expect(warnings.map((w) => `${w['topic']}[${w['partition']}]`)).toEqual(['orders[0]']);
    expect(String(warnings[0]?.['msg'])).toMatch(/earliest record/);
  });

  it('(3) null, repeated and __proto__ headers: handled, never stall, forwarded unchanged to the dead-letter record', async () => {
    const s = await setup({ handle: () => Promise.reject(new NonRetriableError('no')) });
    const m = message(0);
    const headers = { ...m.headers, nullable: null, repeated: ['a', 'b'], ['__proto__']: Buffer.from('polluted') } as FakeMessage['headers'];
    Object.defineProperty(headers, '__proto__', { value: Buffer.from('polluted'), enumerable: true, configurable: true, writable: true });
    const result = await s.fc.deliver('orders', 0, [{ ...m, headers }]);
    expect(result.resolved).toEqual(['0']);
    const ctx = s.calls[0]?.ctx;
    expect(ctx?.headers['repeated']).toBe('b');
    expect(ctx?.headers['__proto__']).toBe('polluted');
    expect(Object.getPrototypeOf(ctx?.headers)).toBeNull();
    expect('nullable' in (ctx?.headers ?? {})).toBe(false);
    const [dead] = s.dlq();
    expect(dead?.message.headers['nullable']).toBeNull();
    expect(dead?.message.headers['repeated']).toEqual(['a', 'b']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('(3) an undecodable value (invalid UTF-8, not JSON) goes to the dead-letter topic with reason decode; the partition moves on', async () => {
    const s = await setup();
    const result = await s.fc.deliver('orders', 0, [{ offset: '0', value: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }, message(1)]);
    expect(result.resolved).toEqual(['1']);
    expect(decodeHeaders(s.dlq()[0]?.message.headers as never)[DLQ_HEADERS.reason]).toBe('decode');
    expect(decodeHeaders(s.dlq()[0]?.message.headers as never)[DLQ_HEADERS.errorMessage]).toMatch(/not valid UTF-8/);
    expect(s.calls).toHaveLength(1);
    expect(s.fc.committed()).toEqual(['orders[0]=2']);
  });

  it('(4) a handler that never settles times out (signal aborted, retriable), heartbeats meanwhile, and is dead-lettered after its retries', async () => {
    const s = await setup({ consumer: { handlerTimeoutMs: 60 }, retry: { ...RETRY, maxRetries: 1 }, handle: () => new Promise<void>(() => {}) });
    const result = await s.fc.deliver('orders', 0, [message(0)]);
    expect(result.resolved).toEqual(['0']);
    expect(s.calls.map((c) => c.ctx.attempt)).toEqual([1, 2]);
    expect(s.calls.every((c) => c.ctx.signal.aborted)).toBe(true);
    expect(s.fc.heartbeats).toBeGreaterThan(0);
    expect(decodeHeaders(s.dlq()[0]?.message.headers as never)).toMatchObject({ [DLQ_HEADERS.reason]: 'retries-exhausted', [DLQ_HEADERS.errorClass]: 'HandlerTimeoutError', [DLQ_HEADERS.attempts]: '2' });
  });

  it('(4) stop() returns within its deadline even while a handler never settles; the record stays uncommitted', async () => {
    const s = await setup({ consumer: { stopTimeoutMs: 300, handlerTimeoutMs: 60_000 }, handle: () => new Promise<void>(() => {}) });
    void s.fc.deliver('orders', 0, [message(0)]);
    await tick(10);
    const started = Date.now();
    await s.consumer.stop();
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(s.consumer.health().status).toBe('stopped');
    expect(s.fc.committed()).toEqual([]);
    expect(s.dlq()).toHaveLength(0);
  });

  it('(4) a slow handler keeps the member alive with interval heartbeats and loses nothing to a rebalance', async () => {
    let release!: () => void;
    const s = await setup({ handle: (_d, _c, call) => (call === 1 ? new Promise<void>((resolve) => (release = resolve)) : undefined) });
    const delivered = s.fc.deliver('orders', 0, [message(0), message(1)]);
    await tick(120);
    expect(s.fc.heartbeats).toBeGreaterThanOrEqual(3);
    // Another member joins: the next heartbeat fails; the engine leaves the batch at once (no rebalance loop) and
    // commits nothing of the record it could not finish.
    s.fc.rebalance();
    const result = await delivered;
    expect(result.resolved).toEqual([]);
    expect(s.fc.committed()).toEqual([]);
    release();
    // The partition comes back: the first record's late success is used, not run again.
    s.fc.join({ orders: [0] });
    const again = await s.fc.deliver('orders', 0, [message(0, undefined, s.calls[0]?.ctx.metadata), message(1)]);
    expect(again.resolved).toEqual(['1']);
    expect(s.calls.map((c) => c.ctx.offset)).toEqual(['0', '1']);
  });

  it('(5) a dead-letter record the broker refuses as too large is sent again reduced (value and stack left out)', async () => {
    const s = await setup({ handle: () => Promise.reject(new NonRetriableError('bad')) });
    s.kafka.producers[0]!.behaviour = (tm) => (tm.some((t) => t.messages.some((m: { value: unknown }) => m.value !== null)) ? Object.assign(new Error('The request included a message larger than the max message size the server will accept'), { type: 'MESSAGE_TOO_LARGE' }) : undefined);
    const result = await s.fc.deliver('orders', 0, [message(0, { orderId: 'x'.repeat(1000) })]);
    expect(result.resolved).toEqual(['0']);
    const [dead] = s.dlq();
    expect(dead?.message.value).toBeNull();
    const h = decodeHeaders(dead?.message.headers as never);
    expect(Number(h[DLQ_HEADERS.valueOmitted])).toBeGreaterThan(1000);
    expect(h[DLQ_HEADERS.errorStack]).toBeUndefined();
    expect(h[DLQ_HEADERS.reason]).toBe('handler-non-retriable');
  });

  it('(5) a dead-letter write that keeps failing: never re-runs the handler, pauses between tries, halts the partition after N and reports it', async () => {
    const s = await setup({
      consumer: { deadLetterAttempts: 3, deadLetterRetry: { maxRetries: 0, initialDelayMs: 1, maxDelayMs: 1, multiplier: 1, jitter: 0 } },
      handle: () => Promise.reject(new RetriableError('down')),
    });
    s.kafka.producers[0]!.behaviour = () => Object.assign(new Error('Topic authorization failed'), { type: 'TOPIC_AUTHORIZATION_FAILED' });
    for (let i = 0; i < 3; i++) {
      const r = await s.fc.deliver('orders', 0, [message(0, undefined, { ...meta(), eventId: 'poison' })]);
      expect(r.resolved).toEqual([]);
      await tick(5);
    }
    expect(s.calls).toHaveLength(3); // the first delivery's 1 + 2 retries; redeliveries went straight to the write
    const health = s.consumer.health();
    expect(health.healthy).toBe(false);
    expect(health.haltedPartitions).toEqual([expect.objectContaining({ topic: 'orders', partition: 0, offset: '0', reason: expect.stringMatching(/failed \(3\/3\): Topic authorization failed/) })]);
    expect(s.fc.pausedPartitions.has('orders[0]')).toBe(true);
    expect(s.fc.committed()).toEqual([]);
  });

  it('(7) dedup is a lease: a second member waits for the first one instead of running the same event, then skips it', async () => {
    const store = new InMemoryProcessedStore();
    let release!: () => void;
    const a = await setup({ store, handle: () => new Promise<void>((resolve) => (release = resolve)) });
    const b = await setup({ store });
    const event = message(0, { orderId: 'o-1' }, { ...meta(), eventId: 'same' });
    const first = a.fc.deliver('orders', 0, [event]);
    await tick(10);
    // The partition moved to b (a rebalance) while a still runs the handler: b must not run it too.
    const second = b.fc.deliver('orders', 0, [event]);
    await tick(100);
    expect(b.calls).toHaveLength(0);
    expect(b.consumer.health().retryingPartitions[0]?.reason).toMatch(/lease held by another member/);
    release();
    await first;
    const r = await second;
    expect(r.resolved).toEqual(['0']);
    expect(a.calls).toHaveLength(1);
    expect(b.calls).toHaveLength(0);
    expect(b.consumer.metrics.get('duplicates_skipped')).toBe(1);
  });

  it('(8) offsets of an ended epoch are never committed after the rebalance, even when the commit before it failed', async () => {
    const s = await setup({ kafkaConsumer: { commitIntervalMs: 10_000, commitBatchSize: 10_000 } });
    await s.fc.deliver('orders', 0, [message(0), message(1)]);
    s.fc.failCommits = 1;
    s.fc.rebalance(); // REBALANCING: the engine tries its final commit of the epoch, which fails
    await tick(10);
    expect(s.fc.committed()).toEqual([]);
    s.fc.join({ orders: [1] }); // new epoch: partition 0 went elsewhere
    await s.fc.deliver('orders', 1, [message(0)]);
    await s.consumer.stop();
    expect(s.fc.committed()).toEqual(['orders[1]=1']); // never orders[0]=2
  });

  it('(8) records this member completed but could not commit are skipped when the partition comes back (a coordinator that died)', async () => {
    const s = await setup({ kafkaConsumer: { commitIntervalMs: 10_000, commitBatchSize: 10_000 } });
    await s.fc.deliver('orders', 0, [message(0), message(1)]);
    s.fc.failCommits = 1;
    s.fc.rebalance();
    await tick(10);
    expect(s.fc.committed()).toEqual([]);
    s.fc.join({ orders: [0, 1] }); // same partitions again: kafkajs fetches from the last committed offset
    const again = await s.fc.deliver('orders', 0, [message(0), message(1), message(2)]);
    expect(again.resolved).toEqual(['2']); // kafkajs gets the last offset advanced over (past the skipped records and the new one), once
    expect(s.calls.map((c) => c.ctx.offset)).toEqual(['0', '1', '2']); // 0 and 1 were not handled twice
    await s.consumer.stop();
    expect(s.fc.committed()).toEqual(['orders[0]=3']);
    expect(s.consumer.metrics.get('duplicates_skipped')).toBe(2);
  });

  it('(8) commits failing for longer than maxUncommittedMs: no further record is handled until a commit lands (bounded redelivery)', async () => {
    const s = await setup({ consumer: { maxUncommittedMs: 50 }, kafkaConsumer: { commitIntervalMs: 10, commitBatchSize: 1 }, handle: () => tick(10) });
    s.fc.failCommits = 1_000;
    const delivered = s.fc.deliver('orders', 0, Array.from({ length: 40 }, (_, i) => message(i)));
    await tick(300);
    const handledWhileFailing = s.calls.length;
    expect(handledWhileFailing).toBeLessThan(40);
    expect(s.consumer.health()).toMatchObject({ healthy: false, commitsFailingSince: expect.any(String) });
    s.fc.failCommits = 0; // the coordinator is back
    const result = await delivered;
    expect(result.resolved).toEqual(['39']);
    expect(s.calls).toHaveLength(40);
    expect(s.consumer.health().healthy).toBe(true);
    expect(s.lines.some((l) => l['msg'] === 'Offset commits keep failing; holding new records until a commit lands')).toBe(true);
  });

  it('(9) consume → produce: events caused by a record get the same ids on every redelivery; legacy records get a stable id', async () => {
    const kafka = new FakeKafka();
    kafka.topics.set('payments', 1);
    const transport = new KafkaTransport({ config: kafkaConfig({ brokers: 'fake:9092', clientId: 't' }), client: kafka.client, logger: createLogger({ level: 'error', write: () => undefined }) });
    const producer = new EventProducer({ transport, source: 'test', logger: createLogger({ level: 'error', write: () => undefined }) });
    const Paid = defineEvent({ eventType: 'payment.captured', version: '1.0.0', topics: ['payments'], schema: z.object({ orderId: z.string() }), classification: 'internal', partitionKey: (d) => d.orderId });
    const ids: string[] = [];
    const s = await setup({
      kafka,
      handle: async (data, ctx) => {
        await producer.send('payments', Paid, { orderId: data.orderId }, { causedBy: ctx });
        await producer.send('payments', Paid, { orderId: data.orderId }, { causedBy: ctx });
        if (ctx.attempt === 1) throw new RetriableError('crash after producing');
      },
    });
    await s.fc.deliver('orders', 0, [message(0, { orderId: 'o-9' }, { ...meta(), eventId: 'cause-1', correlationId: 'corr-9', userId: 'u-1' })]);
    for (const sent of kafka.producers.flatMap((p) => p.sent.filter((x) => x.topic === 'payments'))) ids.push(JSON.parse(String(sent.message.value)).metadata.eventId);
    expect(ids).toHaveLength(4);
    expect(ids.slice(2)).toEqual(ids.slice(0, 2)); // the retry produced the same two ids
    expect(ids[0]).not.toBe(ids[1]);
    expect(ids[0]).toBe(uuidV5('caused:cause-1:payment.captured:0'));
    const first = JSON.parse(String(kafka.producers.flatMap((p) => p.sent)[0]?.message.value)).metadata;
    expect(first).toMatchObject({ causationId: 'cause-1', correlationId: 'corr-9', userId: 'u-1' });
    const migrate = headersEnvelopeMigration();
    const position = { topic: 'legacy', partition: 2, offset: '17' };
    const once = migrate({ a: 1 }, { 'event-type': 'order.created' }, position);
    const twice = migrate({ a: 1 }, { 'event-type': 'order.created' }, position);
    expect(once?.metadata.eventId).toBe(recordEventId(position));
    expect(twice?.metadata.eventId).toBe(once?.metadata.eventId);
  });

  it('(10) unknown event types follow the policy: ignore acknowledges, halt pauses the partition', async () => {
    const unknown = (offset: number): FakeMessage => message(offset, {}, { ...meta(), eventType: 'order.teleported' });
    const ignoring = await setup({ consumer: { unknownEventTypes: 'ignore' } });
    expect((await ignoring.fc.deliver('orders', 0, [unknown(0), message(1)])).resolved).toEqual(['1']);
    expect(ignoring.dlq()).toHaveLength(0);
    expect(ignoring.consumer.metrics.get('ignored')).toBe(1);
    const halting = await setup({ consumer: { unknownEventTypes: 'halt' } });
    expect((await halting.fc.deliver('orders', 0, [message(0), unknown(1), message(2)])).resolved).toEqual(['0']);
    expect(halting.consumer.health().haltedPartitions[0]?.reason).toMatch(/unknown event type 'order.teleported'/);
    expect(halting.dlq()).toHaveLength(0);
  });

  it('(10) a failed start() disconnects what it connected; no timer survives a crash and stop()', async () => {
    const kafka = new FakeKafka();
    kafka.onConsumer = (c) => {
      c.connectError = new Error('connect ECONNREFUSED');
    };
    await expect(setup({ kafka, join: false })).rejects.toThrow(/ECONNREFUSED/);
    expect(kafka.producers[0]?.calls).toContain('disconnect');
    expect(kafka.consumers[0]?.calls).toContain('disconnect');

    const s = await setup({ consumer: { retryPauseThresholdMs: 0 }, retry: { ...RETRY, initialDelayMs: 50, maxDelayMs: 50 }, handle: () => Promise.reject(new Error('flaky')) });
    await s.fc.deliver('orders', 0, [message(0)]);
    expect(s.fc.pausedPartitions.has('orders[0]')).toBe(true); // a long retry delay pauses the partition
    s.fc.crash(new Error('fatal'));
    expect(s.consumer.health().status).toBe('crashed');
    await s.consumer.stop();
    const calls = s.fc.calls.length;
    await tick(100);
    expect(s.fc.calls.slice(calls)).toEqual([]); // the retry timer did not resume anything after the crash
  });

  it('(10) fetch sizes reach kafkajs; dead-letter stack traces can be left out', async () => {
    const s = await setup({ kafkaConsumer: { maxBytesPerPartition: 2048, maxBytes: 4096, minBytes: 10 }, consumer: { deadLetterStackTraces: false }, handle: () => Promise.reject(new NonRetriableError('no')) });
    expect(s.fc.config).toMatchObject({ maxBytesPerPartition: 2048, maxBytes: 4096, minBytes: 10 });
    await s.fc.deliver('orders', 0, [message(0)]);
    expect(decodeHeaders(s.dlq()[0]?.message.headers as never)[DLQ_HEADERS.errorStack]).toBeUndefined();
  });

  it('(11) a handler producing an invalid event is a handler failure, not an invalid incoming record; the stub error reads well', async () => {
    const kafka = new FakeKafka();
    kafka.topics.set('payments', 1);
    const transport = new KafkaTransport({ config: kafkaConfig({ brokers: 'fake:9092', clientId: 't' }), client: kafka.client });
    const producer = new EventProducer({ transport, source: 'test' });
    const s = await setup({ kafka, handle: async () => void (await producer.send('payments', OrderCreated, { orderId: 7 } as never)) });
    await s.fc.deliver('orders', 0, [message(0)]);
    expect(decodeHeaders(s.dlq()[0]?.message.headers as never)).toMatchObject({ [DLQ_HEADERS.reason]: 'handler-non-retriable', [DLQ_HEADERS.errorClass]: 'EventValidationError' });
    expect(new NotImplementedError({ eventType: 'order.created', groupId: 'payment-service', eventId: 'e-1' }).message).toBe(
      "No handler implemented for event 'order.created' in consumer group 'payment-service' (eventId e-1): implement the generated stub",
    );
    const legacy = new NotImplementedError('payment-service: no handler for order.created yet (eventId e-1)');
    expect(legacy.message).toBe('payment-service: no handler for order.created yet (eventId e-1)');
    expect(legacy.eventType).toBe('unknown');
  });

  it('(11) kafkajs routine messages are not warnings', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({ level: 'debug', write: (l) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    const { toKafkaJsConfig } = await import('../../templates/runtime/index.js');
    const config = toKafkaJsConfig(kafkaConfig({ brokers: 'fake:9092', clientId: 't' }), logger);
    const log = config.logCreator?.(0)!;
    log({ namespace: 'Producer', level: 2, label: 'WARN', log: { message: 'Limiting retries for the idempotent producer may invalidate EoS guarantees', timestamp: '' } });
    log({ namespace: 'Connection', level: 1, label: 'ERROR', log: { message: 'Connection error: ECONNREFUSED', timestamp: '' } });
    // What kafkajs' Connection logs on a fresh cluster (no errorCode field, only the error's message): routine.
    log({ namespace: 'Connection', level: 1, label: 'ERROR', log: { message: 'Response GroupCoordinator(key: 10, version: 2)', error: 'The group coordinator is not available', correlationId: 2, size: 55, timestamp: '' } });
    // A protocol error that is not part of group life stays an error.
    log({ namespace: 'Connection', level: 1, label: 'ERROR', log: { message: 'Response Produce(key: 0, version: 7)', error: 'Not authorized to access topics: [Topic authorization failed]', correlationId: 3, size: 60, timestamp: '' } });
    expect(lines.map((l) => `${l['level']} ${l['msg']}`)).toEqual([
      'debug Limiting retries for the idempotent producer may invalidate EoS guarantees',
      'error Connection error: ECONNREFUSED',
      'info Response GroupCoordinator(key: 10, version: 2)',
      'error Response Produce(key: 0, version: 7)',
    ]);
  });

  it('(11) the routine group answers are worded as this kafkajs words them', async () => {
    const { createRequire } = await import('node:module');
    const table = (createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as { errorCodes: Array<{ code: number; message: string }> }).errorCodes;
    const source = readFileSync(path.resolve(import.meta.dirname, '../../templates/runtime/kafka-transport.ts'), 'utf8');
    for (const code of [27, 15, 16, 14, 22, 25]) {
      const message = table.find((e) => e.code === code)?.message ?? `code ${code} missing`;
      expect(source).toContain(message);
    }
  });

  it('(12) a partition held by retries is visible: health, gauge metric and a warning per retry', async () => {
    let fail = true;
    const s = await setup({ consumer: { retryPauseThresholdMs: 0 }, retry: { ...RETRY, maxRetries: 5, initialDelayMs: 60_000, maxDelayMs: 60_000 }, handle: () => (fail ? Promise.reject(new Error('order unknown')) : undefined) });
    await s.fc.deliver('orders', 1, [message(0)]);
    const [retrying] = s.consumer.health().retryingPartitions;
    expect(retrying).toMatchObject({ topic: 'orders', partition: 1, offset: '0', attempt: 1, reason: 'order unknown' });
    expect(Date.parse(retrying?.nextAttemptAt ?? '') - Date.now()).toBeGreaterThan(50_000);
    expect(s.consumer.health().healthy).toBe(true);
    expect(s.consumer.metrics.toPrometheus()).toContain('eventgen_consumer_partitions_retrying{group="g"} 1');
    expect(s.lines.some((l) => l['msg'] === 'Handler failed; retrying' && l['level'] === 'warn' && l['correlationId'] !== undefined)).toBe(true);
    fail = false;
  });

  it('a signal during start() (still joining) stops gracefully within the deadline instead of killing the process', async () => {
    const kafka = new FakeKafka();
    kafka.onConsumer = (c) => {
      c.holdJoin = true;
    };
    const keepAlive = (): void => {};
    process.on('SIGTERM', keepAlive);
    try {
      const pending = setup({ kafka, join: false, consumer: { handleSignals: true, stopTimeoutMs: 400 } });
      await tick(10);
      const fc = kafka.consumers[0] as FakeConsumer;
      expect(fc.calls).toContain('run');
      const started = Date.now();
      process.emit('SIGTERM', 'SIGTERM');
      await pending; // start() settles (the join was abandoned)
      await new Promise((resolve) => {
        const wait = (): void => void (fc.calls.includes('disconnect') ? resolve(undefined) : setTimeout(wait, 5));
        wait();
      });
      expect(Date.now() - started).toBeLessThan(1_500);
      expect(fc.calls).toEqual(expect.arrayContaining(['stop', 'disconnect']));
    } finally {
      process.off('SIGTERM', keepAlive);
    }
  });

  it('batch handlers: one handleBatch call for consecutive records; every record outcome counts on its own', async () => {
    const kafka = new FakeKafka();
    kafka.topics.set('orders', 1);
    kafka.topics.set('orders.dlq', 1);
    const transport = new KafkaTransport({ config: kafkaConfig({ brokers: 'fake:9092', clientId: 't' }), client: kafka.client, logger: createLogger({ level: 'error', write: () => undefined }), consumer: { commitIntervalMs: 0 } });
    const batches: string[][] = [];
    const singles: Array<[string, number]> = [];
    const effects: string[] = [];
    const handler = {
      async handle(data: { orderId: string }, ctx: EventContext): Promise<void> {
        singles.push([data.orderId, ctx.attempt]);
        effects.push(data.orderId);
      },
      async handleBatch(items: ReadonlyArray<{ data: { orderId: string }; context: EventContext }>): Promise<unknown[]> {
        batches.push(items.map((i) => i.data.orderId));
        return items.map((i) => (i.data.orderId === 'o-1' ? new RetriableError('row lock') : (effects.push(i.data.orderId), undefined)));
      },
    };
    const consumer = new GroupConsumer({ groupId: 'g', transport, logger: createLogger({ level: 'error', write: () => undefined }), topics: [new TopicDelegator({ topic: 'orders', retry: RETRY, deadLetter: DLQ, routes: [route(OrderCreated, handler)] })] });
    running.push(consumer);
    await consumer.start();
    const fc = kafka.consumers[0] as FakeConsumer;
    fc.join({ orders: [0] });
    const result = await fc.deliver('orders', 0, [message(0), message(1), message(2, { orderId: 7 }), message(3)]);
    expect(result.resolved).toEqual(['3']);
    expect(batches).toEqual([['o-0', 'o-1', 'o-3']]); // the invalid payload never reached the handler
    expect(singles).toEqual([['o-1', 2]]); // the failed record went through handle(), as attempt 2
    expect(effects.sort()).toEqual(['o-0', 'o-1', 'o-3']); // each effect once
    expect(decodeHeaders(kafka.producers.flatMap((p) => p.sent)[0]?.message.headers as never)[DLQ_HEADERS.reason]).toBe('validation');
    expect(fc.committed()).toEqual(['orders[0]=4']);
    expect(consumer.health().processed).toBe(3);
  });
});
