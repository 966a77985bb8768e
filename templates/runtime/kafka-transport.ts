import {
  CompressionTypes,
  Kafka,
  logLevel as KafkaLogLevel,
  type Consumer,
  type EachMessagePayload as KafkaEachMessagePayload,
  type IHeaders,
  type KafkaConfig as KafkaJsConfig,
  type LogEntry,
  type Message,
  type PartitionerArgs,
  type Producer,
} from 'kafkajs';
import { describeKafkaConfig, kafkaConfigFromEnv, type KafkaConfig } from './config.js';
import { ConsumerStoppingError, toError } from './errors.js';
import { silentLogger, type Logger } from './logger.js';
import { partitionForKey } from './partitioner.js';
import type {
  ConsumedRecord,
  EachMessagePayload,
  OutgoingMessage,
  RecordHeaders,
  RecordMetadata,
  TopicMessages,
  TopicPartitions,
  Transport,
  TransportConsumer,
  TransportProducer,
} from './transport.js';

/** Record compression of the producer. `gzip` is built into kafkajs; the others need a codec registered in kafkajs' `CompressionCodecs`. */
export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Producer settings of {@link KafkaTransport}. */
export interface KafkaProducerOptions {
  /** Compression of record batches (default `none`). */
  compression?: Compression;
  /** Idempotent producer: no duplicates or reordering from retries (default true; requires acks=all, which is always used). */
  idempotent?: boolean;
  /** Requests in flight per broker connection (default 1: with retries, keeps per-partition order strict). */
  maxInFlightRequests?: number;
  /** Retries of a failed send before it rejects (default 10, backing off up to `maxRetryTimeMs`). */
  retries?: number;
  /** Longest backoff between send retries (default 5000 ms). */
  maxRetryTimeMs?: number;
  /** Time the broker has to replicate and acknowledge (default 30 000 ms). */
  ackTimeoutMs?: number;
}

/** Consumer settings of {@link KafkaTransport}. */
export interface KafkaConsumerOptions {
  /** Session timeout (default 30 000 ms): a member silent for longer is removed from the group. */
  sessionTimeoutMs?: number;
  /** Heartbeat interval (default 3000 ms). */
  heartbeatIntervalMs?: number;
  /** Time members have to rejoin during a rebalance (default 60 000 ms). */
  rebalanceTimeoutMs?: number;
  /** Partitions handled concurrently by one member (default 1); order within a partition is always kept. */
  partitionsConsumedConcurrently?: number;
  /** First delay before a record whose `eachMessage` rejected is delivered again (default 500 ms, doubling up to 30 s). */
  redeliveryDelayMs?: number;
  /** Longest fetch wait on the broker (default 500 ms). */
  maxWaitTimeMs?: number;
  /**
   * Completed offsets are committed in batches: when this many records finished (default 500) or after
   * `commitIntervalMs` (default 200 ms), whichever comes first, and always on stop. Only offsets of records whose
   * handler succeeded (or whose dead-letter write was acknowledged) are ever committed; a crash can only repeat
   * records (at-least-once; the processed store skips them). `commitBatchSize: 1` commits every record.
   */
  commitBatchSize?: number;
  /** Longest time a completed offset waits for its commit (default 200 ms). */
  commitIntervalMs?: number;
}

/** Options of {@link KafkaTransport}. */
export interface KafkaTransportOptions {
  /** Connection settings (see `kafkaConfig`, `kafkaConfigFromEnv`). */
  config: KafkaConfig;
  /** Logger for the client's own warnings and errors (default silent). Secrets are never passed to it. */
  logger?: Logger;
  /** Producer settings. */
  producer?: KafkaProducerOptions;
  /** Consumer settings. */
  consumer?: KafkaConsumerOptions;
}

