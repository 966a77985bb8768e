import type { Admin, Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from './logger.js';
import {
  RebalanceInProgressError,
  StaleEpochError,
  revokeBounded,
  tpKey,
  type CommitPolicy,
  type ConsumedRecord,
  type DeliveryListener,
  type OffsetCommit,
  type RecordBatch,
  type RecordHeaders,
  type TopicPartition,
  type TopicPartitions,
  type TransportConsumer,
} from './transport.js';

/** Consumer settings of `KafkaTransport`. */
export interface KafkaConsumerOptions {
  /** Session timeout (default 30 000 ms): a member silent for longer is removed from the group. */
  sessionTimeoutMs?: number;
  /** Heartbeat interval (default 3000 ms); the runtime also heartbeats while a handler runs. */
  heartbeatIntervalMs?: number;
  /** Time members have to rejoin during a rebalance (default 60 000 ms). */
  rebalanceTimeoutMs?: number;
  /** Partitions handled concurrently by one member (default 1); order within a partition is always kept. */
  partitionsConsumedConcurrently?: number;
  /** Longest fetch wait on the broker (default 500 ms). */
  maxWaitTimeMs?: number;
  /** Most bytes fetched per partition per request (default 1 MiB, kafkajs' default). */
  maxBytesPerPartition?: number;
  /** Most bytes per fetch response (default 10 MiB, kafkajs' default). */
  maxBytes?: number;
  /** Least bytes a fetch waits for (default 1). */
  minBytes?: number;
  /**
   * Completed offsets are committed in batches: when this many records completed (default 500) or after
   * `commitIntervalMs` (default 200 ms), and always before a rebalance and on stop. Only offsets of records whose
   * handler succeeded (or whose dead-letter write was acknowledged) are committed, and only by the member that
   * handled them in the current assignment; a crash can only repeat records (at-least-once).
   */
  commitBatchSize?: number;
  /** Longest time a completed offset waits for its commit (default 200 ms). */
  commitIntervalMs?: number;
  /** Longest wait for the final commit before a rebalance (default 5000 ms). */
  revokeTimeoutMs?: number;
  /** Longest delay between reconnect attempts after the broker or coordinator was lost (default 3000 ms). */
  reconnectMaxDelayMs?: number;
}

/** The parts of a kafkajs client the transport uses (a fake implements them in tests). */
export type KafkaClient = Pick<Kafka, 'consumer' | 'producer' | 'admin'>;

const REBALANCE_TYPES = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID']);

/** True for the errors kafkajs raises when this member's generation ended. */
export function isRebalanceError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && REBALANCE_TYPES.has(String((error as { type?: unknown }).type));
}

/**
 * One consumer group member on kafkajs, a thin adapter for the delivery engine: `eachBatch` with `autoCommit` and
 * `eachBatchAutoResolve` off; every (re)join starts a new epoch (`GROUP_JOIN`); a rebalance noticed by a heartbeat
 * or by kafkajs (`REBALANCING`) ends the epoch after the engine committed what it completed; commits carry the epoch
 * and offsets of an ended epoch are never sent (they could move the new owner's offset backwards). Commits go out
 * once, without kafkajs' retrier (whose later retries would carry a newer generation); the engine retries them.
 */
export class KafkaTransportConsumer implements TransportConsumer {
  /** The kafkajs consumer (for instrumentation events). */
  readonly client: Consumer;
  readonly commitPolicy: CommitPolicy;
  private epoch = 0;
  private revoking: Promise<void> | undefined;
  private stopping = false;
  private listener: DeliveryListener | undefined;
  private commitFn: EachBatchPayload['commitOffsetsIfNecessary'] | undefined;
  private owned = new Set<string>();
  private admin: Admin | undefined;
  private readonly crashListeners: Array<(error: unknown) => void> = [];

