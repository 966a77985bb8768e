/**
 * Real-broker benchmark (KAFKA_BROKERS, default the local broker of `npm run kafka:start` on 127.0.0.1:19092):
 * the generated producer (EventProducer.sendBatch over KafkaTransport) against raw kafkajs sending the same records
 * with the same batch size, acks (all), idempotence and compression (none); the generated consumer (GroupConsumer:
 * envelope + Zod, no dedup) against a raw kafkajs consumer that only parses JSON; and the extra cost of Redis dedup.
 * The same on @platformatic/kafka (issue #18): its raw producer and `consume()` stream beside the generated producer and
 * consumer over `PlatformaticTransport`.
 */
import { Redis } from 'ioredis';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import {
  EventProducer,
  GroupConsumer,
  createTransport,
  loadPlatformaticKafka,
  type KafkaClientName,
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
  silentLogger,
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
  producer: { generated: number[]; raw: number[]; ratio: number; cpuUs: { generated: number[]; raw: number[] } };
  /** The same producer runs on @platformatic/kafka: its raw client and the generated producer over PlatformaticTransport. */
  platformaticProducer: { generated: number[]; raw: number[]; cpuUs: { generated: number[]; raw: number[] } };
  /** Per case: rates and CPU µs per record, one entry per repetition. */
  consumer: {
    cases: Record<ConsumerCase, { rates: number[]; cpuUs: number[] }>;
    /** generated / raw eachMessage (paired medians). */
    ratio: number;
    /** raw eachMessage CPU per record / generated CPU per record (paired medians): > 1 when the generated consumer costs less. */
    cpuRatio?: number;
    /** generated + Redis lease dedup / raw eachMessage, one partition at a time and all partitions concurrently. */
    redisRatio: number;
    redisConcurrentRatio: number;
    redisAvailable: boolean;
  };
}

export const CONSUMER_CASES = [
  'raw eachMessage',
  'raw eachBatch',
  'generated',
  'generated + Redis',
  'generated + Redis, 6 partitions concurrently',
  'raw platformatic stream',
  'generated on platformatic',
] as const;
export type ConsumerCase = (typeof CONSUMER_CASES)[number];

export function brokersFromEnv(): string {
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
  const client = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1, lazyConnect: true, connectTimeout: 2000, retryStrategy: () => null, enableAutoPipelining: true });
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

async function generatedProducer(brokers: string, topic: string, messages: number, batch: number, client: KafkaClientName = 'kafkajs'): Promise<ConsumerRun> {
  const producer = new EventProducer({ transport: createTransport({ client, config: kafkaConfig({ brokers, clientId: 'bench' }), logger: silentLogger, producer: { compression: 'none' } }), source: 'bench', logger: silentLogger });
  await producer.connect();
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < messages; i += batch) {
    const items: BatchItem[] = [];
    for (let k = i; k < Math.min(messages, i + batch); k++) items.push(batchItem(topic, OrderCreatedEvent, pool[k % POOL] as OrderCreatedInput));
    await producer.sendBatch(items);
  }
  const used = process.cpuUsage(cpu);
  const rate = (messages / (performance.now() - started)) * 1000;
  await producer.disconnect();
  return { rate, cpuUs: (used.user + used.system) / messages };
}

/** Raw kafkajs with the transport's settings (idempotent, 1 request in flight, acks=all, no compression), same records. */
async function rawProducer(brokers: string, topic: string, messages: number, batch: number): Promise<ConsumerRun> {
  const producer = new Kafka({ brokers: brokers.split(','), clientId: 'bench-raw', logLevel: logLevel.NOTHING }).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const started = performance.now();
  const cpu = process.cpuUsage();
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
  const used = process.cpuUsage(cpu);
  const rate = (messages / (performance.now() - started)) * 1000;
  await producer.disconnect();
  return { rate, cpuUs: (used.user + used.system) / messages };
}

/** One consumer run: rate from the first record handed to the handler to the last (group join excluded), and CPU per record. */
export interface ConsumerRun {
  rate: number;
  /** Process CPU time (user + system) per record over the same window, in µs. */
  cpuUs: number;
}

