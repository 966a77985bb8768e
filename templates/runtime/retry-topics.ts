import { toError } from './errors.js';
import { copyHeaders, truncateUtf8 } from './headers.js';
import type { ConsumedRecord, OutgoingMessage, RecordHeaders, TransportProducer } from './transport.js';

/**
 * Non-blocking retries (catalog `x-retry: { mode: topics }`): a record whose handler failed with a retriable error is
 * written to the next retry topic with a due time, and the original is committed once that write was acknowledged.
 * The same consumer reads the retry topics; a record not yet due pauses only its retry partition until then.
 */
export interface RetryTopicsPolicy {
  /** Delay before each retry in ms; retry `n` (1-based) goes through `topics[n - 1]` after `delaysMs[n - 1]`. */
  readonly delaysMs: readonly number[];
  /** One retry topic per delay, in order (default names from {@link retryTopicName}). */
  readonly topics: readonly string[];
}

/** Names of the headers a retry record carries (key, value and the other headers are the original's, unchanged). */
export const RETRY_HEADERS = Object.freeze({
  originalTopic: 'retry-original-topic',
  originalPartition: 'retry-original-partition',
  originalOffset: 'retry-original-offset',
  consumerGroup: 'retry-consumer-group',
  /** Handler attempts made so far (the next one is this + 1). */
  attempt: 'retry-attempt',
  /** When the next attempt is due (epoch ms). */
  dueAt: 'retry-due-at',
  /** When the first attempt failed (epoch ms). */
  firstFailureAt: 'retry-first-failure-at',
  /** JSON array of `{ attempt, at, errorClass, message }`, one per failed attempt (oldest dropped past the limit). */
  history: 'retry-history',
});

/** Most entries kept in `retry-history`, and the byte limit of one entry's message. */
export const RETRY_HISTORY_LIMITS = Object.freeze({ entries: 20, message: 300 });

/** One failed attempt in `retry-history`. */
export interface RetryHistoryEntry {
  attempt: number;
  /** Epoch ms. */
  at: number;
  errorClass: string;
  message: string;
}

/** Default retry topic name template: `{topic}.retry.{group}.{n}`. */
export const DEFAULT_RETRY_TOPIC_NAME = '{topic}.retry.{group}.{n}';

/** The retry topic name for `topic`, `group` and retry `n` (1-based) from a template with `{topic}`, `{group}`, `{n}`. */
export function retryTopicName(topic: string, group: string, n: number, template = DEFAULT_RETRY_TOPIC_NAME): string {
  return template.replaceAll('{topic}', topic).replaceAll('{group}', group).replaceAll('{n}', String(n));
}

/** A policy with one topic per delay named from `template` (default {@link DEFAULT_RETRY_TOPIC_NAME}). */
export function retryTopicsPolicy(topic: string, group: string, delaysMs: readonly number[], template?: string): RetryTopicsPolicy {
  if (delaysMs.length === 0 || delaysMs.some((d) => !(d >= 0) || !Number.isFinite(d))) throw new RangeError(`Invalid retry topic delays for '${topic}': ${JSON.stringify(delaysMs)}`);
  return { delaysMs: [...delaysMs], topics: delaysMs.map((_, i) => retryTopicName(topic, group, i + 1, template)) };
}

/** Where a record stands in a retry chain, read from its headers (zero values on an original record). */
export interface RetryState {
  /** Attempts made before this record was written (0 on the original topic). */
  attempts: number;
  /** Due time (epoch ms), when a retry record. */
  dueAt: number | undefined;
}

/** Reads a record's {@link RetryState} from its decoded headers. */
export function retryState(headers: Readonly<Record<string, string>>): RetryState {
  const attempts = Number(headers[RETRY_HEADERS.attempt]);
  const due = Number(headers[RETRY_HEADERS.dueAt]);
  return { attempts: Number.isSafeInteger(attempts) && attempts > 0 ? attempts : 0, dueAt: Number.isFinite(due) && headers[RETRY_HEADERS.dueAt] !== undefined ? due : undefined };
}

/** Reads `retry-history` (an empty list when absent or unreadable). */
export function retryHistory(headers: Readonly<Record<string, string>>): RetryHistoryEntry[] {
  const raw = headers[RETRY_HEADERS.history];
  if (raw === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? (parsed as RetryHistoryEntry[]) : [];
  } catch {
    return [];
  }
}

/** Inputs of {@link buildRetryMessage}. */
export interface RetryInput {
  record: ConsumedRecord;
  /** The record's decoded headers. */
  headers: Readonly<Record<string, string>>;
  groupId: string;
  /** Attempts made including the one that just failed. */
  attempts: number;
  /** The (already redacted) error of the failed attempt. */
  error: unknown;
  dueAt: number;
  now?: number;
}

