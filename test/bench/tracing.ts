/**
 * Cost of tracing (#17) on the consumer. Cases, interleaved with a rotating order after a warm-up of each:
 * *off* = no `tracing` option; *no SDK* = `tracing: otelTracing(api)` with nothing registered (the API's no-op);
 * *SDK* = `otelTracing(api)` with `BasicTracerProvider` + `BatchSpanProcessor` over an exporter that drops the spans
 * (every span is really created, sampled (AlwaysOn), ended and handed to the exporter), `AsyncLocalStorageContextManager`,
 * W3C propagator; *SDK batch* = the same SDK with `otelTracing(api, { spans: 'batch' })` (one span per delivered
 * batch, a link per record); *SDK batch, no links* = `{ spans: 'batch', batchLinks: false }` (the batch spans without
 * per-record links); *SDK idle* = the same SDK registered and its context manager in use (one `context.with`,
 * as in any instrumented service), no `tracing` option: what the SDK costs the consumer before any span of ours.
 * Ratios are medians of per-repetition ratios (each repetition runs the six cases back to back). First, the *floor*: the bare SDK's own cost per span, `propagation.extract` and `context.with` (none of our
 * code), so the part of the SDK case's cost that is ours can be told apart (`--floor` runs it alone).
 * - In process: InMemoryTransport, 1 KB `order.created`, 6 partitions, in-memory dedup, metrics on; the records are
 *   produced first (each with a `traceparent` header), then a new group consumes them; rate = records / CPU time of
 *   the consume phase. The baseline here is so fast (~10-15 µs of CPU per record) that one SDK span (~3 µs) plus the
 *   context manager's promise hooks cannot fit in 10% of it: the real-broker measurement is the service-like one.
 * - Real broker (KAFKA_BROKERS, default 127.0.0.1:19092; skipped when it does not answer): the records are produced
 *   once (6 partitions, `traceparent` headers), then each case consumes all of them in a new group with a
 *   generated-consumer-style GroupConsumer over KafkaTransport; rate = records / CPU time from the first record to
 *   the last (the window of test/bench/kafka.ts).
 * Run alone: `tsx test/bench/tracing.ts [--quick]`.
 */
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Kafka, logLevel } from 'kafkajs';
import { EventProducer, GroupConsumer, InMemoryTransport, KafkaTransport, TopicDelegator, batchItem, kafkaConfig, otelTracing, route, silentLogger, type BatchItem, type Tracing, type Transport } from '../../templates/runtime/index.js';
import { OrderCreatedEvent, orderPayload, type OrderCreatedInput } from './fixtures.js';
import { brokerAnswers, brokersFromEnv } from './kafka.js';
import { median, pairedRatio, progress } from './stats.js';

const TOPIC = 'shop.orders.v1';
const POOL = 1024;
const PARTITIONS = 6;
const pool: OrderCreatedInput[] = Array.from({ length: POOL }, (_, i) => orderPayload(i));
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

type Mode = 'off' | 'noSdk' | 'sdk' | 'sdkBatch' | 'sdkBatchNoLinks' | 'sdkIdle';

// A full collection before each measured run, so one case's garbage (the SDK's ended spans) is not collected on the
// next case's time. `gc` without --expose-gc on the command line (the bench runs under tsx).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** All six cases; `TRACING_BENCH_MODES=off,sdkBatch` runs a subset (ad-hoc runs only: the report needs all six). */
const MODES: readonly Mode[] = (process.env.TRACING_BENCH_MODES?.split(',') as Mode[] | undefined) ?? ['off', 'noSdk', 'sdk', 'sdkBatch', 'sdkBatchNoLinks', 'sdkIdle'];

/** One setting's measurements (in process, or on the real broker). */
export interface TracingSeries {
  messages: number;
  repetitions: number;
  /** Records per CPU-second of the consume phase, per repetition. */
  cpuRates: Record<Mode, number[]>;
  /** Records per wall-second of the consume phase, per repetition. */
  rates: Record<Mode, number[]>;
  /** Spans exported (dropped) by the SDK case's exporter in its last repetition (one per record). */
  sdkSpans: number;
  /** Spans exported by the batch-span-mode case in its last repetition (one per delivered batch). */
  sdkBatchSpans: number;
  /** Median paired ratios (CPU rates). */
  ratios: { sdkVsOff: number; noSdkVsOff: number; sdkBatchVsOff: number; sdkBatchNoLinksVsOff?: number; sdkIdleVsOff?: number; sdkBatchVsSdkIdle?: number; perRep: Array<{ sdk: number; noSdk: number; sdkBatch: number; sdkBatchNoLinks?: number; sdkIdle?: number }> };
  /** CPU µs per record (median) of tracing off, and what the SDK adds on top (median of the per-repetition differences). */
  perRecordUs: { off: number; sdkExtra: number; noSdkExtra: number; sdkBatchExtra: number; sdkBatchNoLinksExtra?: number; sdkIdleExtra?: number };
}

