import { CompressionTypes, type Admin, type Message, type Producer } from 'kafkajs';
import type { KafkaClient } from './kafka-consumer.js';
import type { Logger } from './logger.js';
import { partitionForKey } from './partitioner.js';
import { SendError, sendErrorCode, type OutgoingMessage, type RecordMetadata, type TopicMessages, type TransportProducer } from './transport.js';

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

/** Waits between re-reads of the metadata of a topic not known yet (ms). */
const UNKNOWN_TOPIC_RETRIES: readonly number[] = [100, 200, 400, 800];

/** Most records merged into one request from concurrent `send` calls. */
const MAX_MERGED_RECORDS = 500;

interface Placed {
  topic: string;
  partition: number;
  message: Message;
}

interface Request {
  placed: Placed[];
  partitions: Set<string>;
  resolve: (metadata: RecordMetadata[]) => void;
  reject: (error: unknown) => void;
}

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
export class KafkaTransportProducer implements TransportProducer {
  private current: Producer;
  private connecting: Promise<void> | undefined;
  private wanted = false;
  private replaceBeforeNextSend = false;
  private admin: Admin | undefined;
  private adminConnecting: Promise<Admin> | undefined;
  private readonly counts = new Map<string, { count: number; at: number }>();
  private readonly roundRobin = new Map<string, number>();
  private readonly queue: Request[] = [];
  private readonly busy = new Set<string>();
  private inFlight = 0;
  private idle: Array<() => void> = [];

