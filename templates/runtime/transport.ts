/**
 * The narrow seam between the runtime and a Kafka client. Transports only fetch, commit, pause/resume, heartbeat
 * and send; every delivery decision (retries, dead-lettering, dedup, what may be committed) is taken by the
 * runtime's delivery engine (`delivery.ts`). Implementations: `KafkaTransport` (kafkajs) and `InMemoryTransport`.
 */
import type { Logger } from './logger.js';

/** One header value as it travels on the wire; `null` is legal (a header without value). */
export type HeaderValue = string | Buffer | null;

/** Raw record headers; a header that occurs more than once keeps every value, in order. */
export type RecordHeaders = Record<string, HeaderValue | HeaderValue[]>;

/** One message to produce. */
export interface OutgoingMessage {
  /** Kafka key; `null` = round-robin partitioning. */
  key: string | Buffer | null;
  /** Record value. */
  value: string | Buffer | null;
  /** Record headers. */
  headers?: RecordHeaders;
  /** Explicit partition, overriding the key-based partitioner. */
  partition?: number;
}

/** Where a produced record landed. Offsets are decimal strings, as Kafka offsets are 64-bit. */
export interface RecordMetadata {
  /** Topic name. */
  topic: string;
  /** Partition number. */
  partition: number;
  /** Offset of the record in its partition. */
  offset: string;
}

/** Messages for one topic, as in kafkajs `sendBatch({ topicMessages })`. */
export interface TopicMessages {
  /** Topic name. */
  topic: string;
  /** Messages to append, in order. */
  messages: OutgoingMessage[];
}

/** Producing side of a transport. */
export interface TransportProducer {
  /** Connects (idempotent). */
  connect(): Promise<void>;
  /** Flushes and disconnects (idempotent). */
  disconnect(): Promise<void>;
  /**
   * Sends the messages and resolves once all are acknowledged (acks=all), with one metadata per message in input
   * order (topic by topic). Rejects when any of them could not be written; see {@link SendFailure}.
   */
  send(batch: readonly TopicMessages[]): Promise<RecordMetadata[]>;
}

/** A consumed record. */
export interface ConsumedRecord {
  /** Topic name. */
  topic: string;
  /** Partition number. */
  partition: number;
  /** Offset (decimal string). */
  offset: string;
  /** Key bytes, or null. */
  key: Buffer | null;
  /** Value bytes, or null (tombstone). */
  value: Buffer | null;
  /** Headers exactly as received (repeated headers as arrays, null values kept). */
  headers: RecordHeaders;
  /** Broker/producer timestamp in epoch milliseconds (decimal string, as kafkajs). */
  timestamp: string;
}

/** A topic-partition. */
export interface TopicPartition {
  /** Topic name. */
  topic: string;
  /** Partition number. */
  partition: number;
}

/** Topic-partitions to pause or resume; no `partitions` = all of the topic's partitions. */
export interface TopicPartitions {
  /** Topic name. */
  topic: string;
  /** Partitions; omitted = all. */
  partitions?: number[];
}

/**
 * Consecutive records of one partition, in offset order, fetched while this member owned the partition in
 * assignment `epoch`. The consumer hands batches of one partition one at a time.
 */
export interface RecordBatch {
  /** Topic name. */
  readonly topic: string;
  /** Partition number. */
  readonly partition: number;
  /** The records, in offset order (gaps are possible on compacted topics). */
  readonly records: readonly ConsumedRecord[];
  /** Assignment epoch: incremented by the transport on every (re)join of this member. */
  readonly epoch: number;
  /** Next offset the partition will get (high watermark) when the transport knows it, for lag. */
  readonly highWatermark?: string;
  /** Keeps the membership alive during long work; rejects with {@link RebalanceInProgressError} once the epoch ended. */
  heartbeat(): Promise<void>;
  /**
   * The engine is done with every record up to and including `offset` (handled, skipped or dead-lettered): the
   * next fetch of this partition starts after it. Records not advanced over are fetched again.
   */
  advance(offset: string): void;
  /** False once the epoch ended (rebalance, stop) — the partition may belong to another member now. */
  isCurrent(): boolean;
}

