import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './definitions.js';
import { deadLetterReason, buildDeadLetterMessage } from './dead-letter.js';
import type { EventContext, Route, TopicDelegator } from './delegator.js';
import { HEADERS, decodeEnvelope, type Envelope, type EnvelopeMigration } from './envelope.js';
import { ConsumerStoppingError, DeadLetterWriteError, EventError, PartitionHaltedError, UnknownEventTypeError, isRetriable, toError } from './errors.js';
import { toHealthError, type ConsumerHealth, type ConsumerStatus, type HealthError, type PartitionProblem } from './health.js';
import { silentLogger, type Logger } from './logger.js';
import { Metrics, type MetricLabels } from './metrics.js';
import { InMemoryProcessedStore, type ProcessedStore } from './processed-store.js';
import { backoffDelay, sleepWithHeartbeat, type RandomSource, type Sleep } from './retry.js';
import { decodeHeaders, type EachMessagePayload, type Transport, type TransportConsumer, type TransportProducer } from './transport.js';

/** Options of {@link GroupConsumer}. */
export interface GroupConsumerOptions {
  /** Kafka consumer group id. */
  groupId: string;
  /** Kafka client. */
  transport: Transport;
  /** One delegator per subscribed topic. */
  topics: readonly TopicDelegator[];
  /** Logger (default silent). */
  logger?: Logger;
  /** Idempotency store (default an {@link InMemoryProcessedStore}; `null` disables deduplication). */
  store?: ProcessedStore | null;
  /** Metrics sink (default a new {@link Metrics}, exposed as `consumer.metrics`). */
  metrics?: Metrics;
  /** Hook turning legacy/flat record values into envelopes. */
  migrateEnvelope?: EnvelopeMigration;
  /** Where a group without committed offsets starts (default false = only new records, as Kafka). */
  fromBeginning?: boolean;
  /** Stop gracefully on SIGTERM/SIGINT, then re-raise the signal if nothing else listens (default false). */
  handleSignals?: boolean;
  /** Classifies errors that are not runtime errors (default: retriable unless `retriable === false`). */
  isRetriable?: (error: unknown) => boolean;
  /** Backoff while the processed store is unavailable (`maxRetries` is ignored: it waits until the store returns). */
  storeRetry?: RetryPolicy;
  /** Longest wait between heartbeats during backoff (default 3000 ms). */
  heartbeatIntervalMs?: number;
  /** Sleep used for backoff (injectable for tests). */
  sleep?: Sleep;
  /** Randomness for jitter (injectable for tests). */
  random?: RandomSource;
}

type Failure = { error: unknown; attempts: number; retriable: boolean };

const STORE_RETRY: RetryPolicy = { ...DEFAULT_RETRY_POLICY, initialDelayMs: 100, maxDelayMs: 5_000 };
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
const tpKey = (topic: string, partition: number): string => `${topic}[${partition}]`;

