import { partitionForKey } from './partitioner.js';
import { MemoryConsumer, tpKey } from './memory-consumer.js';
import type { ConsumedRecord, RecordMetadata, TopicMessages, Transport, TransportConsumer, TransportProducer } from './transport.js';

/** Options of {@link InMemoryTransport}. */
export interface InMemoryTransportOptions {
  /** Partitions of an auto-created topic (default 1, like a broker's `num.partitions`). */
  defaultPartitions?: number;
  /** Partition counts per topic name. */
  partitions?: Record<string, number>;
  /** Wait before redelivering a record whose handler rejected (default 50 ms). */
  redeliveryDelayMs?: number;
}

interface GroupState {
  /** Next offset to deliver per `topic\u0000partition` (Kafka's committed offset). */
  committed: Map<string, number>;
  inFlight: Set<string>;
  /** Partitions waiting for redelivery after a rejection (cleared by the redelivery timer). */
  blocked: Set<string>;
  members: MemoryConsumer[];
}

interface Delivery {
  group: GroupState;
  member: MemoryConsumer;
  tp: string;
  record: ConsumedRecord;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A broker in memory with Kafka's semantics: keyed partitioning (murmur2, as kafkajs), per-group committed offsets
 * shared by the group's members, one in-flight record per partition in offset order, redelivery of a record whose
 * handler rejected. Delivery is asynchronous, like a real broker. Also a test kit: {@link records},
 * {@link committedOffset}, {@link drain}, {@link waitForIdle}.
 */
export class InMemoryTransport implements Transport {
  private readonly logs = new Map<string, ConsumedRecord[][]>();
  private readonly appendOrder = new Map<string, ConsumedRecord[]>();
  private readonly groups = new Map<string, GroupState>();
  private readonly roundRobin = new Map<string, number>();
  /** Heartbeats received from consumers (lets tests check that long waits keep the member alive). */
  heartbeats = 0;
  private pumpScheduled = false;
  private memberSeq = 0;

  /** @param options partition counts and redelivery delay. */
  constructor(private readonly options: InMemoryTransportOptions = {}) {}

  /** Creates a topic (no-op when it exists); topics are also auto-created on first use. */
  createTopic(topic: string, partitions?: number): void {
    if (this.logs.has(topic)) return;
    const count = partitions ?? this.options.partitions?.[topic] ?? this.options.defaultPartitions ?? 1;
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`Invalid partition count ${count} for topic '${topic}'`);
    this.logs.set(topic, Array.from({ length: count }, () => []));
    this.appendOrder.set(topic, []);
  }

  /** Number of partitions of a topic (auto-creating it). */
  partitionCount(topic: string): number {
    return this.partitionsOf(topic).length;
  }

  /** Creates a producer (must be connected before sending, as with kafkajs). */
  producer(): TransportProducer {
    let connected = false;
    return {
      connect: async () => {
        connected = true;
      },
      disconnect: async () => {
        connected = false;
      },
      send: async (batch) => {
        if (!connected) throw new Error('The producer is disconnected');
        return this.append(batch);
      },
    };
  }

  /** Creates a member of consumer group `groupId`. */
  consumer(options: { groupId: string }): TransportConsumer {
    return new MemoryConsumer(this, options.groupId, this.memberSeq++);
  }

  /** All records of a topic in append order (across partitions). */
  records(topic: string): ConsumedRecord[] {
    return [...(this.appendOrder.get(topic) ?? [])];
  }

  /** The group's committed offset (next offset to consume) of a partition, or undefined when none. */
  committedOffset(groupId: string, topic: string, partition: number): string | undefined {
    const offset = this.groups.get(groupId)?.committed.get(tpKey(topic, partition));
    return offset === undefined ? undefined : String(offset);
  }

  /** Offset the next record of a partition will get. */
  endOffset(topic: string, partition: number): string {
    return String(this.partitionsOf(topic)[partition]?.length ?? 0);
  }

  /**
   * Resolves when no handler is running and nothing can be delivered right now (every running subscription is
   * caught up, paused, or waiting to redeliver a failed record).
   */
  async waitForIdle(): Promise<void> {
    for (;;) {
      await tick();
      if (this.pumpScheduled || this.busy() || !this.deliveries().next().done) continue;
      await tick(); // let settled handlers schedule follow-up work before declaring idle
      if (!this.pumpScheduled && !this.busy() && this.deliveries().next().done) return;
    }
  }

  /**
   * Resolves when every running consumer group has committed every record of its subscribed topics.
   * @throws Error listing the lagging partitions after `timeoutMs` (default 5000).
   */
  async drain(options: { timeoutMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? 5000);
    for (;;) {
      await tick();
      const lagging = this.lagging();
      if (lagging.length === 0 && !this.busy()) return;
      if (Date.now() > deadline) throw new Error(`drain() timed out; lagging: ${lagging.join(', ') || '(handlers in flight)'}`);
    }
  }

