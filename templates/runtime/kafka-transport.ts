import { Kafka, logLevel as KafkaLogLevel, type KafkaConfig as KafkaJsConfig, type LogEntry } from 'kafkajs';
import { KafkaConfigError, describeKafkaConfig, kafkaConfigFromEnv, type KafkaConfig } from './config.js';
import { KafkaTransportConsumer, type KafkaClient, type KafkaConsumerOptions } from './kafka-consumer.js';
import { KafkaTransportProducer, type KafkaProducerOptions } from './kafka-producer.js';
import { defaultLogger, type Logger } from './logger.js';
import type { TransactionalTransport } from './exactly-once.js';
import { KafkaTransactionalProducer, fetchCommittedOffsets } from './kafka-transactions.js';
import { PlatformaticTransport } from './platformatic-transport.js';
import type { OffsetReader, PartitionOffsets, TopicPartition, Transport } from './transport.js';

export { KafkaTransportConsumer, isRebalanceError, type KafkaClient, type KafkaConsumerOptions } from './kafka-consumer.js';
export { KafkaTransportProducer, type Compression, type KafkaProducerOptions } from './kafka-producer.js';
export { KafkaTransactionalProducer, isFencedError } from './kafka-transactions.js';

/** Options of {@link KafkaTransport}. */
export interface KafkaTransportOptions {
  /** Connection settings (see `kafkaConfig`, `kafkaConfigFromEnv`). */
  config: KafkaConfig;
  /** Logger for the client's own warnings and errors (default: warnings and errors on stderr). Secrets are never passed to it. */
  logger?: Logger;
  /** A kafkajs client to use instead of one built from `config` (tests pass a fake here). */
  client?: KafkaClient;
  /** Producer settings. */
  producer?: KafkaProducerOptions;
  /** Consumer settings. */
  consumer?: KafkaConsumerOptions;
}

/** The kafkajs client options for a {@link KafkaConfig}; the password is revealed only here, into kafkajs. */
export function toKafkaJsConfig(config: KafkaConfig, logger: Logger = defaultLogger()): KafkaJsConfig {
  const options: KafkaJsConfig = {
    clientId: config.clientId,
    brokers: [...config.brokers],
    connectionTimeout: config.connectionTimeoutMs ?? 3_000,
    requestTimeout: config.requestTimeoutMs ?? 30_000,
    logLevel: KafkaLogLevel.INFO,
    logCreator: () => (entry: LogEntry) => logKafkaJs(logger, entry),
    // Connection attempts at most 3 s apart (kafkajs' default grows to 30 s): after a broker outage, producers and
    // consumers reconnect within seconds of the broker answering.
    retry: { initialRetryTime: 300, maxRetryTime: 3_000, retries: 8 },
  };
  if (config.tls !== undefined) options.ssl = config.tls.ca === undefined ? { rejectUnauthorized: true } : { rejectUnauthorized: true, ca: [...config.tls.ca] };
  if (config.sasl !== undefined) {
    const { mechanism, username, password } = config.sasl;
    const credentials = { username, password: password.reveal() };
    options.sasl =
      mechanism === 'plain' ? { mechanism, ...credentials } : mechanism === 'scram-sha-256' ? { mechanism, ...credentials } : { mechanism, ...credentials };
  }
  return options;
}

// Protocol answers kafkajs logs as errors that are part of normal group life (rebalances, coordinator moves,
// a broker still loading or a fresh cluster creating __consumer_offsets); kafkajs retries or rejoins by itself.
// Its Connection logs `Response <Api>(…)` with only the error's message (no code), so the messages are matched:
// REBALANCE_IN_PROGRESS (27), GROUP_COORDINATOR_NOT_AVAILABLE (15), NOT_COORDINATOR_FOR_GROUP (16),
// GROUP_LOAD_IN_PROGRESS (14), ILLEGAL_GENERATION (22), UNKNOWN_MEMBER_ID (25), as kafkajs 2 words them.
const ROUTINE_RESPONSE_ERRORS: ReadonlySet<unknown> = new Set([
  'The group is rebalancing, so a rejoin is needed',
  'The group coordinator is not available',
  'This is not the correct coordinator for this group',
  "The coordinator is loading and hence can't process requests for this group",
  'Specified group generation id is not valid',
  'The coordinator is not aware of this member',
]);

