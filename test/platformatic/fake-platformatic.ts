/**
 * A scripted fake of the parts of @platformatic/kafka the platformatic transport uses: one broker (node 1), topics
 * with in-memory logs, a consumer group of one member whose joins/rebalances the test triggers, and fetches that can
 * be held in flight. Enough to pin the adapter's own logic (positions, pause/seek-back, epochs, stale commits, error
 * mapping); the guarantees on a real broker are the integration suite's (`integration-platformatic`).
 */
import { EventEmitter } from 'node:events';
import type {
  PlatformaticModule,
  PltAdmin,
  PltClusterMetadata,
  PltConnectionPool,
  PltConsumer,
  PltFetchResponse,
  PltFetchTopic,
  PltJoinPayload,
  PltMessageToProduce,
  PltProducer,
} from '../../templates/runtime/platformatic-client.js';

export interface FakeRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[Buffer | null, Buffer | null]>;
}

/** A protocol error the way the client reports one (`findBy('apiId', id)`). */
export function protocolError(apiId: string, extra: Record<string, unknown> = {}): Error {
  const error = new Error(`fake protocol error ${apiId}`) as Error & Record<string, unknown>;
  Object.assign(error, { apiId, ...extra, findBy: (property: string, value: unknown) => (property === 'apiId' && value === apiId ? error : null) });
  return error;
}

export class FakePlatformatic {
  readonly logs = new Map<string, FakeRecord[][]>();
  readonly committed = new Map<string, bigint>();
  readonly commits: Array<{ generation: number; offsets: Array<{ topic: string; partition: number; offset: bigint }> }> = [];
  readonly fetches: Array<{ topics: Array<{ topic: string; partition: number; offset: bigint }> }> = [];
  readonly consumers: FakeConsumer[] = [];
  readonly producers: FakeProducer[] = [];
  /** When set, fetches wait for this promise before answering (a fetch held in flight). */
  hold: Promise<void> | undefined;
  /** The next this many joinGroup calls fail (a coordinator that does not answer). */
  joinFailures = 0;
  /** Next produce requests fail with these errors, in order. */
  readonly produceFailures: Error[] = [];

  topic(name: string, partitions: number): void {
    this.logs.set(name, Array.from({ length: partitions }, () => []));
  }

  append(topic: string, partition: number, count: number): void {
    const log = this.logs.get(topic)?.[partition];
    if (log === undefined) throw new Error(`no ${topic}/${partition}`);
    for (let i = 0; i < count; i++) log.push({ key: Buffer.from(`k${log.length}`), value: Buffer.from(`v${log.length}`), headers: [] });
  }

  metadata(topics: string[]): PltClusterMetadata {
    const map: PltClusterMetadata['topics'] = new Map();
    for (const t of topics) {
      const log = this.logs.get(t);
      if (log === undefined) continue;
      map.set(t, { id: `id-${t}`, partitionsCount: log.length, partitions: log.map(() => ({ leader: 1, leaderEpoch: 0 })) });
    }
    return { brokers: new Map([[1, {}]]), topics: map };
  }

  get module(): PlatformaticModule {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const fake = this;
    return {
      Consumer: class {
        constructor(options: Record<string, unknown>) {
          const c = new FakeConsumer(fake, options);
          fake.consumers.push(c);
          return c as unknown as object;
        }
      } as unknown as PlatformaticModule['Consumer'],
      Producer: class {
        constructor(options: Record<string, unknown>) {
          const p = new FakeProducer(fake, options);
          fake.producers.push(p);
          return p as unknown as object;
        }
      } as unknown as PlatformaticModule['Producer'],
      Admin: class {} as unknown as new () => PltAdmin,
      ConnectionPool: class {
        async close(): Promise<void> {}
      } as unknown as new () => PltConnectionPool,
    };
  }
}

export class FakeConsumer extends EventEmitter implements Omit<PltConsumer, 'on'> {
  generationId = 0;
  memberId: string | null = null;
  tracked = new Set<string>();
  readonly topics = { track: (t: string) => (this.tracked.has(t) ? false : (this.tracked.add(t), true)) };
  assignment: Array<{ topic: string; partitions: number[] }> = [];

  constructor(
    private readonly fake: FakePlatformatic,
    readonly options: Record<string, unknown>,
  ) {
    super();
  }

  /** The coordinator's answer to a (re)join: a new generation with `assignment` (default: every partition of the tracked topics). */
  rejoin(assignment?: Array<{ topic: string; partitions: number[] }>): void {
    this.generationId += 1;
    this.assignment = assignment ?? [...this.tracked].map((topic) => ({ topic, partitions: (this.fake.logs.get(topic) ?? []).map((_, i) => i) }));
    const payload: PltJoinPayload = { groupId: String(this.options['groupId']), memberId: 'm1', generationId: this.generationId, assignments: this.assignment };
    this.emit('consumer:group:join', payload);
  }

