import type { Logger } from './logger.js';
import { offsetBefore } from './delivery-record.js';
import { StaleEpochError, tpKey, type ConsumedRecord, type GroupMetadata, type OffsetCommit, type OutgoingMessage, type RecordBatch, type RecordMetadata, type TopicMessages, type TopicPartition, type Transport, type TransportConsumer } from './transport.js';

/**
 * Exactly-once consume → produce (catalog `x-eventgen: { exactlyOnce: true }` on a receive operation, or the group
 * consumer option `exactlyOnce`). What a handler produces through its context (`context.outputs`, or a typed
 * producer called with `{ causedBy: context }`) is buffered per attempt; when the attempt succeeded, its messages
 * join the partition's next Kafka transaction, which also commits the group's offsets (`sendOffsets`). A failed
 * attempt's messages are dropped, so in-process retries produce nothing twice. One transactional producer per input
 * partition (`transactionalId = <prefix>-<group>-<topic>-<partition>`): the next owner of a partition fences the
 * previous one (and aborts its open transaction) before it handles a record. Consumers downstream must read with
 * `read_committed` (the kafkajs default). Side effects outside Kafka, and dead-letter writes, stay at-least-once.
 */

/** One Kafka transaction: messages and the consumer group's offsets, committed together. */
export interface TransactionInput {
  /** Messages to append, topic by topic. */
  readonly messages: readonly TopicMessages[];
  /** Consumer group whose offsets the transaction commits. */
  readonly groupId: string;
  /** Next offsets to consume, per input partition. */
  readonly offsets: ReadonlyArray<TopicPartition & { offset: string }>;
  /**
   * The group member that completed the records, in the generation of the offsets' epoch, when its transport knows
   * it (`TransportConsumer.groupMetadata`): the offsets are committed with it, so the broker refuses them once the
   * generation moved on. Undefined: the offsets are committed without a generation (fencing by transactional id only).
   */
  readonly member?: GroupMetadata;
}

/** A transactional producer bound to one transactional id. */
export interface TransactionalProducer {
  /**
   * Registers the transactional id with the broker (Kafka's `initTransactions`), again on every call: every other
   * producer with the same id is fenced, its open transaction aborted, and a transaction it was committing completed
   * first. `commitTransaction` registers on first use and again after a failure.
   */
  init(): Promise<void>;
  /**
   * Runs one transaction: appends the messages and commits the offsets, or aborts and rejects (nothing of it becomes
   * visible to `read_committed` consumers). Rejects with {@link ProducerFencedError} when a newer producer with the
   * same id exists.
   */
  commitTransaction(input: TransactionInput): Promise<void>;
  /** Disconnects (idempotent). */
  disconnect(): Promise<void>;
}

/** What a transport needs for exactly-once groups. */
export interface TransactionalTransport {
  /** Creates a transactional producer for `transactionalId`. */
  transactionalProducer(transactionalId: string): TransactionalProducer;
  /** The group's committed offsets (next offset to consume; undefined when none) of the partitions. */
  committedOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<Array<TopicPartition & { offset: string | undefined }>>;
}

/** Whether a transport supports exactly-once groups. */
export function supportsTransactions(transport: Transport): transport is Transport & TransactionalTransport {
  const t = transport as Partial<TransactionalTransport>;
  return typeof t.transactionalProducer === 'function' && typeof t.committedOffsets === 'function';
}

/** A newer producer with the same transactional id exists: this member no longer owns the partition. */
export class ProducerFencedError extends Error {
  override name = 'ProducerFencedError';
}

/** What handlers of an exactly-once group produce to: `context.outputs`. */
export interface EventOutputs {
  /**
   * Adds messages to this attempt's outputs. They are written in the transaction that commits the record's offset if
   * the attempt succeeds, and dropped if it fails. Resolves at once (nothing is written yet).
   */
  send(batch: readonly TopicMessages[]): Promise<void>;
}

/** The outputs of one handler attempt. */
export class AttemptOutputs implements EventOutputs {
  readonly messages: TopicMessages[] = [];
  private sealed = false;

  constructor(readonly offset: string) {}

  send(batch: readonly TopicMessages[]): Promise<void> {
    if (this.sealed) return Promise.reject(new Error('The attempt already ended: its outputs are sealed (await every send before the handler returns)'));
    for (const { topic, messages } of batch) if (messages.length > 0) this.messages.push({ topic, messages: [...messages] });
    return Promise.resolve();
  }

  /** The attempt ended: no further sends. */
  seal(): void {
    this.sealed = true;
  }
}

/** Metadata returned for a message buffered in a transaction (not written yet: partition -1, offset '-1'). */
export const BUFFERED_METADATA: RecordMetadata = Object.freeze({ topic: '', partition: -1, offset: '-1' });