/** A partition's next offset to commit, tagged with the epoch in which its records were handled. */
export interface OffsetCommit extends TopicPartition {
  /** Next offset to consume (last completed + 1). */
  offset: string;
  /** Epoch in which the records up to `offset` were handled. */
  epoch: number;
}

/** What the engine gives a transport consumer to deliver to. */
export interface DeliveryListener {
  /** Handles one batch; resolves when done with it. Must not reject for record-level failures. */
  onBatch(batch: RecordBatch): Promise<void>;
  /** A new epoch started (after every join): the partitions this member owns now. */
  onAssigned?(epoch: number, partitions: readonly TopicPartition[]): void;
  /**
   * The current epoch is ending (a rebalance started, or the member is leaving): the last chance to commit the
   * epoch's completed offsets. Awaited (bounded) before the transport rejoins or leaves.
   */
  onRevoking?(epoch: number): Promise<void>;
}

/**
 * A transport's end of an epoch: `listener.onRevoking(epoch)` bounded by `timeoutMs` (the rebalance cannot wait for
 * ever); a failed commit is logged, never thrown: the records are then delivered again, never lost.
 */
export async function revokeBounded(listener: DeliveryListener | undefined, epoch: number, timeoutMs: number, logger: Pick<Logger, 'warn'>): Promise<void> {
  if (listener?.onRevoking === undefined) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    listener.onRevoking(epoch).catch((error: unknown) => logger.warn('Commit before rebalance failed; records may be delivered again', { error })),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
  ]);
  clearTimeout(timer);
}

/** How often the engine commits completed offsets; transports choose what is cheap for them. */
export interface CommitPolicy {
  /** Commit once this many records completed since the last commit. */
  batchSize: number;
  /** Longest time a completed offset waits for its commit (ms); 0 = commit at the end of every batch. */
  intervalMs: number;
}

/** Consuming side of a transport: one member of a consumer group. */
export interface TransportConsumer {
  /** How completed offsets should be committed (default: every 500 records or 200 ms). */
  readonly commitPolicy?: CommitPolicy;
  /** Connects (idempotent). */
  connect(): Promise<void>;
  /** Subscribes to topics; `fromBeginning` only matters for partitions without a committed offset. */
  subscribe(options: { topics: readonly string[]; fromBeginning?: boolean }): Promise<void>;
  /**
   * Joins the group and starts delivering batches; resolves once the member joined (or the first join failed,
   * reported through `onCrash`). Records of one partition are delivered one batch at a time, in offset order.
   */
  run(listener: DeliveryListener): Promise<void>;
  /**
   * Commits offsets. Offsets of an epoch that is no longer current are not sent (another member may own the
   * partition now) and the call rejects with {@link StaleEpochError} for them.
   */
  commit(offsets: readonly OffsetCommit[]): Promise<void>;
  /** Stops fetching and leaves the group (after the current batches returned). */
  stop(): Promise<void>;
  /** Stops (if running) and disconnects. */
  disconnect(): Promise<void>;
  /** Pauses fetching of topic-partitions. */
  pause(topics: readonly TopicPartitions[]): void;
  /** Resumes fetching of topic-partitions. */
  resume(topics: readonly TopicPartitions[]): void;
  /** Registers a listener for a fatal consumer failure the client does not recover from. */
  onCrash?(listener: (error: unknown) => void): void;
  /**
   * Topic-partitions of `topics` that have no committed offset for this group (a new or expired group), where
   * the transport can tell; used to warn that consumption starts at the `fromBeginning` position.
   */
  uncommittedPartitions?(partitions: readonly TopicPartition[]): Promise<TopicPartition[]>;
  /**
   * The member's identity in assignment `epoch` (its generation), where the transport knows it: offsets committed in
   * a Kafka transaction carry it, so the broker refuses them once the generation moved on (KIP-447). Undefined once
   * the epoch ended or the generation changed.
   */
  groupMetadata?(epoch: number): GroupMetadata | undefined;
}

/** A consumer group member in one generation, as a transactional offset commit (TxnOffsetCommit) names it. */
export interface GroupMetadata {
  /** Consumer group. */
  readonly groupId: string;
  /** Generation of the group in which the member owns its partitions. */
  readonly generationId: number;
  /** The member's id in the group. */
  readonly memberId: string;
  /** Node id of the group coordinator, when the client knows it. */
  readonly coordinatorId?: number;
}

