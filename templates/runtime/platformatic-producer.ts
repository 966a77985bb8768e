import type { Logger } from './logger.js';
import { partitionForKey } from './partitioner.js';
import { protocolErrorId, type PlatformaticModule, type PltMessageToProduce, type PltProducer } from './platformatic-client.js';
import { SendError, type OutgoingMessage, type RecordHeaders, type RecordMetadata, type SendErrorCode, type TopicMessages, type TransportProducer } from './transport.js';

/** Record compression of the producer (all built into @platformatic/kafka; snappy/lz4/zstd via its bundled codecs). */
export type PlatformaticCompression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Producer settings of `PlatformaticTransport`. */
export interface PlatformaticProducerOptions {
  /** Compression of record batches (default `none`). */
  compression?: PlatformaticCompression;
  /** Idempotent producer (default true; acks=all is always used). */
  idempotent?: boolean;
  /**
   * Longest time a `send` takes to settle (default 30 000 ms): after it the send rejects with an `UNCERTAIN`
   * {@link SendError} (the records may or may not have been written; resend with the same event ids).
   */
  sendTimeoutMs?: number;
  /** How long partition counts are cached (default 300 000 ms); refreshed at once after a failed send. */
  metadataMaxAgeMs?: number;
}

/** Waits between re-reads of the metadata of a topic not known yet (ms). */
const UNKNOWN_TOPIC_RETRIES: readonly number[] = [100, 200, 400, 800];
/** Most records merged into one request from concurrent `send` calls. */
const MAX_MERGED_RECORDS = 500;

interface Placed {
  topic: string;
  partition: number;
  message: PltMessageToProduce;
}

interface Request {
  placed: Placed[];
  partitions: Set<string>;
  resolve: (metadata: RecordMetadata[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Producing side on @platformatic/kafka. Same contract as the kafkajs producer: the partition of every record is
 * decided here (explicit, murmur2 of the key, round-robin), concurrent sends to different partitions go out in
 * parallel and are merged, sends to one partition go out one request at a time in call order. The latter also
 * matters for idempotence: the client numbers a partition's records from a sequence it advances only when a request
 * was acknowledged, so two requests in flight for one partition would carry the same sequence numbers.
 *
 * After a send whose outcome is uncertain (timeout, broken connection) the client is replaced (a new producer id)
 * before the next send, for the same reason as with kafkajs: the old sequence numbers would be reused and, if the
 * broker had in fact written the records, the next ones acknowledged as duplicates and dropped.
 */
export class PlatformaticTransportProducer implements TransportProducer {
  private current: PltProducer | undefined;
  private wanted = false;
  private replaceBeforeNextSend = false;
  private readonly counts = new Map<string, { count: number; at: number }>();
  private readonly roundRobin = new Map<string, number>();
  private readonly queue: Request[] = [];
  private readonly busy = new Set<string>();
  private inFlight = 0;
  private idle: Array<() => void> = [];

  constructor(
    private readonly module: () => Promise<PlatformaticModule>,
    private readonly clientOptions: Record<string, unknown>,
    private readonly options: PlatformaticProducerOptions,
    private readonly logger: Logger,
  ) {}

  /** The client in use (replaced after an uncertain send); undefined before `connect()`. */
  get client(): PltProducer | undefined {
    return this.current;
  }

  /** Loads the client and creates the producer; connections are opened by the first request. */
  async connect(): Promise<void> {
    this.wanted = true;
    await this.producer();
  }

  /** Waits for sends in flight, then closes the client (idempotent). */
  async disconnect(): Promise<void> {
    this.wanted = false;
    while (this.inFlight > 0 || this.queue.length > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    const client = this.current;
    this.current = undefined;
    await client?.close().catch(() => undefined);
  }

  /** Sends the messages (acks=all) and returns one metadata per message, in input order. */
  async send(batch: readonly TopicMessages[]): Promise<RecordMetadata[]> {
    if (!this.wanted) throw new SendError('The producer is disconnected: call connect() first', 'OTHER');
    const placed: Placed[] = [];
    for (const { topic, messages } of batch) {
      const count = await this.partitionCount(topic);
      for (const m of messages) {
        const partition = this.place(topic, m, count);
        placed.push({ topic, partition, message: toMessage(topic, partition, m) });
      }
    }
    if (placed.length === 0) return [];
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      this.queue.push({ placed, partitions: new Set(placed.map((p) => `${p.topic}\u0000${p.partition}`)), resolve, reject });
      this.pump();
    });
  }

  private async producer(): Promise<PltProducer> {
    if (this.current !== undefined) return this.current;
    let module: PlatformaticModule;
    try {
      module = await this.module();
    } catch (error) {
      throw new SendError(error instanceof Error ? error.message : String(error), 'OTHER', { cause: error });
    }
    this.current ??= new module.Producer({
      ...this.clientOptions,
      idempotent: this.options.idempotent ?? true,
      acks: -1,
      compression: this.options.compression ?? 'none',
      autocreateTopics: false,
      // The transport waits for each request itself (sendTimeoutMs); the client's own retries stay short.
      retries: 3,
      retryDelay: 250,
    });
    return this.current;
  }

  private place(topic: string, message: OutgoingMessage, count: number): number {
    if (message.partition !== undefined) {
      // The client would silently take the partition modulo the count: refuse it here instead.
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
    if (this.replaceBeforeNextSend) this.replaceClient();
    const client = await this.producer();
    const sending = client.send({ messages: placed.map((p) => p.message), acks: -1, idempotent: this.options.idempotent ?? true, autocreateTopics: false });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeoutMs = this.options.sendTimeoutMs ?? 30_000;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SendError(`Send did not settle within ${timeoutMs} ms (sendTimeoutMs); the records may or may not have been written`, 'UNCERTAIN')), timeoutMs);
    });
    let result: Awaited<typeof sending>;
    try {
      result = await Promise.race([sending, timeout]);
    } catch (error) {
      sending.catch(() => undefined);
      const failure = toSendError(error);
      if (!failure.certain) this.replaceBeforeNextSend = true;
      if (failure.code === 'UNKNOWN_TOPIC' || !failure.certain) {
        for (const { topic } of placed) this.counts.delete(topic);
        client.clearMetadata();
      }
      throw failure;
    } finally {
      clearTimeout(timer);
    }
    const base = new Map<string, bigint>();
    for (const r of result.offsets ?? []) base.set(`${r.topic}\u0000${r.partition}`, BigInt(r.offset));
    // The client keeps each partition's messages in input order within one request: offsets follow that order.
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

