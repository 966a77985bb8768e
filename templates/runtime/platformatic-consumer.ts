import type { KafkaConsumerOptions } from './kafka-consumer.js';
import type { Logger } from './logger.js';
import type { PlatformaticModule, PltConnectionPool, PltConsumer, PltFetchResponse, PltFetchTopic, PltJoinPayload } from './platformatic-client.js';
import { byTopic, toRecords } from './platformatic-records.js';
import {
  RebalanceInProgressError,
  StaleEpochError,
  revokeBounded,
  tpKey,
  type CommitPolicy,
  type ConsumedRecord,
  type DeliveryListener,
  type GroupMetadata,
  type OffsetCommit,
  type RecordBatch,
  type TopicPartition,
  type TopicPartitions,
  type TransportConsumer,
} from './transport.js';

/**
 * Consumer settings of `PlatformaticTransport`: the kafkajs transport's, with the same names, defaults and meanings
 * (the client heartbeats on its own timer, also while handlers run).
 */
export type PlatformaticConsumerOptions = KafkaConsumerOptions;

/** Kafka `OFFSET_OUT_OF_RANGE`. */
const OFFSET_OUT_OF_RANGE = 1;
const READ_COMMITTED = 1;
/** Rejoin attempts (about a minute with the default back-off) before the member reports a crash. */
const MAX_REJOIN_ATTEMPTS = 20;
/** Failed rejoin attempts after which the client is replaced (it never looks up a moved coordinator again). */
const REPLACE_CLIENT_AFTER = 2;

/** A partition this member owns in the current epoch. */
interface Owned {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  /** Next offset to fetch; undefined until read from the committed offsets (or after an out-of-range answer). */
  position: bigint | undefined;
  /** The last fetch said the position is out of range: reset it per `fromBeginning`, ignoring the commit. */
  outOfRange: boolean;
  /** A batch of it is waiting for or in delivery: not fetched meanwhile. */
  busy: boolean;
}

/**
 * One consumer group member on @platformatic/kafka (classic group protocol), a thin adapter for the delivery engine.
 *
 * Group membership, heartbeats and rejoins are the client's (`joinGroup`; it heartbeats on a timer, also while
 * handlers run, and rejoins by itself when the coordinator asks). Fetching is this adapter's own loop over the
 * client's `fetch`, on a connection pool of its own, rather than the client's `MessagesStream`: the stream can only
 * pause as a whole, it moves its fetch positions when a response arrives (a seek-back made while a fetch is in flight
 * would be overwritten), and after a rejoin it keeps its in-memory position for partitions without a committed offset
 * (records fetched but not completed before the rebalance would be skipped). Here every owned partition has one
 * position, set from the committed offset at the start of each epoch and moved only past records the engine
 * advanced over, so per-partition pause and seek-back are exact: a paused partition is left out of fetch requests, and
 * records of it that arrive from a fetch already in flight are dropped without moving its position.
 *
 * Epochs: every `consumer:group:join` starts one (its partitions come with the event); `consumer:group:rebalance`
 * ends it after the engine's final commit (bounded). The client starts rejoining at that moment without waiting, so
 * that commit races the rejoin; it carries the old generation, goes out on connections of its own (see
 * `committerClient`) and is accepted while the group is still preparing the rebalance. Commits carry the epoch and are never sent for an ended epoch or after the client's generation moved on
 * ({@link StaleEpochError}). One difference from kafkajs: when the broker answers a commit with a rejoin error, the
 * client itself rejoins and resends that commit in the new generation; the offsets are still ones this member
 * completed, so at worst a partition's offset moves back and records are delivered again (never skipped).
 */
export class PlatformaticTransportConsumer implements TransportConsumer {
  readonly commitPolicy: CommitPolicy;
  private client: PltConsumer | undefined;
  private pool: PltConnectionPool | undefined;
  private topics: string[] = [];
  private fromBeginning = true;
  private epoch = 0;
  private generation = -1;
  private owned = new Map<string, Owned>();
  private revoking: Promise<void> | undefined;
  private stopping = false;
  private listener: DeliveryListener | undefined;
  private readonly pausedTopics = new Set<string>();
  private readonly paused = new Set<string>();
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private readonly deliveries = new Set<Promise<void>>();
  private pending = 0;
  private permits: number;
  private readonly concurrency: number;
  private readonly waitingForPermit: Array<() => void> = [];
  private readonly crashListeners: Array<(error: unknown) => void> = [];
  private crashed = false;
  private rejoining: Promise<void> | undefined;
  private committer: PltConsumer | undefined;

