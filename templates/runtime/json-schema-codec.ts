/**
 * JSON Schema values in the Confluent wire format: byte 0 (magic), the schema's registry id (4 bytes, big-endian),
 * then the payload as UTF-8 JSON — what Confluent's `KafkaJsonSchemaSerializer` writes. The schema is registered with
 * `schemaType: JSON`. Chosen per event by the catalog (`x-codec: json-schema` on the message: `definition.jsonSchema`)
 * and used when the application passes a {@link JsonSchemaCodec}; without one such events stay JSON envelopes.
 *
 * Like Avro (avro-codec.ts) the value is the bare payload, so the envelope metadata travels in the same headers
 * ({@link AVRO_HEADERS} next to the usual ones); `content-type` is {@link JSON_SCHEMA_CONTENT_TYPE}. Validation stays
 * the generated Zod schema's, on both sides: the registry schema is what other tools read, not what we validate with.
 *
 * Consumer: the schema id must be known to the registry (looked up once, cached; an unknown id is a non-retriable
 * {@link UnknownSchemaIdError}, dead-letter reason `decode`), the bytes after the prefix must be JSON (else a
 * {@link DecodeError}); an unreachable registry is retried.
 */
import { AVRO_CONTENT_TYPE, WirePayload, avroHeaders, encodeConfluent, recordHeader, subjectName, wireEnvelope, wireRecordEnvelope, type AvroCodec, type SubjectNameStrategy } from './avro-codec.js';
import type { EventDefinition } from './definitions.js';
import { HEADERS, type Envelope, type EnvelopeMetadata, type RecordPosition } from './envelope.js';
import { DecodeError } from './errors.js';
import type { EventHeaders } from './headers.js';
import { SchemaRegistryError, type SchemaRegistryClient } from './schema-registry.js';
import type { ConsumedRecord, RecordHeaders } from './transport.js';

/** `content-type` header of a Confluent wire-format JSON record written by eventgen. */
export const JSON_SCHEMA_CONTENT_TYPE = 'application/vnd.eventgen.json-wire';

/** The `schemaType` of a JSON Schema in the registry API. */
export const JSON_SCHEMA_TYPE = 'JSON';

/** The record name of a JSON Schema for RecordNameStrategy: its `title` (as Confluent's serializer takes it). */
export function jsonSchemaName(schema: string): string | undefined {
  try {
    const parsed = JSON.parse(schema) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const title = (parsed as { title?: unknown }).title;
    return typeof title === 'string' && title !== '' ? title : undefined;
  } catch {
    return undefined;
  }
}

/** The headers of a JSON wire-format record: the Avro ones (envelope metadata) with this codec's content type. */
export function jsonSchemaHeaders(metadata: EnvelopeMetadata, traceparent?: string): Record<string, string> {
  const headers = avroHeaders(metadata, traceparent);
  headers[HEADERS.contentType] = JSON_SCHEMA_CONTENT_TYPE;
  return headers;
}

/** The payload of a JSON wire-format record until its route checks the id and parses it (a {@link WirePayload}). */
export const JsonSchemaPayload = WirePayload;
export type JsonSchemaPayload = WirePayload;

/** Options of {@link JsonSchemaCodec}. */
export interface JsonSchemaCodecOptions {
  /** The schema registry. */
  registry: SchemaRegistryClient;
  /** Subject naming (default `topic`: `<topic>-value`; `record` uses the schema's `title`). */
  subjects?: SubjectNameStrategy;
  /** Register schemas that are not in the registry yet (default true); false = look them up only (CI registers). */
  autoRegister?: boolean;
  /** Most cached subject ids (default 1000). */
  maxCachedIds?: number;
}

/** Encodes and decodes JSON payloads in the Confluent wire format; see the file comment. */
export class JsonSchemaCodec {
  private readonly registry: SchemaRegistryClient;
  private readonly strategy: SubjectNameStrategy;
  private readonly autoRegister: boolean;
  private readonly max: number;
  private readonly subjectIds = new Map<string, Map<string, number>>();
  // Ids whose schema the registry confirmed (ids are immutable: one lookup each, then synchronous).
  private readonly knownIds = new Set<number>();

  constructor(options: JsonSchemaCodecOptions) {
    this.registry = options.registry;
    this.strategy = options.subjects ?? 'topic';
    this.autoRegister = options.autoRegister ?? true;
    this.max = options.maxCachedIds ?? 1000;
  }

  /** The subject of an event's schema on a topic. */
  subject(topic: string, definition: EventDefinition): string {
    return subjectName(this.strategy, topic, jsonSchemaName(requireJsonSchema(definition).schema));
  }

