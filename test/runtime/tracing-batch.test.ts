/**
 * Batch span mode of `otelTracing(api, { spans: 'batch' })` (#17): one `process` span per delivered batch linked to
 * every record's producer context; a record gets its own span only when an attempt fails (retry events, dead-letter
 * write); no spans at all without an SDK.
 */
import * as api from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useOtelSdk } from '../support/otel.js';
import { z } from 'zod';
import { EventProducer, GroupConsumer, InMemoryTransport, RetriableError, TopicDelegator, defineEvent, otelTracing, route, type EventContext, type Tracing } from '../../templates/runtime/index.js';

const OrderCreatedEvent = defineEvent({
  eventType: 'order.created',
  version: '1.0.0',
  topics: ['shop.orders'],
  schema: z.object({ orderId: z.string() }),
  classification: 'internal',
  partitionKey: (d) => d.orderId,
});
const CONSUMER = 4;
const PRODUCER = 3;

const running: GroupConsumer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

/** Produces `ids` first (one partition), then consumes them in batch span mode: they arrive as one batch. */
async function consumeAll(ids: string[], handle: (data: { orderId: string }, ctx: EventContext) => Promise<void>, tracing: Tracing, maxBatchSize = 100) {
  const transport = new InMemoryTransport({ defaultPartitions: 1, redeliveryDelayMs: 5, maxBatchSize });
  const producer = new EventProducer({ transport, source: 'test', tracing });
  for (const orderId of ids) await producer.send('shop.orders', OrderCreatedEvent, { orderId }, { eventId: `evt-${orderId}` });
  const consumer = new GroupConsumer({
    groupId: 'payments',
    transport,
    topics: [
      new TopicDelegator({
        topic: 'shop.orders',
        retry: { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 1, multiplier: 1, jitter: 0 },
        deadLetter: { enabled: true, topic: 'shop.orders.dlq' },
        routes: [route(OrderCreatedEvent, { handle })],
      }),
    ],
    sleep: async () => {},
    logger: { debug() {}, info() {}, warn() {}, error() {}, child() { return this; } } as never,
    tracing,
  });
  running.push(consumer);
  await consumer.start();
  await transport.drain();
  return { transport, consumer };
}