const COMPRESSION: Record<Compression, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** The kafkajs client options for a {@link KafkaConfig}; the password is revealed only here, into kafkajs. */
export function toKafkaJsConfig(config: KafkaConfig, logger: Logger = silentLogger): KafkaJsConfig {
  const options: KafkaJsConfig = {
    clientId: config.clientId,
    brokers: [...config.brokers],
    connectionTimeout: config.connectionTimeoutMs ?? 3_000,
    requestTimeout: config.requestTimeoutMs ?? 30_000,
    logLevel: KafkaLogLevel.INFO,
    logCreator: () => (entry: LogEntry) => logKafkaJs(logger, entry),
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

// kafkajs' INFO is chatty (every join, every connection): keep it at debug; its warnings and errors stay.
function logKafkaJs(logger: Logger, entry: LogEntry): void {
  const { message, timestamp: _timestamp, ...fields } = entry.log;
  const extra: Record<string, unknown> = { ...fields, kafkajs: entry.namespace };
  const text = typeof message === 'string' ? message : String(message);
  if (entry.level === KafkaLogLevel.ERROR) logger.error(text, extra);
  else if (entry.level === KafkaLogLevel.WARN) logger.warn(text, extra);
  else logger.debug(text, extra);
}

/**
 * The runtime's {@link Transport} on kafkajs 2: an idempotent producer with acks=all and batch sends, and group
 * consumers that commit each record's offset explicitly (`autoCommit` off) only after `eachMessage` resolved,
 * i.e. after the handler succeeded or the dead-letter write was acknowledged.
 */
export class KafkaTransport implements Transport {
  /** The kafkajs client (for admin operations). */
  readonly kafka: Kafka;
  private readonly logger: Logger;

  /** @param options connection settings, logger, producer and consumer settings. */
  constructor(private readonly options: KafkaTransportOptions) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'kafka' });
    this.kafka = new Kafka(toKafkaJsConfig(options.config, this.logger));
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
}

/** A {@link KafkaTransport} configured from the environment (`kafkaConfigFromEnv`), with optional overrides. */
export function createKafkaTransport(options: Partial<KafkaTransportOptions> = {}): KafkaTransport {
  return new KafkaTransport({ ...options, config: options.config ?? kafkaConfigFromEnv() });
}

interface QueuedSend {
  batch: readonly TopicMessages[];
  count: number;
  resolve: (metadata: RecordMetadata[]) => void;
  reject: (error: unknown) => void;
}

/** Most records merged into one request from concurrent `send` calls. */
const MAX_MERGED_RECORDS = 500;

/**
 * Producing side on kafkajs. Sends go through one queue: concurrent `send` calls are merged into one `sendBatch`
 * while the previous one is in flight (per-partition order kept), so requests never overlap. After a send fails,
 * the kafkajs producer is replaced (a new producer id) before the next send: kafkajs gives the failed request's
 * sequence numbers back, and if the broker had in fact written that request before failing (e.g. it crashed
 * before answering), the next record reusing those numbers would be acknowledged as a duplicate and silently
 * dropped. A new producer id makes that impossible.
 */