  /**
   * The registry id of the event's schema on `topic` (registered or looked up once, then cached).
   * @throws SchemaRegistryError naming the event and subject when the registry cannot give one.
   */
  async schemaId(topic: string, definition: EventDefinition): Promise<number> {
    const { schema } = requireJsonSchema(definition);
    // By topic, then schema text (the subject follows from both): the hot path parses and concatenates nothing.
    const hit = this.subjectIds.get(topic)?.get(schema);
    if (hit !== undefined) return hit;
    const subject = this.subject(topic, definition);
    try {
      const id = this.autoRegister ? await this.registry.register(subject, schema, JSON_SCHEMA_TYPE) : await this.registry.lookup(subject, schema, JSON_SCHEMA_TYPE);
      let ids = this.subjectIds.get(topic);
      if (ids === undefined) {
        if (this.subjectIds.size >= this.max) this.subjectIds.delete(this.subjectIds.keys().next().value as string);
        this.subjectIds.set(topic, (ids = new Map()));
      }
      if (ids.size >= this.max) ids.delete(ids.keys().next().value as string);
      ids.set(schema, id);
      return id;
    } catch (error) {
      if (!(error instanceof SchemaRegistryError)) throw error;
      const what = this.autoRegister ? 'register' : 'look up';
      throw new SchemaRegistryError(`Cannot ${what} the JSON Schema of ${definition.eventType} under subject ${subject}: ${error.message}`, {
        ...(error.status === undefined ? {} : { status: error.status }),
        ...(error.errorCode === undefined ? {} : { errorCode: error.errorCode }),
        unavailable: error.unavailable,
        cause: error,
      });
    }
  }

  /** Encodes a (validated) payload for `topic`: wire-format bytes with the schema's registry id. */
  async encode(topic: string, definition: EventDefinition, data: unknown): Promise<Buffer> {
    return this.encodeWithId(await this.schemaId(topic, definition), data);
  }

  /** Encodes with a known schema id (synchronous). */
  encodeWithId(schemaId: number, data: unknown): Buffer {
    return encodeConfluent(schemaId, Buffer.from(JSON.stringify(data), 'utf8'));
  }

  /**
   * Decodes wire-format bytes: the id must be known to the registry, the bytes JSON.
   * @throws UnknownSchemaIdError / DecodeError (non-retriable); SchemaRegistryError when the registry is unreachable.
   */
  decode(schemaId: number, bytes: Buffer, definition: EventDefinition | undefined): Promise<unknown> {
    if (this.knownIds.has(schemaId)) {
      // A confirmed id: parsed now, the promise already settled.
      try {
        return Promise.resolve(this.decodeJson(schemaId, bytes, definition));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    }
    return this.registry.schemaById(schemaId).then(() => {
      if (this.knownIds.size >= this.max) this.knownIds.delete(this.knownIds.values().next().value as number);
      this.knownIds.add(schemaId);
      return this.decodeJson(schemaId, bytes, definition);
    });
  }

  /** Parses the JSON after the prefix (synchronous). @throws DecodeError when it is not JSON. */
  decodeJson(schemaId: number, bytes: Buffer, definition: EventDefinition | undefined): unknown {
    try {
      return JSON.parse(bytes.toString('utf8')) as unknown;
    } catch (error) {
      throw new DecodeError(`Record value (schema id ${schemaId}${definition === undefined ? '' : `, ${definition.eventType}`}) is not JSON after the wire-format prefix: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * The envelope of a wire-format record: metadata from the headers, `data` a {@link WirePayload} its route decodes.
   * @throws DecodeError when the value is not wire format; EnvelopeError when required headers are missing.
   */
  envelope(value: Buffer | string | null, headers: EventHeaders, record?: RecordPosition): Envelope {
    return wireEnvelope(value, headers, record, this, 'JSON');
  }

  /** {@link envelope} of a consumed record, reading the headers it needs from the raw ones. */
  recordEnvelope(record: ConsumedRecord): Envelope {
    return wireRecordEnvelope(record, this, 'JSON');
  }
}

/**
 * Which codec reads a wire-format record (magic byte 0) on a topic with the given codecs: the one its `content-type`
 * (raw or decoded headers) names; a record without one (a foreign producer) is Avro when an Avro codec is set, else
 * JSON. Undefined when the codec it names is not set (the record then fails as an undecodable JSON envelope, naming
 * the schema id).
 */
export function wireCodecFor(avro: AvroCodec | undefined, jsonSchema: JsonSchemaCodec | undefined, headers: EventHeaders | RecordHeaders): AvroCodec | JsonSchemaCodec | undefined {
  const type = recordHeader(headers, HEADERS.contentType);
  if (type === JSON_SCHEMA_CONTENT_TYPE) return jsonSchema;
  if (type === AVRO_CONTENT_TYPE) return avro;
  return avro ?? jsonSchema;
}

function requireJsonSchema(definition: EventDefinition): { readonly schema: string } {
  if (definition.jsonSchema === undefined) throw new Error(`Event ${definition.eventType} has no registry JSON Schema (give its message \`x-codec: json-schema\` in the catalog)`);
  return definition.jsonSchema;
}
