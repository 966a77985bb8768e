/**
 * The runtime's {@link Transport} on @platformatic/kafka 1.x (an optional peer dependency, loaded on first
 * connect). Selected with `createTransport({ client: 'platformatic' })` or `KAFKA_CLIENT=platformatic`.
 */
import { describeKafkaConfig, kafkaConfigFromEnv, type KafkaConfig } from './config.js';
import { defaultLogger, type Logger } from './logger.js';
import { loadPlatformaticKafka, toPlatformaticOptions, type PlatformaticModule, type PltAdmin } from './platformatic-client.js';
import { PlatformaticTransportConsumer, type PlatformaticConsumerOptions } from './platformatic-consumer.js';
import { PlatformaticTransportProducer, type PlatformaticProducerOptions } from './platformatic-producer.js';
import { PlatformaticTransactionalProducer, fetchPlatformaticCommittedOffsets } from './platformatic-transactions.js';
import type { TransactionalTransport } from './exactly-once.js';
import type { OffsetReader, PartitionOffsets, TopicPartition, Transport } from './transport.js';

export { PlatformaticTransportConsumer, type PlatformaticConsumerOptions } from './platformatic-consumer.js';
export { PlatformaticTransportProducer, type PlatformaticCompression, type PlatformaticProducerOptions } from './platformatic-producer.js';
export { loadPlatformaticKafka, type PlatformaticModule } from './platformatic-client.js';
export { PlatformaticTransactionalProducer } from './platformatic-transactions.js';

/** Options of {@link PlatformaticTransport}. */
export interface PlatformaticTransportOptions {
  /** Connection settings (see `kafkaConfig`, `kafkaConfigFromEnv`). */
  config: KafkaConfig;
  /** Logger (default: warnings and errors on stderr). Secrets are never passed to it. */
  logger?: Logger;
  /** The `@platformatic/kafka` module to use instead of importing it (tests, bundlers). */
  module?: PlatformaticModule | Promise<PlatformaticModule>;
  /** Producer settings. */
  producer?: PlatformaticProducerOptions;
  /** Consumer settings. */
  consumer?: PlatformaticConsumerOptions;
}

/**
 * The runtime's {@link Transport} on @platformatic/kafka: idempotent producers with acks=all, and group members
 * (classic protocol) that hand batches to the delivery engine and commit only what it completed, in the assignment
 * it was completed in. Exactly-once groups use its transactional producers (`Producer.beginTransaction`; offsets
 * committed in the transaction with the member's generation) and read committed offsets with `requireStable`.
 */
export class PlatformaticTransport implements Transport, TransactionalTransport {
  private readonly logger: Logger;
  private readonly clientOptions: Record<string, unknown>;
  private readonly load: () => Promise<PlatformaticModule>;

  /** @param options connection settings, logger, producer and consumer settings. */
  constructor(private readonly options: PlatformaticTransportOptions) {
    this.logger = (options.logger ?? defaultLogger()).child({ component: 'kafka', client: 'platformatic' });
    this.clientOptions = toPlatformaticOptions(options.config);
    const given = options.module;
    this.load = given === undefined ? loadPlatformaticKafka : () => Promise.resolve(given);
    this.logger.debug('Kafka transport created', describeKafkaConfig(options.config));
  }

  /** Creates a producer. */
  producer(): PlatformaticTransportProducer {
    return new PlatformaticTransportProducer(this.load, this.clientOptions, this.options.producer ?? {}, this.logger);
  }

  /** Creates a member of consumer group `groupId`. */
  consumer(options: { groupId: string }): PlatformaticTransportConsumer {
    return new PlatformaticTransportConsumer(this.load, this.clientOptions, options.groupId, this.options.consumer ?? {}, this.logger.child({ groupId: options.groupId }));
  }

  /** Creates a transactional producer (exactly-once groups). */
  transactionalProducer(transactionalId: string): PlatformaticTransactionalProducer {
    return new PlatformaticTransactionalProducer(this.load, this.clientOptions, transactionalId, this.logger.child({ transactionalId }));
  }

