import { CompressionTypes, type Admin, type Message, type Producer } from 'kafkajs';
import type { KafkaClient } from './kafka-consumer.js';
import type { Logger } from './logger.js';
import { PartitionOrderedSender, type Placed } from './send-queue.js';
import { SendError, sendErrorCode, type OutgoingMessage, type RecordMetadata, type TransportProducer } from './transport.js';

/** Record compression of the producer. `gzip` is built into kafkajs; the others need a codec registered in kafkajs' `CompressionCodecs`. */
export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Producer settings of `KafkaTransport`. */
export interface KafkaProducerOptions {
  /** Compression of record batches (default `none`). */
  compression?: Compression;
  /** Idempotent producer: no duplicates or reordering from retries (default true; acks=all is always used). */
  idempotent?: boolean;
  /** Requests in flight per broker connection (default 1: with retries, keeps per-partition order strict). */
  maxInFlightRequests?: number;
  /** kafkajs' retries of a failed request before the send rejects (default 10, backing off up to `maxRetryTimeMs`). */
  retries?: number;
  /** Longest backoff between those retries (default 5000 ms). */
  maxRetryTimeMs?: number;
  /** Time the broker has to replicate and acknowledge (default 30 000 ms). */
  ackTimeoutMs?: number;
  /**
   * Longest time a `send` takes to settle (default 30 000 ms): after it the send rejects with an `UNCERTAIN`
   * {@link SendError} (the records may or may not have been written; resend with the same event ids).
   */
  sendTimeoutMs?: number;
  /** How long partition counts are cached (default 300 000 ms); refreshed at once after a failed send. */
  metadataMaxAgeMs?: number;
}

const COMPRESSION: Record<Compression, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/**
 * Producing side on kafkajs. Every record's partition is decided here (explicit partition, murmur2 of the key as
 * kafkajs and Java do, round-robin without key) from cached partition counts, so sends are ordered **per partition
 * only**: concurrent sends to different partitions go out in parallel (an unreachable leader delays only its own
 * partitions), sends to one partition go out in call order. Concurrent sends whose partitions are free are merged
 * into one request; if it fails for a reason that concerns single records (too large, unknown topic, invalid,
 * not authorized), each send is tried alone so only the guilty one fails. Topics are never auto-created.
 *
 * After a send whose outcome is uncertain (timeout, broken connection) the kafkajs producer is replaced (a new
 * producer id) before the next send: kafkajs hands a failed request's sequence numbers back, and if the broker had
 * in fact written it, the next record reusing those numbers would be acknowledged as a duplicate and dropped. The
 * replacement, and every later send, reconnects on its own: a broker outage of any length ends in working sends
 * without a restart.
 */
