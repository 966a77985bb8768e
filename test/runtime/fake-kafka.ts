/**
 * A scripted fake of the kafkajs client surface the runtime's Kafka transport uses: consumers whose joins, batches,
 * rebalances, heartbeat and commit failures and crashes a test drives step by step, producers whose sends a test
 * can fail, hang or inspect, and an admin for metadata and committed offsets. For unit-testing the delivery
 * engine's decisions; delivery guarantees are proven on a real broker (test/integration).
 */
import { EventEmitter } from 'node:events';
import type { KafkaClient } from '../../templates/runtime/index.js';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- mirrors kafkajs' loose shapes

export interface FakeMessage {
  offset: string;
  key?: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | null | Array<Buffer | string | null>>;
  timestamp?: string;
}

export interface BatchResult {
  /** Offsets resolved in kafkajs: the transport hands over the last one the engine advanced over, once per batch. */
  resolved: string[];
}

const EVENTS = {
  HEARTBEAT: 'consumer.heartbeat',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  GROUP_JOIN: 'consumer.group_join',
  FETCH: 'consumer.fetch',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  CRASH: 'consumer.crash',
  REBALANCING: 'consumer.rebalancing',
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics',
  REQUEST: 'consumer.network.request',
  REQUEST_TIMEOUT: 'consumer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size',
};

/** One scripted consumer group member. */
export class FakeConsumer {
  readonly events = EVENTS;
  readonly emitter = new EventEmitter();
  readonly calls: string[] = [];
  readonly commits: Array<Array<{ topic: string; partition: number; offset: string }>> = [];
  readonly pausedPartitions = new Set<string>();
  heartbeats = 0;
  /** Rejects the next N commits. */
  failCommits = 0;
  /** Set while a rebalance is in progress: heartbeats reject with it. */
  heartbeatError: Error | undefined;
  subscribed: { topics: string[]; fromBeginning: boolean } | undefined;
  runOptions: Any;
  /** Resolve to let run() return (the join finished). */
  private joined: (() => void) | undefined;
  /** When set, run() waits for {@link join} (a slow group join). */
  holdJoin = false;
  connectError: Error | undefined;

  constructor(readonly config: Any) {}

  on(event: string, listener: (e: Any) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  async connect(): Promise<void> {
    this.calls.push('connect');
    if (this.connectError !== undefined) throw this.connectError;
  }

  async subscribe(options: { topics: string[]; fromBeginning: boolean }): Promise<void> {
    this.calls.push('subscribe');
    this.subscribed = options;
  }

  async run(options: Any): Promise<void> {
    this.calls.push('run');
    this.runOptions = options;
    if (this.holdJoin) await new Promise<void>((resolve) => (this.joined = resolve));
  }

  /** Completes a join: a new generation with this assignment (GROUP_JOIN). */
  join(assignment: Record<string, number[]>): void {
    this.heartbeatError = undefined;
    this.emitter.emit(EVENTS.GROUP_JOIN, { type: EVENTS.GROUP_JOIN, payload: { memberAssignment: assignment } });
    this.joined?.();
    this.joined = undefined;
  }

  /** A rebalance starts: heartbeats fail from now on, and kafkajs would emit REBALANCING once it notices. */
  rebalance(emit = true): void {
    this.heartbeatError = Object.assign(new Error('The group is rebalancing, so a rejoin is needed'), { type: 'REBALANCE_IN_PROGRESS', name: 'KafkaJSProtocolError' });
    if (emit) this.emitter.emit(EVENTS.REBALANCING, { type: EVENTS.REBALANCING, payload: {} });
  }

  /** kafkajs crashed (restart: whether kafkajs restarts it by itself). */
  crash(error: Error, restart = false): void {
    this.emitter.emit(EVENTS.CRASH, { type: EVENTS.CRASH, payload: { error, restart, groupId: this.config.groupId } });
  }

  /** Hands one batch to eachBatch, as kafkajs' runner does, and reports what was resolved. */
  async deliver(topic: string, partition: number, messages: FakeMessage[]): Promise<BatchResult> {
    const resolved: string[] = [];
    const full = messages.map((m) => ({ key: null, headers: {}, timestamp: '1700000000000', attributes: 0, ...m }));
    await this.runOptions.eachBatch({
      batch: { topic, partition, highWatermark: String(Number(full[full.length - 1]?.offset ?? '0') + 1), messages: full, isEmpty: () => full.length === 0, firstOffset: () => full[0]?.offset, lastOffset: () => full[full.length - 1]?.offset },
      resolveOffset: (offset: string) => void resolved.push(offset),
      heartbeat: async () => {
        this.heartbeats += 1;
        if (this.heartbeatError !== undefined) throw this.heartbeatError;
      },
      commitOffsetsIfNecessary: async (offsets: { topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> }) => {
        if (this.failCommits > 0) {
          this.failCommits -= 1;
          throw Object.assign(new Error('The coordinator is not available'), { type: 'COORDINATOR_NOT_AVAILABLE' });
        }
        this.commits.push(offsets.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: String(p.offset) }))));
      },
      uncommittedOffsets: () => ({ topics: [] }),
      isRunning: () => true,
      isStale: () => false,
      pause: () => () => undefined,
    });
    return { resolved };
  }

  /** Every committed offset, flattened, as `topic[partition]=offset`. */
  committed(): string[] {
    return this.commits.flat().map((c) => `${c.topic}[${c.partition}]=${c.offset}`);
  }

  pause(tps: Array<{ topic: string; partitions?: number[] }>): void {
    for (const tp of tps) for (const p of tp.partitions ?? ['*']) this.pausedPartitions.add(`${tp.topic}[${p}]`);
    this.calls.push(`pause ${tps.map((t) => `${t.topic}[${(t.partitions ?? ['*']).join(',')}]`).join(' ')}`);
  }

  resume(tps: Array<{ topic: string; partitions?: number[] }>): void {
    for (const tp of tps) for (const p of tp.partitions ?? ['*']) this.pausedPartitions.delete(`${tp.topic}[${p}]`);
    this.calls.push(`resume ${tps.map((t) => `${t.topic}[${(t.partitions ?? ['*']).join(',')}]`).join(' ')}`);
  }

  paused(): Array<{ topic: string; partitions: number[] }> {
    return [];
  }

  async stop(): Promise<void> {
    this.calls.push('stop');
  }

  async disconnect(): Promise<void> {
    this.calls.push('disconnect');
    // kafkajs: a join in progress fails once the connections close, and run() returns.
    this.joined?.();
    this.joined = undefined;
  }
}

