// otelTracing(api) with no SDK: every call returns before touching the API (the engine then handles records as without
// tracing), and what gets registered later — a propagator, an SDK — is picked up without a new otelTracing().
import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EventProducer, GroupConsumer, InMemoryTransport, TopicDelegator, batchItem, decodeHeaders, defineEvent, otelTracing, route, silentLogger, type ConsumedRecord, type OtelApi } from '../../templates/runtime/index.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const TRACEPARENT = `00-${TRACE_ID}-b7ad6b7169203331-01`;
const record = (headers: ConsumedRecord['headers']): ConsumedRecord => ({ topic: 'shop.orders', partition: 2, offset: '41', key: null, value: Buffer.from('{}'), timestamp: '0', headers }) as ConsumedRecord;

/** The API module with its tracer's `startSpan` counted (proves the short-circuit never reaches the tracer). */
function countingApi(): { api: OtelApi; starts: () => number } {
  let starts = 0;
  const counted: OtelApi = {
    ...(api as unknown as OtelApi),
    trace: {
      ...(api.trace as unknown as OtelApi['trace']),
      getTracerProvider: () => api.trace.getTracerProvider(),
      getTracer: (name, version) => {
        const tracer = api.trace.getTracer(name, version);
        return { startSpan: (...args: Parameters<typeof tracer.startSpan>) => (starts++, tracer.startSpan(...args)) } as never;
      },
    },
    propagation: { inject: (c, carrier) => api.propagation.inject(c as api.Context, carrier), extract: (c, carrier, getter) => api.propagation.extract(c as api.Context, carrier, getter as never), fields: () => api.propagation.fields() },
  };
  return { api: counted, starts: () => starts };
}

afterEach(() => {
  api.trace.disable();
  api.propagation.disable();
  api.context.disable();
});