/**
 * The retry record: original key, value bytes and headers (event id included, so dedup still applies), plus the
 * `retry-*` headers. The original coordinates and first failure time are kept from an earlier retry record.
 */
export function buildRetryMessage(input: RetryInput): OutgoingMessage {
  const { record, headers: seen } = input;
  const now = input.now ?? Date.now();
  const error = toError(input.error);
  const headers: RecordHeaders = copyHeaders(record.headers);
  const first = seen[RETRY_HEADERS.originalTopic] === undefined;
  headers[RETRY_HEADERS.originalTopic] = first ? record.topic : (seen[RETRY_HEADERS.originalTopic] as string);
  headers[RETRY_HEADERS.originalPartition] = first ? String(record.partition) : (seen[RETRY_HEADERS.originalPartition] ?? '');
  headers[RETRY_HEADERS.originalOffset] = first ? record.offset : (seen[RETRY_HEADERS.originalOffset] ?? '');
  headers[RETRY_HEADERS.firstFailureAt] = first ? String(now) : (seen[RETRY_HEADERS.firstFailureAt] ?? String(now));
  headers[RETRY_HEADERS.consumerGroup] = truncateUtf8(input.groupId, 1_000);
  headers[RETRY_HEADERS.attempt] = String(input.attempts);
  headers[RETRY_HEADERS.dueAt] = String(input.dueAt);
  headers[RETRY_HEADERS.history] = appendHistory(seen, { attempt: input.attempts, at: now, errorClass: truncateUtf8(error.name, 200), message: truncateUtf8(error.message, RETRY_HISTORY_LIMITS.message) });
  return { key: record.key, value: record.value, headers };
}

/** `retry-history` with `entry` appended (JSON, at most {@link RETRY_HISTORY_LIMITS}.entries, oldest dropped). */
export function appendHistory(headers: Readonly<Record<string, string>>, entry: RetryHistoryEntry): string {
  const history = [...retryHistory(headers), entry];
  return JSON.stringify(history.slice(-RETRY_HISTORY_LIMITS.entries));
}

/**
 * A retry-topic write in flight (the delivery engine pipelines them: later records are handled meanwhile). The
 * original's offset, and every offset after it, is committable only once the write was acknowledged.
 */
export interface PendingMove {
  /** Offset of the original record. */
  readonly offset: string;
  readonly eventId: string;
  /** Retry topic written to. */
  readonly target: string;
  readonly attempt: number;
  /** Set once the write was acknowledged. */
  acked: boolean;
  /** Settles with undefined once acknowledged, else with the write's error (never rejects). */
  done: Promise<unknown>;
  /** Writes the same message again (after a failed write); settles like {@link PendingMove.done}. */
  readonly resend: () => Promise<unknown>;
}

/** Most messages one coalesced retry-topic write carries. */
export const MAX_COALESCED_WRITE = 500;

/**
 * Coalesces the retry-topic writes a consumer makes while it works through fetched records into one produce request:
 * writes queued before the event loop next turns (the records of one fetched batch whose handlers did not wait on
 * I/O) go out together, at most {@link MAX_COALESCED_WRITE} per request. Each write settles like one send: undefined
 * once acknowledged, else the error (never rejects). Order per topic and key is the queue's order.
 */
export class RetryTopicWriter {
  private queue: Array<{ topic: string; message: OutgoingMessage; settle: (error: unknown) => void }> = [];
  private scheduled = false;

  constructor(private readonly producer: () => TransportProducer | undefined) {}

  write(topic: string, message: OutgoingMessage): Promise<unknown> {
    return new Promise<unknown>((settle) => {
      this.queue.push({ topic, message, settle });
      if (this.queue.length >= MAX_COALESCED_WRITE) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Sends what is queued now (also when the consumer stops: nothing queued is left unsettled). */
  flush(): void {
    this.scheduled = false;
    const writes = this.queue;
    if (writes.length === 0) return;
    this.queue = [];
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const w of writes) {
      const messages = byTopic.get(w.topic);
      if (messages === undefined) byTopic.set(w.topic, [w.message]);
      else messages.push(w.message);
    }
    const settleAll = (error: unknown): void => {
      for (const w of writes) w.settle(error);
    };
    const producer = this.producer();
    if (producer === undefined) return settleAll(new Error('Retry producer is not connected'));
    producer.send([...byTopic].map(([topic, messages]) => ({ topic, messages }))).then(
      () => settleAll(undefined),
      (error: unknown) => settleAll(error ?? new Error('Retry topic write failed')),
    );
  }
}