/** CPU µs per operation of the bare OpenTelemetry SDK on this machine (median of repetitions), none of our code. */
export interface SdkFloor {
  operations: number;
  /** `tracer.startSpan(name, { kind, attributes: 8 semconv attributes, links: [1 link] }, parent).end()`. */
  span: number;
  /** `propagation.extract(ROOT_CONTEXT, <Kafka-like Buffer headers>, getter)` + `trace.getSpanContext`. */
  extract: number;
  /** `context.with(ctx, fn)` (AsyncLocalStorageContextManager) around an async function that awaits once. */
  contextWith: number;
  /** The same async function awaited without `context.with`, with the context manager enabled (its promise hooks). */
  asyncBaseline: number;
  /** extract + span + context.with, one record's worth. */
  perRecord: number;
}

export interface TracingResult extends TracingSeries {
  /** The bare SDK's own cost per span (the floor of per-record spans). */
  floor?: SdkFloor;
  /** The same three cases on the real broker, or why they were not measured. */
  broker?: (TracingSeries & { brokers: string; partitions: number; payloadBytes: number }) | { skipped: string };
}

/** Drops every span (the SDK still creates, samples, batches and hands them over). */
class DroppingExporter implements SpanExporter {
  spans = 0;
  export(spans: ReadableSpan[], done: (result: { code: number }) => void): void {
    this.spans += spans.length;
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

/**
 * The one context manager of this process, registered for the SDK cases and unregistered after each, as a service has
 * one for its lifetime. A new one per run would measure something no service does: on Node 24 every
 * AsyncLocalStorage ever enabled stays a key of the async context frames the bench's own flow carries on, so each run's
 * `context.with` copied a larger frame than the one before (the batch span case drifted from 16.9 to 21.1 µs per
 * record over 8 runs, against a flat 16 µs with one manager).
 */
let contextManager: AsyncLocalStorageContextManager | undefined;

/** Runs `fn` with the mode's tracing set up (for `sdk`: a registered SDK, unregistered after); reports the spans exported. */
async function withMode<T>(mode: Mode, fn: (tracing: Tracing | undefined) => Promise<T>): Promise<T & { spans: number }> {
  const exporter = new DroppingExporter();
  let provider: BasicTracerProvider | undefined;
  let enabled: AsyncLocalStorageContextManager | undefined;
  if (mode !== 'off' && mode !== 'noSdk') {
    provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 4096, maxExportBatchSize: 512, scheduledDelayMillis: 200 })] });
    contextManager ??= new AsyncLocalStorageContextManager();
    enabled = contextManager.enable();
    api.context.setGlobalContextManager(enabled);
    api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    api.trace.setGlobalTracerProvider(provider);
    // The SDK as a service runs it: its context manager in use (any instrumented request does a `context.with`; on
    // Node 20 that turns on AsyncLocalStorage's promise hooks for every promise of the process).
    api.context.with(api.ROOT_CONTEXT, () => undefined);
  }
  try {
    const result = await fn(mode === 'off' || mode === 'sdkIdle' ? undefined : otelTracing(api, mode === 'sdkBatch' ? { spans: 'batch' } : mode === 'sdkBatchNoLinks' ? { spans: 'batch', batchLinks: false } : {}));
    await provider?.forceFlush();
    return { ...result, spans: exporter.spans };
  } finally {
    if (provider !== undefined) {
      await provider.shutdown();
      api.trace.disable();
      api.propagation.disable();
      api.context.disable();
      enabled?.disable();
    }
  }
}

