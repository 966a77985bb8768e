import { copyHeaders } from './headers.js';
import { messageBytes } from './dead-letter.js';
import { MemoryConsumer } from './memory-consumer.js';
import { partitionForKey } from './partitioner.js';
import {
  RebalanceInProgressError,
  SendError,
  StaleEpochError,
  tpKey,
  type ConsumedRecord,
  type OffsetCommit,
  type RecordBatch,
  type RecordMetadata,
  type TopicMessages,
  type TopicPartition,
  type Transport,
  type TransportConsumer,
  type TransportProducer,
} from './transport.js';

/** Options of {@link InMemoryTransport}. */
export interface InMemoryTransportOptions {
  /** Partitions of an auto-created topic (default 1, like a broker's `num.partitions`). */
  defaultPartitions?: number;
  /** Partition counts per topic name (pass the generated `TOPIC_PARTITIONS` to mirror the catalog). */
  partitions?: Record<string, number>;
  /** Wait before fetching a partition again after a batch that made no progress (default 50 ms). */
  redeliveryDelayMs?: number;
  /** Most records per delivered batch (default 100). */
  maxBatchSize?: number;
  /** Largest record accepted, in bytes (default 1 MiB, Kafka's `max.message.bytes`): larger sends fail with `MESSAGE_TOO_LARGE`. */
  maxMessageBytes?: number;
  /** How long a rebalance waits for members to finish their current batch (default 5000 ms). */
  rebalanceTimeoutMs?: number;
}

interface GroupState {
  /** Committed offset (next to consume) per partition. */
  committed: Map<string, number>;
  /** Fetch position per partition (reset to the committed offset on every rebalance). */
  position: Map<string, number>;
  /** Partitions with a batch in flight. */
  inFlight: Map<string, Promise<void>>;
  /** Partitions waiting before the next fetch after a batch without progress. */
  blocked: Set<string>;
  members: MemoryConsumer[];
  /** Owner of each partition in the current epoch. */
  owners: Map<string, MemoryConsumer>;
  epoch: number;
  rebalancing: Promise<void> | undefined;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A broker in memory with Kafka's semantics: keyed partitioning (murmur2, as kafkajs), consumer groups whose members
 * share the partitions (reassigned on every join and leave, with epochs: a member that lost a partition cannot
 * commit it), committed offsets per group, batches of one partition at a time in offset order, fetch positions
 * that restart at the committed offset after a rebalance, `max.message.bytes`. Delivery is asynchronous, like a
 * real broker. Also a test kit: {@link records}, {@link committedOffset}, {@link drain}, {@link waitForIdle}.
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

  /** @param options partition counts, batch size and limits. */
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
        if (!connected) throw new SendError('The producer is disconnected', 'OTHER');
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