function window(messages: number): { tick: () => void; finished: Promise<ConsumerRun> } {
  let handled = 0;
  let first = 0;
  let cpu = process.cpuUsage();
  let done!: (r: ConsumerRun) => void;
  const finished = new Promise<ConsumerRun>((resolve) => (done = resolve));
  return {
    tick: () => {
      if (handled++ === 0) {
        first = performance.now();
        cpu = process.cpuUsage();
      }
      if (handled === messages) {
        const used = process.cpuUsage(cpu);
        done({ rate: ((messages - 1) / (performance.now() - first)) * 1000, cpuUs: (used.user + used.system) / (messages - 1) });
      }
    },
    finished,
  };
}

/** The generated consumer: GroupConsumer over KafkaTransport, envelope + Zod, optional processed store. */
async function generatedConsumer(brokers: string, topic: string, messages: number, store: ProcessedStore | null, concurrency = 1, client: KafkaClientName = 'kafkajs'): Promise<ConsumerRun> {
  const w = window(messages);
  const handler = { handle: async (): Promise<void> => w.tick() };
  const consumer = new GroupConsumer({
    groupId: unique('gen'),
    transport: createTransport({ client, config: kafkaConfig({ brokers, clientId: 'bench' }), logger: silentLogger, consumer: { partitionsConsumedConcurrently: concurrency } }),
    topics: [new TopicDelegator({ topic, routes: [route(OrderCreatedEvent, handler)] })],
    store,
    logger: silentLogger,
  });
  await consumer.start();
  const run = await w.finished;
  await consumer.stop();
  return run;
}

/** Raw kafkajs: `eachMessage` with JSON.parse only and kafkajs' own autoCommit (the issue's baseline), or `eachBatch`. */
async function rawConsumer(brokers: string, topic: string, messages: number, mode: 'eachMessage' | 'eachBatch'): Promise<ConsumerRun> {
  const consumer = new Kafka({ brokers: brokers.split(','), clientId: 'bench-raw', logLevel: logLevel.NOTHING }).consumer({ groupId: unique('raw'), maxWaitTimeInMs: 500 });
  const w = window(messages);
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  if (mode === 'eachMessage') {
    await consumer.run({
      eachMessage: async ({ message }) => {
        JSON.parse(message.value?.toString('utf8') ?? 'null');
        w.tick();
      },
    });
  } else {
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          JSON.parse(message.value?.toString('utf8') ?? 'null');
          w.tick();
        }
      },
    });
  }
  const run = await w.finished;
  await consumer.disconnect();
  return run;
}

function envelopeRecord(data: OrderCreatedInput): { key: string; value: Buffer; headers: Record<string, string> } {
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
  return { key: data.orderId, value: encodeEnvelope({ metadata, data }), headers: envelopeHeaders(metadata) as Record<string, string> };
}

// The raw @platformatic/kafka API as far as the bench uses it (the module is an optional peer, typed loosely here).
interface RawPlatformatic {
  Producer: new (o: Record<string, unknown>) => { send(o: Record<string, unknown>): Promise<unknown>; close(): Promise<void> };
  Consumer: new (o: Record<string, unknown>) => {
    consume(o: Record<string, unknown>): Promise<NodeJS.EventEmitter & { close(): Promise<void> }>;
    close(force?: boolean): Promise<void>;
  };
}

/** Raw @platformatic/kafka producer with the transport's settings (idempotent, acks=all, no compression), same records. */
async function rawPlatformaticProducer(brokers: string, topic: string, messages: number, batch: number): Promise<ConsumerRun> {
  const plt = (await loadPlatformaticKafka()) as unknown as RawPlatformatic;
  const producer = new plt.Producer({ clientId: 'bench-raw-plt', bootstrapBrokers: brokers.split(','), idempotent: true, acks: -1, compression: 'none', autocreateTopics: false });
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < messages; i += batch) {
    const out = [];
    for (let k = i; k < Math.min(messages, i + batch); k++) {
      const r = envelopeRecord(pool[k % POOL] as OrderCreatedInput);
      out.push({ topic, key: Buffer.from(r.key), value: r.value, headers: new Map(Object.entries(r.headers).map(([h, v]) => [Buffer.from(h), Buffer.from(v)])) });
    }
    await producer.send({ messages: out, acks: -1 });
  }
  const used = process.cpuUsage(cpu);
  const rate = (messages / (performance.now() - started)) * 1000;
  await producer.close();
  return { rate, cpuUs: (used.user + used.system) / messages };
}

