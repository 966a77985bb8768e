/**
 * The outbox writer: builds each event exactly as the Kafka producer would (the same `EventProducer`, validation,
 * envelope, headers and key), but instead of sending it INSERTs the record into the outbox table with the caller's
 * client, so the event commits or rolls back with the caller's transaction. The relay (`relay.ts`) publishes it.
 */
import type { z } from 'zod/v4';
import type { EventDefinition } from '../runtime/definitions.js';
import { ProduceError, EventProducer, type SendOptions } from '../runtime/producer.js';
import type { Logger } from '../runtime/logger.js';
import type { RecordMetadata, TopicMessages, Transport, TransportProducer } from '../runtime/transport.js';
import { outboxNames, type OutboxClient, type OutboxTableOptions } from './table.js';

/** What an outbox insert returns: the event is written to the outbox (not yet to Kafka). */
export interface OutboxReceipt {
  /** The event id fixed at insert (the relay publishes it unchanged: consumers deduplicate by it). */
  eventId: string;
  /** Kafka topic the relay will publish to. */
  topic: string;
  /** Kafka key (the event's partition key); `null` = no key. */
  key: string | null;
}

/** Options of {@link OutboxWriter}. */
export interface OutboxWriterOptions extends OutboxTableOptions {
  /** This service's name, written to `metadata.source`. */
  source: string;
  /** Clock (injectable for tests). */
  now?: () => Date;
  /** Id generator (default `randomUUID`). */
  newId?: () => string;
  /** Logger for debug lines (default: silent; a failed insert rejects the call). */
  logger?: Logger;
}

const SILENT: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => SILENT };

/** Writes enveloped events into the outbox with one client (one transaction). Generated `createOutboxProducers` wraps it. */
export class OutboxWriter {
  private readonly producer: EventProducer;
  private readonly receipts = new Map<string, OutboxReceipt>();

  /** @param client the caller's client (inside its transaction); @param options source, table names. */
  constructor(client: OutboxClient, options: OutboxWriterOptions) {
    const names = outboxNames(options);
    const insert =
      `INSERT INTO ${names.outbox} (event_id, event_type, topic, key, ordering_key, kafka_partition, value, headers) ` +
      'VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)';
    const receipts = this.receipts;
    // A transport whose "send" is the INSERT: EventProducer does everything else exactly as for Kafka.
    const producer: TransportProducer = {
      connect: async () => undefined,
      disconnect: async () => undefined,
      async send(batch: readonly TopicMessages[]): Promise<RecordMetadata[]> {
        const out: RecordMetadata[] = [];
        for (const { topic, messages } of batch) {
          for (const m of messages) {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(m.headers ?? {})) if (v !== undefined) headers[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
            const eventId = headers['event-id'] ?? '';
            const key = m.key === null ? null : Buffer.isBuffer(m.key) ? m.key.toString('utf8') : m.key;
            const value = m.value === null ? null : Buffer.isBuffer(m.value) ? m.value.toString('utf8') : m.value;
            // Records without a key are not ordered among themselves: each is its own ordering key.
            await client.query(insert, [eventId, headers['event-type'] ?? null, topic, key, key ?? `\u0001${eventId}`, m.partition ?? null, value, JSON.stringify(headers)]);
            receipts.set(eventId, { eventId, topic, key });
            out.push({ topic, partition: -1, offset: eventId });
          }
        }
        return out;
      },
    };
    const transport: Transport = {
      producer: () => producer,
      consumer: () => {
        throw new Error('The outbox writer has no consumer');
      },
    };
    this.producer = new EventProducer({ transport, source: options.source, logger: options.logger ?? SILENT, ...(options.now ? { now: options.now } : {}), ...(options.newId ? { newId: options.newId } : {}) });
  }

  /**
   * Validates `data`, builds the envelope and INSERTs the record into the outbox.
   * @throws EventValidationError (nothing is written) when `data` does not match the event's schema; the client's
   * error when the INSERT fails (the caller's transaction is then aborted: roll it back).
   */
  async insert<TSchema extends z.ZodType>(topic: string, definition: EventDefinition<string, TSchema>, data: z.input<TSchema>, options?: SendOptions): Promise<OutboxReceipt> {
    let metadata: RecordMetadata;
    try {
      metadata = await this.producer.send(topic, definition, data, options);
    } catch (error) {
      throw error instanceof ProduceError ? error.cause : error;
    }
    const receipt = this.receipts.get(metadata.offset);
    this.receipts.delete(metadata.offset);
    if (receipt === undefined) throw new Error('Outbox insert returned no receipt');
    return receipt;
  }
}
