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
  /** @param eventType the event whose handler is still a stub. */
  constructor(readonly eventType: string) {
    super(`Handler for event '${eventType}' is not implemented yet`);
  }
}

/** A payload does not match its event's Zod schema (at produce or consume time). Non-retriable. */
export class EventValidationError extends NonRetriableError {
  /**
   * @param eventType the event whose schema rejected the payload.
   * @param issues the Zod issues, kept for logs and the dead-letter record.
   */
  constructor(
    readonly eventType: string,
    readonly issues: readonly z.core.$ZodIssue[],
  ) {
    super(`Invalid payload for event '${eventType}': ${formatIssues(issues)}`);
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

/** The dead-letter record could not be written; the original offset stays uncommitted. Retriable. */
export class DeadLetterWriteError extends RetriableError {}

/**
 * A terminal failure on a topic whose dead-letter policy is disabled: the partition is paused rather than the
 * record silently acknowledged.
 */
export class PartitionHaltedError extends NonRetriableError {}

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
