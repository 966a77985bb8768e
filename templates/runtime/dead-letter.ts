import { DecodeError, EnvelopeError, EventValidationError, UnknownEventTypeError, toError } from './errors.js';
import type { ConsumedRecord, OutgoingMessage, RecordHeaders } from './transport.js';

/** Why a record was dead-lettered (the `dlq-reason` header). */
export type DeadLetterReason =
  | 'decode'
  | 'envelope'
  | 'validation'
  | 'unknown-event-type'
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
});

/** Kafka headers share the record's size budget; long messages and stacks are cut. */
const MAX_MESSAGE = 2_000;
const MAX_STACK = 8_000;

/** The dead-letter reason of a terminal error: the pipeline stage it came from, or how the handler failed. */
export function deadLetterReason(error: unknown, retriable: boolean): DeadLetterReason {
  if (error instanceof DecodeError) return 'decode';
  if (error instanceof EnvelopeError) return 'envelope';
  if (error instanceof EventValidationError) return 'validation';
  if (error instanceof UnknownEventTypeError) return 'unknown-event-type';
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
}

/**
 * The dead-letter message for a failed record: original key, value bytes and headers unchanged, plus the `dlq-*`
 * headers (any `dlq-*` headers from an earlier dead-lettering are overwritten, so a replayed record stays readable).
 */
export function buildDeadLetterMessage(input: DeadLetterInput): OutgoingMessage {
  const error = toError(input.error);
  const { record } = input;
  const headers: RecordHeaders = {
    ...record.headers,
    [DLQ_HEADERS.reason]: input.reason,
    [DLQ_HEADERS.originalTopic]: record.topic,
    [DLQ_HEADERS.originalPartition]: String(record.partition),
    [DLQ_HEADERS.originalOffset]: record.offset,
    [DLQ_HEADERS.originalTimestamp]: record.timestamp,
    [DLQ_HEADERS.consumerGroup]: input.groupId,
    [DLQ_HEADERS.errorClass]: error.name,
    [DLQ_HEADERS.errorMessage]: truncate(error.message, MAX_MESSAGE),
    [DLQ_HEADERS.errorStack]: truncate(error.stack ?? '', MAX_STACK),
    [DLQ_HEADERS.attempts]: String(input.attempts),
    [DLQ_HEADERS.failedAt]: (input.failedAt ?? new Date()).toISOString(),
  };
  if (input.correlationId !== undefined) headers[DLQ_HEADERS.correlationId] = input.correlationId;
  return { key: record.key, value: record.value, headers };
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
