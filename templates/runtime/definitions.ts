import { z } from 'zod/v4';

/** Sensitivity of an event's data, from the catalog (`x-data-classification`). */
export type DataClassification = 'public' | 'internal' | 'confidential' | 'restricted';

/**
 * Everything the runtime needs to know about one event type; generated once per catalog event with
 * {@link defineEvent}.
 */
export interface EventDefinition<TType extends string = string, TSchema extends z.ZodType = z.ZodType> {
  /** The event type, e.g. `order.created`; carried in the envelope and the `event-type` header. */
  readonly eventType: TType;
  /** Event schema version, e.g. `1.2.0`. */
  readonly version: string;
  /** Kafka topic names carrying the event. */
  readonly topics: readonly string[];
  /** Zod schema of the payload. */
  readonly schema: TSchema;
  /** Sensitivity of the payload. */
  readonly classification: DataClassification;
  /**
   * Kafka key for a (validated) payload; `null` = no key (round-robin partitioning).
   * Declared as a method so a specific definition is assignable to `EventDefinition` without `any`.
   */
  partitionKey(data: z.output<TSchema>): string | null;
}

/** Declares an event; infers the literal event type and the schema so handlers and producers are typed. */
export function defineEvent<TType extends string, TSchema extends z.ZodType>(
  definition: EventDefinition<TType, TSchema>,
): EventDefinition<TType, TSchema> {
  return Object.freeze({ ...definition, topics: Object.freeze([...definition.topics]) });
}

/** How a failing record is retried in-process (mirrors the catalog's `x-retry`). */
export interface RetryPolicy {
  /** Retries after the first attempt (attempts = maxRetries + 1). */
  readonly maxRetries: number;
  /** Delay before the first retry. */
  readonly initialDelayMs: number;
  /** Upper bound of any delay. */
  readonly maxDelayMs: number;
  /** Growth factor between consecutive delays. */
  readonly multiplier: number;
  /** 0..1: the fraction of each delay that is randomised. */
  readonly jitter: number;
}

/** Where terminal failures of a topic go (mirrors the catalog's `x-dead-letter`). */
export interface DeadLetterPolicy {
  /** When false, a terminal failure halts the partition instead of acknowledging the record. */
  readonly enabled: boolean;
  /** Dead-letter topic, `<topic>.dlq` by default or one shared topic. */
  readonly topic: string;
}

/** The catalog default: 3 retries, 200 ms doubling up to 30 s, 20 % jitter. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxRetries: 3,
  initialDelayMs: 200,
  maxDelayMs: 30_000,
  multiplier: 2,
  jitter: 0.2,
});

/** The default dead-letter policy for a topic: enabled, `<topic>.dlq`. */
export function defaultDeadLetterPolicy(topic: string): DeadLetterPolicy {
  return { enabled: true, topic: `${topic}.dlq` };
}

/**
 * Validates an event payload: Zod's synchronous parse (about twice as fast as `safeParseAsync`, the top cost of the
 * produce/consume path), falling back to the asynchronous parse only for schemas with async refinements or
 * transforms, which the synchronous parse rejects with `$ZodAsyncError`.
 */
export async function parseEventData<TSchema extends z.ZodType>(schema: TSchema, data: unknown): Promise<z.ZodSafeParseResult<z.output<TSchema>>> {
  try {
    return schema.safeParse(data);
  } catch (error) {
    if (error instanceof z.core.$ZodAsyncError) return schema.safeParseAsync(data);
    throw error;
  }
}
