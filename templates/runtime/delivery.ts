import { AttemptContext, OK, type AttemptResult, type Watch } from './attempt.js';
import { OffsetCommitter } from './commit.js';
import { DeadLetterWriter, type PartitionControl } from './dead-letter-writer.js';
import type { RetryPolicy } from './definitions.js';
import type { Route, TopicDelegator, UnknownEventTypePolicy } from './delegator.js';
import { HEADERS, decodeEnvelope, type Envelope, type EnvelopeMigration } from './envelope.js';
import { ConsumerStoppingError, EventError, HandlerTimeoutError, UnknownEventTypeError, isRetriable, toError } from './errors.js';
import { decodeHeaders } from './headers.js';
import type { Logger } from './logger.js';
import type { MetricLabels, Metrics } from './metrics.js';
import { BatchClaims, Leases } from './leases.js';
import { FailureMemory, PartitionState } from './partition-state.js';
import type { ClaimState, ProcessedStore } from './processed-store.js';
import { backoffDelay, sleepWithHeartbeat, type RandomSource, type Sleep } from './retry.js';
import { RebalanceInProgressError, tpKey, type CommitPolicy, type ConsumedRecord, type DeliveryListener, type RecordBatch, type TopicPartition, type TransportConsumer, type TransportProducer } from './transport.js';

/** Settings of the {@link DeliveryEngine} (resolved from the group consumer's options). */
export interface DeliverySettings {
  groupId: string;
  logger: Logger;
  metrics: Metrics;
  store: ProcessedStore | null;
  /** This member's lease owner token. */
  owner: string;
  leaseMs: number;
  migrateEnvelope: EnvelopeMigration | undefined;
  isRetriable: ((error: unknown) => boolean) | undefined;
  handlerTimeoutMs: number;
  heartbeatIntervalMs: number;
  retryPauseThresholdMs: number;
  unknownEventTypes: UnknownEventTypePolicy;
  deadLetterAttempts: number;
  deadLetterRetry: RetryPolicy;
  deadLetterStackTraces: boolean;
  storeRetry: RetryPolicy;
  sleep: Sleep | undefined;
  random: RandomSource | undefined;
}

/** The transport pieces the engine drives. */
export interface DeliveryIo {
  consumer(): TransportConsumer | undefined;
  deadLetterProducer(): TransportProducer | undefined;
  commitPolicy(): CommitPolicy;
}

/** A record of a batch, decoded once, with what the engine will do with it. */
export class Item {
  private decoded: Record<string, string> | undefined;

  constructor(
    readonly record: ConsumedRecord,
    readonly envelope: Envelope | undefined,
    readonly error: unknown,
    /** `handle` = a route matches (the only records that are claimed in the processed store). */
    readonly action: 'handle' | 'ignore' | 'unknown' | 'undecodable',
    /** The route, when `handle`. */
    readonly target: Route | undefined,
    decoded?: Record<string, string>,
  ) {
    this.decoded = decoded;
  }

  /** The record's headers as text, decoded on first use (most records never need them). */
  get headers(): Record<string, string> {
    this.decoded ??= decodeHeaders(this.record.headers);
    return this.decoded;
  }
}

const NO_HEADERS: Record<string, string> = Object.freeze(Object.create(null) as Record<string, string>);

type Step = 'next' | 'leave';

/**
 * How long a handler attempt running when its partition is revoked may still finish and count (kafkajs rejoins only
 * after the batch returns, and members have `rebalanceTimeoutMs` to rejoin); after it the attempt is left running
 * in the background, its lease held, and the batch returns.
 */
const REVOKE_GRACE_MS = 2_000;

/** Most records given to one `handleBatch` call. */
const MAX_HANDLER_BATCH = 100;
const CONTINUE: Step = 'next';
const LEAVE: Step = 'leave';

/**
 * The delivery engine: one {@link PartitionState} per assigned partition and one place that decides, for every
 * record, between handling, retrying (in place for short delays, pausing the partition for long ones),
 * dead-lettering, waiting for a dedup lease, halting, and what may be committed. Transports only fetch, pause,
 * heartbeat and commit.
 */
export class DeliveryEngine implements DeliveryListener {
  readonly committer: OffsetCommitter;
  readonly partitions = new Map<string, PartitionState>();
  readonly failures = new FailureMemory();
  /** Records handled successfully since start. */
  processed = 0;
  /** Last error seen, for health. */
  lastError: { error: unknown; where?: { topic: string; partition: number; offset: string } } | undefined;
  private epoch = -1;
  private assigned: TopicPartition[] = [];
  private stopping = false;
  private stopDeadline = Number.POSITIVE_INFINITY;
  private readonly batches = new Set<Promise<void>>();
  private readonly watches = new Set<Watch>();
  private readonly leases: Leases | undefined;
  private readonly zombies = new Map<string, Promise<AttemptResult>>();
  private readonly labels = new Map<string, Map<string, MetricLabels>>();
  private labelCount = 0;
  private readonly unknownLogged = new Set<string>();
  private readonly dlq: DeadLetterWriter;

