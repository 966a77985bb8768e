/**
 * The parts of `@platformatic/kafka` (1.x) the runtime uses, typed here so that the runtime compiles and runs without
 * the package installed (it is an optional peer dependency: a service installs only the client it uses), and the
 * lazy loader. Only `platformatic-*.ts` use these.
 */
import type { KafkaConfig } from './config.js';

/** Cluster metadata as the client caches it. */
export interface PltClusterMetadata {
  brokers: Map<number, unknown>;
  topics: Map<string, { id: string; partitionsCount: number; partitions: Array<{ leader: number; leaderEpoch: number }> }>;
}

/** A client error: `findBy('apiId', 'MESSAGE_TOO_LARGE')` finds a protocol error in it (or its aggregated errors). */
export interface PltError extends Error {
  code?: string;
  findBy?(property: string, value: unknown): PltError | null;
}

/** Metadata of any client. */
export interface PltBase {
  metadata(options: { topics: string[]; forceUpdate?: boolean; autocreateTopics?: boolean }): Promise<PltClusterMetadata>;
  clearMetadata(): void;
  close(force?: boolean): Promise<void>;
}

/** A message to produce: key, value and header names/values are Buffers (the client's no-op serialisers). */
export interface PltMessageToProduce {
  topic: string;
  partition: number;
  key?: Buffer;
  value?: Buffer;
  headers?: Map<Buffer, Buffer>;
}

/** The group metadata `Transaction.addOffset` sends with an offset (TxnOffsetCommit): the member in its generation. */
export interface PltConsumerMetadata {
  groupId: string;
  generationId: number;
  memberId: string;
  /** Node id of the group coordinator (TxnOffsetCommit goes to it). */
  coordinatorId: number;
}

/** `Transaction` of a transactional `Producer` (`beginTransaction()`). */
export interface PltTransaction {
  readonly completed: boolean;
  /** Produces in the transaction (AddPartitionsToTxn for partitions new to it, then Produce). */
  send(options: { messages: PltMessageToProduce[]; acks?: number; autocreateTopics?: boolean }): Promise<{ offsets?: Array<{ topic: string; partition: number; offset: bigint }> }>;
  /** AddOffsetsToTxn for the consumer's group (only `groupId` is read). */
  addConsumer(consumer: { groupId: string }): Promise<void>;
  /** TxnOffsetCommit of `offset + 1` with the message's consumer metadata. */
  addOffset(message: { topic: string; partition: number; offset: bigint; metadata: { consumer: PltConsumerMetadata } }): Promise<void>;
  /** EndTxn(commit). */
  commit(): Promise<void>;
  /** EndTxn(abort). */
  abort(): Promise<void>;
  /** Forgets the transaction locally (no request). */
  cancel(): Promise<void>;
}

/** `Producer`. */
export interface PltProducer extends PltBase {
  send(options: { messages: PltMessageToProduce[]; acks?: number; compression?: string; idempotent?: boolean; autocreateTopics?: boolean }): Promise<{
    offsets?: Array<{ topic: string; partition: number; offset: bigint }>;
  }>;
  /**
   * Starts a transaction (a producer created with `transactionalId` and `idempotent`): the first one of the client
   * registers the id (FindCoordinator, InitProducerId: fences older producers with it, completes their transaction).
   */
  beginTransaction?(): Promise<PltTransaction>;
}

/** One record of a fetched batch. */
export interface PltKafkaRecord {
  attributes: number;
  timestampDelta: bigint;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[Buffer | null, Buffer | null]>;
}

/** A fetched record batch. */
export interface PltRecordsBatch {
  firstOffset: bigint;
  firstTimestamp: bigint;
  lastOffsetDelta: number;
  attributes: number;
  records: PltKafkaRecord[];
}

/** A Fetch response (v17: topics by id). */
export interface PltFetchResponse {
  responses: Array<{
    topicId: string;
    partitions: Array<{ partitionIndex: number; errorCode: number; highWatermark: bigint; logStartOffset: bigint; records?: PltRecordsBatch[] }>;
  }>;
}

/** A Fetch request for one topic. */
export interface PltFetchTopic {
  topicId: string;
  partitions: Array<{ partition: number; fetchOffset: bigint; partitionMaxBytes: number; currentLeaderEpoch: number; lastFetchedEpoch: number }>;
}

/** Payload of `consumer:group:join`. */
export interface PltJoinPayload {
  groupId: string;
  memberId: string;
  generationId?: number;
  assignments?: Array<{ topic: string; partitions: number[] }>;
}

/** A connection pool (fetches go through their own, so long polls never delay heartbeats or commits). */
export interface PltConnectionPool {
  close(): Promise<void>;
}

