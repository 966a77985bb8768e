/**
 * Issue #17, the parts a first pass left out: the trace id on every runtime log line about a record (from its W3C
 * `traceparent`, parsed only when a line is logged, never a malformed value), kept by the pino and NestJS loggers and
 * by the redaction of classified data; the producer send-latency histogram; the `outcome` label of the processing-time
 * histogram (a fixed set), in our exposition and in a prom-client registry.
 */
import { Logger as NestLogger, type LoggerService } from '@nestjs/common';
import { Writable } from 'node:stream';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { nestLogger } from '../../examples/nest-shop/src/events/kafka/kafka.logger.js';
import {
  EventProducer,
  GroupConsumer,
  HANDLER_OUTCOMES,
  InMemoryTransport,
  Metrics,
  NonRetriableError,
  TopicDelegator,
  createLogger,
  defineEvent,
  pinoLogger,
  registerPromClient,
  route,
  traceIdOf,
  type EventContext,
  type Logger,
  type LogFields,
  type Transport,
  type TransportProducer,
} from '../../templates/runtime/index.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
const RETRY = { maxRetries: 3, initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2, jitter: 0 };

const Order = defineEvent({ eventType: 'order.created', version: '1.0.0', topics: ['shop.orders'], schema: z.object({ orderId: z.string() }), classification: 'internal', partitionKey: (d) => d.orderId });
const Card = defineEvent({
  eventType: 'card.charged',
  version: '1.0.0',
  topics: ['shop.orders'],
  schema: z.object({ orderId: z.string(), cardNumber: z.string() }),
  classification: 'restricted',
  partitionKey: (d) => d.orderId,
});

type Entry = Record<string, unknown> & { msg: string };
const running: GroupConsumer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

/** A consumer of `shop.orders` on the in-memory transport; `handle` runs per record with the call number. */
async function consume(options: { transport: InMemoryTransport; logger: Logger; handle: (data: { orderId: string }, ctx: EventContext, call: number) => Promise<void> | void; retryPauseThresholdMs?: number }): Promise<GroupConsumer> {
  let calls = 0;
  const delegator = new TopicDelegator({
    topic: 'shop.orders',
    retry: RETRY,
    deadLetter: { enabled: true, topic: 'shop.orders.dlq' },
    routes: [
      route(Order, { handle: async (d, ctx) => options.handle(d, ctx, ++calls) }),
      route(Card, { handle: async (d, ctx) => options.handle(d, ctx, ++calls) }),
    ],
  });
  const consumer = new GroupConsumer({
    groupId: 'billing',
    transport: options.transport,
    topics: [delegator],
    logger: options.logger,
    sleep: async () => {},
    random: () => 0.5,
    fromBeginning: true,
    ...(options.retryPauseThresholdMs === undefined ? {} : { retryPauseThresholdMs: options.retryPauseThresholdMs }),
  });
  running.push(consumer);
  await consumer.start();
  return consumer;
}

describe('traceIdOf', () => {
  it('takes the trace id of a well-formed traceparent and refuses malformed ones', () => {
    expect(traceIdOf(TRACEPARENT)).toBe(TRACE_ID);
    expect(traceIdOf(`01-${TRACE_ID}-00f067aa0ba902b7-01-future`)).toBe(TRACE_ID); // later versions may add fields
    for (const bad of [
      undefined,
      '',
      'hello',
      `00-${TRACE_ID}-00f067aa0ba902b7-01-extra`, // version 00 has exactly four fields
      `ff-${TRACE_ID}-00f067aa0ba902b7-01`,
      `00-${TRACE_ID.toUpperCase()}-00f067aa0ba902b7-01`,
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
      `00-${TRACE_ID}x-00f067aa0ba902b7-01`,
      `00-${TRACE_ID}-00f067aa0ba902b7-1`,
      ` ${TRACEPARENT}`,
      `00-${TRACE_ID}-00f067aa0ba902b7-01\n{"injected":true}`,
      `00-${TRACE_ID}-00f067aa0ba902b7-01-${'a'.repeat(600)}`,
    ]) expect(traceIdOf(bad), String(bad)).toBeUndefined();
  });
});

