import { isUtf8 } from 'node:buffer';
import { z } from 'zod/v4';
import type { DataClassification } from './definitions.js';
import { DecodeError, EnvelopeError } from './errors.js';
import type { EventHeaders } from './headers.js';
import { recordEventId } from './ids.js';

/** Envelope metadata: who/what/when of one event, mirrored in Kafka headers. */
export interface EnvelopeMetadata {
  /** Unique id of this event (uuid); the idempotency key. */
  eventId: string;
  /** Event type, e.g. `order.created`. */
  eventType: string;
  /** Event schema version, e.g. `1.0.0`. */
  eventVersion: string;
  /** Id shared by every event of one business flow. */
  correlationId: string;
  /** Id of the event that caused this one. */
  causationId?: string;
  /** ISO-8601 creation time. */
  timestamp: string;
  /** Producing service. */
  source: string;
  /** Acting user, when known. */
  userId?: string;
  /** Sensitivity of `data`. */
  dataClassification: DataClassification;
  /** The Kafka key used for the record (`null` = no key). */
  partitionKey: string | null;
  /** Publishing priority (`critical`, `high`, `normal`, `low`), when the publisher set one (the gateway does). */
  priority?: EventPriority;
}

/** Publishing priorities, most urgent first. The gateway sheds lower priorities first under load. */
export type EventPriority = 'critical' | 'high' | 'normal' | 'low';

/** The JSON record value: metadata plus the event payload. */
export interface Envelope<TData = unknown> {
  /** Event metadata. */
  metadata: EnvelopeMetadata;
  /** The event payload. */
  data: TData;
}

/** Header names the runtime writes and reads. */
export const HEADERS = Object.freeze({
  eventType: 'event-type',
  eventId: 'event-id',
  eventVersion: 'event-version',
  correlationId: 'correlation-id',
  contentType: 'content-type',
  source: 'source',
  traceparent: 'traceparent',
  priority: 'event-priority',
});

/** Zod schema of an envelope; unknown metadata fields are kept so newer producers do not break older consumers. */
export const EnvelopeSchema = z.object({
  metadata: z.looseObject({
    eventId: z.string().min(1),
    eventType: z.string().min(1),
    eventVersion: z.string().min(1),
    correlationId: z.string().min(1),
    causationId: z.string().optional(),
    timestamp: z.string().min(1),
    source: z.string(),
    userId: z.string().optional(),
    dataClassification: z.enum(['public', 'internal', 'confidential', 'restricted']),
    partitionKey: z.string().nullable(),
  }),
  data: z.unknown(),
});

/** Where a record came from: lets a migration derive stable ids for records that carry none. */
export interface RecordPosition {
  /** Topic name. */
  topic: string;
  /** Partition number. */
  partition: number;
  /** Offset (decimal string). */
  offset: string;
  /** Record timestamp in epoch milliseconds (decimal string). */
  timestamp?: string;
  /** Record key, when known. */
  key?: Buffer | string | null;
}

/**
 * Turns a decoded value that is not an envelope (a legacy or flat format) into one; return `undefined` to reject
 * it. Called only when the value is not already a valid envelope. `record` says where the value came from (absent
 * when decoding outside a consumer).
 */
export type EnvelopeMigration = (raw: unknown, headers: EventHeaders, record?: RecordPosition) => Envelope | undefined;

/** Serialises an envelope as the record value. */
export function encodeEnvelope(envelope: Envelope): Buffer {
  return Buffer.from(JSON.stringify(envelope), 'utf8');
}

/** Builds the headers mirroring an envelope's ids (plus `traceparent` when given). */
export function envelopeHeaders(metadata: EnvelopeMetadata, traceparent?: string): Record<string, string> {
  const headers: Record<string, string> = {
    [HEADERS.eventType]: metadata.eventType,
    [HEADERS.eventId]: metadata.eventId,
    [HEADERS.eventVersion]: metadata.eventVersion,
    [HEADERS.correlationId]: metadata.correlationId,
    [HEADERS.contentType]: 'application/json',
    [HEADERS.source]: metadata.source,
  };
  if (traceparent !== undefined) headers[HEADERS.traceparent] = traceparent;
  if (metadata.priority !== undefined) headers[HEADERS.priority] = metadata.priority;
  return headers;
}

/**
 * Decodes a record value into an envelope.
 * @throws DecodeError when the value is empty, not UTF-8 or not JSON.
 * @throws EnvelopeError when it is JSON but not an envelope and `migrate` does not turn it into one.
 */
