import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { InMemoryTransport, StaleEpochError, murmur2, partitionForKey, type ConsumedRecord, type RecordBatch, type TransportConsumer } from '../../templates/runtime/index.js';

async function connectedProducer(transport: InMemoryTransport) {
  const producer = transport.producer();
  await producer.connect();
  return producer;
}

async function member(transport: InMemoryTransport, groupId: string, topics: string[], eachMessage: (r: ConsumedRecord) => Promise<void>, fromBeginning = true): Promise<TransportConsumer> {
  const consumer = transport.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning });
  // The smallest engine: records in order; a rejection leaves the rest of the batch to be fetched again.
  await consumer.run({
    onBatch: async (batch) => {
      for (const record of batch.records) {
        try {
          await eachMessage(record);
        } catch {
          return;
        }
        batch.advance(record.offset);
        await consumer.commit([{ topic: record.topic, partition: record.partition, offset: String(Number(record.offset) + 1), epoch: batch.epoch }]);
      }
    },
  });
  return consumer;
}

describe('murmur2 partitioner', () => {
  it('maps keys to the same partitions as kafkajs DefaultPartitioner', () => {
    const partitioner = kafkajs.Partitioners.DefaultPartitioner();
    const keys = ['', 'a', 'ab', 'abc', 'abcd', 'abcde', 'order-1', 'customer/42', 'ünïcødé-ключ-🔑', 'x'.repeat(37)];
    for (let i = 0; i < 200; i++) keys.push(`key-${i}-${(i * 7919).toString(36)}`);
    for (const count of [1, 2, 3, 6, 12, 50]) {
      const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0, offlineReplicas: [] }));
      for (const key of keys) {
        const expected = partitioner({ topic: 't', partitionMetadata, message: { key, value: null } });
        expect(partitionForKey(key, count), `key ${JSON.stringify(key)} / ${count}`).toBe(expected);
        expect(partitionForKey(Buffer.from(key), count)).toBe(expected);
      }
    }
  });

  it('is a signed 32-bit hash', () => {
    for (const key of ['a', 'hello', 'order-1']) expect(murmur2(key) | 0).toBe(murmur2(key));
  });
});