  constructor(
    private readonly delegators: ReadonlyMap<string, TopicDelegator>,
    private readonly settings: DeliverySettings,
    private readonly io: DeliveryIo,
  ) {
    this.committer = new OffsetCommitter(io.consumer, io.commitPolicy, settings.logger);
    this.dlq = new DeadLetterWriter(settings, io.deadLetterProducer, this.failures);
    this.leases = settings.store === null ? undefined : new Leases(settings.store, settings.groupId, settings.owner, settings.leaseMs, settings.logger);
  }

  /** Partitions owned in the current epoch. */
  get assignedPartitions(): readonly TopicPartition[] {
    return this.assigned;
  }

  onAssigned(epoch: number, partitions: readonly TopicPartition[]): void {
    this.epoch = epoch;
    this.assigned = [...partitions];
    this.committer.setEpoch(epoch);
    const owned = new Set(partitions.map((p) => tpKey(p.topic, p.partition)));
    const lost: string[] = [];
    for (const [key, state] of this.partitions) {
      if (owned.has(key)) continue;
      state.clearTimer();
      // A record waiting for a retry here is the next owner's now: give up its lease (unless a handler still runs).
      if (state.eventId !== undefined && state.offset !== undefined && !this.zombies.has(`${state.topic}\u0000${state.partition}\u0000${state.offset}`)) lost.push(state.eventId);
      this.partitions.delete(key);
    }
    if (lost.length > 0) void this.leases?.release(lost);
    for (const p of partitions) this.state(p.topic, p.partition).epoch = epoch;
    this.settings.logger.info('Partitions assigned', { epoch, partitions: partitions.length });
  }

  /**
   * The epoch ends: let the batches in flight stop (they see `isCurrent()` false; a running handler gets a short
   * grace, see `revokeGraceMs`), then commit everything they completed while this member still owns the partitions.
   */
  async onRevoking(epoch: number): Promise<void> {
    if (epoch !== this.epoch) return;
    if (this.batches.size > 0) await Promise.race([Promise.allSettled([...this.batches]), delay(REVOKE_GRACE_MS + 500)]);
    await this.committer.flush().catch(() => undefined);
  }

  onBatch(batch: RecordBatch): Promise<void> {
    const work = this.processBatch(batch).catch((error: unknown) => {
      // Never reject into the transport for a record-level failure; anything here is a bug or a lost epoch.
      if (!(error instanceof RebalanceInProgressError)) this.settings.logger.error('Batch processing failed; its records are fetched again', { topic: batch.topic, partition: batch.partition, error });
    });
    this.batches.add(work);
    void work.finally(() => this.batches.delete(work));
    return work;
  }

  /** Stop: no new records; in-flight attempts may finish until `deadline`; failures are left uncommitted. */
  beginStop(deadline: number): void {
    this.stopping = true;
    this.stopDeadline = deadline;
    for (const watch of this.watches) watch.context.abort(new ConsumerStoppingError());
  }

  /** Resolves when every batch returned (or the stop deadline passed). */
  async drain(): Promise<void> {
    const remaining = this.stopDeadline - Date.now();
    if (this.batches.size === 0) return;
    await Promise.race([Promise.allSettled([...this.batches]), delay(Math.max(0, remaining))]);
  }

  /** Clears every timer and in-memory state (after stop or a crash). */
  dispose(): void {
    for (const state of this.partitions.values()) state.clearTimer();
    this.leases?.dispose();
    this.committer.clear();
    this.dlq.dispose();
    this.watches.clear();
  }

  /** Resumes a halted partition; its record is tried again from attempt 1. */
  resumePartition(topic: string, partition: number): boolean {
    const state = this.partitions.get(tpKey(topic, partition));
    if (state === undefined || state.phase !== 'halted') return false;
    if (state.offset !== undefined) this.failures.delete(topic, partition, state.offset);
    const resume = state.resume;
    state.idle();
    state.resume = undefined;
    resume?.();
    return true;
  }

  private state(topic: string, partition: number): PartitionState {
    const key = tpKey(topic, partition);
    let state = this.partitions.get(key);
    if (state === undefined) this.partitions.set(key, (state = new PartitionState(topic, partition)));
    return state;
  }