export class KafkaTransportProducer implements TransportProducer {
  private current: Producer;
  private connected: Promise<void> | undefined;
  // Where each message went: answers are per partition, so offsets per message are base offset + position.
  private readonly assigned = new WeakMap<Message, number>();
  private roundRobin = 0;
  private readonly queue: QueuedSend[] = [];
  private pumping: Promise<void> | undefined;
  private replaceBeforeNextSend = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: KafkaProducerOptions,
    private readonly logger: Logger,
  ) {
    this.current = this.createClient();
  }

  /** The kafkajs producer in use (replaced after a failed send). */
  get client(): Producer {
    return this.current;
  }

  private createClient(): Producer {
    return this.kafka.producer({
      idempotent: this.options.idempotent ?? true,
      maxInFlightRequests: this.options.maxInFlightRequests ?? 1,
      allowAutoTopicCreation: true,
      retry: { retries: this.options.retries ?? 10, maxRetryTime: this.options.maxRetryTimeMs ?? 5_000 },
      createPartitioner: () => (args: PartitionerArgs) => this.partition(args),
    });
  }

  /** Connects (idempotent). */
  async connect(): Promise<void> {
    this.connected ??= this.current.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    await this.connected;
  }

  /** Waits for queued sends, then disconnects (idempotent). */
  async disconnect(): Promise<void> {
    await this.pumping;
    if (this.connected === undefined) return;
    this.connected = undefined;
    await this.current.disconnect();
  }

  /** Sends the messages (acks=all) and returns one metadata per message, in input order. */
  send(batch: readonly TopicMessages[]): Promise<RecordMetadata[]> {
    const count = batch.reduce((n, t) => n + t.messages.length, 0);
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      this.queue.push({ batch, count, resolve, reject });
      this.pumping ??= this.pump().finally(() => {
        this.pumping = undefined;
      });
    });
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0) {
      const items: QueuedSend[] = [this.queue.shift() as QueuedSend];
      let records = items[0]?.count ?? 0;
      while (this.queue.length > 0 && records + (this.queue[0]?.count ?? 0) <= MAX_MERGED_RECORDS) {
        const next = this.queue.shift() as QueuedSend;
        records += next.count;
        items.push(next);
      }
      try {
        if (this.replaceBeforeNextSend) await this.replaceClient();
        const metadata = await this.sendNow(items.flatMap((i) => i.batch));
        let at = 0;
        for (const item of items) {
          item.resolve(metadata.slice(at, at + item.count));
          at += item.count;
        }
      } catch (error) {
        this.replaceBeforeNextSend = true;
        for (const item of items) item.reject(error);
      }
    }
  }

  /** A new kafkajs producer (new producer id, sequences from 0); the old one is disconnected best-effort. */
  private async replaceClient(): Promise<void> {
    const old = this.current;
    const wasConnected = this.connected !== undefined;
    this.current = this.createClient();
    this.connected = undefined;
    this.replaceBeforeNextSend = false;
    this.logger.warn('Send failed; replacing the Kafka producer (new producer id) before the next send');
    await old.disconnect().catch(() => undefined);
    if (wasConnected) await this.connect();
  }

  private async sendNow(batch: readonly TopicMessages[]): Promise<RecordMetadata[]> {
    // One entry per topic (merged sends), messages in call order: per-partition order is call order.
    const byTopic = new Map<string, Message[]>();
    const order: Array<{ topic: string; message: Message }> = [];
    for (const { topic, messages } of batch) {
      let list = byTopic.get(topic);
      if (list === undefined) byTopic.set(topic, (list = []));
      for (const m of messages) {
        const message = toKafkaMessage(m);
        list.push(message);
        order.push({ topic, message });
      }
    }
    const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    const compression = COMPRESSION[this.options.compression ?? 'none'];
    const results = await this.current.sendBatch({ topicMessages, acks: -1, compression, timeout: this.options.ackTimeoutMs ?? 30_000 });
    const base = new Map<string, bigint>();
    for (const r of results) {
      const offset = r.baseOffset ?? r.offset;
      if (offset !== undefined) base.set(`${r.topicName}\u0000${r.partition}`, BigInt(offset));
    }
    // kafkajs groups each topic's messages by partition in array order: offsets follow the same order.
    const position = new Map<string, bigint>();
    const byMessage = new Map<Message, RecordMetadata>();
    for (const [topic, messages] of byTopic) {
      for (const message of messages) {
        const partition = this.assigned.get(message);
        const key = `${topic}\u0000${partition ?? -1}`;
        const first = base.get(key);
        if (partition === undefined || first === undefined) throw new Error(`Kafka returned no offset for a record sent to '${topic}'`);
        const index = position.get(key) ?? 0n;
        position.set(key, index + 1n);
        byMessage.set(message, { topic, partition, offset: (first + index).toString() });
      }
    }
    this.logger.debug('Batch sent', { records: order.length });
    return order.map(({ message }) => byMessage.get(message) as RecordMetadata);
  }

  // kafkajs' default partitioning (murmur2 of the key; the explicit partition wins; round-robin without key), made
  // sticky per message so a retried request never moves a keyless record to another partition.
  private partition({ partitionMetadata, message }: PartitionerArgs): number {
    const count = partitionMetadata.length;
    const previous = this.assigned.get(message);
    let partition: number;
    if (typeof message.partition === 'number') partition = message.partition;
    else if (previous !== undefined && previous < count) partition = previous;
    else if (message.key !== null && message.key !== undefined) partition = partitionForKey(message.key, count);
    else {
      const available = partitionMetadata.filter((p) => p.leader >= 0);
      const pool = available.length > 0 ? available : partitionMetadata;
      partition = pool[this.roundRobin++ % pool.length]?.partitionId ?? 0;
    }
    this.assigned.set(message, partition);
    return partition;
  }
}

function toKafkaMessage(message: OutgoingMessage): Message {
  const out: Message = { key: message.key, value: message.value };
  if (message.headers !== undefined) out.headers = { ...message.headers };
  if (message.partition !== undefined) out.partition = message.partition;
  return out;
}

