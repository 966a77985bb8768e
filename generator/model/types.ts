/**
 * The `Catalog` model: the pure intermediate representation every emitter reads.
 * Emitters never look at raw AsyncAPI; every name used in generated code is decided
 * by the model (see `naming.ts`), and every node keeps a pointer back to its source.
 */

/** Where a node came from: file (relative to cwd or absolute), 1-based line/column, JSON pointer. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
  /** JSON pointer inside `file`, e.g. `/components/schemas/Address`. */
  pointer: string;
}

export type Severity = 'error' | 'warning' | 'info';

/** A located problem: printed as `file:line:col  severity  rule  message`. */
export interface Diagnostic {
  severity: Severity;
  /** Stable rule id, e.g. `schema-unsupported-keyword`, `name-collision`, `asyncapi-schema`. */
  rule: string;
  message: string;
  location?: SourceLocation;
}

/** JSON value (examples, defaults, consts). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/* ------------------------------------------------------------------------------------------ */
/* Schemas: normalised JSON Schema as a discriminated union.                                   */
/* ------------------------------------------------------------------------------------------ */

export interface SchemaMeta {
  title?: string;
  description?: string;
  /** JSON Schema `default` (applied by the Zod schema on parse). */
  default?: JsonValue;
  examples?: JsonValue[];
  deprecated?: boolean;
  /** `type: [x, "null"]`, `nullable: true` (OpenAPI style) or a `null` member folded in. */
  nullable?: boolean;
  /** `x-data-classification` on this schema node (a property, an item, a shared schema), when set. */
  classification?: DataClassification;
  /** Where this schema node is defined. */
  loc?: SourceLocation;
  /** Set on nodes read from an Avro schema (`model/avro.ts`): what Avro said, for docs and `gen diff`'s Avro rules. */
  avro?: AvroInfo;
  /** Top node of an Avro payload only: its self-contained Avro schema (JSON text), what a schema registry stores. */
  avroWire?: string;
}

/** The Avro facts of a schema node that the JSON Schema shape does not carry. */
export interface AvroInfo {
  /** The Avro type: a primitive, `record`, `enum`, `fixed`, `array`, `map` or `union`. */
  type: string;
  /** Fullname of a named type (record, enum, fixed). */
  name?: string;
  /** Fullnames of a named type's aliases. */
  aliases?: string[];
  logicalType?: string;
  /** Enum default symbol (used by readers for unknown symbols). */
  enumDefault?: string;
  size?: number;
  precision?: number;
  scale?: number;
}

export type StringFormat =
  | 'date-time'
  | 'date'
  | 'time'
  | 'duration'
  | 'uuid'
  | 'email'
  | 'uri'
  | 'hostname'
  | 'ipv4'
  | 'ipv6'
  | 'byte';

export interface StringSchema extends SchemaMeta {
  kind: 'string';
  /** Only formats we validate; other formats are kept in `unknownFormat` with a warning. */
  format?: StringFormat;
  unknownFormat?: string;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
}

export interface NumberSchema extends SchemaMeta {
  kind: 'number' | 'integer';
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
}

export interface BooleanSchema extends SchemaMeta {
  kind: 'boolean';
}

export interface NullSchema extends SchemaMeta {
  kind: 'null';
}

export interface ArraySchema extends SchemaMeta {
  kind: 'array';
  items: Schema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
}

/** Fixed-length arrays (`prefixItems`, or 2019 `items: [...]`). */
export interface TupleSchema extends SchemaMeta {
  kind: 'tuple';
  items: Schema[];
  /** Schema for items after the prefix; `false` = no more items. */
  rest: Schema | false;
  /** `minItems`: how many leading items must be present (JSON Schema allows shorter arrays; default 0). */
  minItems?: number;
}

export interface ObjectProperty {
  /** The property name exactly as in the catalog (may be any string; quote it when emitting). */
  name: string;
  schema: Schema;
  required: boolean;
  /** Avro field aliases (names a reader also matches the field by), when the object is an Avro record. */
  avroAliases?: string[];
}

export interface ObjectSchema extends SchemaMeta {
  kind: 'object';
  properties: ObjectProperty[];
  /** `true` (default, extra keys allowed and kept), `false` (strict), or a schema for extra values. */
  additionalProperties: boolean | Schema;
  minProperties?: number;
  maxProperties?: number;
}

/** A map-like object: `{ type: object, additionalProperties: <schema> }` without properties. */
export interface RecordSchema extends SchemaMeta {
  kind: 'record';
  values: Schema;
}

export interface EnumSchema extends SchemaMeta {
  kind: 'enum';
  values: Array<string | number | boolean | null>;
}

export interface ConstSchema extends SchemaMeta {
  kind: 'const';
  value: JsonValue;
}

