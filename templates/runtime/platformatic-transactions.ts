import { ProducerFencedError, type TransactionInput, type TransactionalProducer } from './exactly-once.js';
import type { Logger } from './logger.js';
import { partitionForKey } from './partitioner.js';
import { protocolErrorId, type PlatformaticModule, type PltConsumerMetadata, type PltMessageToProduce, type PltProducer, type PltTransaction } from './platformatic-client.js';
import { toMessage } from './platformatic-producer.js';
import type { TopicPartition } from './transport.js';

/** Errors that mean a newer producer with the same transactional id exists (the broker aborted our transaction). */
const PRODUCER_FENCED = ['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'];
/** Errors of TxnOffsetCommit that mean the member's generation is over: its offsets belong to another member now. */
const GENERATION_ENDED = ['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID'];
/** FindCoordinator key type of a consumer group. */
const GROUP_KEY = 0;

/**
 * A transactional producer on @platformatic/kafka (`idempotent`, acks=all, one request in flight) for one
 * transactional id, behind the seam the kafkajs one implements (`exactly-once.ts`). One transaction: the messages
 * (`Transaction.send`; partitions chosen here as the runtime's producers do: explicit, murmur2 of the key,
 * round-robin), AddOffsetsToTxn for the group (`addConsumer`), TxnOffsetCommit of every offset with the member's
 * group metadata (`addOffset`: generation and member id of the epoch the records were completed in, so the broker
 * refuses them once the generation moved on; without a member, generation -1 as Kafka's
 * `sendOffsetsToTransaction(offsets, groupId)`), then EndTxn. On any failure the transaction is aborted (unless the
 * producer was fenced: the broker aborted it already) and the client replaced: the next `init` registers the id
 * again (InitProducerId), which also completes whatever the failed transaction left open.
 */
export class PlatformaticTransactionalProducer implements TransactionalProducer {
  private client: PltProducer | undefined;
  private initialised: Promise<PltProducer> | undefined;
  private readonly coordinators = new Map<string, number>();
  private readonly roundRobin = new Map<string, number>();

  constructor(
    private readonly module: () => Promise<PlatformaticModule>,
    private readonly clientOptions: Record<string, unknown>,
    readonly transactionalId: string,
    private readonly logger: Logger,
  ) {}

  /** Registers the id again (a new client, InitProducerId): fences every other producer with it. */
  async init(): Promise<void> {
    await this.reset();
    await this.ready();
  }

  async commitTransaction(input: TransactionInput): Promise<void> {
    const producer = await this.ready();
    let txn: PltTransaction | undefined;
    try {
      const consumer = await this.consumerMetadata(input);
      const messages = await this.place(producer, input);
      txn = await (producer.beginTransaction as () => Promise<PltTransaction>).call(producer);
      // In requests of at most ~512 KiB: one record batch per partition must stay under the broker's message size limit.
      for (const chunk of chunks(messages)) await txn.send({ messages: chunk, acks: -1, autocreateTopics: false });
      await txn.addConsumer({ groupId: input.groupId });
      // addOffset commits `offset + 1`: the message before the next offset to consume.
      for (const o of input.offsets) await txn.addOffset({ topic: o.topic, partition: o.partition, offset: BigInt(o.offset) - 1n, metadata: { consumer } });
      await txn.commit();
    } catch (error) {
      const fenced = protocolErrorId(error, PRODUCER_FENCED) !== undefined;
      const generationEnded = !fenced && protocolErrorId(error, GENERATION_ENDED) !== undefined;
      // Aborted now, so that read_committed consumers of the outputs are not held up until the transaction times out.
      if (!fenced && txn !== undefined && !txn.completed) await txn.abort().catch((abortError: unknown) => this.logger.debug('Transaction abort failed; the next init aborts it', { transactionalId: this.transactionalId, error: abortError }));
      await this.reset();
      if (fenced) throw new ProducerFencedError(`Transactional id '${this.transactionalId}' was fenced by a newer producer`, { cause: error });
      if (generationEnded) throw new ProducerFencedError(`The offsets' group generation ended (transactional id '${this.transactionalId}'): the partition belongs to another member now`, { cause: error });
      throw error;
    }
  }

  async disconnect(): Promise<void> {
    await this.reset();
  }

  /** The group metadata the offsets are committed with: the member's, or none (generation -1) with the coordinator looked up. */
  private async consumerMetadata(input: TransactionInput): Promise<PltConsumerMetadata> {
    const member = input.member;
    const generationId = member?.generationId ?? -1;
    const memberId = member?.memberId ?? '';
    const coordinatorId = member?.coordinatorId ?? (await this.coordinator(input.groupId));
    return { groupId: input.groupId, generationId, memberId, coordinatorId };
  }