  /** One frozen label set per topic and event type (metrics key them once); at most 1000 event types, then `other`. */
  private labelsFor(topic: string, eventType: string): MetricLabels {
    let byType = this.labels.get(topic);
    if (byType === undefined) this.labels.set(topic, (byType = new Map()));
    let labels = byType.get(eventType);
    if (labels === undefined) {
      const capped = this.labelCount >= 1000;
      labels = capped ? (byType.get('\u0000other') ?? Object.freeze({ group: this.settings.groupId, topic, event_type: 'other' })) : Object.freeze({ group: this.settings.groupId, topic, event_type: eventType });
      if (capped) byType.set('\u0000other', labels);
      else {
        byType.set(eventType, labels);
        this.labelCount += 1;
      }
    }
    return labels;
  }

  private async processBatch(batch: RecordBatch): Promise<void> {
    if (this.stopping || !batch.isCurrent()) return;
    const delegator = this.delegators.get(batch.topic);
    if (delegator === undefined) throw new Error(`Group '${this.settings.groupId}' received a record of unsubscribed topic '${batch.topic}'`);
    const m = this.state(batch.topic, batch.partition);
    m.epoch = batch.epoch;
    const items = batch.records.map((record) => this.decode(record, delegator));
    const ticker = setInterval(() => this.tick(batch, m), this.tickMs(delegator));
    const leases = this.leases;
    const claims =
      leases === undefined
        ? undefined
        : new BatchClaims(
            items.map((i) => (i.action === 'handle' ? i.envelope?.metadata.eventId : undefined)),
            leases,
            (operation) => this.withStore(m, batch, m.offset ?? items[0]?.record.offset ?? '0', operation),
          );
    let finished = 0;
    try {
      const completed = new Set<string>();
      // Outcomes of records a batch handler already handled (their first attempt), by index.
      const handledInBatch = new Map<number, AttemptResult>();
      for (let i = 0; i < items.length; i++) {
        if (this.stopping || !batch.isCurrent()) break;
        if (claims !== undefined && !(await claims.ensure(i))) break;
        const item = items[i] as Item;
        const id = item.action === 'handle' ? item.envelope?.metadata.eventId : undefined;
        // The same event id twice in one batch: the claim said `acquired` for both; the second is a duplicate.
        const claim = id !== undefined && completed.has(id) ? 'done' : claims?.state(i);
        if (!handledInBatch.has(i) && claim !== 'done' && claim !== 'held' && item.target?.kind === 'exact' && item.target.invokeBatch !== undefined) {
          const group = this.batchable(items, i, claims, completed);
          if (group.length > 1) {
            const results = await this.runBatch(m, batch, delegator, item.target, group.map((k) => items[k] as Item));
            if (results === undefined) break;
            group.forEach((k, n) => handledInBatch.set(k, results[n] as AttemptResult));
          }
        }
        const first = handledInBatch.get(i);
        const step =
          first === undefined && claim !== 'done' && claim !== 'held' && item.action === 'handle' && this.zombies.size === 0 && this.failures.empty && !this.stopping
            ? await this.fastRecord(m, delegator, item, batch)
            : await this.processRecord(m, delegator, item, claim, batch, claims === undefined ? undefined : () => claims.refresh(i).then((ok) => (ok ? claims.state(i) : undefined)), first);
        if (id !== undefined) completed.add(id);
        if (step === LEAVE) break;
        finished = i + 1;
        batch.advance(item.record.offset);
        this.committer.mark(batch.topic, batch.partition, nextOffset(item.record.offset), batch.epoch);
      }
    } finally {
      clearInterval(ticker);
      // Leases of records this batch did not reach: give them up so another owner does not wait for them. The
      // record it stopped at keeps its lease while it waits for a retry here, or while its handler still runs.
      if (claims !== undefined && leases !== undefined) {
        await leases.flushDeferred().catch((error: unknown) => this.settings.logger.warn('Marking events done failed', { error }));
        const left = this.stopping || !batch.isCurrent();
        const keepCurrent = !left || this.zombies.has(recordKey(items[finished]?.record));
        await leases.release(claims.acquiredFrom(keepCurrent ? finished + 1 : finished));
      }
    }
    if (this.io.commitPolicy().intervalMs === 0 && this.committer.hasPending) await this.committer.flush().catch(() => undefined);
  }