  /** Resolves when no batch is in flight and nothing can be delivered right now (caught up, paused or waiting). */
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
      if (Date.now() > deadline) throw new Error(`drain() timed out; lagging: ${lagging.join(', ') || '(batches in flight)'}`);
    }
  }

  /** @internal Appends records; returns metadata in input order. */
  append(batch: readonly TopicMessages[]): RecordMetadata[] {
    const max = this.options.maxMessageBytes ?? 1_048_576;
    for (const { topic, messages } of batch) {
      for (const message of messages) {
        if (messageBytes(message) > max) throw new SendError(`A record for '${topic}' is larger than max.message.bytes (${max})`, 'MESSAGE_TOO_LARGE');
      }
    }
    const out: RecordMetadata[] = [];
    for (const { topic, messages } of batch) {
      const partitions = this.partitionsOf(topic);
      for (const message of messages) {
        const partition = message.partition ?? this.choosePartition(topic, message.key, partitions.length);
        const log = partitions[partition];
        if (log === undefined) throw new SendError(`Topic '${topic}' has no partition ${partition}`, 'UNKNOWN_TOPIC');
        const record: ConsumedRecord = {
          topic,
          partition,
          offset: String(log.length),
          key: toBuffer(message.key),
          value: toBuffer(message.value),
          headers: copyHeaders(message.headers ?? {}),
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

  /** @internal Adds a running member to its group (a rebalance). */
  async join(member: MemoryConsumer): Promise<void> {
    const group = this.group(member.groupId);
    if (!group.members.includes(member)) group.members.push(member);
    await this.rebalance(group);
  }

  /** @internal Removes a member; its partitions move to the remaining members. */
  async leave(member: MemoryConsumer): Promise<void> {
    const group = this.groups.get(member.groupId);
    if (group === undefined || !group.members.includes(member)) return;
    group.members = group.members.filter((m) => m !== member);
    await this.rebalance(group);
  }

  /** @internal Commits a member's offsets; offsets of an ended epoch or a partition it does not own are refused. */
  commit(member: MemoryConsumer, offsets: readonly OffsetCommit[]): void {
    const group = this.group(member.groupId);
    const stale: OffsetCommit[] = [];
    for (const o of offsets) {
      const key = tpKey(o.topic, o.partition);
      if (o.epoch !== group.epoch || group.owners.get(key) !== member) stale.push(o);
      else group.committed.set(key, Number(o.offset));
    }
    if (stale.length > 0) throw new StaleEpochError(stale);
  }

  /** @internal Runs a delivery pass soon (asynchronously, like a broker fetch). */
  schedule(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      for (const delivery of [...this.deliveries()]) this.deliver(delivery.group, delivery.member, delivery.tp, delivery.topic, delivery.partition);
    });
  }

  private async rebalance(group: GroupState): Promise<void> {
    while (group.rebalancing !== undefined) await group.rebalancing;
    const run = async (): Promise<void> => {
      // Members finish their current batch (bounded), commit what they completed, then partitions move.
      const inFlight = [...group.inFlight.values()];
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, this.options.rebalanceTimeoutMs ?? 5_000).unref?.());
      await Promise.race([Promise.allSettled(inFlight), timeout]);
      const previous = group.epoch;
      await Promise.allSettled([...new Set(group.owners.values())].map((m) => m.listener?.onRevoking?.(previous)));
      group.epoch += 1;
      group.owners.clear();
      group.position.clear();
      const members = group.members.filter((m) => m.running);
      const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
      const assigned = new Map<MemoryConsumer, TopicPartition[]>(members.map((m) => [m, []]));
      for (const topic of topics) {
        const subscribers = members.filter((m) => m.topics.includes(topic));
        this.partitionsOf(topic).forEach((log, partition) => {
          const member = subscribers[partition % subscribers.length];
          if (member === undefined) return;
          const key = tpKey(topic, partition);
          group.owners.set(key, member);
          assigned.get(member)?.push({ topic, partition });
          if (!group.committed.has(key)) group.position.set(key, member.fromBeginning ? 0 : log.length);
        });
      }
      for (const [member, partitions] of assigned) {
        member.epoch = group.epoch;
        member.listener?.onAssigned?.(group.epoch, partitions);
      }
    };
    group.rebalancing = run().finally(() => {
      group.rebalancing = undefined;
      this.schedule();
    });
    await group.rebalancing;
  }

  private deliver(group: GroupState, member: MemoryConsumer, tp: string, topic: string, partition: number): void {
    const listener = member.listener;
    if (listener === undefined) return;
    const start = group.position.get(tp) ?? group.committed.get(tp) ?? 0;
    const log = this.partitionsOf(topic)[partition] ?? [];
    const records = log.slice(start, start + (this.options.maxBatchSize ?? 100));
    const epoch = group.epoch;
    let advanced = -1;
    const current = (): boolean => group.epoch === epoch && group.owners.get(tp) === member && member.running;
    const batch: RecordBatch = {
      topic,
      partition,
      records,
      epoch,
      highWatermark: String(log.length),
      heartbeat: async () => {
        this.heartbeats += 1;
        if (!current()) throw new RebalanceInProgressError('The group is rebalancing');
      },
      advance: (offset) => {
        advanced = Math.max(advanced, Number(offset));
      },
      isCurrent: current,
    };
    const work = Promise.resolve()
      .then(() => listener.onBatch(batch))
      .catch(() => undefined)
      .then(() => {
        if (!current()) return;
        if (advanced >= start) group.position.set(tp, advanced + 1);
        else {
          group.blocked.add(tp);
          setTimeout(() => {
            group.blocked.delete(tp);
            this.schedule();
          }, this.options.redeliveryDelayMs ?? 50);
        }
      })
      .finally(() => {
        group.inFlight.delete(tp);
        this.schedule();
      });
    group.inFlight.set(tp, work);
  }

  /** Deliverable partitions: owned by a running member, not paused, nothing in flight, records available. */
  private *deliveries(): Generator<{ group: GroupState; member: MemoryConsumer; tp: string; topic: string; partition: number }> {
    for (const group of this.groups.values()) {
      if (group.rebalancing !== undefined) continue;
      for (const [tp, member] of group.owners) {
        if (!member.running || group.inFlight.has(tp) || group.blocked.has(tp)) continue;
        const [topic = '', p = '0'] = tp.split('\u0000');
        const partition = Number(p);
        if (member.isPaused(topic, partition)) continue;
        const position = group.position.get(tp) ?? group.committed.get(tp) ?? 0;
        if ((this.partitionsOf(topic)[partition]?.length ?? 0) > position) yield { group, member, tp, topic, partition };
      }
    }
  }

  private busy(): boolean {
    for (const group of this.groups.values()) if (group.inFlight.size > 0 || group.rebalancing !== undefined) return true;
    return false;
  }

  private lagging(): string[] {
    const out: string[] = [];
    for (const [groupId, group] of this.groups) {
      const topics = new Set(group.members.filter((m) => m.running).flatMap((m) => m.topics));
      for (const topic of topics) {
        this.partitionsOf(topic).forEach((log, partition) => {
          const key = tpKey(topic, partition);
          const committed = group.committed.get(key) ?? group.position.get(key) ?? 0;
          if (committed < log.length) out.push(`${groupId} ${topic}[${partition}] ${committed}/${log.length}`);
        });
      }
    }
    return out;
  }

  private group(groupId: string): GroupState {
    let group = this.groups.get(groupId);
    if (group === undefined) {
      group = { committed: new Map(), position: new Map(), inFlight: new Map(), blocked: new Set(), members: [], owners: new Map(), epoch: 0, rebalancing: undefined };
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

// Buffers are kept as given (like a broker, the transport never mutates them; producers build fresh ones).
function toBuffer(value: string | Buffer | null): Buffer | null {
  if (value === null) return null;
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}