  constructor(
    private readonly module: () => Promise<PlatformaticModule>,
    private readonly clientOptions: Record<string, unknown>,
    readonly groupId: string,
    private readonly options: PlatformaticConsumerOptions,
    private readonly logger: Logger,
  ) {
    this.commitPolicy = Object.freeze({ batchSize: options.commitBatchSize ?? 500, intervalMs: options.commitIntervalMs ?? 200 });
    this.concurrency = Math.max(1, options.partitionsConsumedConcurrently ?? 1);
    this.permits = this.concurrency;
  }

  /** The client's consumer (undefined before `connect()`). */
  get consumer(): PltConsumer | undefined {
    return this.client;
  }

  /** Loads the client and creates the group member (connections open with the first request). */
  async connect(): Promise<void> {
    if (this.client !== undefined) return;
    const module = await this.module();
    if (this.client !== undefined) return;
    this.client = this.createClient(module);
    // Long-polling fetches get their own connections, so they never delay heartbeats and commits.
    this.pool = new module.ConnectionPool(String(this.clientOptions['clientId'] ?? 'eventgen'), { ...this.clientOptions });
  }

  private createClient(module: PlatformaticModule): PltConsumer {
    const client = new module.Consumer({
      ...this.clientOptions,
      groupId: this.groupId,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: this.options.heartbeatIntervalMs ?? 3_000,
      rebalanceTimeout: this.options.rebalanceTimeoutMs ?? 60_000,
      maxWaitTime: this.options.maxWaitTimeMs ?? 500,
      minBytes: this.options.minBytes ?? 1,
      maxBytes: this.options.maxBytes ?? 10 * 1024 * 1024,
      isolationLevel: READ_COMMITTED,
      autocommit: false,
    });
    // Events of a client replaced meanwhile (see rejoin) are ignored.
    const mine = (): boolean => client === this.client;
    client.on('consumer:group:join', (payload) => mine() && this.joined(payload));
    client.on('consumer:group:rebalance', () => mine() && void this.endEpoch());
    client.on('consumer:group:leave', () => mine() && void this.endEpoch());
    // @platformatic/kafka 1.35 stops heartbeating after a heartbeat fails for a reason other than a rejoin request
    // (a broken connection, a coordinator moving): the member would silently fall out of the group while it keeps
    // fetching. Rejoining restarts the heartbeats (and starts a new epoch).
    client.on('consumer:heartbeat:error', ({ error }) => {
      if (!mine()) return;
      this.logger.warn('Kafka heartbeat failed; rejoining the group (the client does not heartbeat again by itself)', { error });
      void this.rejoin();
    });
    // The client's own rejoin gave up (its short retries ran out): keep trying, then report a crash.
    client.on('error', (error) => {
      if (!mine()) return;
      this.logger.warn('The Kafka client failed to rejoin the group; retrying', { error });
      void this.rejoin();
    });
    for (const topic of this.topics) client.topics.track(topic);
    return client;
  }

  /** Remembers the topics; `fromBeginning` applies to partitions without a committed offset. */
  async subscribe(options: { topics: readonly string[]; fromBeginning?: boolean }): Promise<void> {
    this.topics = [...new Set([...this.topics, ...options.topics])];
    this.fromBeginning = options.fromBeginning ?? true;
  }

  /** Joins the group and starts fetching; resolves once the member joined (its first epoch started). */
  async run(listener: DeliveryListener): Promise<void> {
    const client = this.connected();
    this.listener = listener;
    this.stopping = false;
    for (const topic of this.topics) client.topics.track(topic);
    await client.joinGroup({
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      rebalanceTimeout: this.options.rebalanceTimeoutMs ?? 60_000,
      heartbeatInterval: this.options.heartbeatIntervalMs ?? 3_000,
    });
    this.loop ??= this.fetchLoop().catch((error: unknown) => this.crash(error));
  }

