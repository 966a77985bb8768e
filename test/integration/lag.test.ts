/**
 * Consumer lag (#17) on a real broker, sampled from the cluster (committed vs end offsets) by the consumer's lag
 * sampler: a halted (paused) partition's lag grows to exactly the number of records produced behind it and returns to
 * 0 once resumed; the exposition parses with a Prometheus text parser.
 */
import type { Admin } from 'kafkajs';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventProducer, GroupConsumer, NonRetriableError, TopicDelegator, route, type EventHandler } from '../../templates/runtime/index.js';
import { kafkaBrokers, uniqueName } from '../support/kafka.js';
import { TickEvent, admin, committed, createTopics, testLogger, transport, waitFor, type Tick } from './helpers.js';

const brokers = await kafkaBrokers();

interface Family {
  name: string;
  type: string;
  metrics: Array<{ labels?: Record<string, string>; value?: string }>;
}
const parse = (text: string): Family[] => (parsePrometheusTextFormat as unknown as (t: string) => Family[])(text);

/** `eventgen_consumer_lag` of one partition, read through the Prometheus text parser. */
function lagOf(text: string, group: string, topic: string, partition: number): number | undefined {
  const family = parse(text).find((f) => f.name === 'eventgen_consumer_lag');
  const sample = family?.metrics.find((m) => m.labels?.group === group && m.labels.topic === topic && m.labels.partition === String(partition));
  return sample?.value === undefined ? undefined : Number(sample.value);
}

