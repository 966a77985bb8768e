import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { DEFAULT_COMMIT_POLICY } from './commit.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './definitions.js';
import type { TopicDelegator, UnknownEventTypePolicy } from './delegator.js';
import { DeliveryEngine } from './delivery.js';
import { ExactlyOnce, supportsTransactions, type TransactionalTransport } from './exactly-once.js';
import type { EnvelopeMigration } from './envelope.js';
import { toHealthError, type ConsumerHealth, type ConsumerStatus, type HealthError, type PartitionHealth } from './health.js';
import { defaultLogger, type Logger } from './logger.js';
import { DEFAULT_LAG_SAMPLE_INTERVAL_MS, LagSampler, type LagSample } from './lag.js';
import { Metrics } from './metrics.js';
import { InMemoryProcessedStore, toProcessedStore, type LegacyProcessedStore, type ProcessedStore } from './processed-store.js';
import type { RandomSource, Sleep } from './retry.js';
import { StatusReporter, type StatusReportingOptions } from './status-reporter.js';
import type { StatusStore } from './status-store.js';
import type { Tracing } from './tracing.js';
import { tpKey, type TopicPartition, type TransportConsumer, type TransportProducer, type Transport } from './transport.js';

/** Options of {@link GroupConsumer}. */
export interface GroupConsumerOptions {
  /** Kafka consumer group id. */
  groupId: string;
  /** Kafka client. */
  transport: Transport;
  /** One delegator per subscribed topic. */
  topics: readonly TopicDelegator[];
  /** Logger (default: warnings and errors as JSON lines on stderr; pass `silentLogger` to silence). */
  logger?: Logger;
  /**
   * Idempotency store (default an {@link InMemoryProcessedStore}; `null` disables deduplication). A shared store
   * (`RedisProcessedStore`) also keeps two members from running the same event at once (a lease per event).
   */
  store?: ProcessedStore | LegacyProcessedStore | null;
  /**
   * Where this group reports event statuses (default none). Advisory: updates are buffered and written in batches in
   * the background (see {@link StatusReporter}); a slow or failing store never blocks, slows or fails delivery.
   */
  statusStore?: StatusStore;
  /** Buffering of status updates (flush every 100 ms or 500 updates, at most 10 000 buffered, 5 s per flush). */
  statusReporting?: StatusReportingOptions;
  /** Metrics sink (default a new {@link Metrics}, exposed as `consumer.metrics`). */
  metrics?: Metrics;
  /**
   * How often consumer lag (`consumer_lag`: end offset − the group's committed offset, per partition of its topics)
   * and the size of its dead-letter topics are read from the cluster (default 15 000 ms; 0 disables). Needs a
   * transport that reads offsets (`KafkaTransport`); two admin requests per sample, none per record.
   */
  lagSampleIntervalMs?: number;
  /**
   * How long a partition may have records pending without its committed offset advancing before `health()` reports it
   * with `stuckSince` (default 60 000 ms). `consumer_partition_stuck_seconds` shows the raw duration.
   */
  stuckAfterMs?: number;
  /**
   * Spans per record (`process <topic>`, an event per failed attempt, the dead-letter write), e.g.
   * `otelTracing(api)` with `import * as api from '@opentelemetry/api'` (default none: no tracing cost).
   */
  tracing?: Tracing;
  /** Hook turning legacy/flat record values into envelopes. */
  migrateEnvelope?: EnvelopeMigration;
  /**
   * Where a partition without a committed offset for this group starts: true (default) = the earliest record, so
   * a group deployed after its producers, or idle past `offsets.retention.minutes`, does not skip the backlog;
   * false = only new records. Each such partition is logged as a warning.
   */
  fromBeginning?: boolean;
  /** Stop gracefully on SIGTERM/SIGINT (from the start of `start()`), then re-raise the signal if nothing else listens (default false). */
  handleSignals?: boolean;
  /** Classifies errors that are not runtime errors (default: retriable unless `retriable === false`). */
  isRetriable?: (error: unknown) => boolean;
  /** What happens to records of event types nobody routes (default `dead-letter`; per topic on the delegator). */
  unknownEventTypes?: UnknownEventTypePolicy;
  /** Longest time one handler attempt may take (default 60 000 ms): then its signal is aborted and it counts as a retriable failure. */
  handlerTimeoutMs?: number;
  /**
   * Longest time `stop()` takes (default 25 000 ms, inside Kubernetes' default 30 s grace period): in-flight attempts
   * may finish until shortly before it, then completed offsets are committed and the group is left.
   */
  stopTimeoutMs?: number;
  /**
   * How long offset commits may keep failing (e.g. the group coordinator died) before the consumer handles no further
   * record until a commit lands (default 5000 ms). Bounds what a later rebalance makes another member handle again.
   */
  maxUncommittedMs?: number;
  /** Heartbeat interval while a handler runs or a retry waits (default 3000 ms). */
  heartbeatIntervalMs?: number;
  /** Retry delays up to this wait in place; longer ones pause the partition and fetch the record again when due (default 2000 ms). */
  retryPauseThresholdMs?: number;
  /** Dedup lease duration, renewed while the event is processed (default 30 000 ms): how long others wait after a crash. */
  leaseMs?: number;
  /** Failed dead-letter writes of one record before its partition is halted (default 5). */
  deadLetterAttempts?: number;
  /** Backoff between dead-letter writes (default 1 s doubling up to 30 s). */
  deadLetterRetry?: RetryPolicy;
  /** Write the error's stack trace to the dead-letter record (default true). */
  deadLetterStackTraces?: boolean;
  /** Backoff while the processed store is unavailable (`maxRetries` is ignored: it waits until the store returns). */
  storeRetry?: RetryPolicy;
  /** Sleep used for in-place backoff (injectable for tests). */
  sleep?: Sleep;
  /** Randomness for jitter (injectable for tests). */
  random?: RandomSource;
  /**
   * Exactly-once consume → produce (catalog `x-eventgen: { exactlyOnce: true }`): what handlers produce through
   * `context.outputs` (or typed producers with `{ causedBy: context }`) and the consumed offsets commit in one Kafka
   * transaction per input partition. Needs a transport with transactions (`KafkaTransport`); the group runs without
   * a processed store (an explicit `store` is refused) and without retry topics. `transactionalIdPrefix` (default
   * `eventgen`) starts the transactional ids `<prefix>-<group>-<topic>-<partition>`: unique per application.
   */
  exactlyOnce?: boolean | { transactionalIdPrefix?: string };
}