  /** A new client (new producer id, sequences from 0); the old one is closed best-effort. */
  private replaceClient(): void {
    const old = this.current;
    this.current = undefined;
    this.replaceBeforeNextSend = false;
    this.logger.warn('A send ended without a certain outcome; using a new Kafka producer (new producer id) from now on');
    void old?.close(true).catch(() => undefined);
  }

  /** The topic's partition count (cached); an unknown topic fails with `UNKNOWN_TOPIC` after a few quick re-reads. */
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

  private async readPartitionCount(topic: string): Promise<number> {
    const client = await this.producer();
    try {
      const metadata = await client.metadata({ topics: [topic], forceUpdate: true, autocreateTopics: false });
      return metadata.topics.get(topic)?.partitionsCount ?? 0;
    } catch (error) {
      if (protocolErrorId(error, ['UNKNOWN_TOPIC_OR_PARTITION']) !== undefined) return 0;
      throw new SendError(`Could not read metadata of topic '${topic}': ${error instanceof Error ? error.message : String(error)}`, 'OTHER', { cause: error });
    }
  }
}

function toBuffer(value: string | Buffer): Buffer {
  return typeof value === 'string' ? Buffer.from(value) : value;
}

/** Headers as the client writes them: Buffer names (so a repeated header stays several entries), Buffer values. */
function toHeaders(headers: RecordHeaders): Map<Buffer, Buffer> {
  const out = new Map<Buffer, Buffer>();
  for (const [name, value] of Object.entries(headers)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      // A header without value travels as a null value (the client writes an undefined value as null).
      out.set(Buffer.from(name), (v === null ? undefined : toBuffer(v)) as Buffer);
    }
  }
  return out;
}

function toMessage(topic: string, partition: number, message: OutgoingMessage): PltMessageToProduce {
  const out: PltMessageToProduce = { topic, partition };
  if (message.key !== null) out.key = toBuffer(message.key);
  if (message.value !== null) out.value = toBuffer(message.value);
  if (message.headers !== undefined) out.headers = toHeaders(message.headers);
  return out;
}

const CERTAIN: ReadonlyArray<[string, SendErrorCode]> = [
  ['MESSAGE_TOO_LARGE', 'MESSAGE_TOO_LARGE'],
  ['RECORD_LIST_TOO_LARGE', 'MESSAGE_TOO_LARGE'],
  ['UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC'],
  ['TOPIC_AUTHORIZATION_FAILED', 'NOT_AUTHORIZED'],
  ['CLUSTER_AUTHORIZATION_FAILED', 'NOT_AUTHORIZED'],
  ['INVALID_RECORD', 'INVALID_RECORD'],
  ['CORRUPT_MESSAGE', 'INVALID_RECORD'],
  ['INVALID_TOPIC_EXCEPTION', 'INVALID_RECORD'],
];

/** A {@link SendError} for anything the client threw: certain codes for record-level refusals, uncertain otherwise. */
export function toSendError(error: unknown): SendError {
  if (error instanceof SendError) return error;
  const id = protocolErrorId(
    error,
    CERTAIN.map(([apiId]) => apiId),
  );
  const code = CERTAIN.find(([apiId]) => apiId === id)?.[1] ?? 'UNCERTAIN';
  const message = error instanceof Error ? error.message : String(error);
  return new SendError(id === undefined ? message : `${message} (${id})`, code, { cause: error });
}