/** A reference to a named shared schema in `Catalog.schemas`. */
export interface RefSchema extends SchemaMeta {
  kind: 'ref';
  /** Key into `Catalog.schemas` (`NamedSchema.id`). */
  target: string;
}

export interface AllOfSchema extends SchemaMeta {
  kind: 'allOf';
  members: Schema[];
}

export interface UnionSchema extends SchemaMeta {
  kind: 'union';
  /** `oneOf` (exactly one) or `anyOf` (at least one); `type: [a, b]` becomes `anyOf`. */
  mode: 'oneOf' | 'anyOf';
  members: Schema[];
  /** Property whose `const`/single-value `enum` differs in every (object) member, if any. */
  discriminator?: string;
}

/** `{}` / `true`: anything. */
export interface UnknownSchema extends SchemaMeta {
  kind: 'unknown';
}

/** `false` / `not: {}`: nothing validates. */
export interface NeverSchema extends SchemaMeta {
  kind: 'never';
}

export type Schema =
  | StringSchema
  | NumberSchema
  | BooleanSchema
  | NullSchema
  | ArraySchema
  | TupleSchema
  | ObjectSchema
  | RecordSchema
  | EnumSchema
  | ConstSchema
  | RefSchema
  | AllOfSchema
  | UnionSchema
  | UnknownSchema
  | NeverSchema;

/** A shared schema (a `$ref` target such as `#/components/schemas/Address`). */
export interface NamedSchema {
  /** Stable key: the `$ref` target, normalised (e.g. `Address` or `common.yaml#/Money`). */
  id: string;
  /** The name as written in the catalog (last pointer segment). */
  originalName: string;
  /** TypeScript type name, e.g. `Address`. */
  typeName: string;
  /** Zod constant name, e.g. `AddressSchema`. */
  schemaName: string;
  /** File base name under `schemas/shared/`, e.g. `address` (emitted as `address.ts`). */
  fileName: string;
  schema: Schema;
  /** True when the schema reaches itself through `$ref`s (emit lazily / with getters). */
  recursive: boolean;
  loc?: SourceLocation;
}

/* ------------------------------------------------------------------------------------------ */
/* Kafka semantics                                                                             */
/* ------------------------------------------------------------------------------------------ */

export type DataClassification = 'public' | 'internal' | 'confidential' | 'restricted';

/** How a record's Kafka key is derived from the event. */
export type KeyRule =
  | { kind: 'field'; /** property path into the payload, e.g. ['customer', 'id'] */ path: string[]; loc?: SourceLocation }
  | { kind: 'constant'; value: string; loc?: SourceLocation }
  | { kind: 'none' };

export interface RetryPolicy {
  /** Retries after the first attempt (attempts = maxRetries + 1). */
  maxRetries: number;
  initialDelayMs: number;
  maxDelayMs: number;
  multiplier: number;
  /** 0..1: the fraction of each delay that is randomised. */
  jitter: number;
}

export interface DeadLetterPolicy {
  enabled: boolean;
  /** Dead-letter topic name, `<topic>.dlq` by default or a shared topic. */
  topic: string;
  partitions?: number;
  replicas?: number;
  /** Extra topic configuration for the DLQ topic (e.g. retention.ms). */
  config: Record<string, string>;
}

/**
 * The model's base names of an event. The exported identifiers and files of the generated tree are the symbol
 * table's (`generator/symbols/`), which may differ (e.g. `EventEnvelope` for an event `envelope`); emitters use it.
 */
export interface EventNames {
  /** Base type name, e.g. `OrderCreated`. */
  typeName: string;
  /** @deprecated Composed from `typeName`; the generated name is the symbol table's. */
  schemaName: string;
  /** File base name, kebab-case, e.g. `order-created`. */
  fileName: string;
  /** Method/property name, camelCase, e.g. `orderCreated`. */
  memberName: string;
  /** @deprecated Handler classes are named per group by the symbol table (`PaymentServiceOrderCreatedHandler`). */
  handlerClass: string;
  /** @deprecated Composed from `typeName`; the generated name is the symbol table's. */
  definitionName: string;
}

export interface EventExample {
  name?: string;
  summary?: string;
  payload: JsonValue;
  headers?: JsonValue;
}

/** Schema-registry style compatibility mode of an event's payload (`x-compatibility`). */
export type CompatibilityMode = 'BACKWARD' | 'FORWARD' | 'FULL' | 'NONE';

/** How the live fan-out (`--with live`) treats an event (`x-live` on the message). */
export interface LiveSettings {
  /** Dotted path into the payload holding the user id of a confidential event (default: `userId`, then `metadata.userId`). */
  userField?: string;
  /** What happens on the event's own channel when a subscriber is too slow (default `drop-oldest`). */
  overflow?: 'drop-oldest' | 'close';
}

