import type { z } from 'zod/v4';

/**
 * Base class of every error the runtime raises or classifies. `retriable` decides whether the consumer retries
 * the record in-process or sends it straight to the dead-letter topic.
 */
export abstract class EventError extends Error {
  /** True when another attempt may succeed (a transient failure). */
  abstract readonly retriable: boolean;

  /** @param message human-readable description; `options.cause` keeps the underlying error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // Subclass name survives minification-free builds and shows up in dlq-error-class.
    this.name = new.target.name;
  }
}

/** A transient failure (timeout, unavailable dependency): the consumer retries with backoff. */
export class RetriableError extends EventError {
  /** Always true. */
  readonly retriable = true;
}

/** A permanent failure: retrying cannot help, the record goes to the dead-letter topic after one attempt. */
export class NonRetriableError extends EventError {
  /** Always false. */
  readonly retriable = false;
}

/** Thrown by generated handler stubs until the user implements them. Non-retriable. */
export class NotImplementedError extends NonRetriableError {
  /** The event whose handler is still a stub (`unknown` when only a message was given). */
  readonly eventType: string;
  /** The consumer group of the stub, when given. */
  readonly groupId: string | undefined;

  /**
   * @param what the event type (`order.created`), or the event type with the group and the event id; a text
   *   with spaces (what stubs of eventgen 0.1 pass) is kept as the message.
   */
  constructor(what: string | { eventType: string; groupId?: string; eventId?: string }) {
    const info = typeof what === 'string' ? (/\s/.test(what) ? { eventType: 'unknown', message: what } : { eventType: what }) : what;
    const message =
      'message' in info
        ? info.message
        : `No handler implemented for event '${info.eventType}'${'groupId' in info && info.groupId !== undefined ? ` in consumer group '${info.groupId}'` : ''}` +
          `${'eventId' in info && info.eventId !== undefined ? ` (eventId ${info.eventId})` : ''}: implement the generated stub`;
    super(message);
    this.eventType = info.eventType;
    this.groupId = 'groupId' in info ? info.groupId : undefined;
  }
}

/**
 * A payload does not match its event's Zod schema. Non-retriable. `stage` says whose payload: `consume` = the
 * record being handled (dead-letter reason `validation`), `produce` = an event the code tried to send (when a
 * handler does that, the record is dead-lettered as `handler-non-retriable`: the handler is wrong, not the record).
 */
export class EventValidationError extends NonRetriableError {
  /**
   * @param eventType the event whose schema rejected the payload.
   * @param issues the Zod issues, kept for logs and the dead-letter record.
   * @param stage whose payload it is (default `consume`).
   */
  constructor(
    readonly eventType: string,
    readonly issues: readonly z.core.$ZodIssue[],
    readonly stage: 'produce' | 'consume' = 'consume',
  ) {
    super(`Invalid payload for event '${eventType}'${stage === 'produce' ? ' (not sent)' : ''}: ${formatIssues(issues)}`);
  }
}

/** A record value is not JSON (or is empty). Non-retriable. */
export class DecodeError extends NonRetriableError {}

/** A record is JSON but not an event envelope, and no migration hook accepted it. Non-retriable. */
export class EnvelopeError extends NonRetriableError {
  /**
   * @param message what is wrong with the envelope.
   * @param issues Zod issues of the envelope check, when there are any.
   */
  constructor(
    message: string,
    readonly issues: readonly z.core.$ZodIssue[] = [],
  ) {
    super(issues.length > 0 ? `${message}: ${formatIssues(issues)}` : message);
  }
}

/** No route of the topic handles the record's event type. Non-retriable. */
export class UnknownEventTypeError extends NonRetriableError {
  /**
   * @param eventType the unrouted event type.
   * @param topic the topic the record came from.
   */
  constructor(
    readonly eventType: string,
    readonly topic: string,
  ) {
    super(`No handler for event type '${eventType}' on topic '${topic}'`);
  }
}

/**
 * A record's `eventVersion` cannot be brought to the version this consumer supports: it is newer, unreadable, or
 * older with no upcaster step for it (catalog `x-previous-versions`). Non-retriable; dead-letter reason `version`.
 */
export class EventVersionError extends NonRetriableError {
  /**
   * @param eventType the event.
   * @param seenVersion the record's `eventVersion`.
   * @param supportedVersion the version this consumer's schema describes.
   * @param detail why it cannot be upcast.
   */
  constructor(
    readonly eventType: string,
    readonly seenVersion: string,
    readonly supportedVersion: string,
    detail: string,
  ) {
    super(`Event '${eventType}' version ${seenVersion} cannot be upcast to the supported version ${supportedVersion}: ${detail}`);
  }
}

/** The dead-letter record could not be written; the original offset stays uncommitted. Retriable. */
export class DeadLetterWriteError extends RetriableError {}

/**
 * A terminal failure on a topic whose dead-letter policy is disabled: the partition is paused rather than the
 * record silently acknowledged.
 */
export class PartitionHaltedError extends NonRetriableError {}

/** A handler attempt did not settle within `handlerTimeoutMs`: its signal is aborted and the attempt counts as failed. Retriable. */
export class HandlerTimeoutError extends RetriableError {
  /** @param timeoutMs the limit that passed. */
  constructor(readonly timeoutMs: number) {
    super(`Handler did not finish within ${timeoutMs} ms (handlerTimeoutMs); its signal was aborted`);
  }
}

/** The record's event id is being processed by another member (its dedup lease is held). Retriable. */
export class LeaseHeldError extends RetriableError {}

/** The consumer is stopping; the in-flight record is left uncommitted and will be redelivered. */
export class ConsumerStoppingError extends RetriableError {
  constructor() {
    super('Consumer is stopping');
  }
}

/**
 * Whether another attempt may succeed. Errors that do not say otherwise are retriable, so a transient
 * failure in user code never loses a record; anything with `retriable === false` is not.
 */
export function isRetriable(error: unknown): boolean {
  if (error instanceof EventError) return error.retriable;
  // Duck-typed so errors from another copy of the runtime (or user code) can opt out too.
  if (typeof error === 'object' && error !== null && 'retriable' in error) {
    return (error as { retriable: unknown }).retriable !== false;
  }
  return true;
}

/** Normalises anything thrown into an Error (for logs, health and dead-letter headers). */
export function toError(error: unknown): Error {
  if (error instanceof Error) return error;
  return new Error(typeof error === 'string' ? error : safeStringify(error));
}

function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, 5).map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`);
  if (issues.length > shown.length) shown.push(`… ${issues.length - shown.length} more`);
  return shown.join('; ');
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