describe('traceId on runtime log lines about a record', () => {
  it('runtime lines (retrying, dead-lettered) and context.logger lines carry traceId with the other ids', async () => {
    const transport = new InMemoryTransport({ defaultPartitions: 1, redeliveryDelayMs: 5 });
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (l) => lines.push(l) });
    await consume({
      transport,
      logger,
      handle: (d, ctx, call) => {
        ctx.logger.info('handling', { call });
        if (d.orderId === 'o-bad') throw new NonRetriableError('refused');
        if (call === 2) throw new Error('flaky');
      },
    });
    const producer = new EventProducer({ transport, source: 't' });
    await producer.send('shop.orders', Order, { orderId: 'o-1' }, { traceparent: TRACEPARENT, correlationId: 'corr-1' });
    await producer.send('shop.orders', Order, { orderId: 'o-2' }, { traceparent: TRACEPARENT, correlationId: 'corr-2' });
    await producer.send('shop.orders', Order, { orderId: 'o-bad' }, { traceparent: TRACEPARENT, correlationId: 'corr-3' });
    await transport.drain();
    const entries = lines.map((l) => JSON.parse(l) as Entry);
    const about = entries.filter((e) => e.msg === 'handling' || e.msg === 'Handler failed; retrying' || e.msg === 'Record dead-lettered');
    expect(about.map((e) => e.msg).sort()).toEqual(['Handler failed; retrying', 'Record dead-lettered', 'handling', 'handling', 'handling', 'handling']);
    for (const e of about) {
      expect(e).toMatchObject({ topic: 'shop.orders', partition: 0, traceId: TRACE_ID });
      expect(e['offset']).toEqual(expect.any(String));
      expect(e['eventId']).toEqual(expect.any(String));
      expect(e['correlationId']).toMatch(/^corr-/);
    }
  });

  it('a record without traceparent or with a malformed one: no traceId field, and the raw value is never logged', async () => {
    const transport = new InMemoryTransport({ defaultPartitions: 1 });
    const lines: string[] = [];
    await consume({
      transport,
      logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }),
      handle: (_d, ctx) => {
        ctx.logger.warn('handling');
        throw new NonRetriableError('refused');
      },
    });
    const producer = new EventProducer({ transport, source: 't' });
    const malformed = `00-${'ab'.repeat(16)}-zz${'0'.repeat(14)}-01 <script>`;
    await producer.send('shop.orders', Order, { orderId: 'o-1' }, { traceparent: malformed });
    await producer.send('shop.orders', Order, { orderId: 'o-2' });
    await transport.drain();
    const entries = lines.map((l) => JSON.parse(l) as Entry).filter((e) => e.msg === 'handling' || e.msg === 'Record dead-lettered');
    expect(entries).toHaveLength(4);
    for (const e of entries) expect(e).not.toHaveProperty('traceId');
    expect(lines.join('\n')).not.toContain('<script>');
    expect(lines.join('\n')).not.toContain('abababab');
  });

  it('context.logger builds its child (and parses the header) only when a line is logged', async () => {
    const transport = new InMemoryTransport({ defaultPartitions: 1 });
    const children: LogFields[] = [];
    const counting = (): Logger => ({ debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: (f) => (children.push(f), counting()) });
    await consume({
      transport,
      logger: counting(),
      handle: (d, ctx) => {
        const log = ctx.logger; // read, not used
        if (d.orderId === 'o-logs') log.info('now');
      },
    });
    const producer = new EventProducer({ transport, source: 't' });
    for (let i = 0; i < 5; i++) await producer.send('shop.orders', Order, { orderId: `o-${i}` }, { traceparent: TRACEPARENT });
    await transport.drain();
    expect(children.filter((f) => 'eventId' in f)).toHaveLength(0);
    await producer.send('shop.orders', Order, { orderId: 'o-logs' }, { traceparent: TRACEPARENT });
    await transport.drain();
    expect(children.filter((f) => 'eventId' in f)).toEqual([expect.objectContaining({ traceId: TRACE_ID, offset: '5' })]);
  });

  it('a restricted event: classified values are still redacted, the trace id stays', async () => {
    const transport = new InMemoryTransport({ defaultPartitions: 1 });
    const lines: string[] = [];
    await consume({
      transport,
      logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }),
      handle: (d, ctx) => {
        const card = (d as unknown as { cardNumber: string }).cardNumber;
        ctx.logger.info(`charging ${card}`, { card });
        throw new NonRetriableError(`card ${card} declined`);
      },
    });
    const producer = new EventProducer({ transport, source: 't' });
    await producer.send('shop.orders', Card, { orderId: 'o-1', cardNumber: '4111111111111111' }, { traceparent: TRACEPARENT });
    await transport.drain();
    const entries = lines.map((l) => JSON.parse(l) as Entry).filter((e) => e.msg.startsWith('charging') || e.msg === 'Record dead-lettered');
    expect(entries).toHaveLength(2);
    for (const e of entries) expect(e['traceId']).toBe(TRACE_ID);
    expect(lines.join('\n')).not.toContain('4111111111111111');
  });

  it('the pino adapter (real pino) and the NestJS target logger keep traceId', async () => {
    const out: Entry[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) out.push(JSON.parse(line) as Entry);
        done();
      },
    });
    const nestLines: string[] = [];
    const capture = (m: unknown): void => void nestLines.push(String(m));
    const service: LoggerService = { log: capture, warn: capture, error: capture, debug: capture, verbose: capture };
    NestLogger.overrideLogger(service);
    try {
      for (const logger of [pinoLogger(pino({ level: 'debug' }, sink)), nestLogger('Kafka')]) {
        const transport = new InMemoryTransport({ defaultPartitions: 1 });
        await consume({
          transport,
          logger,
          handle: (_d, ctx) => {
            ctx.logger.warn('handling', { password: 'hunter2' });
            throw new NonRetriableError('refused');
          },
        });
        await new EventProducer({ transport, source: 't' }).send('shop.orders', Order, { orderId: 'o-1' }, { traceparent: TRACEPARENT });
        await transport.drain();
        await running.pop()?.stop();
      }
    } finally {
      NestLogger.overrideLogger(false);
    }
    const pinoEntries = out.filter((e) => e.msg === 'handling' || e.msg === 'Record dead-lettered');
    expect(pinoEntries).toHaveLength(2);
    for (const e of pinoEntries) expect(e).toMatchObject({ traceId: TRACE_ID, topic: 'shop.orders', offset: '0' });
    expect(pinoEntries.find((e) => e.msg === 'handling')?.['password']).toBe('[REDACTED]');
    const nest = nestLines.filter((l) => l.startsWith('handling ') || l.startsWith('Record dead-lettered '));
    expect(nest).toHaveLength(2);
    for (const l of nest) expect(JSON.parse(l.slice(l.indexOf(' {') + 1))).toMatchObject({ traceId: TRACE_ID, topic: 'shop.orders' });
    expect(nestLines.join('\n')).not.toContain('hunter2');
  });
});

