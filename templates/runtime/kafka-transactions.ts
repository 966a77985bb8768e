import { Partitioners, type Message, type Producer } from 'kafkajs';
import { ProducerFencedError, type TransactionInput, type TransactionalProducer } from './exactly-once.js';
import type { KafkaClient } from './kafka-consumer.js';
import type { Logger } from './logger.js';
import type { OutgoingMessage, TopicMessages, TopicPartition } from './transport.js';

/** kafkajs error types that mean a newer producer with the same transactional id exists. */
const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED']);

/** Whether a kafkajs error (or one it wraps) says the producer was fenced. */
export function isFencedError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 8; depth++) {
    if (e instanceof ProducerFencedError) return true;
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && FENCED.has(type)) return true;
    e = (e as { cause?: unknown; originalError?: unknown }).cause ?? (e as { originalError?: unknown }).originalError;
  }
  return false;
}

/**
 * A kafkajs transactional producer (`idempotent`, one request in flight, acks=all) for one transactional id. After a
 * failed transaction the kafkajs client is replaced: the next `init` registers the id again, which aborts whatever
 * the failed transaction left open. Messages are partitioned as the runtime's producer does (murmur2 of the key,
 * kafkajs' `DefaultPartitioner`; an explicit `partition` wins).
 */
export class KafkaTransactionalProducer implements TransactionalProducer {
  private client: Producer | undefined;
  private initialised: Promise<Producer> | undefined;

  constructor(
    private readonly kafka: KafkaClient,
    readonly transactionalId: string,
    private readonly logger: Logger,
    private readonly transactionTimeoutMs = 60_000,
  ) {}

  /** Registers the id again (a new kafkajs client and InitProducerId): fences every other producer with it. */
  async init(): Promise<void> {
    await this.reset();
    await this.ready();
  }

  async commitTransaction(input: TransactionInput): Promise<void> {
    const producer = await this.ready();
    let txn: Awaited<ReturnType<Producer['transaction']>> | undefined;
    try {
      txn = await producer.transaction();
      // In requests of at most ~512 KiB: one record batch per partition must stay under the broker's message size limit.
      for (const topicMessages of chunks(input.messages)) await txn.sendBatch({ topicMessages, acks: -1 });
      const byTopic = new Map<string, Array<{ partition: number; offset: string }>>();
      for (const o of input.offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partition: o.partition, offset: o.offset }]);
      await txn.sendOffsets({ consumerGroupId: input.groupId, topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
      await txn.commit();
    } catch (error) {
      const fenced = isFencedError(error);
      if (!fenced && txn?.isActive() === true) await txn.abort().catch((abortError: unknown) => this.logger.debug('Transaction abort failed; the next init aborts it', { transactionalId: this.transactionalId, error: abortError }));
      await this.reset();
      if (fenced) throw new ProducerFencedError(`Transactional id '${this.transactionalId}' was fenced by a newer producer`, { cause: error });
      throw error;
    }
  }

  async disconnect(): Promise<void> {
    await this.reset();
  }

  private ready(): Promise<Producer> {
    this.initialised ??= (async () => {
      const producer = this.kafka.producer({
        transactionalId: this.transactionalId,
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: this.transactionTimeoutMs,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      this.client = producer;
      await producer.connect();
      // kafkajs registers the id (InitProducerId: fences older producers, aborts their open transaction) with the
      // first transaction; an empty one ends locally.
      const txn = await producer.transaction();
      await txn.abort();
      return producer;
    })().catch(async (error: unknown) => {
      await this.reset();
      if (isFencedError(error)) throw new ProducerFencedError(`Transactional id '${this.transactionalId}' was fenced by a newer producer`, { cause: error });
      throw error;
    });
    return this.initialised;
  }

  private async reset(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.initialised = undefined;
    await client?.disconnect().catch(() => undefined);
  }
}

/** The group's committed offsets of the partitions (read with a short-lived admin client). */
export async function fetchCommittedOffsets(kafka: KafkaClient, groupId: string, partitions: readonly TopicPartition[]): Promise<Array<TopicPartition & { offset: string | undefined }>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = [...new Set(partitions.map((p) => p.topic))];
    const answer = await admin.fetchOffsets({ groupId, topics });
    const found = new Map<string, string>();
    for (const t of answer) for (const p of t.partitions) if (p.offset !== '-1' && p.offset !== '') found.set(`${t.topic}\u0000${p.partition}`, p.offset);
    return partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: found.get(`${p.topic}\u0000${p.partition}`) }));
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Bytes per `sendBatch` of a transaction (the broker's default `message.max.bytes` is 1 MiB). */
const CHUNK_BYTES = 512 * 1024;

/** The messages in consecutive chunks of about {@link CHUNK_BYTES}, order kept per topic. */
function chunks(batch: readonly TopicMessages[]): Array<Array<{ topic: string; messages: Message[] }>> {
  const out: Array<Array<{ topic: string; messages: Message[] }>> = [];
  let current: Array<{ topic: string; messages: Message[] }> = [];
  let bytes = 0;
  for (const { topic, messages } of batch) {
    let entry: { topic: string; messages: Message[] } | undefined;
    for (const m of messages) {
      const size = sizeOf(m);
      if (bytes > 0 && bytes + size > CHUNK_BYTES) {
        out.push(current);
        current = [];
        bytes = 0;
        entry = undefined;
      }
      if (entry === undefined) current.push((entry = { topic, messages: [] }));
      entry.messages.push(toKafkaMessage(m));
      bytes += size;
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}

function sizeOf(m: OutgoingMessage): number {
  let n = 70 + (m.key === null ? 0 : Buffer.byteLength(m.key)) + (m.value === null ? 0 : Buffer.byteLength(m.value));
  for (const [k, v] of Object.entries(m.headers ?? {})) for (const x of Array.isArray(v) ? v : [v]) n += k.length + 8 + (x === null ? 0 : Buffer.byteLength(x));
  return n;
}

function toKafkaMessage(message: OutgoingMessage): Message {
  const out: Message = { key: message.key, value: message.value };
  if (message.headers !== undefined) out.headers = message.headers as NonNullable<Message['headers']>;
  if (message.partition !== undefined) out.partition = message.partition;
  return out;
}
