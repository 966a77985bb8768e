import { DLQ_HEADERS, type DeadLetterReason } from './dead-letter.js';
import { decodeEnvelope, HEADERS, type Envelope } from './envelope.js';
import { copyHeaders, decodeHeaders, type EventHeaders } from './headers.js';
import type { ConsumedRecord, RecordHeaders } from './transport.js';

/** Headers a DLQ replay adds to the record it writes back (they survive a later dead-lettering). */
export const REPLAY_HEADERS = Object.freeze({
  /** How many times the record was replayed out of a dead-letter topic (`1` after the first replay). */
  count: 'replay-count',
  /** `<dlq topic>:<partition>:<offset>` of the dead-letter record the replay read. */
  from: 'replayed-from',
});

const REASONS: readonly DeadLetterReason[] = ['decode', 'envelope', 'validation', 'unknown-event-type', 'version', 'handler-non-retriable', 'retries-exhausted'];

/** True when `value` is one of the runtime's dead-letter reasons. */
export function isDeadLetterReason(value: string): value is DeadLetterReason {
  return (REASONS as readonly string[]).includes(value);
}

/** Where the failed record was read from, per the `dlq-original-*` headers. */
export interface DeadLetterOrigin {
  /** Original topic. */
  topic: string;
  /** Original partition. */
  partition: number;
  /** Original offset (decimal string). */
  offset: string;
  /** Original record timestamp (epoch ms, decimal string), when the header is present. */
  timestamp: string | undefined;
}

/** The failure the `dlq-*` headers describe. Every field is undefined when its header is missing or unreadable. */
export interface DeadLetterFailure {
  /** `dlq-reason`: one of {@link DeadLetterReason}, or the raw text a newer/other writer used. */
  reason: DeadLetterReason | undefined;
  /** `dlq-reason` as written (also when it is not a known reason). */
  reasonText: string | undefined;
  /** Consumer group that failed the record. */
  consumerGroup: string | undefined;
  /** Error class name. */
  errorClass: string | undefined;
  /** Error message (capped by the writer). */
  errorMessage: string | undefined;
  /** Stack trace, when the writer included one. */
  errorStack: string | undefined;
  /** Attempts made. */
  attempts: number | undefined;
  /** Failure time. */
  failedAt: Date | undefined;
  /** Correlation id. */
  correlationId: string | undefined;
  /** Set on a reduced record: the size in bytes of the value that was left out. */
  valueOmittedBytes: number | undefined;
  /** Reason `version`: the record's event version and the version the consumer supports. */
  eventVersion: string | undefined;
  supportedVersion: string | undefined;
}

/** A dead-letter record decoded: its position, the failure, the original record and, when decodable, the envelope. */
export interface DeadLetterRecord {
  /** Dead-letter topic, partition, offset and timestamp of this record. */
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  /** True when the record carries `dlq-reason` or `dlq-original-topic` (written by a dead-letter writer). */
  isDeadLetter: boolean;
  /** Where the failed record came from; undefined when the `dlq-original-*` headers are missing or malformed. */
  original: DeadLetterOrigin | undefined;
  /** The failure headers, typed. */
  failure: DeadLetterFailure;
  /** `event-type` header, else the envelope's `eventType`. */
  eventType: string | undefined;
  /** `event-id` header, else the envelope's `eventId`. */
  eventId: string | undefined;
  /** `replay-count` header (0 when absent or not a number). */
  replayCount: number;
  /** The envelope, when the value decodes as one (undefined with `{ envelope: false }`). */
  envelope: Envelope | undefined;
  /** Why the value did not decode as an envelope (undefined when it did or was not tried). */
  envelopeError: string | undefined;
  /** Raw key and value bytes, as in the dead-letter record (the original record's). */
  key: Buffer | null;
  value: Buffer | null;
  /** All raw headers of the dead-letter record. */
  headers: RecordHeaders;
  /** The original record's headers: the raw headers without `dlq-*` ones. */
  originalHeaders: RecordHeaders;
  /** All headers decoded as UTF-8 text ({@link decodeHeaders}). */
  text: EventHeaders;
}

/** Options of {@link decodeDeadLetter}. */
export interface DecodeDeadLetterOptions {
  /** Decode the value as an envelope (default true). Off for fast scans that only need headers. */
  envelope?: boolean;
}

/**
 * Decodes a record read from a dead-letter topic. Never throws: missing or malformed headers become undefined
 * fields, an undecodable value leaves `envelope` undefined with `envelopeError` saying why.
 */
export function decodeDeadLetter(record: ConsumedRecord, options: DecodeDeadLetterOptions = {}): DeadLetterRecord {
  const text = decodeHeaders(record.headers);
  const get = (name: string): string | undefined => text[name];
  const int = (name: string): number | undefined => {
    const v = get(name);
    if (v === undefined || !/^\d+$/.test(v)) return undefined;
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : undefined;
  };
  const reasonText = get(DLQ_HEADERS.reason);
  const failedAtText = get(DLQ_HEADERS.failedAt);
  const failedAt = failedAtText === undefined ? undefined : new Date(failedAtText);
  const failure: DeadLetterFailure = {
    reason: reasonText !== undefined && isDeadLetterReason(reasonText) ? reasonText : undefined,
    reasonText,
    consumerGroup: get(DLQ_HEADERS.consumerGroup),
    errorClass: get(DLQ_HEADERS.errorClass),
    errorMessage: get(DLQ_HEADERS.errorMessage),
    errorStack: get(DLQ_HEADERS.errorStack),
    attempts: int(DLQ_HEADERS.attempts),
    failedAt: failedAt && !Number.isNaN(failedAt.getTime()) ? failedAt : undefined,
    correlationId: get(DLQ_HEADERS.correlationId),
    valueOmittedBytes: int(DLQ_HEADERS.valueOmitted),
    eventVersion: get(DLQ_HEADERS.eventVersion),
    supportedVersion: get(DLQ_HEADERS.supportedVersion),
  };
  const originalTopic = get(DLQ_HEADERS.originalTopic);
  const originalPartition = int(DLQ_HEADERS.originalPartition);
  const originalOffset = get(DLQ_HEADERS.originalOffset);
  const original: DeadLetterOrigin | undefined =
    originalTopic !== undefined && originalPartition !== undefined && originalOffset !== undefined && /^\d+$/.test(originalOffset)
      ? { topic: originalTopic, partition: originalPartition, offset: originalOffset, timestamp: get(DLQ_HEADERS.originalTimestamp) }
      : undefined;
  let envelope: Envelope | undefined;
  let envelopeError: string | undefined;
  if (options.envelope !== false) {
    try {
      envelope = decodeEnvelope(record.value, text);
    } catch (err) {
      envelopeError = err instanceof Error ? err.message : String(err);
    }
  }
  const originalHeaders = copyHeaders(record.headers);
  for (const name of Object.keys(originalHeaders)) if (name.startsWith('dlq-')) delete originalHeaders[name];
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    isDeadLetter: reasonText !== undefined || originalTopic !== undefined,
    original,
    failure,
    eventType: get(HEADERS.eventType) ?? envelope?.metadata.eventType,
    eventId: get(HEADERS.eventId) ?? envelope?.metadata.eventId,
    replayCount: int(REPLAY_HEADERS.count) ?? 0,
    envelope,
    envelopeError,
    key: record.key,
    value: record.value,
    headers: record.headers,
    originalHeaders,
    text,
  };
}