type Family = { name: string; type: string };
const parse = (text: string): Family[] => (parsePrometheusTextFormat as unknown as (t: string) => Family[])(text);

describe('producer_send_duration_seconds', () => {
  it('one observation per send call and topic, by outcome, in our exposition and in a prom-client registry', async () => {
    const transport = new InMemoryTransport({ defaultPartitions: 1 });
    const metrics = new Metrics();
    const producer = new EventProducer({ transport, source: 't', metrics });
    await producer.send('shop.orders', Order, { orderId: 'o-1' });
    await producer.sendBatch([
      { topic: 'shop.orders', definition: Order, data: { orderId: 'o-2' } },
      { topic: 'shop.orders', definition: Order, data: { orderId: 'o-3' } },
      { topic: 'shop.audit', definition: Order, data: { orderId: 'o-4' } },
    ]);
    expect(metrics.sendCount({ topic: 'shop.orders', outcome: 'ok' })).toBe(2);
    expect(metrics.sendCount({ topic: 'shop.audit', outcome: 'ok' })).toBe(1);
    // Invalid data is not a send.
    await expect(producer.send('shop.orders', Order, { orderId: 7 } as never)).rejects.toThrow();
    expect(metrics.sendCount()).toBe(3);

    const failingProducer = {
      connect: async () => {},
      disconnect: async () => {},
      send: async () => {
        await new Promise((r) => setTimeout(r, 20));
        throw new Error('broker down');
      },
    };
    const failing = { producer: () => failingProducer as unknown as TransportProducer } as unknown as Transport;
    const broken = new EventProducer({ transport: failing, source: 't', metrics, logger: createLogger({ write: () => {} }) });
    await expect(broken.send('shop.orders', Order, { orderId: 'o-5' })).rejects.toThrow(/broker down/);
    expect(metrics.sendCount({ topic: 'shop.orders', outcome: 'error' })).toBe(1);

    // The text parses (the parser drops histogram labels, so the series are read from the text lines).
    expect(parse(metrics.toPrometheus()).find((f) => f.name === 'eventgen_producer_send_duration_seconds')?.type).toBe('HISTOGRAM');
    const text = metrics.toPrometheus();
    expect(text).toContain('eventgen_producer_send_duration_seconds_count{topic="shop.orders",outcome="error"} 1\n');
    expect(text).toContain('eventgen_producer_send_duration_seconds_bucket{topic="shop.orders",outcome="error",le="0.01"} 0\n'); // took ≥ 20 ms
    expect(text).toContain('eventgen_producer_send_duration_seconds_bucket{topic="shop.orders",outcome="error",le="10"} 1\n');

    const registry = new Registry();
    registerPromClient(metrics, registry);
    const counts = [...(await registry.metrics()).matchAll(/^eventgen_producer_send_duration_seconds_count\{(.*)\} (\d+)$/gm)].map((m) => `${m[1]}=${m[2]}`).sort();
    expect(counts).toEqual(['topic="shop.audit",outcome="ok"=1', 'topic="shop.orders",outcome="error"=1', 'topic="shop.orders",outcome="ok"=2']);
  });

  it('is registered in prom-client before any send (an empty histogram)', async () => {
    const registry = new Registry();
    registerPromClient(new Metrics(), registry);
    expect(registry.getSingleMetric('eventgen_producer_send_duration_seconds')).toBeDefined();
    expect(await registry.metrics()).toContain('# TYPE eventgen_producer_send_duration_seconds histogram');
  });
});

