import * as api from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useOtelSdk } from '../support/otel.js';
import { z } from 'zod';
import {
  EventProducer,
  GroupConsumer,
  InMemoryTransport,
  NonRetriableError,
  RetriableError,
  TopicDelegator,
  decodeHeaders,
  defineEvent,
  otelTracing,
  route,
  type EventContext,
  type EventHandler,
  type RetryPolicy,
  type Tracing,
} from '../../templates/runtime/index.js';

const OrderCreatedEvent = defineEvent({
  eventType: 'order.created',
  version: '1.0.0',
  topics: ['shop.orders'],
  schema: z.object({ orderId: z.string() }),
  classification: 'internal',
  partitionKey: (d) => d.orderId,
});
const RETRY: RetryPolicy = { maxRetries: 3, initialDelayMs: 100, maxDelayMs: 5000, multiplier: 2, jitter: 0 };
const PRODUCER = 3;
const CONSUMER = 4;

const running: GroupConsumer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

async function setup(handle: (data: { orderId: string }, ctx: EventContext) => Promise<void>, tracing: Tracing | undefined) {
  const transport = new InMemoryTransport({ defaultPartitions: 1, redeliveryDelayMs: 5 });
  const handler: EventHandler<{ orderId: string }> = { handle };
  const consumer = new GroupConsumer({
    groupId: 'payments',
    transport,
    topics: [new TopicDelegator({ topic: 'shop.orders', retry: RETRY, deadLetter: { enabled: true, topic: 'shop.orders.dlq' }, routes: [route(OrderCreatedEvent, handler)] })],
    sleep: async () => {},
    random: () => 0.5,
    logger: { debug() {}, info() {}, warn() {}, error() {}, child() { return this; } } as never,
    ...(tracing === undefined ? {} : { tracing }),
  });
  running.push(consumer);
  const producer = new EventProducer({ transport, source: 'test', ...(tracing === undefined ? {} : { tracing }) });
  await consumer.start();
  return { transport, consumer, producer };
}

const attr = (span: ReadableSpan, key: string) => span.attributes[key];

