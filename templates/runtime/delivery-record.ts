import { isConfluentWire } from './avro-codec.js';
import { wireCodecFor } from './json-schema-codec.js';
import type { RetryPolicy } from './definitions.js';
import type { Route, TopicDelegator, UnknownEventTypePolicy } from './delegator.js';
import { HEADERS, decodeEnvelope, type Envelope, type EnvelopeMigration } from './envelope.js';
import { decodeHeaders } from './headers.js';
import type { ExactlyOnce } from './exactly-once.js';
import { chainMigrations } from './legacy.js';
import { traceIdOf, type Logger } from './logger.js';
import type { HandlerOutcome, Metrics } from './metrics.js';
import type { ProcessedStore } from './processed-store.js';
import type { RandomSource, Sleep } from './retry.js';
import type { StatusReporter } from './status-reporter.js';
import type { TraceSpan, Tracing } from './tracing.js';
import type { CommitPolicy, ConsumedRecord, TransportConsumer, TransportProducer } from './transport.js';

/** Settings of the {@link DeliveryEngine} (resolved from the group consumer's options). */
export interface DeliverySettings {
  groupId: string;
  logger: Logger;
  metrics: Metrics;
  store: ProcessedStore | null;
  /** This member's lease owner token. */
  owner: string;
  leaseMs: number;
  migrateEnvelope: EnvelopeMigration | undefined;
  isRetriable: ((error: unknown) => boolean) | undefined;
  handlerTimeoutMs: number;
  /** How long commits may keep failing before no further record is handled until one lands. */
  maxUncommittedMs: number;
  heartbeatIntervalMs: number;
  retryPauseThresholdMs: number;
  unknownEventTypes: UnknownEventTypePolicy;
  deadLetterAttempts: number;
  deadLetterRetry: RetryPolicy;
  deadLetterStackTraces: boolean;
  storeRetry: RetryPolicy;
  sleep: Sleep | undefined;
  random: RandomSource | undefined;
  /** Event status reporting (advisory), when the consumer has a `statusStore`. */
  status: StatusReporter | undefined;
  /** Exactly-once consume → produce: outputs buffered per attempt, offsets committed in Kafka transactions. */
  exactlyOnce?: ExactlyOnce | undefined;
  /** Spans per record (`process`, attempt events, dead-letter writes), when the consumer has a `tracing` option. */
  tracing: Tracing | undefined;
}

/** The transport pieces the engine drives. */
export interface DeliveryIo {
  consumer(): TransportConsumer | undefined;
  deadLetterProducer(): TransportProducer | undefined;
  commitPolicy(): CommitPolicy;
}

/** A record of a batch, decoded once, with what the engine will do with it. */
export class Item {
  private decoded: Record<string, string> | undefined;
  /** The record's `process` span while the engine handles it (tracing on). */
  span: TraceSpan | undefined = undefined;
  /** How its processing ended, for the processing-time histogram (unset = `interrupted`). */
  outcome: HandlerOutcome | undefined = undefined;

  constructor(
    readonly record: ConsumedRecord,
    readonly envelope: Envelope | undefined,
    readonly error: unknown,
    /** `handle` = a route matches (the only records that are claimed in the processed store). */
    readonly action: 'handle' | 'ignore' | 'unknown' | 'undecodable',
    /** The route, when `handle`. */
    readonly target: Route | undefined,
    decoded?: Record<string, string>,
  ) {
    this.decoded = decoded;
  }

  /** The record's headers as text, decoded on first use (most records never need them). */
  get headers(): Record<string, string> {
    this.decoded ??= decodeHeaders(this.record.headers);
    return this.decoded;
  }
}

/** Decoded headers of a record without any. */
export const NO_HEADERS: Record<string, string> = Object.freeze(Object.create(null) as Record<string, string>);

// The topic's migration followed by the consumer's, built once per delegator (not per record).
const chains = new WeakMap<TopicDelegator, { consumer: EnvelopeMigration; chain: EnvelopeMigration }>();
function chained(delegator: TopicDelegator, own: EnvelopeMigration, consumer: EnvelopeMigration): EnvelopeMigration {
  const hit = chains.get(delegator);
  if (hit !== undefined && hit.consumer === consumer) return hit.chain;
  const chain = chainMigrations(own, consumer);
  chains.set(delegator, { consumer, chain });
  return chain;
}

/** Decodes a record once and decides what the engine will do with it (handle, ignore, unknown, undecodable). */
export function decodeItem(record: ConsumedRecord, delegator: TopicDelegator, consumerMigrate: EnvelopeMigration | undefined): Item {
  const own = delegator.migrateEnvelope;
  const migrate = own === undefined ? consumerMigrate : consumerMigrate === undefined ? own : chained(delegator, own, consumerMigrate);
  // Headers are decoded up front only for a migration hook (it reads them); otherwise on first use.
  const wire = (delegator.avro !== undefined || delegator.jsonSchema !== undefined) && isConfluentWire(record.value);
  const headers = migrate === undefined ? undefined : decodeHeaders(record.headers);
  const codec = wire ? wireCodecFor(delegator.avro, delegator.jsonSchema, record.headers) : undefined;
  let envelope: Envelope;
  try {
    // Avro or JSON in the Confluent wire format: metadata from the (raw) headers; the payload is decoded by its route.
    envelope = codec !== undefined ? codec.recordEnvelope(record) : decodeEnvelope(record.value, headers ?? NO_HEADERS, migrate, record);
  } catch (error) {
    return new Item(record, undefined, error, 'undecodable', undefined, headers);
  }
  const type = envelope.metadata.eventType;
  if (delegator.ignores(type)) return new Item(record, envelope, undefined, 'ignore', undefined, headers);
  const target = delegator.resolve(type);
  return new Item(record, envelope, undefined, target === undefined ? 'unknown' : 'handle', target, headers);
}

/** What the engine does after a record: the next one, or leave the batch (retry later, halt, stop, revoke). */
export type Step = 'next' | 'leave';
export const CONTINUE: Step = 'next';
export const LEAVE: Step = 'leave';

/**
 * Log fields of a record: where it is, which event it carries and its trace (`traceId`, from a well-formed W3C
 * `traceparent` header; left out otherwise). Called only where a line is logged, so the header is parsed then.
 */
export function recordFields(item: Item): Record<string, unknown> {
  const { record, envelope } = item;
  const fields: Record<string, unknown> = {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    eventId: envelope?.metadata.eventId ?? item.headers[HEADERS.eventId],
    eventType: envelope?.metadata.eventType ?? item.headers[HEADERS.eventType],
    correlationId: envelope?.metadata.correlationId ?? item.headers[HEADERS.correlationId],
  };
  const traceId = traceIdOf(item.headers[HEADERS.traceparent]);
  if (traceId !== undefined) fields['traceId'] = traceId;
  return fields;
}

/** `a < b` for offsets as decimal strings (no leading zeros): shorter is smaller, else lexicographic. */
export function offsetBefore(a: string, b: string): boolean {
  return a.length < b.length || (a.length === b.length && a < b);
}

/** `offset + 1` as a decimal string (BigInt only past 2^53). */
export function nextOffset(offset: string): string {
  const n = Number(offset);
  return Number.isSafeInteger(n + 1) ? String(n + 1) : (BigInt(offset) + 1n).toString();
}

/** Key of a record (topic, partition, offset) in maps. */
export function recordKey(record: ConsumedRecord | undefined): string {
  return record === undefined ? '' : `${record.topic}\u0000${record.partition}\u0000${record.offset}`;
}

/** A timer that does not keep the process alive. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref?.();
  });
}
