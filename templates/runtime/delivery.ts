import { AttemptContext, OK, type AttemptResult } from './attempt.js';
import { AttemptWatcher, REVOKE_GRACE_MS } from './attempt-watch.js';
import { OffsetCommitter } from './commit.js';
import { DeadLetterWriter, type Failure, type PartitionControl } from './dead-letter-writer.js';
import type { Route, TopicDelegator } from './delegator.js';
import { CONTINUE, Item, LEAVE, decodeItem, nextOffset, offsetBefore, recordFields, recordKey, delay, type DeliveryIo, type DeliverySettings, type Step } from './delivery-record.js';
import { HEADERS, type Envelope } from './envelope.js';
import { ConsumerStoppingError, EventError, HandlerTimeoutError, UnknownEventTypeError, isRetriable, toError } from './errors.js';
import { LabelSets, type MetricLabels } from './metrics.js';
import { BatchClaims, Leases } from './leases.js';
import { FailureMemory, PartitionState } from './partition-state.js';
import { PartitionWaits } from './partition-waits.js';
import { redactEventError, redactUndecoded } from './redact-data.js';
import type { ClaimState } from './processed-store.js';
import { backoffDelay } from './retry.js';
import { RetryTopicWriter, buildRetryMessage, retryState, type PendingMove } from './retry-topics.js';
import { errorType, inBatch, type Tracing } from './tracing.js';
import type { PartitionHealth } from './health.js';
import { RebalanceInProgressError, tpKey, type ConsumedRecord, type DeliveryListener, type OffsetCommit, type RecordBatch, type TopicPartition, type TransportConsumer } from './transport.js';

export { Item, recordFields, type DeliveryIo, type DeliverySettings } from './delivery-record.js';

/** Most records given to one `handleBatch` call. */
const MAX_HANDLER_BATCH = 100;
/** Most retry-topic writes in flight per partition before the batch waits for the oldest. */
const MAX_PENDING_MOVES = 64;

/**
 * The delivery engine: one {@link PartitionState} per assigned partition and one place that decides, for every
 * record, between handling, retrying (in place for short delays, pausing the partition for long ones),
 * dead-lettering, waiting for a dedup lease, halting, and what may be committed. Transports only fetch, pause,
 * heartbeat and commit.
 */
export class DeliveryEngine implements DeliveryListener {
  readonly committer: OffsetCommitter;
  readonly partitions = new Map<string, PartitionState>();
  /**
   * Per partition: every record before this offset was completed by this member (in any epoch). A redelivery of such
   * a record (commits failed before a rebalance that gave the partition back to this member, e.g. a coordinator that
   * died) is skipped instead of handled again.
   */
  private readonly completedUpTo = new Map<string, string>();
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
  private readonly watcher = new AttemptWatcher((context, result) => this.zombieSettled(context, result));
  private readonly waits: PartitionWaits;
  private readonly leases: Leases | undefined;
  private readonly labels: LabelSets;
  private readonly unknownLogged = new Set<string>();
  private readonly dlq: DeadLetterWriter;
  private readonly retryWriter: RetryTopicWriter;

  constructor(
    private readonly delegators: ReadonlyMap<string, TopicDelegator>,
    private readonly settings: DeliverySettings,
    private readonly io: DeliveryIo,
  ) {
    // Exactly-once groups commit offsets in Kafka transactions, together with the outputs of the records before them.
    const eos = settings.exactlyOnce;
    const target = eos === undefined ? io.consumer : (): typeof eos => eos;
    // Commits that landed move each partition's progress (health's "stuck since"). The wrapper is built once per
    // client (a reconnect hands out a new one), not once per commit.
    let wrapped: { client: Pick<TransportConsumer, 'commit'>; wrapper: Pick<TransportConsumer, 'commit'> } | undefined;
    const committing = (): Pick<TransportConsumer, 'commit'> | undefined => {
      const client = target();
      if (client === undefined) return undefined;
      if (wrapped?.client !== client) wrapped = { client, wrapper: { commit: (offsets) => client.commit(offsets).then(() => this.committed(offsets)) } };
      return wrapped.wrapper;
    };
    this.committer = new OffsetCommitter(committing, io.commitPolicy, settings.logger);
    this.dlq = new DeadLetterWriter(settings, io.deadLetterProducer, this.failures);
    this.retryWriter = new RetryTopicWriter(io.deadLetterProducer);
    this.waits = new PartitionWaits({
      settings,
      io,
      committer: this.committer,
      stopping: () => this.stopping,
      failed: (error, where) => {
        this.lastError = { error, where };
      },
    });
    this.labels = new LabelSets(settings.groupId);
    this.leases = settings.store === null ? undefined : new Leases(settings.store, settings.groupId, settings.owner, settings.leaseMs, settings.logger);
  }

  /** Partitions owned in the current epoch. */
  get assignedPartitions(): readonly TopicPartition[] {
    return this.assigned;
  }