  /** The group's committed offsets of the partitions (short-lived admin client). */
  async committedOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<Array<TopicPartition & { offset: string | undefined }>> {
    return fetchPlatformaticCommittedOffsets(await this.load(), this.clientOptions, groupId, partitions);
  }

  /** An admin connection reading committed and end offsets (for the consumer's lag sampler). */
  offsetReader(): PlatformaticOffsetReader {
    return new PlatformaticOffsetReader(this.load, this.clientOptions);
  }
}

/** {@link OffsetReader} on one @platformatic/kafka `Admin`, created on first use and kept until `close()`. */
export class PlatformaticOffsetReader implements OffsetReader {
  private admin: Promise<PltAdmin> | undefined;
  private closed = false;

  constructor(
    private readonly load: () => Promise<PlatformaticModule>,
    private readonly clientOptions: Record<string, unknown>,
  ) {}

  /** Offsets of the topics that exist (missing ones are left out). */
  async topicOffsets(topics: readonly string[]): Promise<PartitionOffsets[]> {
    const admin = await this.client();
    const counts = await this.partitionCounts(admin, topics);
    if (counts.size === 0) return [];
    const request = (timestamp: bigint) => ({
      topics: [...counts].map(([name, count]) => ({ name, partitions: Array.from({ length: count }, (_, partitionIndex) => ({ partitionIndex, timestamp })) })),
    });
    const [earliest, latest] = await Promise.all([admin.listOffsets(request(-2n)), admin.listOffsets(request(-1n))]);
    const start = new Map<string, bigint>();
    for (const t of earliest) for (const p of t.partitions) start.set(`${t.name}\u0000${p.partitionIndex}`, p.offset);
    return latest.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, start: (start.get(`${t.name}\u0000${p.partitionIndex}`) ?? 0n).toString(), end: p.offset.toString() })),
    );
  }

  /** The group's committed offsets of every partition of the topics that exist. */
  async groupOffsets(groupId: string, topics: readonly string[]): Promise<Array<TopicPartition & { offset: string | undefined }>> {
    const admin = await this.client();
    const counts = await this.partitionCounts(admin, topics);
    if (counts.size === 0) return [];
    const [group] = await admin.listConsumerGroupOffsets({
      groups: [{ groupId, topics: [...counts].map(([name, count]) => ({ name, partitionIndexes: Array.from({ length: count }, (_, i) => i) })) }],
    });
    return (group?.topics ?? []).flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset < 0n ? undefined : p.committedOffset.toString() })),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    const admin = await this.admin?.catch(() => undefined);
    this.admin = undefined;
    await admin?.close().catch(() => undefined);
  }

  private async partitionCounts(admin: PltAdmin, topics: readonly string[]): Promise<Map<string, number>> {
    const existing = new Set(await admin.listTopics());
    const wanted = [...new Set(topics)].filter((t) => existing.has(t));
    if (wanted.length === 0) return new Map();
    const metadata = await admin.metadata({ topics: wanted, forceUpdate: true });
    return new Map(wanted.flatMap((t) => {
      const count = metadata.topics.get(t)?.partitionsCount;
      return count === undefined ? [] : [[t, count] as [string, number]];
    }));
  }

  private async client(): Promise<PltAdmin> {
    if (this.closed) throw new Error('Offset reader closed');
    const creating = (this.admin ??= this.load().then((module) => new module.Admin({ ...this.clientOptions })));
    try {
      return await creating;
    } catch (error) {
      if (this.admin === creating) this.admin = undefined;
      throw error;
    }
  }
}

/** A {@link PlatformaticTransport} configured from the environment (`kafkaConfigFromEnv`), with optional overrides. */
export function createPlatformaticTransport(options: Partial<PlatformaticTransportOptions> = {}): PlatformaticTransport {
  return new PlatformaticTransport({ ...options, config: options.config ?? kafkaConfigFromEnv() });
}
