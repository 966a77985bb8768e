import type { InMemoryTransport } from './memory-transport.js';
import {
  tpKey,
  type CommitPolicy,
  type DeliveryListener,
  type OffsetCommit,
  type TopicPartition,
  type TopicPartitions,
  type TransportConsumer,
} from './transport.js';

/** One member of a consumer group on an {@link InMemoryTransport}. */
export class MemoryConsumer implements TransportConsumer {
  /** Commits are free in memory: commit at the end of every batch. */
  readonly commitPolicy: CommitPolicy = Object.freeze({ batchSize: Number.MAX_SAFE_INTEGER, intervalMs: 0 });
  /** Subscribed topics. */
  topics: string[] = [];
  /** True between run() and stop(). */
  running = false;
  /** Where partitions without a committed offset start. */
  fromBeginning = true;
  /** The delivery listener while running. */
  listener: DeliveryListener | undefined;
  /** The epoch this member last joined. */
  epoch = -1;
  private readonly paused = new Set<string>();
  private readonly crashListeners: Array<(error: unknown) => void> = [];

  constructor(
    private readonly transport: InMemoryTransport,
    readonly groupId: string,
    readonly seq: number,
  ) {}

  async connect(): Promise<void> {}

  async subscribe(options: { topics: readonly string[]; fromBeginning?: boolean }): Promise<void> {
    this.topics = [...new Set([...this.topics, ...options.topics])];
    this.fromBeginning = options.fromBeginning ?? true;
    for (const topic of options.topics) this.transport.partitionCount(topic);
  }

  async run(listener: DeliveryListener): Promise<void> {
    this.listener = listener;
    this.running = true;
    await this.transport.join(this);
  }

  async commit(offsets: readonly OffsetCommit[]): Promise<void> {
    this.transport.commit(this, offsets);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.transport.leave(this);
    this.listener = undefined;
  }

  async disconnect(): Promise<void> {
    await this.stop();
  }

  pause(topics: readonly TopicPartitions[]): void {
    for (const { topic, partitions } of topics) for (const p of partitions ?? ['*']) this.paused.add(`${topic}\u0000${p}`);
  }

  resume(topics: readonly TopicPartitions[]): void {
    for (const { topic, partitions } of topics) {
      if (partitions === undefined) {
        for (const key of [...this.paused]) if (key.startsWith(`${topic}\u0000`)) this.paused.delete(key);
      } else for (const p of partitions) this.paused.delete(`${topic}\u0000${p}`);
    }
    this.transport.schedule();
  }

  onCrash(listener: (error: unknown) => void): void {
    this.crashListeners.push(listener);
  }

  async uncommittedPartitions(partitions: readonly TopicPartition[]): Promise<TopicPartition[]> {
    return partitions.filter((p) => this.transport.committedOffset(this.groupId, p.topic, p.partition) === undefined);
  }

  /** True when the partition (or its whole topic) is paused. */
  isPaused(topic: string, partition: number): boolean {
    return this.paused.has(tpKey(topic, partition)) || this.paused.has(`${topic}\u0000*`);
  }
}