  /** Handler calls running now, per topic (see the `consumer_records_in_flight` gauge). */
  get inFlight(): Map<string, number> {
    const out = new Map<string, number>();
    for (const p of this.assigned) out.set(p.topic, 0);
    for (const state of this.partitions.values()) if (state.phase === 'handling' && state.epoch === this.epoch) out.set(state.topic, (out.get(state.topic) ?? 0) + 1);
    for (const key of this.watcher.zombies.keys()) {
      const topic = key.slice(0, key.indexOf('\u0000'));
      out.set(topic, (out.get(topic) ?? 0) + 1);
    }
    return out;
  }

  /** Consumer lag of each owned partition as of its last fetch (partitions not fetched yet are left out). */
  get lags(): Array<TopicPartition & { lag: number }> {
    const out: Array<TopicPartition & { lag: number }> = [];
    for (const state of this.partitions.values()) if (state.lag !== undefined && state.epoch === this.epoch) out.push({ topic: state.topic, partition: state.partition, lag: state.lag });
    return out;
  }

  /**
   * Health of each owned partition (see {@link PartitionState.health}); `sampled` = the last lag sample per
   * partition (`tpKey`), when the consumer samples lag.
   */
  partitionHealth(now: number, stuckAfterMs: number, sampled?: ReadonlyMap<string, { lag: number; at: number }>): PartitionHealth[] {
    const out: PartitionHealth[] = [];
    for (const [key, state] of this.partitions) if (state.epoch === this.epoch) out.push(state.health(now, stuckAfterMs, sampled?.get(key)));
    return out;
  }

  private committed(offsets: readonly OffsetCommit[]): void {
    const now = Date.now();
    for (const o of offsets) this.partitions.get(tpKey(o.topic, o.partition))?.progress.committedTo(o.offset, now);
  }

