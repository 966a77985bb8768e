import type { z } from 'zod/v4';
import type { AvroCodec } from './avro-codec.js';
import type { JsonSchemaCodec } from './json-schema-codec.js';
import { DEFAULT_RETRY_POLICY, defaultDeadLetterPolicy, parseEventData, parseEventDataSync, type DeadLetterPolicy, type EventDefinition, type RetryPolicy } from './definitions.js';
import type { EnvelopeMetadata, EnvelopeMigration } from './envelope.js';
import { EventValidationError, UnknownEventTypeError } from './errors.js';
import type { EventOutputs } from './exactly-once.js';
import type { EventHeaders } from './headers.js';
import { legacyMigration, upcast, type LegacyFormat } from './legacy.js';
import type { Logger } from './logger.js';
import { validateRetryPolicy } from './retry.js';
import type { RetryTopicsPolicy } from './retry-topics.js';
import type { ConsumedRecord } from './transport.js';

/** What a handler gets besides the payload. */
export interface EventContext {
  /** Topic of the record. */
  readonly topic: string;
  /** Partition of the record. */
  readonly partition: number;
  /** Offset of the record (decimal string). */
  readonly offset: string;
  /** Decoded record headers (UTF-8 text; the last value of a repeated header; null values left out). */
  readonly headers: EventHeaders;
  /** The raw record: key, value bytes, headers exactly as received, timestamp. */
  readonly record: ConsumedRecord;
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
  /**
   * Exactly-once groups only: this attempt's outputs. Messages sent here (and by typed producers called with
   * `{ causedBy: context }`) are written in the Kafka transaction that commits the record's offset if the attempt
   * succeeds, and dropped if it fails. Undefined in other groups.
   */
  readonly outputs?: EventOutputs | undefined;
  /** Logger carrying correlationId, eventId, topic, partition and offset. */
  readonly logger: Logger;
  /**
   * Aborted when this attempt should end early: the consumer is stopping, the attempt ran past `handlerTimeoutMs`,
   * or the partition was taken away by a rebalance. Pass it to cancellable calls.
   */
  readonly signal: AbortSignal;
}

/** Handles one event type; generated stubs implement it. */
export interface EventHandler<TData> {
  /** Resolve = done (offset may be committed); throw = retry or dead-letter depending on the error. */
  handle(data: TData, context: EventContext): Promise<void>;
  /**
   * Optional: handles consecutive records of one partition at once (one bulk insert, one API call). Resolve with
   * nothing when all succeeded, or with one entry per item: `undefined` for a success, the error otherwise; a throw
   * fails them all. Each record's outcome counts on its own: successes are done, failures go through `handle` one by
   * one (retries, dead-lettering) before later records of the partition are committed.
   */
  handleBatch?(items: ReadonlyArray<BatchEntry<TData>>): Promise<void | ReadonlyArray<unknown>>;
  /**
   * Optional: brings a payload whose `context.metadata.eventVersion` differs from the event's version to the current
   * shape before validation, instead of the catalog's upcasters (`x-previous-versions`; call `upcast(definition,
   * version, data)` to extend them). Throw {@link EventVersionError} for a version it cannot read (dead-letter reason
   * `version`).
   */
  upcast?(data: unknown, context: EventContext): unknown;
}

/** One record given to {@link EventHandler.handleBatch}. */
export interface BatchEntry<TData> {
  /** The validated payload. */
  readonly data: TData;
  /** Its context, as `handle` would get it (attempt 1). */
  readonly context: EventContext;
}

