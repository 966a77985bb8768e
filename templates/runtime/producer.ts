import { randomUUID } from 'node:crypto';
import type { z } from 'zod/v4';
import { parseEventData, type EventDefinition } from './definitions.js';
import { encodeEnvelope, envelopeHeaders, type Envelope, type EnvelopeMetadata } from './envelope.js';
import { EventValidationError } from './errors.js';
import { toHealthError, type HealthError, type ProducerHealth } from './health.js';
import { silentLogger, type Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { OutgoingMessage, RecordMetadata, Transport, TransportProducer } from './transport.js';

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
  /** Event id (default: a new uuid); set it to make a retried send idempotent for consumers. */
  eventId?: string;
  /** Explicit partition, bypassing the key-based partitioner. */
  partition?: number;
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

/** Options of {@link EventProducer}. */
export interface EventProducerOptions {
  /** Kafka client. */
  transport: Transport;
  /** This service's name, written to `metadata.source`. */
  source: string;
  /** Logger (default silent). */
  logger?: Logger;
  /** Metrics (`produced` counter). */
  metrics?: Metrics;
  /** Clock (injectable for tests). */
  now?: () => Date;
  /** Id generator (default `randomUUID`). */
  newId?: () => string;
}

/** Sends validated, enveloped events. Generated `<topic>.producer.ts` classes wrap it with one method per event. */
export class EventProducer {
  private readonly producer: TransportProducer;
  private connected: Promise<void> | undefined;
  private isConnected = false;
  private sent = 0;
  private lastError: HealthError | undefined;
  private lastSendFailed = false;

  /** @param options transport, source name, logger, metrics. */
  constructor(private readonly options: EventProducerOptions) {
    this.producer = options.transport.producer();
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

  /** Validates all events first (none is sent if one is invalid), then sends them in one transport call. */
  async sendBatch(items: readonly BatchItem[]): Promise<RecordMetadata[]> {
    const prepared = await Promise.all(items.map((item) => this.prepare(item)));
    await this.connect();
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const { topic, message } of prepared) byTopic.set(topic, [...(byTopic.get(topic) ?? []), message]);
    try {
      const result = await this.producer.send([...byTopic].map(([topic, messages]) => ({ topic, messages })));
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
      return prepared.map(({ topic }) => {
        const index = cursors.get(topic) ?? 0;
        cursors.set(topic, index + 1);
        const metadata = result[index];
        if (metadata === undefined) throw new Error('Transport returned too few record metadata');
        return metadata;
      });
    } catch (error) {
      this.lastSendFailed = true;
      this.lastError = toHealthError(error);
      this.options.logger?.error('Send failed', { error, topics: [...byTopic.keys()] });
      throw error;
    }
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

  private async prepare(item: BatchItem): Promise<{ topic: string; eventType: string; message: OutgoingMessage }> {
    const { topic, definition, options = {} } = item;
    const parsed = await parseEventData(definition.schema, item.data);
    if (!parsed.success) throw new EventValidationError(definition.eventType, parsed.error.issues);
    const key = options.key !== undefined ? options.key : definition.partitionKey(parsed.data);
    const newId = this.options.newId ?? randomUUID;
    const metadata: EnvelopeMetadata = {
      eventId: options.eventId ?? newId(),
      eventType: definition.eventType,
      eventVersion: definition.version,
      correlationId: options.correlationId ?? newId(),
      timestamp: (this.options.now?.() ?? new Date()).toISOString(),
      source: this.options.source,
      dataClassification: definition.classification,
      partitionKey: key,
    };
    if (options.causationId !== undefined) metadata.causationId = options.causationId;
    if (options.userId !== undefined) metadata.userId = options.userId;
    const envelope: Envelope = { metadata, data: parsed.data };
    const message: OutgoingMessage = {
      key,
      value: encodeEnvelope(envelope),
      headers: { ...options.headers, ...envelopeHeaders(metadata, options.traceparent) },
    };
    if (options.partition !== undefined) message.partition = options.partition;
    (this.options.logger ?? silentLogger).debug('Sending event', { topic, eventType: metadata.eventType, eventId: metadata.eventId, correlationId: metadata.correlationId });
    return { topic, eventType: definition.eventType, message };
  }
}