interface PartitionTxn {
  readonly topic: string;
  readonly partition: number;
  /** Outputs of records that completed, waiting for their transaction, in offset order. */
  pending: AttemptOutputs[];
  /** The latest attempt of each record not yet accepted, by offset. */
  readonly attempts: Map<string, AttemptOutputs>;
  producer: TransactionalProducer | undefined;
  /** Epoch in which this member fenced the partition's earlier producers and read its committed offset. */
  readyEpoch: number;
  /** The last transaction failed without a definite answer (it may have committed): check before writing again. */
  uncertain: boolean;
}

/** Options of the {@link ExactlyOnce} coordinator. */
export interface ExactlyOnceOptions {
  transport: Transport & TransactionalTransport;
  groupId: string;
  /** Prefix of the transactional ids (default `eventgen`): `<prefix>-<group>-<topic>-<partition>`. */
  transactionalIdPrefix?: string;
  logger: Logger;
  /** The group's member (its transport consumer), for the generation its offsets are committed in (optional). */
  member?: () => TransportConsumer | undefined;
}

/**
 * The delivery engine's exactly-once companion: per input partition, the outputs of attempts, the outputs of
 * completed records waiting for their transaction, and the transactional producer. It is the offset committer's
 * commit target in an exactly-once group: one transaction per partition carries the outputs of the records before
 * the committed offset and the offset itself.
 */
export class ExactlyOnce {
  private readonly partitions = new Map<string, PartitionTxn>();
  private epoch = -1;
  private owned = new Set<string>();
  /** Transactions committed (for tests and metrics). */
  transactions = 0;
  /** Transactions aborted after a failure. */
  aborted = 0;

  constructor(private readonly options: ExactlyOnceOptions) {}

  /** The transactional id of an input partition. */
  transactionalId(topic: string, partition: number): string {
    return `${this.options.transactionalIdPrefix ?? 'eventgen'}-${this.options.groupId}-${topic}-${partition}`;
  }

  /** A handler attempt of `record` starts: its outputs replace those of the record's earlier attempts. */
  begin(record: ConsumedRecord): AttemptOutputs {
    const p = this.txn(record.topic, record.partition);
    const outputs = new AttemptOutputs(record.offset);
    p.attempts.get(record.offset)?.seal();
    p.attempts.set(record.offset, outputs);
    return outputs;
  }

  /** The record completed (its last attempt succeeded): that attempt's outputs join the partition's next transaction. */
  accept(record: ConsumedRecord): void {
    const p = this.partitions.get(tpKey(record.topic, record.partition));
    const outputs = p?.attempts.get(record.offset);
    if (p === undefined || outputs === undefined) return;
    p.attempts.delete(record.offset);
    outputs.seal();
    if (outputs.messages.length > 0) p.pending.push(outputs);
  }

  /**
   * A new epoch: outputs waiting for a transaction of the ended epoch are dropped (their offsets were not committed:
   * the records are fetched and handled again); producers of partitions no longer owned are closed.
   */
  onAssigned(epoch: number, partitions: readonly TopicPartition[]): void {
    this.epoch = epoch;
    this.owned = new Set(partitions.map((p) => tpKey(p.topic, p.partition)));
    for (const [key, p] of this.partitions) {
      p.pending = [];
      if (this.owned.has(key)) continue;
      for (const a of p.attempts.values()) a.seal();
      this.partitions.delete(key);
      void p.producer?.disconnect().catch(() => undefined);
    }
  }

  /**
   * Before the first batch of a partition in an epoch: fence the partition's earlier producers (a zombie of the
   * previous owner can no longer commit), then read the committed offset. If a transaction of the previous owner
   * committed after this member's fetch position was set, the records before the committed offset are skipped (the
   * batch is advanced over them and false returned: the next fetch starts at the committed offset).
   */
  async ready(batch: RecordBatch): Promise<boolean> {
    const p = this.txn(batch.topic, batch.partition);
    if (p.readyEpoch === batch.epoch) return true;
    await this.producerOf(p).init();
    const [committed] = await this.options.transport.committedOffsets(this.options.groupId, [{ topic: batch.topic, partition: batch.partition }]);
    p.readyEpoch = batch.epoch;
    const at = committed?.offset;
    const first = batch.records[0];
    if (at === undefined || first === undefined || !offsetBefore(first.offset, at)) return true;
    const behind = batch.records.filter((r) => offsetBefore(r.offset, at));
    this.options.logger.info('Records before the committed offset were delivered (a transaction of the previous owner committed late); skipped', { topic: batch.topic, partition: batch.partition, from: first.offset, committed: at });
    batch.advance((behind[behind.length - 1] as ConsumedRecord).offset);
    return false;
  }