/** A type-erased route from an event type (or pattern) to a handler. */
export type Route =
  | {
      readonly kind: 'exact';
      readonly eventType: string;
      readonly definition: EventDefinition;
      /** Validates `data` with the event's schema, then calls the handler with the parsed output. */
      invoke(data: unknown, context: EventContext): Promise<void>;
      /**
       * Present when the handler has `handleBatch`: validates each item (an invalid one fails with
       * {@link EventValidationError} without reaching the handler), then calls `handleBatch` with the valid ones;
       * resolves with one outcome per item (`undefined` = succeeded, else the error).
       */
      invokeBatch?(items: ReadonlyArray<{ data: unknown; context: EventContext }>): Promise<unknown[]>;
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
  const handleBatch = handler.handleBatch?.bind(handler);
  const prepare = upcasterOf(definition, handler);
  const direct = exactInvoke(definition, handler, prepare);
  return {
    kind: 'exact',
    eventType: definition.eventType,
    definition,
    ...(handleBatch === undefined
      ? {}
      : {
          invokeBatch: async (items: ReadonlyArray<{ data: unknown; context: EventContext }>): Promise<unknown[]> => {
            const outcomes: unknown[] = new Array(items.length).fill(undefined);
            const valid: Array<BatchEntry<z.output<TSchema>>> = [];
            const at: number[] = [];
            for (let i = 0; i < items.length; i++) {
              const item = items[i] as { data: unknown; context: EventContext };
              let data = item.data;
              if (isEncodedPayload(data)) {
                try {
                  data = await data.decode(definition);
                } catch (error) {
                  outcomes[i] = error;
                  continue;
                }
              }
              if (prepare !== undefined) {
                try {
                  data = prepare(data, item.context);
                } catch (error) {
                  outcomes[i] = error;
                  continue;
                }
              }
              const parsed = await parseEventData(definition.schema, data);
              if (parsed.success) {
                valid.push({ data: parsed.data, context: item.context });
                at.push(i);
              } else outcomes[i] = new EventValidationError(definition.eventType, parsed.error.issues);
            }
            if (valid.length === 0) return outcomes;
            let answer: void | ReadonlyArray<unknown>;
            try {
              answer = await handleBatch(valid);
            } catch (error) {
              for (const i of at) outcomes[i] = error;
              return outcomes;
            }
            if (answer !== undefined) at.forEach((i, k) => (outcomes[i] = answer[k]));
            return outcomes;
          },
        }),
    // An Avro record's payload is decoded first (the writer schema may need a registry round trip).
    invoke: (raw, context) => (isEncodedPayload(raw) ? raw.decode(definition).then((data) => direct(data, context)) : direct(raw, context)),
  };
}

