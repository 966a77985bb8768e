import type { InMemoryTransport } from './memory-transport.js';
import type { ConsumedRecord, EachMessagePayload, TopicPartitions, TransportConsumer } from './transport.js';

type EachMessage = (payload: EachMessagePayload) => Promise<void>;

/** @internal Key of a topic-partition in the in-memory broker's maps. */
export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** One member of a consumer group on an {@link InMemoryTransport}. */
export class MemoryConsumer implements TransportConsumer {
  /** Subscribed topics. */
  topics: string[] = [];
  /** True between run() and stop(). */
  running = false;
  private eachMessage: EachMessage | undefined;
  private readonly paused = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly transport: InMemoryTransport,
    readonly groupId: string,
    readonly seq: number,
  ) {}

  async connect(): Promise<void> {}

  async subscribe(options: { topics: readonly string[]; fromBeginning?: boolean }): Promise<void> {
    this.topics = [...new Set([...this.topics, ...options.topics])];
    this.transport.subscribe(this, options.topics, options.fromBeginning ?? false);
  }

  async run(options: { eachMessage: EachMessage }): Promise<void> {
    this.eachMessage = options.eachMessage;
    this.running = true;
    this.transport.join(this);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.transport.leave(this);
    await Promise.allSettled([...this.inFlight]);
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

  /** True when the partition (or its whole topic) is paused. */
  isPaused(topic: string, partition: number): boolean {
    return this.paused.has(tpKey(topic, partition)) || this.paused.has(`${topic}\u0000*`);
  }

  /** Tracks a delivery (handler + commit) so stop() can wait for it. */
  track(delivery: Promise<void>): void {
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  /** Hands one record to `eachMessage`; the returned promise settles with it. */
  handle(record: ConsumedRecord): Promise<void> {
    const eachMessage = this.eachMessage;
    if (eachMessage === undefined) return Promise.reject(new Error('Consumer is not running'));
    let promise: Promise<void>;
    try {
      promise = eachMessage({
        record,
        heartbeat: async () => {
          this.transport.heartbeats += 1;
        },
        pause: () => {
          const tp = [{ topic: record.topic, partitions: [record.partition] }];
          this.pause(tp);
          return () => this.resume(tp);
        },
      });
    } catch (error) {
      promise = Promise.reject(error);
    }
    return promise;
  }
}