const STORE_RETRY: RetryPolicy = { ...DEFAULT_RETRY_POLICY, initialDelayMs: 100, maxDelayMs: 5_000 };
const DEAD_LETTER_RETRY: RetryPolicy = { maxRetries: 0, initialDelayMs: 1_000, maxDelayMs: 30_000, multiplier: 2, jitter: 0.2 };
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
/** Longest time `stop()` spends writing buffered event statuses. */
const STATUS_FLUSH_MS = 2_000;

/**
 * Runs one consumer group member: the {@link DeliveryEngine} on a transport, plus lifecycle, signals and health.
 * Per record: decode → envelope → dedup lease → route → validate → handler, with retries for retriable errors and
 * a dead-letter record for exhausted or non-retriable ones. An offset is committed only after the handler
 * succeeded or the dead-letter write was acknowledged, and only by the member that owns the partition.
 */
export class GroupConsumer {
  /** Consumer group id. */
  readonly groupId: string;
  /** Metrics of this consumer. */
  readonly metrics: Metrics;
  private readonly delegators = new Map<string, TopicDelegator>();
  private readonly logger: Logger;
  private readonly store: ProcessedStore | null;
  private consumer: TransportConsumer | undefined;
  private dlqProducer: TransportProducer | undefined;
  private engine: DeliveryEngine | undefined;
  private exactlyOnce: ExactlyOnce | undefined;
  private reporter: StatusReporter | undefined;
  private status: ConsumerStatus = 'stopped';
  private starting: Promise<void> | undefined;
  private abandonStart: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  private crashError: HealthError | undefined;
  // What earlier runs (start..stop) of this consumer processed and failed with, for health after a stop.
  private processedBefore = 0;
  private lastErrorBefore: HealthError | undefined;
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly signalHandler = (signal: NodeJS.Signals): void => this.onSignal(signal);
  private removeCollector: (() => void) | undefined;
  private sampler: LagSampler | undefined;