/** The synchronous-where-possible invoke of an exact route on a decoded payload. */
function exactInvoke<TType extends string, TSchema extends z.ZodType>(
  definition: EventDefinition<TType, TSchema>,
  handler: EventHandler<z.output<TSchema>>,
  prepare: ((data: unknown, context: EventContext) => unknown) | undefined,
): (raw: unknown, context: EventContext) => Promise<void> {
  return (raw, context) => {
    let data = raw;
    if (prepare !== undefined) {
      try {
        data = prepare(raw, context);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const parsed = parseEventDataSync(definition.schema, data);
    if (parsed === undefined) {
      return parseEventData(definition.schema, data).then((result) => {
        if (!result.success) throw new EventValidationError(definition.eventType, result.error.issues);
        return handler.handle(result.data, context);
      });
    }
    if (!parsed.success) return Promise.reject(new EventValidationError(definition.eventType, parsed.error.issues));
    return handler.handle(parsed.data, context);
  };
}

/** A payload still encoded (an Avro record's `AvroPayload`): decoded by its route before validation. */
export interface EncodedPayload {
  readonly encoded: true;
  decode(definition: EventDefinition | undefined): Promise<unknown>;
}

/** True for an {@link EncodedPayload}. */
export function isEncodedPayload(value: unknown): value is EncodedPayload {
  return typeof value === 'object' && value !== null && (value as { encoded?: unknown }).encoded === true && typeof (value as { decode?: unknown }).decode === 'function';
}

/** The version step of a route: the handler's own `upcast`, else the definition's upcasters, else none. */
function upcasterOf(definition: EventDefinition, handler: EventHandler<never>): ((data: unknown, context: EventContext) => unknown) | undefined {
  const own = handler.upcast?.bind(handler);
  if (own !== undefined) return (data, context) => (context.metadata.eventVersion === definition.version ? data : own(data, context));
  if (definition.upcasters === undefined) return undefined;
  return (data, context) => upcast(definition, context.metadata.eventVersion, data);
}

/**
 * Routes every event type matching a glob (`order.*`, `**`) to a handler of unknown data; used for events the
 * catalog does not describe. Exact routes always win over patterns.
 */
route.pattern = function pattern(glob: string, handler: EventHandler<unknown>): Route {
  return { kind: 'pattern', pattern: glob, invoke: async (data, context) => handler.handle(isEncodedPayload(data) ? await data.decode(undefined) : data, context) };
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
  /**
   * Non-blocking retries through retry topics instead of in-process retries (catalog `x-retry.mode: topics`): the
   * consumer also reads these topics and routes their records here. See {@link retryTopicsPolicy}.
   */
  retryTopics?: RetryTopicsPolicy;
  /** Overrides error classification for this topic (default {@link isRetriable}). */
  isRetriable?: (error: unknown) => boolean;
  /**
   * Event types the catalog declares on this topic that this group does not receive: acknowledged without
   * a handler (counted as ignored), so groups can read a shared topic for different subsets. Event types
   * the catalog does not declare at all are unknown (see `unknownEventTypes`).
   */
  ignore?: readonly string[];
  /** What happens to records of an unknown event type (default: the consumer's policy, itself `dead-letter`). */
  unknownEventTypes?: UnknownEventTypePolicy;
  /** Longest time one handler attempt may take on this topic (default: the consumer's `handlerTimeoutMs`). */
  handlerTimeoutMs?: number;
  /**
   * The topic's records written before the envelope (catalog `x-legacy`): such records are turned into envelopes
   * before envelope validation (ahead of the consumer's `migrateEnvelope`), see {@link legacyMigration}.
   */
  legacy?: LegacyFormat;
  /**
   * Avro records in the Confluent wire format on this topic (magic byte 0): metadata from the headers, the payload
   * decoded with the registry's writer schema and the event's reader schema (see avro-codec.ts). JSON envelopes on the
   * same topic are still read, so producers can move to Avro one by one.
   */
  avro?: AvroCodec | undefined;
  /**
   * JSON records in the Confluent wire format on this topic (events with `x-codec: json-schema`): metadata from the
   * headers, the schema id checked against the registry, the JSON validated by Zod (see json-schema-codec.ts).
   */
  jsonSchema?: JsonSchemaCodec | undefined;
}

/**
 * Records whose event type no route and no `ignore` entry knows: `dead-letter` them (reason
 * `unknown-event-type`), `ignore` them (acknowledged, counted as ignored, logged once per type), or `halt` the
 * partition until resumed (a newer producer is ahead of this consumer and nothing may be skipped).
 */
export type UnknownEventTypePolicy = 'dead-letter' | 'ignore' | 'halt';

/** Routes the records of one topic to event handlers by `eventType`; base class of generated topic handlers. */
export class TopicDelegator {
  /** Topic name. */
  readonly topic: string;
  /** Retry policy of the topic. */
  readonly retry: RetryPolicy;
  /** Dead-letter policy of the topic. */
  readonly deadLetter: DeadLetterPolicy;
  /** Retry topics of this topic for the group, when retries go through topics. */
  readonly retryTopics: RetryTopicsPolicy | undefined;
  /** Per-topic error classification, if any. */
  readonly isRetriable: ((error: unknown) => boolean) | undefined;
  /** Per-topic unknown event type policy, if any. */
  readonly unknownEventTypes: UnknownEventTypePolicy | undefined;
  /** Per-topic handler attempt limit, if any. */
  readonly handlerTimeoutMs: number | undefined;
  /** The topic's own migration hook (from `legacy`), applied before the consumer's. */
  readonly migrateEnvelope: EnvelopeMigration | undefined;
  /** Decodes wire-format Avro records of this topic, when set. */
  readonly avro: AvroCodec | undefined;
  /** Decodes wire-format JSON records of this topic, when set. */
  readonly jsonSchema: JsonSchemaCodec | undefined;
  private readonly exact = new Map<string, Route>();
  private readonly patterns: Array<{ regex: RegExp; route: Route }> = [];
  private readonly ignored: ReadonlySet<string>;

  /** @param options topic, routes and policies. */
  constructor(options: TopicDelegatorOptions) {
    this.topic = options.topic;
    this.retry = validateRetryPolicy(options.retry ?? DEFAULT_RETRY_POLICY);
    this.deadLetter = options.deadLetter ?? defaultDeadLetterPolicy(options.topic);
    this.isRetriable = options.isRetriable;
    this.retryTopics = options.retryTopics;
    this.unknownEventTypes = options.unknownEventTypes;
    this.handlerTimeoutMs = options.handlerTimeoutMs;
    this.ignored = new Set(options.ignore ?? []);
    this.avro = options.avro;
    this.jsonSchema = options.jsonSchema;
    for (const r of options.routes) {
      if (r.kind === 'pattern') this.patterns.push({ regex: globToRegExp(r.pattern), route: r });
      else if (this.exact.has(r.eventType)) throw new Error(`Duplicate route for event type '${r.eventType}' on topic '${this.topic}'`);
      else this.exact.set(r.eventType, r);
    }
    const definitions = options.routes.flatMap((r) => (r.kind === 'exact' ? [r.definition] : []));
    this.migrateEnvelope = options.legacy === undefined ? undefined : legacyMigration(options.legacy, definitions);
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