function toRecordHeaders(headers: IHeaders | undefined): RecordHeaders {
  const out: RecordHeaders = {};
  if (headers === undefined) return out;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    // Repeated headers: the last one wins, as in most Kafka clients' lastHeader().
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) out[name] = last;
  }
  return out;
}

// kafkajs raises its own errors for rebalances, lost membership and broker trouble; it must see them to rejoin.
function isKafkaJsError(error: unknown): boolean {
  return error instanceof Error && error.name.startsWith('KafkaJS');
}

type EachMessage = (payload: EachMessagePayload) => Promise<void>;

/**
 * One consumer group member on kafkajs. `autoCommit` is off: after `eachMessage` resolves the record's offset is
 * marked complete and committed with `commitOffsets` in batches (see `commitBatchSize`), never before. When `eachMessage`
 * rejects nothing is committed; the consumer seeks back to the record and pauses the partition for a back-off
 * (500 ms doubling up to 30 s), so the same record is delivered again and later records wait behind it. A
 * partition paused by the handler (a halted partition) stays paused until resumed, then resumes at that record.
 */
export class KafkaTransportConsumer implements TransportConsumer {
  /** The kafkajs consumer (for instrumentation events such as `GROUP_JOIN`). */
  readonly client: Consumer;
  private topics: string[] = [];
  private running = false;
  private stopping = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly crashListeners: Array<(error: unknown) => void> = [];
  /** Next offset to commit per topic-partition: records up to it have completed. */
  private readonly pending = new Map<string, { topic: string; partition: number; offset: string }>();
  private pendingRecords = 0;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private flushQueue: Promise<void> = Promise.resolve();

