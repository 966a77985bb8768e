/**
 * Avro values in the Confluent wire format: byte 0 (magic), the writer schema's registry id (4 bytes, big-endian),
 * then the Avro binary encoding of the payload. The record value is the bare payload record, so the envelope
 * metadata travels in Kafka headers: the usual `event-type`, `event-id`, `event-version`, `correlation-id`, `source`,
 * `traceparent`, `event-priority`, plus `event-timestamp`, `data-classification`, `partition-key` (absent = no key),
 * `causation-id` and `user-id` (see {@link AVRO_HEADERS}); `content-type` is {@link AVRO_CONTENT_TYPE}.
 *
 * Producer: the event's schema (`definition.avro.schema`, from the catalog) is registered (or looked up, with
 * `autoRegister: false`) under its subject once; the id is cached, so a registry outage fails only sends that need an
 * id not seen yet. Consumer: the writer schema is fetched by id (cached), resolved against the event's reader schema
 * (Avro schema resolution: added fields with defaults, promotions, aliases), then the payload is validated with the
 * event's Zod schema like every other payload. An unknown schema id or bytes that are not Avro of that schema fail the record
 * with a non-retriable {@link DecodeError} (dead-letter reason `decode`); an unreachable registry is retried.
 *
 * The values handed to and returned from the codec are the plain JSON values the generated types describe: unions
 * untagged, `bytes`/`fixed` as strings of one character per byte, logical types as their underlying type.
 *
 * avsc is passed in (`import avsc from 'avsc'`), so the runtime does not depend on it unless Avro is used.
 */
import type { DataClassification, EventDefinition } from './definitions.js';
import { HEADERS, envelopeHeaders, type Envelope, type EnvelopeMetadata, type EventPriority, type RecordPosition } from './envelope.js';
import { DecodeError, EnvelopeError } from './errors.js';
import { headerText, type EventHeaders } from './headers.js';
import { SchemaRegistryError, type SchemaRegistryClient } from './schema-registry.js';
import type { ConsumedRecord, RecordHeaders } from './transport.js';

/** `content-type` header of a Confluent wire-format Avro record. */
export const AVRO_CONTENT_TYPE = 'application/vnd.apache.avro+binary';

/** The envelope metadata headers written next to {@link HEADERS} when the value is a bare Avro record. */
export const AVRO_HEADERS = Object.freeze({
  timestamp: 'event-timestamp',
  classification: 'data-classification',
  partitionKey: 'partition-key',
  causationId: 'causation-id',
  userId: 'user-id',
});

/** The avsc type methods the codec uses (structural, so every avsc 5.x `Type` fits). */
export interface AvscType {
  readonly typeName: string;
  toBuffer(value: unknown): Buffer;
  fromBuffer(buffer: Buffer, resolver?: unknown, noCheck?: boolean): unknown;
  createResolver(writer: AvscType): unknown;
  isValid(value: unknown, options?: { errorHook?: (path: string[], value: unknown, type: AvscType) => void }): boolean;
  readonly fields?: ReadonlyArray<{ readonly name: string; readonly type: AvscType }>;
  readonly itemsType?: AvscType;
  readonly valuesType?: AvscType;
  readonly types?: readonly AvscType[];
}

/** The part of the avsc module the codec uses: `import avsc from 'avsc'`. */
export interface AvscModule {
  readonly Type: { forSchema(schema: never, options?: never): unknown };
}

/** How a subject is named: `<topic>-value` (TopicNameStrategy, default), `<record fullname>`, `<topic>-<record fullname>`. */
export type SubjectNameStrategy = 'topic' | 'record' | 'topic-record';

/** The subject of a value schema under a naming strategy. */
export function subjectName(strategy: SubjectNameStrategy, topic: string, recordName: string | undefined): string {
  if (strategy === 'topic') return `${topic}-value`;
  if (recordName === undefined) throw new Error(`The ${strategy === 'record' ? 'RecordNameStrategy' : 'TopicRecordNameStrategy'} needs a named Avro type (record, enum or fixed) as the payload`);
  return strategy === 'record' ? recordName : `${topic}-${recordName}`;
}

/** The fullname of an Avro schema's top type (record/enum/fixed), or undefined for an unnamed one. */
export function avroSchemaName(schema: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(schema);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const { name, namespace } = parsed as { name?: unknown; namespace?: unknown };
  if (typeof name !== 'string') return undefined;
  return name.includes('.') || typeof namespace !== 'string' || namespace === '' ? name : `${namespace}.${name}`;
}

