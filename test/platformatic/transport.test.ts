/**
 * The platformatic transport's own logic (issue #18) against a scripted fake client: start positions from the
 * committed offsets at every epoch, seek-back to the first record not advanced over, per-partition pause with a fetch
 * in flight, stale-epoch commits, rebalance notices, headers, and the producer's partitioning and error mapping.
 */
import { describe, expect, it } from 'vitest';
import {
  PlatformaticTransport,
  RebalanceInProgressError,
  SendError,
  StaleEpochError,
  createLogger,
  createTransport,
  kafkaClientFromEnv,
  kafkaConfig,
  KafkaTransport,
  partitionForKey,
  type DeliveryListener,
  type RecordBatch,
} from '../../templates/runtime/index.js';
import { FakePlatformatic, protocolError, type FakeConsumer } from './fake-platformatic.js';

const quiet = createLogger({ level: 'error', write: () => undefined });
const config = kafkaConfig({ brokers: 'fake:9092', clientId: 't' });

function setup(partitions = 1, records = 100): { fake: FakePlatformatic; transport: PlatformaticTransport } {
  const fake = new FakePlatformatic();
  fake.topic('t', partitions);
  for (let p = 0; p < partitions; p++) fake.append('t', p, records);
  return { fake, transport: new PlatformaticTransport({ config, logger: quiet, module: fake.module, consumer: { partitionsConsumedConcurrently: partitions } }) };
}

