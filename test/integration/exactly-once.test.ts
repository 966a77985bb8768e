/**
 * Exactly-once consume → produce (issue #15 part 2) on a real broker: a group turning each input record into one
 * output record is SIGKILLed mid-batch 5 times and restarted; a `read_committed` reader of the output topic sees
 * every input exactly once. The first process also fails its first transactions between their sends and their
 * commit (the runtime aborts them), and a transaction is aborted on purpose with kafkajs (the group itself runs on
 * the client under test, `KAFKA_CLIENT`): a `read_uncommitted`
 * reader sees those records (so the test can fail), the `read_committed` one does not.
 */
import path from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventProducer, batchItem } from '../../templates/runtime/index.js';
import { kafkaBrokers, uniqueName } from '../support/kafka.js';
import { TickEvent, admin, committed, createTopics, endOffsets, transport, waitFor, childProcesses } from './helpers.js';

const brokers = await kafkaBrokers();
const N = 4_000;
const KILLS = 5;

/** Reads every record of `topic` from the beginning with the given isolation level until `quietMs` pass without a new one. */
async function readTopic(topic: string, readUncommitted: boolean, atLeast: number, quietMs = 1_500): Promise<string[]> {
  const kafka = new Kafka({ clientId: 'eos-reader', brokers: (brokers as string).split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: uniqueName('eos-reader'), maxWaitTimeInMs: 200, readUncommitted });
  const values: string[] = [];
  let last = Date.now();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      values.push(message.value?.toString() ?? '');
      last = Date.now();
    },
  });
  try {
    await waitFor(() => values.length >= atLeast && Date.now() - last > quietMs, 30_000, () => `read ${values.length}/${atLeast} from ${topic} (readUncommitted ${readUncommitted})`);
  } finally {
    await consumer.disconnect();
  }
  return values;
}

// On both transports (KAFKA_CLIENT: the `integration` and `integration-platformatic` projects); the child inherits it.
describe.skipIf(!brokers)('kafka: exactly-once consume → produce under SIGKILL', () => {
  let a: Admin;
  const children = childProcesses({ entry: path.resolve(import.meta.dirname, 'exactly-once/child.ts'), name: 'exactly-once', envVar: 'EOS_CHILD' });
  const start = children.start;
  beforeAll(async () => {
    a = await admin(brokers!);
    await children.prepare();
  });
  afterAll(async () => {
    children.killAll();
    await a?.disconnect();
  });

  const sum = (m: Map<number, string>): number => [...m.values()].reduce((s, v) => s + Math.max(0, Number(v)), 0);

  it(`${N} records, the consume → produce group SIGKILLed mid-batch ${KILLS} times: every input exactly once for read_committed; aborted transactions invisible`, async () => {
    const input = uniqueName('it-eos-in');
    const output = uniqueName('it-eos-out');
    const groupId = uniqueName('g-eos');
    await createTopics(a, [
      { topic: input, partitions: 2 },
      { topic: output, partitions: 2 },
    ]);
    const t = transport(brokers!);
    const producer = new EventProducer({ transport: t, source: 'it' });
    for (let i = 0; i < N; i += 500) await producer.sendBatch(Array.from({ length: 500 }, (_, k) => batchItem(input, TickEvent, { key: `k${(i + k) % 97}`, seq: i + k })));
    await producer.disconnect();

    // A transaction aborted on purpose: visible to read_uncommitted only.
    const kafka = new Kafka({ clientId: 'eos-aborter', brokers: brokers!.split(','), logLevel: logLevel.NOTHING });
    const aborter = kafka.producer({ transactionalId: uniqueName('eos-aborter'), idempotent: true, maxInFlightRequests: 1 });
    await aborter.connect();
    const txn = await aborter.transaction();
    await txn.send({ topic: output, messages: [{ key: 'aborted', value: JSON.stringify({ data: { seq: -1 } }) }] });
    await txn.abort();
    await aborter.disconnect();

    const config = { brokers, input, output, groupId, prefix: uniqueName('eos-it'), delayEvery: 1 };
    let kills = 0;
    const started = Date.now();
    while (kills < KILLS) {
      const child = await start(kills === 0 ? { ...config, abortFirst: 2 } : config);
      const before = sum(await endOffsets(a, output));
      // Mid-batch: the group is producing (transactions in flight) when it dies.
      await waitFor(async () => sum(await endOffsets(a, output)) - before >= 150, 30_000, () => `no progress after kill ${kills}`, 50);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 150)));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      kills += 1;
    }
    const done = await start(config);
    await waitFor(async () => sum(await committed(a, groupId, input)) >= N, 60_000, () => 'the input was not consumed completely');
    done.kill('SIGTERM');
    await new Promise((r) => done.once('exit', r));
    const elapsed = Date.now() - started;

    const seqs = (values: string[]): number[] => values.map((v) => (JSON.parse(v) as { data: { seq: number } }).data.seq);
    const visible = seqs(await readTopic(output, false, N));
    const raw = seqs(await readTopic(output, true, N));
    const counts = new Map<number, number>();
    for (const s of visible) counts.set(s, (counts.get(s) ?? 0) + 1);
    const missing = Array.from({ length: N }, (_, i) => i).filter((i) => !counts.has(i));
    const duplicated = [...counts].filter(([, c]) => c > 1).map(([s]) => s);
    console.log(
      `[it] exactly-once: ${N} inputs, ${KILLS} SIGKILLs, ${(elapsed / 1000).toFixed(1)} s; read_committed ${visible.length} records (missing ${missing.length}, duplicated ${duplicated.length}); read_uncommitted ${raw.length} records (${raw.length - N} from aborted transactions)`,
    );
    expect(missing).toEqual([]);
    expect(duplicated).toEqual([]);
    expect(visible).not.toContain(-1);
    expect(visible.length).toBe(N);
    // The aborted records exist (the on-purpose abort, the runtime's aborted transactions, the killed processes' open ones).
    expect(raw).toContain(-1);
    expect(raw.length).toBeGreaterThan(N + 1);
  }, 120_000);

  it('one transaction with more outputs than a broker request takes (3,000 × 1 KB) commits, with its offset', async () => {
    const output = uniqueName('it-eos-big');
    const groupId = uniqueName('g-eos-big');
    await createTopics(a, [{ topic: output, partitions: 1 }]);
    const t = transport(brokers!);
    const producer = t.transactionalProducer(uniqueName('eos-big'));
    try {
      const messages = Array.from({ length: 3_000 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ data: { seq: i }, pad: 'x'.repeat(1_000) }) }));
      await producer.commitTransaction({ messages: [{ topic: output, messages }], groupId, offsets: [{ topic: output, partition: 0, offset: '42' }] });
    } finally {
      await producer.disconnect();
    }
    expect((await readTopic(output, false, 3_000, 500)).length).toBe(3_000);
    expect(await t.committedOffsets(groupId, [{ topic: output, partition: 0 }])).toEqual([{ topic: output, partition: 0, offset: '42' }]);
  }, 60_000);
});
