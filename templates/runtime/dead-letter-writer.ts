import { buildDeadLetterMessage, deadLetterReason } from './dead-letter.js';
import type { TopicDelegator } from './delegator.js';
import { recordFields, type DeliverySettings, type Item } from './delivery-record.js';
import { HEADERS } from './envelope.js';
import { toError } from './errors.js';
import type { MetricLabels } from './metrics.js';
import type { FailureMemory, PartitionState } from './partition-state.js';
import { backoffDelay } from './retry.js';
import type { DeadLetterCoordinates } from './status-store.js';
import { errorType } from './tracing.js';
import { sendErrorCode, type RecordMetadata, type TransportProducer } from './transport.js';

/** What the dead-letter writer may do to the partition whose record failed. */
export interface PartitionControl {
  /** The partition's state. */
  readonly state: PartitionState;
  /** True once the consumer is stopping (no dead-letter write is started then). */
  stopping(): boolean;
  /** Pauses the partition until resumed by hand. */
  halt(offset: string, reason: string): void;
  /** Pauses the partition for `ms`; the record is fetched again after. */
  pauseFor(ms: number): void;
  /** The record's outcome is final: mark its event done in the processed store (when it was claimed). */
  completed(eventId: string | undefined): Promise<void>;
  /** Reports an error for health. */
  failed(error: unknown, where: { topic: string; partition: number; offset: string }): void;
}

/** A terminal failure of a record. */
export interface Failure {
  error: unknown;
  attempts: number;
  retriable: boolean;
}

/**
 * Writes terminally failed records to their dead-letter topic. The offset is committed only after the write was
 * acknowledged. A failed write is remembered (a redelivery goes straight to the write, never through the handler
 * again) and retried with backoff while the partition is paused; a write the broker refuses as too large is sent
 * again as a reduced record (value and stack left out); after `deadLetterAttempts` failed writes the partition is
 * halted and reported in health, never skipped.
 */
export class DeadLetterWriter {
  constructor(
    private readonly settings: DeliverySettings,
    private readonly producer: () => TransportProducer | undefined,
    private readonly failures: FailureMemory,
  ) {}

  /** Dead-letters `item`; `next` once the write was acknowledged, `leave` when the partition must wait. */
  async fail(ctl: PartitionControl, delegator: TopicDelegator, item: Item, failure: Failure, labels: MetricLabels): Promise<'next' | 'leave'> {
    const { record } = item;
    const where = { topic: record.topic, partition: record.partition, offset: record.offset };
    const reason = deadLetterReason(failure.error, failure.retriable);
    ctl.failed(failure.error, where);
    if (ctl.stopping()) {
      ctl.state.idle();
      return 'leave';
    }
    const memory = this.failures.upsert(record.topic, record.partition, record.offset);
    memory.attempts = Math.max(memory.attempts, failure.attempts);
    item.span?.fail(failure.error);
    const status = this.settings.status;
    // Statuses are about events: only records with an envelope; FAILED once per terminal failure (not per write retry).
    const eventId = status === undefined ? undefined : item.envelope?.metadata.eventId;
    if (status !== undefined && eventId !== undefined && memory.terminal === undefined) status.failed(eventId, memory.attempts, failure.error, reason);
    memory.terminal ??= { error: failure.error, reason, retriable: failure.retriable };
    const message = toError(failure.error).message;
    if (!delegator.deadLetter.enabled) {
      ctl.halt(record.offset, `${reason}: ${message} (dead-lettering is disabled for this topic)`);
      return 'leave';
    }
    ctl.state.enter('dead-lettering', record.offset, reason);
    const correlationId = item.envelope?.metadata.correlationId ?? item.headers[HEADERS.correlationId];
    const input = { record, groupId: this.settings.groupId, reason, error: failure.error, attempts: memory.attempts, correlationId, includeStack: this.settings.deadLetterStackTraces };
    let reduced = false;
    let written: RecordMetadata | undefined;
    const tracing = this.settings.tracing;
    const span = tracing === undefined ? undefined : tracing.deadLetter(item.span, delegator.deadLetter.topic, record, item.envelope?.metadata.eventId, reason, failure.error);
    try {
      const producer = this.producer();
      if (producer === undefined) throw new Error('Dead-letter producer is not connected');
      const send = (m: ReturnType<typeof buildDeadLetterMessage>): Promise<RecordMetadata[]> => producer.send([{ topic: delegator.deadLetter.topic, messages: [m] }]);
      try {
        written = (await send(buildDeadLetterMessage(input)))?.[0];
      } catch (error) {
        if (sendErrorCode(error) !== 'MESSAGE_TOO_LARGE') throw error;
        reduced = true;
        written = (await send(buildDeadLetterMessage({ ...input, reduced: true })))?.[0];
      }
    } catch (error) {
      if (span !== undefined) {
        span.event('dead-letter write failed', { 'error.type': errorType(error), 'exception.message': toError(error).message });
        span.end();
      }
      memory.deadLetterFailures += 1;
      const n = memory.deadLetterFailures;
      ctl.failed(error, where);
      const why = `dead-letter write to '${delegator.deadLetter.topic}' failed (${n}/${this.settings.deadLetterAttempts}): ${toError(error).message}`;
      this.settings.logger.error('Dead-letter write failed; offset not committed', { ...recordFields(item), reason, attempt: n, error, originalError: failure.error });
      if (n >= this.settings.deadLetterAttempts) {
        ctl.halt(record.offset, why);
        return 'leave';
      }
      const delayMs = backoffDelay(this.settings.deadLetterRetry, n, this.settings.random);
      ctl.state.enter('dead-letter-retry', record.offset, why);
      ctl.state.nextAttemptAt = Date.now() + delayMs;
      ctl.pauseFor(delayMs);
      return 'leave';
    }
    if (span !== undefined) {
      span.set({ 'messaging.destination.partition.id': written?.partition === undefined ? undefined : String(written.partition), 'eventgen.dead_letter.reduced': reduced, 'eventgen.attempts': memory.attempts });
      span.end();
    }
    await ctl.completed(item.action === 'handle' ? item.envelope?.metadata.eventId : undefined);
    this.failures.delete(record.topic, record.partition, record.offset);
    ctl.state.idle();
    this.settings.metrics.increment('dead_lettered', labels);
    if (status !== undefined && eventId !== undefined) {
      const deadLetter: DeadLetterCoordinates = { topic: delegator.deadLetter.topic };
      if (written?.partition !== undefined) deadLetter.partition = written.partition;
      if (written?.offset !== undefined) deadLetter.offset = written.offset;
      status.deadLettered(eventId, memory.attempts, failure.error, reason, deadLetter);
    }
    this.settings.logger.warn(reduced ? 'Record dead-lettered as a reduced record (value left out: too large)' : 'Record dead-lettered', {
      ...recordFields(item),
      reason,
      attempts: memory.attempts,
      dlqTopic: delegator.deadLetter.topic,
      error: failure.error,
    });
    return 'next';
  }

  /** Nothing to release today; kept for symmetry with the engine's lifecycle. */
  dispose(): void {}
}
