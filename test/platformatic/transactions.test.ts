/**
 * Exactly-once groups on the platformatic transport (issue #18): the transactional producer's own logic against a
 * scripted fake of `Producer.beginTransaction()` / `Transaction` (call order, the group metadata sent with the
 * offsets, partitioning, abort and client replacement after failures, fencing), the committed-offset read, the
 * member's group metadata per epoch, and a whole exactly-once group on the fake client. The guarantees on a real
 * broker: test/integration/exactly-once.test.ts (project `integration-platformatic`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  EventProducer,
  ExactlyOnce,
  GroupConsumer,
  StaleEpochError,
  NonRetriableError,
  PlatformaticTransport,
  ProducerFencedError,
  TopicDelegator,
  createLogger,
  defineEvent,
  kafkaConfig,
  partitionForKey,
  route,
  supportsTransactions,
  type TransactionInput,
} from '../../templates/runtime/index.js';
import type { PlatformaticModule, PltAdmin, PltClusterMetadata, PltMessageToProduce, PltTransaction } from '../../templates/runtime/platformatic-client.js';
import { FakePlatformatic, protocolError, type FakeConsumer } from './fake-platformatic.js';

const quiet = createLogger({ level: 'error', write: () => undefined });
const config = kafkaConfig({ brokers: 'fake:9092', clientId: 't' });

type Call = [string, ...unknown[]];

/** Transactional producers of the fake: every call recorded; failures scripted per operation. */
class FakeTxnCluster {
  readonly producers: FakeTxnProducer[] = [];
  readonly calls: Call[] = [];
  /** Committed transactions: messages and offsets (`offset + 1` of addOffset, as TxnOffsetCommit). */
  readonly committed: Array<{ id: string; messages: PltMessageToProduce[]; offsets: Array<{ topic: string; partition: number; offset: bigint; consumer: unknown }> }> = [];
  readonly groupOffsets = new Map<string, bigint>();
  readonly failures = new Map<string, Error[]>();
  readonly listed: unknown[] = [];

  constructor(readonly base: FakePlatformatic) {}

  fail(operation: string, error: Error): void {
    this.failures.set(operation, [...(this.failures.get(operation) ?? []), error]);
  }

  check(operation: string): void {
    const error = this.failures.get(operation)?.shift();
    if (error !== undefined) throw error;
  }

  module(): PlatformaticModule {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const cluster = this;
    const base = this.base.module;
    return {
      ...base,
      Producer: class {
        constructor(options: Record<string, unknown>) {
          if (options['transactionalId'] === undefined) return new base.Producer(options) as unknown as object;
          const p = new FakeTxnProducer(cluster, options);
          cluster.producers.push(p);
          return p as unknown as object;
        }
      } as unknown as PlatformaticModule['Producer'],
      Admin: class {
        async findCoordinator(options: { keys: string[] }) {
          cluster.calls.push(['findCoordinator', options.keys]);
          return options.keys.map((key) => ({ key, nodeId: 7 }));
        }
        async listConsumerGroupOffsets(options: Parameters<PltAdmin['listConsumerGroupOffsets']>[0]) {
          cluster.listed.push(options);
          return options.groups.map((g) => ({
            groupId: g.groupId,
            topics: (g.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: cluster.groupOffsets.get(`${g.groupId}/${t.name}/${partitionIndex}`) ?? -1n })) })),
          }));
        }
        async close() {}
      } as unknown as PlatformaticModule['Admin'],
    };
  }
}

class FakeTxnProducer {
  closed = false;
  registered = false;
  active: FakeTxn | undefined;

  constructor(
    readonly cluster: FakeTxnCluster,
    readonly options: Record<string, unknown>,
  ) {}

  get id(): string {
    return String(this.options['transactionalId']);
  }

  async metadata(options: { topics: string[] }): Promise<PltClusterMetadata> {
    return this.cluster.base.metadata(options.topics);
  }

  clearMetadata(): void {}

  async close(): Promise<void> {
    this.closed = true;
  }

  async send(): Promise<never> {
    throw new Error('a transactional producer sends in transactions only');
  }

