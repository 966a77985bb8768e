import { DecodeError, EnvelopeError, EventValidationError, EventVersionError, UnknownEventTypeError, toError } from './errors.js';
import { copyHeaders, headerBytes, truncateUtf8 } from './headers.js';
import type { ConsumedRecord, OutgoingMessage, RecordHeaders } from './transport.js';

/** Why a record was dead-lettered (the `dlq-reason` header). */
export type DeadLetterReason =
  | 'decode'
  | 'envelope'
  | 'validation'
  | 'unknown-event-type'
  | 'version'
  | 'handler-non-retriable'
  | 'retries-exhausted';

/** Names of the headers added to a dead-letter record. */
export const DLQ_HEADERS = Object.freeze({
  reason: 'dlq-reason',
  originalTopic: 'dlq-original-topic',
  originalPartition: 'dlq-original-partition',
  originalOffset: 'dlq-original-offset',
  originalTimestamp: 'dlq-original-timestamp',
  consumerGroup: 'dlq-consumer-group',
  errorClass: 'dlq-error-class',
  errorMessage: 'dlq-error-message',
  errorStack: 'dlq-error-stack',
  attempts: 'dlq-attempts',
  failedAt: 'dlq-failed-at',
  correlationId: 'dlq-correlation-id',
  /** Present on a reduced record: the original value's size in bytes (the value itself was left out). */
  valueOmitted: 'dlq-value-omitted-bytes',
  /** Reason `version`: the record's `eventVersion`. */
  eventVersion: 'dlq-event-version',
  /** Reason `version`: the version the consumer supports. */
  supportedVersion: 'dlq-supported-version',
});

/** Byte limits of the `dlq-*` text headers (Kafka counts headers in the record's size; UTF-8 bytes, not characters). */
export const DLQ_HEADER_LIMITS: Readonly<{ errorMessage: number; errorStack: number; other: number }> = Object.freeze({ errorMessage: 2_000, errorStack: 8_000, other: 1_000 });

/** The dead-letter reason of a terminal error: the pipeline stage it came from, or how the handler failed. */
export function deadLetterReason(error: unknown, retriable: boolean): DeadLetterReason {
  if (error instanceof DecodeError) return 'decode';
  if (error instanceof EnvelopeError) return 'envelope';
  if (error instanceof EventValidationError) return error.stage === 'produce' ? 'handler-non-retriable' : 'validation';
  if (error instanceof UnknownEventTypeError) return 'unknown-event-type';
  if (error instanceof EventVersionError) return 'version';
  return retriable ? 'retries-exhausted' : 'handler-non-retriable';
}

/** Inputs of {@link buildDeadLetterMessage}. */
export interface DeadLetterInput {
  /** The failed record, forwarded unchanged. */
  record: ConsumedRecord;
  /** Consumer group that failed it. */
  groupId: string;
  /** Why. */
  reason: DeadLetterReason;
  /** The last error. */
  error: unknown;
  /** Attempts made (1 for non-retriable failures). */
  attempts: number;
  /** Correlation id, from the envelope or the header, when known. */
  correlationId: string | undefined;
  /** Failure time (default now). */
  failedAt?: Date;
  /** Write the error's stack trace in `dlq-error-stack` (default true). */
  includeStack?: boolean;
  /**
   * A reduced record: the original value is left out (`dlq-value-omitted-bytes` says how big it was) and so is the
   * stack, for a dead-letter write the broker refused as too large.
   */
  reduced?: boolean;
}

/**
 * The dead-letter message for a failed record: original key, value bytes and headers unchanged (repeated and null
 * headers included), plus the `dlq-*` headers (any `dlq-*` headers from an earlier dead-lettering are replaced, so a
 * replayed record stays readable). Text headers are capped in UTF-8 bytes ({@link DLQ_HEADER_LIMITS}).
 */
export function buildDeadLetterMessage(input: DeadLetterInput): OutgoingMessage {
  const error = toError(input.error);
  const { record } = input;
  const headers: RecordHeaders = copyHeaders(record.headers);
  for (const name of Object.keys(headers)) if (name.startsWith('dlq-')) delete headers[name];
  const cap = (text: string, max = DLQ_HEADER_LIMITS.other): string => truncateUtf8(text, max);
  headers[DLQ_HEADERS.reason] = input.reason;
  headers[DLQ_HEADERS.originalTopic] = cap(record.topic);
  headers[DLQ_HEADERS.originalPartition] = String(record.partition);
  headers[DLQ_HEADERS.originalOffset] = record.offset;
  headers[DLQ_HEADERS.originalTimestamp] = record.timestamp;
  headers[DLQ_HEADERS.consumerGroup] = cap(input.groupId);
  headers[DLQ_HEADERS.errorClass] = cap(error.name);
  headers[DLQ_HEADERS.errorMessage] = cap(error.message, DLQ_HEADER_LIMITS.errorMessage);
  if (input.includeStack !== false && input.reduced !== true) headers[DLQ_HEADERS.errorStack] = cap(error.stack ?? '', DLQ_HEADER_LIMITS.errorStack);
  headers[DLQ_HEADERS.attempts] = String(input.attempts);
  headers[DLQ_HEADERS.failedAt] = (input.failedAt ?? new Date()).toISOString();
  if (input.correlationId !== undefined) headers[DLQ_HEADERS.correlationId] = cap(input.correlationId);
  if (input.error instanceof EventVersionError) {
    headers[DLQ_HEADERS.eventVersion] = cap(input.error.seenVersion);
    headers[DLQ_HEADERS.supportedVersion] = cap(input.error.supportedVersion);
  }
  if (input.reduced === true) {
    headers[DLQ_HEADERS.valueOmitted] = String(record.value?.length ?? 0);
    return { key: record.key, value: null, headers };
  }
  return { key: record.key, value: record.value, headers };
}

/** Approximate size of a record on the wire (key + value + headers), to compare with `max.message.bytes`. */
export function messageBytes(message: OutgoingMessage): number {
  const size = (v: string | Buffer | null): number => (v === null ? 0 : typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length);
  let bytes = size(message.key) + size(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {})) bytes += headerBytes(name, value);
  return bytes;
}