describe('tracing with the OpenTelemetry SDK', () => {
  const exporter = useOtelSdk();

  it('send span → W3C headers → process span (child of and linked to the send span) → handler spans nest', async () => {
    const { transport, producer } = await setup(async () => {
      api.trace.getTracer('user').startSpan('user work').end();
    }, otelTracing(api));
    const meta = await producer.send('shop.orders', OrderCreatedEvent, { orderId: 'o-1' }, { eventId: 'evt-1' });
    await transport.drain();

    const spans = exporter.getFinishedSpans();
    const send = spans.find((s) => s.name === 'send shop.orders') ?? expect.unreachable();
    const process = spans.find((s) => s.name === 'process shop.orders') ?? expect.unreachable();
    const user = spans.find((s) => s.name === 'user work') ?? expect.unreachable();

    expect(send.kind).toBe(PRODUCER);
    expect(send.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'shop.orders',
      'messaging.message.id': 'evt-1',
      'messaging.destination.partition.id': String(meta.partition),
    });
    const headers = decodeHeaders(transport.records('shop.orders')[0]?.headers ?? {});
    expect(headers.traceparent).toBe(`00-${send.spanContext().traceId}-${send.spanContext().spanId}-01`);

    expect(process.kind).toBe(CONSUMER);
    expect(process.spanContext().traceId).toBe(send.spanContext().traceId);
    expect(process.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
    expect(process.links.map((l) => l.context.spanId)).toEqual([send.spanContext().spanId]);
    expect(process.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': 'shop.orders',
      'messaging.destination.partition.id': String(meta.partition),
      'messaging.consumer.group.name': 'payments',
      'messaging.kafka.offset': 0,
      'messaging.message.id': 'evt-1',
    });
    expect(process.status.code).toBe(api.SpanStatusCode.UNSET);
    expect(user.parentSpanContext?.spanId).toBe(process.spanContext().spanId);
    expect(user.spanContext().traceId).toBe(send.spanContext().traceId);
  });

  it('a send inside an active span is its child; an explicit traceparent is the parent otherwise', async () => {
    const { producer, transport } = await setup(async () => {}, otelTracing(api));
    const outer = api.trace.getTracer('user').startSpan('request');
    await api.context.with(api.trace.setSpan(api.context.active(), outer), () => producer.send('shop.orders', OrderCreatedEvent, { orderId: 'o-1' }));
    outer.end();
    const remote = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await producer.send('shop.orders', OrderCreatedEvent, { orderId: 'o-2' }, { traceparent: remote });
    await transport.drain();
    const sends = exporter.getFinishedSpans().filter((s) => s.name === 'send shop.orders');
    expect(sends[0]?.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    expect(sends[1]?.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(sends[1]?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
  });

  it("an event caused by an exactly-once attempt gets its send span (child of the process span), its context in the output's headers", async () => {
    const { producer } = await setup(async () => {}, otelTracing(api));
    const written: Array<{ topic: string; headers: Record<string, string> }> = [];
    const outputs = { send: async (batch: Array<{ topic: string; messages: Array<{ headers?: Record<string, string> }> }>) => void written.push(...batch.map((b) => ({ topic: b.topic, headers: b.messages[0]?.headers ?? {} }))) };
    const cause = { eventId: 'in-1', correlationId: 'c-1', metadata: {}, outputs } as unknown as EventContext;
    const process = api.trace.getTracer('consumer').startSpan('process in');
    const [meta] = await api.context.with(api.trace.setSpan(api.context.active(), process), () => producer.sendBatch([{ topic: 'shop.orders', definition: OrderCreatedEvent, data: { orderId: 'o-9' }, options: { causedBy: cause } }]));
    process.end();
    expect(meta).toEqual({ topic: 'shop.orders', partition: -1, offset: '-1' });
    const send = exporter.getFinishedSpans().find((s) => s.name === 'send shop.orders');
    expect(send?.parentSpanContext?.spanId).toBe(process.spanContext().spanId);
    expect(attr(send!, 'messaging.kafka.transactional')).toBe(true);
    expect(written).toHaveLength(1);
    expect(written[0]?.headers.traceparent).toContain(send!.spanContext().spanId);

    // A refused output: the span records the failure and the send rejects.
    exporter.reset();
    const refusing = { ...cause, outputs: { send: async () => Promise.reject(new Error('sealed')) } } as unknown as EventContext;
    await expect(producer.sendBatch([{ topic: 'shop.orders', definition: OrderCreatedEvent, data: { orderId: 'o-10' }, options: { causedBy: refusing } }])).rejects.toThrow('sealed');
    const failed = exporter.getFinishedSpans().find((s) => s.name === 'send shop.orders');
    expect(failed?.status.code).toBe(api.SpanStatusCode.ERROR);
  });

  it('one event per failed attempt (3 retries), then the dead-letter write as its own span with the failure recorded', async () => {
    let calls = 0;
    const { transport, producer } = await setup(async () => {
      calls += 1;
      throw new RetriableError(`boom ${calls}`);
    }, otelTracing(api));
    await producer.send('shop.orders', OrderCreatedEvent, { orderId: 'o-1' }, { eventId: 'evt-9' });
    await transport.drain();
    expect(calls).toBe(4);
    expect(transport.records('shop.orders.dlq')).toHaveLength(1);

    const spans = exporter.getFinishedSpans();
    const process = spans.find((s) => s.name === 'process shop.orders') ?? expect.unreachable();
    const dlq = spans.find((s) => s.name === 'send shop.orders.dlq') ?? expect.unreachable();
    const failed = process.events.filter((e) => e.name === 'attempt failed');
    expect(failed.map((e) => e.attributes)).toEqual([1, 2, 3, 4].map((n) => ({ 'eventgen.attempt': n, 'error.type': 'RetriableError', 'exception.message': `boom ${n}`, 'eventgen.error.retriable': true })));
    expect(process.status.code).toBe(api.SpanStatusCode.ERROR);
    expect(attr(process, 'error.type')).toBe('RetriableError');

    expect(dlq.kind).toBe(PRODUCER);
    expect(dlq.parentSpanContext?.spanId).toBe(process.spanContext().spanId);
    expect(dlq.spanContext().traceId).toBe(process.spanContext().traceId);
    expect(dlq.status).toEqual({ code: api.SpanStatusCode.ERROR, message: 'boom 4' });
    expect(dlq.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'shop.orders.dlq',
      'messaging.message.id': 'evt-9',
      'eventgen.dead_letter.reason': 'retries-exhausted',
      'eventgen.dead_letter.original_topic': 'shop.orders',
      'eventgen.dead_letter.original_offset': 0,
      'eventgen.attempts': 4,
      'error.type': 'RetriableError',
    });
    const exception = dlq.events.find((e) => e.name === 'exception') ?? expect.unreachable();
    expect(exception.attributes).toMatchObject({ 'exception.type': 'RetriableError', 'exception.message': 'boom 4' });
    // The dead-letter record keeps the original headers (the producer's traceparent) unchanged.
    expect(decodeHeaders(transport.records('shop.orders.dlq')[0]?.headers ?? {}).traceparent).toBe(decodeHeaders(transport.records('shop.orders')[0]?.headers ?? {}).traceparent);
  });

  it('a non-retriable failure: one attempt event, then the dead-letter span', async () => {
    const { transport, producer } = await setup(async () => {
      throw new NonRetriableError('bad order');
    }, otelTracing(api));
    await producer.send('shop.orders', OrderCreatedEvent, { orderId: 'o-1' });
    await transport.drain();
    const spans = exporter.getFinishedSpans();
    const process = spans.find((s) => s.name === 'process shop.orders') ?? expect.unreachable();
    expect(process.events.filter((e) => e.name === 'attempt failed').map((e) => e.attributes?.['eventgen.error.retriable'])).toEqual([false]);
    expect(spans.find((s) => s.name === 'send shop.orders.dlq')?.attributes['eventgen.dead_letter.reason']).toBe('handler-non-retriable');
  });

  it('a handleBatch call: one process span linked to the send span of every record, handler spans nest', async () => {
    const transport = new InMemoryTransport({ defaultPartitions: 1 });
    const producer = new EventProducer({ transport, source: 'test', tracing: otelTracing(api) });
    for (const orderId of ['a', 'b', 'c']) await producer.send('shop.orders', OrderCreatedEvent, { orderId });
    const handler = {
      handle: async () => {},
      handleBatch: async (items: ReadonlyArray<unknown>) => {
        api.trace.getTracer('user').startSpan(`bulk ${items.length}`).end();
      },
    };
    const consumer = new GroupConsumer({ groupId: 'payments', transport, topics: [new TopicDelegator({ topic: 'shop.orders', routes: [route(OrderCreatedEvent, handler)] })], tracing: otelTracing(api) });
    running.push(consumer);
    await consumer.start();
    await transport.drain();
    const spans = exporter.getFinishedSpans();
    const sends = spans.filter((s) => s.name === 'send shop.orders');
    const processes = spans.filter((s) => s.name === 'process shop.orders');
    expect(processes).toHaveLength(1);
    const batch = processes[0] ?? expect.unreachable();
    expect(batch.attributes['messaging.batch.message_count']).toBe(3);
    expect(batch.parentSpanContext).toBeUndefined();
    expect(batch.links.map((l) => l.context.spanId)).toEqual(sends.map((s) => s.spanContext().spanId));
    expect(spans.find((s) => s.name === 'bulk 3')?.parentSpanContext?.spanId).toBe(batch.spanContext().spanId);
  });

  it('an undecodable record gets a process span and a dead-letter span', async () => {
    const { transport } = await setup(async () => {}, otelTracing(api));
    const p = transport.producer();
    await p.connect();
    await p.send([{ topic: 'shop.orders', messages: [{ key: 'k', value: 'not json', headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } }] }]);
    await transport.drain();
    const spans = exporter.getFinishedSpans();
    const process = spans.find((s) => s.name === 'process shop.orders') ?? expect.unreachable();
    expect(process.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(spans.find((s) => s.name === 'send shop.orders.dlq')?.attributes['eventgen.dead_letter.reason']).toBe('decode');
  });
});

describe('tracing without an SDK', () => {
  it('otelTracing(api) with nothing registered: no spans, no errors, no traceparent written, a given one kept', async () => {
    const started: api.Span[] = [];
    const tracer = api.trace.getTracer('eventgen');
    const spy = { startSpan: (...args: Parameters<api.Tracer['startSpan']>) => { const span = tracer.startSpan(...args); started.push(span); return span; } };
    let calls = 0;
    const { transport, producer, consumer } = await setup(async () => {
      calls += 1;
      api.trace.getTracer('user').startSpan('user work').end();
      if (calls === 2) throw new NonRetriableError('dead-letter me');
    }, otelTracing(api, { tracer: spy }));
    await producer.send('shop.orders', OrderCreatedEvent, { orderId: 'o-1' });
    await producer.send('shop.orders', OrderCreatedEvent, { orderId: 'o-2' }, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    await transport.drain();
    expect(calls).toBe(2);
    expect(consumer.health().lastError).toMatchObject({ message: 'dead-letter me' });
    expect(transport.records('shop.orders.dlq')).toHaveLength(1);
    const headers = transport.records('shop.orders').map((r) => decodeHeaders(r.headers));
    expect(headers[0]?.traceparent).toBeUndefined();
    expect(headers[1]?.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    // send ×2, process ×2, dead-letter ×1: all non-recording (nothing is exported anywhere).
    expect(started).toHaveLength(5);
    expect(started.every((span) => !span.isRecording())).toBe(true);
    expect(api.trace.getSpan(api.context.active())).toBeUndefined();
  });
});