  onAssigned(epoch: number, partitions: readonly TopicPartition[]): void {
    this.epoch = epoch;
    this.assigned = [...partitions];
    this.committer.setEpoch(epoch);
    if (this.settings.exactlyOnce !== undefined) {
      // Outputs of the ended epoch were dropped with its offsets: its records must be handled again, not skipped.
      this.settings.exactlyOnce.onAssigned(epoch, partitions);
      this.completedUpTo.clear();
    }
    const owned = new Set(partitions.map((p) => tpKey(p.topic, p.partition)));
    const lost: string[] = [];
    for (const [key, state] of this.partitions) {
      if (owned.has(key)) continue;
      state.clearTimer();
      // A record waiting for a retry here is the next owner's now: give up its lease (unless a handler still runs).
      if (state.eventId !== undefined && state.offset !== undefined && !this.watcher.zombies.has(`${state.topic}\u0000${state.partition}\u0000${state.offset}`)) lost.push(state.eventId);
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
    this.watcher.abortAll(new ConsumerStoppingError());
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
    this.completedUpTo.clear();
    this.leases?.dispose();
    this.committer.clear();
    this.dlq.dispose();
    this.retryWriter.flush();
    this.watcher.clear();
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

  private async processBatch(batch: RecordBatch): Promise<void> {
    if (this.stopping || !batch.isCurrent()) return;
    const delegator = this.delegators.get(batch.topic);
    if (delegator === undefined) throw new Error(`Group '${this.settings.groupId}' received a record of unsubscribed topic '${batch.topic}'`);
    const m = this.state(batch.topic, batch.partition);
    m.epoch = batch.epoch;
    if (this.settings.exactlyOnce !== undefined && !(await this.settings.exactlyOnce.ready(batch))) return;
    const tp = tpKey(batch.topic, batch.partition);
    const upTo = this.completedUpTo.get(tp);
    let records = batch.records;
    if (upTo !== undefined && records.length > 0 && offsetBefore((records[0] as ConsumedRecord).offset, upTo)) {
      // Redelivered records this member already completed: advance past them, commit them in this epoch, skip them.
      const done = records.filter((r) => offsetBefore(r.offset, upTo));
      records = records.slice(done.length);
      const last = done[done.length - 1] as ConsumedRecord;
      batch.advance(last.offset);
      this.committer.mark(batch.topic, batch.partition, nextOffset(last.offset), batch.epoch);
      this.settings.metrics.increment('duplicates_skipped', this.labels.for(batch.topic, 'unknown'), done.length);
      this.settings.logger.info('Records this member completed before are delivered again (their commit did not land); skipped', { topic: batch.topic, partition: batch.partition, from: done[0]?.offset, to: last.offset });
    }
    if (batch.highWatermark !== undefined && records.length > 0) m.lag = lagOf(batch.highWatermark, (records[0] as ConsumedRecord).offset);
    // Records are decoded when the loop (or a handler batch) reaches them, and let go once handled: a batch's parsed
    // envelopes are not all alive at once (survivors make every young-generation GC copy them). With a processed store
    // the batch's event ids are claimed together, so all are decoded up front.
    const migrate = this.settings.migrateEnvelope;
    const items: Array<Item | undefined> = new Array<Item | undefined>(records.length);
    const itemAt = (k: number): Item => items[k] ?? (items[k] = decodeItem(records[k] as ConsumedRecord, delegator, migrate));
    const ticker = setInterval(() => this.tick(batch, m), this.tickMs(delegator));
    const leases = this.leases;
    const claims =
      leases === undefined
        ? undefined
        : new BatchClaims(
            records.map((_, k) => {
              const item = itemAt(k);
              return item.action === 'handle' ? item.envelope?.metadata.eventId : undefined;
            }),
            leases,
            (operation) => this.waits.withStore(m, batch, m.offset ?? records[0]?.offset ?? '0', operation),
          );
    let finished = 0;
    /** Offset committed while retry-topic writes are in flight (the oldest one's). */
    let held: string | undefined;
    /** Offset of a retry-topic write that could not be made: nothing from it on completed. */
    let stuckAt: string | undefined;
    /** Event ids of records whose retry-topic write was acknowledged (their leases are given up after the loop). */
    const written: string[] = [];
    // Tracing is decided once per batch: with nothing to record (no SDK registered) no tracing call is made for its
    // records (an SDK registered meanwhile is picked up at the next batch).
    const batchTracing = this.batchTracing();
    // Batch span mode: one span for the batch, started here and ended when the batch is left; records run in it.
    const batchSpan = batchTracing?.deliveredBatch?.(records, this.settings.groupId);
    const tracing = batchSpan === undefined ? batchTracing : inBatch(batchTracing as Tracing, batchSpan);
    // Metric labels of the last event type seen (most batches carry one or a few types): one lookup per change.
    let labelsType: string | undefined;
    let labels: MetricLabels | undefined;
    let labelsOk: MetricLabels | undefined;
    try {
      const completed = new Set<string>();
      // Outcomes of records a batch handler already handled (their first attempt), by index. Only on the original topic:
      // retry-topic records are handled one by one (their attempt number comes from their headers).
      const handledInBatch = new Map<number, AttemptResult>();
      for (let i = 0; i < records.length; i++) {
        if (this.stopping || !batch.isCurrent()) break;
        if (this.committer.failingSince !== undefined && Date.now() - this.committer.failingSince > this.settings.maxUncommittedMs && !(await this.waits.holdForCommits(batch))) break;
        if (delegator.retryTopics !== undefined && batch.topic !== delegator.topic && this.notDue(m, batch, itemAt(i))) break;
        if (claims !== undefined && !claims.claimed(i) && !(await claims.ensure(i))) break;
        const item = itemAt(i);
        const id = item.action === 'handle' ? item.envelope?.metadata.eventId : undefined;
        // The same event id twice in one batch: the claim said `acquired` for both; the second is a duplicate.
        const claim = id !== undefined && completed.has(id) ? 'done' : claims?.state(i);
        if ((handledInBatch.size === 0 || !handledInBatch.has(i)) && claim !== 'done' && claim !== 'held' && item.target?.kind === 'exact' && item.target.invokeBatch !== undefined && batch.topic === delegator.topic) {
          const group = this.batchable(itemAt, records.length, i, claims, completed);
          if (group.length > 1) {
            const results = await this.runBatch(m, batch, delegator, item.target, group.map(itemAt), tracing);
            if (results === undefined) break;
            group.forEach((k, n) => handledInBatch.set(k, results[n] as AttemptResult));
          }
        }
        const first = handledInBatch.size === 0 ? undefined : handledInBatch.get(i);
        let step: Step;
        if (first === undefined && claim !== 'done' && claim !== 'held' && item.action === 'handle' && this.watcher.zombies.size === 0 && this.failures.empty && !this.stopping) {
          // The common case, inline (no per-record closures or promise chains besides the handler's own and its watch):
          // a routable record nobody else holds, no failure remembered. A first attempt's success is booked right here
          // when the store needs no awaited call; anything else continues on the general path from that result.
          const eventType = (item.envelope as Envelope).metadata.eventType;
          if (eventType !== labelsType || labels === undefined) {
            labelsType = eventType;
            labels = this.labels.for(batch.topic, eventType);
            labelsOk = this.labels.withOutcome(labels, 'success');
          }
          const started = performance.now();
          const attempt = delegator.retryTopics === undefined ? 1 : 1 + this.priorAttempts(delegator, item);
          const result = await this.firstAttempt(m, delegator, item, labels, attempt, tracing);
          if (result.kind === 'ok' && (leases === undefined || leases.deferrable)) {
            this.fastSucceeded(m, item, labels, attempt);
            this.settings.metrics.observeProcessingTime((performance.now() - started) / 1000, labelsOk as MetricLabels);
            if (item.span !== undefined) this.endSpan(item);
            step = CONTINUE;
          } else {
            try {
              step = await this.attempts(m, batch, delegator, item.target as Route, item, 0, labels, result);
            } finally {
              this.settings.metrics.observeProcessingTime((performance.now() - started) / 1000, this.labels.withOutcome(labels, item.outcome ?? 'interrupted'));
              if (item.span !== undefined) this.endSpan(item);
            }
          }
        } else step = await this.processRecord(m, delegator, item, claim, batch, claims === undefined ? undefined : () => claims.refresh(i).then((ok) => (ok ? claims.state(i) : undefined)), tracing, first);
        if (id !== undefined) completed.add(id);
        if (step === LEAVE) break;
        finished = i + 1;
        items[i] = undefined; // handled: its envelope may be collected (see itemAt)
        batch.advance(item.record.offset);
        if (m.moves.length > 0) this.reapMoves(m, written);
        if (m.moves.length === 0) this.committer.mark(batch.topic, batch.partition, nextOffset(item.record.offset), batch.epoch);
        else if (m.moves.length >= MAX_PENDING_MOVES && !(await this.settleOldestMove(m, batch))) {
          stuckAt = (m.moves[0] as PendingMove).offset;
          await this.abandonMoves(m);
          break;
        }
        else if (m.moves[0]?.offset !== held) this.committer.mark(batch.topic, batch.partition, (held = (m.moves[0] as PendingMove).offset), batch.epoch);
      }
      // Retry-topic writes still in flight: the batch's offsets become committable as they are acknowledged.
      while (m.moves.length > 0) {
        if (!(await this.settleOldestMove(m, batch))) {
          stuckAt = (m.moves[0] as PendingMove).offset;
          await this.abandonMoves(m);
        }
      }
      if (written.length > 0 && this.leases !== undefined) await this.leases.release(written.splice(0));
      if (stuckAt !== undefined) this.committer.mark(batch.topic, batch.partition, stuckAt, batch.epoch);
      else if (held !== undefined && finished > 0) this.committer.mark(batch.topic, batch.partition, nextOffset((records[finished - 1] as ConsumedRecord).offset), batch.epoch);
    } finally {
      clearInterval(ticker);
      batchSpan?.end();
      if (m.moves.length > 0) {
        // Left by an error: nothing from the oldest write in flight on counts as completed.
        stuckAt = (m.moves[0] as PendingMove).offset;
        await this.abandonMoves(m).catch(() => undefined);
      }
      if (stuckAt !== undefined) this.completedUpTo.set(tp, stuckAt);
      else if (finished > 0) this.completedUpTo.set(tp, nextOffset((records[finished - 1] as ConsumedRecord).offset));
      const next = this.completedUpTo.get(tp) ?? records[0]?.offset;
      if (batch.highWatermark !== undefined && next !== undefined) m.lag = lagOf(batch.highWatermark, next);
      // Leases of records this batch did not reach: give them up so another owner does not wait for them. The
      // record it stopped at keeps its lease while it waits for a retry here, or while its handler still runs.
      if (claims !== undefined && leases !== undefined) {
        await leases.flushDeferred().catch((error: unknown) => this.settings.logger.warn('Marking events done failed', { error }));
        const left = this.stopping || !batch.isCurrent();
        const keepCurrent = !left || this.watcher.zombies.has(recordKey(records[finished]));
        await leases.release(claims.acquiredFrom(keepCurrent ? finished + 1 : finished));
      }
    }
    if (this.io.commitPolicy().intervalMs === 0 && this.committer.hasPending) await this.committer.flush().catch(() => undefined);
  }

  /** The tracing to use for one batch's records: none when the consumer has none or it has nothing to record now. */
  private batchTracing(): Tracing | undefined {
    const tracing = this.settings.tracing;
    return tracing === undefined || tracing.idle?.() === true ? undefined : tracing;
  }

  /** Starts attempt `attempt` (the first here) of a record on the fast path: counts it received, opens its span, runs the handler. */
  private firstAttempt(m: PartitionState, delegator: TopicDelegator, item: Item, labels: MetricLabels, attempt: number, tracing: Tracing | undefined): Promise<AttemptResult> {
    const metadata = (item.envelope as Envelope).metadata;
    this.settings.metrics.increment('received', labels);
    if (tracing !== undefined) this.trace(item, tracing);
    m.enter('handling', item.record.offset, '', attempt);
    m.eventId = metadata.eventId;
    const status = this.settings.status;
    if (status !== undefined) status.processing(metadata.eventId, attempt);
    const context = new AttemptContext(item.record, item, metadata, attempt, this.settings.logger, this.settings.exactlyOnce);
    return this.runAttempt(item, item.target as Route, context, delegator.handlerTimeoutMs ?? this.settings.handlerTimeoutMs);
  }

  /** Books a fast-path first attempt's success (no awaited store call: no store, or one that marks at the end of the batch). */
  private fastSucceeded(m: PartitionState, item: Item, labels: MetricLabels, attempt: number): void {
    const eventId = (item.envelope as Envelope).metadata.eventId;
    this.leases?.completeLater(eventId);
    this.settings.exactlyOnce?.accept(item.record);
    m.idle();
    this.processed += 1;
    this.settings.metrics.increment('processed', labels);
    const status = this.settings.status;
    if (status !== undefined) status.processed(eventId, attempt);
    item.outcome = 'success';
  }

  /** Handles one record until it completed (`next`) or the batch must be left (`leave`: retry later, halt, stop, revoke). */
  private async processRecord(
    m: PartitionState,
    delegator: TopicDelegator,
    item: Item,
    claim: ClaimState | undefined,
    batch: RecordBatch,
    reclaim: (() => Promise<ClaimState | undefined>) | undefined,
    tracing: Tracing | undefined,
    first?: AttemptResult,
  ): Promise<Step> {
    const { record, envelope } = item;
    const started = performance.now();
    const eventType = envelope?.metadata.eventType ?? item.headers[HEADERS.eventType] ?? 'unknown';
    const labels = this.labels.for(record.topic, eventType);
    this.settings.metrics.increment('received', labels);
    if (tracing !== undefined && first?.kind !== 'ok') this.trace(item, tracing);
    try {
      if (envelope === undefined) return await this.deadLetter(this.ctl(m, batch), delegator, item, { error: redactUndecoded(delegator, item.error), attempts: 1, retriable: false }, labels);
      const { eventId } = envelope.metadata;
      const zombie = this.watcher.zombies.size === 0 ? undefined : this.watcher.zombies.get(recordKey(record));
      if (zombie !== undefined) {
        // An attempt of an earlier epoch is still running here: its outcome decides.
        const result = await this.waits.waitFor(batch, zombie);
        if (result === undefined) return LEAVE;
        if (result.kind === 'ok') return await this.succeeded(m, batch, item, labels, (this.failures.get(record.topic, record.partition, record.offset)?.attempts ?? 0) + 1);
      }
      if (claim === 'done') {
        this.settings.metrics.increment('duplicates_skipped', labels);
        this.settings.logger.debug('Duplicate event skipped', recordFields(item));
        item.outcome = 'skipped';
        return CONTINUE;
      }
      if (claim === 'held' && reclaim !== undefined) {
        const got = await this.waits.waitForLease(m, batch, item, reclaim);
        if (got === undefined) return LEAVE;
        if (got === 'done') {
          this.settings.metrics.increment('duplicates_skipped', labels);
          item.outcome = 'skipped';
          return CONTINUE;
        }
      }
      if (item.action === 'ignore') {
        this.settings.metrics.increment('ignored', labels);
        item.outcome = 'skipped';
        return CONTINUE;
      }
      const target = item.target;
      if (target === undefined) return await this.unknownType(m, batch, delegator, item, labels);
      m.eventId = eventId;
      const remembered = this.failures.get(record.topic, record.partition, record.offset);
      if (remembered?.terminal !== undefined) {
        const t = remembered.terminal;
        return await this.deadLetter(this.ctl(m, batch), delegator, item, { error: t.error, attempts: remembered.attempts, retriable: t.retriable }, labels);
      }
      if (first?.kind === 'ok') return await this.succeeded(m, batch, item, labels, 1, true);
      return await this.attempts(m, batch, delegator, target, item, remembered?.attempts ?? 0, labels, first);
    } finally {
      this.settings.metrics.observeProcessingTime((performance.now() - started) / 1000, this.labels.withOutcome(labels, item.outcome ?? 'interrupted'));
      if (item.span !== undefined) this.endSpan(item);
    }
  }

  /** Starts the record's `process` span (tracing on). */
  private trace(item: Item, tracing: Tracing): void {
    item.span = tracing.process(item.record, this.settings.groupId, item.envelope?.metadata.eventId);
  }

  private endSpan(item: Item): void {
    item.span?.end();
    item.span = undefined;
  }

  /** One handler attempt, inside the record's span when tracing. */
  private runAttempt(item: Item, target: Route, context: AttemptContext, timeoutMs: number): Promise<AttemptResult> {
    const span = item.span;
    const data = (item.envelope as Envelope).data;
    return span === undefined ? this.watcher.run(target, data, context, timeoutMs) : span.run(() => this.watcher.run(target, data, context, timeoutMs));
  }

  /** Attempts the handler until it succeeds or the failure is terminal; `first` = attempt 1 already made by a batch handler. */
  private async attempts(m: PartitionState, batch: RecordBatch, delegator: TopicDelegator, target: Route, item: Item, done: number, labels: MetricLabels, first?: AttemptResult): Promise<Step> {
    const { record } = item;
    const envelope = item.envelope as Envelope;
    const topics = delegator.retryTopics;
    // Retry topics: attempts before this record count on (one attempt per record of the chain, no in-process retry).
    const prior = this.priorAttempts(delegator, item);
    const maxAttempts = topics === undefined ? delegator.retry.maxRetries + 1 : done + 1;
    const timeoutMs = delegator.handlerTimeoutMs ?? this.settings.handlerTimeoutMs;
    for (let local = done + 1; ; local++) {
      const attempt = prior + local;
      m.enter('handling', record.offset, '', attempt);
      let result: AttemptResult;
      if (first !== undefined && local === done + 1) result = first;
      else {
        const status = this.settings.status;
        if (status !== undefined) status.processing(envelope.metadata.eventId, attempt);
        const context = new AttemptContext(record, item, envelope.metadata, attempt, this.settings.logger, this.settings.exactlyOnce);
        if (this.stopping) context.abort(new ConsumerStoppingError());
        result = await this.runAttempt(item, target, context, timeoutMs);
      }
      if (result.kind === 'ok') return await this.succeeded(m, batch, item, labels, attempt);
      this.settings.metrics.increment('failed', labels);
      if (result.kind === 'revoked' || result.kind === 'abandoned') {
        m.idle();
        return LEAVE;
      }
      // Classified data never reaches logs, health, statuses or dead-letter headers (redact-data.ts).
      const error = result.kind === 'timeout' ? new HandlerTimeoutError(timeoutMs) : redactEventError(target.kind === 'exact' ? target.definition : undefined, envelope.data, result.error);
      this.lastError = { error, where: { topic: record.topic, partition: record.partition, offset: record.offset } };
      // Stopping: never dead-letter; the next owner handles the record again.
      if (this.stopping) {
        m.idle();
        this.settings.logger.info('Handler failed while stopping; record left uncommitted for the next owner', { ...recordFields(item), error });
        return LEAVE;
      }
      const retriable = this.classify(delegator, error);
      item.span?.event('attempt failed', { 'eventgen.attempt': attempt, 'error.type': errorType(error), 'exception.message': toError(error).message, 'eventgen.error.retriable': retriable });
      const memory = this.failures.upsert(record.topic, record.partition, record.offset);
      memory.attempts = local; // attempts of this record here (the retry chain's earlier ones are in its headers)
      if (topics !== undefined && retriable) {
        const stage = record.topic === delegator.topic ? 0 : topics.topics.indexOf(record.topic) + 1;
        if (stage < topics.topics.length) return this.moveToRetryTopic(m, delegator, item, stage, attempt, error, labels);
      }
      if (!retriable || local >= maxAttempts) return await this.deadLetter(this.ctl(m, batch), delegator, item, { error, attempts: attempt, retriable }, labels);
      const delayMs = backoffDelay(delegator.retry, attempt, this.settings.random);
      this.settings.metrics.increment('retried', labels);
      m.enter('retrying', record.offset, toError(error).message, attempt);
      m.nextAttemptAt = Date.now() + delayMs;
      const status = this.settings.status;
      if (status !== undefined) status.retrying(envelope.metadata.eventId, attempt, m.nextAttemptAt, error);
      this.settings.logger.warn('Handler failed; retrying', { ...recordFields(item), attempt, delayMs, error });
      if (delayMs > this.settings.retryPauseThresholdMs) {
        item.outcome = 'retry';
        this.waits.pauseFor(m, batch, delayMs);
        return LEAVE;
      }
      if (!(await this.waits.wait(batch, delayMs))) return LEAVE;
    }
  }

  /** Handler attempts made before this record (from its `retry-*` headers on a retry topic, else 0). */
  private priorAttempts(delegator: TopicDelegator, item: Item): number {
    return delegator.retryTopics === undefined || item.record.topic === delegator.topic ? 0 : retryState(item.headers).attempts;
  }

  /**
   * A retry record not yet due: pause its partition until the due time (the record is fetched again then; heartbeats
   * go on, nothing sleeps) and leave the batch. False when it is due.
   */
  private notDue(m: PartitionState, batch: RecordBatch, item: Item): boolean {
    const { dueAt, attempts } = retryState(item.headers);
    const wait = dueAt === undefined ? 0 : dueAt - Date.now();
    if (wait <= 0) return false;
    m.enter('retrying', item.record.offset, 'waiting for its retry time', attempts);
    m.nextAttemptAt = dueAt;
    this.waits.pauseFor(m, batch, wait);
    return true;
  }

  /**
   * Moves a failed record to retry topic `stage` (0-based) with its due time and attempt history. The write is
   * pipelined: the record counts as done for the loop, later records are handled meanwhile, and the offsets from this
   * one on are held back from commits until the write is acknowledged ({@link settleOldestMove}). Its dedup lease is
   * given up once written, not marked done: the retry record carries the same event id.
   */
  private moveToRetryTopic(m: PartitionState, delegator: TopicDelegator, item: Item, stage: number, attempt: number, error: unknown, labels: MetricLabels): Step {
    const topics = delegator.retryTopics as NonNullable<TopicDelegator['retryTopics']>;
    const { record } = item;
    const envelope = item.envelope as Envelope;
    const target = topics.topics[stage] as string;
    const dueAt = Date.now() + (topics.delaysMs[stage] ?? 0);
    const message = buildRetryMessage({ record, headers: item.headers, groupId: this.settings.groupId, attempts: attempt, error, dueAt });
    // The first write is coalesced with the batch's other moves; a write sent again after a failure goes alone.
    const resend = async (): Promise<unknown> => {
      try {
        const producer = this.io.deadLetterProducer();
        if (producer === undefined) throw new Error('Retry producer is not connected');
        await producer.send([{ topic: target, messages: [message] }]);
        return undefined;
      } catch (writeError) {
        return writeError ?? new Error('Retry topic write failed');
      }
    };
    const move: PendingMove = { offset: record.offset, eventId: envelope.metadata.eventId, target, attempt, acked: false, done: Promise.resolve(undefined), resend };
    move.done = this.retryWriter.write(target, message).then((e) => {
      if (e === undefined) move.acked = true;
      return e;
    });
    m.moves.push(move);
    item.span?.set({ 'eventgen.retry.topic': target });
    this.failures.delete(record.topic, record.partition, record.offset);
    m.idle();
    this.settings.metrics.increment('retried', labels);
    const status = this.settings.status;
    if (status !== undefined) status.retrying(envelope.metadata.eventId, attempt, dueAt, error);
    this.settings.logger.warn('Handler failed; record moved to its retry topic', { ...recordFields(item), attempt, retryTopic: target, dueAt: new Date(dueAt).toISOString(), error });
    item.outcome = 'retry';
    return CONTINUE;
  }

  /**
   * Waits for the oldest retry-topic write of the partition, writing it again with backoff (heartbeating, in place)
   * while it fails and the partition is still this member's. True once it was acknowledged (its lease is given up);
   * false when it could not be (stop, lost partition): nothing from its offset on may be committed then.
   */
  private async settleOldestMove(m: PartitionState, batch: RecordBatch): Promise<boolean> {
    const move = m.moves[0] as PendingMove;
    let error = await move.done;
    let failures = 0;
    const own = error !== undefined && m.phase === 'idle';
    while (error !== undefined) {
      failures += 1;
      const where = { topic: batch.topic, partition: batch.partition, offset: move.offset };
      this.lastError = { error, where };
      const backoff = backoffDelay(this.settings.deadLetterRetry, Math.min(failures, 30), this.settings.random);
      if (own) m.enter('retrying', move.offset, `retry topic write failed: ${toError(error).message}`, move.attempt);
      this.settings.logger.error('Retry topic write failed; offsets from this record on are not committed until it is written', { ...where, eventId: move.eventId, retryTopic: move.target, delayMs: backoff, error });
      if (this.stopping || !batch.isCurrent() || !(await this.waits.wait(batch, backoff))) {
        if (own) m.idle();
        return false;
      }
      move.done = move.resend();
      error = await move.done;
      if (error === undefined) move.acked = true;
    }
    if (own) m.idle();
    m.moves.shift();
    if (this.leases !== undefined) await this.leases.release([move.eventId]);
    return true;
  }

  /** Drops the acknowledged writes at the head of the partition's moves (no waiting), collecting their event ids. */
  private reapMoves(m: PartitionState, written: string[]): void {
    while (m.moves.length > 0 && (m.moves[0] as PendingMove).acked) written.push((m.moves.shift() as PendingMove).eventId);
  }

  /** After a retry-topic write that could not be made: waits for the others and gives up every lease (the records are handled again by the partition's next owner). */
  private async abandonMoves(m: PartitionState): Promise<void> {
    const moves = m.moves.splice(0);
    await Promise.all(moves.map((move) => move.done));
    if (this.leases !== undefined && moves.length > 0) await this.leases.release(moves.map((move) => move.eventId));
  }

  private async succeeded(m: PartitionState, batch: RecordBatch, item: Item, labels: MetricLabels, attempts: number, markedDone = false): Promise<Step> {
    const eventId = (item.envelope as Envelope).metadata.eventId;
    const leases = this.leases;
    if (leases !== undefined && !markedDone) {
      if (leases.deferrable) leases.completeLater(eventId); // in-process store: marked at the end of the batch
      else {
        // The mark must land before the commit: a redelivery then finds the event done. If the store is down the
        // partition waits (fail closed); when stopping, the offset is committed anyway (the effect happened).
        const ok = await this.waits.withStore(m, batch, item.record.offset, () => leases.complete(eventId), true);
        if (ok === undefined && !this.stopping) return LEAVE;
      }
    }
    this.settings.exactlyOnce?.accept(item.record);
    this.failures.delete(item.record.topic, item.record.partition, item.record.offset);
    m.idle();
    this.processed += 1;
    this.settings.metrics.increment('processed', labels);
    const status = this.settings.status;
    if (status !== undefined) status.processed(eventId, attempts);
    item.outcome = 'success';
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
      item.outcome = 'skipped';
      return CONTINUE;
    }
    this.settings.metrics.increment('failed', labels);
    if (policy === 'halt') {
      const status = this.settings.status;
      if (status !== undefined) status.failed(envelope.metadata.eventId, 1, error, 'unknown-event-type');
      this.waits.halt(m, batch, item.record.offset, `unknown event type '${envelope.metadata.eventType}' (unknownEventTypes: halt)`);
      return LEAVE;
    }
    return this.deadLetter(this.ctl(m, batch), delegator, item, { error, attempts: 1, retriable: false }, labels);
  }

  /** Dead-letters `item` (see {@link DeadLetterWriter.fail}); its outcome is `dead_letter` once written. */
  private async deadLetter(ctl: PartitionControl, delegator: TopicDelegator, item: Item, failure: Failure, labels: MetricLabels): Promise<Step> {
    const step = await this.dlq.fail(ctl, delegator, item, failure, labels);
    if (step === CONTINUE) item.outcome = 'dead_letter';
    return step;
  }

  /** What the dead-letter writer may do to the partition. */
  private ctl(m: PartitionState, batch: RecordBatch): PartitionControl {
    return {
      state: m,
      stopping: () => this.stopping,
      halt: (offset, reason) => this.waits.halt(m, batch, offset, reason),
      pauseFor: (ms) => this.waits.pauseFor(m, batch, ms),
      completed: async (eventId) => {
        const leases = this.leases;
        if (leases === undefined || eventId === undefined) return;
        await this.waits.withStore(m, batch, m.offset ?? '0', () => leases.complete(eventId), true);
      },
      failed: (error, where) => {
        this.lastError = { error, where };
      },
    };
  }

  /**
   * Records from `i` on that one `handleBatch` call may take together: consecutive, the same route, claimed by this
   * member (or no store), not failed before, no event id twice, at most {@link MAX_HANDLER_BATCH}.
   */
  private batchable(itemAt: (k: number) => Item, length: number, i: number, claims: BatchClaims | undefined, completed: ReadonlySet<string>): number[] {
    const target = itemAt(i).target;
    const ids = new Set<string>();
    const out: number[] = [];
    for (let k = i; k < length && out.length < MAX_HANDLER_BATCH; k++) {
      const item = itemAt(k);
      const id = item.envelope?.metadata.eventId;
      if (item.action !== 'handle' || item.target !== target || id === undefined || ids.has(id) || completed.has(id)) break;
      if (claims !== undefined && claims.state(k) !== 'acquired') break;
      if (this.failures.get(item.record.topic, item.record.partition, item.record.offset) !== undefined) break;
      if (this.watcher.zombies.size > 0 && this.watcher.zombies.has(recordKey(item.record))) break;
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
  private async runBatch(m: PartitionState, batch: RecordBatch, delegator: TopicDelegator, target: Route & { kind: 'exact' }, group: Item[], tracing: Tracing | undefined): Promise<AttemptResult[] | undefined> {
    const invoke = target.invokeBatch;
    if (invoke === undefined) return undefined;
    const first = group[0] as Item;
    m.enter('handling', first.record.offset, '', 1);
    const status = this.settings.status;
    if (status !== undefined) for (const item of group) status.processing((item.envelope as Envelope).metadata.eventId, 1);
    const contexts = group.map((item) => new AttemptContext(item.record, item, (item.envelope as Envelope).metadata, 1, this.settings.logger, this.settings.exactlyOnce));
    if (this.stopping) for (const c of contexts) c.abort(new ConsumerStoppingError());
    const timeoutMs = delegator.handlerTimeoutMs ?? this.settings.handlerTimeoutMs;
    const work = (): Promise<unknown[]> => invoke(group.map((item, n) => ({ data: (item.envelope as Envelope).data, context: contexts[n] as AttemptContext })));
    const span = tracing === undefined ? undefined : tracing.processBatch(group.map((item) => item.record), this.settings.groupId);
    const all = await this.watcher.runMany(contexts, timeoutMs, span === undefined ? work : () => span.run(work));
    if (span !== undefined) {
      if (all.kind === 'failed') span.fail(all.error);
      else if (all.kind !== 'ok') span.set({ 'error.type': all.kind });
      span.end();
    }
    if (all.kind === 'revoked' || all.kind === 'abandoned') return undefined;
    const results: AttemptResult[] =
      all.kind === 'ok' ? all.value.map((e): AttemptResult => (e === undefined ? OK : { kind: 'failed', error: e })) : group.map((): AttemptResult => (all.kind === 'failed' ? { kind: 'failed', error: all.error } : { kind: 'timeout' }));
    const done = group.filter((_, n) => results[n]?.kind === 'ok').map((item) => (item.envelope as Envelope).metadata.eventId);
    const leases = this.leases;
    if (leases !== undefined && done.length > 0 && (await this.waits.withStore(m, batch, first.record.offset, () => leases.completeAll(done), true)) === undefined && !this.stopping) return undefined;
    return results;
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

  /** Every tick of a batch: settle attempts that ran out of time, and heartbeat while work is in progress. */
  private tick(batch: RecordBatch, m: PartitionState): void {
    this.watcher.check(batch, this.stopDeadline);
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

  private classify(delegator: TopicDelegator, error: unknown): boolean {
    if (error instanceof EventError) return error.retriable;
    return (delegator.isRetriable ?? this.settings.isRetriable ?? isRetriable)(error);
  }
}

/** `highWatermark − next` for decimal offset strings, at least 0 (a number: lags beyond 2^53 are not a concern). */
function lagOf(highWatermark: string, next: string): number {
  try {
    const lag = BigInt(highWatermark) - BigInt(next);
    return lag > 0n ? Number(lag) : 0;
  } catch {
    return 0;
  }
}