describe.skipIf(!brokers)('kafka: consumer lag sampling', () => {
  let a: Admin;
  beforeAll(async () => {
    a = await admin(brokers!);
  });
  afterAll(async () => {
    await a?.disconnect();
  });

  it("a paused (halted) partition's lag grows to the number of records produced behind it and returns to 0 after resuming", async () => {
    const topic = uniqueName('it-lag');
    const groupId = uniqueName('g-lag');
    await createTopics(a, [{ topic, partitions: 2 }]);
    let failing = true;
    const handled: string[] = [];
    const handler: EventHandler<Tick> = {
      async handle(data) {
        if (data.key === 'stop' && failing) throw new NonRetriableError('halt here');
        handled.push(`${data.key}:${data.seq}`);
      },
    };
    const consumer = new GroupConsumer({
      groupId,
      transport: transport(brokers!),
      // No dead-letter topic: a terminal failure halts (pauses) the partition until resumePartition.
      topics: [new TopicDelegator({ topic, deadLetter: { enabled: false, topic: `${topic}.dlq` }, routes: [route(TickEvent, handler)] })],
      fromBeginning: true,
      logger: testLogger(),
      lagSampleIntervalMs: 300,
    });
    const producerTransport = transport(brokers!);
    const producer = new EventProducer({ transport: producerTransport, source: 'it' });
    const lag = (partition: number): number | undefined => lagOf(consumer.metrics.toPrometheus(), groupId, topic, partition);
    const describeState = (): string => `lag ${lag(0)}/${lag(1)}; handled ${handled.length}; health ${JSON.stringify(consumer.health())}`;
    try {
      await consumer.start();
      // Every record has the same key, so the same partition.
      await producer.send(topic, TickEvent, { key: 'stop', seq: 0 });
      await waitFor(() => consumer.health().haltedPartitions.length === 1, 20_000, describeState);
      const halted = consumer.health().haltedPartitions[0];
      expect(halted?.topic).toBe(topic);
      const partition = halted!.partition;
      const other = 1 - partition;
      // Halted at the first record: nothing committed, 1 record behind.
      await waitFor(() => lag(partition) === 1, 10_000, describeState);
      const produced = 25;
      for (let seq = 1; seq < produced; seq++) await producer.send(topic, TickEvent, { key: 'stop', seq });
      // The partition is paused: the member fetches nothing from it, yet its lag grows with every record produced.
      await waitFor(() => lag(partition) === produced, 15_000, describeState);
      expect(lag(other)).toBe(0);
      expect(handled).toEqual([]);
      // It stays there (nothing is consumed while paused).
      await new Promise((r) => setTimeout(r, 800));
      expect(lag(partition)).toBe(produced);
      failing = false;
      expect(consumer.resumePartition(topic, partition)).toBe(true);
      await waitFor(() => handled.length === produced && lag(partition) === 0, 20_000, describeState);
      expect((await committed(a, groupId, topic)).get(partition)).toBe(String(produced));
      // The whole exposition parses; every sample of every family has a numeric value.
      const families = parse(consumer.metrics.toPrometheus());
      expect(families.map((f) => f.name)).toEqual(expect.arrayContaining(['eventgen_consumer_lag', 'eventgen_consumer_lag_sampled_timestamp_seconds', 'eventgen_events_processed_total']));
      for (const f of families) for (const m of f.metrics) if (m.value !== undefined) expect(Number.isFinite(Number(m.value))).toBe(true);
    } finally {
      await consumer.stop();
      await producer.disconnect();
    }
    // A stopped member reports no lag.
    expect(consumer.metrics.toPrometheus()).not.toMatch(/^eventgen_consumer_lag\{/m);
  });

  it('dead_letter_topic_records follows the records written to the dead-letter topic (counted by events_dead_lettered_total)', async () => {
    const topic = uniqueName('it-lag-dlq');
    const dlq = `${topic}.dlq`;
    const groupId = uniqueName('g-lag-dlq');
    await createTopics(a, [
      { topic, partitions: 2 },
      { topic: dlq, partitions: 2 },
    ]);
    const handler: EventHandler<Tick> = {
      async handle(data) {
        if (data.key.startsWith('bad')) throw new NonRetriableError(`refused ${data.key}`);
      },
    };
    const consumer = new GroupConsumer({
      groupId,
      transport: transport(brokers!),
      topics: [new TopicDelegator({ topic, deadLetter: { enabled: true, topic: dlq }, routes: [route(TickEvent, handler)] })],
      fromBeginning: true,
      logger: testLogger(),
      lagSampleIntervalMs: 300,
    });
    const producer = new EventProducer({ transport: transport(brokers!), source: 'it' });
    const size = (): number | undefined => {
      const family = parse(consumer.metrics.toPrometheus()).find((f) => f.name === 'eventgen_dead_letter_topic_records');
      const sample = family?.metrics.find((m) => m.labels?.group === groupId && m.labels.topic === dlq);
      return sample?.value === undefined ? undefined : Number(sample.value);
    };
    try {
      await consumer.start();
      await waitFor(() => size() === 0, 10_000, () => `size ${size()}`);
      for (let i = 0; i < 7; i++) await producer.send(topic, TickEvent, { key: i % 2 === 0 ? `bad-${i}` : `good-${i}`, seq: i });
      await waitFor(() => size() === 4 && consumer.metrics.get('dead_lettered', { group: groupId }) === 4, 20_000, () => `size ${size()}, dead-lettered ${consumer.metrics.get('dead_lettered', { group: groupId })}`);
      await waitFor(() => lagOf(consumer.metrics.toPrometheus(), groupId, topic, 0) === 0 && lagOf(consumer.metrics.toPrometheus(), groupId, topic, 1) === 0, 10_000);
      expect(consumer.metrics.get('processed', { group: groupId })).toBe(3);
    } finally {
      await consumer.stop();
      await producer.disconnect();
    }
  });

  it('a dead-letter topic that does not exist does not delay or fail the lag (its size is simply absent)', async () => {
    const topic = uniqueName('it-lag-nodlq');
    const groupId = uniqueName('g-lag-nodlq');
    await createTopics(a, [{ topic, partitions: 1 }]);
    const consumer = new GroupConsumer({
      groupId,
      transport: transport(brokers!),
      topics: [new TopicDelegator({ topic, deadLetter: { enabled: true, topic: `${topic}.missing-dlq` }, routes: [route(TickEvent, { handle: async () => undefined })] })],
      fromBeginning: true,
      logger: testLogger(),
      lagSampleIntervalMs: 300,
    });
    const producer = new EventProducer({ transport: transport(brokers!), source: 'it' });
    try {
      await consumer.start();
      for (let seq = 0; seq < 3; seq++) await producer.send(topic, TickEvent, { key: 'k', seq });
      await waitFor(() => consumer.metrics.get('processed', { group: groupId }) === 3, 15_000);
      // Samples keep coming every ~300 ms although each read of the missing topic takes seconds of client retries.
      const started = Date.now();
      await waitFor(() => lagOf(consumer.metrics.toPrometheus(), groupId, topic, 0) === 0, 10_000);
      const stamp = (): number => Number(/^eventgen_consumer_lag_sampled_timestamp_seconds\{group="[^"]+"\} (\d+)$/m.exec(consumer.metrics.toPrometheus())?.[1]);
      const first = stamp();
      await waitFor(() => stamp() > first, 3_000, () => `no new sample since ${first}`);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(consumer.metrics.toPrometheus()).not.toMatch(/^eventgen_dead_letter_topic_records\{/m);
    } finally {
      await consumer.stop();
      await producer.disconnect();
    }
  });
});