/** `Consumer` (classic group protocol). */
export interface PltConsumer extends PltBase {
  /** Public, writable fields of the client (the committer client borrows the member's identity). */
  generationId: number;
  memberId: string | null;
  /** Node id of the group coordinator, once known. */
  readonly coordinatorId?: number | null;
  topics: { track(topic: string): boolean };
  on(event: 'consumer:group:join', listener: (payload: PltJoinPayload) => void): unknown;
  on(event: 'consumer:group:rebalance' | 'consumer:group:leave' | 'consumer:rejoin', listener: () => void): unknown;
  on(event: 'consumer:heartbeat:error', listener: (payload: { error: Error }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  joinGroup(options: { sessionTimeout?: number; rebalanceTimeout?: number; heartbeatInterval?: number }): Promise<string>;
  leaveGroup(force?: boolean): Promise<void>;
  fetch(options: { node: number; topics: PltFetchTopic[]; maxWaitTime?: number; minBytes?: number; maxBytes?: number; isolationLevel?: number; connectionPool?: PltConnectionPool }): Promise<PltFetchResponse>;
  commit(options: { offsets: Array<{ topic: string; partition: number; offset: bigint; leaderEpoch: number }> }): Promise<void>;
  listCommittedOffsets(options: { topics: Array<{ topic: string; partitions: number[] }> }): Promise<Map<string, bigint[]>>;
  listOffsets(options: { topics: string[]; partitions?: Record<string, number[]>; timestamp?: bigint }): Promise<Map<string, bigint[]>>;
}

/** `Admin`. */
export interface PltAdmin extends PltBase {
  listTopics(options?: { includeInternals?: boolean }): Promise<string[]>;
  listOffsets(options: { topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; timestamp: bigint }> }> }): Promise<
    Array<{ name: string; partitions: Array<{ partitionIndex: number; offset: bigint }> }>
  >;
  listConsumerGroupOffsets(options: { groups: Array<{ groupId: string; topics?: Array<{ name: string; partitionIndexes: number[] }> }>; requireStable?: boolean }): Promise<
    Array<{ groupId: string; topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; committedOffset: bigint }> }> }>
  >;
  /** FindCoordinator (`keyType` 0 = group, 1 = transaction). */
  findCoordinator?(options: { keyType: number; keys: string[] }): Promise<Array<{ key: string; nodeId: number }>>;
}

/** What the runtime uses of the `@platformatic/kafka` module. */
export interface PlatformaticModule {
  Producer: new (options: Record<string, unknown>) => PltProducer;
  Consumer: new (options: Record<string, unknown>) => PltConsumer;
  Admin: new (options: Record<string, unknown>) => PltAdmin;
  ConnectionPool: new (clientId: string, options: Record<string, unknown>) => PltConnectionPool;
}

let loading: Promise<PlatformaticModule> | undefined;

/**
 * Imports `@platformatic/kafka` on first use (an optional peer dependency: runtimes on kafkajs never load it). A
 * missing package fails with a message that says what to install.
 */
export function loadPlatformaticKafka(): Promise<PlatformaticModule> {
  // A variable specifier: TypeScript does not resolve it, so the runtime type-checks without the package.
  const specifier = '@platformatic/kafka';
  loading ??= (import(specifier) as Promise<PlatformaticModule>).catch((error: unknown) => {
    loading = undefined;
    throw new Error('KAFKA_CLIENT=platformatic needs the package @platformatic/kafka (an optional peer dependency): npm install @platformatic/kafka@^1', { cause: error });
  });
  return loading;
}

const SASL: Record<string, string> = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' };

/** Client options for a {@link KafkaConfig}; the password is revealed only here, into the client. */
export function toPlatformaticOptions(config: KafkaConfig): Record<string, unknown> {
  const options: Record<string, unknown> = {
    clientId: config.clientId,
    bootstrapBrokers: [...config.brokers],
    connectTimeout: config.connectionTimeoutMs ?? 3_000,
    timeout: config.requestTimeoutMs ?? 30_000,
    // Short, bounded retries inside the client; the transport's own loops retry longer (a broker outage of any
    // length ends in working fetches and sends without a restart).
    retries: 5,
    retryDelay: 300,
    autocreateTopics: false,
  };
  if (config.tls !== undefined) options['tls'] = config.tls.ca === undefined ? { rejectUnauthorized: true } : { rejectUnauthorized: true, ca: [...config.tls.ca] };
  if (config.sasl !== undefined) {
    const { mechanism, username, password } = config.sasl;
    options['sasl'] = { mechanism: SASL[mechanism] ?? mechanism.toUpperCase(), username, password: password.reveal() };
  }
  return options;
}

/** The protocol error id (`UNKNOWN_TOPIC_OR_PARTITION`, ...) among `ids` found in a client error, if any. */
export function protocolErrorId(error: unknown, ids: readonly string[]): string | undefined {
  const e = error as PltError | null;
  if (e === null || typeof e !== 'object' || typeof e.findBy !== 'function') return undefined;
  for (const id of ids) if (e.findBy('apiId', id) !== null) return id;
  return undefined;
}