/** Raw @platformatic/kafka consumer: its `consume()` stream from the earliest offset, JSON.parse only, its own autocommit. */
async function rawPlatformaticConsumer(brokers: string, topic: string, messages: number): Promise<ConsumerRun> {
  const plt = (await loadPlatformaticKafka()) as unknown as RawPlatformatic;
  const consumer = new plt.Consumer({ clientId: 'bench-raw-plt', bootstrapBrokers: brokers.split(','), groupId: unique('raw-plt'), maxWaitTime: 500 });
  const w = window(messages);
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: true });
  stream.on('data', (message: { value: Buffer }) => {
    JSON.parse(message.value.toString('utf8'));
    w.tick();
  });
  const run = await w.finished;
  await stream.close();
  await consumer.close(true);
  return run;
}

async function platformaticInstalled(): Promise<boolean> {
  return loadPlatformaticKafka().then(
    () => true,
    () => false,
  );
}

export async function kafkaBench(options: { quick: boolean; messages?: number; consumerMessages?: number; reps?: number; consumerReps?: number }): Promise<KafkaResult> {
  const brokers = brokersFromEnv();
  const messages = options.messages ?? (options.quick ? 2_000 : 100_000);
  // Runs of 50,000 records (~1-2 s each) and 5 repetitions: with 20,000 (~0.5 s) and 3 the paired ratio of the target
  // moved from 0.89x to 1.17x between two runs. The Redis cases, set by Redis round trips, keep 20,000.
  const consumerMessages = Math.min(messages, options.consumerMessages ?? (options.quick ? messages : 50_000));
  const redisMessages = Math.min(consumerMessages, 20_000);
  const batch = 500;
  const reps = options.reps ?? (options.quick ? 1 : 3);
  const consumerReps = options.consumerReps ?? (options.quick ? 1 : 5);
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const topics = Array.from({ length: 2 * reps }, (_, i) => unique(`t${i}`));
  await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })), waitForLeaders: true });
  const cases = Object.fromEntries(CONSUMER_CASES.map((c) => [c, { rates: [] as number[], cpuUs: [] as number[] }])) as KafkaResult['consumer']['cases'];
  const result: KafkaResult = {
    brokers,
    messages,
    consumerMessages,
    batch,
    partitions: PARTITIONS,
    producer: { generated: [], raw: [], ratio: NaN, cpuUs: { generated: [], raw: [] } },
    platformaticProducer: { generated: [], raw: [], cpuUs: { generated: [], raw: [] } },
    consumer: { cases, ratio: NaN, redisRatio: NaN, redisConcurrentRatio: NaN, redisAvailable: false },
  };
  const withPlatformatic = process.env.BENCH_PLATFORMATIC !== '0' && (await platformaticInstalled());
  try {
    await rawProducer(brokers, topics[0] as string, Math.min(2_000, messages), batch); // warm-up (connections, JIT)
    for (let r = 0; r < reps; r++) {
      const [a, b] = [topics[2 * r] as string, topics[2 * r + 1] as string];
      const order = r % 2 === 0 ? (['raw', 'generated'] as const) : (['generated', 'raw'] as const);
      for (const which of order) {
        const run = which === 'raw' ? await rawProducer(brokers, a, messages, batch) : await generatedProducer(brokers, b, messages, batch);
        result.producer[which].push(run.rate);
        result.producer.cpuUs[which].push(run.cpuUs);
      }
      if (withPlatformatic) {
        for (const which of order) {
          const run = which === 'raw' ? await rawPlatformaticProducer(brokers, a, messages, batch) : await generatedProducer(brokers, b, messages, batch, 'platformatic');
          result.platformaticProducer[which].push(run.rate);
          result.platformaticProducer.cpuUs[which].push(run.cpuUs);
        }
      }
      const plt = withPlatformatic ? `; platformatic raw ${Math.round(result.platformaticProducer.raw[r] ?? 0)}/s, generated ${Math.round(result.platformaticProducer.generated[r] ?? 0)}/s` : '';
      progress(`kafka producer rep ${r + 1}/${reps}: raw ${Math.round(result.producer.raw[r] ?? 0)}/s, generated ${Math.round(result.producer.generated[r] ?? 0)}/s${plt}`);
    }
    result.producer.ratio = pairedRatio(result.producer.generated, result.producer.raw);

    // Consumers read the generated producer's records (valid envelopes) from the beginning, each in a new group,
    // in an order that rotates per repetition.
    const redis = await redisClient();
    result.consumer.redisAvailable = redis !== undefined;
    try {
      const runners: Record<ConsumerCase, ((topic: string) => Promise<ConsumerRun>) | undefined> = {
        'raw eachMessage': (t) => rawConsumer(brokers, t, consumerMessages, 'eachMessage'),
        'raw eachBatch': (t) => rawConsumer(brokers, t, consumerMessages, 'eachBatch'),
        generated: (t) => generatedConsumer(brokers, t, consumerMessages, null),
        'generated + Redis': redis === undefined ? undefined : (t) => generatedConsumer(brokers, t, redisMessages, new RedisProcessedStore({ client: redis, keyPrefix: `${unique('bench')}:` })),
        'generated + Redis, 6 partitions concurrently':
          redis === undefined ? undefined : (t) => generatedConsumer(brokers, t, redisMessages, new RedisProcessedStore({ client: redis, keyPrefix: `${unique('bench')}:` }), PARTITIONS),
        'raw platformatic stream': withPlatformatic ? (t) => rawPlatformaticConsumer(brokers, t, consumerMessages) : undefined,
        'generated on platformatic': withPlatformatic ? (t) => generatedConsumer(brokers, t, consumerMessages, null, 1, 'platformatic') : undefined,
      };
      for (let r = 0; r < consumerReps; r++) {
        const topic = topics[2 * (r % reps) + 1] as string;
        // The other cases rotate; the target's pair (raw eachMessage, generated) always runs back to back, its order
        // alternating, so that each repetition's ratio compares two runs under the same conditions.
        const rotated = [...CONSUMER_CASES.slice(r % CONSUMER_CASES.length), ...CONSUMER_CASES.slice(0, r % CONSUMER_CASES.length)].filter((c) => c !== 'generated');
        const at = rotated.indexOf('raw eachMessage');
        const order: ConsumerCase[] = [...rotated.slice(0, r % 2 === 0 ? at + 1 : at), 'generated', ...rotated.slice(r % 2 === 0 ? at + 1 : at)];
        for (const name of order) {
          const runner = runners[name];
          if (runner === undefined) continue;
          const run = await runner(topic);
          cases[name].rates.push(run.rate);
          cases[name].cpuUs.push(run.cpuUs);
        }
        progress(`kafka consumer rep ${r + 1}/${consumerReps}: ${CONSUMER_CASES.map((c) => `${c} ${Math.round(cases[c].rates[r] ?? NaN)}/s (${(cases[c].cpuUs[r] ?? NaN).toFixed(1)} µs CPU/record)`).join(', ')}`);
      }
    } finally {
      redis?.disconnect();
    }
    const raw = cases['raw eachMessage'].rates;
    result.consumer.ratio = pairedRatio(cases.generated.rates, raw);
    result.consumer.cpuRatio = pairedRatio(cases['raw eachMessage'].cpuUs, cases.generated.cpuUs);
    result.consumer.redisRatio = pairedRatio(cases['generated + Redis'].rates, raw.slice(0, cases['generated + Redis'].rates.length));
    result.consumer.redisConcurrentRatio = pairedRatio(cases['generated + Redis, 6 partitions concurrently'].rates, raw.slice(0, cases['generated + Redis, 6 partitions concurrently'].rates.length));
  } finally {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  }
  return result;
}