  /**
   * Commits offsets (the offset committer's commit target): per partition, one transaction with the outputs of the
   * records before the offset. Offsets of an ended epoch, or of a partition whose producer was fenced, are not
   * committed ({@link StaleEpochError}); after another failure the transaction is aborted, the outputs stay
   * pending and the offsets are committed with them by the next flush.
   */
  async commit(offsets: readonly OffsetCommit[]): Promise<void> {
    const stale: OffsetCommit[] = [];
    const failures: unknown[] = [];
    await Promise.all(
      offsets.map(async (o) => {
        const key = tpKey(o.topic, o.partition);
        const p = this.partitions.get(key);
        if (o.epoch !== this.epoch || !this.owned.has(key) || p === undefined) {
          stale.push(o);
          return;
        }
        // The member's generation in the offsets' epoch, where the transport knows it: gone = the epoch ended there.
        const consumer = this.options.member?.();
        let member: GroupMetadata | undefined;
        if (consumer?.groupMetadata !== undefined) {
          member = consumer.groupMetadata(o.epoch);
          if (member === undefined) {
            stale.push(o);
            return;
          }
        }
        try {
          if (p.uncertain) {
            // The last transaction failed without a definite answer: registering the id again completes it if it was
            // committing (or aborts it); then the committed offset says whether its outputs were written.
            await this.producerOf(p).init();
            const [current] = await this.options.transport.committedOffsets(this.options.groupId, [{ topic: o.topic, partition: o.partition }]);
            p.uncertain = false;
            const at = current?.offset;
            if (at !== undefined) {
              p.pending = p.pending.filter((a) => !offsetBefore(a.offset, at));
              if (!offsetBefore(at, o.offset)) {
                this.options.logger.info('A transaction whose commit failed had committed after all; not written again', { topic: o.topic, partition: o.partition, committed: at });
                return;
              }
            }
          }
          const take = p.pending.filter((a) => offsetBefore(a.offset, o.offset));
          await this.producerOf(p).commitTransaction({ messages: merge(take), groupId: this.options.groupId, offsets: [{ topic: o.topic, partition: o.partition, offset: o.offset }], ...(member === undefined ? {} : { member }) });
          this.transactions += 1;
          const sent = new Set(take);
          p.pending = p.pending.filter((a) => !sent.has(a));
          // Attempts of records before the offset are settled (dead-lettered ones never were accepted).
          for (const offset of p.attempts.keys()) if (offsetBefore(offset, o.offset)) p.attempts.delete(offset);
        } catch (error) {
          this.aborted += 1;
          if (error instanceof ProducerFencedError) {
            // Another member owns the partition now (its producer fenced ours): what this member completed is redone there.
            this.options.logger.warn('Transactional producer fenced; the partition belongs to another member now', { topic: o.topic, partition: o.partition });
            p.pending = [];
            p.producer = undefined;
            stale.push(o);
          } else {
            p.uncertain = true;
            failures.push(error);
          }
        }
      }),
    );
    if (failures.length > 0) throw failures[0];
    if (stale.length > 0) throw new StaleEpochError(stale);
  }

  /** Outputs waiting for a transaction (for tests). */
  pendingMessages(): number {
    let n = 0;
    for (const p of this.partitions.values()) for (const a of p.pending) for (const t of a.messages) n += t.messages.length;
    return n;
  }

  /** Disconnects every transactional producer and forgets all state. */
  async close(): Promise<void> {
    const producers = [...this.partitions.values()].map((p) => p.producer).filter((p): p is TransactionalProducer => p !== undefined);
    this.partitions.clear();
    await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
  }

  private txn(topic: string, partition: number): PartitionTxn {
    const key = tpKey(topic, partition);
    let p = this.partitions.get(key);
    if (p === undefined) this.partitions.set(key, (p = { topic, partition, pending: [], attempts: new Map(), producer: undefined, readyEpoch: -1, uncertain: false }));
    return p;
  }

  private producerOf(p: PartitionTxn): TransactionalProducer {
    p.producer ??= this.options.transport.transactionalProducer(this.transactionalId(p.topic, p.partition));
    return p.producer;
  }
}

/** The messages of several attempts, topic by topic in first-seen order, each topic's messages in order. */
function merge(outputs: readonly AttemptOutputs[]): TopicMessages[] {
  const byTopic = new Map<string, OutgoingMessage[]>();
  for (const a of outputs) {
    for (const { topic, messages } of a.messages) {
      let list = byTopic.get(topic);
      if (list === undefined) byTopic.set(topic, (list = []));
      for (const m of messages) list.push(m);
    }
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