/** Wraps an Avro payload in the Confluent wire format. */
export function encodeConfluent(schemaId: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(payload.length + 5);
  out[0] = 0;
  out.writeUInt32BE(schemaId, 1);
  payload.copy(out, 5);
  return out;
}

/** True when the value starts like a Confluent wire-format record (magic byte 0 and room for the id). */
export function isConfluentWire(value: Buffer | string | null): value is Buffer {
  return value !== null && typeof value !== 'string' && value.length >= 5 && value[0] === 0;
}

/** Splits a Confluent wire-format value. @throws DecodeError when it is not one. */
export function readConfluent(value: Buffer | string | null, format = 'Avro'): { schemaId: number; payload: Buffer } {
  if (!isConfluentWire(value)) throw new DecodeError(`Record value is not in the Confluent wire format (magic byte 0, 4-byte schema id, ${format})`);
  return { schemaId: value.readUInt32BE(1), payload: value.subarray(5) };
}

/** The headers of an Avro record: the envelope's ids plus the rest of its metadata (see {@link AVRO_HEADERS}). */
export function avroHeaders(metadata: EnvelopeMetadata, traceparent?: string): Record<string, string> {
  const headers = envelopeHeaders(metadata, traceparent);
  headers[HEADERS.contentType] = AVRO_CONTENT_TYPE;
  headers[AVRO_HEADERS.timestamp] = metadata.timestamp;
  headers[AVRO_HEADERS.classification] = metadata.dataClassification;
  if (metadata.partitionKey !== null) headers[AVRO_HEADERS.partitionKey] = metadata.partitionKey;
  if (metadata.causationId !== undefined) headers[AVRO_HEADERS.causationId] = metadata.causationId;
  if (metadata.userId !== undefined) headers[AVRO_HEADERS.userId] = metadata.userId;
  return headers;
}

const CLASSIFICATIONS: ReadonlySet<string> = new Set(['public', 'internal', 'confidential', 'restricted']);
const PRIORITIES: ReadonlySet<string> = new Set(['critical', 'high', 'normal', 'low']);

/**
 * The envelope metadata of an Avro record, read from its headers. `event-type` and `event-id` are required; a missing
 * timestamp is the record's, a missing correlation id the event id, a missing classification `internal`.
 * @throws EnvelopeError when a required header is missing or a value is not allowed.
 */
export function avroMetadata(headers: EventHeaders, record?: RecordPosition, format = 'Avro'): EnvelopeMetadata {
  return headerMetadata(headers, decodedHeader, record, format);
}

/**
 * One header of a record as text, read from the raw headers as {@link decodeHeaders} would decode it: the last value
 * of a repeated header; undefined when absent, null or not valid UTF-8.
 */
export function recordHeader(headers: RecordHeaders | EventHeaders, name: string): string | undefined {
  const raw = headers[name];
  if (raw === undefined || !Object.prototype.hasOwnProperty.call(headers, name)) return undefined;
  return headerText(Array.isArray(raw) ? raw[raw.length - 1] : raw);
}

const decodedHeader = (headers: EventHeaders, name: string): string | undefined => headers[name];

