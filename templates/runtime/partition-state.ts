import type { DeadLetterReason } from './dead-letter.js';
import type { PartitionHealth, PartitionProblem, PartitionRetry, PartitionRunState } from './health.js';
import type { PendingMove } from './retry-topics.js';

/**
 * What one assigned partition is doing, as the delivery engine decided it:
 * `idle` (nothing in flight) → `handling` (attempt n of a record, with a deadline) → back to `idle` when it
 * completed, or `retrying` (waiting for the next attempt, in place or paused), `dead-lettering` (terminal failure
 * waiting for its dead-letter write), `dead-letter-retry` (that write failed; paused until the next try), `waiting-lease` (another member holds the record's dedup lease),
 * `waiting-store` (the processed store does not answer), `halted` (paused until resumed: a terminal failure without
 * dead-letter topic, an unknown event type under the `halt` policy, or a dead-letter write that kept failing).
 */
export type PartitionPhase = 'idle' | 'handling' | 'retrying' | 'dead-lettering' | 'dead-letter-retry' | 'waiting-lease' | 'waiting-store' | 'halted';

/** A record's failure, remembered across redeliveries of the same offset. */
export interface RememberedFailure {
  /** Handler attempts made so far. */
  attempts: number;
  /** Set once the failure is terminal: a redelivery goes straight to the dead-letter write. */
  terminal?: { error: unknown; reason: DeadLetterReason; retriable: boolean };
  /** Failed dead-letter writes. */
  deadLetterFailures: number;
  /** When the first attempt failed (epoch ms). */
  since: number;
}

/**
 * Commit progress of one partition, for "stuck since": a partition is stuck from the later of the moment its
 * committed offset last advanced (or it was assigned) and the moment records were first seen pending, for as long as
 * records stay pending. Pending is observed when health or metrics are read (and after every lag sample), so the
 * start of pending is as exact as those observations, or exact when a record is known to be in progress.
 */
export class ProgressWatch {
  /** Next offset last committed by this member. */
  committed: string | undefined;
  /** When the committed offset last advanced, or the watch began (epoch ms). */
  advancedAt: number;
  /** Since when records are pending (epoch ms); undefined while nothing is. */
  pendingSince: number | undefined;

  constructor(now = Date.now()) {
    this.advancedAt = now;
  }

  /** A commit of `offset` (next offset to consume) landed at `now`. */
  committedTo(offset: string, now = Date.now()): void {
    if (offset === this.committed) return;
    this.committed = offset;
    this.advancedAt = now;
  }

  /**
   * Records `pending` at `now` (`pendingFrom`: when they became pending, when known exactly) and returns since when
   * the partition makes no progress with records pending, or undefined when nothing is pending.
   */
  observe(pending: boolean, now = Date.now(), pendingFrom?: number): number | undefined {
    if (!pending) {
      this.pendingSince = undefined;
      return undefined;
    }
    this.pendingSince = Math.min(this.pendingSince ?? now, pendingFrom ?? now);
    return Math.max(this.advancedAt, this.pendingSince);
  }
}

const RUN_STATES: Record<PartitionPhase, PartitionRunState> = {
  idle: 'running',
  handling: 'running',
  'dead-lettering': 'running',
  retrying: 'paused-for-retry',
  'waiting-lease': 'waiting',
  'dead-letter-retry': 'failing',
  'waiting-store': 'failing',
  halted: 'halted',
};

/** State of one topic-partition of this member (see {@link PartitionPhase}). */
export class PartitionState {
  phase: PartitionPhase = 'idle';
  /** Epoch in which this member last owned the partition. */
  epoch = -1;
  /** Offset the phase is about. */
  offset: string | undefined;
  /** Event id of that record, once known (its dedup lease is held while the partition is not idle). */
  eventId: string | undefined;
  /** Attempt number of that record. */
  attempt = 0;
  /** Since when the partition is not idle (epoch ms). */
  since = 0;
  /** When the next attempt is due, while retrying (epoch ms). */
  nextAttemptAt: number | undefined;
  /** Why it is not idle (last error message). */
  reason = '';
  /** Resumes a partition paused for a retry or halt. */
  resume: (() => void) | undefined;
  /** Timer of a paused retry. */
  timer: ReturnType<typeof setTimeout> | undefined;
  /**
   * Records behind the partition's end as of the last fetch: high watermark − next offset to handle (undefined until a
   * batch that carried the high watermark finished). No broker call: the fetch response carries it.
   */
  lag: number | undefined;
  /** Retry-topic writes of the current batch not yet settled, oldest first (offsets from the first on are held back). */
  readonly moves: PendingMove[] = [];
  /** Commit progress, for "stuck since". */
  readonly progress = new ProgressWatch();

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  /** Moves to `phase` for `offset` (keeps `since` while the same record stays unfinished). */
  enter(phase: PartitionPhase, offset: string, reason = '', attempt = this.attempt): void {
    if (this.phase === 'idle' || this.offset !== offset) this.since = Date.now();
    this.phase = phase;
    this.offset = offset;
    this.reason = reason;
    this.attempt = attempt;
    if (phase !== 'retrying') this.nextAttemptAt = undefined;
  }

