import { toError } from './errors.js';
import type { Logger } from './logger.js';
import type { MetricLabels, Metrics } from './metrics.js';
import { MAX_STATUS_ERROR_LENGTH, clipText, isLaterStatus, type DeadLetterCoordinates, type StatusStore, type StatusUpdate } from './status-store.js';

/** Tunables of a {@link StatusReporter} (`GroupConsumerOptions.statusReporting`). */
export interface StatusReportingOptions {
  /** Flush what is buffered this often (default 100 ms). */
  flushIntervalMs?: number;
  /** Flush at once when this many are buffered; also the most updates one `store.update` call gets (default 500). */
  maxBatch?: number;
  /** Most updates buffered (default 10 000): beyond, the oldest non-terminal ones are dropped. */
  maxBuffered?: number;
  /** A flush not answered within this time counts as failed, its updates dropped (default 5000 ms). */
  flushTimeoutMs?: number;
}

/** Options of {@link StatusReporter}. */
export interface StatusReporterOptions extends StatusReportingOptions {
  /** Where the updates go. */
  store: StatusStore;
  /** The consumer group the updates are about. */
  groupId: string;
  /** Logger (a failing store is warned about once per failure streak). */
  logger: Logger;
  /** Metrics: dropped updates are counted as `status_updates_dropped`. */
  metrics: Metrics;
  /** Labels of that counter (default `{ group: groupId }`). */
  labels?: MetricLabels;
}

const isTerminal = (status: StatusUpdate['status']): boolean => status === 'PROCESSED' || status === 'FAILED' || status === 'DEAD_LETTERED';

/**
 * Reports a consumer group's event statuses to a {@link StatusStore} without ever blocking, slowing or failing
 * delivery: updates are buffered in memory, coalesced per (eventId, groupId) to the latest ({@link isLaterStatus}),
 * and written with one `store.update(batch)` call every `flushIntervalMs` or when `maxBatch` are buffered, at most
 * one call in flight. The buffer is bounded (the oldest non-terminal updates go first); a failing or hanging store
 * costs the updates of that flush (counted in `status_updates_dropped`, warned about once per failure streak), never
 * retried forever.
 */
export class StatusReporter {
  /** Updates dropped since start (buffer full, failed or timed-out flushes, left at stop). */
  dropped = 0;
  /** Updates handed to the store successfully since start. */
  written = 0;
  private readonly store: StatusStore;
  private readonly groupId: string;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly labels: MetricLabels;
  private readonly intervalMs: number;
  private readonly maxBatch: number;
  private readonly maxBuffered: number;
  private readonly flushTimeoutMs: number;
  // Two queues, oldest first, so the oldest non-terminal update is found in O(1) when the buffer is full.
  private readonly inFlight = new Map<string, StatusUpdate>();
  private readonly terminal = new Map<string, StatusUpdate>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> | undefined;
  private failing = false;
  private draining = false;

  /** @param options store, group, logger, metrics and limits. */
  constructor(options: StatusReporterOptions) {
    this.store = options.store;
    this.groupId = options.groupId;
    this.logger = options.logger;
    this.metrics = options.metrics;
    this.labels = Object.freeze({ ...(options.labels ?? { group: options.groupId }) });
    this.intervalMs = Math.max(1, options.flushIntervalMs ?? 100);
    this.maxBatch = Math.max(1, options.maxBatch ?? 500);
    this.maxBuffered = Math.max(1, options.maxBuffered ?? 10_000);
    this.flushTimeoutMs = Math.max(1, options.flushTimeoutMs ?? 5_000);
  }

  /** Updates waiting for a flush. */
  get buffered(): number {
    return this.inFlight.size + this.terminal.size;
  }

  /** An attempt starts (attempt 1 = first). */
  processing(eventId: string, attempt: number): void {
    this.report({ eventId, groupId: this.groupId, status: 'PROCESSING', attempts: attempt, at: Date.now() });
  }

  /** Attempt `attempt` failed; the next one is due at `nextAttemptAt`. */
  retrying(eventId: string, attempt: number, nextAttemptAt: number, error: unknown): void {
    this.report({ eventId, groupId: this.groupId, status: 'RETRYING', attempts: attempt, at: Date.now(), nextAttemptAt, lastError: message(error) });
  }

  /** The handler succeeded after `attempts` attempts. */
  processed(eventId: string, attempts: number): void {
    this.report({ eventId, groupId: this.groupId, status: 'PROCESSED', attempts, at: Date.now() });
  }

