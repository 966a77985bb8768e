/**
 * Exactly-once consume → produce: the engine's decisions against a fake transactional transport (an in-memory
 * transport for the group, and transactional producers that record each transaction and can be told to fail or be
 * fenced). The guarantees on a real broker: test/integration/exactly-once.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  EventProducer,
  GroupConsumer,
  InMemoryProcessedStore,
  InMemoryTransport,
  NonRetriableError,
  ProducerFencedError,
  RetriableError,
  TopicDelegator,
  defineEvent,
  route,
  silentLogger,
  type EventContext,
  type TopicMessages,
  type TopicPartition,
  type TransactionInput,
  type TransactionalProducer,
} from '../../templates/runtime/index.js';

const InSchema = z.object({ n: z.number() });
const InEvent = defineEvent({ eventType: 'in.event', version: '1.0.0', topics: ['in'], schema: InSchema, classification: 'internal', partitionKey: () => 'k' });
const OutEvent = defineEvent({ eventType: 'out.event', version: '1.0.0', topics: ['out'], schema: z.object({ n: z.number(), attempt: z.number() }), classification: 'internal', partitionKey: () => 'k' });

interface Txn {
  id: string;
  messages: string[];
  offsets: TransactionInput['offsets'];
}

/** An in-memory transport with fake transactions: committed ones are recorded (and their messages appended). */
class FakeTxnTransport extends InMemoryTransport {
  readonly committed: Txn[] = [];
  readonly inits: string[] = [];
  failNext = 0;
  fenceNext = 0;
  /** The next N transactions commit, then report a failure (a timeout on EndTxn). */
  commitThenFail = 0;
  readonly offsets = new Map<string, string>();

  transactionalProducer(id: string): TransactionalProducer {
    return {
      init: async () => {
        this.inits.push(id);
      },
      commitTransaction: async (input: TransactionInput) => {
        if (this.fenceNext > 0) {
          this.fenceNext -= 1;
          throw new ProducerFencedError('fenced');
        }
        if (this.failNext > 0) {
          this.failNext -= 1;
          throw new Error('transaction failed');
        }
        this.committed.push({ id, messages: values(input.messages), offsets: input.offsets });
        for (const o of input.offsets) this.offsets.set(`${o.topic}/${o.partition}`, o.offset);
        if (input.messages.length > 0) this.append(input.messages);
        if (this.commitThenFail > 0) {
          this.commitThenFail -= 1;
          throw new Error('EndTxn timed out (it committed)');
        }
      },
      disconnect: async () => undefined,
    };
  }

  async committedOffsets(_groupId: string, partitions: readonly TopicPartition[]): Promise<Array<TopicPartition & { offset: string | undefined }>> {
    return partitions.map((p) => ({ ...p, offset: this.offsets.get(`${p.topic}/${p.partition}`) }));
  }
}

function values(batch: readonly TopicMessages[]): string[] {
  return batch.flatMap((t) => t.messages.map((m) => `${t.topic}:${JSON.parse(String(m.value)).data.n}/${JSON.parse(String(m.value)).data.attempt}`));
}

const running: GroupConsumer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

async function setup(handle: (data: { n: number }, ctx: EventContext, out: EventProducer) => Promise<void>, options: { failNext?: number; fenceNext?: number; commitThenFail?: number } = {}) {
  const transport = new FakeTxnTransport({ defaultPartitions: 1, redeliveryDelayMs: 5 });
  transport.failNext = options.failNext ?? 0;
  transport.fenceNext = options.fenceNext ?? 0;
  transport.commitThenFail = options.commitThenFail ?? 0;
  const out = new EventProducer({ transport, source: 'eos' });
  const delegator = new TopicDelegator({
    topic: 'in',
    retry: { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 1, multiplier: 1, jitter: 0 },
    deadLetter: { enabled: true, topic: 'in.dlq' },
    routes: [route(InEvent, { handle: (data, ctx) => handle(data, ctx, out) })],
  });
  const consumer = new GroupConsumer({ groupId: 'g', transport, topics: [delegator], exactlyOnce: true, logger: silentLogger, sleep: async () => undefined, random: () => 0.5 });
  running.push(consumer);
  const input = new EventProducer({ transport, source: 'test' });
  await consumer.start();
  return { transport, consumer, input };
}

