import { z } from 'zod/v4';
import type { UpcastStep } from './legacy.js';

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
   * JSON pointers of the payload fields classified `confidential` or `restricted` in the catalog (`*` = any array
   * item or map value, `""` = the whole payload); absent when there are none. Redacted in the runtime's logs and
   * dead-letter headers (see `redact-data.ts`).
   */
  readonly sensitiveFields?: readonly string[];
  /**
   * Kafka key for a (validated) payload; `null` = no key (round-robin partitioning).
   * Declared as a method so a specific definition is assignable to `EventDefinition` without `any`.
   */
  partitionKey(data: z.output<TSchema>): string | null;
  /**
   * The event's version chain (catalog `x-previous-versions`), oldest first: a consumed payload whose `eventVersion`
   * is older is upcast with these steps before validation (see `upcast`); absent = no version check at all.
   */
  readonly upcasters?: readonly UpcastStep[];
  /**
   * Avro payloads only: the payload's self-contained Avro schema (JSON text) as a schema registry stores it. With an
   * `AvroCodec` on the producer and the consumer, such events travel as Confluent wire-format Avro (see avro-codec.ts).
   */
  readonly avro?: { readonly schema: string };
  /**
   * Events the catalog gives `x-codec: json-schema` only: the payload's self-contained JSON Schema (JSON text) as a
   * schema registry stores it. With a `JsonSchemaCodec` on the producer and the consumer, such events travel as
   * Confluent wire-format JSON (see json-schema-codec.ts).
   */
  readonly jsonSchema?: { readonly schema: string };
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

type Compile = <T extends z.ZodType>(schema: T) => T;
// `z.compile` (zod >= 4.6): an ahead-of-time compiled fast path for valid input, identical errors for invalid
// input. Absent in older zod (e.g. zod 3.25's `zod/v4`): schemas are then used as they are.
const compile: Compile | undefined = typeof (z as unknown as { compile?: unknown }).compile === 'function' ? (z as unknown as { compile: Compile }).compile : undefined;
const compiled = new WeakMap<z.ZodType, z.ZodType>();

/** The schema to validate with: compiled once per schema where zod can compile it, else the schema itself. */
export function fastSchema<TSchema extends z.ZodType>(schema: TSchema): TSchema {
  if (compile === undefined) return schema;
  let fast = compiled.get(schema);
  if (fast === undefined) {
    try {
      fast = compile(schema);
    } catch {
      fast = schema;
    }
    compiled.set(schema, fast);
  }
  return fast as TSchema;
}

/**
 * Validates an event payload synchronously (compiled schema, see {@link fastSchema}); `undefined` when the schema
 * has async refinements or transforms and needs {@link parseEventData}.
 */
export function parseEventDataSync<TSchema extends z.ZodType>(schema: TSchema, data: unknown): z.ZodSafeParseResult<z.output<TSchema>> | undefined {
  try {
    return fastSchema(schema).safeParse(data) as z.ZodSafeParseResult<z.output<TSchema>>;
  } catch (error) {
    if (error instanceof z.core.$ZodAsyncError) return undefined;
    throw error;
  }
}

/**
 * Validates an event payload: the synchronous parse of the compiled schema (the top cost of the produce/consume
 * path), falling back to the asynchronous parse only for schemas with async refinements or transforms.
 */
export async function parseEventData<TSchema extends z.ZodType>(schema: TSchema, data: unknown): Promise<z.ZodSafeParseResult<z.output<TSchema>>> {
  return parseEventDataSync(schema, data) ?? schema.safeParseAsync(data);
}

/**
 * Wraps an object schema with a property named like a member of `Object.prototype` (`toString`, `constructor`, …):
 * Zod reads `input[key]`, which for an absent optional key finds the inherited member (a function) and fails. The
 * wrapper hands Zod the input's own properties only. Input and output types stay the schema's. Generated schemas use
 * it where such a name occurs.
 */
// The return type is inferred: zod 4.6 calls it ZodPreprocess, zod 3.25's `zod/v4` a ZodPipe of a transform.
export function ownProperties<T extends z.ZodType>(schema: T) {
  return z.preprocess(
    (value: z.input<T>): unknown =>
      typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.assign(Object.create(null) as Record<string, unknown>, value) : value,
    schema,
  );
}
