/**
 * The witness service's own catalog: one numbered event, written as a user of the runtime would (defineEvent +
 * Zod), independent of the project's catalog. `mode` lets the driver choose how the handler behaves per event.
 */
import { z } from 'zod';
import { defineEvent } from '../../../../templates/runtime/index.js';

/** How the witness handler treats one event. */
export const HandlerMode = z.enum(['ok', 'slow', 'retry', 'fail']);
export type HandlerMode = z.output<typeof HandlerMode>;

export const NumberedSchema = z.object({
  /** Test run (one per scenario run). */
  run: z.string(),
  /** 0-based number of the event within the run. */
  seq: z.number().int().nonnegative(),
  /** Kafka key: spreads events over partitions. */
  key: z.string(),
  /** ok: work `workMs` then write the effect; slow: same, announced on stdout; retry: fail retriably every attempt; fail: non-retriable. */
  mode: HandlerMode.default('ok'),
  /** Work before the effect (ms); default the process's `handleMs`. */
  workMs: z.number().int().nonnegative().optional(),
  /** Padding to reach a record size. */
  pad: z.string().optional(),
});
export type Numbered = z.output<typeof NumberedSchema>;

export const NumberedEvent = defineEvent({
  eventType: 'witness.numbered',
  version: '1.0.0',
  topics: [],
  schema: NumberedSchema,
  classification: 'internal',
  partitionKey: (d) => d.key,
});

/** What the driver passes to a consumer process (JSON in WITNESS_CONFIG). */
export interface ConsumerConfig {
  brokers: string;
  topic: string;
  groupId: string;
  /** PostgreSQL connection string of the witness database. */
  pg: string;
  /** Schema of the witness tables. */
  schema: string;
  /** Redis URL: the group uses a RedisProcessedStore when set, no store (`null`) otherwise. */
  redis?: string;
  /** Key prefix of the Redis store. */
  redisKeyPrefix?: string;
  /** Default work per event (ms). */
  handleMs?: number;
  /** Client id of the kafkajs client. */
  clientId?: string;
  /** Extra `GroupConsumer` options, spread as given (new runtime options are one line here: `handlerTimeoutMs`, `stopTimeoutMs`, ...). */
  group?: Record<string, unknown>;
  /** `KafkaTransport` consumer options (session timeout, commit interval, ...), spread as given. */
  consumer?: Record<string, unknown>;
  /** `KafkaTransport` producer options (the dead-letter producer), spread as given. */
  producer?: Record<string, unknown>;
  /** Retry policy of the topic (partial: merged over the runtime default). */
  retry?: Record<string, number>;
  /** Dead-letter topic (default `<topic>.dlq`); `false` disables dead-lettering. */
  deadLetter?: string | false;
}