  /** The failure is terminal (before its dead-letter write, or the partition halts). */
  failed(eventId: string, attempts: number, error: unknown, reason: string): void {
    this.report({ eventId, groupId: this.groupId, status: 'FAILED', attempts, at: Date.now(), lastError: message(error), reason });
  }

  /** The dead-letter write was acknowledged. */
  deadLettered(eventId: string, attempts: number, error: unknown, reason: string, deadLetter: DeadLetterCoordinates): void {
    this.report({ eventId, groupId: this.groupId, status: 'DEAD_LETTERED', attempts, at: Date.now(), lastError: message(error), reason, deadLetter });
  }

  /** Buffers one update (never throws, never waits). */
  report(update: StatusUpdate): void {
    const key = `${update.groupId}\u0000${update.eventId}`;
    const queued = this.terminal.get(key) ?? this.inFlight.get(key);
    if (queued !== undefined) {
      if (!isLaterStatus(queued, update)) return;
      if (isTerminal(update.status)) {
        this.inFlight.delete(key);
        this.terminal.set(key, update);
      } else this.inFlight.set(key, update);
    } else {
      if (this.buffered >= this.maxBuffered) {
        const oldest = this.inFlight.keys().next();
        if (!oldest.done) this.inFlight.delete(oldest.value);
        else if (!isTerminal(update.status)) return this.drop(1);
        else this.terminal.delete(this.terminal.keys().next().value as string);
        this.drop(1);
      }
      (isTerminal(update.status) ? this.terminal : this.inFlight).set(key, update);
    }
    this.schedule();
  }

  /** Writes everything buffered now; resolves when done (failures are counted, never thrown). */
  async flush(): Promise<void> {
    while (this.buffered > 0 || this.flushing !== undefined) {
      if (this.flushing === undefined) this.kick();
      await this.flushing;
    }
  }

  /**
   * Writes what is buffered within `timeoutMs` (default 2000), then drops (and counts) what is left. The reporter
   * stays usable.
   */
  async stop(timeoutMs = 2_000): Promise<void> {
    this.clearTimer();
    this.draining = true;
    const end = Date.now() + Math.max(0, timeoutMs);
    try {
      while (this.buffered > 0 || this.flushing !== undefined) {
        const left = end - Date.now();
        if (left <= 0) break;
        if (this.flushing === undefined) this.kick();
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([this.flushing, new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
        clearTimeout(timer);
      }
    } finally {
      this.draining = false;
    }
    const left = this.buffered;
    if (left > 0) {
      this.inFlight.clear();
      this.terminal.clear();
      this.drop(left);
      this.logger.warn('Status updates not written before the stop deadline; dropped (statuses are advisory)', { dropped: left });
    }
  }

  private schedule(): void {
    if (this.flushing !== undefined || this.draining) return;
    if (this.buffered >= this.maxBatch) this.kick();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.kick();
      }, this.intervalMs);
      this.timer.unref?.();
    }
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private kick(): void {
    if (this.flushing !== undefined || this.buffered === 0) return;
    this.clearTimer();
    this.flushing = this.flushOnce().finally(() => {
      this.flushing = undefined;
      if (this.buffered > 0) this.schedule();
    });
  }

  private async flushOnce(): Promise<void> {
    const batch: StatusUpdate[] = [];
    for (const queue of [this.terminal, this.inFlight]) {
      for (const [key, update] of queue) {
        if (batch.length >= this.maxBatch) break;
        batch.push(update);
        queue.delete(key);
      }
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      // Deferred so a store that throws synchronously cannot throw into report().
      const write = Promise.resolve().then(() => this.store.update(batch));
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`status store did not answer within ${this.flushTimeoutMs} ms`)), this.flushTimeoutMs);
        timer.unref?.();
      });
      await Promise.race([write, timeout]);
      this.written += batch.length;
      if (this.failing) {
        this.failing = false;
        this.logger.info('Status updates are written again');
      }
    } catch (error) {
      this.drop(batch.length);
      if (!this.failing) {
        this.failing = true;
        this.logger.warn('Status updates could not be written; dropped (statuses are advisory, delivery goes on). Not logged again until writes succeed', { error, dropped: batch.length });
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private drop(n: number): void {
    this.dropped += n;
    this.metrics.increment('status_updates_dropped', this.labels, n);
  }
}

function message(error: unknown): string {
  return clipText(toError(error).message, MAX_STATUS_ERROR_LENGTH);
}