/** {@link avroMetadata} over decoded or raw headers (`get` reads one header as text). */
function headerMetadata<H>(headers: H, get: (headers: H, name: string) => string | undefined, record: RecordPosition | undefined, format: string): EnvelopeMetadata {
  const eventType = get(headers, HEADERS.eventType);
  const eventId = get(headers, HEADERS.eventId);
  if (!eventType || !eventId) {
    const missing = [eventType ? undefined : HEADERS.eventType, eventId ? undefined : HEADERS.eventId].filter((h) => h !== undefined);
    throw new EnvelopeError(`${format} record without the envelope header(s) ${missing.join(', ')}`, missing.map((h) => ({ code: 'custom', path: ['headers', h], message: 'Required', input: undefined })));
  }
  const classification = get(headers, AVRO_HEADERS.classification) ?? 'internal';
  if (!CLASSIFICATIONS.has(classification)) {
    throw new EnvelopeError(`${format} record header ${AVRO_HEADERS.classification} is not a classification: ${classification}`, [{ code: 'custom', path: ['headers', AVRO_HEADERS.classification], message: 'Invalid', input: classification }]);
  }
  const metadata: EnvelopeMetadata = {
    eventId,
    eventType,
    eventVersion: get(headers, HEADERS.eventVersion) ?? '0.0.0',
    correlationId: get(headers, HEADERS.correlationId) ?? eventId,
    timestamp: get(headers, AVRO_HEADERS.timestamp) ?? recordTime(record),
    source: get(headers, HEADERS.source) ?? 'unknown',
    dataClassification: classification as DataClassification,
    partitionKey: get(headers, AVRO_HEADERS.partitionKey) ?? null,
  };
  const causationId = get(headers, AVRO_HEADERS.causationId);
  if (causationId !== undefined) metadata.causationId = causationId;
  const userId = get(headers, AVRO_HEADERS.userId);
  if (userId !== undefined) metadata.userId = userId;
  const priority = get(headers, HEADERS.priority);
  if (priority !== undefined && PRIORITIES.has(priority)) metadata.priority = priority as EventPriority;
  return metadata;
}

/** The record's timestamp as ISO text (the epoch without one). */
function recordTime(record: RecordPosition | undefined): string {
  const millis = record?.timestamp !== undefined ? Number(record.timestamp) : NaN;
  return Number.isFinite(millis) ? new Date(millis).toISOString() : new Date(0).toISOString();
}

/** What decodes a {@link WirePayload}: the codec that read the record (Avro or JSON Schema). */
export interface WirePayloadDecoder {
  decode(schemaId: number, bytes: Buffer, definition: EventDefinition | undefined): Promise<unknown>;
}

/**
 * A wire-format payload not decoded yet: the envelope's `data` of an Avro or JSON wire-format record until its route
 * decodes it with the event's definition (Avro: the reader schema; decoding may need the registry, one round trip).
 */
export class WirePayload {
  /** Marks a payload the route must decode first (see `route` in delegator.ts). */
  readonly encoded = true as const;
  constructor(
    /** The schema's registry id. */
    readonly schemaId: number,
    /** The bytes after the 5-byte prefix (Avro binary or UTF-8 JSON). */
    readonly bytes: Buffer,
    private readonly codec: WirePayloadDecoder,
    /** The name logs give the id: `avroSchemaId` or `jsonSchemaId`. */
    private readonly idField: 'avroSchemaId' | 'jsonSchemaId',
  ) {}

  /** Decodes with the event's definition (Avro: the writer schema as is for a pattern route without one). */
  decode(definition: EventDefinition | undefined): Promise<unknown> {
    return this.codec.decode(this.schemaId, this.bytes, definition);
  }

  /** What logs show instead of the bytes. */
  toJSON(): Record<string, number> {
    return { [this.idField]: this.schemaId, bytes: this.bytes.length };
  }
}

/** The payload of an Avro record until its route decodes it (a {@link WirePayload}). */
export const AvroPayload = WirePayload;
export type AvroPayload = WirePayload;

/**
 * The envelope of a wire-format record (Avro or JSON Schema): metadata from the decoded headers ({@link avroMetadata}),
 * `data` a {@link WirePayload} its route decodes with `codec`.
 * @throws DecodeError when the value is not wire format; EnvelopeError when required headers are missing.
 */
export function wireEnvelope(value: Buffer | string | null, headers: EventHeaders, record: RecordPosition | undefined, codec: WirePayloadDecoder, format: 'Avro' | 'JSON'): Envelope {
  return envelopeOf(value, headers, decodedHeader, record, codec, format);
}

/**
 * {@link wireEnvelope} of a consumed record, reading only the headers the metadata needs from the raw ones (the
 * consumer's path: no decoded copy of every header is built or kept per record).
 */
export function wireRecordEnvelope(record: ConsumedRecord, codec: WirePayloadDecoder, format: 'Avro' | 'JSON'): Envelope {
  return envelopeOf(record.value, record.headers, recordHeader, record, codec, format);
}