export function decodeEnvelope(value: Buffer | string | null, headers: EventHeaders, migrate?: EnvelopeMigration, record?: RecordPosition): Envelope {
  if (value === null || value.length === 0) throw new DecodeError('Record has no value (tombstone or empty)');
  if (typeof value !== 'string' && value.length >= 5 && value[0] === 0) {
    throw new DecodeError(`Record value is Avro in the Confluent wire format (schema id ${value.readUInt32BE(1)}), not a JSON envelope: give the topic an AvroCodec (option \`avro\`)`);
  }
  const text = typeof value === 'string' ? value : utf8Text(value);
  if (text === undefined) throw new DecodeError('Record value is not valid UTF-8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new DecodeError(`Record value is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (isEnvelope(raw)) return raw;
  const direct = parseEnvelope(raw);
  if (direct.ok) return direct.envelope;
  if (migrate === undefined) throw new EnvelopeError('Record value is not an event envelope', direct.issues);
  const migrated = migrate(raw, headers, record);
  if (migrated === undefined) throw new EnvelopeError('Record value is not an event envelope and the migration hook rejected it', direct.issues);
  if (isEnvelope(migrated)) return migrated;
  const checked = parseEnvelope(migrated);
  if (!checked.ok) throw new EnvelopeError('Migrated envelope is invalid', checked.issues);
  return checked.envelope;
}

/**
 * The buffer as text when it is valid UTF-8, else `undefined`; the same answer as `isUtf8(value)`. Node's decoder
 * turns every invalid sequence into U+FFFD, so text without U+FFFD came from valid UTF-8 and the separate validation
 * pass over the bytes is needed only when the text contains U+FFFD (which valid UTF-8 may also encode).
 */
function utf8Text(value: Buffer): string | undefined {
  const text = value.toString('utf8');
  return text.includes('\uFFFD') && !isUtf8(value) ? undefined : text;
}

const classification = (v: unknown): boolean => v === 'internal' || v === 'public' || v === 'confidential' || v === 'restricted';
const nonEmpty = (v: unknown): boolean => typeof v === 'string' && v.length > 0;

/**
 * The hot path's envelope check: exactly the rules of {@link EnvelopeSchema} (unknown metadata fields kept),
 * without building Zod objects per record. Records that fail it go through the schema for the error message.
 */
export function isEnvelope(raw: unknown): raw is Envelope {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !('data' in raw)) return false;
  const m = (raw as { metadata?: unknown }).metadata;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return false;
  const r = m as Record<string, unknown>;
  return (
    nonEmpty(r['eventId']) &&
    nonEmpty(r['eventType']) &&
    nonEmpty(r['eventVersion']) &&
    nonEmpty(r['correlationId']) &&
    nonEmpty(r['timestamp']) &&
    typeof r['source'] === 'string' &&
    (r['causationId'] === undefined || typeof r['causationId'] === 'string') &&
    (r['userId'] === undefined || typeof r['userId'] === 'string') &&
    classification(r['dataClassification']) &&
    (r['partitionKey'] === null || typeof r['partitionKey'] === 'string')
  );
}

/**
 * A ready-made migration for flat records (the payload is the whole value) whose ids travel in headers, as
 * written by producers that predate the envelope. `event-type` is required. A missing `event-id` becomes a
 * name-based UUID of topic, partition and offset (the same on every redelivery, so deduplication still works);
 * a missing timestamp becomes the record's timestamp.
 */
export function headersEnvelopeMigration(defaults: { source?: string; classification?: DataClassification } = {}): EnvelopeMigration {
  return (raw, headers, record) => {
    const eventType = headers[HEADERS.eventType];
    if (eventType === undefined || eventType === '') return undefined;
    const eventId = headers[HEADERS.eventId] ?? (record !== undefined ? recordEventId(record) : undefined);
    if (eventId === undefined || eventId === '') return undefined;
    const millis = record?.timestamp !== undefined ? Number(record.timestamp) : NaN;
    return {
      metadata: {
        eventId,
        eventType,
        eventVersion: headers[HEADERS.eventVersion] ?? '0.0.0',
        correlationId: headers[HEADERS.correlationId] ?? eventId,
        timestamp: Number.isFinite(millis) ? new Date(millis).toISOString() : new Date(0).toISOString(),
        source: headers[HEADERS.source] ?? defaults.source ?? 'unknown',
        dataClassification: defaults.classification ?? 'internal',
        partitionKey: null,
      },
      data: raw,
    };
  };
}

type ParseResult = { ok: true; envelope: Envelope } | { ok: false; issues: readonly z.core.$ZodIssue[] };

function parseEnvelope(raw: unknown): ParseResult {
  const result = EnvelopeSchema.safeParse(raw);
  if (!result.success) return { ok: false, issues: result.error.issues };
  // `data: z.unknown()` also accepts a missing key; an envelope without data is not an event.
  if (typeof raw !== 'object' || raw === null || !('data' in raw)) {
    return { ok: false, issues: [{ code: 'custom', path: ['data'], message: 'Required', input: undefined }] };
  }
  const { metadata, data } = result.data;
  return { ok: true, envelope: { metadata: stripUndefined(metadata), data } };
}

/** Drops optional keys that are present but undefined (exactOptionalPropertyTypes-friendly). */
function stripUndefined(metadata: z.output<typeof EnvelopeSchema>['metadata']): EnvelopeMetadata {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(metadata)) if (v !== undefined) out[k] = v;
  return out as unknown as EnvelopeMetadata;
}
