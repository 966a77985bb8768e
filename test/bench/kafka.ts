/**
 * Real-broker benchmark (KAFKA_BROKERS, default the local broker of `npm run kafka:start` on 127.0.0.1:19092):
 * the generated producer (EventProducer.sendBatch over KafkaTransport) against raw kafkajs sending the same records
 * with the same batch size, acks (all), idempotence and compression (none); the generated consumer (GroupConsumer:
 * envelope + Zod, no dedup) against a raw kafkajs consumer that only parses JSON; and the extra cost of Redis dedup.
 */
import { Redis } from 'ioredis';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import {
  EventProducer,
  GroupConsumer,
  KafkaTransport,
  RedisProcessedStore,
  TopicDelegator,
  batchItem,
  encodeEnvelope,
  envelopeHeaders,
  kafkaConfig,
  route,
  type BatchItem,
  type EnvelopeMetadata,
  type ProcessedStore,
} from '../../templates/runtime/index.js';
import { OrderCreatedEvent, orderPayload, type OrderCreatedInput } from './fixtures.js';
import { pairedRatio, progress } from './stats.js';

const POOL = 1024;
const pool: OrderCreatedInput[] = Array.from({ length: POOL }, (_, i) => orderPayload(i));
const PARTITIONS = 6;

export interface KafkaResult {
  brokers: string;
  messages: number;
  consumerMessages: number;
  batch: number;
  partitions: number;
  producer: { generated: number[]; raw: number[]; ratio: number };
  consumer: { generated: number[]; raw: number[]; rawCommitEach: number[]; redis: number[]; ratio: number; redisVsNoDedup: number; redisAvailable: boolean };
}

function brokersFromEnv(): string {
  return process.env.KAFKA_BROKERS?.trim() || `127.0.0.1:${process.env.KAFKA_LOCAL_PORT ?? '19092'}`;
}

/** True when the broker answers a metadata request within a few seconds. */
export async function brokerAnswers(brokers = brokersFromEnv()): Promise<boolean> {
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING, connectionTimeout: 2000, retry: { retries: 1 } }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function redisClient(): Promise<Redis | undefined> {
  const client = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1, lazyConnect: true, connectTimeout: 2000, retryStrategy: () => null });
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch {
    client.disconnect();
    return undefined;
  }
}