  private decode(record: ConsumedRecord, delegator: TopicDelegator): Item {
    // Headers are decoded up front only for a migration hook (it reads them); otherwise on first use.
    const migrate = this.settings.migrateEnvelope;
    const headers = migrate === undefined ? undefined : decodeHeaders(record.headers);
    let envelope: Envelope;
    try {
      envelope = decodeEnvelope(record.value, headers ?? NO_HEADERS, migrate, record);
    } catch (error) {
      return new Item(record, undefined, error, 'undecodable', undefined, headers);
    }
    const type = envelope.metadata.eventType;
    if (delegator.ignores(type)) return new Item(record, envelope, undefined, 'ignore', undefined, headers);
    const target = delegator.resolve(type);
    return new Item(record, envelope, undefined, target === undefined ? 'unknown' : 'handle', target, headers);
  }

  /**
   * The common case with fewer promise hops: a routable record nobody else holds, no failure remembered. The first
   * attempt's success is booked synchronously when the store needs no awaited call; anything else continues on the
   * general path from that attempt's result.
   */
  private fastRecord(m: PartitionState, delegator: TopicDelegator, item: Item, batch: RecordBatch): Promise<Step> {
    const envelope = item.envelope as Envelope;
    const target = item.target as Route;
    const labels = this.labelsFor(item.record.topic, envelope.metadata.eventType);
    const started = performance.now();
    this.settings.metrics.increment('received', labels);
    m.enter('handling', item.record.offset, '', 1);
    m.eventId = envelope.metadata.eventId;
    const context = new AttemptContext(item.record, item, envelope.metadata, 1, this.settings.logger);
    const observe = (): void => this.settings.metrics.observeProcessingTime((performance.now() - started) / 1000, labels);
    return this.run(target, envelope.data, context, delegator.handlerTimeoutMs ?? this.settings.handlerTimeoutMs).then((result) => {
      const leases = this.leases;
      if (result.kind === 'ok' && (leases === undefined || leases.deferrable)) {
        leases?.completeLater(envelope.metadata.eventId);
        m.idle();
        this.processed += 1;
        this.settings.metrics.increment('processed', labels);
        observe();
        return CONTINUE;
      }
      return this.attempts(m, batch, delegator, target, item, 0, labels, result).finally(observe);
    });
  }

  /** Handles one record until it completed (`next`) or the batch must be left (`leave`: retry later, halt, stop, revoke). */
  private async processRecord(
    m: PartitionState,
    delegator: TopicDelegator,
    item: Item,
    claim: ClaimState | undefined,
    batch: RecordBatch,
    reclaim: (() => Promise<ClaimState | undefined>) | undefined,
    first?: AttemptResult,
  ): Promise<Step> {
    const { record, envelope } = item;
    const started = performance.now();
    const eventType = envelope?.metadata.eventType ?? item.headers[HEADERS.eventType] ?? 'unknown';
    const labels = this.labelsFor(record.topic, eventType);
    this.settings.metrics.increment('received', labels);
    try {
      if (envelope === undefined) return await this.dlq.fail(this.ctl(m, batch), delegator, item, { error: item.error, attempts: 1, retriable: false }, labels);
      const { eventId } = envelope.metadata;
      const zombie = this.zombies.size === 0 ? undefined : this.zombies.get(recordKey(record));
      if (zombie !== undefined) {
        // An attempt of an earlier epoch is still running here: its outcome decides.
        const result = await this.waitFor(m, batch, zombie);
        if (result === undefined) return LEAVE;
        if (result.kind === 'ok') return await this.succeeded(m, batch, item, labels);
      }
      if (claim === 'done') {
        this.settings.metrics.increment('duplicates_skipped', labels);
        this.settings.logger.debug('Duplicate event skipped', recordFields(item));
        return CONTINUE;
      }
      if (claim === 'held' && reclaim !== undefined) {
        const got = await this.waitForLease(m, batch, item, reclaim);
        if (got === undefined) return LEAVE;
        if (got === 'done') {
          this.settings.metrics.increment('duplicates_skipped', labels);
          return CONTINUE;
        }
      }
      if (item.action === 'ignore') {
        this.settings.metrics.increment('ignored', labels);
        return CONTINUE;
      }
      const target = item.target;
      if (target === undefined) return await this.unknownType(m, batch, delegator, item, labels);
      m.eventId = eventId;
      const remembered = this.failures.get(record.topic, record.partition, record.offset);
      if (remembered?.terminal !== undefined) {
        const t = remembered.terminal;
        return await this.dlq.fail(this.ctl(m, batch), delegator, item, { error: t.error, attempts: remembered.attempts, retriable: t.retriable }, labels);
      }
      if (first?.kind === 'ok') return await this.succeeded(m, batch, item, labels, true);
      return await this.attempts(m, batch, delegator, target, item, remembered?.attempts ?? 0, labels, first);
    } finally {
      this.settings.metrics.observeProcessingTime((performance.now() - started) / 1000, labels);
    }
  }