function envelopeOf<H>(value: Buffer | string | null, headers: H, get: (headers: H, name: string) => string | undefined, record: RecordPosition | undefined, codec: WirePayloadDecoder, format: 'Avro' | 'JSON'): Envelope {
  if (!isConfluentWire(value)) throw new DecodeError(`Record value is not in the Confluent wire format (magic byte 0, 4-byte schema id, ${format})`);
  const metadata = headerMetadata(headers, get, record, format === 'Avro' ? 'Avro' : 'JSON wire-format');
  return { metadata, data: new WirePayload(value.readUInt32BE(1), value.subarray(5), codec, format === 'Avro' ? 'avroSchemaId' : 'jsonSchemaId') };
}

/** Options of {@link AvroCodec}. */
export interface AvroCodecOptions {
  /** The schema registry. */
  registry: SchemaRegistryClient;
  /** The avsc module: `import avsc from 'avsc'`. */
  avsc: AvscModule;
  /** Subject naming (default `topic`: `<topic>-value`). */
  subjects?: SubjectNameStrategy;
  /** Register schemas that are not in the registry yet (default true); false = look them up only (CI registers). */
  autoRegister?: boolean;
  /** Most parsed schemas, writer schemas by id and decoders per writer schema kept (default 1000 each); parsed schemas are also shared by the process's codecs (at most 1000). */
  maxCachedTypes?: number;
}

interface Parsed {
  type: AvscType;
  /** Whether the schema has bytes or fixed anywhere: values need the string ↔ Buffer step. */
  binary: boolean;
}

/** How records of one writer schema are read as one reader schema: avsc's resolver, built once per pair. */
interface Decoder {
  type: AvscType;
  /** undefined when the writer schema is read as is. */
  resolver: unknown;
  binary: boolean;
}

/** A writer schema (by registry id) and its decoders by reader schema. */
interface Writer {
  schema: string;
  parsed: Parsed;
  readers: Map<string | undefined, Decoder>;
}

/** Reads one Avro payload with a decoder. @throws DecodeError when the bytes are not Avro of the writer schema. */
function read(decoder: Decoder, schemaId: number, bytes: Buffer): unknown {
  let value: unknown;
  try {
    value = decoder.type.fromBuffer(bytes, decoder.resolver);
  } catch (error) {
    throw new DecodeError(`Record value is not Avro of schema ${schemaId}: ${(error as Error).message}`, { cause: error });
  }
  return decoder.binary ? fromAvroValue(value) : value;
}

/** Encodes and decodes Avro payloads in the Confluent wire format; see the file comment. */
export class AvroCodec {
  private readonly registry: SchemaRegistryClient;
  private readonly avsc: AvscModule;
  private readonly strategy: SubjectNameStrategy;
  private readonly autoRegister: boolean;
  private readonly max: number;
  private readonly types = new Map<string, Parsed>();
  // Writer schemas by registry id, each with its decoders by reader schema (undefined = the writer schema as is).
  private readonly writers = new Map<number, Writer>();
  private readonly subjectIds = new Map<string, Map<string, number>>();

  constructor(options: AvroCodecOptions) {
    this.registry = options.registry;
    this.avsc = options.avsc;
    this.strategy = options.subjects ?? 'topic';
    this.autoRegister = options.autoRegister ?? true;
    this.max = options.maxCachedTypes ?? 1000;
  }

  /** The subject of an event's schema on a topic. */
  subject(topic: string, definition: EventDefinition): string {
    const avro = requireAvro(definition);
    return subjectName(this.strategy, topic, avroSchemaName(avro.schema));
  }

  /**
   * The registry id of the event's schema on `topic` (registered or looked up once, then cached).
   * @throws SchemaRegistryError naming the event and subject when the registry cannot give one.
   */
  async schemaId(topic: string, definition: EventDefinition): Promise<number> {
    const avro = requireAvro(definition);
    // By topic, then schema text (the subject follows from both): the hot path parses and concatenates nothing.
    const hit = this.subjectIds.get(topic)?.get(avro.schema);
    if (hit !== undefined) return hit;
    const subject = this.subject(topic, definition);
    try {
      const id = this.autoRegister ? await this.registry.register(subject, avro.schema) : await this.registry.lookup(subject, avro.schema);
      let ids = this.subjectIds.get(topic);
      if (ids === undefined) remember(this.subjectIds, topic, (ids = new Map()), this.max);
      remember(ids, avro.schema, id, this.max);
      return id;
    } catch (error) {
      if (!(error instanceof SchemaRegistryError)) throw error;
      const what = this.autoRegister ? 'register' : 'look up';
      throw new SchemaRegistryError(`Cannot ${what} the Avro schema of ${definition.eventType} under subject ${subject}: ${error.message}`, {
        ...(error.status === undefined ? {} : { status: error.status }),
        ...(error.errorCode === undefined ? {} : { errorCode: error.errorCode }),
        unavailable: error.unavailable,
        cause: error,
      });
    }
  }