// kafkajs messages that are routine, not problems: shown at debug/info instead of warn/error.
const ROUTINE: ReadonlyArray<[RegExp, 'debug' | 'info']> = [
  // The runtime decides every record's partition itself; kafkajs' partitioner is not used.
  [/^KafkaJS v2\.0\.0 switched default partitioner/, 'debug'],
  // We bound retries on purpose and replace the producer after an uncertain send (see KafkaTransportProducer).
  [/^Limiting retries for the idempotent producer/, 'debug'],
  [/^The group is rebalancing, re-joining/, 'info'],
  // The runtime reports crashes itself (health, its own log line) and decides about restarts.
  [/^Crash: /, 'info'],
  [/^Restarting the consumer in/, 'info'],
];

// kafkajs' INFO is chatty (every join, every connection): keep it at debug; its warnings and errors stay.
function logKafkaJs(logger: Logger, entry: LogEntry): void {
  const { message, timestamp: _timestamp, ...fields } = entry.log;
  const extra: Record<string, unknown> = { ...fields, kafkajs: entry.namespace };
  const text = typeof message === 'string' ? message : String(message);
  const routine =
    entry.level > KafkaLogLevel.WARN ? undefined : /^Response \w+\(/.test(text) && ROUTINE_RESPONSE_ERRORS.has(fields['error']) ? 'info' : ROUTINE.find(([pattern]) => pattern.test(text))?.[1];
  if (routine !== undefined) logger[routine](text, extra);
  else if (entry.level === KafkaLogLevel.ERROR) logger.error(text, extra);
  else if (entry.level === KafkaLogLevel.WARN) logger.warn(text, extra);
  else logger.debug(text, extra);
}

/**
 * The runtime's {@link Transport} on kafkajs 2: idempotent producers with acks=all, per-partition ordering and
 * recovery after outages, and group members that hand batches to the delivery engine and commit only what it
 * completed, in the assignment it was completed in.
 */
export class KafkaTransport implements Transport, TransactionalTransport {
  /** The kafkajs client (for admin operations). */
  readonly kafka: KafkaClient;
  private readonly logger: Logger;

  /** @param options connection settings, logger, producer and consumer settings. */
  constructor(private readonly options: KafkaTransportOptions) {
    this.logger = (options.logger ?? defaultLogger()).child({ component: 'kafka' });
    this.kafka = options.client ?? new Kafka(toKafkaJsConfig(options.config, this.logger));
    this.logger.debug('Kafka transport created', describeKafkaConfig(options.config));
  }

  /** Creates a producer. */
  producer(): KafkaTransportProducer {
    return new KafkaTransportProducer(this.kafka, this.options.producer ?? {}, this.logger);
  }

  /** Creates a member of consumer group `groupId`. */
  consumer(options: { groupId: string }): KafkaTransportConsumer {
    return new KafkaTransportConsumer(this.kafka, options.groupId, this.options.consumer ?? {}, this.logger.child({ groupId: options.groupId }));
  }

  /** Creates a transactional producer (exactly-once groups). */
  transactionalProducer(transactionalId: string): KafkaTransactionalProducer {
    return new KafkaTransactionalProducer(this.kafka, transactionalId, this.logger.child({ transactionalId }));
  }

  /** An admin connection reading committed and end offsets (for the consumer's lag sampler). */
  offsetReader(): KafkaOffsetReader {
    return new KafkaOffsetReader(this.kafka);
  }

  /** The group's committed offsets of the partitions. */
  committedOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<Array<TopicPartition & { offset: string | undefined }>> {
    return fetchCommittedOffsets(this.kafka, groupId, partitions);
  }
}

/**
 * {@link OffsetReader} on one kafkajs admin client, connected on first use and kept for later samples (kafkajs
 * reconnects its broker connections by itself on the next request after an outage). A failed connect is retried on
 * the next call.
 */
export class KafkaOffsetReader implements OffsetReader {
  private connecting: Promise<ReturnType<KafkaClient['admin']>> | undefined;
  private closed = false;

  constructor(private readonly kafka: KafkaClient) {}

  /** Offsets of the topics that exist (missing ones are left out). */
  async topicOffsets(topics: readonly string[]): Promise<PartitionOffsets[]> {
    const admin = await this.admin();
    // Only topics that exist: kafkajs keeps every topic once asked for in its metadata requests, so one missing topic
    // (a dead-letter topic not created yet) would fail every later request of this admin client.
    const existing = new Set(await admin.listTopics());
    const answers = await Promise.all(topics.filter((t) => existing.has(t)).map(async (topic) => ({ topic, partitions: await admin.fetchTopicOffsets(topic) })));
    return answers.flatMap(({ topic, partitions }) => partitions.map((p) => ({ topic, partition: p.partition, start: p.low, end: p.high })));
  }

  async groupOffsets(groupId: string, topics: readonly string[]): Promise<Array<TopicPartition & { offset: string | undefined }>> {
    const admin = await this.admin();
    const answer = await admin.fetchOffsets({ groupId, topics: [...topics] });
    return answer.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset === '-1' || p.offset === '' ? undefined : p.offset })));
  }

  async close(): Promise<void> {
    this.closed = true;
    const admin = await this.connecting?.catch(() => undefined);
    this.connecting = undefined;
    await admin?.disconnect().catch(() => undefined);
  }

  private async admin(): Promise<ReturnType<KafkaClient['admin']>> {
    if (this.closed) throw new Error('Offset reader closed');
    const connecting = (this.connecting ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })());
    try {
      const admin = await connecting;
      if (this.closed) throw new Error('Offset reader closed');
      return admin;
    } catch (error) {
      if (this.connecting === connecting && !this.closed) this.connecting = undefined;
      throw error;
    }
  }
}