  /** Attempts the handler until it succeeds or the failure is terminal; `first` = attempt 1 already made by a batch handler. */
  private async attempts(m: PartitionState, batch: RecordBatch, delegator: TopicDelegator, target: Route, item: Item, done: number, labels: MetricLabels, first?: AttemptResult): Promise<Step> {
    const { record } = item;
    const envelope = item.envelope as Envelope;
    const maxAttempts = delegator.retry.maxRetries + 1;
    const timeoutMs = delegator.handlerTimeoutMs ?? this.settings.handlerTimeoutMs;
    for (let attempt = done + 1; ; attempt++) {
      m.enter('handling', record.offset, '', attempt);
      let result: AttemptResult;
      if (first !== undefined && attempt === done + 1) result = first;
      else {
        const context = new AttemptContext(record, item, envelope.metadata, attempt, this.settings.logger);
        if (this.stopping) context.abort(new ConsumerStoppingError());
        result = await this.run(target, envelope.data, context, timeoutMs);
      }
      if (result.kind === 'ok') return await this.succeeded(m, batch, item, labels);
      this.settings.metrics.increment('failed', labels);
      if (result.kind === 'revoked' || result.kind === 'abandoned') {
        m.idle();
        return LEAVE;
      }
      const error = result.kind === 'timeout' ? new HandlerTimeoutError(timeoutMs) : result.error;
      this.lastError = { error, where: { topic: record.topic, partition: record.partition, offset: record.offset } };
      // Stopping: never dead-letter; the next owner handles the record again.
      if (this.stopping) {
        m.idle();
        this.settings.logger.info('Handler failed while stopping; record left uncommitted for the next owner', { ...recordFields(item), error });
        return LEAVE;
      }
      const retriable = this.classify(delegator, error);
      const memory = this.failures.upsert(record.topic, record.partition, record.offset);
      memory.attempts = attempt;
      if (!retriable || attempt >= maxAttempts) return await this.dlq.fail(this.ctl(m, batch), delegator, item, { error, attempts: attempt, retriable }, labels);
      const delayMs = backoffDelay(delegator.retry, attempt, this.settings.random);
      this.settings.metrics.increment('retried', labels);
      m.enter('retrying', record.offset, toError(error).message, attempt);
      m.nextAttemptAt = Date.now() + delayMs;
      this.settings.logger.warn('Handler failed; retrying', { ...recordFields(item), attempt, delayMs, error });
      if (delayMs > this.settings.retryPauseThresholdMs) {
        this.pauseFor(m, batch, delayMs);
        return LEAVE;
      }
      if (!(await this.wait(batch, delayMs))) return LEAVE;
    }
  }

  private async succeeded(m: PartitionState, batch: RecordBatch, item: Item, labels: MetricLabels, markedDone = false): Promise<Step> {
    const eventId = (item.envelope as Envelope).metadata.eventId;
    const leases = this.leases;
    if (leases !== undefined && !markedDone) {
      if (leases.deferrable) leases.completeLater(eventId); // in-process store: marked at the end of the batch
      else {
        // The mark must land before the commit: a redelivery then finds the event done. If the store is down the
        // partition waits (fail closed); when stopping, the offset is committed anyway (the effect happened).
        const ok = await this.withStore(m, batch, item.record.offset, () => leases.complete(eventId), true);
        if (ok === undefined && !this.stopping) return LEAVE;
      }
    }
    this.failures.delete(item.record.topic, item.record.partition, item.record.offset);
    m.idle();
    this.processed += 1;
    this.settings.metrics.increment('processed', labels);
    return CONTINUE;
  }

  private async unknownType(m: PartitionState, batch: RecordBatch, delegator: TopicDelegator, item: Item, labels: MetricLabels): Promise<Step> {
    const envelope = item.envelope as Envelope;
    const policy = delegator.unknownEventTypes ?? this.settings.unknownEventTypes;
    const error = new UnknownEventTypeError(envelope.metadata.eventType, item.record.topic);
    if (policy === 'ignore') {
      this.settings.metrics.increment('ignored', labels);
      if (!this.unknownLogged.has(envelope.metadata.eventType)) {
        this.unknownLogged.add(envelope.metadata.eventType);
        this.settings.logger.warn('Unknown event type ignored (unknownEventTypes: ignore); logged once per type', recordFields(item));
      }
      return CONTINUE;
    }
    this.settings.metrics.increment('failed', labels);
    if (policy === 'halt') {
      this.halt(m, batch, item.record.offset, `unknown event type '${envelope.metadata.eventType}' (unknownEventTypes: halt)`);
      return LEAVE;
    }
    return this.dlq.fail(this.ctl(m, batch), delegator, item, { error, attempts: 1, retriable: false }, labels);
  }