  /** Back to idle: the record completed. */
  idle(): void {
    this.phase = 'idle';
    this.offset = undefined;
    this.eventId = undefined;
    this.reason = '';
    this.attempt = 0;
    this.nextAttemptAt = undefined;
  }

  /** Cancels a pending resume timer. */
  clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The partition as a health problem. */
  problem(): PartitionProblem {
    const p: PartitionProblem = { topic: this.topic, partition: this.partition, reason: this.reason, since: new Date(this.since).toISOString() };
    if (this.offset !== undefined) p.offset = this.offset;
    return p;
  }

  /**
   * The partition in health: records are pending when a record is unfinished (not idle), the last fetch saw records
   * behind it, or a lag sample newer than the last commit progress counted some; `stuckSince` once that lasted
   * `stuckAfterMs`.
   */
  health(now: number, stuckAfterMs: number, sampled?: { lag: number; at: number }): PartitionHealth {
    const busy = this.phase !== 'idle';
    const pending = busy || (this.lag ?? 0) > 0 || (sampled !== undefined && sampled.lag > 0 && sampled.at >= this.progress.advancedAt);
    const stuckFrom = this.progress.observe(pending, now, busy ? this.since : undefined);
    const h: PartitionHealth = { topic: this.topic, partition: this.partition, state: RUN_STATES[this.phase] };
    if (busy && this.offset !== undefined) h.offset = this.offset;
    if (this.progress.committed !== undefined) h.committedOffset = this.progress.committed;
    if (sampled !== undefined) h.lag = sampled.lag;
    if (this.lag !== undefined) h.fetchLag = this.lag;
    if (stuckFrom !== undefined && now - stuckFrom >= stuckAfterMs) h.stuckSince = new Date(stuckFrom).toISOString();
    return h;
  }

  /** The partition as a retry in progress. */
  retry(): PartitionRetry {
    const r: PartitionRetry = { ...this.problem(), attempt: this.attempt };
    if (this.nextAttemptAt !== undefined) r.nextAttemptAt = new Date(this.nextAttemptAt).toISOString();
    return r;
  }
}

/** Failures by record (topic, partition, offset), bounded: the oldest are forgotten first. */
export class FailureMemory {
  private readonly entries = new Map<string, RememberedFailure>();

  constructor(private readonly max = 10_000) {}

  /** True when no failure is remembered (the hot path skips lookups then). */
  get empty(): boolean {
    return this.entries.size === 0;
  }

  /** The remembered failure of a record. */
  get(topic: string, partition: number, offset: string): RememberedFailure | undefined {
    return this.entries.size === 0 ? undefined : this.entries.get(key(topic, partition, offset));
  }

  /** The remembered failure of a record, created when missing. */
  upsert(topic: string, partition: number, offset: string): RememberedFailure {
    const k = key(topic, partition, offset);
    let entry = this.entries.get(k);
    if (entry === undefined) {
      entry = { attempts: 0, deadLetterFailures: 0, since: Date.now() };
      this.entries.set(k, entry);
      if (this.entries.size > this.max) {
        const oldest = this.entries.keys().next();
        if (oldest.done !== true) this.entries.delete(oldest.value);
      }
    }
    return entry;
  }

  /** Forgets a record (it completed). */
  delete(topic: string, partition: number, offset: string): void {
    if (this.entries.size > 0) this.entries.delete(key(topic, partition, offset));
  }

  /** Forgets everything. */
  clear(): void {
    this.entries.clear();
  }
}

function key(topic: string, partition: number, offset: string): string {
  return `${topic}\u0000${partition}\u0000${offset}`;
}