/** A {@link KafkaTransport} configured from the environment (`kafkaConfigFromEnv`), with optional overrides. */
export function createKafkaTransport(options: Partial<KafkaTransportOptions> = {}): KafkaTransport {
  return new KafkaTransport({ ...options, config: options.config ?? kafkaConfigFromEnv() });
}


/** The Kafka client library a transport is built on. */
export type KafkaClientName = 'kafkajs' | 'platformatic';

/**
 * `KAFKA_CLIENT` (`kafkajs` or `platformatic`), else `fallback` (default kafkajs; generated services pass the
 * catalog's `x-eventgen.kafkaClient`); anything else is a {@link KafkaConfigError}.
 */
export function kafkaClientFromEnv(env: Readonly<Record<string, string | undefined>> = process.env, fallback: KafkaClientName = 'kafkajs'): KafkaClientName {
  const value = env['KAFKA_CLIENT']?.trim().toLowerCase();
  if (value === undefined || value === '') return fallback;
  if (value === 'kafkajs') return 'kafkajs';
  if (value === 'platformatic' || value === '@platformatic/kafka') return 'platformatic';
  throw new KafkaConfigError(`KAFKA_CLIENT must be 'kafkajs' or 'platformatic' (got '${env['KAFKA_CLIENT']}')`);
}

/** Options of {@link createTransport}: the client, and the settings both transports share. */
export interface CreateTransportOptions {
  /** The client library (default: `KAFKA_CLIENT`, else `kafkajs`). `platformatic` needs `@platformatic/kafka` installed. */
  client?: KafkaClientName;
  /** Connection settings (default: `kafkaConfigFromEnv()`). */
  config?: KafkaConfig;
  /** Logger for the client's warnings and errors. */
  logger?: Logger;
  /** Producer settings (the platformatic transport uses `compression`, `idempotent`, `sendTimeoutMs`, `metadataMaxAgeMs`). */
  producer?: KafkaProducerOptions;
  /** Consumer settings (the same names for both clients). */
  consumer?: KafkaConsumerOptions;
}

/**
 * The one place a Kafka transport is chosen: kafkajs ({@link KafkaTransport}) or @platformatic/kafka
 * ({@link PlatformaticTransport}), from `options.client`, else `KAFKA_CLIENT`, else kafkajs. @platformatic/kafka is
 * imported only when chosen (on first connect), so services on kafkajs need not install it.
 */
export function createTransport(options: CreateTransportOptions = {}): KafkaTransport | PlatformaticTransport {
  const client = options.client ?? kafkaClientFromEnv();
  const config = options.config ?? kafkaConfigFromEnv();
  const common = { config, ...(options.logger === undefined ? {} : { logger: options.logger }) };
  if (client === 'platformatic') {
    return new PlatformaticTransport({ ...common, ...(options.producer === undefined ? {} : { producer: options.producer }), ...(options.consumer === undefined ? {} : { consumer: options.consumer }) });
  }
  return new KafkaTransport({ ...common, ...(options.producer === undefined ? {} : { producer: options.producer }), ...(options.consumer === undefined ? {} : { consumer: options.consumer }) });
}
