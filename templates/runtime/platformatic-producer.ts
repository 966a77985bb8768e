import type { Logger } from './logger.js';
import { PartitionOrderedSender, type Placed } from './send-queue.js';
import { protocolErrorId, type PlatformaticModule, type PltMessageToProduce, type PltProducer } from './platformatic-client.js';
import { SendError, type OutgoingMessage, type RecordHeaders, type RecordMetadata, type SendErrorCode, type TransportProducer } from './transport.js';

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
export class PlatformaticTransportProducer extends PartitionOrderedSender<PltMessageToProduce> implements TransportProducer {
  private current: PltProducer | undefined;

  constructor(
    private readonly module: () => Promise<PlatformaticModule>,
    private readonly clientOptions: Record<string, unknown>,
    private readonly options: PlatformaticProducerOptions,
    private readonly logger: Logger,
  ) {
    super(options.metadataMaxAgeMs);
  }

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
    await this.drained();
    const client = this.current;
    this.current = undefined;
    await client?.close().catch(() => undefined);
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

  protected encode(topic: string, partition: number, message: OutgoingMessage): PltMessageToProduce {
    return toMessage(topic, partition, message);
  }

  protected toSendError(error: unknown): SendError {
    return toSendError(error);
  }

  protected async sendNow(placed: Placed<PltMessageToProduce>[]): Promise<RecordMetadata[]> {
    if (this.replaceBeforeNextSend) this.replaceClient();
    const client = await this.producer();
    const sending = client.send({ messages: placed.map((p) => p.message), acks: -1, idempotent: this.options.idempotent ?? true, autocreateTopics: false });
    const result = await this.settle(sending, this.options.sendTimeoutMs ?? 30_000, new Set(placed.map((p) => p.topic)), () => client.clearMetadata());
    const base = new Map<string, bigint>();
    for (const r of result.offsets ?? []) base.set(`${r.topic}\u0000${r.partition}`, BigInt(r.offset));
    // The client keeps each partition's messages in input order within one request: offsets follow that order.
    return PartitionOrderedSender.offsets(placed, base);
  }

  /** A new client (new producer id, sequences from 0); the old one is closed best-effort. */
  private replaceClient(): void {
    const old = this.current;
    this.current = undefined;
    this.replaceBeforeNextSend = false;
    this.logger.warn('A send ended without a certain outcome; using a new Kafka producer (new producer id) from now on');
    void old?.close(true).catch(() => undefined);
  }

  protected async readPartitionCount(topic: string): Promise<number> {
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

/** A message as the client takes it (Buffers; the partition already chosen). */
export function toMessage(topic: string, partition: number, message: OutgoingMessage): PltMessageToProduce {
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