  /** Commits offsets of the current epoch; rejects with {@link StaleEpochError} for the others. */
  async commit(offsets: readonly OffsetCommit[]): Promise<void> {
    const client = this.connected();
    const current: OffsetCommit[] = [];
    const stale: OffsetCommit[] = [];
    const sameGeneration = client.generationId === this.generation;
    for (const o of offsets) (sameGeneration && o.epoch === this.epoch && this.owned.has(tpKey(o.topic, o.partition)) ? current : stale).push(o);
    if (current.length > 0) {
      const committer = await this.committerClient();
      // The member's identity in the epoch's generation (public fields of the client; the committer never joins).
      committer.memberId = client.memberId;
      committer.generationId = this.generation;
      try {
        await committer.commit({ offsets: current.map((o) => ({ topic: o.topic, partition: o.partition, offset: BigInt(o.offset), leaderEpoch: -1 })) });
      } catch (error) {
        // A fresh committer next time (its coordinator may have moved; the client caches it for its lifetime).
        if (this.committer === committer) this.committer = undefined;
        void committer.close(true).catch(() => undefined);
        throw error;
      }
    }
    if (stale.length > 0) throw new StaleEpochError(stale);
  }

  /**
   * The member's identity in `epoch` (exactly-once groups commit their offsets in transactions with it): undefined
   * once the epoch ended or the client's generation moved on (the same test as {@link commit}).
   */
  groupMetadata(epoch: number): GroupMetadata | undefined {
    const client = this.client;
    if (client === undefined || epoch !== this.epoch || client.generationId !== this.generation || !client.memberId) return undefined;
    const coordinatorId = client.coordinatorId;
    return { groupId: this.groupId, generationId: this.generation, memberId: client.memberId, ...(typeof coordinatorId === 'number' ? { coordinatorId } : {}) };
  }

  /**
   * Commits go through a second client that never joins the group, on connections of its own: the member's client
   * rejoins as soon as the coordinator announces a rebalance, and the broker holds that JoinGroup request until every
   * member rejoined; a commit queued behind it on the same connection would arrive after the generation moved on and
   * fail, so the records the engine completed just before the rebalance would be delivered again. On its own
   * connection the epoch's final commit arrives while the group still prepares the rebalance and is accepted. The
   * committer has no retries: the client would otherwise answer a rejoin error by joining the group with it.
   */
  private async committerClient(): Promise<PltConsumer> {
    if (this.committer !== undefined) return this.committer;
    const module = await this.module();
    this.committer ??= new module.Consumer({ ...this.clientOptions, groupId: this.groupId, retries: 0, autocommit: false });
    return this.committer;
  }

  /** Stops fetching, waits for the batches in delivery (the engine ends them in time) and leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loop;
    this.loop = undefined;
    await Promise.allSettled([...this.deliveries]);
    this.revoking ??= Promise.resolve();
    this.owned = new Map();
    await this.client?.leaveGroup().catch((error: unknown) => this.logger.warn('Leaving the group failed; the coordinator removes the member after the session timeout', { error }));
  }

  /** Stops (if running) and closes the client and the fetch connections. */
  async disconnect(): Promise<void> {
    await this.stop();
    const client = this.client;
    const pool = this.pool;
    this.client = undefined;
    this.pool = undefined;
    const committer = this.committer;
    this.committer = undefined;
    await client?.close(true).catch((error: unknown) => this.logger.debug('Closing the Kafka consumer failed', { error }));
    await committer?.close(true).catch(() => undefined);
    await pool?.close().catch(() => undefined);
  }

  /** Pauses topic-partitions: they are left out of fetches; records of them already fetched are dropped. */
  pause(topics: readonly TopicPartitions[]): void {
    for (const t of topics) {
      if (t.partitions === undefined) this.pausedTopics.add(t.topic);
      else for (const p of t.partitions) this.paused.add(tpKey(t.topic, p));
    }
  }

  /** Resumes topic-partitions: the next fetch starts at the first record the engine has not advanced over. */
  resume(topics: readonly TopicPartitions[]): void {
    for (const t of topics) {
      if (t.partitions === undefined) {
        this.pausedTopics.delete(t.topic);
        for (const key of [...this.paused]) if (key.startsWith(`${t.topic}\u0000`)) this.paused.delete(key);
        continue;
      }
      if (this.pausedTopics.delete(t.topic)) {
        // The whole topic was paused: the partitions not named stay paused.
        for (const o of this.owned.values()) if (o.topic === t.topic) this.paused.add(o.key);
      }
      for (const p of t.partitions) this.paused.delete(tpKey(t.topic, p));
    }
    this.wake();
  }

  /** Registers a listener for a failure the client does not recover from (its rejoin retries ran out, ...). */
  onCrash(listener: (error: unknown) => void): void {
    this.crashListeners.push(listener);
  }