  private async coordinator(groupId: string): Promise<number> {
    const known = this.coordinators.get(groupId);
    if (known !== undefined) return known;
    const module = await this.module();
    const admin = new module.Admin({ ...this.clientOptions });
    try {
      if (typeof admin.findCoordinator !== 'function') throw new Error('This @platformatic/kafka has no Admin.findCoordinator');
      const found = (await admin.findCoordinator({ keyType: GROUP_KEY, keys: [groupId] })).find((c) => c.key === groupId);
      if (found === undefined) throw new Error(`No coordinator found for group '${groupId}'`);
      this.coordinators.set(groupId, found.nodeId);
      return found.nodeId;
    } finally {
      await admin.close().catch(() => undefined);
    }
  }

  /** The messages with their partitions: explicit, murmur2 of the key (as Java and kafkajs), else round-robin. */
  private async place(producer: PltProducer, input: TransactionInput): Promise<PltMessageToProduce[]> {
    const topics = input.messages.filter((t) => t.messages.length > 0).map((t) => t.topic);
    if (topics.length === 0) return [];
    const metadata = await producer.metadata({ topics: [...new Set(topics)], autocreateTopics: false });
    const out: PltMessageToProduce[] = [];
    for (const { topic, messages } of input.messages) {
      const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
      if (count <= 0 && messages.length > 0) throw new Error(`Topic '${topic}' does not exist`);
      for (const m of messages) {
        let partition = m.partition;
        // The client would take a partition the topic does not have modulo the count: refused, as the producer does.
        if (partition !== undefined && (!Number.isInteger(partition) || partition < 0 || partition >= count)) throw new Error(`Topic '${topic}' has no partition ${partition} (${count} partitions)`);
        if (partition === undefined && m.key !== null) partition = partitionForKey(m.key, count);
        if (partition === undefined) {
          const next = this.roundRobin.get(topic) ?? 0;
          this.roundRobin.set(topic, next + 1);
          partition = next % count;
        }
        out.push(toMessage(topic, partition, m));
      }
    }
    return out;
  }

  private ready(): Promise<PltProducer> {
    this.initialised ??= (async () => {
      const module = await this.module();
      const producer = new module.Producer({
        ...this.clientOptions,
        transactionalId: this.transactionalId,
        idempotent: true,
        acks: -1,
        autocreateTopics: false,
        // InitProducerId with "no producer yet" (-1/-1; 1.35 sends 0/0 by default, which the broker answers with
        // INVALID_PRODUCER_EPOCH once the id has a producer: a second registration of the id would always fail).
        producerId: -1n,
        producerEpoch: -1,
        // InitProducerId answers CONCURRENT_TRANSACTIONS while the previous owner's transaction is being completed.
        retries: 10,
        retryDelay: 250,
      });
      this.client = producer;
      if (typeof producer.beginTransaction !== 'function') throw new Error('This @platformatic/kafka has no transactions (Producer.beginTransaction); exactly-once groups need 1.x with it');
      // The first transaction of the client registers the id (InitProducerId: fences older producers, completes their
      // open transaction); an empty one is dropped locally (an EndTxn without partitions is refused by the broker).
      const txn = await producer.beginTransaction();
      await txn.cancel();
      return producer;
    })().catch(async (error: unknown) => {
      await this.reset();
      if (protocolErrorId(error, PRODUCER_FENCED) !== undefined) throw new ProducerFencedError(`Transactional id '${this.transactionalId}' was fenced by a newer producer`, { cause: error });
      throw error;
    });
    return this.initialised;
  }

  private async reset(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.initialised = undefined;
    this.coordinators.clear();
    await client?.close(true).catch(() => undefined);
  }
}

/** The group's committed offsets of the partitions (stable ones: pending transactional commits are waited for). */
export async function fetchPlatformaticCommittedOffsets(
  module: PlatformaticModule,
  clientOptions: Record<string, unknown>,
  groupId: string,
  partitions: readonly TopicPartition[],
): Promise<Array<TopicPartition & { offset: string | undefined }>> {
  const admin = new module.Admin({ ...clientOptions });
  try {
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    // requireStable: while a transaction with offsets of the group is open, the broker answers UNSTABLE_OFFSET_COMMIT
    // (the client retries) instead of an offset that may be about to move.
    const [group] = await admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) }], requireStable: true });
    const found = new Map<string, string>();
    for (const t of group?.topics ?? []) for (const p of t.partitions) if (p.committedOffset >= 0n) found.set(`${t.name}\u0000${p.partitionIndex}`, p.committedOffset.toString());
    return partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: found.get(`${p.topic}\u0000${p.partition}`) }));
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** Bytes per `send` of a transaction (the broker's default `message.max.bytes` is 1 MiB). */
const CHUNK_BYTES = 512 * 1024;

/** The messages in consecutive chunks of about {@link CHUNK_BYTES}, order kept. */
function chunks(messages: readonly PltMessageToProduce[]): PltMessageToProduce[][] {
  const out: PltMessageToProduce[][] = [];
  let current: PltMessageToProduce[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = sizeOf(m);
    if (bytes > 0 && bytes + size > CHUNK_BYTES) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

function sizeOf(m: PltMessageToProduce): number {
  let n = 70 + (m.key?.length ?? 0) + (m.value?.length ?? 0);
  for (const [k, v] of m.headers ?? []) n += k.length + 8 + (v?.length ?? 0);
  return n;
}