/** Counts handled records; CPU and wall time from the first record to the last. */
function window(messages: number): { tick: () => void; finished: Promise<{ cpu: number; wall: number }> } {
  let handled = 0;
  let wall0 = 0;
  let cpu0 = process.cpuUsage();
  let done!: (r: { cpu: number; wall: number }) => void;
  const finished = new Promise<{ cpu: number; wall: number }>((resolve) => (done = resolve));
  return {
    tick: () => {
      if (handled++ === 0) {
        wall0 = performance.now();
        cpu0 = process.cpuUsage();
      }
      if (handled === messages) {
        const used = process.cpuUsage(cpu0);
        done({ cpu: ((messages - 1) / ((used.user + used.system) / 1000)) * 1000, wall: ((messages - 1) / (performance.now() - wall0)) * 1000 });
      }
    },
    finished,
  };
}

async function produce(transport: Transport | InMemoryTransport, topic: string, messages: number): Promise<void> {
  const producer = new EventProducer({ transport, source: 'bench', logger: silentLogger });
  await producer.connect();
  for (let i = 0; i < messages; i += 500) {
    const items: BatchItem[] = [];
    for (let k = i; k < Math.min(messages, i + 500); k++) items.push(batchItem(topic, OrderCreatedEvent, pool[k % POOL] as OrderCreatedInput, { traceparent: TRACEPARENT }));
    await producer.sendBatch(items);
  }
  await producer.disconnect();
}

/** In process: produce, then consume in a new group; rate over the whole consume phase (start included). */
function inProcessRun(mode: Mode, messages: number): Promise<{ cpu: number; wall: number; spans: number }> {
  return withMode(mode, async (tracing) => {
    const transport = new InMemoryTransport({ defaultPartitions: PARTITIONS });
    transport.createTopic(TOPIC, PARTITIONS);
    await produce(transport, TOPIC, messages);
    let handled = 0;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const consumer = new GroupConsumer({
      groupId: 'bench',
      transport,
      topics: [new TopicDelegator({ topic: TOPIC, routes: [route(OrderCreatedEvent, { handle: async () => void (++handled === messages && done()) })] })],
      logger: silentLogger,
      ...(tracing === undefined ? {} : { tracing }),
    });
    gc();
    const wall0 = performance.now();
    const cpu0 = process.cpuUsage();
    await consumer.start();
    await finished;
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - wall0;
    await consumer.stop();
    if (consumer.health().processed !== messages) throw new Error(`processed ${consumer.health().processed} of ${messages}`);
    return { cpu: (messages / ((cpu.user + cpu.system) / 1000)) * 1000, wall: (messages / wallMs) * 1000 };
  });
}

let groups = 0;
/** Real broker: a new group reads the whole topic from the beginning with a GroupConsumer over KafkaTransport. */
function brokerRun(mode: Mode, brokers: string, topic: string, messages: number): Promise<{ cpu: number; wall: number; spans: number }> {
  return withMode(mode, async (tracing) => {
    const w = window(messages);
    const consumer = new GroupConsumer({
      groupId: `bench-tracing-${process.pid}-${Date.now().toString(36)}-${groups++}`,
      transport: new KafkaTransport({ config: kafkaConfig({ brokers, clientId: 'bench-tracing' }), logger: silentLogger }),
      topics: [new TopicDelegator({ topic, routes: [route(OrderCreatedEvent, { handle: async () => w.tick() })] })],
      store: null,
      logger: silentLogger,
      ...(tracing === undefined ? {} : { tracing }),
    });
    gc();
    await consumer.start();
    try {
      return await w.finished;
    } finally {
      await consumer.stop();
    }
  });
}