describe('processing_duration_seconds by outcome', () => {
  it('success, retry, dead_letter and skipped, each observed once per pass; only the fixed outcomes appear', async () => {
    const transport = new InMemoryTransport({ defaultPartitions: 1, redeliveryDelayMs: 5 });
    const consumer = await consume({
      transport,
      logger: createLogger({ write: () => {} }),
      retryPauseThresholdMs: 10, // the 100 ms backoff pauses the partition: the first pass ends as `retry`
      handle: (d, _ctx, call) => {
        if (d.orderId === 'o-bad') throw new NonRetriableError('refused');
        if (d.orderId === 'o-flaky' && call === 2) throw new Error('flaky');
      },
    });
    const producer = new EventProducer({ transport, source: 't' });
    await producer.send('shop.orders', Order, { orderId: 'o-ok' }, { eventId: 'e-ok' });
    await producer.send('shop.orders', Order, { orderId: 'o-flaky' });
    await producer.send('shop.orders', Order, { orderId: 'o-bad' });
    await producer.send('shop.orders', Order, { orderId: 'o-ok' }, { eventId: 'e-ok' }); // duplicate event id
    const deadline = Date.now() + 3000;
    while (consumer.metrics.processingCount({ outcome: 'skipped' }) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await transport.drain();
    const m = consumer.metrics;
    const base = { group: 'billing', topic: 'shop.orders', event_type: 'order.created' };
    expect(m.processingCount({ ...base, outcome: 'success' })).toBe(2); // o-ok, o-flaky's second pass
    expect(m.processingCount({ ...base, outcome: 'retry' })).toBe(1);
    expect(m.processingCount({ ...base, outcome: 'dead_letter' })).toBe(1);
    expect(m.processingCount({ ...base, outcome: 'skipped' })).toBe(1);
    expect(m.processingCount()).toBe(5);
    const family = m.families().find((f) => f.name === 'eventgen_processing_duration_seconds');
    const outcomes = new Set(family?.samples.map((s) => s.labels['outcome']));
    expect([...outcomes].sort()).toEqual(['dead_letter', 'retry', 'skipped', 'success']);
    for (const o of outcomes) expect(HANDLER_OUTCOMES).toContain(o);
    for (const s of family?.samples ?? []) expect(Object.keys(s.labels).filter((k) => k !== 'le').sort()).toEqual(['event_type', 'group', 'outcome', 'topic']);
    expect(m.toPrometheus()).toContain('eventgen_processing_duration_seconds_count{group="billing",topic="shop.orders",event_type="order.created",outcome="dead_letter"} 1\n');
  });

  it('interrupted: a record the partition halts on (unknown event type, unknownEventTypes: halt)', async () => {
    const transport = new InMemoryTransport({ defaultPartitions: 1 });
    const consumer = new GroupConsumer({
      groupId: 'billing',
      transport,
      topics: [new TopicDelegator({ topic: 'shop.orders', routes: [route(Order, { handle: async () => {} })] })],
      logger: createLogger({ write: () => {} }),
      unknownEventTypes: 'halt',
      fromBeginning: true,
    });
    running.push(consumer);
    await consumer.start();
    const raw = transport.producer();
    await raw.connect();
    const metadata = { eventId: 'e-x', eventType: 'order.teleported', eventVersion: '1.0.0', correlationId: 'c', timestamp: new Date().toISOString(), source: 'raw', dataClassification: 'internal', partitionKey: 'k' };
    await raw.send([{ topic: 'shop.orders', messages: [{ key: 'k', value: JSON.stringify({ metadata, data: {} }), headers: {} }] }]);
    const deadline = Date.now() + 3000;
    while (consumer.metrics.processingCount() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(consumer.metrics.processingCount({ event_type: 'order.teleported', outcome: 'interrupted' })).toBe(1);
    expect(consumer.metrics.processingCount()).toBe(1);
  });
});