  constructor(
    private readonly kafka: KafkaClient,
    private readonly options: KafkaProducerOptions,
    private readonly logger: Logger,
  ) {
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
    while (this.inFlight > 0 || this.queue.length > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    const wasConnecting = this.connecting;
    this.connecting = undefined;
    if (wasConnecting !== undefined) await this.current.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
    this.adminConnecting = undefined;
  }

  /** Sends the messages (acks=all) and returns one metadata per message, in input order. */
  async send(batch: readonly TopicMessages[]): Promise<RecordMetadata[]> {
    if (!this.wanted) throw new SendError('The producer is disconnected: call connect() first', 'OTHER');
    const placed: Placed[] = [];
    for (const { topic, messages } of batch) {
      const count = await this.partitionCount(topic);
      for (const m of messages) placed.push({ topic, partition: this.place(topic, m, count), message: toKafkaMessage(m) });
    }
    if (placed.length === 0) return [];
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      this.queue.push({ placed, partitions: new Set(placed.map((p) => `${p.topic}\u0000${p.partition}`)), resolve, reject });
      this.pump();
    });
  }

  private place(topic: string, message: OutgoingMessage, count: number): number {
    if (message.partition !== undefined) {
      if (!Number.isInteger(message.partition) || message.partition < 0 || message.partition >= count) {
        throw new SendError(`Topic '${topic}' has no partition ${message.partition} (it has ${count})`, 'UNKNOWN_TOPIC');
      }
      return message.partition;
    }
    if (message.key !== null) return partitionForKey(message.key, count);
    const next = this.roundRobin.get(topic) ?? 0;
    this.roundRobin.set(topic, next + 1);
    return next % count;
  }

  /** Starts every queued request whose partitions are free, merging them; per-partition order is queue order. */
  private pump(): void {
    if (this.replaceBeforeNextSend && this.inFlight > 0) return; // the replacement waits for the old client's sends
    // Partitions in flight, or of a request left in the queue: later requests of those partitions wait their turn.
    const blocked = new Set<string>(this.busy);
    const merged: Request[] = [];
    let records = 0;
    for (let i = 0; i < this.queue.length; ) {
      const request = this.queue[i] as Request;
      const free = [...request.partitions].every((p) => !blocked.has(p));
      if (!free || (merged.length > 0 && records + request.placed.length > MAX_MERGED_RECORDS)) {
        for (const p of request.partitions) blocked.add(p);
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      merged.push(request);
      records += request.placed.length;
    }
    if (merged.length === 0) return;
    for (const r of merged) for (const p of r.partitions) this.busy.add(p);
    this.inFlight += 1;
    void this.dispatch(merged).finally(() => {
      for (const r of merged) for (const p of r.partitions) this.busy.delete(p);
      this.inFlight -= 1;
      if (this.inFlight === 0 && this.queue.length === 0) for (const wake of this.idle.splice(0)) wake();
      this.pump();
    });
    if (this.queue.length > 0) this.pump();
  }

  private async dispatch(requests: Request[]): Promise<void> {
    try {
      const metadata = await this.sendNow(requests.flatMap((r) => r.placed));
      let at = 0;
      for (const r of requests) {
        r.resolve(metadata.slice(at, at + r.placed.length));
        at += r.placed.length;
      }
    } catch (error) {
      const failure = toSendError(error);
      if (failure.certain && requests.length > 1) {
        // Something about single records: try each send alone, so only the guilty one fails.
        for (const r of requests) {
          try {
            r.resolve(await this.sendNow(r.placed));
          } catch (alone) {
            r.reject(toSendError(alone));
          }
        }
        return;
      }
      for (const r of requests) r.reject(failure);
    }
  }

  private async sendNow(placed: Placed[]): Promise<RecordMetadata[]> {
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
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeoutMs = this.options.sendTimeoutMs ?? 30_000;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SendError(`Send did not settle within ${timeoutMs} ms (sendTimeoutMs); the records may or may not have been written`, 'UNCERTAIN')), timeoutMs);
    });
    let results: Awaited<typeof sending>;
    try {
      results = await Promise.race([sending, timeout]);
    } catch (error) {
      sending.catch(() => undefined);
      const failure = toSendError(error);
      if (!failure.certain) this.replaceBeforeNextSend = true;
      if (failure.code === 'UNKNOWN_TOPIC' || !failure.certain) for (const topic of byTopic.keys()) this.counts.delete(topic);
      throw failure;
    } finally {
      clearTimeout(timer);
    }
    const base = new Map<string, bigint>();
    for (const r of results) {
      const offset = r.baseOffset ?? r.offset;
      if (offset !== undefined) base.set(`${r.topicName}\u0000${r.partition}`, BigInt(offset));
    }
    // kafkajs groups each topic's messages by partition in array order: offsets follow that order.
    const position = new Map<string, bigint>();
    return placed.map(({ topic, partition }) => {
      const key = `${topic}\u0000${partition}`;
      const first = base.get(key);
      if (first === undefined) throw new SendError(`Kafka returned no offset for a record sent to '${topic}' partition ${partition}`, 'UNCERTAIN');
      const index = position.get(key) ?? 0n;
      position.set(key, index + 1n);
      return { topic, partition, offset: (first + index).toString() };
    });
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

  /**
   * The topic's partition count (cached). A topic the metadata does not know fails with `UNKNOWN_TOPIC` after a few
   * quick re-reads (about 1.5 s: a topic created a moment ago may not have reached every broker's metadata yet).
   */
  private async partitionCount(topic: string): Promise<number> {
    const cached = this.counts.get(topic);
    if (cached !== undefined && Date.now() - cached.at < (this.options.metadataMaxAgeMs ?? 300_000)) return cached.count;
    for (let attempt = 0; ; attempt++) {
      const count = await this.readPartitionCount(topic);
      if (count > 0) {
        this.counts.set(topic, { count, at: Date.now() });
        return count;
      }
      if (attempt >= UNKNOWN_TOPIC_RETRIES.length) throw new SendError(`Topic '${topic}' does not exist (producers never create topics: provision them with gen topics)`, 'UNKNOWN_TOPIC');
      await new Promise((resolve) => setTimeout(resolve, UNKNOWN_TOPIC_RETRIES[attempt]));
    }
  }

  /** Partitions of a topic per the cluster's metadata; 0 when the topic is unknown. */
  private async readPartitionCount(topic: string): Promise<number> {
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