/** Runs the three cases `reps` times, rotating their order, after one warm-up run of each. */
async function series(label: string, reps: number, messages: number, warmUp: (mode: Mode) => Promise<unknown>, run: (mode: Mode) => Promise<{ cpu: number; wall: number; spans: number }>): Promise<TracingSeries> {
  for (const mode of MODES) await warmUp(mode);
  const cpuRates: Record<Mode, number[]> = { off: [], noSdk: [], sdk: [], sdkBatch: [], sdkBatchNoLinks: [], sdkIdle: [] };
  const rates: Record<Mode, number[]> = { off: [], noSdk: [], sdk: [], sdkBatch: [], sdkBatchNoLinks: [], sdkIdle: [] };
  let sdkSpans = 0;
  let sdkBatchSpans = 0;
  for (let r = 0; r < reps; r++) {
    const order = MODES.map((_, i) => MODES[(i + r) % MODES.length] as Mode);
    for (const mode of order) {
      const x = await run(mode);
      cpuRates[mode].push(x.cpu);
      rates[mode].push(x.wall);
      if (mode === 'sdk') {
        sdkSpans = x.spans;
        if (x.spans < messages) throw new Error(`the SDK case exported ${x.spans} spans for ${messages} records`);
      }
      if (mode === 'sdkBatchNoLinks' && (x.spans < 1 || x.spans >= messages)) throw new Error(`the batch-span case without links exported ${x.spans} spans for ${messages} records`);
      if (mode === 'sdkBatch') {
        sdkBatchSpans = x.spans;
        if (x.spans < 1 || x.spans >= messages) throw new Error(`the batch-span case exported ${x.spans} spans for ${messages} records`);
      }
    }
    progress(`tracing ${label} rep ${r + 1}/${reps}: ${order.map((m) => `${m} ${Math.round(cpuRates[m][cpuRates[m].length - 1] ?? 0)}/cpu-s`).join(', ')}`);
  }
  const us = (rate: number): number => 1e6 / rate;
  return {
    messages,
    repetitions: reps,
    cpuRates,
    rates,
    sdkSpans,
    sdkBatchSpans,
    ratios: {
      sdkVsOff: pairedRatio(cpuRates.sdk, cpuRates.off),
      noSdkVsOff: pairedRatio(cpuRates.noSdk, cpuRates.off),
      sdkBatchVsOff: pairedRatio(cpuRates.sdkBatch, cpuRates.off),
      sdkBatchNoLinksVsOff: pairedRatio(cpuRates.sdkBatchNoLinks, cpuRates.off),
      sdkIdleVsOff: pairedRatio(cpuRates.sdkIdle, cpuRates.off),
      sdkBatchVsSdkIdle: pairedRatio(cpuRates.sdkBatch, cpuRates.sdkIdle),
      perRep: cpuRates.off.map((off, i) => ({ sdk: (cpuRates.sdk[i] ?? Number.NaN) / off, noSdk: (cpuRates.noSdk[i] ?? Number.NaN) / off, sdkBatch: (cpuRates.sdkBatch[i] ?? Number.NaN) / off, sdkBatchNoLinks: (cpuRates.sdkBatchNoLinks[i] ?? Number.NaN) / off, sdkIdle: (cpuRates.sdkIdle[i] ?? Number.NaN) / off })),
    },
    perRecordUs: {
      off: median(cpuRates.off.map(us)),
      sdkExtra: median(cpuRates.off.map((off, i) => us(cpuRates.sdk[i] ?? Number.NaN) - us(off))),
      noSdkExtra: median(cpuRates.off.map((off, i) => us(cpuRates.noSdk[i] ?? Number.NaN) - us(off))),
      sdkBatchExtra: median(cpuRates.off.map((off, i) => us(cpuRates.sdkBatch[i] ?? Number.NaN) - us(off))),
      sdkBatchNoLinksExtra: median(cpuRates.off.map((off, i) => us(cpuRates.sdkBatchNoLinks[i] ?? Number.NaN) - us(off))),
      sdkIdleExtra: median(cpuRates.off.map((off, i) => us(cpuRates.sdkIdle[i] ?? Number.NaN) - us(off))),
    },
  };
}

