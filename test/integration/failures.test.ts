/**
 * Failure handling on a real broker:
 * (c) poison pills are dead-lettered after exactly one attempt with the metadata headers, and the next record on
 *     the partition is handled within 1 s;
 * (d) a transient failure is retried in-process: exactly N+1 attempts, delays within the policy ± jitter, no rebalance;
 * (e) retry exhaustion: the source offset is committed only after the dead-letter write was acknowledged; while the
 *     dead-letter topic cannot be written nothing is committed, health reports the partition, and the handler's
 *     retry cycle is not run again (the terminal failure is remembered: redeliveries go straight to the write).
 */
import { randomUUID } from 'node:crypto';
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DLQ_HEADERS,
  GroupConsumer,
  KafkaTransportConsumer,
  PlatformaticTransportConsumer,
  TopicDelegator,
  encodeEnvelope,
  envelopeHeaders,
  nominalDelay,
  route,
  type EnvelopeMetadata,
  type EventHandler,
  type RetryPolicy,
  type Transport,
  type TransportProducer,
} from '../../templates/runtime/index.js';
import { kafkaBrokers, uniqueName } from '../support/kafka.js';
import { TickEvent, admin, committed, createTopics, readAll, testLogger, transport, waitFor, type Tick } from './helpers.js';

const brokers = await kafkaBrokers();

function metadata(eventType: string): EnvelopeMetadata {
  return { eventId: randomUUID(), eventType, eventVersion: '1.0.0', correlationId: randomUUID(), timestamp: new Date().toISOString(), source: 'it', dataClassification: 'internal', partitionKey: 'k' };
}

/** A transport whose consumers and producers are kept for inspection. */
function spied(t: Transport): Transport & { consumers: Array<KafkaTransportConsumer | PlatformaticTransportConsumer>; producers: TransportProducer[] } {
  const consumers: Array<KafkaTransportConsumer | PlatformaticTransportConsumer> = [];
  const producers: TransportProducer[] = [];
  return {
    consumers,
    producers,
    producer: () => {
      const p = t.producer();
      producers.push(p);
      return p;
    },
    consumer: (o) => {
      const c = t.consumer(o);
      if (c instanceof KafkaTransportConsumer || c instanceof PlatformaticTransportConsumer) consumers.push(c);
      return c;
    },
  };
}