  constructor(
    private readonly kafka: KafkaClient,
    readonly groupId: string,
    private readonly options: KafkaConsumerOptions,
    private readonly logger: Logger,
  ) {
    this.commitPolicy = Object.freeze({ batchSize: options.commitBatchSize ?? 500, intervalMs: options.commitIntervalMs ?? 200 });
    this.client = kafka.consumer({
      groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 3_000,
      rebalanceTimeout: options.rebalanceTimeoutMs ?? 60_000,
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 500,
      ...(options.maxBytesPerPartition === undefined ? {} : { maxBytesPerPartition: options.maxBytesPerPartition }),
      ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
      ...(options.minBytes === undefined ? {} : { minBytes: options.minBytes }),
      allowAutoTopicCreation: false,
      // Reconnect attempts at most `reconnectMaxDelayMs` apart, so consumption resumes within seconds of a broker
      // coming back; never restart a consumer that is being stopped (kafkajs would rejoin after our disconnect).
      retry: { initialRetryTime: 300, maxRetryTime: options.reconnectMaxDelayMs ?? 3_000, retries: 10, restartOnFailure: async () => !this.stopping },
    });
    const { REBALANCING, GROUP_JOIN, CRASH } = this.client.events;
    this.client.on(REBALANCING, () => void this.endEpoch());
    this.client.on(GROUP_JOIN, (event) => {
      this.epoch += 1;
      this.revoking = undefined;
      const assignment = event.payload.memberAssignment;
      const partitions: TopicPartition[] = [];
      for (const [topic, list] of Object.entries(assignment)) for (const partition of list) partitions.push({ topic, partition });
      this.owned = new Set(partitions.map((p) => tpKey(p.topic, p.partition)));
      this.listener?.onAssigned?.(this.epoch, partitions);
    });
    this.client.on(CRASH, (event) => {
      const { error, restart } = event.payload;
      if (restart && !this.stopping) {
        this.logger.warn('Kafka consumer failed; kafkajs restarts it', { error });
        return;
      }
      if (!this.stopping) for (const listener of this.crashListeners) listener(error);
    });
  }

  /** Connects. */
  async connect(): Promise<void> {
    await this.client.connect();
  }