  async joinGroup(): Promise<string> {
    if (this.fake.joinFailures > 0) {
      this.fake.joinFailures -= 1;
      throw new Error('fake: coordinator not available');
    }
    this.memberId = 'm1';
    this.rejoin();
    return 'm1';
  }

  async leaveGroup(): Promise<void> {
    this.memberId = null;
  }

  async close(): Promise<void> {}
  clearMetadata(): void {}

  async metadata(options: { topics: string[] }): Promise<PltClusterMetadata> {
    return this.fake.metadata(options.topics);
  }

  async fetch(options: { node: number; topics: PltFetchTopic[] }): Promise<PltFetchResponse> {
    const asked = options.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topicId.slice(3), partition: p.partition, offset: p.fetchOffset })));
    this.fake.fetches.push({ topics: asked });
    if (this.fake.hold !== undefined) await this.fake.hold;
    else await new Promise((r) => setTimeout(r, 5));
    return {
      responses: options.topics.map((t) => ({
        topicId: t.topicId,
        partitions: t.partitions.map((p) => {
          const log = this.fake.logs.get(t.topicId.slice(3))?.[p.partition] ?? [];
          const from = Number(p.fetchOffset);
          const records = log.slice(from, from + 50);
          return {
            partitionIndex: p.partition,
            errorCode: from > log.length ? 1 : 0,
            highWatermark: BigInt(log.length),
            logStartOffset: 0n,
            records:
              records.length === 0
                ? []
                : [{ firstOffset: BigInt(from), firstTimestamp: 1_700_000_000_000n, lastOffsetDelta: records.length - 1, attributes: 0, records: records.map((r, i) => ({ ...r, attributes: 0, timestampDelta: BigInt(i), offsetDelta: i })) }],
          };
        }),
      })),
    };
  }

  async commit(options: { offsets: Array<{ topic: string; partition: number; offset: bigint }> }): Promise<void> {
    this.fake.commits.push({ generation: this.generationId, offsets: options.offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })) });
    for (const o of options.offsets) this.fake.committed.set(`${o.topic}:${o.partition}`, o.offset);
  }

  async listCommittedOffsets(options: { topics: Array<{ topic: string; partitions: number[] }> }): Promise<Map<string, bigint[]>> {
    const out = new Map<string, bigint[]>();
    for (const t of options.topics) {
      const list: bigint[] = [];
      for (const p of t.partitions) list[p] = this.fake.committed.get(`${t.topic}:${p}`) ?? -1n;
      out.set(t.topic, list);
    }
    return out;
  }

  async listOffsets(options: { topics: string[]; timestamp?: bigint }): Promise<Map<string, bigint[]>> {
    return new Map(options.topics.map((t) => [t, (this.fake.logs.get(t) ?? []).map((log) => (options.timestamp === -2n ? 0n : BigInt(log.length)))]));
  }
}

export class FakeProducer implements PltProducer {
  readonly sent: PltMessageToProduce[][] = [];
  closed = false;

  constructor(
    private readonly fake: FakePlatformatic,
    readonly options: Record<string, unknown>,
  ) {}

  async metadata(options: { topics: string[] }): Promise<PltClusterMetadata> {
    const m = this.fake.metadata(options.topics);
    if (m.topics.size === 0) throw protocolError('UNKNOWN_TOPIC_OR_PARTITION');
    return m;
  }

  clearMetadata(): void {}

  async close(): Promise<void> {
    this.closed = true;
  }

  async send(options: { messages: PltMessageToProduce[] }): Promise<{ offsets?: Array<{ topic: string; partition: number; offset: bigint }> }> {
    await new Promise((r) => setTimeout(r, 2));
    const failure = this.fake.produceFailures.shift();
    if (failure !== undefined) throw failure;
    this.sent.push(options.messages);
    const base = new Map<string, bigint>();
    for (const m of options.messages) {
      const log = this.fake.logs.get(m.topic)?.[m.partition];
      if (log === undefined) throw protocolError('UNKNOWN_TOPIC_OR_PARTITION');
      const key = `${m.topic}\u0000${m.partition}`;
      if (!base.has(key)) base.set(key, BigInt(log.length));
      const headers: Array<[Buffer | null, Buffer | null]> = [...(m.headers ?? new Map<Buffer, Buffer>())].map(([k, v]) => [k, v ?? null]);
      log.push({ key: m.key ?? null, value: m.value ?? null, headers });
    }
    return { offsets: [...base].map(([key, offset]) => ({ topic: key.split('\u0000')[0] as string, partition: Number(key.split('\u0000')[1]), offset })) };
  }
}