describe.skipIf(!brokers)('kafka: failures (c, d, e)', () => {
  let a: Admin;
  let raw: ReturnType<Kafka['producer']>;
  beforeAll(async () => {
    a = await admin(brokers!);
    raw = new Kafka({ clientId: 'it-raw', brokers: brokers!.split(','), logLevel: logLevel.NOTHING }).producer();
    await raw.connect();
  });
  afterAll(async () => {
    await raw?.disconnect();
    await a?.disconnect();
  });

  it('(c) poison pills: 1 attempt each, dead-lettered with metadata headers, next record handled within 1 s', async () => {
    const topic = uniqueName('it-poison');
    const dlq = `${topic}.dlq`;
    const groupId = uniqueName('g-poison');
    await createTopics(a, [{ topic, partitions: 1 }, { topic: dlq, partitions: 1 }]);
    const bad = metadata(TickEvent.eventType);
    const unknown = metadata('test.unknown');
    const good = metadata(TickEvent.eventType);
    await raw.send({
      topic,
      acks: -1,
      messages: [
        { key: 'k', value: 'this is not JSON {', headers: { 'correlation-id': 'corr-1' } },
        { key: 'k', value: JSON.stringify({ hello: 'not an envelope' }) },
        { key: 'k', value: encodeEnvelope({ metadata: bad, data: { key: 'k', seq: -1 } }), headers: envelopeHeaders(bad) },
        { key: 'k', value: encodeEnvelope({ metadata: unknown, data: {} }), headers: envelopeHeaders(unknown) },
        { key: 'k', value: encodeEnvelope({ metadata: good, data: { key: 'k', seq: 0 } }), headers: envelopeHeaders(good) },
      ],
    });
    const attempts: string[] = [];
    let handledAt = 0;
    const handler: EventHandler<Tick> = {
      async handle(_data, ctx) {
        attempts.push(ctx.eventId);
        handledAt = Date.now();
      },
    };
    const t = spied(transport(brokers!));
    const dlqAcks: number[] = [];
    const consumer = new GroupConsumer({
      groupId,
      transport: {
        consumer: (o) => t.consumer(o),
        producer: () => {
          const p = t.producer();
          return { connect: () => p.connect(), disconnect: () => p.disconnect(), send: async (b) => { const r = await p.send(b); dlqAcks.push(Date.now()); return r; } };
        },
      },
      topics: [new TopicDelegator({ topic, routes: [route(TickEvent, handler)], deadLetter: { enabled: true, topic: dlq } })],
      fromBeginning: true,
      logger: testLogger(),
    });
    await consumer.start();
    try {
      await waitFor(() => attempts.length >= 1, 30_000, () => 'good record not handled');
      await waitFor(async () => (await committed(a, groupId, topic)).get(0) === '5', 10_000, () => 'not all committed');
    } finally {
      await consumer.stop();
    }
    const dead = await readAll(brokers!, dlq, 4);
    const gapMs = handledAt - Math.max(...dlqAcks);
    console.log(`[it] (c) dead-lettered ${dead.length}; reasons ${dead.map((d) => d.headers[DLQ_HEADERS.reason]).join(',')}; next record handled ${gapMs} ms after the last DLQ ack`);
    expect(attempts).toEqual([good.eventId]);
    expect(dead.map((d) => d.headers[DLQ_HEADERS.reason])).toEqual(['decode', 'envelope', 'validation', 'unknown-event-type']);
    for (const [i, d] of dead.entries()) {
      expect(d.headers[DLQ_HEADERS.attempts]).toBe('1');
      expect(d.headers[DLQ_HEADERS.originalTopic]).toBe(topic);
      expect(d.headers[DLQ_HEADERS.originalPartition]).toBe('0');
      expect(d.headers[DLQ_HEADERS.originalOffset]).toBe(String(i));
      expect(d.headers[DLQ_HEADERS.consumerGroup]).toBe(groupId);
      expect(d.headers[DLQ_HEADERS.errorClass]).toBeTruthy();
      expect(d.headers[DLQ_HEADERS.failedAt]).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(d.key).toBe('k');
    }
    expect(dead[0]?.value?.toString()).toBe('this is not JSON {'); // original bytes kept
    expect(dead[0]?.headers[DLQ_HEADERS.correlationId]).toBe('corr-1');
    expect(dead[2]?.headers[DLQ_HEADERS.correlationId]).toBe(bad.correlationId);
    expect(dlqAcks).toHaveLength(4);
    expect(gapMs).toBeLessThan(1000);
    expect(consumer.metrics.get('dead_lettered')).toBe(4);
  });

  it('(d) transient failure: exactly N+1 attempts, delays within policy ± jitter, no rebalance', async () => {
    const topic = uniqueName('it-transient');
    const groupId = uniqueName('g-transient');
    await createTopics(a, [{ topic, partitions: 1 }]);
    const N = 3;
    const policy: RetryPolicy = { maxRetries: 4, initialDelayMs: 400, maxDelayMs: 5000, multiplier: 2, jitter: 0.2 };
    const times: number[] = [];
    const handler: EventHandler<Tick> = {
      async handle() {
        times.push(performance.now());
        if (times.length <= N) throw new Error(`transient failure ${times.length}`);
      },
    };
    const t = spied(transport(brokers!, { consumer: { heartbeatIntervalMs: 500, sessionTimeoutMs: 6000 } }));
    const consumer = new GroupConsumer({
      groupId,
      transport: t,
      topics: [new TopicDelegator({ topic, routes: [route(TickEvent, handler)], retry: policy })],
      fromBeginning: true,
      heartbeatIntervalMs: 500,
      logger: testLogger(),
    });
    await consumer.start();
    const member = t.consumers[0]!;
    let joins = 0;
    let heartbeats = 0;
    if (member instanceof KafkaTransportConsumer) {
      member.client.on(member.client.events.GROUP_JOIN, () => void (joins += 1));
      member.client.on(member.client.events.HEARTBEAT, () => void (heartbeats += 1));
    } else {
      const client = member.consumer as unknown as { on(event: string, listener: () => void): void };
      client.on('consumer:group:join', () => void (joins += 1));
      client.on('consumer:heartbeat:end', () => void (heartbeats += 1));
    }
    const m = metadata(TickEvent.eventType);
    await raw.send({ topic, acks: -1, messages: [{ key: 'k', value: encodeEnvelope({ metadata: m, data: { key: 'k', seq: 0 } }), headers: envelopeHeaders(m) }] });
    try {
      await waitFor(async () => times.length === N + 1 && (await committed(a, groupId, topic)).get(0) === '1', 30_000, () => `attempts ${times.length}`);
      await new Promise((r) => setTimeout(r, 500)); // nothing more may happen
    } finally {
      await consumer.stop();
    }
    const delays = times.slice(1).map((t, i) => Math.round(t - times[i]!));
    const bounds = delays.map((_, i) => [nominalDelay(policy, i + 1) * (1 - policy.jitter), nominalDelay(policy, i + 1)] as const);
    console.log(`[it] (d) attempts ${times.length}; delays ${delays.join(', ')} ms (policy windows ${bounds.map(([lo, hi]) => `${lo}-${hi}`).join(', ')}); joins after start ${joins}; heartbeats ${heartbeats}`);
    expect(times).toHaveLength(N + 1);
    for (const [i, d] of delays.entries()) {
      const [lo, hi] = bounds[i]!;
      expect(d).toBeGreaterThanOrEqual(lo - 5); // timer granularity
      expect(d).toBeLessThanOrEqual(hi + 150); // scheduling and heartbeat round trips
    }
    expect(joins).toBe(0); // no rebalance while retrying
    expect(consumer.metrics.get('retried')).toBe(N);
  });

  it('(e) retry exhaustion: commit only after the DLQ ack; unwritable DLQ → not committed, health reports it', async () => {
    const topic = uniqueName('it-exhaust');
    const dlq = `${topic}.dlq`;
    const groupId = uniqueName('g-exhaust');
    await createTopics(a, [{ topic, partitions: 1 }]);
    // A dead-letter topic the broker refuses to write to: every record is larger than max.message.bytes.
    await a.createTopics({ topics: [{ topic: dlq, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: '64' }] }], waitForLeaders: true });
    const policy: RetryPolicy = { maxRetries: 2, initialDelayMs: 50, maxDelayMs: 200, multiplier: 2, jitter: 0 };
    let attempts = 0;
    const handler: EventHandler<Tick> = {
      async handle() {
        attempts += 1;
        throw new Error('always failing');
      },
    };
    const t = spied(transport(brokers!));
    const events: Array<{ what: string; at: number; detail?: string }> = [];
    const consumer = new GroupConsumer({
      groupId,
      transport: {
        consumer: (o) => {
          const c = t.consumer(o);
          const commit = c.commit.bind(c);
          c.commit = async (offsets) => {
            events.push({ what: 'commit', at: performance.now(), detail: offsets.map((o) => `${o.partition}:${o.offset}`).join(',') });
            return commit(offsets);
          };
          return c;
        },
        producer: () => {
          const p = t.producer();
          return {
            connect: () => p.connect(),
            disconnect: () => p.disconnect(),
            send: async (b) => {
              try {
                const r = await p.send(b);
                events.push({ what: 'dlq-ack', at: performance.now() });
                return r;
              } catch (error) {
                events.push({ what: 'dlq-fail', at: performance.now(), detail: String(error) });
                throw error;
              }
            },
          };
        },
      },
      topics: [new TopicDelegator({ topic, routes: [route(TickEvent, handler)], retry: policy, deadLetter: { enabled: true, topic: dlq } })],
      fromBeginning: true,
      logger: testLogger(),
      deadLetterRetry: { maxRetries: 0, initialDelayMs: 200, maxDelayMs: 200, multiplier: 1, jitter: 0 },
      deadLetterAttempts: 1_000,
    });
    const m = metadata(TickEvent.eventType);
    await raw.send({ topic, acks: -1, messages: [{ key: 'k', value: encodeEnvelope({ metadata: m, data: { key: 'k', seq: 0 } }), headers: envelopeHeaders(m) }] });
    await consumer.start();
    try {
      // Phase 1: the dead-letter topic refuses the write.
      await waitFor(() => events.filter((e) => e.what === 'dlq-fail').length >= 2, 30_000, () => JSON.stringify(events));
      const health = consumer.health();
      expect(health.healthy).toBe(false);
      expect(health.failingPartitions).toEqual([expect.objectContaining({ topic, partition: 0, offset: '0', reason: expect.stringMatching(/dead-letter write to '.*' failed/) })]);
      expect(health.lastError?.name).toBe('SendError');
      expect(events.some((e) => e.what === 'commit')).toBe(false);
      expect((await committed(a, groupId, topic)).get(0)).toBe('-1');
      // Each failed write was tried again reduced (value left out), which the 64-byte limit refuses too.
      expect(events.filter((e) => e.what === 'dlq-fail').length % 2).toBe(0);
      expect(attempts).toBe(policy.maxRetries + 1); // the retry cycle ran once; redeliveries went straight to the write

      // Phase 2: the topic accepts records again; the redelivered record is dead-lettered, then committed.
      await a.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: dlq, configEntries: [{ name: 'max.message.bytes', value: '1048588' }] }] });
      await waitFor(async () => (await committed(a, groupId, topic)).get(0) === '1', 30_000, () => JSON.stringify(events));
      await waitFor(() => consumer.health().healthy, 5_000, () => JSON.stringify(consumer.health()));
    } finally {
      await consumer.stop();
    }
    const ack = events.find((e) => e.what === 'dlq-ack');
    const commit = events.find((e) => e.what === 'commit');
    console.log(`[it] (e) failed DLQ writes ${events.filter((e) => e.what === 'dlq-fail').length} (nothing committed), attempts ${attempts}; DLQ ack → commit ${((commit?.at ?? 0) - (ack?.at ?? 0)).toFixed(1)} ms`);
    expect(ack).toBeDefined();
    expect(commit?.detail).toBe('0:1');
    expect(commit!.at).toBeGreaterThanOrEqual(ack!.at);
    expect(events.filter((e) => e.what === 'commit')).toHaveLength(1);
    const dead = await readAll(brokers!, dlq, 1);
    expect(dead[0]?.headers[DLQ_HEADERS.reason]).toBe('retries-exhausted');
    expect(dead[0]?.headers[DLQ_HEADERS.attempts]).toBe(String(policy.maxRetries + 1));
  });
});