describe('batch span mode with the OpenTelemetry SDK', () => {
  const exporter = useOtelSdk();

  it('one process span per batch, linked to each record’s send span; handler spans are its children; no record spans', async () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const { consumer } = await consumeAll(ids, async (data) => api.trace.getTracer('user').startSpan(`user ${data.orderId}`).end(), otelTracing(api, { spans: 'batch' }));
    expect(consumer.health().processed).toBe(ids.length);
    const spans = exporter.getFinishedSpans();
    const sends = spans.filter((s) => s.name === 'send shop.orders');
    const processes = spans.filter((s) => s.name === 'process shop.orders');
    expect(sends).toHaveLength(ids.length);
    expect(processes).toHaveLength(1);
    const batch = processes[0] ?? expect.unreachable();
    expect(batch.kind).toBe(CONSUMER);
    expect(batch.attributes).toEqual({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': 'shop.orders',
      'messaging.destination.partition.id': '0',
      'messaging.consumer.group.name': 'payments',
      'messaging.batch.message_count': ids.length,
    });
    // Each send is a root span of its own trace: the links carry five different trace ids, in record order.
    expect(batch.links.map((l) => l.context.traceId)).toEqual(sends.map((s) => s.spanContext().traceId));
    expect(batch.links.map((l) => l.context.spanId)).toEqual(sends.map((s) => s.spanContext().spanId));
    expect(new Set(batch.links.map((l) => l.context.traceId)).size).toBe(ids.length);
    expect(batch.parentSpanContext).toBeUndefined();
    for (const id of ids) {
      const user = spans.find((s) => s.name === `user ${id}`) ?? expect.unreachable();
      expect(user.parentSpanContext?.spanId).toBe(batch.spanContext().spanId);
      expect(user.spanContext().traceId).toBe(batch.spanContext().traceId);
    }
  });

  it('a failing record gets its own process span (attempt events, linked to its send span) and the dead-letter span as its child', async () => {
    let bad = 0;
    const { transport } = await consumeAll(
      ['a', 'bad', 'c'],
      async (data) => {
        api.trace.getTracer('user').startSpan(`user ${data.orderId}`).end();
        if (data.orderId === 'bad') throw new RetriableError(`boom ${++bad}`);
      },
      otelTracing(api, { spans: 'batch' }),
    );
    expect(bad).toBe(3);
    expect(transport.records('shop.orders.dlq')).toHaveLength(1);
    const spans = exporter.getFinishedSpans();
    const sendBad = spans.find((s) => s.name === 'send shop.orders' && s.attributes['messaging.message.id'] === 'evt-bad') ?? expect.unreachable();
    const processes = spans.filter((s) => s.name === 'process shop.orders');
    const batches = processes.filter((s) => s.attributes['messaging.batch.message_count'] !== undefined);
    const records = processes.filter((s) => s.attributes['messaging.batch.message_count'] === undefined);
    expect(batches.length).toBeGreaterThanOrEqual(1);
    expect(records).toHaveLength(1);
    const record = records[0] ?? expect.unreachable();
    expect(record.attributes).toMatchObject({ 'messaging.message.id': 'evt-bad', 'messaging.kafka.offset': 1, 'messaging.destination.partition.id': '0', 'messaging.consumer.group.name': 'payments', 'error.type': 'RetriableError' });
    expect(record.links.map((l) => l.context.spanId)).toEqual([sendBad.spanContext().spanId]);
    expect(batches.map((b) => b.spanContext().spanId)).toContain(record.parentSpanContext?.spanId);
    expect(record.events.filter((e) => e.name === 'attempt failed').map((e) => e.attributes?.['eventgen.attempt'])).toEqual([1, 2, 3]);
    expect(record.status.code).toBe(api.SpanStatusCode.ERROR);
    // The first attempt ran in the batch span, the retries in the record's span.
    const userBad = spans.filter((s) => s.name === 'user bad').map((s) => s.parentSpanContext?.spanId);
    expect(userBad).toEqual([batches[0]?.spanContext().spanId, record.spanContext().spanId, record.spanContext().spanId]);
    const dead = spans.find((s) => s.name === 'send shop.orders.dlq') ?? expect.unreachable();
    expect(dead.kind).toBe(PRODUCER);
    expect(dead.parentSpanContext?.spanId).toBe(record.spanContext().spanId);
    expect(dead.attributes).toMatchObject({ 'messaging.message.id': 'evt-bad', 'eventgen.dead_letter.reason': 'retries-exhausted', 'eventgen.dead_letter.original_offset': 1 });
    expect(dead.status.code).toBe(api.SpanStatusCode.ERROR);
    // The good records got no span of their own.
    expect(processes.filter((s) => s.attributes['messaging.message.id'] !== undefined && s.attributes['messaging.message.id'] !== 'evt-bad')).toHaveLength(0);
  });

  it('links are what the W3C propagator extracts: a tracestate is kept, invalid or all-zero contexts give no link', async () => {
    const transport = new InMemoryTransport({ defaultPartitions: 1 });
    const p = transport.producer();
    await p.connect();
    const value = (orderId: string) => JSON.stringify({ orderId });
    const tp = (span: string) => `00-0af7651916cd43dd8448eb211c80319c-${span}-01`;
    await p.send([
      {
        topic: 'shop.orders',
        messages: [
          { key: 'a', value: value('a'), headers: { traceparent: tp('b7ad6b7169203331') } },
          { key: 'b', value: value('b'), headers: { traceparent: tp('b7ad6b7169203332'), tracestate: 'vendor=x' } },
          { key: 'c', value: value('c'), headers: { traceparent: 'garbage' } },
          { key: 'd', value: value('d'), headers: { traceparent: '00-00000000000000000000000000000000-b7ad6b7169203333-01' } },
          { key: 'e', value: value('e'), headers: { traceparent: ` ${tp('b7ad6b7169203334')}` } },
          { key: 'f', value: value('f'), headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203335-00' } },
        ],
      },
    ]);
    const consumer = new GroupConsumer({ groupId: 'payments', transport, topics: [new TopicDelegator({ topic: 'shop.orders', routes: [route(OrderCreatedEvent, { handle: async () => {} })] })], logger: { debug() {}, info() {}, warn() {}, error() {}, child() { return this; } } as never, tracing: otelTracing(api, { spans: 'batch' }) });
    running.push(consumer);
    await consumer.start();
    await transport.drain();
    const batch = exporter.getFinishedSpans().find((s) => s.name === 'process shop.orders' && s.attributes['messaging.batch.message_count'] === 6) ?? expect.unreachable();
    expect(batch.links.map((l) => [l.context.spanId, l.context.traceFlags, l.context.isRemote, l.context.traceState?.serialize()])).toEqual([
      ['b7ad6b7169203331', 1, true, undefined],
      ['b7ad6b7169203332', 1, true, 'vendor=x'],
      ['b7ad6b7169203334', 1, true, undefined],
      ['b7ad6b7169203335', 0, true, undefined],
    ]);
    expect(batch.links.every((l) => l.context.traceId === '0af7651916cd43dd8448eb211c80319c')).toBe(true);
  });

  it('links equal the W3C propagator’s extraction for 600 mutated traceparent values, as strings and as Buffers', async () => {
    // A valid value with one or two characters replaced (hex either case, separators, space, non-ASCII, other versions,
    // all-zero ids), each as a string and as a Buffer: the batch span's links are exactly the contexts the propagator
    // extracts.
    let seed = 17;
    const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const valid = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const alphabet = '0123456789abcdefABCDEF- xz\u00e9\u0100';
    const values: string[] = [valid, `00-${'0'.repeat(32)}-b7ad6b7169203331-01`, `00-0af7651916cd43dd8448eb211c80319c-${'0'.repeat(16)}-01`, `ff${valid.slice(2)}`, `01${valid.slice(2)}`];
    while (values.length < 300) {
      const chars = [...valid];
      for (let k = 1 + next(2); k > 0; k--) chars[next(chars.length)] = alphabet[next(alphabet.length)] as string;
      values.push(chars.join(''));
    }
    const transport = new InMemoryTransport({ defaultPartitions: 1 });
    const p = transport.producer();
    await p.connect();
    const messages = values.flatMap((tp, i) => [
      { key: `s${i}`, value: JSON.stringify({ orderId: `s${i}` }), headers: { traceparent: tp } },
      { key: `b${i}`, value: JSON.stringify({ orderId: `b${i}` }), headers: { traceparent: Buffer.from(tp, 'latin1') } },
    ]);
    await p.send([{ topic: 'shop.orders', messages }]);
    const expected = messages.flatMap((m) => {
      const context = api.trace.getSpanContext(api.propagation.extract(api.ROOT_CONTEXT, { traceparent: m.headers.traceparent.toString() }));
      return context === undefined || !api.trace.isSpanContextValid(context) ? [] : [[context.traceId, context.spanId, context.traceFlags]];
    });
    expect(expected.length).toBeGreaterThan(50);
    expect(expected.length).toBeLessThan(messages.length - 50);
    const consumer = new GroupConsumer({ groupId: 'payments', transport, topics: [new TopicDelegator({ topic: 'shop.orders', routes: [route(OrderCreatedEvent, { handle: async () => {} })] })], logger: { debug() {}, info() {}, warn() {}, error() {}, child() { return this; } } as never, tracing: otelTracing(api, { spans: 'batch', maxLinks: 10_000 }) });
    running.push(consumer);
    await consumer.start();
    await transport.drain();
    // Not envelopes: every record is dead-lettered after its first attempt, in a span of its own besides the batch spans.
    const batches = exporter.getFinishedSpans().filter((s) => s.name === 'process shop.orders' && s.attributes['messaging.batch.message_count'] !== undefined);
    expect(batches.reduce((n, b) => n + Number(b.attributes['messaging.batch.message_count']), 0)).toBe(messages.length);
    expect(batches.flatMap((b) => b.links.map((l) => [l.context.traceId, l.context.spanId, l.context.traceFlags]))).toEqual(expected);
  });

  it('a batch longer than maxLinks gets one span per maxLinks records, in order, one ended before the next starts', async () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    // The SDK's tracer, wrapped to log the order of span starts and ends.
    const sdk = api.trace.getTracer('eventgen');
    const log: string[] = [];
    const tracer = {
      startSpan: (...args: Parameters<api.Tracer['startSpan']>) => {
        const span = sdk.startSpan(...args);
        const count = args[1]?.attributes?.['messaging.batch.message_count'];
        if (count === undefined) return span;
        log.push(`start ${count}`);
        const end = span.end.bind(span);
        span.end = (time) => {
          log.push(`end ${count}`);
          end(time);
        };
        return span;
      },
    };
    await consumeAll(ids, async (data) => api.trace.getTracer('user').startSpan(`user ${data.orderId}`).end(), otelTracing(api, { spans: 'batch', maxLinks: 2, tracer }));
    expect(log).toEqual(['start 2', 'end 2', 'start 2', 'end 2', 'start 1', 'end 1']);
    const spans = exporter.getFinishedSpans();
    const sends = spans.filter((s) => s.name === 'send shop.orders');
    const processes = spans.filter((s) => s.name === 'process shop.orders');
    expect(processes.map((s) => s.attributes['messaging.batch.message_count'])).toEqual([2, 2, 1]);
    expect(processes.flatMap((s) => s.links.map((l) => l.context.spanId))).toEqual(sends.map((s) => s.spanContext().spanId));
    ids.forEach((id, i) => {
      const user = spans.find((s) => s.name === `user ${id}`) ?? expect.unreachable();
      expect(user.parentSpanContext?.spanId).toBe(processes[Math.floor(i / 2)]?.spanContext().spanId);
    });
  });

  it('by default no link is dropped by the SDK’s limit of 128: 300 records give spans of 128, 128 and 44', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => `o${i}`);
    await consumeAll(ids, async () => {}, otelTracing(api, { spans: 'batch' }), 1000);
    const spans = exporter.getFinishedSpans();
    const processes = spans.filter((s) => s.name === 'process shop.orders');
    expect(processes.map((s) => s.attributes['messaging.batch.message_count'])).toEqual([128, 128, 44]);
    expect(processes.map((s) => s.droppedLinksCount)).toEqual([0, 0, 0]);
    expect(processes.flatMap((s) => s.links.map((l) => l.context.spanId))).toEqual(spans.filter((s) => s.name === 'send shop.orders').map((s) => s.spanContext().spanId));
    expect(() => otelTracing(api, { spans: 'batch', maxLinks: 0 })).toThrow(/maxLinks must be a positive integer/);
  });

  it('batchLinks: false — batch spans carry no links and are not split; a failing record keeps its own linked span', async () => {
    const ids = [...Array.from({ length: 299 }, (_, i) => `o${i}`), 'bad'];
    let bad = 0;
    const { transport } = await consumeAll(
      ids,
      async (data) => {
        api.trace.getTracer('user').startSpan(`user ${data.orderId}`).end();
        if (data.orderId === 'bad') throw new RetriableError(`boom ${++bad}`);
      },
      otelTracing(api, { spans: 'batch', batchLinks: false }),
      1000,
    );
    expect(bad).toBe(3);
    expect(transport.records('shop.orders.dlq')).toHaveLength(1);
    const spans = exporter.getFinishedSpans();
    const processes = spans.filter((s) => s.name === 'process shop.orders');
    const batches = processes.filter((s) => s.attributes['messaging.batch.message_count'] !== undefined);
    // One delivered batch of 300: one span (no link limit to split at), no links.
    expect(batches.map((s) => s.attributes['messaging.batch.message_count'])).toEqual([300]);
    expect(batches.map((s) => s.links.length)).toEqual([0]);
    const batch = batches[0] ?? expect.unreachable();
    expect(spans.find((s) => s.name === 'user o7')?.parentSpanContext?.spanId).toBe(batch.spanContext().spanId);
    // The failing record's own span is as with links: child of the batch span, linked to its send span.
    const sendBad = spans.find((s) => s.name === 'send shop.orders' && s.attributes['messaging.message.id'] === 'evt-bad') ?? expect.unreachable();
    const records = processes.filter((s) => s.attributes['messaging.batch.message_count'] === undefined);
    expect(records.map((s) => s.attributes['messaging.message.id'])).toEqual(['evt-bad']);
    expect(records[0]?.links.map((l) => l.context.spanId)).toEqual([sendBad.spanContext().spanId]);
    expect(records[0]?.parentSpanContext?.spanId).toBe(batch.spanContext().spanId);
    expect(spans.find((s) => s.name === 'send shop.orders.dlq')?.parentSpanContext?.spanId).toBe(records[0]?.spanContext().spanId);
    expect(() => otelTracing(api, { spans: 'batch', batchLinks: 'no' as never })).toThrow(/batchLinks must be true or false/);
  });

  it('record mode stays the default: one process span per record', async () => {
    await consumeAll(['a', 'b'], async () => {}, otelTracing(api));
    const processes = exporter.getFinishedSpans().filter((s) => s.name === 'process shop.orders');
    expect(processes.map((s) => s.attributes['messaging.message.id'])).toEqual(['evt-a', 'evt-b']);
  });
});

describe('batch span mode without an SDK', () => {
  it('no span is started, records are handled, the dead-letter write happens', async () => {
    const started: api.Span[] = [];
    const tracer = api.trace.getTracer('eventgen');
    const spy = { startSpan: (...args: Parameters<api.Tracer['startSpan']>) => { const span = tracer.startSpan(...args); started.push(span); return span; } };
    const tracing = otelTracing(api, { spans: 'batch' });
    let calls = 0;
    const { transport, consumer } = await consumeAll(['a', 'bad'], async (data) => {
      calls += 1;
      if (data.orderId === 'bad') throw new RetriableError('boom');
    }, tracing);
    expect(calls).toBe(4);
    expect(consumer.health().processed).toBe(1);
    expect(transport.records('shop.orders.dlq')).toHaveLength(1);
    expect(tracing.idle?.()).toBe(true);
    // The spy tracer sees nothing either (an explicit tracer is always used: only its spans' recording state differs).
    const spied = otelTracing(api, { spans: 'batch', tracer: spy });
    await consumeAll(['x'], async () => {}, spied);
    expect(started.every((span) => !span.isRecording())).toBe(true);
  });
});