  async beginTransaction(): Promise<PltTransaction> {
    if (this.closed) throw new Error('closed');
    if (this.active !== undefined) throw new Error('There is already an active transaction.');
    if (!this.registered) {
      this.cluster.calls.push(['initProducerId', this.id, this.options['producerId'], this.options['producerEpoch']]);
      this.cluster.check('initProducerId');
      this.registered = true;
    }
    this.cluster.calls.push(['begin', this.id]);
    this.active = new FakeTxn(this);
    return this.active;
  }
}

class FakeTxn implements PltTransaction {
  completed = false;
  readonly messages: PltMessageToProduce[] = [];
  readonly offsets: Array<{ topic: string; partition: number; offset: bigint; consumer: unknown }> = [];
  private groups = new Set<string>();

  constructor(private readonly producer: FakeTxnProducer) {}

  private get cluster(): FakeTxnCluster {
    return this.producer.cluster;
  }

  async send(options: { messages: PltMessageToProduce[] }): Promise<{ offsets?: Array<{ topic: string; partition: number; offset: bigint }> }> {
    this.cluster.calls.push(['send', options.messages.length]);
    this.cluster.check('send');
    this.messages.push(...options.messages);
    return {};
  }

  async addConsumer(consumer: { groupId: string }): Promise<void> {
    this.cluster.calls.push(['addConsumer', consumer.groupId]);
    this.cluster.check('addConsumer');
    this.groups.add(consumer.groupId);
  }

  async addOffset(message: { topic: string; partition: number; offset: bigint; metadata: { consumer: { groupId: string } } }): Promise<void> {
    this.cluster.calls.push(['addOffset', message.topic, message.partition, message.offset, message.metadata.consumer]);
    if (!this.groups.has(message.metadata.consumer.groupId)) throw new Error('Cannot add an offset to a transaction when the consumer group of the message has not been added to the transaction.');
    this.cluster.check('addOffset');
    this.offsets.push({ topic: message.topic, partition: message.partition, offset: message.offset + 1n, consumer: message.metadata.consumer });
  }

  async commit(): Promise<void> {
    this.cluster.calls.push(['commit']);
    this.cluster.check('commit');
    this.completed = true;
    this.producer.active = undefined;
    this.cluster.committed.push({ id: this.producer.id, messages: this.messages, offsets: this.offsets });
    for (const o of this.offsets) this.cluster.groupOffsets.set(`${(o.consumer as { groupId: string }).groupId}/${o.topic}/${o.partition}`, o.offset);
    // Committed outputs become readable (the fake's logs are what the consumer side fetches).
    for (const m of this.messages) this.cluster.base.logs.get(m.topic)?.[m.partition]?.push({ key: m.key ?? null, value: m.value ?? null, headers: [] });
  }

  async abort(): Promise<void> {
    this.cluster.calls.push(['abort']);
    this.completed = true;
    this.producer.active = undefined;
  }

  async cancel(): Promise<void> {
    this.cluster.calls.push(['cancel']);
    this.producer.active = undefined;
  }
}

function setup(): { cluster: FakeTxnCluster; transport: PlatformaticTransport } {
  const base = new FakePlatformatic();
  base.topic('in', 2);
  base.topic('out', 3);
  base.topic('in.dlq', 1);
  const cluster = new FakeTxnCluster(base);
  return { cluster, transport: new PlatformaticTransport({ config, logger: quiet, module: cluster.module() }) };
}

const member = { groupId: 'g', generationId: 4, memberId: 'm-4', coordinatorId: 1 };
const input = (over: Partial<TransactionInput> = {}): TransactionInput => ({
  messages: [{ topic: 'out', messages: [{ key: 'a', value: 'v1' }, { key: null, value: 'v2', partition: 2 }] }],
  groupId: 'g',
  offsets: [{ topic: 'in', partition: 1, offset: '10' }],
  member,
  ...over,
});
const ops = (cluster: FakeTxnCluster): string[] => cluster.calls.map((c) => c[0]);