export class KafkaTransportProducer extends PartitionOrderedSender<Message> implements TransportProducer {
  private current: Producer;
  private connecting: Promise<void> | undefined;
  private admin: Admin | undefined;
  private adminConnecting: Promise<Admin> | undefined;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly options: KafkaProducerOptions,
    private readonly logger: Logger,
  ) {
    super(options.metadataMaxAgeMs);
    this.current = this.createClient();
  }

  /** The kafkajs producer in use (replaced after an uncertain send). */
  get client(): Producer {
    return this.current;
  }

  private createClient(): Producer {
    return this.kafka.producer({
      idempotent: this.options.idempotent ?? true,
      maxInFlightRequests: this.options.maxInFlightRequests ?? 1,
      allowAutoTopicCreation: false,
      retry: { retries: this.options.retries ?? 10, maxRetryTime: this.options.maxRetryTimeMs ?? 5_000 },
      // Every message carries the partition this transport chose.
      createPartitioner: () => ({ message }) => message.partition ?? 0,
    });
  }

  /** Connects (idempotent); a failed connect is tried again by the next call or send. */
  async connect(): Promise<void> {
    this.wanted = true;
    await this.ensureConnected();
  }

  /** Waits for sends in flight, then disconnects (idempotent). */
  async disconnect(): Promise<void> {
    this.wanted = false;
    await this.drained();
    const wasConnecting = this.connecting;
    this.connecting = undefined;
    if (wasConnecting !== undefined) await this.current.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
    this.adminConnecting = undefined;
  }

  protected encode(_topic: string, _partition: number, message: OutgoingMessage): Message {
    return toKafkaMessage(message);
  }

  protected toSendError(error: unknown): SendError {
    return toSendError(error);
  }

  protected async sendNow(placed: Placed<Message>[]): Promise<RecordMetadata[]> {
    if (this.replaceBeforeNextSend) await this.replaceClient();
    await this.ensureConnected();
    const byTopic = new Map<string, Message[]>();
    for (const { topic, partition, message } of placed) {
      let list = byTopic.get(topic);
      if (list === undefined) byTopic.set(topic, (list = []));
      list.push({ ...message, partition });
    }
    const sending = this.current.sendBatch({
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      acks: -1,
      compression: COMPRESSION[this.options.compression ?? 'none'],
      timeout: this.options.ackTimeoutMs ?? 30_000,
    });
    const results = await this.settle(sending, this.options.sendTimeoutMs ?? 30_000, byTopic.keys());
    const base = new Map<string, bigint>();
    for (const r of results) {
      const offset = r.baseOffset ?? r.offset;
      if (offset !== undefined) base.set(`${r.topicName}\u0000${r.partition}`, BigInt(offset));
    }
    // kafkajs groups each topic's messages by partition in array order: offsets follow that order.
    return PartitionOrderedSender.offsets(placed, base);
  }

  private ensureConnected(): Promise<void> {
    this.connecting ??= this.current.connect().catch((error: unknown) => {
      this.connecting = undefined;
      throw new SendError(`Could not connect to Kafka: ${error instanceof Error ? error.message : String(error)}`, 'OTHER', { cause: error });
    });
    return this.connecting;
  }

  /** A new kafkajs producer (new producer id, sequences from 0); the old one is disconnected best-effort. */
  private async replaceClient(): Promise<void> {
    const old = this.current;
    this.current = this.createClient();
    this.connecting = undefined;
    this.replaceBeforeNextSend = false;
    this.logger.warn('A send ended without a certain outcome; using a new Kafka producer (new producer id) from now on');
    void old.disconnect().catch(() => undefined);
  }

  /** Partitions of a topic per the cluster's metadata; 0 when the topic is unknown. */
  protected async readPartitionCount(topic: string): Promise<number> {
    let admin: Admin;
    try {
      admin = await this.connectAdmin();
    } catch (error) {
      throw new SendError(`Could not read metadata of topic '${topic}': ${error instanceof Error ? error.message : String(error)}`, 'OTHER', { cause: error });
    }
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      return topics.find((t) => t.name === topic)?.partitions.length ?? 0;
    } catch (error) {
      if (sendErrorCode(error) === 'UNKNOWN_TOPIC') return 0;
      // The admin connection may be stale after an outage: start over next time.
      const stale = this.admin;
      this.admin = undefined;
      this.adminConnecting = undefined;
      void stale?.disconnect().catch(() => undefined);
      throw new SendError(`Could not read metadata of topic '${topic}': ${error instanceof Error ? error.message : String(error)}`, 'OTHER', { cause: error });
    }
  }

  private connectAdmin(): Promise<Admin> {
    if (this.admin !== undefined) return Promise.resolve(this.admin);
    this.adminConnecting ??= (async () => {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
      } catch (error) {
        this.adminConnecting = undefined;
        throw error;
      }
      this.admin = admin;
      return admin;
    })();
    return this.adminConnecting;
  }
}

function toKafkaMessage(message: OutgoingMessage): Message {
  const out: Message = { key: message.key, value: message.value };
  if (message.headers !== undefined) out.headers = message.headers as NonNullable<Message['headers']>;
  return out;
}

/** A {@link SendError} for anything kafkajs threw: certain codes for record-level refusals, uncertain otherwise. */
function toSendError(error: unknown): SendError {
  if (error instanceof SendError) return error;
  const code = sendErrorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return new SendError(message, code === 'OTHER' ? 'UNCERTAIN' : code, { cause: error });
}
