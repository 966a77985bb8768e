import { randomUUID } from 'node:crypto';
import { avroHeaders, type AvroCodec } from './avro-codec.js';
import { jsonSchemaHeaders, type JsonSchemaCodec } from './json-schema-codec.js';
import type { z } from 'zod/v4';
import { parseEventData, parseEventDataSync, type EventDefinition } from './definitions.js';
import type { EventContext } from './delegator.js';
import { encodeEnvelope, envelopeHeaders, type Envelope, type EnvelopeMetadata, type EventPriority } from './envelope.js';
import { EventValidationError, toError } from './errors.js';
import { toHealthError, type HealthError, type ProducerHealth } from './health.js';
import { uuidV5 } from './ids.js';
import { defaultLogger, type Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { TraceSpan, Tracing } from './tracing.js';
import { sendErrorCode, type OutgoingMessage, type RecordMetadata, type SendErrorCode, type Transport, type TransportProducer } from './transport.js';

/** Per-send options. */
export interface SendOptions {
  /** Kafka key overriding the event's partition-key rule (`null` = no key). */
  key?: string | null;
  /** Correlation id of the flow (default: a new uuid). Pass `context.correlationId` from a handler. */
  correlationId?: string;
  /** Id of the event that caused this one (e.g. `context.eventId`). */
  causationId?: string;
  /** Acting user. */
  userId?: string;
  /** W3C trace context, mirrored in the `traceparent` header. */
  traceparent?: string;
  /** Extra headers; the runtime's own headers win on a name clash. */
  headers?: Record<string, string>;
  /** Event id (default: a new uuid, or derived from `causedBy`); set it to make a retried send idempotent for consumers. */
  eventId?: string;
  /**
   * The handler context of the event that causes this one (consume → produce): the correlation id, causation id
   * and user are taken from it, and the event id is derived from it (a name-based UUID of the cause's event id,
   * this event's type and its position among the events of that type sent for the cause), so a redelivered
   * record produces events with the same ids and downstream consumers can deduplicate them.
   */
  causedBy?: EventContext;
  /** Explicit partition, bypassing the key-based partitioner. */
  partition?: number;
  /** Producing service written to `metadata.source` (default: the producer's `source`), e.g. the gateway's caller. */
  source?: string;
  /** Priority, written to `metadata.priority` and the `event-priority` header. */
  priority?: EventPriority;
}

/** One event of {@link EventProducer.sendBatch}; build it with {@link batchItem} to keep `data` typed. */
export interface BatchItem {
  /** Topic to send to. */
  topic: string;
  /** The event's definition. */
  definition: EventDefinition;
  /** Payload, validated by the definition's schema. */
  data: unknown;
  /** Per-event options. */
  options?: SendOptions;
}

/** Builds a typed {@link BatchItem}. */
export function batchItem<TSchema extends z.ZodType>(
  topic: string,
  definition: EventDefinition<string, TSchema>,
  data: z.input<TSchema>,
  options?: SendOptions,
): BatchItem {
  return options === undefined ? { topic, definition, data } : { topic, definition, data, options };
}

/**
 * A send failed after validation: nothing of the items can be assumed written (`code` `UNCERTAIN`: maybe written),
 * or the broker refused them. `retryItems` are the same items with their event ids fixed: send them again and
 * consumers deduplicate any that were written after all.
 */
export class ProduceError extends Error {
  override name = 'ProduceError';
  /** Why (see `SendErrorCode`). */
  readonly code: SendErrorCode;
  /** The failed items, with the event ids they were sent with. */
  readonly retryItems: readonly BatchItem[];
  /** The event ids of the failed items, in order. */
  readonly eventIds: readonly string[];

  /** @param items the items with fixed ids; @param cause the transport's error. */
  constructor(items: readonly BatchItem[], eventIds: readonly string[], cause: unknown) {
    super(`Sending ${items.length} event(s) failed: ${toError(cause).message}`, { cause });
    this.code = sendErrorCode(cause);
    this.retryItems = items;
    this.eventIds = eventIds;
  }
}

/** Options of {@link EventProducer}. */
export interface EventProducerOptions {
  /** Kafka client. */
  transport: Transport;
  /** This service's name, written to `metadata.source`. */
  source: string;
  /** Logger (default: warnings and errors on stderr). */
  logger?: Logger;
  /** Metrics (`produced` counter, `producer_send_duration_seconds` per send call and topic). */
  metrics?: Metrics;
  /** Clock (injectable for tests). */
  now?: () => Date;
  /** Id generator (default `randomUUID`). */
  newId?: () => string;
  /**
   * A `send <topic>` span per event with its context in the record's headers, e.g. `otelTracing(api)` with
   * `import * as api from '@opentelemetry/api'` (default none).
   */
  tracing?: Tracing;
  /**
   * Avro in the Confluent wire format for events whose catalog payload is Avro (`definition.avro`): the value is the
   * bare Avro record with the schema's registry id, the envelope metadata travels in headers (see avro-codec.ts).
   * Without it (default) every event is a JSON envelope.
   */
  avro?: AvroCodec;
  /**
   * JSON in the Confluent wire format (registry id + JSON) for events the catalog gives `x-codec: json-schema`
   * (`definition.jsonSchema`); the envelope metadata travels in headers (see json-schema-codec.ts). Default: envelopes.
   */
  jsonSchema?: JsonSchemaCodec;
}

/** Sends validated, enveloped events. Generated `<topic>.producer.ts` classes wrap it with one method per event. */
export class EventProducer {
  private readonly producer: TransportProducer;
  private connected: Promise<void> | undefined;
  private isConnected = false;
  private sent = 0;
  private lastError: HealthError | undefined;
  private lastSendFailed = false;
  private readonly logger: Logger;
  // Events sent per cause context and type, for the derived ids of `causedBy` (contexts are per attempt).
  private readonly caused = new WeakMap<EventContext, Map<string, number>>();

  /** @param options transport, source name, logger, metrics. */
  constructor(private readonly options: EventProducerOptions) {
    this.producer = options.transport.producer();
    this.logger = options.logger ?? defaultLogger();
  }

  /** Connects (idempotent); `send` connects on first use too. */
  async connect(): Promise<void> {
    this.connected ??= this.producer.connect().then(
      () => {
        this.isConnected = true;
      },
      (error: unknown) => {
        this.connected = undefined;
        this.lastError = toHealthError(error);
        throw error;
      },
    );
    await this.connected;
  }

  /** Flushes and disconnects. */
  async disconnect(): Promise<void> {
    if (this.connected === undefined) return;
    this.connected = undefined;
    this.isConnected = false;
    await this.producer.disconnect();
  }

  /**
   * Validates `data`, wraps it in an envelope and sends it to `topic`.
   * @throws EventValidationError (nothing is sent) when `data` does not match the event's schema.
   */
  async send<TSchema extends z.ZodType>(
    topic: string,
    definition: EventDefinition<string, TSchema>,
    data: z.input<TSchema>,
    options?: SendOptions,
  ): Promise<RecordMetadata> {
    const [metadata] = await this.sendBatch([batchItem(topic, definition, data, options)]);
    if (metadata === undefined) throw new Error('Transport returned no record metadata');
    return metadata;
  }

  /**
   * Validates all events first (none is sent if one is invalid), then sends them in one transport call.
   * @throws EventValidationError (stage `produce`) when one is invalid; ProduceError when the send failed.
   */
  async sendBatch(items: readonly BatchItem[]): Promise<RecordMetadata[]> {
    const prepared: Array<{ topic: string; eventType: string; eventId: string; message: OutgoingMessage }> = [];
    for (const item of items) {
      // Synchronous validation where the schema allows it: no promise per event on the hot path.
      const parsed = parseEventDataSync(item.definition.schema, item.data) ?? (await parseEventData(item.definition.schema, item.data));
      const ready = this.prepare(item, parsed);
      // Avro events with a codec: the bare Avro record (registry id first; a registry outage fails here, before any send).
      const avro = this.options.avro;
      if (avro !== undefined && item.definition.avro !== undefined && parsed.success) {
        ready.message.value = await avro.encode(item.topic, item.definition, parsed.data);
        const own = avroHeaders(ready.metadata, item.options?.traceparent);
        ready.message.headers = item.options?.headers === undefined ? own : { ...item.options.headers, ...own };
      } else if (this.options.jsonSchema !== undefined && item.definition.jsonSchema !== undefined && parsed.success) {
        ready.message.value = await this.options.jsonSchema.encode(item.topic, item.definition, parsed.data);
        const own = jsonSchemaHeaders(ready.metadata, item.options?.traceparent);
        ready.message.headers = item.options?.headers === undefined ? own : { ...item.options.headers, ...own };
      }
      prepared.push(ready);
    }
    // Caused by a record of an exactly-once group: the events join that attempt's outputs (its Kafka transaction).
    if (items.some((item) => item.options?.causedBy?.outputs !== undefined)) return this.sendCaused(items, prepared);
    return this.sendPrepared(items, prepared);
  }

  private async sendPrepared(items: readonly BatchItem[], prepared: ReadonlyArray<{ topic: string; eventType: string; eventId: string; message: OutgoingMessage }>): Promise<RecordMetadata[]> {
    await this.connect();
    const tracing = this.options.tracing;
    const spans = tracing === undefined ? undefined : this.traceSends(tracing, items, prepared);
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const { topic, message } of prepared) byTopic.set(topic, [...(byTopic.get(topic) ?? []), message]);
    const metrics = this.options.metrics;
    const started = metrics === undefined ? 0 : performance.now();
    let acknowledged = false;
    try {
      const result = await this.producer.send([...byTopic].map(([topic, messages]) => ({ topic, messages })));
      acknowledged = true;
      if (metrics !== undefined) observeSend(metrics, byTopic.keys(), started, 'ok');
      this.sent += items.length;
      this.lastSendFailed = false;
      for (const { topic, eventType } of prepared) this.options.metrics?.increment('produced', { topic, event_type: eventType });
      // The transport answers topic by topic; map back to the caller's order.
      const cursors = new Map<string, number>();
      let base = 0;
      for (const [topic, messages] of byTopic) {
        cursors.set(topic, base);
        base += messages.length;
      }
      const out = prepared.map(({ topic }) => {
        const index = cursors.get(topic) ?? 0;
        cursors.set(topic, index + 1);
        const metadata = result[index];
        if (metadata === undefined) throw new Error('Transport returned too few record metadata');
        return metadata;
      });
      if (spans !== undefined)
        spans.forEach((span, i) => {
          const written = out[i] as RecordMetadata;
          span.set({ 'messaging.destination.partition.id': String(written.partition) });
          span.end();
        });
      return out;
    } catch (error) {
      if (metrics !== undefined && !acknowledged) observeSend(metrics, byTopic.keys(), started, 'error');
      if (spans !== undefined)
        for (const span of spans) {
          span.fail(error);
          span.end();
        }
      this.lastSendFailed = true;
      this.lastError = toHealthError(error);
      this.logger.error('Send failed', { error, topics: [...byTopic.keys()], events: items.length });
      const eventIds = prepared.map((p) => p.eventId);
      const retryItems = items.map((item, i) => ({ ...item, options: { ...item.options, eventId: eventIds[i] as string } }));
      throw new ProduceError(retryItems, eventIds, error);
    }
  }

  /**
   * Events caused by records of an exactly-once group go to their cause's attempt outputs (metadata: partition -1,
   * offset '-1', they are written when the transaction commits); any others are sent as usual. With tracing, each
   * caused event gets its `send` span like any other (its context in the event's headers, so the consumer downstream
   * links to it); the span covers handing the event to the transaction, whose commit belongs to the cause's process.
   */
  private async sendCaused(items: readonly BatchItem[], prepared: ReadonlyArray<{ topic: string; eventType: string; eventId: string; message: OutgoingMessage }>): Promise<RecordMetadata[]> {
    const out: RecordMetadata[] = new Array<RecordMetadata>(items.length);
    const direct: number[] = [];
    for (let i = 0; i < items.length; i++) {
      const outputs = items[i]?.options?.causedBy?.outputs;
      const { topic, eventType, message } = prepared[i] as (typeof prepared)[number];
      if (outputs === undefined) {
        direct.push(i);
        continue;
      }
      const span = this.options.tracing?.send(topic, (prepared[i] as (typeof prepared)[number]).eventId, message.headers as Record<string, string>, items[i]?.options?.traceparent);
      try {
        await outputs.send([{ topic, messages: [message] }]);
      } catch (error) {
        span?.fail(error);
        span?.end();
        throw error;
      }
      span?.set({ 'messaging.kafka.transactional': true });
      span?.end();
      this.options.metrics?.increment('produced', { topic, event_type: eventType });
      out[i] = { topic, partition: -1, offset: '-1' };
    }
    if (direct.length > 0) {
      const sent = await this.sendPrepared(
        direct.map((i) => items[i] as BatchItem),
        direct.map((i) => prepared[i] as (typeof prepared)[number]),
      );
      direct.forEach((i, n) => (out[i] = sent[n] as RecordMetadata));
    }
    return out;
  }

  /** One `send` span per event; each writes its context into the event's headers. */
  private traceSends(tracing: Tracing, items: readonly BatchItem[], prepared: ReadonlyArray<{ topic: string; eventId: string; message: OutgoingMessage }>): TraceSpan[] {
    return prepared.map(({ topic, eventId, message }, i) => tracing.send(topic, eventId, message.headers as Record<string, string>, items[i]?.options?.traceparent));
  }

  /** Connection state, events sent and last failure. */
  health(): ProducerHealth {
    const health: ProducerHealth = {
      healthy: this.isConnected && !this.lastSendFailed,
      status: this.isConnected ? 'connected' : 'disconnected',
      sent: this.sent,
    };
    if (this.lastError !== undefined) health.lastError = this.lastError;
    return health;
  }

  private prepare(item: BatchItem, parsed: z.ZodSafeParseResult<unknown>): { topic: string; eventType: string; eventId: string; message: OutgoingMessage; metadata: EnvelopeMetadata } {
    const { topic, definition, options = {} } = item;
    if (!parsed.success) throw new EventValidationError(definition.eventType, parsed.error.issues, 'produce');
    const key = options.key !== undefined ? options.key : definition.partitionKey(parsed.data);
    const newId = this.options.newId ?? randomUUID;
    const cause = options.causedBy;
    const metadata: EnvelopeMetadata = {
      eventId: options.eventId ?? (cause !== undefined ? this.causedId(cause, definition.eventType) : newId()),
      eventType: definition.eventType,
      eventVersion: definition.version,
      correlationId: options.correlationId ?? cause?.correlationId ?? newId(),
      timestamp: (this.options.now?.() ?? new Date()).toISOString(),
      source: options.source ?? this.options.source,
      dataClassification: definition.classification,
      partitionKey: key,
    };
    const causationId = options.causationId ?? cause?.eventId;
    if (causationId !== undefined) metadata.causationId = causationId;
    const userId = options.userId ?? cause?.metadata.userId;
    if (userId !== undefined) metadata.userId = userId;
    if (options.priority !== undefined) metadata.priority = options.priority;
    const envelope: Envelope = { metadata, data: parsed.data };
    const message: OutgoingMessage = {
      key,
      value: encodeEnvelope(envelope),
      headers: options.headers === undefined ? envelopeHeaders(metadata, options.traceparent) : { ...options.headers, ...envelopeHeaders(metadata, options.traceparent) },
    };
    if (options.partition !== undefined) message.partition = options.partition;
    this.logger.debug('Sending event', { topic, eventType: metadata.eventType, eventId: metadata.eventId, correlationId: metadata.correlationId });
    return { topic, eventType: definition.eventType, eventId: metadata.eventId, message, metadata };
  }

  /** The n-th event of `eventType` caused by `cause`: the same id on every redelivery of the cause. */
  private causedId(cause: EventContext, eventType: string): string {
    let counts = this.caused.get(cause);
    if (counts === undefined) this.caused.set(cause, (counts = new Map()));
    const n = counts.get(eventType) ?? 0;
    counts.set(eventType, n + 1);
    return uuidV5(`caused:${cause.eventId}:${eventType}:${n}`);
  }
}

/** One send call's duration, observed once per topic in it. */
function observeSend(metrics: Metrics, topics: Iterable<string>, started: number, outcome: 'ok' | 'error'): void {
  const seconds = (performance.now() - started) / 1000;
  for (const topic of topics) metrics.observeSendTime(seconds, topic, outcome);
}