describe('PlatformaticTransactionalProducer on a fake client', () => {
  it('the transport offers transactions; one transaction: sends, AddOffsetsToTxn for the group, the offset with the member of its generation, commit', async () => {
    const { cluster, transport } = setup();
    expect(supportsTransactions(transport)).toBe(true);
    const producer = transport.transactionalProducer('tx-1');
    await producer.commitTransaction(input());
    expect(ops(cluster)).toEqual(['initProducerId', 'begin', 'cancel', 'begin', 'send', 'addConsumer', 'addOffset', 'commit']);
    const p = cluster.producers[0];
    // Idempotent, transactional, and registering with "no producer yet" (-1/-1) so that a second registration of the id works.
    expect(p?.options).toMatchObject({ transactionalId: 'tx-1', idempotent: true, acks: -1, autocreateTopics: false, producerId: -1n, producerEpoch: -1 });
    // addOffset takes the message before the next offset (the client commits offset + 1), with the member's generation.
    expect(cluster.calls.find((c) => c[0] === 'addOffset')).toEqual(['addOffset', 'in', 1, 9n, { groupId: 'g', generationId: 4, memberId: 'm-4', coordinatorId: 1 }]);
    const [txn] = cluster.committed;
    expect(txn?.offsets.map((o) => [o.topic, o.partition, o.offset])).toEqual([['in', 1, 10n]]);
    // Partitions as the runtime's producers choose them: murmur2 of the key, explicit wins.
    expect(txn?.messages.map((m) => [m.partition, m.value?.toString()])).toEqual([
      [partitionForKey('a', 3), 'v1'],
      [2, 'v2'],
    ]);
    // The next transaction reuses the registered client (no new InitProducerId).
    await producer.commitTransaction(input());
    expect(ops(cluster).filter((o) => o === 'initProducerId')).toHaveLength(1);
    await producer.disconnect();
    expect(p?.closed).toBe(true);
  });

  it('init registers the id again on a new client (fencing older producers with it) every time', async () => {
    const { cluster, transport } = setup();
    const producer = transport.transactionalProducer('tx-2');
    await producer.init();
    await producer.init();
    expect(cluster.producers).toHaveLength(2);
    expect(cluster.producers[0]?.closed).toBe(true);
    expect(ops(cluster)).toEqual(['initProducerId', 'begin', 'cancel', 'initProducerId', 'begin', 'cancel']);
  });

  it('a failed send aborts the transaction (nothing committed), rejects, and the next transaction runs on a new client', async () => {
    const { cluster, transport } = setup();
    const producer = transport.transactionalProducer('tx-3');
    cluster.fail('send', new Error('broker gone'));
    await expect(producer.commitTransaction(input())).rejects.toThrow('broker gone');
    expect(ops(cluster)).toEqual(['initProducerId', 'begin', 'cancel', 'begin', 'send', 'abort']);
    expect(cluster.committed).toEqual([]);
    expect(cluster.producers[0]?.closed).toBe(true);
    await producer.commitTransaction(input());
    expect(cluster.producers).toHaveLength(2);
    expect(cluster.committed).toHaveLength(1);
  });

  it('a failed commit (EndTxn) is aborted as well and rejects with the error (not as fenced)', async () => {
    const { cluster, transport } = setup();
    const producer = transport.transactionalProducer('tx-4');
    cluster.fail('commit', protocolError('REQUEST_TIMED_OUT'));
    const error = await producer.commitTransaction(input()).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(ProducerFencedError);
    expect(ops(cluster).slice(-2)).toEqual(['commit', 'abort']);
    expect(cluster.committed).toEqual([]);
  });

  it('fenced by a newer producer: ProducerFencedError, no abort (the broker aborted it), the client closed', async () => {
    const { cluster, transport } = setup();
    const producer = transport.transactionalProducer('tx-5');
    cluster.fail('send', protocolError('INVALID_PRODUCER_EPOCH'));
    await expect(producer.commitTransaction(input())).rejects.toBeInstanceOf(ProducerFencedError);
    expect(ops(cluster)).not.toContain('abort');
    expect(cluster.producers[0]?.closed).toBe(true);
    cluster.fail('initProducerId', protocolError('PRODUCER_FENCED'));
    await expect(producer.init()).rejects.toBeInstanceOf(ProducerFencedError);
  });

  it("the offsets' generation ended (ILLEGAL_GENERATION on TxnOffsetCommit): aborted, and reported as fenced (the partition is another member's)", async () => {
    const { cluster, transport } = setup();
    const producer = transport.transactionalProducer('tx-6');
    cluster.fail('addOffset', protocolError('ILLEGAL_GENERATION'));
    await expect(producer.commitTransaction(input())).rejects.toBeInstanceOf(ProducerFencedError);
    expect(ops(cluster).slice(-2)).toEqual(['addOffset', 'abort']);
    expect(cluster.committed).toEqual([]);
  });

  it('without a member: generation -1 and no member id (no generation check), the group coordinator looked up', async () => {
    const { cluster, transport } = setup();
    const producer = transport.transactionalProducer('tx-7');
    await producer.commitTransaction(input({ member: undefined, messages: [] }));
    expect(ops(cluster)).toEqual(['initProducerId', 'begin', 'cancel', 'findCoordinator', 'begin', 'addConsumer', 'addOffset', 'commit']);
    expect(cluster.calls.find((c) => c[0] === 'addOffset')?.[4]).toEqual({ groupId: 'g', generationId: -1, memberId: '', coordinatorId: 7 });
  });

  it('splits large outputs into requests of about 512 KiB, keeping their order; keyless messages go round-robin', async () => {
    const { cluster, transport } = setup();
    const producer = transport.transactionalProducer('tx-8');
    const messages = Array.from({ length: 1_500 }, (_, i) => ({ key: null, value: `${i}:${'x'.repeat(1_000)}` }));
    await producer.commitTransaction(input({ messages: [{ topic: 'out', messages }] }));
    const sends = cluster.calls.filter((c) => c[0] === 'send').map((c) => c[1] as number);
    expect(sends.length).toBeGreaterThanOrEqual(3);
    expect(sends.reduce((s, n) => s + n, 0)).toBe(1_500);
    const written = cluster.committed[0]?.messages ?? [];
    expect(written.map((m) => Number(m.value?.toString().split(':')[0]))).toEqual(messages.map((_, i) => i));
    expect(written.slice(0, 6).map((m) => m.partition)).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('refuses a partition the topic does not have (the client would take it modulo the count): nothing sent, aborted', async () => {
    const { cluster, transport } = setup();
    const producer = transport.transactionalProducer('tx-9');
    await expect(producer.commitTransaction(input({ messages: [{ topic: 'out', messages: [{ key: 'a', value: 'v', partition: 3 }] }] }))).rejects.toThrow('no partition 3');
    expect(ops(cluster)).not.toContain('send');
    expect(cluster.committed).toEqual([]);
  });

  it('committedOffsets reads stable offsets (requireStable) and reports none as undefined', async () => {
    const { cluster, transport } = setup();
    cluster.groupOffsets.set('g/in/1', 42n);
    expect(await transport.committedOffsets('g', [{ topic: 'in', partition: 0 }, { topic: 'in', partition: 1 }])).toEqual([
      { topic: 'in', partition: 0, offset: undefined },
      { topic: 'in', partition: 1, offset: '42' },
    ]);
    expect(cluster.listed).toEqual([{ groups: [{ groupId: 'g', topics: [{ name: 'in', partitionIndexes: [0, 1] }] }], requireStable: true }]);
  });

  it("the member's group metadata: its generation in the current epoch only", async () => {
    const { transport } = setup();
    const consumer = transport.consumer({ groupId: 'g' });
    await consumer.connect();
    await consumer.subscribe({ topics: ['in'] });
    const epochs: number[] = [];
    await consumer.run({ onAssigned: (epoch) => epochs.push(epoch), onBatch: async () => undefined });
    const client = consumer.consumer as unknown as FakeConsumer;
    expect(consumer.groupMetadata(1)).toEqual({ groupId: 'g', generationId: client.generationId, memberId: 'm1' });
    client.rejoin();
    expect(epochs).toEqual([1, 2]);
    expect(consumer.groupMetadata(1)).toBeUndefined();
    expect(consumer.groupMetadata(2)?.generationId).toBe(client.generationId);
    // The client's generation moved on before the join was handed over: no metadata (its offsets would be refused).
    client.generationId += 1;
    expect(consumer.groupMetadata(2)).toBeUndefined();
    await consumer.disconnect();
  });
});

describe('ExactlyOnce with a member that knows its generation', () => {
  it("commits with the member's metadata of the offsets' epoch; an epoch the member no longer has is stale: no transaction at all", async () => {
    const { cluster, transport } = setup();
    const generations = new Map<number, number>([[3, 11]]);
    const consumer = { groupMetadata: (epoch: number) => (generations.has(epoch) ? { groupId: 'g', generationId: generations.get(epoch) as number, memberId: 'm' , coordinatorId: 1 } : undefined) };
    const eos = new ExactlyOnce({ transport, groupId: 'g', logger: quiet, member: () => consumer as never });
    eos.onAssigned(3, [{ topic: 'in', partition: 0 }]);
    const record = { topic: 'in', partition: 0, offset: '0', key: null, value: null, headers: {}, timestamp: '0' };
    await eos.ready({ topic: 'in', partition: 0, records: [record], epoch: 3, heartbeat: async () => undefined, advance: () => undefined, isCurrent: () => true });
    await eos.begin(record).send([{ topic: 'out', messages: [{ key: 'k', value: 'x' }] }]);
    eos.accept(record);
    await eos.commit([{ topic: 'in', partition: 0, offset: '1', epoch: 3 }]);
    expect(cluster.calls.find((c) => c[0] === 'addOffset')?.[4]).toEqual({ groupId: 'g', generationId: 11, memberId: 'm', coordinatorId: 1 });
    // The member's generation of epoch 3 is gone (a rebalance the engine has not seen yet): refused before any request.
    generations.clear();
    const before = cluster.calls.length;
    await expect(eos.commit([{ topic: 'in', partition: 0, offset: '2', epoch: 3 }])).rejects.toBeInstanceOf(StaleEpochError);
    expect(cluster.calls.length).toBe(before);
    expect(cluster.committed).toHaveLength(1);
    await eos.close();
  });
});

const Tick = defineEvent({ eventType: 'test.tick', version: '1.0.0', topics: [], schema: z.object({ key: z.string(), n: z.number().int() }), classification: 'internal', partitionKey: (d) => d.key });
const running: GroupConsumer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

describe('an exactly-once group on the platformatic transport (fake client)', () => {
  it("outputs and offsets commit in the partition's transaction with the member's generation; a failed handler's outputs never do", async () => {
    const { cluster, transport } = setup();
    const out = new EventProducer({ transport, source: 'eos' });
    const consumer = new GroupConsumer({
      groupId: 'g',
      transport,
      logger: quiet,
      exactlyOnce: true,
      topics: [
        new TopicDelegator({
          topic: 'in',
          retry: { maxRetries: 0, initialDelayMs: 1, maxDelayMs: 1, multiplier: 1, jitter: 0 },
          deadLetter: { enabled: true, topic: 'in.dlq' },
          routes: [
            route(Tick, {
              async handle(data, ctx) {
                await out.send('out', Tick, { key: data.key, n: data.n * 10 }, { causedBy: ctx });
                if (data.n === 3) throw new NonRetriableError('n = 3 fails after producing');
              },
            }),
          ],
        }),
      ],
    });
    running.push(consumer);
    const producer = new EventProducer({ transport, source: 'test' });
    for (let n = 1; n <= 5; n++) await producer.send('in', Tick, { key: 'same', n });
    await producer.disconnect();
    const partition = partitionForKey('same', 2);
    await consumer.start();
    const deadline = Date.now() + 5_000;
    while (cluster.groupOffsets.get(`g/in/${partition}`) !== 5n) {
      if (Date.now() > deadline) throw new Error(`offset not committed: ${JSON.stringify([...cluster.groupOffsets])}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const written = cluster.committed.flatMap((t) => t.messages.map((m) => (JSON.parse(m.value?.toString() ?? '{}') as { data: { n: number } }).data.n));
    expect(written).toEqual([10, 20, 40, 50]);
    const fake = cluster.base;
    const client = fake.consumers.find((c) => c.options['groupId'] === 'g' && c.memberId !== null);
    for (const t of cluster.committed) {
      expect(t.id).toBe(`eventgen-g-in-${partition}`);
      expect(t.offsets.map((o) => o.consumer)).toEqual(t.offsets.map(() => expect.objectContaining({ groupId: 'g', memberId: 'm1', generationId: client?.generationId })));
    }
    // Offsets went through transactions only (never the group's own commit); the failed record was dead-lettered.
    expect(fake.commits).toEqual([]);
    expect(fake.logs.get('in.dlq')?.[0]).toHaveLength(1);
  });
});