/** A partition's earliest retained offset and end offset (high watermark), decimal strings. */
export interface PartitionOffsets extends TopicPartition {
  /** Earliest offset still in the log. */
  start: string;
  /** Offset the next record will get. */
  end: string;
}

/** Reads offsets from the cluster (admin requests), for lag sampling; one connection reused until `close()`. */
export interface OffsetReader {
  /** Earliest and end offsets of every partition of the topics (topics that do not exist are left out). */
  topicOffsets(topics: readonly string[]): Promise<PartitionOffsets[]>;
  /** The group's committed offsets of every partition of the topics (`undefined` = none committed). */
  groupOffsets(groupId: string, topics: readonly string[]): Promise<Array<TopicPartition & { offset: string | undefined }>>;
  /** Closes the connection (idempotent). */
  close(): Promise<void>;
}

/** A Kafka client: a factory for producers and group consumers. */
export interface Transport {
  /** Creates a producer. */
  producer(): TransportProducer;
  /** Creates a member of consumer group `groupId`. */
  consumer(options: { groupId: string }): TransportConsumer;
  /** Creates an offset reader, where the transport can read committed and end offsets (consumer lag sampling). */
  offsetReader?(): OffsetReader;
}

/** The member's epoch ended: the partition may belong to another member now. */
export class RebalanceInProgressError extends Error {
  override name = 'RebalanceInProgressError';
}

/** Offsets of an epoch that is no longer current were not committed. */
export class StaleEpochError extends Error {
  override name = 'StaleEpochError';
  /** @param offsets the offsets that were dropped. */
  constructor(readonly offsets: readonly OffsetCommit[]) {
    super(`Not committed: ${offsets.length} offset(s) of an ended assignment epoch (the partitions may belong to another member now)`);
  }
}

/** Key of a topic-partition in maps. */
export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** Why a send failed, as far as the runtime needs to tell. */
export type SendErrorCode =
  /** The record (or request) is larger than the broker or topic accepts: retrying the same record cannot help. */
  | 'MESSAGE_TOO_LARGE'
  /** The topic does not exist (topics are never auto-created by the runtime's producers). */
  | 'UNKNOWN_TOPIC'
  /** Not allowed (ACLs). */
  | 'NOT_AUTHORIZED'
  /** The broker rejected the record as invalid. */
  | 'INVALID_RECORD'
  /** No answer in time, or the connection broke: the record may or may not have been written. */
  | 'UNCERTAIN'
  /** Any other failure. */
  | 'OTHER';

/** A failed send, with a {@link SendErrorCode}. */
export class SendError extends Error {
  override name = 'SendError';
  /**
   * @param message what failed.
   * @param code why, for decisions (a reduced dead-letter record after `MESSAGE_TOO_LARGE`, ...).
   * @param options the underlying error.
   */
  constructor(
    message: string,
    readonly code: SendErrorCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /**
   * True when the broker refused the records themselves (too large, unknown topic, invalid, not authorized):
   * resending them unchanged cannot succeed. False (`UNCERTAIN`) for transport failures, where they may or may not
   * have been written: resend them with the same event ids.
   */
  get certain(): boolean {
    return this.code !== 'UNCERTAIN';
  }
}

/** The {@link SendErrorCode} of anything a transport's `send` threw (looks through `cause` chains). */
export function sendErrorCode(error: unknown): SendErrorCode {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 8; depth++) {
    if (e instanceof SendError) return e.code;
    const type = (e as { type?: unknown }).type;
    if (type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE') return 'MESSAGE_TOO_LARGE';
    if (type === 'UNKNOWN_TOPIC_OR_PARTITION') return 'UNKNOWN_TOPIC';
    if (type === 'TOPIC_AUTHORIZATION_FAILED' || type === 'CLUSTER_AUTHORIZATION_FAILED') return 'NOT_AUTHORIZED';
    if (type === 'INVALID_RECORD' || type === 'CORRUPT_MESSAGE' || type === 'INVALID_TOPIC_EXCEPTION') return 'INVALID_RECORD';
    e = (e as { cause?: unknown }).cause;
  }
  return 'OTHER';
}