const unique = (prefix: string): string => `bench-${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;

async function generatedProducer(brokers: string, topic: string, messages: number, batch: number): Promise<number> {
  const producer = new EventProducer({ transport: new KafkaTransport({ config: kafkaConfig({ brokers, clientId: 'bench' }), producer: { compression: 'none' } }), source: 'bench' });
  await producer.connect();
  const started = performance.now();
  for (let i = 0; i < messages; i += batch) {
    const items: BatchItem[] = [];
    for (let k = i; k < Math.min(messages, i + batch); k++) items.push(batchItem(topic, OrderCreatedEvent, pool[k % POOL] as OrderCreatedInput));
    await producer.sendBatch(items);
  }
  const rate = (messages / (performance.now() - started)) * 1000;
  await producer.disconnect();
  return rate;
}

/** Raw kafkajs with the transport's settings (idempotent, 1 request in flight, acks=all, no compression), same records. */
async function rawProducer(brokers: string, topic: string, messages: number, batch: number): Promise<number> {
  const producer = new Kafka({ brokers: brokers.split(','), clientId: 'bench-raw', logLevel: logLevel.NOTHING }).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const started = performance.now();
  for (let i = 0; i < messages; i += batch) {
    const out = [];
    for (let k = i; k < Math.min(messages, i + batch); k++) {
      const data = pool[k % POOL] as OrderCreatedInput;
      const metadata: EnvelopeMetadata = {
        eventId: crypto.randomUUID(),
        eventType: 'order.created',
        eventVersion: '1.0.0',
        correlationId: crypto.randomUUID(),
        timestamp: new Date().toISOString(),
        source: 'bench',
        dataClassification: 'confidential',
        partitionKey: data.orderId,
      };
      out.push({ key: data.orderId, value: encodeEnvelope({ metadata, data }), headers: envelopeHeaders(metadata) });
    }
    await producer.sendBatch({ topicMessages: [{ topic, messages: out }], acks: -1, compression: CompressionTypes.None });
  }
  const rate = (messages / (performance.now() - started)) * 1000;
  await producer.disconnect();
  return rate;
}

/** Messages per second from the first record handed to the handler to the last (group join time excluded). */
async function generatedConsumer(brokers: string, topic: string, messages: number, store: ProcessedStore | null): Promise<number> {
  let handled = 0;
  let first = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const handler = {
    handle: async (): Promise<void> => {
      if (handled++ === 0) first = performance.now();
      if (handled === messages) done();
    },
  };
  const consumer = new GroupConsumer({
    groupId: unique('gen'),
    transport: new KafkaTransport({ config: kafkaConfig({ brokers, clientId: 'bench' }) }),
    topics: [new TopicDelegator({ topic, routes: [route(OrderCreatedEvent, handler)] })],
    store,
    fromBeginning: true,
  });
  await consumer.start();
  await finished;
  const rate = ((messages - 1) / (performance.now() - first)) * 1000;
  await consumer.stop();
  return rate;
}

async function rawConsumer(brokers: string, topic: string, messages: number, commitEach: boolean): Promise<number> {
  const consumer = new Kafka({ brokers: brokers.split(','), clientId: 'bench-raw', logLevel: logLevel.NOTHING }).consumer({ groupId: unique('raw'), maxWaitTimeInMs: 500 });
  let handled = 0;
  let first = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: !commitEach,
    eachMessage: async ({ topic: t, partition, message }) => {
      JSON.parse(message.value?.toString('utf8') ?? 'null');
      if (commitEach) await consumer.commitOffsets([{ topic: t, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
      if (handled++ === 0) first = performance.now();
      if (handled === messages) done();
    },
  });
  await finished;
  const rate = ((messages - 1) / (performance.now() - first)) * 1000;
  await consumer.disconnect();
  return rate;
}

export async function kafkaBench(options: { quick: boolean; messages?: number; consumerMessages?: number; reps?: number }): Promise<KafkaResult> {
  const brokers = brokersFromEnv();
  const messages = options.messages ?? (options.quick ? 2_000 : 100_000);
  const consumerMessages = Math.min(messages, options.consumerMessages ?? (options.quick ? messages : 20_000));
  const batch = 500;
  const reps = options.reps ?? (options.quick ? 1 : 3);
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const topics = Array.from({ length: 2 * reps }, (_, i) => unique(`t${i}`));
  await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })), waitForLeaders: true });
  const result: KafkaResult = {
    brokers,
    messages,
    consumerMessages,
    batch,
    partitions: PARTITIONS,
    producer: { generated: [], raw: [], ratio: NaN },
    consumer: { generated: [], raw: [], rawCommitEach: [], redis: [], ratio: NaN, redisVsNoDedup: NaN, redisAvailable: false },
  };
  try {
    await rawProducer(brokers, topics[0] as string, Math.min(2_000, messages), batch); // warm-up (connections, JIT)
    for (let r = 0; r < reps; r++) {
      const [a, b] = [topics[2 * r] as string, topics[2 * r + 1] as string];
      if (r % 2 === 0) {
        result.producer.raw.push(await rawProducer(brokers, a, messages, batch));
        result.producer.generated.push(await generatedProducer(brokers, b, messages, batch));
      } else {
        result.producer.generated.push(await generatedProducer(brokers, b, messages, batch));
        result.producer.raw.push(await rawProducer(brokers, a, messages, batch));
      }
      progress(`kafka producer rep ${r + 1}/${reps}: raw ${Math.round(result.producer.raw[r] ?? 0)}/s, generated ${Math.round(result.producer.generated[r] ?? 0)}/s`);
    }
    result.producer.ratio = pairedRatio(result.producer.generated, result.producer.raw);

    // Consumers read the generated producer's records (valid envelopes) from the beginning, each in a new group.
    const redis = await redisClient();
    result.consumer.redisAvailable = redis !== undefined;
    try {
      for (let r = 0; r < reps; r++) {
        const topic = topics[2 * r + 1] as string;
        const order = r % 2 === 0 ? (['raw', 'generated'] as const) : (['generated', 'raw'] as const);
        for (const which of order) {
          if (which === 'raw') result.consumer.raw.push(await rawConsumer(brokers, topic, consumerMessages, false));
          else result.consumer.generated.push(await generatedConsumer(brokers, topic, consumerMessages, null));
        }
        if (r === 0 && !options.quick) result.consumer.rawCommitEach.push(await rawConsumer(brokers, topic, consumerMessages, true));
        if (redis !== undefined && r === 0 && !options.quick) result.consumer.redis.push(await generatedConsumer(brokers, topic, consumerMessages, new RedisProcessedStore({ client: redis })));
        progress(
          `kafka consumer rep ${r + 1}/${reps}: raw ${Math.round(result.consumer.raw[r] ?? 0)}/s, generated ${Math.round(result.consumer.generated[r] ?? 0)}/s` +
            (r === 0 && !options.quick ? `, raw+commit each ${Math.round(result.consumer.rawCommitEach[0] ?? 0)}/s, generated+redis ${Math.round(result.consumer.redis[0] ?? NaN)}/s` : ''),
        );
      }
    } finally {
      redis?.disconnect();
    }
    result.consumer.ratio = pairedRatio(result.consumer.generated, result.consumer.raw);
    result.consumer.redisVsNoDedup = pairedRatio(result.consumer.redis, result.consumer.generated.slice(0, result.consumer.redis.length));
  } finally {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  }
  return result;
}
