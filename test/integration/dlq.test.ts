/**
 * `gen dlq` on a real broker: list/show over a DLQ with three failure kinds; a filtered replay interrupted at
 * `--limit` and rerun moves exactly the matching records, once; the loop guard stops a record that keeps failing;
 * purge; located errors. Every run uses its own topic names.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type Io } from '../../generator/cli.js';
import { DlqSession, endOffsets, makeFilter, replay } from '../../generator/dlq/engine.js';
import { topicsConnectionFromEnv } from '../../templates/runtime/topics-admin.js';
import {
  buildDeadLetterMessage,
  decodeHeaders,
  encodeEnvelope,
  envelopeHeaders,
  EventValidationError,
  UnknownEventTypeError,
  type ConsumedRecord,
  type DeadLetterReason,
  type Envelope,
  type OutgoingMessage,
} from '../../templates/runtime/index.js';
import { kafkaBrokers, skipReason, uniqueName } from '../support/kafka.js';
import { FIXTURES } from '../support/tree.js';

const brokers = await kafkaBrokers();
const skip = !brokers;
if (skip) process.stderr.write(`dlq integration tests SKIPPED: ${skipReason() || 'no broker'}\n`);

const prefix = uniqueName('egdlq');
const ORIGINAL = `${prefix}.orders`;
const DLQ = `${prefix}.orders.dlq`;
const TARGET = `${prefix}.replayed`;
const LOOP_DLQ = `${prefix}.loop.dlq`;
const LOOP_TARGET = `${prefix}.loop`;

let session: DlqSession;
let producer: kafkajs.Producer;

async function gen(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`), cwd: process.cwd(), color: false };
  const code = await main(['dlq', ...argv, '--brokers', brokers ?? ''], io);
  return { code, out, err };
}

function envelope(i: number, eventType: string): Envelope {
  return {
    metadata: { eventId: `ev-${i}`, eventType, eventVersion: '1.0.0', correlationId: `c-${i}`, timestamp: new Date().toISOString(), source: 'test', dataClassification: 'internal', partitionKey: `k${i}` },
    data: { n: i },
  };
}

const KINDS: Array<{ type: string; reason: DeadLetterReason; group: string; error: () => Error; retriable: boolean }> = [
  { type: 'order.created', reason: 'validation', group: 'billing', error: () => new EventValidationError('order.created', []), retriable: false },
  { type: 'order.paid', reason: 'retries-exhausted', group: 'shipping', error: () => new Error('db down'), retriable: true },
  { type: 'order.weird', reason: 'unknown-event-type', group: 'billing', error: () => new UnknownEventTypeError('order.weird', ORIGINAL), retriable: false },
];

function deadLetterOf(record: ConsumedRecord, kind: (typeof KINDS)[number]): OutgoingMessage {
  return buildDeadLetterMessage({ record, groupId: kind.group, reason: kind.reason, error: kind.error(), attempts: kind.retriable ? 4 : 1, correlationId: 'c' });
}

async function produce(topic: string, messages: OutgoingMessage[]): Promise<void> {
  await producer.send({ topic, acks: -1, messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers as kafkajs.IHeaders, partition: 0 })) });
}

/** Every record of `topic` now. */
async function readAll(topic: string): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  await session.scan(topic, { end: await endOffsets(session, topic) }, async (records) => void out.push(...records));
  return out;
}