  /** @internal Appends records; returns metadata in input order. */
  append(batch: readonly TopicMessages[]): RecordMetadata[] {
    const out: RecordMetadata[] = [];
    for (const { topic, messages } of batch) {
      const partitions = this.partitionsOf(topic);
      for (const message of messages) {
        const partition = message.partition ?? this.choosePartition(topic, message.key, partitions.length);
        const log = partitions[partition];
        if (log === undefined) throw new RangeError(`Topic '${topic}' has no partition ${partition}`);
        const record: ConsumedRecord = {
          topic,
          partition,
          offset: String(log.length),
          key: toBuffer(message.key),
          value: toBuffer(message.value),
          headers: { ...message.headers },
          timestamp: String(Date.now()),
        };
        log.push(record);
        this.appendOrder.get(topic)?.push(record);
        out.push({ topic, partition, offset: record.offset });
      }
    }
    this.schedule();
    return out;
  }

  /** @internal Registers a member's subscription; a new group starts at the end unless `fromBeginning`. */
  subscribe(member: MemoryConsumer, topics: readonly string[], fromBeginning: boolean): void {
    const group = this.group(member.groupId);
    for (const topic of topics) {
      this.partitionsOf(topic).forEach((log, partition) => {
        const key = tpKey(topic, partition);
        if (!fromBeginning && !group.committed.has(key)) group.committed.set(key, log.length);
      });
    }
  }

  /** @internal Adds a running member to its group. */
  join(member: MemoryConsumer): void {
    const group = this.group(member.groupId);
    if (!group.members.includes(member)) group.members.push(member);
    this.schedule();
  }

  /** @internal Removes a member; its partitions move to the remaining members. */
  leave(member: MemoryConsumer): void {
    const group = this.groups.get(member.groupId);
    if (group !== undefined) group.members = group.members.filter((m) => m !== member);
    this.schedule();
  }

  /** @internal Runs a delivery pass soon (asynchronously, like a broker fetch). */
  schedule(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      for (const delivery of [...this.deliveries()]) this.deliver(delivery);
    });
  }

  private deliver({ group, member, tp, record }: Delivery): void {
    group.inFlight.add(tp);
    const delivery = member
      .handle(record)
      .then(
        () => {
          // Commit only after the handler resolved; never move backwards.
          const next = Number(record.offset) + 1;
          if ((group.committed.get(tp) ?? 0) < next) group.committed.set(tp, next);
        },
        () => {
          const delay = this.options.redeliveryDelayMs ?? 50;
          group.blocked.add(tp);
          setTimeout(() => {
            group.blocked.delete(tp);
            this.schedule();
          }, delay);
        },
      )
      .finally(() => {
        group.inFlight.delete(tp);
        this.schedule();
      });
    member.track(delivery);
  }

  /** Deliverable records: partitions assigned round-robin to running members, in join order. */
  private *deliveries(): Generator<Delivery> {
    for (const group of this.groups.values()) {
      const members = group.members.filter((m) => m.running);
      const topics = new Set(members.flatMap((m) => m.topics));
      for (const topic of topics) {
        const subscribers = members.filter((m) => m.topics.includes(topic));
        const partitions = this.partitionsOf(topic);
        for (let partition = 0; partition < partitions.length; partition++) {
          const member = subscribers[partition % subscribers.length];
          const tp = tpKey(topic, partition);
          if (member === undefined || group.inFlight.has(tp) || member.isPaused(topic, partition)) continue;
          if (group.blocked.has(tp)) continue;
          const record = partitions[partition]?.[group.committed.get(tp) ?? 0];
          if (record !== undefined) yield { group, member, tp, record };
        }
      }
    }
  }

  private busy(): boolean {
    for (const group of this.groups.values()) if (group.inFlight.size > 0) return true;
    return false;
  }

  private lagging(): string[] {
    const out: string[] = [];
    for (const [groupId, group] of this.groups) {
      const topics = new Set(group.members.filter((m) => m.running).flatMap((m) => m.topics));
      for (const topic of topics) {
        this.partitionsOf(topic).forEach((log, partition) => {
          const committed = group.committed.get(tpKey(topic, partition)) ?? 0;
          if (committed < log.length) out.push(`${groupId} ${topic}[${partition}] ${committed}/${log.length}`);
        });
      }
    }
    return out;
  }

  private group(groupId: string): GroupState {
    let group = this.groups.get(groupId);
    if (group === undefined) {
      group = { committed: new Map(), inFlight: new Set(), blocked: new Set(), members: [] };
      this.groups.set(groupId, group);
    }
    return group;
  }

  private partitionsOf(topic: string): ConsumedRecord[][] {
    this.createTopic(topic);
    return this.logs.get(topic) ?? [];
  }

  private choosePartition(topic: string, key: string | Buffer | null, count: number): number {
    if (key !== null) return partitionForKey(key, count);
    const next = this.roundRobin.get(topic) ?? 0;
    this.roundRobin.set(topic, next + 1);
    return next % count;
  }
}

function toBuffer(value: string | Buffer | null): Buffer | null {
  if (value === null) return null;
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
}