  /** @param options group, transport, delegators and operational hooks. */
  constructor(private readonly options: GroupConsumerOptions) {
    this.groupId = options.groupId;
    this.metrics = options.metrics ?? new Metrics();
    this.logger = (options.logger ?? defaultLogger()).child({ groupId: options.groupId });
    const eos = options.exactlyOnce !== undefined && options.exactlyOnce !== false;
    if (eos && options.store !== undefined && options.store !== null) {
      // A record marked done before its transaction committed would be skipped after an abort: its outputs lost.
      throw new Error(`Group '${this.groupId}' is exactly-once: it cannot use a processed store (the Kafka transaction is the deduplication; use the store inside handlers for side effects outside Kafka)`);
    }
    this.store = eos || options.store === null ? null : options.store === undefined ? new InMemoryProcessedStore() : toProcessedStore(options.store);
    if (eos && !supportsTransactions(options.transport)) throw new Error(`Group '${this.groupId}' is exactly-once but its transport has no transactions (use KafkaTransport or PlatformaticTransport)`);
    if (eos && options.topics.some((d) => d.retryTopics !== undefined)) throw new Error(`Group '${this.groupId}' is exactly-once: retry topics are not supported (retries happen in place; exhausted records are dead-lettered)`);
    for (const delegator of options.topics) {
      if (this.delegators.has(delegator.topic)) throw new Error(`Topic '${delegator.topic}' has two delegators in group '${this.groupId}'`);
      this.delegators.set(delegator.topic, delegator);
    }
    // Retry topics (x-retry mode topics) are read by the same group and routed to their topic's delegator.
    for (const delegator of options.topics) {
      for (const topic of delegator.retryTopics?.topics ?? []) {
        if (this.delegators.has(topic)) throw new Error(`Retry topic '${topic}' of '${delegator.topic}' is also subscribed otherwise in group '${this.groupId}'`);
        this.delegators.set(topic, delegator);
      }
    }
  }