  /** Partitions without a committed offset for this group. */
  async uncommittedPartitions(partitions: readonly TopicPartition[]): Promise<TopicPartition[]> {
    const committed = await this.connected().listCommittedOffsets({ topics: byTopic(partitions) });
    return partitions.filter((p) => {
      const offset = committed.get(p.topic)?.[p.partition];
      return offset === undefined || offset < 0n;
    });
  }

  private connected(): PltConsumer {
    if (this.client === undefined) throw new Error('The consumer is not connected: call connect() first');
    return this.client;
  }

  private joined(payload: PltJoinPayload): void {
    // A rejoin the client started without a rebalance notice (an unknown member, an illegal generation): the old
    // epoch ends now; its uncommitted offsets are refused as stale and their records delivered again.
    if (this.revoking === undefined && this.epoch > 0) void this.endEpoch();
    this.epoch += 1;
    this.generation = payload.generationId ?? this.client?.generationId ?? -1;
    this.revoking = undefined;
    const partitions: TopicPartition[] = [];
    for (const a of payload.assignments ?? []) for (const partition of a.partitions) partitions.push({ topic: a.topic, partition });
    this.owned = new Map(partitions.map((p) => [tpKey(p.topic, p.partition), { ...p, key: tpKey(p.topic, p.partition), position: undefined, outOfRange: false, busy: false }]));
    this.listener?.onAssigned?.(this.epoch, partitions);
    this.wake();
  }

  /**
   * Rejoins the group until it works (backing off up to `reconnectMaxDelayMs`), ending the current epoch first; after
   * {@link MAX_REJOIN_ATTEMPTS} failed attempts the member reports a crash.
   */
  private rejoin(): Promise<void> {
    this.rejoining ??= (async () => {
      void this.endEpoch();
      let lastError: unknown;
      for (let attempt = 1; attempt <= MAX_REJOIN_ATTEMPTS; attempt++) {
        if (this.stopping || this.client === undefined) return;
        // The client caches the group coordinator for its lifetime (1.35 never looks it up again): when joining keeps
        // failing, the coordinator may have moved (its broker died). A new client finds the current one.
        if (attempt > REPLACE_CLIENT_AFTER) await this.replaceClient();
        const client = this.client;
        if (this.stopping || client === undefined) return;
        try {
          await client.joinGroup({
            sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
            rebalanceTimeout: this.options.rebalanceTimeoutMs ?? 60_000,
            heartbeatInterval: this.options.heartbeatIntervalMs ?? 3_000,
          });
          this.logger.info('Rejoined the group', { attempts: attempt });
          return;
        } catch (error) {
          lastError = error;
          this.logger.debug('Rejoining the group failed', { error, attempt });
          await new Promise((resolve) => setTimeout(resolve, Math.min(300 * 2 ** attempt, this.options.reconnectMaxDelayMs ?? 3_000)));
        }
      }
      this.crash(lastError);
    })().finally(() => {
      this.rejoining = undefined;
    });
    return this.rejoining;
  }

  /** A new client for this member (a new member id); the old one is closed without waiting for it. */
  private async replaceClient(): Promise<void> {
    const module = await this.module();
    const old = this.client;
    if (old === undefined || this.stopping) return;
    this.client = this.createClient(module);
    this.logger.warn('Replacing the Kafka consumer client (joining the group kept failing)');
    void old.close(true).catch(() => undefined);
  }

  /** Ends the epoch once: lets the engine commit what it completed (bounded); batches of it stop being current. */
  private endEpoch(): Promise<void> {
    this.revoking ??= revokeBounded(this.listener, this.epoch, this.options.revokeTimeoutMs ?? 5_000, this.logger);
    return this.revoking;
  }

  private crash(error: unknown): void {
    if (this.stopping || this.crashed) return;
    this.crashed = true;
    this.stopping = true;
    this.wake();
    for (const listener of this.crashListeners) listener(error);
  }

  private wake(): void {
    const wake = this.wakeUp;
    this.wakeUp = undefined;
    wake?.();
  }