  /** What the dead-letter writer may do to the partition. */
  private ctl(m: PartitionState, batch: RecordBatch): PartitionControl {
    return {
      state: m,
      stopping: () => this.stopping,
      halt: (offset, reason) => this.halt(m, batch, offset, reason),
      pauseFor: (ms) => this.pauseFor(m, batch, ms),
      completed: async (eventId) => {
        const leases = this.leases;
        if (leases === undefined || eventId === undefined) return;
        await this.withStore(m, batch, m.offset ?? '0', () => leases.complete(eventId), true);
      },
      failed: (error, where) => {
        this.lastError = { error, where };
      },
    };
  }

  /** Runs one handler attempt, watched by the batch ticker (timeout, revoke, stop deadline). */
  private run(target: Route, data: unknown, context: AttemptContext, timeoutMs: number): Promise<AttemptResult> {
    let promise: Promise<void>;
    try {
      promise = target.invoke(data, context);
    } catch (error) {
      return Promise.resolve({ kind: 'failed', error });
    }
    return new Promise<AttemptResult>((resolve) => {
      let open = true;
      const watch: Watch = {
        deadline: Date.now() + timeoutMs,
        context,
        settle: (result) => {
          if (!open) return;
          open = false;
          this.watches.delete(watch);
          if (result.kind === 'timeout' || result.kind === 'revoked' || result.kind === 'abandoned') this.zombie(context, promise);
          resolve(result);
        },
      };
      this.watches.add(watch);
      promise.then(
        () => watch.settle(OK),
        (error: unknown) => watch.settle({ kind: 'failed', error }),
      );
    });
  }

  /** A handler that outlived its attempt: keep its lease alive and let a redelivery here wait for its outcome. */
  private zombie(context: AttemptContext, promise: Promise<void>): void {
    const key = recordKey(context.record);
    const finished = promise.then(
      (): AttemptResult => OK,
      (error: unknown): AttemptResult => ({ kind: 'failed', error }),
    );
    this.zombies.set(key, finished);
    // Forgotten only once its outcome is in the store, so a redelivery in between waits for it.
    void finished.then(async (late) => {
      await this.zombieSettled(context, late);
      if (this.zombies.get(key) === finished) this.zombies.delete(key);
    });
  }

  /**
   * Records from `i` on that one `handleBatch` call may take together: consecutive, the same route, claimed by this
   * member (or no store), not failed before, no event id twice, at most {@link MAX_HANDLER_BATCH}.
   */
  private batchable(items: readonly Item[], i: number, claims: BatchClaims | undefined, completed: ReadonlySet<string>): number[] {
    const target = items[i]?.target;
    const ids = new Set<string>();
    const out: number[] = [];
    for (let k = i; k < items.length && out.length < MAX_HANDLER_BATCH; k++) {
      const item = items[k] as Item;
      const id = item.envelope?.metadata.eventId;
      if (item.action !== 'handle' || item.target !== target || id === undefined || ids.has(id) || completed.has(id)) break;
      if (claims !== undefined && claims.state(k) !== 'acquired') break;
      if (this.failures.get(item.record.topic, item.record.partition, item.record.offset) !== undefined) break;
      if (this.zombies.size > 0 && this.zombies.has(recordKey(item.record))) break;
      ids.add(id);
      out.push(k);
    }
    return out;
  }

  /**
   * One `handleBatch` call (attempt 1 of each record), watched like a single attempt. Successes are marked done in the
   * store at once (their effects happened, whatever happens to the records before them); undefined when the batch
   * must be left (stop deadline, partition lost: the records' leases expire on their own).
   */
  private async runBatch(m: PartitionState, batch: RecordBatch, delegator: TopicDelegator, target: Route & { kind: 'exact' }, group: Item[]): Promise<AttemptResult[] | undefined> {
    const invoke = target.invokeBatch;
    if (invoke === undefined) return undefined;
    const first = group[0] as Item;
    m.enter('handling', first.record.offset, '', 1);
    const contexts = group.map((item) => new AttemptContext(item.record, item, (item.envelope as Envelope).metadata, 1, this.settings.logger));
    if (this.stopping) for (const c of contexts) c.abort(new ConsumerStoppingError());
    const timeoutMs = delegator.handlerTimeoutMs ?? this.settings.handlerTimeoutMs;
    const all = await this.watch(contexts, timeoutMs, () => invoke(group.map((item, n) => ({ data: (item.envelope as Envelope).data, context: contexts[n] as AttemptContext }))));
    if (all.kind === 'revoked' || all.kind === 'abandoned') return undefined;
    const results: AttemptResult[] =
      all.kind === 'ok' ? all.value.map((e): AttemptResult => (e === undefined ? OK : { kind: 'failed', error: e })) : group.map((): AttemptResult => (all.kind === 'failed' ? { kind: 'failed', error: all.error } : { kind: 'timeout' }));
    const done = group.filter((_, n) => results[n]?.kind === 'ok').map((item) => (item.envelope as Envelope).metadata.eventId);
    const leases = this.leases;
    if (leases !== undefined && done.length > 0 && (await this.withStore(m, batch, first.record.offset, () => leases.completeAll(done), true)) === undefined && !this.stopping) return undefined;
    return results;
  }