describe('otelTracing(api) with no SDK registered', () => {
  it('process() is undefined and send() a shared no-op without starting a span; the consumer handles records as without tracing', async () => {
    const { api: counted, starts } = countingApi();
    const tracing = otelTracing(counted);
    expect(tracing.process(record({ traceparent: Buffer.from(TRACEPARENT) }), 'g', 'e-1')).toBeUndefined();
    const headers: Record<string, string> = {};
    const span = tracing.send('shop.orders', 'e-1', headers, undefined);
    expect(span.run(() => 7)).toBe(7);
    span.end();
    expect(headers).toEqual({});
    expect(tracing.deadLetter(undefined, 'shop.orders.dlq', record({}), 'e-1', 'exhausted', new Error('x'))).toBe(span);
    expect(starts()).toBe(0);

    const Event = defineEvent({ eventType: 'order.created', version: '1.0.0', topics: ['shop.orders'], schema: z.object({ orderId: z.string() }), classification: 'internal', partitionKey: (d) => d.orderId });
    const transport = new InMemoryTransport({ defaultPartitions: 2 });
    const seen: string[] = [];
    const consumer = new GroupConsumer({ groupId: 'g', transport, logger: silentLogger, tracing, topics: [new TopicDelegator({ topic: 'shop.orders', routes: [route(Event, { handle: async (d) => void seen.push(d.orderId) })] })] });
    await consumer.start();
    const producer = new EventProducer({ transport, source: 't', tracing });
    for (let i = 0; i < 20; i++) await producer.send('shop.orders', Event, { orderId: `o-${i}` }, i === 0 ? { traceparent: TRACEPARENT } : {});
    await transport.drain();
    await consumer.stop();
    expect(seen).toHaveLength(20);
    expect(decodeHeaders(transport.records('shop.orders')[0]?.headers ?? {}).traceparent).toBe(TRACEPARENT);
    expect(starts()).toBe(0);
  });

  it('a propagator registered later: the producer context is carried to the handler (a non-recording span in it)', () => {
    const { api: counted, starts } = countingApi();
    const tracing = otelTracing(counted);
    expect(tracing.process(record({ traceparent: TRACEPARENT }), 'g', 'e-1')).toBeUndefined();
    api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const span = tracing.process(record({ traceparent: TRACEPARENT }), 'g', 'e-1');
    expect(span).toBeDefined();
    expect(starts()).toBe(1);
    expect(span?.run(() => api.trace.getSpanContext(api.context.active())?.traceId)).toBe(TRACE_ID);
    // A record without a context has nothing to carry.
    expect(tracing.process(record({}), 'g', 'e-2')).toBeUndefined();
  });

  it('an SDK registered later is used: the process span is recorded with its attributes, child of the record context', () => {
    const tracing = otelTracing(api);
    expect(tracing.process(record({ traceparent: TRACEPARENT }), 'g', 'e-1')).toBeUndefined();
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    api.trace.setGlobalTracerProvider(provider);
    const span = tracing.process(record({ traceparent: Buffer.from(TRACEPARENT) }), 'g', 'e-1');
    span?.set({ 'eventgen.test': 1 });
    span?.end();
    const [exported] = exporter.getFinishedSpans();
    expect(exported?.name).toBe('process shop.orders');
    expect(exported?.spanContext().traceId).toBe(TRACE_ID);
    expect(exported?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(exported?.links.map((l) => l.context.spanId)).toEqual(['b7ad6b7169203331']);
    expect(exported?.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'shop.orders',
      'messaging.consumer.group.name': 'g',
      'messaging.destination.partition.id': '2',
      'messaging.kafka.offset': 41,
      'messaging.message.id': 'e-1',
      'eventgen.test': 1,
    });
    // Without an event id (an undecodable record) the attribute is absent, not undefined.
    tracing.process(record({}), 'g', undefined)?.end();
    expect(Object.keys(exporter.getFinishedSpans()[1]?.attributes ?? {})).not.toContain('messaging.message.id');
  });
  it('the consumer asks once per batch, not per record, and a batch after an SDK was registered is traced', async () => {
    let checks = 0;
    const counted: OtelApi = {
      ...(api as unknown as OtelApi),
      trace: {
        getTracer: (name, version) => api.trace.getTracer(name, version) as never,
        getTracerProvider: () => (checks++, api.trace.getTracerProvider()),
        setSpan: (c, span) => api.trace.setSpan(c as api.Context, span as never),
        getSpanContext: (c) => api.trace.getSpanContext(c as api.Context),
      },
    };
    const tracing = otelTracing(counted);
    const Event = defineEvent({ eventType: 'order.created', version: '1.0.0', topics: ['shop.orders'], schema: z.object({ orderId: z.string() }), classification: 'internal', partitionKey: () => 'one-key' });
    const transport = new InMemoryTransport({ defaultPartitions: 1 });
    const seen: string[] = [];
    const consumer = new GroupConsumer({ groupId: 'g', transport, logger: silentLogger, tracing, topics: [new TopicDelegator({ topic: 'shop.orders', routes: [route(Event, { handle: async (d) => void seen.push(d.orderId) })] })] });
    await consumer.start();
    const producer = new EventProducer({ transport, source: 't' });
    const items = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ topic: 'shop.orders', event: Event, data: { orderId: `o-${from + i}` }, options: { traceparent: TRACEPARENT } }));
    await producer.sendBatch(items(0, 50).map((i) => batchItem(i.topic, i.event, i.data, i.options)));
    await transport.drain();
    expect(seen).toHaveLength(50);
    expect(checks).toBeGreaterThanOrEqual(1);
    expect(checks).toBeLessThan(50); // once per batch handed to the engine, not once per record
    const exporter = new InMemorySpanExporter();
    api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    api.trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    await producer.sendBatch(items(50, 5).map((i) => batchItem(i.topic, i.event, i.data, i.options)));
    await transport.drain();
    await consumer.stop();
    expect(seen).toHaveLength(55);
    const spans = exporter.getFinishedSpans().filter((x) => x.name === 'process shop.orders');
    expect(spans).toHaveLength(5);
    expect(spans.every((x) => x.spanContext().traceId === TRACE_ID)).toBe(true);
  });
});