  constructor(
    kafka: Kafka,
    readonly groupId: string,
    private readonly options: KafkaConsumerOptions,
    private readonly logger: Logger,
  ) {
    this.client = kafka.consumer({
      groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 3_000,
      rebalanceTimeout: options.rebalanceTimeoutMs ?? 60_000,
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 500,
      allowAutoTopicCreation: false,
    });
    // Partitions can move on a rebalance: commit what completed first, and forget offsets of partitions this
    // member no longer owns (committing them late could move the new owner's offset backwards).
    this.client.on(this.client.events.REBALANCING, () => {
      void this.flush().catch((error: unknown) => this.logger.warn('Commit before rebalance failed; records may be delivered again', { error: toError(error) }));
    });
    this.client.on(this.client.events.GROUP_JOIN, (event) => {
      const owned = event.payload.memberAssignment;
      for (const [key, o] of this.pending) if (!(owned[o.topic] ?? []).includes(o.partition)) this.pending.delete(key);
    });
    this.client.on(this.client.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      if (restart) {
        this.logger.warn('Kafka consumer failed; kafkajs restarts it', { error });
        return;
      }
      this.running = false;
      for (const listener of this.crashListeners) listener(error);
    });
  }

  /** Connects. */
  async connect(): Promise<void> {
    await this.client.connect();
  }

  /** Subscribes to topics. */
  async subscribe(options: { topics: readonly string[]; fromBeginning?: boolean }): Promise<void> {
    this.topics = [...new Set([...this.topics, ...options.topics])];
    await this.client.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? false });
  }

  /** Joins the group and starts delivery (autoCommit off); resolves once the member has joined. */
  async run(options: { eachMessage: EachMessage }): Promise<void> {
    this.stopping = false;
    await this.client.run({
      autoCommit: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachMessage: (payload) => this.deliver(payload, options.eachMessage),
    });
    this.running = true;
  }

  /**
   * Stops taking records, lets in-flight `eachMessage` calls finish and commits them (while still a member, so the
   * commits count), then leaves the group.
   */
  async stop(): Promise<void> {
    if (!this.running && !this.stopping) return;
    this.stopping = true;
    if (this.running && this.topics.length > 0) this.client.pause(this.topics.map((topic) => ({ topic })));
    await Promise.allSettled([...this.inFlight]);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    try {
      await this.flush();
    } catch (error) {
      this.logger.warn('Final commit failed; the next owner delivers those records again', { error: toError(error) });
    }
    await this.client.stop();
    this.running = false;
  }

  /** Leaves the group (stopping first) and disconnects. */
  async disconnect(): Promise<void> {
    await this.stop();
    await this.client.disconnect();
    this.stopping = false;
  }

  /** Pauses topic-partitions. */
  pause(topics: readonly TopicPartitions[]): void {
    this.client.pause(topics.map((t) => (t.partitions === undefined ? { topic: t.topic } : { topic: t.topic, partitions: [...t.partitions] })));
  }

  /** Resumes topic-partitions. */
  resume(topics: readonly TopicPartitions[]): void {
    this.client.resume(topics.map((t) => (t.partitions === undefined ? { topic: t.topic } : { topic: t.topic, partitions: [...t.partitions] })));
  }

  /** Registers a listener for a crash kafkajs does not recover from by itself. */
  onCrash(listener: (error: unknown) => void): void {
    this.crashListeners.push(listener);
  }

  private async deliver(payload: KafkaEachMessagePayload, eachMessage: EachMessage): Promise<void> {
    // Stopping: neither handled nor committed; the next owner of the partition starts at the committed offset.
    if (this.stopping) return;
    const { topic, partition, message } = payload;
    const record: ConsumedRecord = {
      topic,
      partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
      headers: toRecordHeaders(message.headers),
      timestamp: message.timestamp,
    };
    const work = this.handle(record, payload, eachMessage);
    this.inFlight.add(work);
    try {
      await work;
    } finally {
      this.inFlight.delete(work);
    }
  }

  private async handle(record: ConsumedRecord, payload: KafkaEachMessagePayload, eachMessage: EachMessage): Promise<void> {
    const { topic, partition, offset } = record;
    const tp = `${topic}[${partition}]`;
    try {
      await eachMessage({ record, heartbeat: () => payload.heartbeat(), pause: () => payload.pause() });
    } catch (error) {
      if (isKafkaJsError(error)) throw error;
      if (error instanceof ConsumerStoppingError || this.stopping) return;
      this.redeliverLater(topic, partition, offset, error);
      return;
    }
    this.failures.delete(tp);
    this.pending.set(tp, { topic, partition, offset: (BigInt(offset) + 1n).toString() });
    this.pendingRecords += 1;
    if (this.pendingRecords >= (this.options.commitBatchSize ?? 500)) await this.flush();
    else this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush().catch((error: unknown) => this.logger.warn('Offset commit failed; retrying with the next commit', { error: toError(error) }));
    }, this.options.commitIntervalMs ?? 200);
  }

  /** Commits every completed offset now (serialised: commits never overtake each other). */
  flush(): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.flushTimer !== undefined) {
        clearTimeout(this.flushTimer);
        this.flushTimer = undefined;
      }
      if (this.pending.size === 0) return;
      const offsets = [...this.pending.entries()];
      this.pending.clear();
      this.pendingRecords = 0;
      try {
        await this.client.commitOffsets(offsets.map(([, o]) => o));
      } catch (error) {
        // Keep them for the next commit unless a newer offset of the same partition completed meanwhile.
        for (const [key, o] of offsets) if (!this.pending.has(key)) this.pending.set(key, o);
        throw error;
      }
    };
    const next = this.flushQueue.then(run, run);
    this.flushQueue = next.catch(() => undefined);
    return next;
  }

  // Not committed: seek back so this record comes again, and hold the partition for a growing back-off.
  private redeliverLater(topic: string, partition: number, offset: string, error: unknown): void {
    const tp = `${topic}[${partition}]`;
    const failures = (this.failures.get(tp) ?? 0) + 1;
    this.failures.set(tp, failures);
    this.client.seek({ topic, partition, offset });
    const pausedByHandler = this.client.paused().some((p) => p.topic === topic && p.partitions.includes(partition));
    if (pausedByHandler) {
      this.logger.warn('Record not acknowledged; partition stays paused until resumed', { topic, partition, offset, error: toError(error) });
      return;
    }
    const delayMs = Math.min(30_000, (this.options.redeliveryDelayMs ?? 500) * 2 ** Math.min(failures - 1, 16));
    this.logger.warn('Record not acknowledged; redelivering after a back-off', { topic, partition, offset, delayMs, error: toError(error) });
    this.client.pause([{ topic, partitions: [partition] }]);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopping) this.client.resume([{ topic, partitions: [partition] }]);
    }, delayMs);
    this.timers.add(timer);
  }
}