/**
 * Runs one consumer group: decode → envelope → dedup → route → validate → handler, with in-process retries for
 * retriable errors and a dead-letter record for exhausted or non-retriable ones. An offset is committed only after
 * the handler succeeded or the dead-letter write was acknowledged.
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
  private status: ConsumerStatus = 'stopped';
  private abort = new AbortController();
  private stopping: Promise<void> | undefined;
  private readonly failing = new Map<string, PartitionProblem>();
  private readonly halted = new Map<string, { problem: PartitionProblem; resume: () => void }>();
  private lastError: HealthError | undefined;
  private processed = 0;
  private readonly signalHandler = (signal: NodeJS.Signals): void => this.onSignal(signal);

  /** @param options group, transport, delegators and operational hooks. */
  constructor(private readonly options: GroupConsumerOptions) {
    this.groupId = options.groupId;
    this.metrics = options.metrics ?? new Metrics();
    this.logger = (options.logger ?? silentLogger).child({ groupId: options.groupId });
    this.store = options.store === undefined ? new InMemoryProcessedStore() : options.store;
    for (const delegator of options.topics) {
      if (this.delegators.has(delegator.topic)) throw new Error(`Topic '${delegator.topic}' has two delegators in group '${this.groupId}'`);
      this.delegators.set(delegator.topic, delegator);
    }
  }

  /** Connects, subscribes and starts consuming; resolves once running. */
  async start(): Promise<void> {
    if (this.status === 'running' || this.status === 'starting') return;
    this.status = 'starting';
    this.abort = new AbortController();
    try {
      if ([...this.delegators.values()].some((d) => d.deadLetter.enabled)) {
        this.dlqProducer = this.options.transport.producer();
        await this.dlqProducer.connect();
      }
      const consumer = this.options.transport.consumer({ groupId: this.groupId });
      this.consumer = consumer;
      consumer.onCrash?.((error) => this.crash(error));
      await consumer.connect();
      await consumer.subscribe({ topics: [...this.delegators.keys()], fromBeginning: this.options.fromBeginning ?? false });
      await consumer.run({ eachMessage: (payload) => this.onMessage(payload) });
      this.status = 'running';
      if (this.options.handleSignals === true) for (const s of SIGNALS) process.on(s, this.signalHandler);
      this.logger.info('Consumer started', { topics: [...this.delegators.keys()] });
    } catch (error) {
      this.crash(error);
      throw error;
    }
  }

  /** Finishes the in-flight attempt (no further retries), commits, leaves the group and disconnects. */
  async stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.abort.abort(new ConsumerStoppingError());
      for (const s of SIGNALS) process.off(s, this.signalHandler);
      await this.consumer?.stop();
      await this.consumer?.disconnect();
      await this.dlqProducer?.disconnect();
      this.consumer = undefined;
      this.dlqProducer = undefined;
      if (this.status !== 'crashed') this.status = 'stopped';
      this.logger.info('Consumer stopped');
    })().finally(() => {
      this.stopping = undefined;
    });
    await this.stopping;
  }

  /** Resumes a partition halted by a terminal failure on a topic without dead-letter topic; false if not halted. */
  resumePartition(topic: string, partition: number): boolean {
    const entry = this.halted.get(tpKey(topic, partition));
    if (entry === undefined) return false;
    this.halted.delete(tpKey(topic, partition));
    entry.resume();
    return true;
  }

  /** Lifecycle, stuck/halted partitions and last error. */
  health(): ConsumerHealth {
    const health: ConsumerHealth = {
      healthy: this.status === 'running' && this.failing.size === 0 && this.halted.size === 0,
      status: this.status,
      groupId: this.groupId,
      topics: [...this.delegators.keys()],
      failingPartitions: [...this.failing.values()],
      haltedPartitions: [...this.halted.values()].map((h) => h.problem),
      processed: this.processed,
    };
    if (this.lastError !== undefined) health.lastError = this.lastError;
    return health;
  }

  private async onMessage(payload: EachMessagePayload): Promise<void> {
    const { record } = payload;
    const delegator = this.delegators.get(record.topic);
    if (delegator === undefined) throw new Error(`Group '${this.groupId}' received a record of unsubscribed topic '${record.topic}'`);
    const started = performance.now();
    const headers = decodeHeaders(record.headers);
    const tp = tpKey(record.topic, record.partition);
    let labels: MetricLabels = { group: this.groupId, topic: record.topic, event_type: headers[HEADERS.eventType] ?? 'unknown' };
    let correlationId = headers[HEADERS.correlationId];
    let log = this.logger.child({ topic: record.topic, partition: record.partition, offset: record.offset, correlationId });
    this.metrics.increment('received', labels);
    try {
      let envelope: Envelope;
      let target: Route | undefined;
      try {
        envelope = decodeEnvelope(record.value, headers, this.options.migrateEnvelope);
        const { eventType, eventId } = envelope.metadata;
        correlationId = envelope.metadata.correlationId;
        labels = { ...labels, event_type: eventType };
        log = log.child({ correlationId, eventId, eventType });
        const store = this.store;
        if (store !== null && (await this.withStore(() => store.isProcessed(this.groupId, eventId), tp, payload, log))) {
          this.metrics.increment('duplicates_skipped', labels);
          log.info('Duplicate event skipped');
          return;
        }
        if (delegator.ignores(eventType)) {
          this.metrics.increment('ignored', labels);
          log.debug('Event type not handled by this group; acknowledged');
          return;
        }
        target = delegator.resolve(eventType);
        if (target === undefined) throw new UnknownEventTypeError(eventType, record.topic);
      } catch (error) {
        if (error instanceof ConsumerStoppingError) throw error;
        this.metrics.increment('failed', labels);
        return await this.fail(delegator, payload, { error, attempts: 1, retriable: false }, correlationId, labels, log);
      }
      const failure = await this.invoke(delegator, target, envelope, headers, payload, labels, log);
      if (failure !== undefined) return await this.fail(delegator, payload, failure, correlationId, labels, log);
      const { eventId } = envelope.metadata;
      const store = this.store;
      if (store !== null) await this.withStore(() => store.markProcessed(this.groupId, eventId), tp, payload, log);
      this.metrics.increment('processed', labels);
      this.processed += 1;
      this.failing.delete(tp);
    } finally {
      this.metrics.observeProcessingTime((performance.now() - started) / 1000, labels);
    }
  }

  /** Calls the handler up to maxRetries + 1 times; undefined on success, the failure otherwise. */
  private async invoke(
    delegator: TopicDelegator,
    target: Route,
    envelope: Envelope,
    headers: Record<string, string>,
    payload: EachMessagePayload,
    labels: MetricLabels,
    log: Logger,
  ): Promise<Failure | undefined> {
    const { record } = payload;
    const { metadata } = envelope;
    const maxAttempts = delegator.retry.maxRetries + 1;
    for (let attempt = 1; ; attempt++) {
      const context: EventContext = {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        headers,
        eventId: metadata.eventId,
        eventType: metadata.eventType,
        correlationId: metadata.correlationId,
        causationId: metadata.causationId,
        attempt,
        metadata,
        logger: log,
        signal: this.abort.signal,
      };
      try {
        await target.invoke(envelope.data, context);
        return undefined;
      } catch (error) {
        this.metrics.increment('failed', labels);
        const retriable = this.classify(delegator, error);
        if (!retriable || attempt >= maxAttempts) return { error, attempts: attempt, retriable };
        // Stopping: leave the record uncommitted for the next owner instead of sleeping through shutdown.
        if (this.abort.signal.aborted) throw new ConsumerStoppingError();
        const delayMs = backoffDelay(delegator.retry, attempt, this.options.random);
        this.metrics.increment('retried', labels);
        log.warn('Handler failed; retrying', { attempt, delayMs, error });
        await this.wait(delayMs, payload);
      }
    }
  }

  /** Dead-letters a terminally failed record, or halts its partition when the topic has no dead-letter topic. */
  private async fail(
    delegator: TopicDelegator,
    payload: EachMessagePayload,
    failure: Failure,
    correlationId: string | undefined,
    labels: MetricLabels,
    log: Logger,
  ): Promise<void> {
    const { record } = payload;
    const tp = tpKey(record.topic, record.partition);
    const where = { topic: record.topic, partition: record.partition, offset: record.offset };
    const reason = deadLetterReason(failure.error, failure.retriable);
    this.lastError = toHealthError(failure.error, where);
    if (!delegator.deadLetter.enabled) {
      // Never acknowledge a record nobody handled: pause the partition and surface it in health.
      const problem = { topic: record.topic, partition: record.partition, reason: `${reason}: ${toError(failure.error).message}` };
      this.halted.set(tp, { problem, resume: payload.pause() });
      log.error('Terminal failure and dead-lettering is disabled; partition paused', { reason, attempts: failure.attempts, error: failure.error });
      throw new PartitionHaltedError(`Partition ${tp} halted at offset ${record.offset}: ${problem.reason}`, { cause: failure.error });
    }
    const message = buildDeadLetterMessage({ record, groupId: this.groupId, reason, error: failure.error, attempts: failure.attempts, correlationId });
    try {
      if (this.dlqProducer === undefined) throw new Error('Dead-letter producer is not connected');
      await this.dlqProducer.send([{ topic: delegator.deadLetter.topic, messages: [message] }]);
    } catch (error) {
      this.failing.set(tp, { topic: record.topic, partition: record.partition, reason: `dead-letter write failed: ${toError(error).message}` });
      this.lastError = toHealthError(error, where);
      log.error('Dead-letter write failed; offset not committed', { reason, error, originalError: failure.error });
      throw new DeadLetterWriteError(`Could not write ${tp}@${record.offset} to '${delegator.deadLetter.topic}'`, { cause: error });
    }
    this.failing.delete(tp);
    this.metrics.increment('dead_lettered', labels);
    log.warn('Record dead-lettered', { reason, attempts: failure.attempts, dlqTopic: delegator.deadLetter.topic, error: failure.error });
  }

  /** Runs a store operation until it succeeds (fail closed), backing off and heartbeating meanwhile. */
  private async withStore<T>(operation: () => Promise<T>, tp: string, payload: EachMessagePayload, log: Logger): Promise<T> {
    const policy = this.options.storeRetry ?? STORE_RETRY;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await operation();
        if (attempt > 1) this.failing.delete(tp);
        return result;
      } catch (error) {
        const { record } = payload;
        this.failing.set(tp, { topic: record.topic, partition: record.partition, reason: `processed store unavailable: ${toError(error).message}` });
        this.lastError = toHealthError(error, { topic: record.topic, partition: record.partition, offset: record.offset });
        const delayMs = backoffDelay(policy, Math.min(attempt, 30), this.options.random);
        log.warn('Processed store unavailable; waiting', { attempt, delayMs, error });
        await this.wait(delayMs, payload);
      }
    }
  }

  private async wait(ms: number, payload: EachMessagePayload): Promise<void> {
    const options = { heartbeat: payload.heartbeat, intervalMs: this.options.heartbeatIntervalMs ?? 3_000, signal: this.abort.signal };
    try {
      await sleepWithHeartbeat(ms, this.options.sleep === undefined ? options : { ...options, sleep: this.options.sleep });
    } catch (error) {
      if (this.abort.signal.aborted) throw new ConsumerStoppingError();
      throw error;
    }
  }

  private classify(delegator: TopicDelegator, error: unknown): boolean {
    if (error instanceof EventError) return error.retriable;
    return (delegator.isRetriable ?? this.options.isRetriable ?? isRetriable)(error);
  }

  private crash(error: unknown): void {
    this.status = 'crashed';
    this.lastError = toHealthError(error);
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