describe.skipIf(skip)('gen dlq (real broker)', () => {
  beforeAll(async () => {
    session = await DlqSession.connect(topicsConnectionFromEnv({ KAFKA_BROKERS: brokers }).config);
    await session.admin.createTopics({
      waitForLeaders: true,
      topics: [ORIGINAL, DLQ, TARGET, LOOP_DLQ, LOOP_TARGET].map((topic) => ({ topic, numPartitions: topic === DLQ ? 2 : 1, replicationFactor: 1 })),
    });
    producer = session.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    // 30 dead letters, 10 of each kind, interleaved, spread over the DLQ's 2 partitions.
    const messages: Array<{ partition: number; m: OutgoingMessage }> = [];
    for (let i = 0; i < 30; i++) {
      const kind = KINDS[i % 3]!;
      const env = envelope(i, kind.type);
      const record: ConsumedRecord = { topic: ORIGINAL, partition: 0, offset: String(i), key: Buffer.from(`k${i}`), value: encodeEnvelope(env), headers: envelopeHeaders(env.metadata), timestamp: String(Date.now()) };
      messages.push({ partition: i % 2, m: deadLetterOf(record, kind) });
    }
    await producer.send({ topic: DLQ, acks: -1, messages: messages.map(({ partition, m }) => ({ partition, key: m.key, value: m.value, headers: m.headers as kafkajs.IHeaders })) });
  });

  afterAll(async () => {
    await producer?.disconnect().catch(() => undefined);
    await session?.admin.deleteTopics({ topics: [ORIGINAL, DLQ, TARGET, LOOP_DLQ, LOOP_TARGET] }).catch(() => undefined);
    await session?.close();
  });

  it('list counts by event type, reason, group and age (table and --json)', async () => {
    const json = await gen('list', '--topic', DLQ, '--json');
    expect(json.err).toBe('');
    expect(json.code).toBe(0);
    const [s] = JSON.parse(json.out).topics;
    expect(s.topic).toBe(DLQ);
    expect(s.total).toBe(30);
    expect(s.byEventType).toEqual({ 'order.created': 10, 'order.paid': 10, 'order.weird': 10 });
    expect(s.byReason).toEqual({ validation: 10, 'retries-exhausted': 10, 'unknown-event-type': 10 });
    expect(s.byGroup).toEqual({ billing: 20, shipping: 10 });
    expect(s.byAge['< 1h']).toBe(30);
    const table = await gen('list', '--topic', DLQ, '--reason', 'validation');
    expect(table.code).toBe(0);
    expect(table.out).toContain(`${DLQ}: 10 dead letters`);
    expect(table.out).toMatch(/order\.created\s+10/);
    expect(table.out).not.toContain('order.paid');
  });

  it('show prints the decoded envelope, payload, failure headers and stack', async () => {
    // Record 1 (order.paid, retries-exhausted) is the first record of partition 1.
    const text = await gen('show', DLQ, '1', '0');
    expect(text.code).toBe(0);
    expect(text.out).toContain(`original      ${ORIGINAL} partition 0 offset 1`);
    expect(text.out).toContain('reason        retries-exhausted');
    expect(text.out).toContain('group         shipping');
    expect(text.out).toContain('Error: db down');
    expect(text.out).toContain('"n": 1');
    expect(text.out).toContain('stack');
    const json = JSON.parse((await gen('show', DLQ, '0', '0', '--json')).out);
    expect(json.eventId).toBe('ev-0');
    expect(json.failure.reason).toBe('validation');
    expect(json.payload).toEqual({ n: 0 });
    expect(json.stack).toContain('EventValidationError');
    const missing = await gen('show', DLQ, '0', '999');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('has no record at offset 999');
  });

  it('a filtered replay stopped at --limit and rerun moves exactly the matching records, once', async () => {
    const dry = await gen('replay', '--topic', DLQ, '--reason', 'retries-exhausted', '--to', TARGET, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.out.match(/^would replay /gm)?.length).toBe(10);
    expect(await readAll(TARGET)).toHaveLength(0);

    const first = await gen('replay', '--topic', DLQ, '--reason', 'retries-exhausted', '--to', TARGET, '--limit', '4', '--batch', '2');
    expect(first.code).toBe(0);
    expect(first.out).toContain('stopped at --limit');
    expect(await readAll(TARGET)).toHaveLength(4);
    const rerun = await gen('replay', '--topic', DLQ, '--reason', 'retries-exhausted', '--to', TARGET, '--batch', '3');
    expect(rerun.code).toBe(0);
    expect(rerun.out).toContain('replayed 6 of 6 matching');
    const again = await gen('replay', '--topic', DLQ, '--reason', 'retries-exhausted', '--to', TARGET);
    expect(again.out).toContain('replayed 0 of 0 matching');

    const target = await readAll(TARGET);
    expect(target).toHaveLength(10);
    const from = target.map((r) => decodeHeaders(r.headers)['replayed-from']);
    expect(new Set(from).size).toBe(10); // each DLQ record once
    for (const r of target) {
      const h = decodeHeaders(r.headers);
      expect(h['event-type']).toBe('order.paid');
      expect(h['replay-count']).toBe('1');
      expect(Object.keys(h).filter((k) => k.startsWith('dlq-'))).toEqual([]);
      expect(JSON.parse(r.value!.toString()).metadata.eventId).toBe(h['event-id']); // eventId kept: dedup still works
    }
    expect(new Set(target.map((r) => decodeHeaders(r.headers)['event-id']))).toEqual(new Set([1, 4, 7, 10, 13, 16, 19, 22, 25, 28].map((i) => `ev-${i}`)));
  });

  it('a replay over many small fetches, interrupted by an abort mid-way and rerun, moves each matching record once', async () => {
    const BIG = `${prefix}.big.dlq`;
    const BIG_TARGET = `${prefix}.big`;
    await session.admin.createTopics({ waitForLeaders: true, topics: [BIG, BIG_TARGET].map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })) });
    try {
      const messages: OutgoingMessage[] = [];
      for (let i = 0; i < 600; i++) {
        const kind = KINDS[i % 3]!;
        const env = envelope(1000 + i, kind.type);
        messages.push(deadLetterOf({ topic: ORIGINAL, partition: 0, offset: String(i), key: null, value: encodeEnvelope(env), headers: envelopeHeaders(env.metadata), timestamp: String(Date.now()) }, kind));
      }
      for (let i = 0; i < messages.length; i += 100) await produce(BIG, messages.slice(i, i + 100));
      // 4 KiB fetches: dozens of fetches, so progress crosses batches; abort after ~60 records are replayed.
      const small = await DlqSession.connect(topicsConnectionFromEnv({ KAFKA_BROKERS: brokers }).config, { fetchBytes: 4096 });
      try {
        const filter = makeFilter({ eventTypes: ['order.created', 'order.weird'] });
        const abort = new AbortController();
        let seen = 0;
        const first = await replay(small, BIG, { filter, to: BIG_TARGET, maxReplays: 3, rate: 0, batch: 7, dryRun: false, signal: abort.signal, onRecord: () => void (++seen >= 60 && abort.abort()) });
        expect(first.stopped).toBe('interrupted');
        expect(first.replayed).toBeGreaterThan(0);
        expect(first.replayed).toBeLessThan(400);
        const second = await replay(small, BIG, { filter, to: BIG_TARGET, maxReplays: 3, rate: 0, batch: 7, dryRun: false });
        expect(second.stopped).toBe('done');
        expect(first.replayed + second.replayed).toBe(400);
      } finally {
        await small.close();
      }
      const target = await readAll(BIG_TARGET);
      expect(target).toHaveLength(400);
      const from = new Set(target.map((r) => decodeHeaders(r.headers)['replayed-from']));
      expect(from.size).toBe(400);
      expect(target.every((r) => decodeHeaders(r.headers)['event-type'] !== 'order.paid')).toBe(true);
    } finally {
      await session.admin.deleteTopics({ topics: [BIG, BIG_TARGET] }).catch(() => undefined);
    }
  });

  it('a replay process stopped by SIGINT and rerun moves each matching record once', async () => {
    const SIG = `${prefix}.sig.dlq`;
    const SIG_TARGET = `${prefix}.sig`;
    await session.admin.createTopics({ waitForLeaders: true, topics: [SIG, SIG_TARGET].map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })) });
    try {
      const messages: OutgoingMessage[] = [];
      for (let i = 0; i < 300; i++) {
        const kind = KINDS[i % 3]!;
        const env = envelope(5000 + i, kind.type);
        messages.push(deadLetterOf({ topic: ORIGINAL, partition: 0, offset: String(i), key: null, value: encodeEnvelope(env), headers: envelopeHeaders(env.metadata), timestamp: String(Date.now()) }, kind));
      }
      await produce(SIG, messages);
      const args = ['dlq', 'replay', '--topic', SIG, '--group', 'billing', '--to', SIG_TARGET, '--rate', '100/s', '--batch', '10', '--brokers', brokers ?? ''];
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/gen-cli.ts', ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      for (let i = 0; i < 200 && (await readAll(SIG_TARGET)).length < 30; i++) await new Promise((r) => setTimeout(r, 100));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(out).toContain('interrupted, rerun to continue');
      const partial = (await readAll(SIG_TARGET)).length;
      expect(partial).toBeGreaterThanOrEqual(30);
      expect(partial).toBeLessThan(200);
      const rerun = await gen('replay', '--topic', SIG, '--group', 'billing', '--to', SIG_TARGET);
      expect(rerun.code).toBe(0);
      const target = await readAll(SIG_TARGET);
      expect(target).toHaveLength(200); // kinds 0 and 2 are failed by billing
      expect(new Set(target.map((r) => decodeHeaders(r.headers)['replayed-from'])).size).toBe(200);
    } finally {
      await session.admin.deleteTopics({ topics: [SIG, SIG_TARGET] }).catch(() => undefined);
    }
  });

  it('the loop guard stops a record that keeps failing', async () => {
    const env = envelope(100, 'order.paid');
    let record: ConsumedRecord = { topic: LOOP_TARGET, partition: 0, offset: '0', key: null, value: encodeEnvelope(env), headers: envelopeHeaders(env.metadata), timestamp: String(Date.now()) };
    for (let cycle = 1; cycle <= 4; cycle++) {
      await produce(LOOP_DLQ, [deadLetterOf(record, KINDS[1]!)]); // the consumer fails it (again)
      const r = await gen('replay', '--topic', LOOP_DLQ, '--max-replays', '3');
      expect(r.code).toBe(0);
      const replayed = await readAll(LOOP_TARGET);
      if (cycle <= 3) {
        expect(replayed).toHaveLength(cycle);
        record = replayed[cycle - 1]!;
        expect(decodeHeaders(record.headers)['replay-count']).toBe(String(cycle));
      } else {
        expect(replayed).toHaveLength(3);
        expect(r.err).toContain('replayed 3 times already (--max-replays 3)');
        expect(r.out).toContain('skipped 1 at the loop guard');
      }
    }
  });

  it('errors are located and purge deletes only what deleteRecords can', async () => {
    const unknown = await gen('list', '--topic', `${prefix}.nope`);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain(`no such topic on the cluster: ${prefix}.nope`);
    const badReason = await gen('list', '--topic', DLQ, '--reason', 'oops');
    expect(badReason.code).toBe(2);
    expect(badReason.err).toContain('--reason "oops" is not a dead-letter reason');
    const badTime = await gen('list', '--topic', DLQ, '--since', 'yesterday-ish');
    expect(badTime.code).toBe(2);
    const refused = await gen('purge', '--topic', DLQ, '--reason', 'validation', '--yes');
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('Kafka cannot delete single records');
    const old = await gen('purge', '--topic', DLQ, '--until', '1d', '--dry-run'); // nothing was written a day ago
    expect(old.code).toBe(0);
    expect(old.out).toContain('would delete 0 records');
    const soon = await gen('purge', '--topic', DLQ, '--until', new Date(Date.now() + 60_000).toISOString(), '--dry-run');
    expect(soon.out).toContain('would delete 30 records');
    const dry = await gen('purge', '--topic', DLQ, '--dry-run');
    expect(dry.out).toContain('would delete 30 records');
    const purged = await gen('purge', '--topic', DLQ, '--yes');
    expect(purged.code).toBe(0);
    expect(purged.out).toContain('deleted 30 records');
    expect(JSON.parse((await gen('list', '--topic', DLQ, '--json')).out).topics[0].total).toBe(0);
  });

  it('without --topic: the catalog\'s dead-letter topics that exist on the cluster', async () => {
    const p = uniqueName('egdlqc');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'eventgen-dlq-'));
    const shared = `${p}.dead-letters.v1`;
    try {
      writeFileSync(path.join(dir, 'asyncapi.yaml'), readFileSync(path.join(FIXTURES, 'topics/asyncapi.yaml'), 'utf8').replaceAll('egtopics', p));
      await session.admin.createTopics({ waitForLeaders: true, topics: [{ topic: shared, numPartitions: 1, replicationFactor: 1 }] });
      const env = envelope(7, 'order.created');
      await produce(shared, [deadLetterOf({ topic: `${p}.payments.v1`, partition: 0, offset: '3', key: null, value: encodeEnvelope(env), headers: envelopeHeaders(env.metadata), timestamp: '0' }, KINDS[0]!)]);
      let out = '';
      let err = '';
      const code = await main(['dlq', 'list', '--catalog', 'asyncapi.yaml', '--json', '--brokers', brokers ?? ''], { out: (s) => (out += s), err: (s) => (err += s), cwd: dir, color: false });
      expect(err).toBe('');
      expect(code).toBe(0);
      const topics = JSON.parse(out).topics as Array<{ topic: string; total: number }>;
      expect(topics.map((t) => [t.topic, t.total])).toEqual([[shared, 1]]);
    } finally {
      await session.admin.deleteTopics({ topics: [shared] }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('no broker: exit 1 with the address', async () => {
    let err = '';
    const code = await main(['dlq', 'list', '--topic', 'x.dlq', '--brokers', '127.0.0.1:1'], { out: () => undefined, err: (s) => (err += s), cwd: process.cwd(), color: false });
    expect(code).toBe(1);
    expect(err).toContain('cannot reach the cluster (brokers 127.0.0.1:1)');
  });
});