  /** Connects, subscribes and joins the group; resolves once running. A signal during `start()` stops it gracefully. */
  async start(): Promise<void> {
    if (this.status === 'running') return;
    if (this.starting !== undefined) return this.starting;
    if (this.stopping !== undefined) await this.stopping;
    this.status = 'starting';
    this.crashError = undefined;
    if (this.options.handleSignals === true) for (const s of SIGNALS) process.on(s, this.signalHandler);
    this.starting = this.open().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async open(): Promise<void> {
    const engine = this.createEngine();
    this.engine = engine;
    try {
      if ([...this.delegators.values()].some((d) => d.deadLetter.enabled || d.retryTopics !== undefined)) {
        this.dlqProducer = this.options.transport.producer();
        await this.dlqProducer.connect();
      }
      if (this.status !== 'starting') return;
      const consumer = this.options.transport.consumer({ groupId: this.groupId });
      this.consumer = consumer;
      consumer.onCrash?.((error) => this.crash(error));
      await consumer.connect();
      if (this.status !== 'starting') return;
      await consumer.subscribe({ topics: [...this.delegators.keys()], fromBeginning: this.options.fromBeginning ?? true });
      if (this.status !== 'starting') return;
      this.startSampler();
      // Joining can take as long as a rebalance; a stop meanwhile may give up on it (see close()).
      const abandoned = new Promise<void>((resolve) => (this.abandonStart = resolve));
      await Promise.race([
        consumer.run({
          onBatch: (batch) => engine.onBatch(batch),
          onRevoking: (epoch) => engine.onRevoking(epoch),
          onAssigned: (epoch, partitions) => {
            engine.onAssigned(epoch, partitions);
            void this.warnUncommitted(consumer, partitions);
          },
        }),
        abandoned,
      ]);
      this.abandonStart = undefined;
      if (this.status !== 'starting') return;
      this.status = 'running';
      this.logger.info('Consumer started', { topics: [...this.delegators.keys()] });
    } catch (error) {
      this.crash(error);
      await this.close(Date.now() + 5_000);
      throw error;
    }
  }

  /** Lag is sampled from the cluster, independent of fetching: a paused or halted partition's lag keeps growing. */
  private startSampler(): void {
    const intervalMs = this.options.lagSampleIntervalMs ?? DEFAULT_LAG_SAMPLE_INTERVAL_MS;
    const reader = intervalMs > 0 ? this.options.transport.offsetReader?.() : undefined;
    if (reader === undefined) return;
    const deadLetterTopics = [...new Set([...this.delegators.values()].flatMap((d) => (d.deadLetter.enabled ? [d.deadLetter.topic] : [])))];
    this.sampler = new LagSampler({
      groupId: this.groupId,
      reader,
      topics: [...this.delegators.keys()],
      deadLetterTopics,
      metrics: this.metrics,
      logger: this.logger,
      intervalMs,
      fromBeginning: this.options.fromBeginning ?? true,
      // Observe progress at every sample, so "stuck since" starts no later than the sample that saw records pending.
      onSample: () => void this.partitionHealth(),
    });
    this.sampler.start();
  }

  /** Samples consumer lag now (when a sampler runs; see `lagSampleIntervalMs`) and returns the sample. */
  async sampleLag(): Promise<LagSample | undefined> {
    return this.sampler?.sample();
  }

  private createEngine(): DeliveryEngine {
    const o = this.options;
    let exactlyOnce: ExactlyOnce | undefined;
    if (o.exactlyOnce !== undefined && o.exactlyOnce !== false) {
      const transport = o.transport as Parameters<typeof supportsTransactions>[0] & TransactionalTransport;
      const prefix = typeof o.exactlyOnce === 'object' ? o.exactlyOnce.transactionalIdPrefix : undefined;
      exactlyOnce = new ExactlyOnce({ transport, groupId: this.groupId, logger: this.logger, member: () => this.consumer, ...(prefix === undefined ? {} : { transactionalIdPrefix: prefix }) });
    }
    this.exactlyOnce = exactlyOnce;
    const reporter = o.statusStore === undefined ? undefined : new StatusReporter({ ...o.statusReporting, store: o.statusStore, groupId: this.groupId, logger: this.logger, metrics: this.metrics });
    this.reporter = reporter;
    const engine = new DeliveryEngine(
      this.delegators,
      {
        groupId: this.groupId,
        logger: this.logger,
        metrics: this.metrics,
        store: this.store,
        owner: this.owner,
        leaseMs: o.leaseMs ?? 30_000,
        migrateEnvelope: o.migrateEnvelope,
        isRetriable: o.isRetriable,
        handlerTimeoutMs: o.handlerTimeoutMs ?? 60_000,
        maxUncommittedMs: o.maxUncommittedMs ?? 5_000,
        heartbeatIntervalMs: o.heartbeatIntervalMs ?? 3_000,
        retryPauseThresholdMs: o.retryPauseThresholdMs ?? 2_000,
        unknownEventTypes: o.unknownEventTypes ?? 'dead-letter',
        deadLetterAttempts: o.deadLetterAttempts ?? 5,
        deadLetterRetry: o.deadLetterRetry ?? DEAD_LETTER_RETRY,
        deadLetterStackTraces: o.deadLetterStackTraces ?? true,
        storeRetry: o.storeRetry ?? STORE_RETRY,
        sleep: o.sleep,
        random: o.random,
        status: reporter,
        exactlyOnce,
        tracing: o.tracing,
      },
      {
        consumer: () => this.consumer,
        deadLetterProducer: () => this.dlqProducer,
        commitPolicy: () => this.consumer?.commitPolicy ?? DEFAULT_COMMIT_POLICY,
      },
    );
    this.removeCollector?.();
    this.removeCollector = this.metrics.addCollector(() => this.collectGauges());
    return engine;
  }

  /**
   * Stops within `stopTimeoutMs`, whatever the group is doing (also while `start()` is still joining): no new
   * records; in-flight handler attempts may finish (a failure then is never dead-lettered: the record stays
   * uncommitted for the next owner); completed offsets are committed; the group is left; clients disconnect.
   */
  async stop(): Promise<void> {
    this.stopping ??= this.close(Date.now() + (this.options.stopTimeoutMs ?? 25_000)).finally(() => {
      this.stopping = undefined;
    });
    await this.stopping;
  }

  private async close(deadline: number): Promise<void> {
    for (const s of SIGNALS) process.off(s, this.signalHandler);
    if (this.status !== 'crashed') this.status = 'stopping';
    const engine = this.engine;
    const consumer = this.consumer;
    // Handlers may run until shortly before the deadline; the rest is for the final commit and leaving the group.
    const reserve = Math.min(5_000, Math.max(200, (deadline - Date.now()) * 0.2));
    engine?.beginStop(deadline - reserve);
    if (consumer !== undefined) consumer.pause([...this.delegators.keys()].map((topic) => ({ topic })));
    const starting = this.starting;
    // Stopped while still joining: let the join finish (so the member can leave the group cleanly) within the
    // deadline, else give up on it.
    if (starting !== undefined && this.status !== 'crashed' && !(await within(starting.catch(() => undefined), deadline - reserve))) {
      this.logger.warn('Stopped while joining the group; not waiting for the join any longer');
      this.abandonStart?.();
    }
    await engine?.drain();
    // Statuses of what was handled are written meanwhile (advisory: at most ~2 s, never past the deadline).
    const reporter = this.reporter;
    const statuses = reporter?.stop(Math.min(STATUS_FLUSH_MS, deadline - Date.now()));
    const sampler = this.sampler;
    this.sampler = undefined;
    const steps: Array<[string, () => Promise<unknown> | undefined]> = [
      ['final commit', () => engine?.committer.flush()],
      ['stopping the lag sampler', () => sampler?.stop()],
      ['leaving the group', () => consumer?.stop()],
      ['disconnecting the consumer', () => consumer?.disconnect()],
      ['disconnecting the dead-letter producer', () => this.dlqProducer?.disconnect()],
      ['disconnecting the transactional producers', () => this.exactlyOnce?.close()],
    ];
    for (const [what, step] of steps) {
      const left = deadline - Date.now();
      const ok = await within(
        Promise.resolve()
          .then(step)
          .then(
            () => true,
            (error: unknown) => {
              this.logger.warn(`Stop: ${what} failed`, { error });
              return true;
            },
          ),
        deadline + (what === 'final commit' ? 0 : 1_000),
      );
      if (!ok) this.logger.error(`Stop deadline passed while ${what}; going on without waiting`, { deadlineMsLeft: left });
    }
    await statuses;
    engine?.dispose();
    this.removeCollector?.();
    this.removeCollector = undefined;
    // A stopped member owns no partition.
    this.metrics.clearGauge('fetch_lag', { group: this.groupId });
    this.metrics.clearGauge('partition_stuck', { group: this.groupId });
    if (this.reporter === reporter) this.reporter = undefined;
    if (engine !== undefined) {
      this.processedBefore += engine.processed;
      if (engine.lastError !== undefined) this.lastErrorBefore = toHealthError(engine.lastError.error, engine.lastError.where);
    }
    this.consumer = undefined;
    this.dlqProducer = undefined;
    this.exactlyOnce = undefined;
    this.engine = undefined;
    if (this.status !== 'crashed') this.status = 'stopped';
    this.logger.info('Consumer stopped');
  }

  /** Resumes a halted partition (see `health().haltedPartitions`); its record is tried again. False if not halted. */
  resumePartition(topic: string, partition: number): boolean {
    return this.engine?.resumePartition(topic, partition) ?? false;
  }

  /** Lifecycle, failing/halted/retrying partitions and last error. */
  health(): ConsumerHealth {
    const states = [...(this.engine?.partitions.values() ?? [])];
    const failing = states.filter((s) => s.phase === 'waiting-store' || s.phase === 'dead-letter-retry').map((s) => s.problem());
    const halted = states.filter((s) => s.phase === 'halted').map((s) => s.problem());
    const retrying = states.filter((s) => s.phase === 'retrying' || s.phase === 'waiting-lease').map((s) => s.retry());
    const commitsFailingSince = this.engine?.committer.failingSince;
    const health: ConsumerHealth = {
      healthy: this.status === 'running' && failing.length === 0 && halted.length === 0 && commitsFailingSince === undefined,
      status: this.status,
      groupId: this.groupId,
      topics: [...this.delegators.keys()],
      assignedPartitions: this.engine?.assignedPartitions.length ?? 0,
      partitions: this.partitionHealth(),
      failingPartitions: failing,
      haltedPartitions: halted,
      retryingPartitions: retrying,
      processed: this.processedBefore + (this.engine?.processed ?? 0),
    };
    if (commitsFailingSince !== undefined) health.commitsFailingSince = new Date(commitsFailingSince).toISOString();
    const last = this.crashError ?? (this.engine?.lastError === undefined ? this.lastErrorBefore : toHealthError(this.engine.lastError.error, this.engine.lastError.where));
    if (last !== undefined) health.lastError = last;
    return health;
  }

  private partitionHealth(now = Date.now(), stuckAfterMs = this.options.stuckAfterMs ?? 60_000): PartitionHealth[] {
    const sample = this.sampler?.latest;
    const sampled = sample === undefined ? undefined : new Map(sample.partitions.map((p) => [tpKey(p.topic, p.partition), { lag: p.lag, at: sample.at }]));
    return this.engine?.partitionHealth(now, stuckAfterMs, sampled) ?? [];
  }

  private collectGauges(): void {
    const h = this.health();
    const now = Date.now();
    this.metrics.clearGauge('partition_stuck', { group: this.groupId });
    for (const p of this.partitionHealth(now, 0)) {
      const seconds = p.stuckSince === undefined ? 0 : Math.max(0, (now - Date.parse(p.stuckSince)) / 1000);
      this.metrics.setGauge('partition_stuck', { group: this.groupId, topic: p.topic, partition: String(p.partition) }, seconds);
    }
    const labels = { group: this.groupId };
    this.metrics.setGauge('partitions_assigned', labels, h.assignedPartitions);
    this.metrics.setGauge('partitions_retrying', labels, h.retryingPartitions.length);
    this.metrics.setGauge('partitions_failing', labels, h.failingPartitions.length);
    this.metrics.setGauge('partitions_halted', labels, h.haltedPartitions.length);
    this.metrics.clearGauge('records_in_flight', labels);
    for (const [topic, n] of this.engine?.inFlight ?? []) this.metrics.setGauge('records_in_flight', { group: this.groupId, topic }, n);
    this.metrics.clearGauge('fetch_lag', labels);
    for (const { topic, partition, lag } of this.engine?.lags ?? []) this.metrics.setGauge('fetch_lag', { group: this.groupId, topic, partition: String(partition) }, lag);
  }

  private async warnUncommitted(consumer: TransportConsumer, partitions: readonly TopicPartition[]): Promise<void> {
    if (consumer.uncommittedPartitions === undefined || partitions.length === 0) return;
    try {
      const fresh = await consumer.uncommittedPartitions(partitions);
      const where = (this.options.fromBeginning ?? true) ? 'the earliest record (fromBeginning)' : 'new records only (fromBeginning: false)';
      for (const p of fresh) this.logger.warn(`Partition has no committed offset for this group; consuming from ${where}`, { topic: p.topic, partition: p.partition });
    } catch (error) {
      this.logger.debug('Could not read committed offsets', { error });
    }
  }

  private crash(error: unknown): void {
    this.status = 'crashed';
    this.crashError = toHealthError(error);
    this.engine?.dispose();
    this.logger.error('Consumer crashed', { error });
  }

  private onSignal(signal: NodeJS.Signals): void {
    this.logger.info('Signal received; stopping', { signal });
    void this.stop().then(
      () => {
        // Re-raise so the process exits as it would have without our listener, unless someone else handles it.
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      },
      (error: unknown) => this.crash(error),
    );
  }
}

/** Waits for `promise` until `deadline` (epoch ms); true when it settled in time. */
async function within(promise: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
