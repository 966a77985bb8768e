/**
 * Cost of tracing (#17) on the consumer, in process (InMemoryTransport, 1 KB `order.created`, 6 partitions, in-memory
 * dedup, metrics on): the records are produced first (each with a `traceparent` header), then a new group consumes
 * them; rate = records / CPU time of the consume phase. Cases, interleaved with a rotating order:
 * *off* = no `tracing` option; *no SDK* = `tracing: otelTracing(api)` with nothing registered (the API's no-op);
 * *SDK* = `otelTracing(api)` with `BasicTracerProvider` + `BatchSpanProcessor` over an exporter that drops the spans,
 * `AsyncLocalStorageContextManager`, W3C propagator. Run alone: `tsx test/bench/tracing.ts [--quick]`.
 */
import { pathToFileURL } from 'node:url';
import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { EventProducer, GroupConsumer, InMemoryTransport, TopicDelegator, batchItem, otelTracing, route, silentLogger, type BatchItem, type Tracing } from '../../templates/runtime/index.js';
import { OrderCreatedEvent, orderPayload, type OrderCreatedInput } from './fixtures.js';
import { median, pairedRatio, progress } from './stats.js';

const TOPIC = 'shop.orders.v1';
const POOL = 1024;
const pool: OrderCreatedInput[] = Array.from({ length: POOL }, (_, i) => orderPayload(i));
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

type Mode = 'off' | 'noSdk' | 'sdk';

export interface TracingResult {
  messages: number;
  repetitions: number;
  /** Records per CPU-second of the consume phase, per repetition. */
  cpuRates: Record<Mode, number[]>;
  /** Records per wall-second of the consume phase, per repetition. */
  rates: Record<Mode, number[]>;
  /** Spans exported (dropped) by the SDK case's exporter in its last repetition. */
  sdkSpans: number;
  /** Median paired ratios (CPU rates). */
  ratios: { sdkVsOff: number; noSdkVsOff: number; perRep: Array<{ sdk: number; noSdk: number }> };
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

async function consumeRun(mode: Mode, messages: number): Promise<{ cpu: number; wall: number; spans: number }> {
  let provider: BasicTracerProvider | undefined;
  const exporter = new DroppingExporter();
  let contextManager: AsyncLocalStorageContextManager | undefined;
  if (mode === 'sdk') {
    provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 4096, maxExportBatchSize: 512, scheduledDelayMillis: 200 })] });
    contextManager = new AsyncLocalStorageContextManager().enable();
    api.context.setGlobalContextManager(contextManager);
    api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    api.trace.setGlobalTracerProvider(provider);
  }
  try {
    const tracing: Tracing | undefined = mode === 'off' ? undefined : otelTracing(api);
    const transport = new InMemoryTransport({ defaultPartitions: 6 });
    transport.createTopic(TOPIC, 6);
    const producer = new EventProducer({ transport, source: 'bench', logger: silentLogger });
    for (let i = 0; i < messages; i += 500) {
      const items: BatchItem[] = [];
      for (let k = i; k < Math.min(messages, i + 500); k++) items.push(batchItem(TOPIC, OrderCreatedEvent, pool[k % POOL] as OrderCreatedInput, { traceparent: TRACEPARENT }));
      await producer.sendBatch(items);
    }
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
    global.gc?.();
    const wall0 = performance.now();
    const cpu0 = process.cpuUsage();
    await consumer.start();
    await finished;
    const cpu = process.cpuUsage(cpu0);
    const wallMs = performance.now() - wall0;
    await consumer.stop();
    await producer.disconnect();
    if (consumer.health().processed !== messages) throw new Error(`processed ${consumer.health().processed} of ${messages}`);
    await provider?.forceFlush();
    return { cpu: (messages / ((cpu.user + cpu.system) / 1000)) * 1000, wall: (messages / wallMs) * 1000, spans: exporter.spans };
  } finally {
    if (provider !== undefined) {
      await provider.shutdown();
      api.trace.disable();
      api.propagation.disable();
      api.context.disable();
      contextManager?.disable();
    }
  }
}

export async function tracingBench(options: { quick: boolean }): Promise<TracingResult> {
  const messages = options.quick ? 10_000 : 50_000;
  const reps = options.quick ? 3 : 7;
  const modes: Mode[] = ['off', 'noSdk', 'sdk'];
  for (const mode of modes) await consumeRun(mode, Math.min(messages, 10_000)); // warm-up
  const cpuRates: Record<Mode, number[]> = { off: [], noSdk: [], sdk: [] };
  const rates: Record<Mode, number[]> = { off: [], noSdk: [], sdk: [] };
  let sdkSpans = 0;
  for (let r = 0; r < reps; r++) {
    const order = modes.map((_, i) => modes[(i + r) % modes.length] as Mode);
    for (const mode of order) {
      const x = await consumeRun(mode, messages);
      cpuRates[mode].push(x.cpu);
      rates[mode].push(x.wall);
      if (mode === 'sdk') sdkSpans = x.spans;
    }
    progress(`tracing rep ${r + 1}/${reps}: ${order.map((m) => `${m} ${Math.round(cpuRates[m][cpuRates[m].length - 1] ?? 0)}/cpu-s`).join(', ')}`);
  }
  return {
    messages,
    repetitions: reps,
    cpuRates,
    rates,
    sdkSpans,
    ratios: {
      sdkVsOff: pairedRatio(cpuRates.sdk, cpuRates.off),
      noSdkVsOff: pairedRatio(cpuRates.noSdk, cpuRates.off),
      perRep: cpuRates.off.map((off, i) => ({ sdk: (cpuRates.sdk[i] ?? Number.NaN) / off, noSdk: (cpuRates.noSdk[i] ?? Number.NaN) / off })),
    },
  };
}

export { median };

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await tracingBench({ quick: process.argv.includes('--quick') });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
