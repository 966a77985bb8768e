import type { z } from 'zod/v4';
import { DEFAULT_RETRY_POLICY, defaultDeadLetterPolicy, parseEventData, type DeadLetterPolicy, type EventDefinition, type RetryPolicy } from './definitions.js';
import type { EnvelopeMetadata, EventHeaders } from './envelope.js';
import { EventValidationError, UnknownEventTypeError } from './errors.js';
import type { Logger } from './logger.js';
import { validateRetryPolicy } from './retry.js';

/** What a handler gets besides the payload. */
export interface EventContext {
  /** Topic of the record. */
  readonly topic: string;
  /** Partition of the record. */
  readonly partition: number;
  /** Offset of the record (decimal string). */
  readonly offset: string;
  /** Decoded record headers. */
  readonly headers: EventHeaders;
  /** Envelope event id (the idempotency key). */
  readonly eventId: string;
  /** Envelope event type. */
  readonly eventType: string;
  /** Correlation id of the flow; pass it on to events you produce. */
  readonly correlationId: string;
  /** Id of the event that caused this one. */
  readonly causationId: string | undefined;
  /** 1-based attempt number (> 1 on retries). */
  readonly attempt: number;
  /** The whole envelope metadata. */
  readonly metadata: EnvelopeMetadata;
  /** Logger carrying correlationId, eventId, topic, partition and offset. */
  readonly logger: Logger;
  /** Aborted when the consumer is stopping; pass to cancellable calls. */
  readonly signal: AbortSignal;
}

/** Handles one event type; generated stubs implement it. */
export interface EventHandler<TData> {
  /** Resolve = done (offset may be committed); throw = retry or dead-letter depending on the error. */
  handle(data: TData, context: EventContext): Promise<void>;
}

/** A type-erased route from an event type (or pattern) to a handler. */
export type Route =
  | {
      readonly kind: 'exact';
      readonly eventType: string;
      readonly definition: EventDefinition;
      /** Validates `data` with the event's schema, then calls the handler with the parsed output. */
      invoke(data: unknown, context: EventContext): Promise<void>;
    }
  | {
      readonly kind: 'pattern';
      /** Glob on event types: `*` = one dot-separated segment, `**` = any rest (e.g. `order.*`). */
      readonly pattern: string;
      /** Calls the handler with the unvalidated payload. */
      invoke(data: unknown, context: EventContext): Promise<void>;
    };

/**
 * Routes an event to a typed handler. The handler receives the schema's output (defaults applied); an invalid
 * payload raises {@link EventValidationError} (non-retriable) and never reaches the handler.
 */
export function route<TType extends string, TSchema extends z.ZodType>(
  definition: EventDefinition<TType, TSchema>,
  handler: EventHandler<z.output<TSchema>>,
): Route {
  return {
    kind: 'exact',
    eventType: definition.eventType,
    definition,
    invoke: async (data, context) => {
      const parsed = await parseEventData(definition.schema, data);
      if (!parsed.success) throw new EventValidationError(definition.eventType, parsed.error.issues);
      await handler.handle(parsed.data, context);
    },
  };
}

/**
 * Routes every event type matching a glob (`order.*`, `**`) to a handler of unknown data; used for events the
 * catalog does not describe. Exact routes always win over patterns.
 */
route.pattern = function pattern(glob: string, handler: EventHandler<unknown>): Route {
  return { kind: 'pattern', pattern: glob, invoke: (data, context) => handler.handle(data, context) };
};

/** Options of {@link TopicDelegator}. */
export interface TopicDelegatorOptions {
  /** Topic name. */
  topic: string;
  /** Routes; exact event types must be unique. */
  routes: readonly Route[];
  /** Retry policy (default {@link DEFAULT_RETRY_POLICY}). */
  retry?: RetryPolicy;
  /** Dead-letter policy (default enabled, `<topic>.dlq`). */
  deadLetter?: DeadLetterPolicy;
  /** Overrides error classification for this topic (default {@link isRetriable}). */
  isRetriable?: (error: unknown) => boolean;
  /**
   * Event types the catalog declares on this topic that this group does not receive: acknowledged without
   * a handler (counted as ignored), so groups can read a shared topic for different subsets. Event types
   * the catalog does not declare at all stay unknown and are dead-lettered.
   */
  ignore?: readonly string[];
}

/** Routes the records of one topic to event handlers by `eventType`; base class of generated topic handlers. */
export class TopicDelegator {
  /** Topic name. */
  readonly topic: string;
  /** Retry policy of the topic. */
  readonly retry: RetryPolicy;
  /** Dead-letter policy of the topic. */
  readonly deadLetter: DeadLetterPolicy;
  /** Per-topic error classification, if any. */
  readonly isRetriable: ((error: unknown) => boolean) | undefined;
  private readonly exact = new Map<string, Route>();
  private readonly patterns: Array<{ regex: RegExp; route: Route }> = [];
  private readonly ignored: ReadonlySet<string>;

  /** @param options topic, routes and policies. */
  constructor(options: TopicDelegatorOptions) {
    this.topic = options.topic;
    this.retry = validateRetryPolicy(options.retry ?? DEFAULT_RETRY_POLICY);
    this.deadLetter = options.deadLetter ?? defaultDeadLetterPolicy(options.topic);
    this.isRetriable = options.isRetriable;
    this.ignored = new Set(options.ignore ?? []);
    for (const r of options.routes) {
      if (r.kind === 'pattern') this.patterns.push({ regex: globToRegExp(r.pattern), route: r });
      else if (this.exact.has(r.eventType)) throw new Error(`Duplicate route for event type '${r.eventType}' on topic '${this.topic}'`);
      else this.exact.set(r.eventType, r);
    }
  }

  /** Event types with an exact route. */
  get eventTypes(): string[] {
    return [...this.exact.keys()];
  }

  /** True when records of this event type are acknowledged without a handler (see `ignore`). */
  ignores(eventType: string): boolean {
    return this.ignored.has(eventType) && !this.exact.has(eventType);
  }

  /** The route for an event type: exact match first, then the first matching pattern. */
  resolve(eventType: string): Route | undefined {
    return this.exact.get(eventType) ?? this.patterns.find((p) => p.regex.test(eventType))?.route;
  }

  /**
   * Validates and handles one payload.
   * @throws UnknownEventTypeError when no route matches; EventValidationError on a bad payload; handler errors.
   */
  async dispatch(eventType: string, data: unknown, context: EventContext): Promise<void> {
    const target = this.resolve(eventType);
    if (target === undefined) throw new UnknownEventTypeError(eventType, this.topic);
    await target.invoke(data, context);
  }
}

/** Compiles an event-type glob: `*` = one segment (no dots), `**` = anything. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('**')
    .map((part) => part.split('*').map(escapeRegExp).join('[^.]+'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