/** Wire codec of an event (`x-codec` on the message, model/codec.ts). */
export type EventCodec = 'envelope' | 'json-schema';

/** Publishing priority of an event (`x-priority`), most urgent first in `PRIORITIES` (model/extensions.ts). */
export type EventPriority = 'critical' | 'high' | 'normal' | 'low';

export interface EventType {
  /** The `eventType` string on the wire, e.g. `order.created` (envelope + `event-type` header). */
  type: string;
  /** AsyncAPI message id (component key or channel message key). */
  messageId: string;
  title?: string;
  summary?: string;
  description?: string;
  /** Event schema version, e.g. `1.0.0` (`x-event-version`). */
  version: string;
  classification: DataClassification;
  /**
   * JSON pointers into the payload of the fields classified `confidential` or `restricted` (`x-data-classification`
   * on schema properties, at any depth; `*` = any array item or map value; `""` = the whole payload), sorted.
   * Absent when there are none.
   */
  sensitiveFields?: string[];
  key: KeyRule;
  /** The top-level payload schema (usually an object or a ref to a named schema). */
  payload: Schema;
  /** Declared application headers (message `headers`), if any. */
  headers?: Schema;
  /** Live fan-out settings (`x-live`); absent = the defaults. */
  live?: LiveSettings;
  /** Default publishing priority (`x-priority`); absent = `normal`. */
  priority?: EventPriority;
  /** Wire codec (`x-codec`, model/codec.ts); absent = the JSON envelope (or Avro, for Avro payloads with an AvroCodec). */
  codec?: EventCodec;
  examples: EventExample[];
  deprecated: boolean;
  /** How the payload may evolve (`x-compatibility`, default BACKWARD); read by `gen diff`. */
  compatibility: CompatibilityMode;
  /** Channel ids (`Topic.id`) this event is carried on, sorted. */
  topics: string[];
  /** Upcaster steps from earlier versions, oldest first (`x-previous-versions`); absent = no version chain. */
  previousVersions?: UpcastStep[];
  names: EventNames;
  loc?: SourceLocation;
}

export interface TopicNames {
  /** PascalCase base, e.g. `ShopOrders`. */
  typeName: string;
  /** kebab-case file/dir name, e.g. `shop-orders`. */
  fileName: string;
  /** camelCase member name, e.g. `shopOrders`. */
  memberName: string;
  /** @deprecated Composed from `typeName`; the generated name is the symbol table's. */
  producerClass: string;
  /** @deprecated Composed from `typeName`; the generated name is the symbol table's. */
  topicHandlerClass: string;
}

/** One step of an event's version chain (`x-previous-versions`): from `version` (a major number) to the next one. */
export interface UpcastStep {
  version: number;
  rename?: Record<string, string>;
  remove?: string[];
  defaults?: Record<string, JsonValue>;
}

/** The shape of a topic's records written before the envelope (channel `x-legacy`). */
export interface LegacyFormat {
  typeField: string;
  timestampField?: string;
  dataField?: string;
  userIdField?: string;
  versionField?: string;
  correlationIdField?: string;
  /** Legacy type → catalog event type (types not listed are taken as they are). */
  types?: Record<string, string>;
}

/** `x-retry` with `mode: topics`: one retry topic per delay and consumer group. */
export interface RetryTopicsSpec {
  /** Delay before retry n (1-based) at index n - 1, in ms. */
  delaysMs: number[];
  /** Retry topic name template with `{topic}`, `{group}`, `{n}` (default `{topic}.retry.{group}.{n}`). */
  topicName: string;
  /** Partitions of each retry topic (default: the topic's). */
  partitions?: number;
  /** `retention.ms` of each retry topic (default 7 days). */
  retentionMs?: number;
}

export interface Topic {
  /** Channel id in the catalog. */
  id: string;
  /** Records written before the envelope (`x-legacy`), turned into envelopes by the topic delegators. */
  legacy?: LegacyFormat;
  /**
   * Kafka topic name (binding `topic`, else channel address, else channel id). With `parameters`, the address
   * template (`orders.{region}`): each record's topic is the template with the parameter values filled in.
   */
  name: string;
  /** Channel parameters of the address, in the order they appear in it (absent: a literal topic name). */
  parameters?: TopicParameter[];
  title?: string;
  description?: string;
  partitions?: number;
  replicas?: number;
  /** Kafka binding `topicConfiguration`, keys in Kafka spelling (`retention.ms`, ...). */
  config: Record<string, string | number | boolean | string[]>;
  /** Event types (EventType.type) carried on this topic, in catalog order. */
  events: string[];
  /** Event types some producer of this catalog sends to this topic. */
  produced: string[];
  /** The `send` operations on this topic (none for a catalog without operations), for docs. */
  senders?: TopicSender[];
  retry: RetryPolicy;
  /** Non-blocking retries through retry topics (`x-retry.mode: topics`); absent: in-process retries. */
  retryTopics?: RetryTopicsSpec;
  deadLetter: DeadLetterPolicy;
  /**
   * Per-environment overrides (`x-environments` on the channel), e.g. more partitions in production.
   * Keys are environment names (`--env <name>`); values override partitions/replicas/config.
   */
  environments: Record<string, TopicEnvironment>;
  names: TopicNames;
  loc?: SourceLocation;
}