async function brokerSeries(quick: boolean): Promise<NonNullable<TracingResult['broker']>> {
  const brokers = brokersFromEnv();
  if (!(await brokerAnswers(brokers))) return { skipped: `no broker answers at ${brokers}` };
  const messages = quick ? 10_000 : 50_000;
  const topic = `bench-tracing-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
    await produce(new KafkaTransport({ config: kafkaConfig({ brokers, clientId: 'bench-tracing' }), logger: silentLogger, producer: { compression: 'none' } }), topic, messages);
    const run = (mode: Mode) => brokerRun(mode, brokers, topic, messages);
    const s = await series('broker', quick ? 3 : 5, messages, run, run);
    return { ...s, brokers, partitions: PARTITIONS, payloadBytes: 1024 };
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

/** CPU µs per call of `fn` over `n` calls (after one untimed pass), median of `reps` repetitions. */
async function cpuPerOp(n: number, reps: number, fn: (i: number) => unknown): Promise<number> {
  const samples: number[] = [];
  for (let r = 0; r <= reps; r++) {
    gc();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const x = fn(i);
      if (x instanceof Promise) await x;
    }
    const used = process.cpuUsage(cpu0);
    if (r > 0) samples.push((used.user + used.system) / n);
  }
  return median(samples);
}

/**
 * The floor: the bare SDK (same setup as the SDK case: BasicTracerProvider + BatchSpanProcessor over the dropping
 * exporter, AsyncLocalStorageContextManager, W3C propagator), none of our code: what one per-record span costs anyway.
 */
export async function sdkFloor(quick: boolean): Promise<SdkFloor> {
  const n = quick ? 20_000 : 100_000;
  const reps = quick ? 3 : 5;
  return withMode('sdk', async () => {
    const tracer = api.trace.getTracer('floor');
    const getter: api.TextMapGetter<Record<string, Buffer>> = {
      get: (carrier, key) => carrier[key]?.toString(),
      keys: (carrier) => Object.keys(carrier),
    };
    // Kafka-like headers: Buffers, the envelope's headers besides traceparent.
    const headers = Array.from({ length: 64 }, (_, i) => ({
      traceparent: Buffer.from(`00-0af7651916cd43dd8448eb211c80319c-${(0xb7ad6b7169203331n + BigInt(i)).toString(16).padStart(16, '0')}-01`),
      'event-id': Buffer.from(`evt-${i}`),
      'event-type': Buffer.from('order.created'),
      'content-type': Buffer.from('application/json'),
    }));
    const parents = headers.map((h) => api.propagation.extract(api.ROOT_CONTEXT, h, getter));
    const links = parents.map((p) => api.trace.getSpanContext(p) as api.SpanContext);
    const span = (i: number): void => {
      const k = i & 63;
      tracer
        .startSpan(
          'process shop.orders.v1',
          {
            kind: api.SpanKind.CONSUMER,
            attributes: {
              'messaging.system': 'kafka',
              'messaging.operation.type': 'process',
              'messaging.operation.name': 'process',
              'messaging.destination.name': TOPIC,
              'messaging.consumer.group.name': 'bench',
              'messaging.destination.partition.id': String(k % PARTITIONS),
              'messaging.kafka.offset': i,
              'messaging.message.id': `evt-${i}`,
            },
            links: [{ context: links[k] as api.SpanContext }],
          },
          parents[k],
        )
        .end();
    };
    const extract = (i: number): unknown => api.trace.getSpanContext(api.propagation.extract(api.ROOT_CONTEXT, headers[i & 63] as Record<string, Buffer>, getter));
    const work = async (): Promise<void> => {
      await undefined;
    };
    const ctx = parents[0] as api.Context;
    const result: SdkFloor = {
      operations: n,
      span: await cpuPerOp(n, reps, span),
      extract: await cpuPerOp(n, reps, extract),
      contextWith: await cpuPerOp(n, reps, () => api.context.with(ctx, work)),
      asyncBaseline: await cpuPerOp(n, reps, work),
      perRecord: await cpuPerOp(n, reps, (i) => {
        extract(i);
        span(i);
        return api.context.with(ctx, work);
      }),
    };
    return result;
  });
}

export async function tracingBench(options: { quick: boolean; broker?: boolean }): Promise<TracingResult> {
  const messages = options.quick ? 10_000 : 50_000;
  const floor = await sdkFloor(options.quick);
  progress(`tracing bare SDK floor: span ${floor.span.toFixed(2)} µs, extract ${floor.extract.toFixed(2)} µs, context.with ${floor.contextWith.toFixed(2)} µs (async fn alone ${floor.asyncBaseline.toFixed(2)} µs), per record ${floor.perRecord.toFixed(2)} µs`);
  const inProcess = await series('in process', options.quick ? 5 : 9, messages, (mode) => inProcessRun(mode, Math.min(messages, 10_000)), (mode) => inProcessRun(mode, messages));
  const broker = options.broker === false ? undefined : await brokerSeries(options.quick).catch((error: unknown) => ({ skipped: `failed: ${error instanceof Error ? error.message : String(error)}` }));
  return { ...inProcess, floor, ...(broker === undefined ? {} : { broker }) };
}

export { median };

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = process.argv.includes('--floor') ? await sdkFloor(process.argv.includes('--quick')) : await tracingBench({ quick: process.argv.includes('--quick'), broker: !process.argv.includes('--no-broker') });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