describe('InMemoryTransport', () => {
  it('uses configured partition counts, appends with offsets and round-robins keyless records', async () => {
    const transport = new InMemoryTransport({ defaultPartitions: 2, partitions: { big: 5 } });
    const producer = await connectedProducer(transport);
    expect(transport.partitionCount('big')).toBe(5);
    const metas = await producer.send([{ topic: 'small', messages: [{ key: null, value: 'a' }, { key: null, value: 'b' }, { key: null, value: 'c' }] }]);
    expect(metas.map((m) => `${m.partition}@${m.offset}`)).toEqual(['0@0', '1@0', '0@1']);
    expect(transport.records('small').map((r) => r.value?.toString())).toEqual(['a', 'b', 'c']);
    expect(transport.endOffset('small', 0)).toBe('2');
    await expect(transport.producer().send([{ topic: 'small', messages: [{ key: null, value: 'x' }] }])).rejects.toThrow(/disconnected/);
    await expect(producer.send([{ topic: 'small', messages: [{ key: null, value: 'x', partition: 7 }] }])).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC' });
    const tooBig = new InMemoryTransport({ maxMessageBytes: 100 });
    await expect((await connectedProducer(tooBig)).send([{ topic: 't', messages: [{ key: null, value: 'x'.repeat(101) }] }])).rejects.toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
  });

  it('keeps per-key order across partitions and members of a group, delivering each record once', async () => {
    const transport = new InMemoryTransport({ defaultPartitions: 4 });
    const seen = new Map<string, number[]>();
    const partitionsByMember: Array<Set<number>> = [new Set(), new Set()];
    const handle = (index: number) => async (record: ConsumedRecord): Promise<void> => {
      partitionsByMember[index]?.add(record.partition);
      const key = record.key?.toString() ?? '';
      expect(record.partition).toBe(partitionForKey(key, 4));
      // Random async work: ordering must not depend on handlers finishing in order.
      for (let i = Math.floor(Math.random() * 5); i > 0; i--) await new Promise((r) => setImmediate(r));
      seen.set(key, [...(seen.get(key) ?? []), Number(record.value?.toString())]);
    };
    const a = await member(transport, 'g', ['orders'], handle(0));
    const b = await member(transport, 'g', ['orders'], handle(1));
    const producer = await connectedProducer(transport);
    for (let seq = 0; seq < 10; seq++) {
      await producer.send([{ topic: 'orders', messages: Array.from({ length: 20 }, (_, k) => ({ key: `key-${k}`, value: String(seq) })) }]);
    }
    await transport.drain();
    expect(seen.size).toBe(20);
    for (const values of seen.values()) expect(values).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...(partitionsByMember[0] ?? [])].sort()).toEqual([0, 2]);
    expect([...(partitionsByMember[1] ?? [])].sort()).toEqual([1, 3]);
    for (let p = 0; p < 4; p++) expect(transport.committedOffset('g', 'orders', p)).toBe(transport.endOffset('orders', p));
    await a.stop();
    await b.stop();
  });

  it('redelivers a record whose handler rejected, committing only after success', async () => {
    const transport = new InMemoryTransport({ redeliveryDelayMs: 1 });
    const attempts: string[] = [];
    let failures = 2;
    const consumer = await member(transport, 'g', ['t'], async (record) => {
      attempts.push(record.offset);
      if (failures-- > 0) {
        expect(transport.committedOffset('g', 't', 0)).toBeUndefined();
        throw new Error('boom');
      }
    });
    const producer = await connectedProducer(transport);
    await producer.send([{ topic: 't', messages: [{ key: 'k', value: 'v0' }, { key: 'k', value: 'v1' }] }]);
    await transport.drain();
    expect(attempts).toEqual(['0', '0', '0', '1']);
    expect(transport.committedOffset('g', 't', 0)).toBe('2');
    await consumer.stop();
  });

  it('gives every group all records, shares offsets within a group, and honours fromBeginning', async () => {
    const transport = new InMemoryTransport();
    const producer = await connectedProducer(transport);
    await producer.send([{ topic: 't', messages: [{ key: null, value: 'old' }] }]);
    const got: Record<string, string[]> = { early: [], late: [] };
    const early = await member(transport, 'early', ['t'], async (r) => void got['early']?.push(r.value?.toString() ?? ''));
    const late = await member(transport, 'late', ['t'], async (r) => void got['late']?.push(r.value?.toString() ?? ''), false);
    await producer.send([{ topic: 't', messages: [{ key: null, value: 'new' }] }]);
    await transport.drain();
    expect(got).toEqual({ early: ['old', 'new'], late: ['new'] });
    await early.stop();
    // A new member of the same group continues from the group's committed offset.
    const again: string[] = [];
    const next = await member(transport, 'early', ['t'], async (r) => void again.push(r.value?.toString() ?? ''));
    await producer.send([{ topic: 't', messages: [{ key: null, value: 'newer' }] }]);
    await transport.drain();
    expect(again).toEqual(['newer']);
    await Promise.all([late.stop(), next.stop()]);
  });

  it('pause() stops delivery of a partition until resume(); drain() reports lag on timeout', async () => {
    const transport = new InMemoryTransport();
    const got: string[] = [];
    const consumer = await member(transport, 'g', ['t'], async (r) => void got.push(r.offset));
    consumer.pause([{ topic: 't' }]);
    const producer = await connectedProducer(transport);
    await producer.send([{ topic: 't', messages: [{ key: null, value: 'x' }] }]);
    await transport.waitForIdle();
    expect(got).toEqual([]);
    await expect(transport.drain({ timeoutMs: 20 })).rejects.toThrow(/g t\[0\] 0\/1/);
    consumer.resume([{ topic: 't' }]);
    await transport.drain();
    expect(got).toEqual(['0']);
    await consumer.stop();
  });

  it('rebalances with epochs: a member finishes its batch first, and commits of an ended epoch are refused', async () => {
    const transport = new InMemoryTransport({ defaultPartitions: 2 });
    const producer = await connectedProducer(transport);
    await producer.send([{ topic: 't', messages: [{ key: null, value: 'a' }, { key: null, value: 'b' }] }]);
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    let held: RecordBatch | undefined;
    const assigned: Array<[number, string[]]> = [];
    const first = transport.consumer({ groupId: 'g' });
    await first.subscribe({ topics: ['t'] });
    await first.run({
      onAssigned: (epoch, partitions) => void assigned.push([epoch, partitions.map((p) => `${p.partition}`)]),
      onBatch: async (batch) => {
        held ??= batch;
        if (batch === held) await blocked;
      },
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(held?.isCurrent()).toBe(true);
    // A second member joins: the rebalance waits for the first member's batch.
    const second = transport.consumer({ groupId: 'g' });
    await second.subscribe({ topics: ['t'] });
    const joined = second.run({ onBatch: async () => undefined });
    await new Promise((r) => setTimeout(r, 20));
    expect(held?.isCurrent()).toBe(true);
    release();
    await joined;
    expect(assigned).toEqual([[1, ['0', '1']], [2, ['0']]]);
    expect(held?.isCurrent()).toBe(false);
    await expect(held?.heartbeat()).rejects.toThrow(/rebalancing/);
    await expect(first.commit([{ topic: 't', partition: held?.partition ?? 0, offset: '1', epoch: 1 }])).rejects.toBeInstanceOf(StaleEpochError);
    expect(await first.uncommittedPartitions?.([{ topic: 't', partition: 0 }])).toEqual([{ topic: 't', partition: 0 }]);
    await Promise.all([first.stop(), second.stop()]);
  });
});
