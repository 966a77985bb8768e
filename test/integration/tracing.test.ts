/**
 * Tracing (#17) across a real broker: a producer and a consumer on their own Kafka clients, the OpenTelemetry SDK with
 * the in-memory exporter. One trace id from the `send` span to the `process` span (child of, and linked to, the send
 * span, context carried in the record's W3C headers); a record that keeps failing shows its retry attempts as span
 * events and its dead-letter write as its own span with the failure recorded.
 */
import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventProducer, GroupConsumer, RetriableError, TopicDelegator, batchItem, otelTracing, route, type EventHandler } from '../../templates/runtime/index.js';
import { kafkaBrokers, uniqueName } from '../support/kafka.js';
import { TickEvent, admin, createTopics, readAll, testLogger, transport, waitFor, type Tick } from './helpers.js';

const brokers = await kafkaBrokers();

describe.skipIf(!brokers)('kafka: tracing', () => {
  let a: Admin;
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  beforeAll(async () => {
    a = await admin(brokers!);
    api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    api.trace.setGlobalTracerProvider(provider);
  });
  afterAll(async () => {
    await a?.disconnect();
    await provider.shutdown();
    api.trace.disable();
    api.propagation.disable();
    api.context.disable();
  });

  it('one trace from producer to consumer; 3 retries and the dead-letter write visible', async () => {
    const topic = uniqueName('it-tracing');
    const dlq = `${topic}.dlq`;
    const groupId = uniqueName('g-tracing');
    await createTopics(a, [
      { topic, partitions: 2 },
      { topic: dlq, partitions: 1 },
    ]);
    const handled: string[] = [];
    const handler: EventHandler<Tick> = {
      async handle(data, ctx) {
        handled.push(`${data.key}:${ctx.attempt}`);
        api.trace.getTracer('user').startSpan(`user ${data.key}`).end();
        if (data.key === 'bad') throw new RetriableError(`attempt ${ctx.attempt} failed`);
      },
    };
    const consumerTransport = transport(brokers!);
    const consumer = new GroupConsumer({
      groupId,
      transport: consumerTransport,
      topics: [
        new TopicDelegator({
          topic,
          retry: { maxRetries: 3, initialDelayMs: 20, maxDelayMs: 100, multiplier: 2, jitter: 0 },
          deadLetter: { enabled: true, topic: dlq },
          routes: [route(TickEvent, handler)],
        }),
      ],
      fromBeginning: true,
      logger: testLogger(),
      tracing: otelTracing(api),
    });
    const producerTransport = transport(brokers!);
    const producer = new EventProducer({ transport: producerTransport, source: 'it', tracing: otelTracing(api) });
    try {
      await consumer.start();
      await producer.send(topic, TickEvent, { key: 'good', seq: 0 }, { eventId: 'ev-good' });
      await producer.send(topic, TickEvent, { key: 'bad', seq: 0 }, { eventId: 'ev-bad' });
      await waitFor(
        () => exporter.getFinishedSpans().filter((s) => s.name === `send ${dlq}`).length === 1 && exporter.getFinishedSpans().filter((s) => s.name === `process ${topic}`).length === 2,
        20_000,
        () => `handled ${handled.join(' ')}; spans ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`,
      );
    } finally {
      await consumer.stop();
      await producer.disconnect();
    }
    const spans = exporter.getFinishedSpans();
    for (const key of ['good', 'bad']) {
      const send = spans.find((s) => s.name === `send ${topic}` && s.attributes['messaging.message.id'] === `ev-${key}`) ?? expect.unreachable();
      const process = spans.find((s) => s.name === `process ${topic}` && s.attributes['messaging.message.id'] === `ev-${key}`) ?? expect.unreachable();
      const user = spans.filter((s) => s.name === `user ${key}`);
      const traceId = send.spanContext().traceId;
      expect(send.kind).toBe(api.SpanKind.PRODUCER);
      expect(process.kind).toBe(api.SpanKind.CONSUMER);
      expect(process.spanContext().traceId).toBe(traceId);
      expect(process.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
      expect(process.links.map((l) => l.context.spanId)).toEqual([send.spanContext().spanId]);
      expect(process.attributes).toMatchObject({
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': topic,
        'messaging.destination.partition.id': send.attributes['messaging.destination.partition.id'],
        'messaging.consumer.group.name': groupId,
      });
      expect(typeof process.attributes['messaging.kafka.offset']).toBe('number');
      expect(user.length).toBeGreaterThan(0);
      for (const u of user) expect(u.parentSpanContext?.spanId).toBe(process.spanContext().spanId);
      if (key === 'good') {
        expect(process.status.code).toBe(api.SpanStatusCode.UNSET);
        continue;
      }
      const failed = process.events.filter((e) => e.name === 'attempt failed');
      expect(failed.map((e) => e.attributes?.['eventgen.attempt'])).toEqual([1, 2, 3, 4]);
      expect(failed.every((e) => e.attributes?.['error.type'] === 'RetriableError' && e.attributes?.['eventgen.error.retriable'] === true)).toBe(true);
      expect(process.status.code).toBe(api.SpanStatusCode.ERROR);
      const dead = spans.find((s) => s.name === `send ${dlq}`) ?? expect.unreachable();
      expect(dead.spanContext().traceId).toBe(traceId);
      expect(dead.parentSpanContext?.spanId).toBe(process.spanContext().spanId);
      expect(dead.status).toEqual({ code: api.SpanStatusCode.ERROR, message: 'attempt 4 failed' });
      expect(dead.attributes).toMatchObject({ 'messaging.destination.name': dlq, 'eventgen.dead_letter.reason': 'retries-exhausted', 'eventgen.attempts': 4, 'messaging.message.id': 'ev-bad' });
      expect(dead.events.some((e) => e.name === 'exception')).toBe(true);
    }
    const [deadLetter] = await readAll(brokers!, dlq, 1);
    expect(deadLetter?.headers['dlq-attempts']).toBe('4');
  }, 30_000);

  it("batch span mode: batch spans link to each send span; the failing record's own span holds the retries and parents the dead-letter write", async () => {
    exporter.reset();
    const topic = uniqueName('it-tracing-batch');
    const dlq = `${topic}.dlq`;
    await createTopics(a, [
      { topic, partitions: 1 },
      { topic: dlq, partitions: 1 },
    ]);
    const handler: EventHandler<Tick> = {
      async handle(data, ctx) {
        api.trace.getTracer('user').startSpan(`user ${data.key}`).end();
        if (data.key === 'bad') throw new RetriableError(`attempt ${ctx.attempt} failed`);
      },
    };
    const producer = new EventProducer({ transport: transport(brokers!), source: 'it', tracing: otelTracing(api) });
    for (const key of ['a', 'bad', 'c']) await producer.send(topic, TickEvent, { key, seq: 0 }, { eventId: `ev-${key}` });
    const consumer = new GroupConsumer({
      groupId: uniqueName('g-tracing-batch'),
      transport: transport(brokers!),
      topics: [new TopicDelegator({ topic, retry: { maxRetries: 3, initialDelayMs: 20, maxDelayMs: 100, multiplier: 2, jitter: 0 }, deadLetter: { enabled: true, topic: dlq }, routes: [route(TickEvent, handler)] })],
      fromBeginning: true,
      logger: testLogger(),
      tracing: otelTracing(api, { spans: 'batch' }),
    });
    try {
      await consumer.start();
      await waitFor(() => exporter.getFinishedSpans().some((s) => s.name === `send ${dlq}`) && exporter.getFinishedSpans().filter((s) => s.name === 'user c').length === 1, 20_000, () => `spans ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
    } finally {
      await consumer.stop();
      await producer.disconnect();
    }
    const spans = exporter.getFinishedSpans();
    const sends = new Map(spans.filter((s) => s.name === `send ${topic}`).map((s) => [s.attributes['messaging.message.id'], s]));
    const processes = spans.filter((s) => s.name === `process ${topic}`);
    const batches = processes.filter((s) => s.attributes['messaging.batch.message_count'] !== undefined);
    const records = processes.filter((s) => s.attributes['messaging.batch.message_count'] === undefined);
    // Every record is linked from a batch span (the broker may deliver the three in one batch or more).
    const linked = batches.flatMap((b) => b.links.map((l) => `${l.context.traceId}/${l.context.spanId}`));
    for (const key of ['a', 'bad', 'c']) {
      const send = sends.get(`ev-${key}`) ?? expect.unreachable();
      expect(linked).toContain(`${send.spanContext().traceId}/${send.spanContext().spanId}`);
    }
    expect(batches.reduce((n, b) => n + Number(b.attributes['messaging.batch.message_count']), 0)).toBe(3);
    const batchIds = batches.map((b) => b.spanContext().spanId);
    for (const key of ['a', 'c']) expect(batchIds).toContain(spans.find((s) => s.name === `user ${key}`)?.parentSpanContext?.spanId);
    expect(records).toHaveLength(1);
    const record = records[0] ?? expect.unreachable();
    const sendBad = sends.get('ev-bad') ?? expect.unreachable();
    expect(record.attributes).toMatchObject({ 'messaging.message.id': 'ev-bad', 'messaging.kafka.offset': 1, 'messaging.consumer.group.name': expect.any(String) });
    expect(record.links.map((l) => l.context.spanId)).toEqual([sendBad.spanContext().spanId]);
    expect(batchIds).toContain(record.parentSpanContext?.spanId);
    expect(record.events.filter((e) => e.name === 'attempt failed').map((e) => e.attributes?.['eventgen.attempt'])).toEqual([1, 2, 3, 4]);
    const dead = spans.find((s) => s.name === `send ${dlq}`) ?? expect.unreachable();
    expect(dead.parentSpanContext?.spanId).toBe(record.spanContext().spanId);
    expect(dead.attributes).toMatchObject({ 'messaging.message.id': 'ev-bad', 'eventgen.dead_letter.reason': 'retries-exhausted', 'eventgen.attempts': 4 });
  }, 30_000);

  it('batch span mode: fetches longer than the SDK’s link limit are split, no link is dropped (600 records)', async () => {
    exporter.reset();
    const topic = uniqueName('it-tracing-links');
    await createTopics(a, [{ topic, partitions: 1 }]);
    const producer = new EventProducer({ transport: transport(brokers!), source: 'it', tracing: otelTracing(api) });
    const keys = Array.from({ length: 600 }, (_, i) => `k${i}`);
    await producer.sendBatch(keys.map((key) => batchItem(topic, TickEvent, { key, seq: 0 }, { eventId: `ev-${key}` })));
    let handled = 0;
    const consumer = new GroupConsumer({
      groupId: uniqueName('g-tracing-links'),
      transport: transport(brokers!),
      topics: [new TopicDelegator({ topic, routes: [route(TickEvent, { handle: async () => void (handled += 1) })] })],
      fromBeginning: true,
      logger: testLogger(),
      tracing: otelTracing(api, { spans: 'batch' }),
    });
    try {
      await consumer.start();
      await waitFor(() => handled === keys.length, 20_000, () => `handled ${handled}`);
    } finally {
      await consumer.stop();
      await producer.disconnect();
    }
    const spans = exporter.getFinishedSpans();
    const sends = spans.filter((s) => s.name === `send ${topic}`);
    const batches = spans.filter((s) => s.name === `process ${topic}`);
    expect(sends).toHaveLength(keys.length);
    // More records than the SDK's default limit (128) came in one fetch: that fetch was split.
    expect(batches.length).toBeGreaterThanOrEqual(Math.ceil(keys.length / 128));
    expect(Math.max(...batches.map((b) => Number(b.attributes['messaging.batch.message_count'])))).toBe(128);
    expect(batches.map((b) => b.droppedLinksCount).filter((n) => n > 0)).toEqual([]);
    expect(batches.reduce((n, b) => n + Number(b.attributes['messaging.batch.message_count']), 0)).toBe(keys.length);
    // Every send span is linked once, in offset order.
    expect(batches.flatMap((b) => b.links.map((l) => l.context.spanId))).toEqual(sends.map((s) => s.spanContext().spanId));
  }, 30_000);
});