/** A scripted producer: sends succeed with increasing offsets unless `behaviour` says otherwise. */
export class FakeProducer {
  readonly sent: Array<{ topic: string; partition: number; message: Any }> = [];
  readonly calls: string[] = [];
  private readonly next = new Map<string, number>();
  /** Decides per send: return an error to reject with, 'hang' to never settle, or undefined to succeed. */
  behaviour: (topicMessages: Array<{ topic: string; messages: Any[] }>) => Error | 'hang' | undefined = () => undefined;
  /** Rejects the next N connects. */
  failConnects = 0;

  constructor(readonly config: Any) {}

  async connect(): Promise<void> {
    if (this.failConnects > 0) {
      this.failConnects -= 1;
      this.calls.push('connect failed');
      throw Object.assign(new Error('Connection error: connect ECONNREFUSED'), { name: 'KafkaJSConnectionError' });
    }
    this.calls.push('connect');
  }

  async disconnect(): Promise<void> {
    this.calls.push('disconnect');
  }

  async sendBatch({ topicMessages }: { topicMessages: Array<{ topic: string; messages: Any[] }> }): Promise<Any[]> {
    this.calls.push(`send ${topicMessages.map((t) => `${t.topic}:${t.messages.map((m: Any) => m.partition).join(',')}`).join(' ')}`);
    const verdict = this.behaviour(topicMessages);
    if (verdict === 'hang') return new Promise(() => {});
    if (verdict !== undefined) throw verdict;
    const out: Any[] = [];
    for (const { topic, messages } of topicMessages) {
      const byPartition = new Map<number, Any[]>();
      for (const m of messages) byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), m]);
      for (const [partition, list] of byPartition) {
        const key = `${topic}[${partition}]`;
        const base = this.next.get(key) ?? 0;
        this.next.set(key, base + list.length);
        for (const message of list) this.sent.push({ topic, partition, message });
        out.push({ topicName: topic, partition, errorCode: 0, baseOffset: String(base) });
      }
    }
    return out;
  }
}

/** The fake kafkajs client. */
export class FakeKafka {
  readonly consumers: FakeConsumer[] = [];
  readonly producers: FakeProducer[] = [];
  /** Partition counts the admin reports (unknown topics have none). */
  readonly topics = new Map<string, number>();
  /** Committed offsets the admin reports per `group topic partition` (missing = none, '-1'). */
  readonly committedOffsets = new Map<string, string>();
  /** End offset per `topic partition` for the lag sampler's fetchTopicOffsets (default 0; start offsets are 0). */
  readonly endOffsets = new Map<string, string>();
  /** Called before each new consumer is returned, to script it. */
  onConsumer: ((consumer: FakeConsumer) => void) | undefined;

  consumer(config: Any): FakeConsumer {
    const c = new FakeConsumer(config);
    this.onConsumer?.(c);
    this.consumers.push(c);
    return c;
  }

  producer(config: Any): FakeProducer {
    const p = new FakeProducer(config);
    this.producers.push(p);
    return p;
  }

  admin(): Any {
    return {
      connect: async () => undefined,
      disconnect: async () => undefined,
      fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
        const missing = topics.find((t) => !this.topics.has(t));
        if (missing !== undefined) throw Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' });
        return { topics: topics.map((name) => ({ name, partitions: Array.from({ length: this.topics.get(name) ?? 0 }, (_, partitionId) => ({ partitionId, leader: 0 })) })) };
      },
      listTopics: async () => [...this.topics.keys()],
      fetchTopicOffsets: async (topic: string) =>
        Array.from({ length: this.topics.get(topic) ?? 1 }, (_, partition) => {
          const high = this.endOffsets.get(`${topic} ${partition}`) ?? '0';
          return { partition, offset: high, high, low: '0' };
        }),
      fetchOffsets: async ({ groupId, topics }: { groupId: string; topics: string[] }) =>
        topics.map((topic) => ({
          topic,
          partitions: Array.from({ length: this.topics.get(topic) ?? 1 }, (_, partition) => ({ partition, offset: this.committedOffsets.get(`${groupId} ${topic} ${partition}`) ?? '-1' })),
        })),
    };
  }

  /** As the runtime's KafkaClient type. */
  get client(): KafkaClient {
    return this as unknown as KafkaClient;
  }
}
