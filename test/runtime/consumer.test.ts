import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  DLQ_HEADERS,
  EventProducer,
  GroupConsumer,
  InMemoryProcessedStore,
  InMemoryTransport,
  NonRetriableError,
  NotImplementedError,
  RetriableError,
  TopicDelegator,
  decodeHeaders,
  defineEvent,
  route,
  type DeadLetterPolicy,
  type EventContext,
  type EventHandler,
  type LegacyProcessedStore,
  type ProcessedStore,
  type RetryPolicy,
  type Sleep,
  type Transport,
} from '../../templates/runtime/index.js';

const OrderCreatedSchema = z.object({ orderId: z.string(), total: z.number().default(0) });
type OrderCreated = z.output<typeof OrderCreatedSchema>;
const OrderCreatedEvent = defineEvent({ eventType: 'order.created', version: '1.0.0', topics: ['shop.orders'], schema: OrderCreatedSchema, classification: 'internal', partitionKey: (d) => d.orderId });
const OrderShippedEvent = defineEvent({ eventType: 'order.shipped', version: '1.0.0', topics: ['shop.orders'], schema: z.object({ orderId: z.string() }), classification: 'internal', partitionKey: (d) => d.orderId });

const RETRY: RetryPolicy = { maxRetries: 3, initialDelayMs: 100, maxDelayMs: 5000, multiplier: 2, jitter: 0.2 };
const DLQ: DeadLetterPolicy = { enabled: true, topic: 'shop.orders.dlq' };

/** A handler that records calls and runs a scripted behaviour per call. */
function handler<T>(behaviour: (data: T, ctx: EventContext, call: number) => void | Promise<void> = () => {}): EventHandler<T> & { calls: Array<{ data: T; ctx: EventContext }> } {
  const calls: Array<{ data: T; ctx: EventContext }> = [];
  return {
    calls,
    async handle(data, ctx) {
      calls.push({ data, ctx });
      await behaviour(data, ctx, calls.length);
    },
  };
}

const running: GroupConsumer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

interface Harness {
  transport: InMemoryTransport;
  producer: EventProducer;
  consumer: GroupConsumer;
  delays: number[];
}

async function harness(options: {
  created?: EventHandler<OrderCreated>;
  extraRoutes?: ReturnType<typeof route>[];
  deadLetter?: DeadLetterPolicy;
  retry?: RetryPolicy;
  store?: ProcessedStore | LegacyProcessedStore | null;
  transport?: Transport;
  memory?: InMemoryTransport;
}): Promise<Harness> {
  const transport = options.memory ?? new InMemoryTransport({ defaultPartitions: 2, redeliveryDelayMs: 5 });
  const delays: number[] = [];
  const sleep: Sleep = async (ms) => {
    delays.push(ms);
  };
  const delegator = new TopicDelegator({
    topic: 'shop.orders',
    retry: options.retry ?? RETRY,
    deadLetter: options.deadLetter ?? DLQ,
    routes: [route(OrderCreatedEvent, options.created ?? handler()), ...(options.extraRoutes ?? [])],
  });
  const consumer = new GroupConsumer({
    groupId: 'payments',
    transport: options.transport ?? transport,
    topics: [delegator],
    sleep,
    random: () => 0.5,
    fromBeginning: true,
    ...(options.store === undefined ? {} : { store: options.store }),
  });
  running.push(consumer);
  const producer = new EventProducer({ transport, source: 'test' });
  await consumer.start();
  return { transport, producer, consumer, delays };
}

/** Appends a raw record (bypassing producer validation) to simulate foreign or broken producers. */
async function produceRaw(transport: InMemoryTransport, value: string, headers: Record<string, string> = {}): Promise<void> {
  const p = transport.producer();
  await p.connect();
  await p.send([{ topic: 'shop.orders', messages: [{ key: 'k', value, headers }] }]);
}