  /** Runs `work` under a watch for several contexts (a batch handler): the result, or how the wait ended. */
  private watch<T>(contexts: AttemptContext[], timeoutMs: number, work: () => Promise<T>): Promise<{ kind: 'ok'; value: T } | { kind: 'failed'; error: unknown } | { kind: 'timeout' | 'revoked' | 'abandoned' }> {
    let promise: Promise<T>;
    try {
      promise = work();
    } catch (error) {
      return Promise.resolve({ kind: 'failed', error });
    }
    const lead = contexts[0] as AttemptContext;
    const all = Object.assign(Object.create(lead) as AttemptContext, { abort: (reason: unknown) => contexts.forEach((c) => c.abort(reason)) });
    return new Promise((resolve) => {
      let open = true;
      const finish = (result: { kind: 'ok'; value: T } | { kind: 'failed'; error: unknown } | { kind: 'timeout' | 'revoked' | 'abandoned' }): void => {
        if (!open) return;
        open = false;
        this.watches.delete(watch);
        resolve(result);
      };
      const watch: Watch = { deadline: Date.now() + timeoutMs, context: all, settle: (r) => (r.kind === 'ok' || r.kind === 'failed' ? undefined : finish(r)) };
      this.watches.add(watch);
      promise.then(
        (value) => finish({ kind: 'ok', value }),
        (error: unknown) => finish({ kind: 'failed', error }),
      );
    });
  }

  /**
   * A handler that outlived its attempt settled: record a success as done (so the next owner, waiting for the
   * lease, skips the event), or give up the lease after a failure unless this member is handling the record again.
   */
  private async zombieSettled(context: AttemptContext, result: AttemptResult): Promise<void> {
    const leases = this.leases;
    if (leases === undefined) return;
    const state = this.partitions.get(tpKey(context.topic, context.partition));
    const active = state !== undefined && state.phase !== 'idle' && state.offset === context.offset;
    if (result.kind === 'ok') await leases.complete(context.eventId).catch((error: unknown) => this.settings.logger.warn('Marking a late-finished event done failed', { eventId: context.eventId, error }));
    else if (!active) await leases.release([context.eventId]);
  }

  /** Every tick of a batch: heartbeat, time out attempts, notice a lost partition or the stop deadline. */
  private tick(batch: RecordBatch, m: PartitionState): void {
    const now = Date.now();
    for (const watch of this.watches) {
      if (watch.context.topic !== batch.topic || watch.context.partition !== batch.partition) continue;
      if (now >= this.stopDeadline) {
        watch.context.abort(new ConsumerStoppingError());
        watch.settle({ kind: 'abandoned' });
      } else if (now >= watch.deadline) {
        watch.context.abort(new HandlerTimeoutError(watch.deadline));
        watch.settle({ kind: 'timeout' });
      } else if (!batch.isCurrent()) {
        watch.revokedAt ??= now;
        if (now - watch.revokedAt >= REVOKE_GRACE_MS) {
          watch.context.abort(new RebalanceInProgressError('Partition revoked'));
          watch.settle({ kind: 'revoked' });
        }
      }
    }
    if (m.phase === 'idle' || !batch.isCurrent()) return;
    batch.heartbeat().catch((error: unknown) => {
      if (error instanceof RebalanceInProgressError) return; // isCurrent() turns false; the next tick settles
      this.settings.logger.debug('Heartbeat failed', { error });
    });
  }

  private tickMs(delegator: TopicDelegator): number {
    const timeout = delegator.handlerTimeoutMs ?? this.settings.handlerTimeoutMs;
    return Math.max(5, Math.min(1_000, this.settings.heartbeatIntervalMs, Math.ceil(timeout / 10)));
  }