async function until(condition: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('exactly-once consume → produce', () => {
  it("a successful attempt's outputs and the offset commit in one transaction; the input group's own commit is not used", async () => {
    const { transport, input, consumer } = await setup(async (data, ctx, out) => {
      await out.send('out', OutEvent, { n: data.n, attempt: ctx.attempt }, { causedBy: ctx });
      await ctx.outputs?.send([{ topic: 'out', messages: [{ key: 'k', value: JSON.stringify({ data: { n: data.n * 10, attempt: ctx.attempt } }) }] }]);
    });
    for (let n = 1; n <= 3; n++) await input.send('in', InEvent, { n });
    await until(() => transport.offsets.get('in/0') === '3');
    const all = transport.committed.flatMap((t) => t.messages);
    expect(all).toEqual(['out:1/1', 'out:10/1', 'out:2/1', 'out:20/1', 'out:3/1', 'out:30/1']);
    expect(transport.committed.every((t) => t.id === 'eventgen-g-in-0' && t.offsets.length === 1)).toBe(true);
    // The outputs of each transaction belong to the records before its offset.
    for (const t of transport.committed) expect(t.messages.length).toBe(2 * (Number(t.offsets[0]?.offset) - transport.committed.slice(0, transport.committed.indexOf(t)).reduce((s, x) => s + x.messages.length / 2, 0)));
    expect(transport.inits).toEqual(['eventgen-g-in-0']); // fenced once, before the first record
    expect(transport.committedOffset('g', 'in', 0)).toBeUndefined(); // offsets went through the transaction only
    expect(consumer.health().healthy).toBe(true);
  });

  it('outputs of a failed attempt are discarded; the retry that succeeds is the only one written', async () => {
    const { transport, input } = await setup(async (data, ctx, out) => {
      await out.send('out', OutEvent, { n: data.n, attempt: ctx.attempt }, { causedBy: ctx });
      if (ctx.attempt < 3) throw new RetriableError(`attempt ${ctx.attempt} fails after producing`);
    });
    await input.send('in', InEvent, { n: 7 });
    await until(() => transport.offsets.get('in/0') === '1');
    expect(transport.committed.flatMap((t) => t.messages)).toEqual(['out:7/3']);
    expect(transport.records('out')).toHaveLength(1);
  });

  it('a dead-lettered record commits its offset without the outputs of its failed attempt', async () => {
    const { transport, input } = await setup(async (data, ctx, out) => {
      await out.send('out', OutEvent, { n: data.n, attempt: ctx.attempt }, { causedBy: ctx });
      if (data.n === 2) throw new NonRetriableError('bad');
    });
    for (let n = 1; n <= 3; n++) await input.send('in', InEvent, { n });
    await until(() => transport.offsets.get('in/0') === '3');
    expect(transport.committed.flatMap((t) => t.messages)).toEqual(['out:1/1', 'out:3/1']);
    expect(transport.records('in.dlq')).toHaveLength(1);
  });

  it('a failed transaction is aborted: its outputs and offsets go into the next one, once', async () => {
    const { transport, input } = await setup(
      async (data, ctx, out) => {
        await out.send('out', OutEvent, { n: data.n, attempt: ctx.attempt }, { causedBy: ctx });
      },
      { failNext: 2 },
    );
    await input.send('in', InEvent, { n: 1 });
    await input.send('in', InEvent, { n: 2 });
    await until(() => transport.offsets.get('in/0') === '2', 5000);
    expect(transport.committed.flatMap((t) => t.messages)).toEqual(['out:1/1', 'out:2/1']);
    expect(transport.records('out').map((r) => JSON.parse(String(r.value)).data.n)).toEqual([1, 2]);
  });

  it('a transaction that committed although its commit reported a failure is not written again (the committed offset decides)', async () => {
    const { transport, input } = await setup(
      async (data, ctx, out) => {
        await out.send('out', OutEvent, { n: data.n, attempt: ctx.attempt }, { causedBy: ctx });
      },
      { commitThenFail: 1 },
    );
    await input.send('in', InEvent, { n: 1 });
    await until(() => transport.offsets.get('in/0') === '1');
    await input.send('in', InEvent, { n: 2 });
    await until(() => transport.offsets.get('in/0') === '2');
    expect(transport.records('out').map((r) => JSON.parse(String(r.value)).data.n)).toEqual([1, 2]);
    expect(transport.inits).toEqual(['eventgen-g-in-0', 'eventgen-g-in-0']); // registered again after the uncertain failure
  });

  it('a fenced producer drops what it completed (the new owner redoes it) and never commits it later', async () => {
    const { transport, input, consumer } = await setup(
      async (data, ctx, out) => {
        await out.send('out', OutEvent, { n: data.n, attempt: ctx.attempt }, { causedBy: ctx });
      },
      { fenceNext: 1 },
    );
    await input.send('in', InEvent, { n: 1 });
    await until(() => transport.inits.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(transport.committed).toEqual([]);
    expect(transport.records('out')).toEqual([]);
    expect(consumer.health().status).toBe('running');
  });

  it('refuses a processed store, retry topics and a transport without transactions', () => {
    const transport = new FakeTxnTransport();
    const delegator = new TopicDelegator({ topic: 'in', routes: [route(InEvent, { handle: async () => undefined })] });
    expect(() => new GroupConsumer({ groupId: 'g', transport, topics: [delegator], exactlyOnce: true, store: new InMemoryProcessedStore() })).toThrow(/processed store/);
    const retrying = new TopicDelegator({ topic: 'in', routes: [route(InEvent, { handle: async () => undefined })], retryTopics: { delaysMs: [10], topics: ['in.retry.g.1'] } });
    expect(() => new GroupConsumer({ groupId: 'g', transport, topics: [retrying], exactlyOnce: true })).toThrow(/retry topics/);
    expect(() => new GroupConsumer({ groupId: 'g', transport: new InMemoryTransport(), topics: [delegator], exactlyOnce: true })).toThrow(/no transactions/);
  });
});
