/**
 * The narrow seam between the runtime and a Kafka client. `InMemoryTransport` implements it for tests and
 * examples; a kafkajs implementation maps it 1:1 (`producer.send`/`sendBatch`, `consumer.run({ eachMessage })`
 * with commits after the handler resolves, `heartbeat`, `pause`/`resume`).
 */

/** Raw record headers as they travel on the wire. */
export type RecordHeaders = Record<string, string | Buffer>;

/** One message to produce. */
export interface OutgoingMessage {
  /** Kafka key; `null` = round-robin partitioning. */
  key: string | Buffer | null;
  /** Record value. */
  value: string | Buffer | null;
  /** Record headers. */
  headers?: RecordHeaders;
  /** Explicit partition, overriding the key-based partitioner. */
  partition?: number;
}

/** Where a produced record landed. Offsets are decimal strings, as Kafka offsets are 64-bit. */
export interface RecordMetadata {
  /** Topic name. */
  topic: string;
  /** Partition number. */
  partition: number;
  /** Offset of the record in its partition. */
  offset: string;
}

/** Messages for one topic, as in kafkajs `sendBatch({ topicMessages })`. */
export interface TopicMessages {
  /** Topic name. */
  topic: string;
  /** Messages to append, in order. */
  messages: OutgoingMessage[];
}

/** Producing side of a transport. */
export interface TransportProducer {
  /** Connects (idempotent). */
  connect(): Promise<void>;
  /** Flushes and disconnects (idempotent). */
  disconnect(): Promise<void>;
  /**
   * Sends all messages as one request and resolves once all are acknowledged (acks=all), with one metadata per
   * message in input order (topic by topic).
   */
  send(batch: readonly TopicMessages[]): Promise<RecordMetadata[]>;
}

/** A consumed record. */
export interface ConsumedRecord {
  /** Topic name. */
  topic: string;
  /** Partition number. */
  partition: number;
  /** Offset (decimal string). */
  offset: string;
  /** Key bytes, or null. */
  key: Buffer | null;
  /** Value bytes, or null (tombstone). */
  value: Buffer | null;
  /** Headers as received. */
  headers: RecordHeaders;
  /** Broker/producer timestamp in epoch milliseconds (decimal string, as kafkajs). */
  timestamp: string;
}

/** Argument of `eachMessage`. */
export interface EachMessagePayload {
  /** The record to handle. */
  record: ConsumedRecord;
  /** Tells the group coordinator this member is alive during long work (retries, backoff). */
  heartbeat(): Promise<void>;
  /** Pauses this record's topic-partition; returns a function that resumes it. */
  pause(): () => void;
}

/** Topic-partitions to pause or resume; no `partitions` = all of the topic's partitions. */
export interface TopicPartitions {
  /** Topic name. */
  topic: string;
  /** Partitions; omitted = all. */
  partitions?: number[];
}

/** Consuming side of a transport: one member of a consumer group. */
export interface TransportConsumer {
  /** Connects (idempotent). */
  connect(): Promise<void>;
  /** Subscribes to topics; `fromBeginning` only matters for a group without committed offsets. */
  subscribe(options: { topics: readonly string[]; fromBeginning?: boolean }): Promise<void>;
  /**
   * Starts delivery and resolves once running. Contract: records of one partition are handed to `eachMessage`
   * one at a time in offset order; the offset is committed only after the promise resolved; a rejection leaves
   * it uncommitted and the same record is delivered again (after a back-off chosen by the transport).
   */
  run(options: { eachMessage: (payload: EachMessagePayload) => Promise<void> }): Promise<void>;
  /** Stops fetching, waits for in-flight `eachMessage` calls, commits what resolved. */
  stop(): Promise<void>;
  /** Leaves the group and disconnects (stops first if running). */
  disconnect(): Promise<void>;
  /** Pauses delivery of topic-partitions. */
  pause(topics: readonly TopicPartitions[]): void;
  /** Resumes delivery of topic-partitions. */
  resume(topics: readonly TopicPartitions[]): void;
  /** Registers a listener for a fatal consumer failure (kafkajs `consumer.events.CRASH`). */
  onCrash?(listener: (error: unknown) => void): void;
}

/** A Kafka client: a factory for producers and group consumers. */
export interface Transport {
  /** Creates a producer. */
  producer(): TransportProducer;
  /** Creates a member of consumer group `groupId`. */
  consumer(options: { groupId: string }): TransportConsumer;
}

/** Decodes raw headers to strings (UTF-8); Kafka headers are bytes but ours are always text. */
export function decodeHeaders(headers: RecordHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = typeof value === 'string' ? value : value.toString('utf8');
  return out;
}
