import type { Logger } from './logger.js';
import { StaleEpochError, tpKey, type CommitPolicy, type OffsetCommit, type TransportConsumer } from './transport.js';

/** The default commit policy: every 500 completed records or 200 ms, whichever comes first. */
export const DEFAULT_COMMIT_POLICY: CommitPolicy = Object.freeze({ batchSize: 500, intervalMs: 200 });

/**
 * Completed offsets waiting for their commit. Only offsets the delivery engine marked complete are ever committed
 * (a record's handler succeeded, or its dead-letter write was acknowledged), each tagged with the assignment epoch
 * it was handled in: offsets of an ended epoch are dropped, never committed later (after a rebalance they could
 * move the new owner's offset backwards). Commits are serialised and never overtake each other.
 */
export class OffsetCommitter {
  private readonly pending = new Map<string, OffsetCommit>();
  private completed = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private queue: Promise<void> = Promise.resolve();
  /**
   * The flush queued behind the commit in flight that has not started yet: later calls join it (it takes their
   * offsets too, being still to start), so the records marked while a commit is in flight queue one flush, not one each.
   */
  private waiting: Promise<void> | undefined;
  private epoch = 0;
  /**
   * The pending entry `mark` last touched (the engine marks one partition record after record): found again without
   * building its key. Forgotten whenever `pending` loses entries, so an offset handed to a commit is never changed.
   */
  private last: OffsetCommit | undefined;
  /** Commits sent successfully (for health and tests). */
  commits = 0;
  /** Since when completed offsets wait for a commit that keeps failing (epoch ms), undefined when commits work. */
  failingSince: number | undefined;

  constructor(
    private readonly consumer: () => Pick<TransportConsumer, 'commit'> | undefined,
    private readonly policy: () => CommitPolicy,
    private readonly logger: Logger,
  ) {}

  /** The epoch whose offsets may be committed; pending offsets of other epochs are dropped. */
  setEpoch(epoch: number): void {
    this.epoch = epoch;
    this.last = undefined;
    for (const [key, o] of this.pending) if (o.epoch !== epoch) this.pending.delete(key);
    if (this.pending.size === 0) this.failingSince = undefined;
  }

  /** Records that every record of a partition before `offset` completed in `epoch`. */
  mark(topic: string, partition: number, offset: string, epoch: number): void {
    if (epoch !== this.epoch) return;
    const last = this.last;
    if (last !== undefined && last.partition === partition && last.topic === topic && last.epoch === epoch) last.offset = offset;
    else {
      const key = tpKey(topic, partition);
      const previous = this.pending.get(key);
      if (previous !== undefined && previous.epoch === epoch) (this.last = previous).offset = offset;
      else this.pending.set(key, (this.last = { topic, partition, offset, epoch }));
    }
    this.completed += 1;
    const policy = this.policy();
    if (this.completed >= policy.batchSize) {
      if (this.waiting === undefined) void this.flush().catch(() => undefined);
    }
    else if (policy.intervalMs > 0) this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), policy.intervalMs);
  }

  /** Whether anything waits for a commit. */
  get hasPending(): boolean {
    return this.pending.size > 0;
  }

  /**
   * Commits everything pending of the current epoch now. On failure the offsets stay pending (unless newer ones
   * of the same partition completed meanwhile, or the epoch ended) for the next flush, and the promise rejects.
   */
  flush(): Promise<void> {
    if (this.waiting !== undefined) return this.waiting;
    const run = async (): Promise<void> => {
      this.waiting = undefined;
      if (this.timer !== undefined) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      const consumer = this.consumer();
      if (this.pending.size === 0 || consumer === undefined) return;
      const offsets = [...this.pending.values()].filter((o) => o.epoch === this.epoch);
      this.pending.clear();
      this.last = undefined;
      this.completed = 0;
      if (offsets.length === 0) return;
      try {
        await consumer.commit(offsets);
        this.commits += 1;
        if (this.pending.size === 0) this.failingSince = undefined;
      } catch (error) {
        if (!(error instanceof StaleEpochError)) {
          this.failingSince ??= Date.now();
          // Try again soon even if nothing else completes meanwhile.
          this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), Math.max(200, this.policy().intervalMs));
        }
        const stale = error instanceof StaleEpochError ? new Set(error.offsets) : undefined;
        for (const o of offsets) {
          const key = tpKey(o.topic, o.partition);
          if (stale?.has(o) === true || o.epoch !== this.epoch || this.pending.has(key)) continue;
          this.pending.set(key, o);
        }
        if (stale === undefined) this.logger.warn('Offset commit failed; retrying with the next commit', { error });
        else this.logger.info('Offsets of an ended assignment were not committed; the next owner delivers those records again', { partitions: error instanceof StaleEpochError ? error.offsets.length : 0 });
        throw error;
      }
    };
    const next = this.queue.then(run, run);
    this.waiting = next;
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Forgets everything pending and cancels the timer (crash, or after the final flush). */
  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
    this.last = undefined;
    this.completed = 0;
    this.failingSince = undefined;
  }
}
