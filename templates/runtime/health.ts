import { toError } from './errors.js';

/** Lifecycle of a consumer group member. */
export type ConsumerStatus = 'starting' | 'running' | 'stopping' | 'stopped' | 'crashed';

/** The most recent failure a component saw. */
export interface HealthError {
  /** Error class name. */
  name: string;
  /** Error message. */
  message: string;
  /** ISO time it happened. */
  at: string;
  /** Where, when it concerned one record. */
  topic?: string;
  /** Partition of that record. */
  partition?: number;
  /** Offset of that record. */
  offset?: string;
}

/** A topic-partition the consumer cannot make progress on. */
export interface PartitionProblem {
  /** Topic name. */
  topic: string;
  /** Partition number. */
  partition: number;
  /** Offset of the record it is stuck at, when known. */
  offset?: string;
  /** Why (e.g. dead-letter write failing, store unavailable, halted without a dead-letter topic). */
  reason: string;
  /** Since when (ISO time). */
  since?: string;
}

/** A topic-partition held by retries of one record (ordering keeps later records behind it). */
export interface PartitionRetry extends PartitionProblem {
  /** Attempts made so far. */
  attempt: number;
  /** When the next attempt is due (ISO time), while waiting. */
  nextAttemptAt?: string;
}

/**
 * What an owned partition is doing: `running` (handling or waiting for records), `paused-for-retry` (a record waits
 * for its next attempt; later records wait behind it), `waiting` (another member holds the record's dedup lease),
 * `failing` (its dead-letter write or the processed store keeps failing) or `halted` (paused until resumed).
 */
export type PartitionRunState = 'running' | 'paused-for-retry' | 'waiting' | 'failing' | 'halted';

/** One owned partition in {@link ConsumerHealth.partitions}. */
export interface PartitionHealth {
  /** Topic name. */
  topic: string;
  /** Partition number. */
  partition: number;
  /** What it is doing. */
  state: PartitionRunState;
  /** Offset of the record it is busy with, when not running freely. */
  offset?: string;
  /** Next offset this member last committed for it (undefined until its first commit here). */
  committedOffset?: string;
  /** Records not committed yet (end − committed), from the last lag sample (see `lagSampleIntervalMs`). */
  lag?: number;
  /** Records behind the end as of its last fetch (no broker call). */
  fetchLag?: number;
  /**
   * Since when (ISO time) it has records pending while its committed offset did not advance, once that lasted
   * `stuckAfterMs` (default 60 s): a handler that hangs, retries that keep failing, a halt, a commit that never lands.
   */
  stuckSince?: string;
}

/** Health of an {@link EventProducer}. */
export interface ProducerHealth {
  /** True when connected and the last send did not fail. */
  healthy: boolean;
  /** Connection state. */
  status: 'disconnected' | 'connected';
  /** Events sent since creation. */
  sent: number;
  /** Last send failure. */
  lastError?: HealthError;
}

/** Health of a {@link GroupConsumer}. */
export interface ConsumerHealth {
  /** True when running with no failing or halted partition. */
  healthy: boolean;
  /** Lifecycle state. */
  status: ConsumerStatus;
  /** Consumer group id. */
  groupId: string;
  /** Subscribed topics. */
  topics: string[];
  /** Partitions currently failing (retrying a dead-letter write or waiting for the processed store). */
  failingPartitions: PartitionProblem[];
  /**
   * Partitions paused until resumed (`resumePartition`): a terminal failure on a topic without dead-letter topic,
   * an unknown event type under the `halt` policy, or a dead-letter write that kept failing.
   */
  haltedPartitions: PartitionProblem[];
  /** Partitions held by retries of one record (healthy, but later records of the partition wait). */
  retryingPartitions: PartitionRetry[];
  /** Partitions this member owns now. */
  assignedPartitions: number;
  /** Every owned partition: state, offsets, lag and since when it is stuck. */
  partitions: PartitionHealth[];
  /** Records processed successfully since start. */
  processed: number;
  /** Since when offset commits keep failing (ISO time); the consumer is unhealthy meanwhile. */
  commitsFailingSince?: string;
  /** Last failure. */
  lastError?: HealthError;
}

/** Builds a {@link HealthError} from anything thrown. */
export function toHealthError(error: unknown, where: { topic?: string; partition?: number; offset?: string } = {}): HealthError {
  const e = toError(error);
  return { name: e.name, message: e.message, at: new Date().toISOString(), ...where };
}

/** Combines component health for one readiness endpoint: healthy only when all are. */
export function combineHealth<T extends { healthy: boolean }>(components: Record<string, T>): { healthy: boolean; components: Record<string, T> } {
  return { healthy: Object.values(components).every((c) => c.healthy), components };
}