  /** Waits in place (heartbeating); false when the wait was cut short by stop or a lost partition. */
  private async wait(batch: RecordBatch, ms: number): Promise<boolean> {
    const controller = new AbortController();
    const check = setInterval(() => {
      if (this.stopping || !batch.isCurrent()) controller.abort(new ConsumerStoppingError());
    }, Math.min(100, Math.max(5, ms)));
    try {
      const options = { heartbeat: () => batch.heartbeat(), intervalMs: this.settings.heartbeatIntervalMs, signal: controller.signal };
      await sleepWithHeartbeat(ms, this.settings.sleep === undefined ? options : { ...options, sleep: this.settings.sleep });
      return !this.stopping && batch.isCurrent();
    } catch {
      return false;
    } finally {
      clearInterval(check);
    }
  }

  /** Pauses the partition for `ms`; the record is fetched again when it resumes (attempts are remembered). */
  private pauseFor(m: PartitionState, batch: RecordBatch, ms: number): void {
    const consumer = this.io.consumer();
    const tp = [{ topic: batch.topic, partitions: [batch.partition] }];
    consumer?.pause(tp);
    m.clearTimer();
    m.timer = setTimeout(() => {
      m.timer = undefined;
      if (!this.stopping) consumer?.resume(tp);
    }, ms);
  }

  private halt(m: PartitionState, batch: RecordBatch, offset: string, reason: string): void {
    const consumer = this.io.consumer();
    const tp = [{ topic: batch.topic, partitions: [batch.partition] }];
    consumer?.pause(tp);
    m.clearTimer();
    m.enter('halted', offset, reason);
    m.resume = () => consumer?.resume(tp);
    this.settings.logger.error('Partition halted until resumed (resumePartition)', { topic: batch.topic, partition: batch.partition, offset, reason });
  }

  /** Runs a store call until it succeeds (fail closed); undefined when stop or a lost partition cut it short. */
  private async withStore<T>(m: PartitionState, batch: RecordBatch, offset: string, operation: () => Promise<T>, untilStop = false): Promise<{ value: T } | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        const value = await operation();
        if (m.phase === 'waiting-store') m.idle();
        return { value };
      } catch (error) {
        if (this.stopping || (!untilStop && !batch.isCurrent())) return undefined;
        m.enter('waiting-store', offset, `processed store unavailable: ${toError(error).message}`);
        this.lastError = { error, where: { topic: batch.topic, partition: batch.partition, offset } };
        const delayMs = backoffDelay(this.settings.storeRetry, Math.min(attempt, 30), this.settings.random);
        this.settings.logger.warn('Processed store unavailable; waiting', { attempt, delayMs, error });
        if (!(await this.wait(batch, delayMs))) return undefined;
      }
    }
  }

  /** Waits until another member's lease on the record's event ends: `acquired`, `done`, or undefined when cut short. */
  private async waitForLease(m: PartitionState, batch: RecordBatch, item: Item, reclaim: () => Promise<ClaimState | undefined>): Promise<'acquired' | 'done' | undefined> {
    const { record } = item;
    m.enter('waiting-lease', record.offset, 'dedup lease held by another member');
    this.settings.logger.info('Event is being processed by another member; waiting for its lease', recordFields(item));
    const pollMs = Math.max(50, Math.min(1_000, this.settings.leaseMs / 10));
    for (;;) {
      if (!(await this.wait(batch, pollMs))) return undefined;
      const state = await reclaim();
      if (state === undefined) return undefined;
      if (state !== 'held') {
        m.idle();
        return state;
      }
    }
  }

  private async waitFor(m: PartitionState, batch: RecordBatch, zombie: Promise<AttemptResult>): Promise<AttemptResult | undefined> {
    for (;;) {
      const result = await Promise.race([zombie, delay(100).then(() => undefined)]);
      if (result !== undefined) return result;
      if (this.stopping || !batch.isCurrent()) return undefined;
      void m;
    }
  }

  private classify(delegator: TopicDelegator, error: unknown): boolean {
    if (error instanceof EventError) return error.retriable;
    return (delegator.isRetriable ?? this.settings.isRetriable ?? isRetriable)(error);
  }
}

/** Log fields of a record: where it is and which event it carries. */
export function recordFields(item: Item): Record<string, unknown> {
  const { record, envelope } = item;
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    eventId: envelope?.metadata.eventId ?? item.headers[HEADERS.eventId],
    eventType: envelope?.metadata.eventType ?? item.headers[HEADERS.eventType],
    correlationId: envelope?.metadata.correlationId ?? item.headers[HEADERS.correlationId],
  };
}

/** `offset + 1` as a decimal string (BigInt only past 2^53). */
function nextOffset(offset: string): string {
  const n = Number(offset);
  return Number.isSafeInteger(n + 1) ? String(n + 1) : (BigInt(offset) + 1n).toString();
}

function recordKey(record: ConsumedRecord | undefined): string {
  return record === undefined ? '' : `${record.topic}\u0000${record.partition}\u0000${record.offset}`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref?.();
  });
}