const until = async (check: () => boolean, what: string, ms = 2_000): Promise<void> => {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** Fetch positions asked for partition `p` of topic t, in order. */
const asked = (fake: FakePlatformatic, p = 0): bigint[] => fake.fetches.flatMap((f) => f.topics.filter((t) => t.partition === p).map((t) => t.offset));

async function member(transport: PlatformaticTransport, listener: DeliveryListener): Promise<{ consumer: ReturnType<PlatformaticTransport['consumer']>; client: FakeConsumer }> {
  const consumer = transport.consumer({ groupId: 'g' });
  await consumer.connect();
  await consumer.subscribe({ topics: ['t'], fromBeginning: true });
  await consumer.run(listener);
  return { consumer, client: consumer.consumer as unknown as FakeConsumer };
}

describe('PlatformaticTransportConsumer on a fake client', () => {
  it('fetches again from the first record not advanced over (seek-back), and after the batch when all were', async () => {
    const { fake, transport } = setup();
    const batches: RecordBatch[] = [];
    const { consumer } = await member(transport, {
      onBatch: async (batch) => {
        batches.push(batch);
        const first = Number(batch.records[0]?.offset);
        // First batch: only 0..9 done; then everything.
        batch.advance(batches.length === 1 ? String(first + 9) : (batch.records[batch.records.length - 1]?.offset ?? '0'));
      },
    });
    await until(() => batches.length >= 3, 'three batches');
    await consumer.disconnect();
    expect(asked(fake).slice(0, 3)).toEqual([0n, 10n, 60n]);
    expect(batches[1]?.records[0]?.offset).toBe('10');
  });

  it('starts every epoch at the committed offset (or fromBeginning), never at the fetch position of the last epoch', async () => {
    const { fake, transport } = setup();
    const epochs: number[] = [];
    const { consumer, client } = await member(transport, {
      onAssigned: (epoch) => epochs.push(epoch),
      onBatch: async (batch) => batch.advance(batch.records[batch.records.length - 1]?.offset ?? '0'),
    });
    await until(() => asked(fake).length >= 2, 'two fetches');
    expect(asked(fake).slice(0, 2)).toEqual([0n, 50n]);
    fake.committed.set('t:0', 30n); // what the group committed; records 30.. were fetched but must come again
    client.rejoin();
    const before = fake.fetches.length;
    await until(() => fake.fetches.length > before + 1, 'a fetch in the new epoch');
    await consumer.disconnect();
    expect(epochs).toEqual([1, 2]);
    expect(fake.fetches.slice(before).flatMap((f) => f.topics.map((t) => t.offset))).toContain(30n);
  });

  it('a paused partition is left out of fetches; records of it from a fetch in flight are dropped; resume starts where the engine stopped', async () => {
    const { fake, transport } = setup(2, 20);
    const seen: Array<{ partition: number; first: string }> = [];
    let release: () => void = () => undefined;
    fake.hold = new Promise<void>((r) => (release = r));
    const { consumer } = await member(transport, {
      onBatch: async (batch) => {
        seen.push({ partition: batch.partition, first: batch.records[0]?.offset ?? '' });
        batch.advance(batch.records[batch.records.length - 1]?.offset ?? '0');
      },
    });
    await until(() => fake.fetches.length === 1, 'the first fetch in flight');
    consumer.pause([{ topic: 't', partitions: [0] }]);
    release();
    fake.hold = undefined;
    await until(() => seen.length >= 1, 'partition 1 delivered');
    fake.append('t', 1, 5);
    await until(() => fake.fetches.length >= 3, 'more fetches');
    expect(seen.every((s) => s.partition === 1)).toBe(true);
    expect(fake.fetches.slice(1).every((f) => f.topics.every((t) => t.partition === 1))).toBe(true);
    consumer.resume([{ topic: 't', partitions: [0] }]);
    await until(() => seen.some((s) => s.partition === 0), 'partition 0 after resume');
    await consumer.disconnect();
    expect(seen.find((s) => s.partition === 0)?.first).toBe('0');
  });

  it('pausing a whole topic and resuming one partition keeps the others paused', async () => {
    const { fake, transport } = setup(2, 5);
    const { consumer } = await member(transport, { onBatch: async () => undefined });
    consumer.pause([{ topic: 't' }]);
    consumer.resume([{ topic: 't', partitions: [1] }]);
    const before = fake.fetches.length;
    await until(() => fake.fetches.length > before + 1, 'fetches');
    await consumer.disconnect();
    expect(fake.fetches.slice(before + 1).every((f) => f.topics.every((t) => t.partition === 1))).toBe(true);
  });

  it('commits only offsets of the current epoch and generation; the rest is a StaleEpochError and never sent', async () => {
    const { fake, transport } = setup();
    let epoch = 0;
    const { consumer, client } = await member(transport, { onAssigned: (e) => (epoch = e), onBatch: async () => undefined });
    await consumer.commit([{ topic: 't', partition: 0, offset: '5', epoch }]);
    expect(fake.commits).toEqual([{ generation: 1, offsets: [{ topic: 't', partition: 0, offset: 5n }] }]);
    await expect(consumer.commit([{ topic: 't', partition: 0, offset: '6', epoch: epoch - 1 }])).rejects.toBeInstanceOf(StaleEpochError);
    // The client already took a new generation (its join answer) but the assignment is not known yet: refused.
    client.generationId += 1;
    await expect(consumer.commit([{ topic: 't', partition: 0, offset: '7', epoch }])).rejects.toBeInstanceOf(StaleEpochError);
    client.generationId -= 1;
    client.rejoin([{ topic: 't', partitions: [] }]);
    await expect(consumer.commit([{ topic: 't', partition: 0, offset: '8', epoch }])).rejects.toBeInstanceOf(StaleEpochError);
    await consumer.disconnect();
    expect(fake.commits).toHaveLength(1);
  });

  it('a rebalance notice ends the epoch: onRevoking(epoch) runs, the batch in flight stops being current, heartbeat rejects', async () => {
    const { transport } = setup();
    const revoked: number[] = [];
    let inFlight: RecordBatch | undefined;
    let finish: () => void = () => undefined;
    const { consumer, client } = await member(transport, {
      onRevoking: async (epoch) => void revoked.push(epoch),
      onBatch: async (batch) => {
        inFlight = batch;
        await new Promise<void>((r) => (finish = r));
      },
    });
    await until(() => inFlight !== undefined, 'a batch');
    expect(inFlight?.isCurrent()).toBe(true);
    await expect(inFlight?.heartbeat()).resolves.toBeUndefined();
    client.emit('consumer:group:rebalance', { groupId: 'g' });
    await until(() => revoked.length === 1, 'onRevoking');
    expect(revoked).toEqual([1]);
    expect(inFlight?.isCurrent()).toBe(false);
    await expect(inFlight?.heartbeat()).rejects.toBeInstanceOf(RebalanceInProgressError);
    finish();
    await consumer.disconnect();
  });

  it('rejoins after a heartbeat failure (the client stops heartbeating after one), starting a new epoch', async () => {
    const { transport } = setup();
    const epochs: number[] = [];
    const revoked: number[] = [];
    const { consumer, client } = await member(transport, { onAssigned: (e) => epochs.push(e), onRevoking: async (e) => void revoked.push(e), onBatch: async () => undefined });
    client.emit('consumer:heartbeat:error', { error: new Error('socket closed') });
    await until(() => epochs.length === 2, 'a second join');
    await consumer.disconnect();
    expect(epochs).toEqual([1, 2]);
    expect(revoked).toEqual([1]);
  });

  it('replaces the client when rejoining keeps failing (the client never looks up a moved coordinator again)', async () => {
    const fake = new FakePlatformatic();
    fake.topic('t', 1);
    const transport = new PlatformaticTransport({ config, logger: quiet, module: fake.module, consumer: { reconnectMaxDelayMs: 20 } });
    const epochs: number[] = [];
    const { consumer, client } = await member(transport, { onAssigned: (e) => epochs.push(e), onBatch: async () => undefined });
    fake.joinFailures = 2;
    client.emit('consumer:heartbeat:error', { error: new Error('coordinator gone') });
    await until(() => epochs.length === 2, 'a join on a new client');
    // Events of the replaced client are ignored from now on.
    client.rejoin();
    await new Promise((r) => setTimeout(r, 20));
    await consumer.disconnect();
    expect(fake.consumers).toHaveLength(2);
    expect(fake.consumers[1]?.tracked.has('t')).toBe(true);
    expect(epochs).toEqual([1, 2]);
  });

  it('hands headers over as the runtime reads them: repeated names as arrays, null values, __proto__ as an own property', async () => {
    const fake = new FakePlatformatic();
    fake.topic('t', 1);
    fake.logs.get('t')?.[0]?.push({
      key: null,
      value: Buffer.from('v'),
      headers: [
        [Buffer.from('a'), Buffer.from('1')],
        [Buffer.from('a'), Buffer.from('2')],
        [Buffer.from('n'), null],
        [Buffer.from('__proto__'), Buffer.from('x')],
      ],
    });
    const transport = new PlatformaticTransport({ config, logger: quiet, module: fake.module });
    let got: RecordBatch | undefined;
    const { consumer } = await member(transport, { onBatch: async (b) => void (got ??= b) });
    await until(() => got !== undefined, 'the record');
    await consumer.disconnect();
    const headers = got?.records[0]?.headers ?? {};
    expect(headers['a']).toEqual([Buffer.from('1'), Buffer.from('2')]);
    expect(headers['n']).toBeNull();
    expect(Object.prototype.hasOwnProperty.call(headers, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
    expect(got?.records[0]?.key).toBeNull();
    expect(got?.highWatermark).toBe('1');
  });
});

describe('PlatformaticTransportProducer on a fake client', () => {
  it('is idempotent with acks=all, decides partitions itself and returns one offset per message in input order', async () => {
    const { fake, transport } = setup(4, 0);
    const producer = transport.producer();
    await producer.connect();
    const key = 'order-7';
    const meta = await producer.send([{ topic: 't', messages: [{ key, value: 'a' }, { key, value: 'b', headers: { h: ['1', '2'], z: null } }, { key: null, value: 'c', partition: 3 }] }]);
    const p = partitionForKey(key, 4);
    expect(meta).toEqual([
      { topic: 't', partition: p, offset: '0' },
      { topic: 't', partition: p, offset: '1' },
      { topic: 't', partition: 3, offset: '0' },
    ]);
    expect(fake.producers[0]?.options).toMatchObject({ idempotent: true, acks: -1, autocreateTopics: false });
    const written = fake.logs.get('t')?.[p]?.[1];
    expect(written?.headers.map(([k, v]) => [k?.toString(), v?.toString() ?? null])).toEqual([
      ['h', '1'],
      ['h', '2'],
      ['z', null],
    ]);
    await producer.disconnect();
  });

  it('refuses a partition the topic does not have (the client would take it modulo the count) and a missing topic', async () => {
    const { transport } = setup(2, 0);
    const producer = transport.producer();
    await producer.connect();
    await expect(producer.send([{ topic: 't', messages: [{ key: null, value: 'x', partition: 5 }] }])).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC' });
    await expect(producer.send([{ topic: 'nope', messages: [{ key: null, value: 'x' }] }])).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC' });
    await producer.disconnect();
  }, 10_000);

  it('maps broker refusals to certain codes and transport failures to UNCERTAIN, replacing the client (new producer id) after those', async () => {
    const { fake, transport } = setup(1, 0);
    const producer = transport.producer();
    await producer.connect();
    fake.produceFailures.push(protocolError('MESSAGE_TOO_LARGE'));
    const tooLarge = await producer.send([{ topic: 't', messages: [{ key: null, value: 'x' }] }]).catch((e: unknown) => e);
    expect(tooLarge).toBeInstanceOf(SendError);
    expect(tooLarge).toMatchObject({ code: 'MESSAGE_TOO_LARGE', certain: true });
    expect(fake.producers).toHaveLength(1);
    fake.produceFailures.push(Object.assign(new Error('socket hang up'), { code: 'PLT_KFK_NETWORK' }));
    await expect(producer.send([{ topic: 't', messages: [{ key: null, value: 'x' }] }])).rejects.toMatchObject({ code: 'UNCERTAIN' });
    await producer.send([{ topic: 't', messages: [{ key: null, value: 'y' }] }]);
    expect(fake.producers).toHaveLength(2);
    expect(fake.producers[0]?.closed).toBe(true);
    await producer.disconnect();
  });

  it('sends to one partition go out one request at a time, in call order (the client numbers sequences per acknowledged request)', async () => {
    const { fake, transport } = setup(1, 0);
    const producer = transport.producer();
    await producer.connect();
    const sends = Array.from({ length: 20 }, (_, i) => producer.send([{ topic: 't', messages: [{ key: null, value: String(i) }] }]));
    await Promise.all(sends);
    expect(fake.logs.get('t')?.[0]?.map((r) => r.value?.toString())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    await producer.disconnect();
  });
});

describe('choosing the client', () => {
  it('KAFKA_CLIENT picks the transport; the default is kafkajs; anything else is a configuration error', () => {
    expect(kafkaClientFromEnv({})).toBe('kafkajs');
    expect(kafkaClientFromEnv({ KAFKA_CLIENT: 'platformatic' })).toBe('platformatic');
    expect(() => kafkaClientFromEnv({ KAFKA_CLIENT: 'rdkafka' })).toThrow(/KAFKA_CLIENT must be/);
    expect(createTransport({ client: 'platformatic', config, logger: quiet })).toBeInstanceOf(PlatformaticTransport);
    expect(createTransport({ client: 'kafkajs', config, logger: quiet })).toBeInstanceOf(KafkaTransport);
  });
});
