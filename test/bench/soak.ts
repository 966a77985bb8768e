/**
 * Memory soak: `events` records through EventProducer → GroupConsumer (envelope, default in-memory dedup store,
 * metrics, Zod, handler) on a streaming in-memory transport that keeps no log (InMemoryTransport is a broker and
 * keeps every record, which would hide a leak behind its own growth). Heap is sampled after a forced GC every
 * `sampleEvery` events; run with --expose-gc: `tsx --expose-gc test/bench/soak.ts [events]`.
 */
import { pathToFileURL } from 'node:url';
import {
  EventProducer,
  GroupConsumer,
  TopicDelegator,
  batchItem,
  route,
  type BatchItem,
  type ConsumedRecord,
  type DeliveryListener,
  type RecordMetadata,
  type TopicMessages,
  type Transport,
  type TransportConsumer,
  type TransportProducer,
} from '../../templates/runtime/index.js';
import { OrderCreatedEvent, orderPayload, type OrderCreatedInput } from './fixtures.js';
import { progress } from './stats.js';

const TOPIC = 'shop.orders.v1';

/** One partition, no retention: each record is handed to the (single) running consumer and then forgotten. */
class StreamingTransport implements Transport {
  private listener: DeliveryListener | undefined;
  private offset = 0;

  producer(): TransportProducer {
    return {
      connect: async () => {},
      disconnect: async () => {},
      send: async (batch: readonly TopicMessages[]): Promise<RecordMetadata[]> => {
        const out: RecordMetadata[] = [];
        for (const { topic, messages } of batch) {
          const records: ConsumedRecord[] = messages.map((m) => ({
            topic,
            partition: 0,
            offset: String(this.offset++),
            key: m.key === null ? null : Buffer.from(m.key),
            value: m.value === null ? null : Buffer.from(m.value),
            headers: { ...m.headers },
            timestamp: String(Date.now()),
          }));
          const listener = this.listener;
          if (listener === undefined) throw new Error('no consumer');
          await listener.onBatch({ topic, partition: 0, records, epoch: 1, heartbeat: async () => {}, advance: () => {}, isCurrent: () => true });
          for (const r of records) out.push({ topic, partition: 0, offset: r.offset });
        }
        return out;
      },
    };
  }

  consumer(): TransportConsumer {
    return {
      connect: async () => {},
      subscribe: async () => {},
      run: async (listener) => {
        this.listener = listener;
        listener.onAssigned?.(1, [{ topic: TOPIC, partition: 0 }]);
      },
      commit: async () => {},
      stop: async () => {
        this.listener = undefined;
      },
      disconnect: async () => {},
      pause: () => {},
      resume: () => {},
    };
  }
}

export interface SoakResult {
  events: number;
  warmupEvents: number;
  samples: Array<{ events: number; heapUsedMb: number; rssMb: number }>;
  /** Largest heap after warm-up / heap at the end of warm-up. */
  growth: number;
  seconds: number;
}

export async function soak(events: number, sampleEvery = 100_000, warmupEvents = 200_000): Promise<SoakResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  const pool: OrderCreatedInput[] = Array.from({ length: 1024 }, (_, i) => orderPayload(i));
  const transport = new StreamingTransport();
  let handled = 0;
  const consumer = new GroupConsumer({
    groupId: 'soak',
    transport,
    topics: [new TopicDelegator({ topic: TOPIC, routes: [route(OrderCreatedEvent, { handle: async () => void handled++ })] })],
  });
  await consumer.start();
  const producer = new EventProducer({ transport, source: 'soak' });
  const samples: SoakResult['samples'] = [];
  const started = performance.now();
  for (let i = 0; i < events; i += 100) {
    const items: BatchItem[] = [];
    for (let k = i; k < Math.min(events, i + 100); k++) items.push(batchItem(TOPIC, OrderCreatedEvent, pool[k % 1024] as OrderCreatedInput));
    await producer.sendBatch(items);
    const done = Math.min(events, i + 100);
    if (done % sampleEvery === 0) {
      gc();
      const m = process.memoryUsage();
      samples.push({ events: done, heapUsedMb: m.heapUsed / 1024 / 1024, rssMb: m.rss / 1024 / 1024 });
      progress(`soak ${done.toLocaleString('en-US')}: heap ${(m.heapUsed / 1024 / 1024).toFixed(1)} MB, rss ${(m.rss / 1024 / 1024).toFixed(0)} MB`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  await consumer.stop();
  if (handled !== events || consumer.health().processed !== events) throw new Error(`soak handled ${handled} of ${events}`);
  const base = samples.filter((s) => s.events <= warmupEvents).pop() ?? samples[0];
  const after = samples.filter((s) => s.events > warmupEvents);
  const growth = base === undefined || after.length === 0 ? NaN : Math.max(...after.map((s) => s.heapUsedMb)) / base.heapUsedMb;
  return { events, warmupEvents, samples, growth, seconds };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const events = Number(process.argv[2] ?? 1_000_000);
  const result = await soak(events, Math.max(1000, Math.floor(events / 10)), Math.floor(events / 5));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