  /** Waits `ms` or until something changed (a join, a resume, a delivery done, stop). */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        if (this.wakeUp === done) this.wakeUp = undefined;
        resolve();
      }, ms);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const previous = this.wakeUp;
      this.wakeUp = previous === undefined ? done : () => (previous(), done());
    });
  }

  private isPaused(o: { topic: string; key: string }): boolean {
    return this.pausedTopics.has(o.topic) || this.paused.has(o.key);
  }

  private async fetchLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const epoch = this.epoch;
      // Partitions in delivery are left out of fetches, so fetching the others meanwhile (prefetch) keeps at most one
      // fetched batch per owned partition in memory.
      if (this.revoking !== undefined || this.owned.size === 0) {
        await this.sleep(200);
        continue;
      }
      try {
        await this.initPositions(epoch);
        if (epoch !== this.epoch || this.stopping) continue;
        const ready = [...this.owned.values()].filter((o) => !o.busy && o.position !== undefined && !this.isPaused(o));
        if (ready.length === 0) {
          await this.sleep(200);
          continue;
        }
        await this.fetchOnce(epoch, ready);
        if (failures > 0) this.logger.info('Fetching works again', { after: failures });
        failures = 0;
      } catch (error) {
        if (this.stopping) break;
        failures += 1;
        if (failures === 1) this.logger.warn('Fetching failed; retrying', { error });
        else this.logger.debug('Fetching failed again', { error, failures });
        this.client?.clearMetadata();
        await this.sleep(Math.min(100 * 2 ** failures, this.options.reconnectMaxDelayMs ?? 3_000));
      }
    }
  }

  /** Reads the start positions of owned partitions that have none: the committed offset, else earliest/latest. */
  private async initPositions(epoch: number): Promise<void> {
    const missing = [...this.owned.values()].filter((o) => o.position === undefined);
    if (missing.length === 0) return;
    const client = this.connected();
    const found = new Map<string, bigint>();
    const fromCommit = missing.filter((o) => !o.outOfRange);
    if (fromCommit.length > 0) {
      const committed = await client.listCommittedOffsets({ topics: byTopic(fromCommit) });
      for (const o of fromCommit) {
        const offset = committed.get(o.topic)?.[o.partition];
        if (offset !== undefined && offset >= 0n) found.set(o.key, offset);
      }
    }
    const rest = missing.filter((o) => !found.has(o.key));
    if (rest.length > 0) {
      const partitions: Record<string, number[]> = {};
      for (const o of rest) (partitions[o.topic] ??= []).push(o.partition);
      const offsets = await client.listOffsets({ topics: Object.keys(partitions), partitions, timestamp: this.fromBeginning ? -2n : -1n });
      for (const o of rest) {
        const offset = offsets.get(o.topic)?.[o.partition];
        if (offset !== undefined && offset >= 0n) found.set(o.key, offset);
      }
    }
    if (epoch !== this.epoch) return;
    for (const o of missing) {
      const offset = found.get(o.key);
      if (offset === undefined || this.owned.get(o.key) !== o) continue;
      if (o.outOfRange) this.logger.warn('Fetch position out of range; continuing from the ' + (this.fromBeginning ? 'earliest' : 'latest') + ' offset', { topic: o.topic, partition: o.partition, offset: offset.toString() });
      o.position = offset;
      o.outOfRange = false;
    }
  }

  /** One fetch of the ready partitions (one request per leader, in parallel); hands out what came back. */
  private async fetchOnce(epoch: number, ready: Owned[]): Promise<void> {
    const client = this.connected();
    const metadata = await client.metadata({ topics: [...new Set(ready.map((o) => o.topic))] });
    const names = new Map<string, string>();
    const requested = new Map<string, bigint>();
    const byLeader = new Map<number, Map<string, PltFetchTopic>>();
    for (const o of ready) {
      const topic = metadata.topics.get(o.topic);
      const leader = topic?.partitions[o.partition]?.leader;
      if (topic === undefined || leader === undefined || leader < 0 || o.position === undefined) continue;
      names.set(topic.id, o.topic);
      requested.set(o.key, o.position);
      let topics = byLeader.get(leader);
      if (topics === undefined) byLeader.set(leader, (topics = new Map()));
      let entry = topics.get(topic.id);
      if (entry === undefined) topics.set(topic.id, (entry = { topicId: topic.id, partitions: [] }));
      entry.partitions.push({
        partition: o.partition,
        fetchOffset: o.position,
        partitionMaxBytes: this.options.maxBytesPerPartition ?? 1024 * 1024,
        currentLeaderEpoch: -1,
        lastFetchedEpoch: -1,
      });
    }
    if (byLeader.size === 0) throw new Error('No leader known for the assigned partitions');
    const answers = await Promise.allSettled(
      [...byLeader].map(([node, topics]) =>
        client.fetch({
          node,
          topics: [...topics.values()],
          maxWaitTime: this.options.maxWaitTimeMs ?? 500,
          minBytes: this.options.minBytes ?? 1,
          maxBytes: this.options.maxBytes ?? 10 * 1024 * 1024,
          isolationLevel: READ_COMMITTED,
          ...(this.pool === undefined ? {} : { connectionPool: this.pool }),
        }),
      ),
    );
    let failure: unknown;
    let answered = 0;
    for (const answer of answers) {
      // A partition-level error comes as a rejection that carries the whole response: use its good partitions.
      const response = answer.status === 'fulfilled' ? answer.value : (answer.reason as { response?: PltFetchResponse } | null)?.response;
      if (answer.status === 'rejected') failure ??= answer.reason;
      if (response?.responses === undefined) continue;
      answered += 1;
      this.take(epoch, response, names, requested);
    }
    if (failure !== undefined) {
      // A leader that did not answer may be gone: read the metadata again before the next fetch (the client would
      // otherwise keep sending that leader's partitions to it until its cached metadata expires).
      client.clearMetadata();
      if (answered === 0) throw failure;
      this.logger.debug('Part of a fetch failed; those partitions are fetched again', { error: failure });
    }
  }

  private take(epoch: number, response: PltFetchResponse, names: Map<string, string>, requested: Map<string, bigint>): void {
    for (const t of response.responses) {
      const topic = names.get(t.topicId);
      if (topic === undefined) continue;
      for (const p of t.partitions) {
        const key = tpKey(topic, p.partitionIndex);
        const o = this.owned.get(key);
        const from = requested.get(key);
        // Stale (another epoch, or the position moved meanwhile) or paused meanwhile: dropped, fetched again later.
        if (o === undefined || from === undefined || epoch !== this.epoch || this.revoking !== undefined || o.position !== from || o.busy || this.isPaused(o)) continue;
        if (p.errorCode === OFFSET_OUT_OF_RANGE) {
          o.position = undefined;
          o.outOfRange = true;
          continue;
        }
        if (p.errorCode !== 0) {
          this.client?.clearMetadata();
          continue;
        }
        const { records, next } = toRecords(topic, p.partitionIndex, p.records ?? [], from);
        if (records.length === 0) {
          // Only transaction markers or records before the position: move past them.
          if (next !== undefined && next > from) o.position = next;
          continue;
        }
        this.deliver(epoch, o, records, next ?? from, p.highWatermark.toString());
      }
    }
  }

  /** Hands one partition's records to the engine (at most `partitionsConsumedConcurrently` at a time). */
  private deliver(epoch: number, o: Owned, records: ConsumedRecord[], next: bigint, highWatermark: string): void {
    const listener = this.listener;
    if (listener === undefined) return;
    o.busy = true;
    this.pending += 1;
    const current = (): boolean => epoch === this.epoch && this.revoking === undefined && !this.stopping;
    const last = BigInt((records[records.length - 1] as ConsumedRecord).offset);
    const work = (async () => {
      await this.permit();
      try {
        if (!current()) return;
        let advanced: bigint | undefined;
        const batch: RecordBatch = {
          topic: o.topic,
          partition: o.partition,
          records,
          epoch,
          highWatermark,
          heartbeat: async () => {
            // The client heartbeats on its own timer; a rebalance it noticed has ended the epoch.
            if (!current()) throw new RebalanceInProgressError('The assignment ended (rebalance)');
          },
          advance: (offset) => {
            const at = BigInt(offset);
            if (advanced === undefined || at > advanced) advanced = at;
          },
          isCurrent: current,
        };
        await listener.onBatch(batch);
        // Records not advanced over are fetched again (seek back); past the last one, continue after the batch.
        if (advanced !== undefined && epoch === this.epoch && this.owned.get(o.key) === o) o.position = advanced >= last ? next : advanced + 1n;
      } finally {
        this.release();
        o.busy = false;
        this.pending -= 1;
        this.wake();
      }
    })();
    this.deliveries.add(work);
    void work.finally(() => this.deliveries.delete(work));
  }

  private permit(): Promise<void> {
    if (this.permits > 0) {
      this.permits -= 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.waitingForPermit.push(resolve));
  }

  private release(): void {
    const next = this.waitingForPermit.shift();
    if (next !== undefined) next();
    else this.permits += 1;
  }
}