/** A `send` operation on a topic: which application sends what. */
export interface TopicSender {
  /** Operation id. */
  operation: string;
  /** The operation's Kafka binding `clientId` (a string or a schema pinning one), if any: the sending application. */
  clientId?: string;
  /** Event types it sends. */
  events: string[];
}

export interface TopicEnvironment {
  partitions?: number;
  replicas?: number;
  config: Record<string, string | number | boolean | string[]>;
  /** Values of the channel parameters in this environment (`x-environments.<env>.parameters`): the topics provisioned. */
  parameters?: Record<string, string[]>;
}

/** A channel parameter (`{region}` in `orders.{region}`). */
export interface TopicParameter {
  /** Name as written between the braces. */
  name: string;
  /** `number` for a 2.x parameter schema of type integer/number; strings otherwise (AsyncAPI 3 parameters are strings). */
  type: 'string' | 'number';
  /** The values the catalog enumerates (3.x `enum`, 2.x `schema.enum`), as they appear in topic names. */
  values?: string[];
  description?: string;
  loc?: SourceLocation;
}

export interface GroupNames {
  typeName: string;
  fileName: string;
  memberName: string;
}

export interface ConsumerGroup {
  /** Kafka `group.id`. */
  groupId: string;
  description?: string;
  /** True when the group came from the catalog-wide default (no `groupId` binding). */
  isDefault: boolean;
  /**
   * What the group receives: per topic, which events. Sorted by topic id. `retryTopics`: the receive operation's own
   * `x-retry` retry-topic choice for this group (null: `mode: in-process`, opting out of the channel's retry topics);
   * absent: the channel's (see `retryTopicsFor`).
   */
  subscriptions: Array<{ topic: string; events: string[]; retryTopics?: RetryTopicsSpec | null }>;
  /** Operation ids that define this group. */
  operations: string[];
  /**
   * Exactly-once consume → produce (`x-exactly-once: true` on one of the group's receive operations): outputs and
   * offsets commit in one Kafka transaction. Absent: at-least-once.
   */
  exactlyOnce?: true;
  names: GroupNames;
  loc?: SourceLocation;
}

export interface ServerInfo {
  id: string;
  host: string;
  protocol: string;
  description?: string;
}

export interface Catalog {
  /** Catalog path as given by the user (used in banners; relative, forward slashes). */
  sourcePath: string;
  asyncapiVersion: string;
  title: string;
  version: string;
  description?: string;
  /** `source` written into every envelope (`x-eventgen.source`, else kebab-case title). */
  source: string;
  servers: ServerInfo[];
  topics: Topic[];
  events: EventType[];
  schemas: NamedSchema[];
  groups: ConsumerGroup[];
  /** Choreography sagas declared in root `x-sagas` (absent or empty: none). */
  sagas?: Saga[];
  /** `x-eventgen.kafkaClient`: the client generated services use when `KAFKA_CLIENT` is unset (absent: kafkajs). */
  kafkaClient?: KafkaClientName;
  diagnostics: Diagnostic[];
}

/** The Kafka client libraries the runtime has a transport for. */
export type KafkaClientName = 'kafkajs' | 'platformatic';

/* ------------------------------------------------------------------------------------------ */
/* Sagas (root `x-sagas`, docs/sagas.md)                                                        */
/* ------------------------------------------------------------------------------------------ */

/** One step of a choreography saga: a handler of `on` that answers with exactly one of its declared events. */
export interface SagaStep {
  /** Step name as declared (letters, digits, `_`, `-`). */
  name: string;
  /** `step` (forward) or `compensation` (undoes an earlier step after a failure event). */
  kind: 'step' | 'compensation';
  /** Event type (wire name) that triggers the step. */
  on: string;
  /** Kafka consumer group id the step's consumer joins. */
  group: string;
  /** Event types the step may emit on success (a compensation: its compensating event(s)). */
  emits: string[];
  /** Event type the step emits when it fails for a business reason (steps only). */
  failure?: string;
  description?: string;
  names: { typeName: string; fileName: string; memberName: string };
  loc?: SourceLocation;
}

export interface Saga {
  /** Saga name as declared (letters, digits, `_`, `-`). */
  name: string;
  description?: string;
  /** Forward steps then compensations, in declaration order. */
  steps: SagaStep[];
  names: { typeName: string; fileName: string; memberName: string };
  loc?: SourceLocation;
}
