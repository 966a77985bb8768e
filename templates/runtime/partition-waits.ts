import type { AttemptResult } from './attempt.js';
import type { OffsetCommitter } from './commit.js';
import { delay, recordFields, type DeliveryIo, type DeliverySettings, type Item } from './delivery-record.js';
import { ConsumerStoppingError, toError } from './errors.js';
import type { PartitionState } from './partition-state.js';
import type { ClaimState } from './processed-store.js';
import { backoffDelay, sleepWithHeartbeat } from './retry.js';
import type { RecordBatch } from './transport.js';

/** What the waits need from the engine. */
export interface WaitHost {
  readonly settings: DeliverySettings;
  readonly io: DeliveryIo;
  readonly committer: OffsetCommitter;
  /** True once the consumer is stopping. */
  stopping(): boolean;
  /** Reports an error for health. */
  failed(error: unknown, where: { topic: string; partition: number; offset: string }): void;
}

/**
 * Every way the engine waits on a partition: in place with heartbeats (short retries, store outages, another
 * member's lease, failing commits), or by pausing the partition (long retries, halts). Each wait ends early when the
 * consumer stops or the partition is lost.
 */
export class PartitionWaits {
  constructor(private readonly host: WaitHost) {}

  /**
   * Commits have failed for longer than `maxUncommittedMs` (e.g. the group coordinator died and kafkajs has not found
   * the new one): handle no further record until a commit lands again, so what a later rebalance hands to another
   * member (who handles it again) stays bounded. False when stop or a lost partition ended the wait.
   */
  async holdForCommits(batch: RecordBatch): Promise<boolean> {
    this.host.settings.logger.warn('Offset commits keep failing; holding new records until a commit lands', { topic: batch.topic, partition: batch.partition, failingForMs: Date.now() - (this.host.committer.failingSince ?? Date.now()) });
    while (this.host.committer.failingSince !== undefined) {
      if (!(await this.wait(batch, 500))) return false;
      await this.host.committer.flush().catch(() => undefined);
    }
    return true;
  }

  /** Waits in place (heartbeating); false when the wait was cut short by stop or a lost partition. */
  async wait(batch: RecordBatch, ms: number): Promise<boolean> {
    const controller = new AbortController();
    const check = setInterval(() => {
      if (this.host.stopping() || !batch.isCurrent()) controller.abort(new ConsumerStoppingError());
    }, Math.min(100, Math.max(5, ms)));
    try {
      const options = { heartbeat: () => batch.heartbeat(), intervalMs: this.host.settings.heartbeatIntervalMs, signal: controller.signal };
      await sleepWithHeartbeat(ms, this.host.settings.sleep === undefined ? options : { ...options, sleep: this.host.settings.sleep });
      return !this.host.stopping() && batch.isCurrent();
    } catch {
      return false;
    } finally {
      clearInterval(check);
    }
  }

  /** Pauses the partition for `ms`; the record is fetched again when it resumes (attempts are remembered). */
  pauseFor(m: PartitionState, batch: RecordBatch, ms: number): void {
    const consumer = this.host.io.consumer();
    const tp = [{ topic: batch.topic, partitions: [batch.partition] }];
    consumer?.pause(tp);
    m.clearTimer();
    m.timer = setTimeout(() => {
      m.timer = undefined;
      if (!this.host.stopping()) consumer?.resume(tp);
    }, ms);
  }

  /** Pauses the partition until resumed by hand (`resumePartition`), reported in health. */
  halt(m: PartitionState, batch: RecordBatch, offset: string, reason: string): void {
    const consumer = this.host.io.consumer();
    const tp = [{ topic: batch.topic, partitions: [batch.partition] }];
    consumer?.pause(tp);
    m.clearTimer();
    m.enter('halted', offset, reason);
    m.resume = () => consumer?.resume(tp);
    this.host.settings.logger.error('Partition halted until resumed (resumePartition)', { topic: batch.topic, partition: batch.partition, offset, reason });
  }

  /** Runs a store call until it succeeds (fail closed); undefined when stop or a lost partition cut it short. */
  async withStore<T>(m: PartitionState, batch: RecordBatch, offset: string, operation: () => Promise<T>, untilStop = false): Promise<{ value: T } | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        const value = await operation();
        if (m.phase === 'waiting-store') m.idle();
        return { value };
      } catch (error) {
        if (this.host.stopping() || (!untilStop && !batch.isCurrent())) return undefined;
        m.enter('waiting-store', offset, `processed store unavailable: ${toError(error).message}`);
        this.host.failed(error, { topic: batch.topic, partition: batch.partition, offset });
        const delayMs = backoffDelay(this.host.settings.storeRetry, Math.min(attempt, 30), this.host.settings.random);
        this.host.settings.logger.warn('Processed store unavailable; waiting', { attempt, delayMs, error });
        if (!(await this.wait(batch, delayMs))) return undefined;
      }
    }
  }

  /** Waits until another member's lease on the record's event ends: `acquired`, `done`, or undefined when cut short. */
  async waitForLease(m: PartitionState, batch: RecordBatch, item: Item, reclaim: () => Promise<ClaimState | undefined>): Promise<'acquired' | 'done' | undefined> {
    const { record } = item;
    m.enter('waiting-lease', record.offset, 'dedup lease held by another member');
    this.host.settings.logger.info('Event is being processed by another member; waiting for its lease', recordFields(item));
    const pollMs = Math.max(50, Math.min(1_000, this.host.settings.leaseMs / 10));
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

  /** Waits for an attempt of an earlier epoch that still runs here; undefined when stop or a lost partition ended the wait. */
  async waitFor(batch: RecordBatch, zombie: Promise<AttemptResult>): Promise<AttemptResult | undefined> {
    for (;;) {
      const result = await Promise.race([zombie, delay(100).then(() => undefined)]);
      if (result !== undefined) return result;
      if (this.host.stopping() || !batch.isCurrent()) return undefined;
    }
  }
}