  /** Encodes a (validated) payload for `topic`: wire-format bytes with the schema's registry id. */
  async encode(topic: string, definition: EventDefinition, data: unknown): Promise<Buffer> {
    const id = await this.schemaId(topic, definition);
    return this.encodeWithId(id, definition, data);
  }

  /** Encodes with a known schema id (synchronous). @throws Error naming the first field Avro refuses. */
  encodeWithId(schemaId: number, definition: EventDefinition, data: unknown): Buffer {
    const parsed = this.parse(requireAvro(definition).schema);
    const value = parsed.binary ? toAvroValue(parsed.type, data) : data;
    let body: Buffer;
    try {
      body = parsed.type.toBuffer(value);
    } catch (error) {
      const paths: string[] = [];
      parsed.type.isValid(value, { errorHook: (p) => paths.push(p.join('.') || '(root)') });
      throw new Error(`Payload of ${definition.eventType} does not fit its Avro schema${paths.length ? ` at ${paths.slice(0, 5).join(', ')}` : ''}: ${(error as Error).message}`, { cause: error });
    }
    return encodeConfluent(schemaId, body);
  }

  /**
   * Decodes wire-format bytes: the writer schema by id, resolved to the event's reader schema when given.
   * Once an (id, reader schema) pair has been read, its decoder is kept and later records of that pair are decoded
   * without the registry client (ids never change meaning); the returned promise is then already settled.
   * @throws UnknownSchemaIdError / DecodeError (non-retriable); SchemaRegistryError when the registry is unreachable.
   */
  decode(schemaId: number, bytes: Buffer, definition: EventDefinition | undefined): Promise<unknown> {
    const decoder = this.writers.get(schemaId)?.readers.get(definition?.avro?.schema);
    if (decoder !== undefined) {
      try {
        return Promise.resolve(read(decoder, schemaId, bytes));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    }
    return this.registry.schemaById(schemaId).then((writerSchema) => this.decodeWith(schemaId, writerSchema, bytes, definition));
  }

  /** Decodes with a writer schema already at hand (synchronous). @throws DecodeError. */
  decodeWith(schemaId: number, writerSchema: string, bytes: Buffer, definition: EventDefinition | undefined): unknown {
    return read(this.decoder(schemaId, writerSchema, definition?.avro?.schema, definition), schemaId, bytes);
  }

  /** The decoder of writer schema `schemaId` read as `readerSchema` (the writer schema as is without one), built once. */
  private decoder(schemaId: number, writerSchema: string, readerSchema: string | undefined, definition: EventDefinition | undefined): Decoder {
    let writer = this.writers.get(schemaId);
    if (writer === undefined || writer.schema !== writerSchema) {
      let parsed: Parsed;
      try {
        parsed = this.parse(writerSchema);
      } catch (error) {
        throw new DecodeError(`Writer schema ${schemaId} from the registry is not an Avro schema avsc can read: ${(error as Error).message}`, { cause: error });
      }
      writer = { schema: writerSchema, parsed, readers: new Map() };
      remember(this.writers, schemaId, writer, this.max);
    }
    const hit = writer.readers.get(readerSchema);
    if (hit !== undefined) return hit;
    let decoder: Decoder;
    if (readerSchema === undefined || readerSchema === writerSchema) {
      decoder = { type: writer.parsed.type, resolver: undefined, binary: writer.parsed.binary };
    } else {
      const reader = this.parse(readerSchema);
      let resolver: unknown;
      try {
        resolver = resolverFor(reader.type, writer.parsed.type);
      } catch (error) {
        throw new DecodeError(`Writer schema ${schemaId} cannot be read as ${definition?.eventType ?? 'the reader schema'}: ${(error as Error).message}`, { cause: error });
      }
      decoder = { type: reader.type, resolver, binary: reader.binary };
    }
    remember(writer.readers, readerSchema, decoder, this.max);
    return decoder;
  }

  /**
   * The envelope of a wire-format record: metadata from the headers, `data` a {@link WirePayload} its route decodes.
   * @throws DecodeError when the value is not wire format; EnvelopeError when required headers are missing.
   */
  envelope(value: Buffer | string | null, headers: EventHeaders, record?: RecordPosition): Envelope {
    return wireEnvelope(value, headers, record, this, 'Avro');
  }

  /** {@link envelope} of a consumed record, reading the headers it needs from the raw ones. */
  recordEnvelope(record: ConsumedRecord): Envelope {
    return wireRecordEnvelope(record, this, 'Avro');
  }

  private parse(schema: string): Parsed {
    const hit = this.types.get(schema);
    if (hit !== undefined) return hit;
    let shared = sharedTypes.get(this.avsc);
    if (shared === undefined) sharedTypes.set(this.avsc, (shared = new Map()));
    let parsed = shared.get(schema);
    if (parsed === undefined) {
      // omitRecordMethods: decoded records carry no enumerable prototype methods (clone, toBuffer, ...), which a
      // `for...in` (Zod's looseObject, spreading into logs) would otherwise copy into the handler's data.
      const type = this.avsc.Type.forSchema(JSON.parse(schema) as never, { wrapUnions: false, omitRecordMethods: true } as never) as AvscType;
      parsed = { type, binary: /"(bytes|fixed)"/.test(schema) };
      remember(shared, schema, parsed, SHARED_TYPES);
    }
    remember(this.types, schema, parsed, this.max);
    return parsed;
  }
}

/**
 * Parsed schemas shared by every codec of the process on the same avsc module (at most {@link SHARED_TYPES}), and
 * resolvers by (reader type, writer type). avsc compiles each type's reader and writer into functions; sharing them
 * means a new codec (a consumer restarted with a fresh codec, a producer next to a consumer) reuses code the engine
 * has already optimised instead of compiling and warming up its own copy. Types are immutable once parsed.
 */
const sharedTypes = new WeakMap<AvscModule, Map<string, Parsed>>();
const SHARED_TYPES = 1000;
const sharedResolvers = new WeakMap<AvscType, WeakMap<AvscType, unknown>>();

/** avsc's resolver reading `writer` data as `reader` (built once per pair of types). @throws what avsc throws for incompatible schemas. */
function resolverFor(reader: AvscType, writer: AvscType): unknown {
  let byWriter = sharedResolvers.get(reader);
  if (byWriter === undefined) sharedResolvers.set(reader, (byWriter = new WeakMap()));
  let resolver = byWriter.get(writer);
  if (resolver === undefined) {
    resolver = reader.createResolver(writer);
    byWriter.set(writer, resolver);
  }
  return resolver;
}

function requireAvro(definition: EventDefinition): { readonly schema: string } {
  if (definition.avro === undefined) throw new Error(`Event ${definition.eventType} has no Avro schema (its catalog payload is not Avro)`);
  return definition.avro;
}

function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  if (map.size >= max) {
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
  map.set(key, value);
}

/** The JSON value as avsc writes it: strings at bytes/fixed positions become Buffers (one byte per character). */
function toAvroValue(type: AvscType, value: unknown): unknown {
  switch (type.typeName) {
    case 'bytes':
    case 'fixed':
      return typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
    case 'record':
    case 'error': {
      if (typeof value !== 'object' || value === null) return value;
      const out: Record<string, unknown> = {};
      const source = value as Record<string, unknown>;
      for (const f of type.fields ?? []) out[f.name] = toAvroValue(f.type, source[f.name]);
      return out;
    }
    case 'array':
      return Array.isArray(value) && type.itemsType !== undefined ? value.map((v) => toAvroValue(type.itemsType as AvscType, v)) : value;
    case 'map': {
      if (typeof value !== 'object' || value === null || type.valuesType === undefined) return value;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = toAvroValue(type.valuesType, v);
      return out;
    }
    default:
      if (type.typeName.startsWith('union')) {
        // Untagged union: the first branch that accepts the converted value.
        for (const branch of type.types ?? []) {
          const converted = toAvroValue(branch, value);
          if (branch.isValid(converted)) return converted;
        }
      }
      return value;
  }
}

/** The decoded value as the generated types see it: Buffers become strings (one character per byte). */
function fromAvroValue(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  if (Array.isArray(value)) return value.map(fromAvroValue);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = fromAvroValue(v);
    return out;
  }
  return value;
}