function envelope(eventType: string, data: unknown, eventId = 'e-1'): string {
  return JSON.stringify({ metadata: { eventId, eventType, eventVersion: '1.0.0', correlationId: 'corr-x', timestamp: new Date().toISOString(), source: 'raw', dataClassification: 'internal', partitionKey: 'k' }, data });
}

/** Polls a condition on the event loop (no fixed sleeps); fails after 2 s. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function dlqHeaders(transport: InMemoryTransport): Array<Record<string, string>> {
  return transport.records('shop.orders.dlq').map((r) => decodeHeaders(r.headers));
}

describe('GroupConsumer', () => {
  it('produce → route → typed handler with full context, then commits', async () => {
    const created = handler<OrderCreated>();
    const { transport, producer, consumer } = await harness({ created });
    const meta = await producer.send('shop.orders', OrderCreatedEvent, { orderId: 'o-1' }, { correlationId: 'corr-1', causationId: 'c-0' });
    await transport.drain();
    expect(created.calls).toHaveLength(1);
    const { data, ctx } = created.calls[0] ?? expect.unreachable();
    expect(data).toEqual({ orderId: 'o-1', total: 0 });
    expect(ctx).toMatchObject({ topic: 'shop.orders', partition: meta.partition, offset: '0', eventType: 'order.created', correlationId: 'corr-1', causationId: 'c-0', attempt: 1 });
    expect(ctx.headers['event-type']).toBe('order.created');
    expect(ctx.metadata.source).toBe('test');
    expect(transport.committedOffset('payments', 'shop.orders', meta.partition)).toBe('1');
    expect(consumer.health()).toMatchObject({ healthy: true, status: 'running', processed: 1, groupId: 'payments' });
    expect(consumer.metrics.get('processed', { event_type: 'order.created' })).toBe(1);
    expect(consumer.metrics.processingCount()).toBe(1);
  });

  it.each([
    ['decode', 'this is not json', {}],
    ['envelope', JSON.stringify({ orderId: 'o-1' }), { 'correlation-id': 'corr-h' }],
    ['validation', envelope('order.created', { orderId: 7 }), {}],
    ['unknown-event-type', envelope('order.refunded', { orderId: 'o-1' }), {}],
    ['handler-non-retriable', envelope('order.created', { orderId: 'o-1' }), {}],
  ])('dead-letters a %s failure after exactly 1 attempt, unchanged, and commits', async (reason, value, headers) => {
    const created = handler<OrderCreated>(() => {
      throw new NotImplementedError('order.created'); // what a generated stub does
    });
    const { transport, consumer } = await harness({ created });
    await produceRaw(transport, value, { ...headers, custom: 'kept' });
    await transport.drain();
    const [dead] = transport.records('shop.orders.dlq');
    const original = transport.records('shop.orders')[0];
    expect(dead?.value?.toString()).toBe(value);
    expect(dead?.key?.toString()).toBe('k');
    const h = decodeHeaders(dead?.headers ?? {});
    expect(h).toMatchObject({
      custom: 'kept',
      [DLQ_HEADERS.reason]: reason,
      [DLQ_HEADERS.attempts]: '1',
      [DLQ_HEADERS.originalTopic]: 'shop.orders',
      [DLQ_HEADERS.originalPartition]: String(original?.partition),
      [DLQ_HEADERS.originalOffset]: '0',
      [DLQ_HEADERS.originalTimestamp]: original?.timestamp,
      [DLQ_HEADERS.consumerGroup]: 'payments',
    });
    expect(h[DLQ_HEADERS.errorClass]).toMatch(/Error$/);
    expect(h[DLQ_HEADERS.errorMessage]).not.toBe('');
    expect(h[DLQ_HEADERS.errorStack]).toContain(h[DLQ_HEADERS.errorClass]);
    expect(Date.parse(h[DLQ_HEADERS.failedAt] ?? '')).not.toBeNaN();
    if (reason === 'envelope') expect(h[DLQ_HEADERS.correlationId]).toBe('corr-h');
    if (reason === 'validation' || reason === 'handler-non-retriable') expect(h[DLQ_HEADERS.correlationId]).toBe('corr-x');
    expect(created.calls).toHaveLength(reason === 'handler-non-retriable' ? 1 : 0);
    expect(transport.committedOffset('payments', 'shop.orders', original?.partition ?? -1)).toBe('1');
    expect(consumer.metrics.get('dead_lettered')).toBe(1);
    expect(consumer.health().lastError?.topic).toBe('shop.orders');
  });

  it('retries a retriable error with backoff + jitter and heartbeats, then succeeds (N+1 attempts)', async () => {
    const created = handler<OrderCreated>((_d, _c, call) => {
      if (call <= 3) throw new Error('db timeout'); // plain errors are retriable
    });
    const { transport, producer, consumer, delays } = await harness({ created });
    await producer.send('shop.orders', OrderCreatedEvent, { orderId: 'o-1' });
    await transport.drain();
    expect(created.calls.map((c) => c.ctx.attempt)).toEqual([1, 2, 3, 4]);
    // nominal 100, 200, 400; jitter 0.2 with random 0.5 → 90 %, within [80 %, 100 %] of nominal
    expect(delays).toEqual([90, 180, 360]);
    expect(transport.heartbeats).toBe(3);
    expect(transport.records('shop.orders.dlq')).toHaveLength(0);
    expect(consumer.metrics.get('retried')).toBe(3);
    expect(consumer.metrics.get('failed')).toBe(3);
    expect(consumer.metrics.get('processed')).toBe(1);
  });

  it('dead-letters with retries-exhausted after maxRetries + 1 attempts', async () => {
    const created = handler<OrderCreated>(() => {
      throw new RetriableError('still down');
    });
    const { transport, producer, delays } = await harness({ created, retry: { ...RETRY, maxRetries: 2 } });
    await producer.send('shop.orders', OrderCreatedEvent, { orderId: 'o-1' }, { correlationId: 'corr-9' });
    await transport.drain();
    expect(created.calls).toHaveLength(3);
    expect(delays).toHaveLength(2);
    expect(dlqHeaders(transport)[0]).toMatchObject({ 'dlq-reason': 'retries-exhausted', 'dlq-attempts': '3', 'dlq-error-class': 'RetriableError', 'dlq-error-message': 'still down', 'dlq-correlation-id': 'corr-9' });
  });

  it('a NonRetriableError thrown by a handler is not retried', async () => {
    const created = handler<OrderCreated>(() => {
      throw new NonRetriableError('bad business state');
    });
    const { transport, producer, delays } = await harness({ created });
    await producer.send('shop.orders', OrderCreatedEvent, { orderId: 'o-1' });
    await transport.drain();
    expect(created.calls).toHaveLength(1);
    expect(delays).toEqual([]);
    expect(dlqHeaders(transport)[0]?.['dlq-reason']).toBe('handler-non-retriable');
  });

  it('does not commit while the dead-letter write fails, reports it in health, and recovers', async () => {
    const memory = new InMemoryTransport({ defaultPartitions: 1, redeliveryDelayMs: 5 });
    let dlqDown = true;
    const flaky: Transport = {
      consumer: (o) => memory.consumer(o),
      producer: () => {
        const inner = memory.producer();
        return {
          connect: () => inner.connect(),
          disconnect: () => inner.disconnect(),
          send: async (batch) => {
            if (dlqDown && batch.some((b) => b.topic.endsWith('.dlq'))) throw new Error('broker unavailable');
            return inner.send(batch);
          },
        };
      },
    };
    const created = handler<OrderCreated>(() => {
      throw new NotImplementedError('order.created');
    });
    const { producer, consumer } = await harness({ created, transport: flaky, memory });
    await producer.send('shop.orders', OrderCreatedEvent, { orderId: 'o-1' });
    await memory.waitForIdle();
    expect(created.calls.length).toBeGreaterThanOrEqual(1);
    expect(memory.committedOffset('payments', 'shop.orders', 0)).toBeUndefined();
    expect(memory.records('shop.orders.dlq')).toHaveLength(0);
    const health = consumer.health();
    expect(health.healthy).toBe(false);
    expect(health.failingPartitions[0]?.reason).toMatch(/dead-letter write to 'shop.orders.dlq' failed \(1\/5\): broker unavailable/);
    expect(health.lastError?.message).toBe('broker unavailable');

    dlqDown = false; // redelivery now succeeds
    await memory.drain();
    expect(memory.records('shop.orders.dlq')).toHaveLength(1);
    expect(memory.committedOffset('payments', 'shop.orders', 0)).toBe('1');
    expect(consumer.health().healthy).toBe(true);
    // The terminal failure was remembered: the redelivery went straight to the dead-letter write.
    expect(created.calls).toHaveLength(1);
  });

  it('halts the partition (no commit) on a terminal failure when dead-lettering is disabled', async () => {
    const created = handler<OrderCreated>(() => {
      throw new NotImplementedError('order.created');
    });
    const { transport, producer, consumer } = await harness({ created, deadLetter: { enabled: false, topic: 'unused' } });
    const meta = await producer.send('shop.orders', OrderCreatedEvent, { orderId: 'o-1' });
    await transport.waitForIdle();
    expect(created.calls).toHaveLength(1); // paused: not redelivered in a hot loop
    expect(transport.committedOffset('payments', 'shop.orders', meta.partition)).toBeUndefined();
    expect(consumer.health()).toMatchObject({ healthy: false, haltedPartitions: [{ topic: 'shop.orders', partition: meta.partition }] });
    expect(consumer.resumePartition('shop.orders', meta.partition)).toBe(true);
    await until(() => created.calls.length === 2); // redelivered once resumed
    expect(consumer.health().haltedPartitions).toHaveLength(1); // and halted again: the stub still throws
  });

  it('skips a duplicate eventId and only marks events processed after success', async () => {
    const store = new InMemoryProcessedStore();
    const created = handler<OrderCreated>((_d, _c, call) => {
      if (call === 1) throw new Error('transient');
    });
    const { transport, producer, consumer } = await harness({ created, store });
    await producer.send('shop.orders', OrderCreatedEvent, { orderId: 'o-1' }, { eventId: 'dup-1' });
    await producer.send('shop.orders', OrderCreatedEvent, { orderId: 'o-1' }, { eventId: 'dup-1' });
    await transport.drain();
    expect(created.calls).toHaveLength(2); // first event: 1 failure + 1 success; second: skipped
    expect(consumer.metrics.get('duplicates_skipped')).toBe(1);
    expect(await store.isProcessed('payments', 'dup-1')).toBe(true);
    expect(await store.isProcessed('other-group', 'dup-1')).toBe(false);
  });

  it('fails closed while the processed store is unavailable', async () => {
    let down = 3;
    const inner = new InMemoryProcessedStore();
    const store: LegacyProcessedStore = {
      isProcessed: async (g, e) => {
        if (down-- > 0) throw new Error('redis unreachable');
        return inner.isProcessed(g, e);
      },
      markProcessed: (g, e) => inner.markProcessed(g, e),
    };
    let sawOutage = false;
    const created = handler<OrderCreated>(() => {
      sawOutage = down <= 0;
    });
    const { transport, producer, delays } = await harness({ created, store });
    await producer.send('shop.orders', OrderCreatedEvent, { orderId: 'o-1' });
    await transport.drain();
    expect(delays).toHaveLength(3); // waited 3 times
    expect(created.calls).toHaveLength(1); // processed exactly once, after the store returned
    expect(sawOutage).toBe(true);
    expect(await inner.isProcessed('payments', created.calls[0]?.ctx.eventId ?? '')).toBe(true);
  });

  it('routes by exact type first, then wildcard patterns', async () => {
    const created = handler<OrderCreated>();
    const anyOrder = handler<unknown>();
    const shipped = handler<{ orderId: string }>();
    const { transport, producer } = await harness({ created, extraRoutes: [route.pattern('order.*', anyOrder), route(OrderShippedEvent, shipped)] });
    await producer.send('shop.orders', OrderCreatedEvent, { orderId: 'o-1' });
    await producer.send('shop.orders', OrderShippedEvent, { orderId: 'o-1' });
    await produceRaw(transport, envelope('order.cancelled', { anything: true }, 'e-2'));
    await produceRaw(transport, envelope('order.cancelled.v2', {}, 'e-3'));
    await transport.drain();
    expect(created.calls).toHaveLength(1);
    expect(shipped.calls).toHaveLength(1);
    expect(anyOrder.calls.map((c) => c.ctx.eventType)).toEqual(['order.cancelled']);
    expect(anyOrder.calls[0]?.data).toEqual({ anything: true });
    expect(dlqHeaders(transport).map((h) => h['dlq-reason'])).toEqual(['unknown-event-type']); // `*` is one segment
  });

  it('stop() finishes the in-flight record, commits it and leaves the group; handleSignals wires SIGTERM', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const created = handler<OrderCreated>(() => gate);
    const transport = new InMemoryTransport();
    const consumer = new GroupConsumer({ groupId: 'g', transport, topics: [new TopicDelegator({ topic: 'shop.orders', routes: [route(OrderCreatedEvent, created)] })], handleSignals: true });
    const keepAlive = (): void => {}; // another listener, so the re-raised signal does not kill the test process
    process.on('SIGTERM', keepAlive);
    try {
      await consumer.start();
      expect(process.listenerCount('SIGTERM')).toBe(2);
      const producer = new EventProducer({ transport, source: 't' });
      await producer.send('shop.orders', OrderCreatedEvent, { orderId: 'o-1' });
      await until(() => created.calls.length === 1);
      process.emit('SIGTERM', 'SIGTERM');
      expect(consumer.health().status).toBe('stopping'); // still finishing the in-flight record
      release();
      await until(() => consumer.health().status === 'stopped');
      expect(transport.committedOffset('g', 'shop.orders', 0)).toBe('1');
      expect(process.listenerCount('SIGTERM')).toBe(1);
      expect(created.calls[0]?.ctx.signal.aborted).toBe(true);
    } finally {
      process.off('SIGTERM', keepAlive);
    }
  });
});

describe('consumer lag gauge', () => {
  it('exports eventgen_consumer_fetch_lag per owned partition from the fetch high watermark: the records not handled yet, 0 once caught up, gone after stop', async () => {
    const memory = new InMemoryTransport({ defaultPartitions: 1, redeliveryDelayMs: 5 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const created = handler<OrderCreated>(async (_d, _c, call) => {
      if (call === 1) await gate;
    });
    const producer = new EventProducer({ transport: memory, source: 'test' });
    await producer.sendBatch(Array.from({ length: 10 }, (_, i) => ({ topic: 'shop.orders', definition: OrderCreatedEvent, data: { orderId: `o-${i}` } })));
    const h = await harness({ memory, created });
    const lag = (): string | undefined => /^eventgen_consumer_fetch_lag\{group="payments",topic="shop\.orders",partition="0"\} (\d+)$/m.exec(h.consumer.metrics.toPrometheus())?.[1];
    await until(() => created.calls.length === 1);
    // Blocked on the first record of a batch of 10: all 10 are behind.
    await until(() => lag() === '10');
    release();
    await until(() => created.calls.length === 10);
    await until(() => lag() === '0');
    await h.producer.sendBatch(Array.from({ length: 3 }, (_, i) => ({ topic: 'shop.orders', definition: OrderCreatedEvent, data: { orderId: `p-${i}` } })));
    await until(() => created.calls.length === 13 && lag() === '0');
    await h.consumer.stop();
    expect(h.consumer.metrics.toPrometheus()).not.toMatch(/^eventgen_consumer_fetch_lag\{/m);
  });
});
