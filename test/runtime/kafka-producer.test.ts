/**
 * The Kafka producer adapter's decisions against a scripted fake kafkajs client (issue 11, item 6 and the outage
 * finding): per-partition ordering only, a merged request split so only the guilty send fails, no topic
 * auto-creation, reconnection after any outage, stable event ids for a caller's retry.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EventProducer, KafkaTransport, ProduceError, SendError, batchItem, createLogger, defineEvent, kafkaConfig, partitionForKey } from '../../templates/runtime/index.js';
import { FakeKafka } from './fake-kafka.js';

const quiet = createLogger({ level: 'error', write: () => undefined });
const Ev = defineEvent({ eventType: 'order.created', version: '1.0.0', topics: ['orders'], schema: z.object({ id: z.string() }), classification: 'internal', partitionKey: (d) => d.id });

function setup(partitions = 4): { kafka: FakeKafka; transport: KafkaTransport } {
  const kafka = new FakeKafka();
  kafka.topics.set('orders', partitions);
  return { kafka, transport: new KafkaTransport({ config: kafkaConfig({ brokers: 'fake:9092', clientId: 't' }), client: kafka.client, logger: quiet, producer: { sendTimeoutMs: 300 } }) };
}

const keyOn = (partition: number, count = 4): string => {
  for (let i = 0; ; i++) if (partitionForKey(`k${i}`, count) === partition) return `k${i}`;
};

describe('KafkaTransportProducer on a fake kafkajs client', () => {
  it('decides partitions itself (murmur2 of the key), never auto-creates topics, and fails a missing topic precisely', async () => {
    const { kafka, transport } = setup();
    const producer = transport.producer();
    await producer.connect();
    const [meta] = await producer.send([{ topic: 'orders', messages: [{ key: 'order-7', value: 'x' }] }]);
    expect(meta?.partition).toBe(partitionForKey('order-7', 4));
    expect(kafka.producers[0]?.config).toMatchObject({ allowAutoTopicCreation: false, idempotent: true });
    const started = Date.now();
    await expect(producer.send([{ topic: 'nope', messages: [{ key: null, value: 'x' }] }])).rejects.toMatchObject({ name: 'SendError', code: 'UNKNOWN_TOPIC', message: expect.stringMatching(/does not exist/) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000); // re-read metadata: a new topic may still be propagating
  });

  it('a topic that appears while its metadata is re-read is used (creation just before the first send)', async () => {
    const { kafka, transport } = setup();
    const producer = transport.producer();
    await producer.connect();
    setTimeout(() => kafka.topics.set('fresh', 2), 150);
    await expect(producer.send([{ topic: 'fresh', messages: [{ key: 'a', value: 'x' }] }])).resolves.toHaveLength(1);
  });

  it('orders sends per partition only: a hanging partition does not hold the others', async () => {
    const { kafka, transport } = setup();
    const producer = transport.producer();
    await producer.connect();
    const fake = kafka.producers[0]!;
    fake.behaviour = (tm) => (tm.some((t) => t.messages.some((m: { partition: number }) => m.partition === 0)) ? 'hang' : undefined);
    const stuck = producer.send([{ topic: 'orders', messages: [{ key: keyOn(0), value: 'p0' }] }]);
    const others = await Promise.all([1, 2, 3].map((p) => producer.send([{ topic: 'orders', messages: [{ key: keyOn(p), value: `p${p}` }] }])));
    expect(others.map((m) => m[0]?.partition)).toEqual([1, 2, 3]);
    await expect(stuck).rejects.toMatchObject({ code: 'UNCERTAIN' }); // sendTimeoutMs: settles, never hangs
  });

  it('a merged request that fails for one record is split: only the guilty send fails', async () => {
    const { kafka, transport } = setup();
    const producer = transport.producer();
    await producer.connect();
    const fake = kafka.producers[0]!;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let first = true;
    fake.behaviour = (tm) => {
      if (tm.some((t) => t.messages.some((m: { value: string }) => m.value === 'too big'))) return Object.assign(new Error('Message too large'), { type: 'MESSAGE_TOO_LARGE' });
      return undefined;
    };
    const original = fake.sendBatch.bind(fake);
    fake.sendBatch = async (args) => {
      if (first) {
        first = false;
        await gate; // hold the first request so the next three queue up and merge
      }
      return original(args);
    };
    const blocker = producer.send([{ topic: 'orders', messages: [{ key: keyOn(0), value: 'first' }] }]);
    const queued = [producer.send([{ topic: 'orders', messages: [{ key: keyOn(0), value: 'a' }] }]), producer.send([{ topic: 'orders', messages: [{ key: keyOn(0), value: 'too big' }] }]), producer.send([{ topic: 'orders', messages: [{ key: keyOn(0), value: 'b' }] }])];
    release();
    await blocker;
    const results = await Promise.allSettled(queued);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(SendError);
    expect(fake.calls.filter((c) => c.startsWith('send'))).toHaveLength(5); // blocker, merged (failed), then a, too big, b alone
    expect(fake.sent.map((s) => s.message.value)).toEqual(['first', 'a', 'b']); // order kept within the partition
  });

  it('after an outage of any length the next sends reconnect and succeed, with a new producer after an uncertain send', async () => {
    const { kafka, transport } = setup();
    const producer = transport.producer();
    await producer.connect();
    kafka.producers[0]!.behaviour = () => Object.assign(new Error('Connection error: connect ECONNREFUSED'), { name: 'KafkaJSConnectionError' });
    await expect(producer.send([{ topic: 'orders', messages: [{ key: 'a', value: 'x' }] }])).rejects.toMatchObject({ code: 'UNCERTAIN' });
    // The replacement cannot connect while the broker is still down: the send rejects, nothing is remembered as connected.
    const next = (): FakeKafka['producers'][number] => kafka.producers[kafka.producers.length - 1]!;
    const nextConnects = (n: number): void => {
      const original = kafka.producer.bind(kafka);
      kafka.producer = (config) => {
        const p = original(config);
        p.failConnects = n;
        return p;
      };
    };
    nextConnects(3);
    for (let i = 0; i < 3; i++) await expect(producer.send([{ topic: 'orders', messages: [{ key: 'a', value: 'x' }] }])).rejects.toMatchObject({ code: 'OTHER', message: /Could not connect/ });
    await expect(producer.send([{ topic: 'orders', messages: [{ key: 'a', value: 'after' }] }])).resolves.toHaveLength(1);
    expect(kafka.producers).toHaveLength(2); // one replacement (new producer id), reconnected by the sends themselves
    expect(next().sent.map((s) => s.message.value)).toEqual(['after']);
  });

  it('EventProducer: a failed send rejects with ProduceError whose retryItems resend the same event ids', async () => {
    const { kafka, transport } = setup();
    const producer = new EventProducer({ transport, source: 't', logger: quiet });
    await producer.connect();
    kafka.producers[0]!.behaviour = () => Object.assign(new Error('Request timed out'), { name: 'KafkaJSRequestTimeoutError' });
    const error = await producer.sendBatch([batchItem('orders', Ev, { id: 'a' }), batchItem('orders', Ev, { id: 'b' })]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProduceError);
    const failed = error as ProduceError;
    expect(failed.code).toBe('UNCERTAIN');
    expect(failed.eventIds).toHaveLength(2);
    await producer.sendBatch(failed.retryItems);
    const sent = kafka.producers[kafka.producers.length - 1]!.sent.map((s) => JSON.parse(String(s.message.value)).metadata.eventId);
    expect(sent).toEqual(failed.eventIds);
  });
});
