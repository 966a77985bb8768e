/**
 * Per-partition health (#17): state, offsets, lag and "stuck since" — the decision (ProgressWatch) on its own, and
 * through a GroupConsumer on the scripted fake kafkajs client (blocked handler, retries, halt, recovery).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  GroupConsumer,
  KafkaTransport,
  NonRetriableError,
  TopicDelegator,
  defineEvent,
  encodeEnvelope,
  envelopeHeaders,
  kafkaConfig,
  route,
  silentLogger,
  type EnvelopeMetadata,
  type GroupConsumerOptions,
  type PartitionHealth,
} from '../../templates/runtime/index.js';
import { ProgressWatch } from '../../templates/runtime/partition-state.js';
import { FakeKafka, type FakeConsumer, type FakeMessage } from './fake-kafka.js';

describe('ProgressWatch: since when a partition makes no progress with records pending', () => {
  it('nothing pending: never stuck, however old the last commit', () => {
    const w = new ProgressWatch(0);
    expect(w.observe(false, 1_000_000)).toBeUndefined();
  });

  it('pending: stuck from the later of the last advance and the start of pending; an advance moves it; nothing pending clears it', () => {
    const w = new ProgressWatch(0);
    w.committedTo('5', 1_000);
    // Records became pending long after the last commit: stuck from when they did (observed or known exactly).
    expect(w.observe(true, 10_000, 8_000)).toBe(8_000);
    expect(w.observe(true, 12_000)).toBe(8_000);
    // The same offset committed again is no progress.
    w.committedTo('5', 13_000);
    expect(w.observe(true, 14_000)).toBe(8_000);
    // Progress while records stay pending: stuck (if at all) only from the advance on.
    w.committedTo('9', 15_000);
    expect(w.observe(true, 16_000)).toBe(15_000);
    expect(w.observe(false, 17_000)).toBeUndefined();
    // Pending again later: from that observation, not from the old pending start.
    expect(w.observe(true, 30_000)).toBe(30_000);
  });

  it('pending before the first commit: stuck from the assignment (the watch start) at the earliest', () => {
    const w = new ProgressWatch(5_000);
    expect(w.observe(true, 9_000, 1_000)).toBe(5_000);
  });
});

const Schema = z.object({ orderId: z.string() });
const OrderCreated = defineEvent({ eventType: 'order.created', version: '1.0.0', topics: ['orders'], schema: Schema, classification: 'internal', partitionKey: (d) => d.orderId });

let seq = 0;
function message(offset: number, orderId = `o-${offset}`): FakeMessage {
  seq += 1;
  const metadata: EnvelopeMetadata = { eventId: `ph-${seq}`, eventType: 'order.created', eventVersion: '1.0.0', correlationId: `c-${seq}`, timestamp: new Date().toISOString(), source: 'test', dataClassification: 'internal', partitionKey: 'k' };
  return { offset: String(offset), key: Buffer.from('k'), value: encodeEnvelope({ metadata, data: { orderId } }), headers: envelopeHeaders(metadata) };
}

const running: GroupConsumer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

async function setup(handle: (orderId: string) => Promise<void> | void, options: Partial<GroupConsumerOptions> & { deadLetter?: boolean } = {}): Promise<{ consumer: GroupConsumer; fc: FakeConsumer; kafka: FakeKafka }> {
  const kafka = new FakeKafka();
  kafka.topics.set('orders', 2);
  kafka.topics.set('orders.dlq', 1);
  const transport = new KafkaTransport({ config: kafkaConfig({ brokers: 'fake:9092', clientId: 'test' }), client: kafka.client, logger: silentLogger, consumer: { commitIntervalMs: 0 } });
  const delegator = new TopicDelegator({
    topic: 'orders',
    retry: { maxRetries: 50, initialDelayMs: 5_000, maxDelayMs: 5_000, multiplier: 1, jitter: 0 },
    deadLetter: { enabled: options.deadLetter ?? true, topic: 'orders.dlq' },
    routes: [route(OrderCreated, { handle: async (data) => handle(data.orderId) })],
  });
  const consumer = new GroupConsumer({ groupId: 'g', transport, topics: [delegator], logger: silentLogger, heartbeatIntervalMs: 20, stopTimeoutMs: 1_000, lagSampleIntervalMs: 0, stuckAfterMs: 80, ...options });
  running.push(consumer);
  await consumer.start();
  const fc = kafka.consumers[kafka.consumers.length - 1] as FakeConsumer;
  fc.join({ orders: [0, 1] });
  return { consumer, fc, kafka };
}

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const part = (c: GroupConsumer, partition: number): PartitionHealth | undefined => c.health().partitions.find((p) => p.topic === 'orders' && p.partition === partition);
const inFlight = (c: GroupConsumer): number => Number(/^eventgen_consumer_records_in_flight\{group="g",topic="orders"\} (\d+)$/m.exec(c.metrics.toPrometheus())?.[1]);
const stuckSeconds = (c: GroupConsumer, partition: number): number => Number(new RegExp(`^eventgen_consumer_partition_stuck_seconds\\{group="g",topic="orders",partition="${partition}"\\} ([\\d.e+-]+)$`, 'm').exec(c.metrics.toPrometheus())?.[1]);

describe('health().partitions on the fake client', () => {
  it('a hanging handler: running, at its offset, stuck since it started once stuckAfterMs passed; the other partition is not; a commit clears it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const s = await setup(async (id) => {
      if (id === 'o-1') await gate;
    });
    await s.fc.deliver('orders', 1, [message(0, 'o-0')]);
    expect(part(s.consumer, 1)).toEqual({ topic: 'orders', partition: 1, state: 'running', committedOffset: '1', fetchLag: 0 });
    const started = Date.now();
    const delivered = s.fc.deliver('orders', 0, [message(0, 'o-0'), message(1, 'o-1'), message(2, 'o-2')]);
    await tick(20);
    // Record 0 completed (committed with the batch: commitIntervalMs 0); record 1 hangs. Not stuck yet (< 80 ms).
    expect(part(s.consumer, 0)).toMatchObject({ state: 'running', offset: '1' });
    expect(part(s.consumer, 0)?.committedOffset).toBeUndefined();
    expect(part(s.consumer, 0)?.stuckSince).toBeUndefined();
    await tick(120);
    const stuck = part(s.consumer, 0);
    expect(stuck?.stuckSince).toBeDefined();
    const since = Date.parse(stuck!.stuckSince!);
    expect(since).toBeGreaterThanOrEqual(started - 5);
    expect(since).toBeLessThanOrEqual(started + 40);
    expect(part(s.consumer, 1)?.stuckSince).toBeUndefined();
    expect(stuckSeconds(s.consumer, 0)).toBeGreaterThanOrEqual(0.1);
    expect(stuckSeconds(s.consumer, 1)).toBe(0);
    expect(inFlight(s.consumer)).toBe(1); // the hanging handler call
    // Stuck does not make the consumer unhealthy by itself (a long handler is legitimate): it is reported.
    expect(s.consumer.health().healthy).toBe(true);
    release();
    await delivered;
    expect(part(s.consumer, 0)).toEqual({ topic: 'orders', partition: 0, state: 'running', committedOffset: '3', fetchLag: 0 });
    expect(stuckSeconds(s.consumer, 0)).toBe(0);
    expect(inFlight(s.consumer)).toBe(0); // reported as 0, not absent, while the topic is owned
  });

  it('retries waiting paused: paused-for-retry and stuck since the first attempt; a halt: halted and stuck; resumed and handled: running again', async () => {
    let fail = true;
    const s = await setup(
      (id) => {
        if (id === 'o-retry' && fail) throw new Error('down');
        if (id === 'o-halt' && fail) throw new NonRetriableError('refused');
      },
      { deadLetter: false },
    );
    const first = Date.now();
    void s.fc.deliver('orders', 0, [message(0, 'o-retry')]);
    await s.fc.deliver('orders', 1, [message(0, 'o-halt')]);
    await tick(120);
    const retrying = part(s.consumer, 0);
    expect(retrying).toMatchObject({ state: 'paused-for-retry', offset: '0' });
    expect(Date.parse(retrying!.stuckSince!)).toBeGreaterThanOrEqual(first - 5);
    expect(retrying?.committedOffset).toBeUndefined();
    expect(part(s.consumer, 1)).toMatchObject({ state: 'halted', offset: '0' });
    expect(part(s.consumer, 1)?.stuckSince).toBeDefined();
    fail = false;
    expect(s.consumer.resumePartition('orders', 1)).toBe(true);
    await s.fc.deliver('orders', 1, [message(0, 'o-halt')]);
    expect(part(s.consumer, 1)).toEqual({ topic: 'orders', partition: 1, state: 'running', committedOffset: '1', fetchLag: 0 });
  });

  it('lag from the sampler (fake admin offsets) is reported per partition', async () => {
    const s = await setup(() => undefined, { lagSampleIntervalMs: 60_000 });
    s.kafka.endOffsets.set('orders 0', '7');
    await s.fc.deliver('orders', 0, [message(0), message(1), message(2)]);
    s.kafka.committedOffsets.set('g orders 0', '3');
    await s.consumer.sampleLag();
    expect(part(s.consumer, 0)).toMatchObject({ lag: 4, committedOffset: '3' });
    expect(part(s.consumer, 1)).toMatchObject({ lag: 0 });
    expect(s.consumer.metrics.gauge('lag', { group: 'g', topic: 'orders', partition: '0' })).toBe(4);
  });
});