  /** Subscribes to topics. */
  async subscribe(options: { topics: readonly string[]; fromBeginning?: boolean }): Promise<void> {
    await this.client.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? true });
  }

  /** Joins the group and starts delivering batches; resolves once the member joined. */
  async run(listener: DeliveryListener): Promise<void> {
    this.listener = listener;
    this.stopping = false;
    await this.client.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.deliver(payload),
    });
  }

  /** Commits offsets of the current epoch; rejects with {@link StaleEpochError} for the others. */
  async commit(offsets: readonly OffsetCommit[]): Promise<void> {
    const current: OffsetCommit[] = [];
    const stale: OffsetCommit[] = [];
    for (const o of offsets) (o.epoch === this.epoch && this.owned.has(tpKey(o.topic, o.partition)) ? current : stale).push(o);
    if (current.length > 0) {
      const commit = this.commitFn;
      if (commit === undefined) throw new Error('Nothing was delivered in this assignment yet; cannot commit');
      const byTopic = new Map<string, Array<{ partition: number; offset: string }>>();
      for (const o of current) {
        let list = byTopic.get(o.topic);
        if (list === undefined) byTopic.set(o.topic, (list = []));
        list.push({ partition: o.partition, offset: o.offset });
      }
      await commit({ topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
    }
    if (stale.length > 0) throw new StaleEpochError(stale);
  }

  /** Stops fetching and leaves the group (kafkajs waits for the batches in flight, which the engine ends in time). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.client.stop();
  }

  /** Leaves the group (stopping first) and disconnects. */
  async disconnect(): Promise<void> {
    this.stopping = true;
    await this.client.disconnect();
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
  }

  /** Pauses topic-partitions (ignored before the member joined: nothing is fetched then). */
  pause(topics: readonly TopicPartitions[]): void {
    try {
      this.client.pause(topics.map((t) => (t.partitions === undefined ? { topic: t.topic } : { topic: t.topic, partitions: [...t.partitions] })));
    } catch (error) {
      this.logger.debug('Pause ignored', { error });
    }
  }

  /** Resumes topic-partitions. */
  resume(topics: readonly TopicPartitions[]): void {
    try {
      this.client.resume(topics.map((t) => (t.partitions === undefined ? { topic: t.topic } : { topic: t.topic, partitions: [...t.partitions] })));
    } catch (error) {
      this.logger.debug('Resume ignored', { error });
    }
  }

  /** Registers a listener for a crash kafkajs does not recover from by itself. */
  onCrash(listener: (error: unknown) => void): void {
    this.crashListeners.push(listener);
  }

  /** Partitions without a committed offset for this group (read with the admin API). */
  async uncommittedPartitions(partitions: readonly TopicPartition[]): Promise<TopicPartition[]> {
    if (this.admin === undefined) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    const topics = [...new Set(partitions.map((p) => p.topic))];
    const answer = await this.admin.fetchOffsets({ groupId: this.groupId, topics });
    const none = new Set<string>();
    for (const t of answer) for (const p of t.partitions) if (p.offset === '-1' || p.offset === '') none.add(tpKey(t.topic, p.partition));
    return partitions.filter((p) => none.has(tpKey(p.topic, p.partition)));
  }

  /** Ends the epoch once: lets the engine commit what it completed (bounded), after which commits of it are refused. */
  private endEpoch(): Promise<void> {
    this.revoking ??= revokeBounded(this.listener, this.epoch, this.options.revokeTimeoutMs ?? 5_000, this.logger);
    return this.revoking;
  }

  private async deliver(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { topic, partition } = batch;
    this.commitFn = payload.commitOffsetsIfNecessary;
    if (this.stopping || this.revoking !== undefined || this.listener === undefined) return;
    const epoch = this.epoch;
    const current = (): boolean => epoch === this.epoch && this.revoking === undefined;
    const records: ConsumedRecord[] = batch.messages.map((m) => toRecord(topic, partition, m));
    const recordBatch: RecordBatch = {
      topic,
      partition,
      records,
      epoch,
      highWatermark: batch.highWatermark,
      heartbeat: async () => {
        if (!current()) throw new RebalanceInProgressError('The assignment ended (rebalance)');
        try {
          await payload.heartbeat();
        } catch (error) {
          if (!isRebalanceError(error)) throw error;
          // Not awaited: the engine's final commit of the epoch waits for this batch to end, which this error starts.
          void this.endEpoch();
          throw new RebalanceInProgressError('The group is rebalancing', { cause: error });
        }
      },
      // kafkajs reads resolved offsets only once the batch returned (where the next fetch starts): the engine's
      // per-record advance is remembered and handed over once (kafkajs parses each resolved offset into a Long).
      advance: (offset) => {
        advanced = offset;
      },
      isCurrent: current,
    };
    let advanced: string | undefined;
    try {
      await this.listener.onBatch(recordBatch);
    } finally {
      if (advanced !== undefined) payload.resolveOffset(advanced);
    }
  }
}

function toRecord(topic: string, partition: number, message: KafkaMessage): ConsumedRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers: toRecordHeaders(message.headers),
    timestamp: message.timestamp,
  };
}

const NO_HEADERS: RecordHeaders = Object.freeze(Object.create(null) as RecordHeaders);

/**
 * kafkajs headers as received: repeated headers stay arrays, null values stay null. Used as they are (no copy):
 * kafkajs builds them with computed keys, so any header name (`__proto__` too) is an own property, and the runtime
 * reads them only as own properties.
 */
function toRecordHeaders(headers: IHeaders | undefined): RecordHeaders {
  return headers === undefined ? NO_HEADERS : (headers as RecordHeaders);
}
