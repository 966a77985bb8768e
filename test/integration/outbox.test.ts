/**
 * The outbox relay against the real broker and PostgreSQL, with relay *processes*: per-key order with three relays
 * publishing concurrently, and a relay SIGKILLed mid-run (nothing lost, duplicates within the documented bound of one
 * claim batch: batchKeys × rowsPerKey).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxWriter } from '../../templates/outbox/writer.js';
import { kafkaBrokers, skipReason, uniqueName } from '../support/kafka.js';
import { migratedPool, PG_URL, pgProblem, uniqueSchema } from '../outbox/support.js';
import { admin, createTopics, readAll, recordCount, TickEvent, waitFor } from './helpers.js';

const brokers = await kafkaBrokers();
const pgDown = await pgProblem();
const reason = skipReason() || (brokers ? '' : 'no broker') || pgDown;
if (reason) console.warn(`outbox integration skipped: ${reason}`);

function startRelay(schema: string, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/integration/outbox/relay-process.ts'], {
    cwd: process.cwd(),
    env: { ...process.env, PG_URL, OUTBOX_SCHEMA: schema, KAFKA_BROKERS: brokers ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`relay exited with ${code}`)));
  });
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  );
}

const KEYS = 20;
const PER_KEY = 100;
const TOTAL = KEYS * PER_KEY;

/** Inserts PER_KEY ticks per key, sequential per key, 50 per transaction, keys interleaved at random. */
async function insertAll(pool: import('pg').Pool, schema: string, topic: string): Promise<void> {
  const next = new Array<number>(KEYS).fill(0);
  let left = TOTAL;
  while (left > 0) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const writer = new OutboxWriter(client, { schema, source: 'it' });
      for (let i = 0; i < 50 && left > 0; i++) {
        let k = Math.floor(Math.random() * KEYS);
        while ((next[k] as number) >= PER_KEY) k = (k + 1) % KEYS;
        await writer.insert(topic, TickEvent, { key: `key-${k}`, seq: next[k] as number });
        next[k] = (next[k] as number) + 1;
        left--;
      }
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  }
}

/** Per key, the seq values in topic order, first occurrence of each eventId only; and the duplicate count. */
function sequences(records: Awaited<ReturnType<typeof readAll>>): { byKey: Map<string, number[]>; duplicates: number } {
  const seen = new Set<string>();
  const byKey = new Map<string, number[]>();
  let duplicates = 0;
  for (const r of [...records].sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset))) {
    const env = JSON.parse(String(r.value)) as { metadata: { eventId: string }; data: { key: string; seq: number } };
    if (seen.has(env.metadata.eventId)) {
      duplicates++;
      continue;
    }
    seen.add(env.metadata.eventId);
    byKey.set(env.data.key, [...(byKey.get(env.data.key) ?? []), env.data.seq]);
  }
  return { byKey, duplicates };
}

const expected = Array.from({ length: PER_KEY }, (_, i) => i);

describe.skipIf(reason !== '')('outbox relay processes on Kafka + PostgreSQL', () => {
  const schema = uniqueSchema('eg_outbox_it');
  let db: Awaited<ReturnType<typeof migratedPool>>;
  beforeAll(async () => {
    db = await migratedPool(schema);
  });
  afterAll(async () => {
    await db?.drop();
  });

  const published = async (): Promise<number> => (await db.pool.query(`SELECT count(*)::int AS n FROM "${schema}".eventgen_outbox WHERE status = 'published'`)).rows[0].n;

  it('3 relay processes: every row published once, per key exactly in insert order', async () => {
    const topic = uniqueName('outbox-order');
    const a = await admin(brokers as string);
    await createTopics(a, [{ topic, partitions: 6 }]);
    await db.pool.query(`DELETE FROM "${schema}".eventgen_outbox`);
    const relays = await Promise.all([startRelay(schema), startRelay(schema), startRelay(schema)]);
    try {
      await insertAll(db.pool, schema, topic);
      await waitFor(async () => (await published()) === TOTAL, 120_000, () => 'all rows published');
      const count = await recordCount(a, topic);
      expect(count).toBe(TOTAL); // nothing duplicated
      const { byKey, duplicates } = sequences(await readAll(brokers as string, topic, TOTAL, 60_000));
      expect(duplicates).toBe(0);
      expect(byKey.size).toBe(KEYS);
      for (const [key, seqs] of byKey) expect(seqs, key).toEqual(expected);
    } finally {
      await stopAll(relays);
      await a.disconnect();
    }
  });

  it('SIGKILL of one relay mid-run: nothing lost, duplicates within one claim batch, per-key order after dedup by eventId', async () => {
    const topic = uniqueName('outbox-kill');
    const a = await admin(brokers as string);
    await createTopics(a, [{ topic, partitions: 6 }]);
    await db.pool.query(`DELETE FROM "${schema}".eventgen_outbox`);
    const small = { BATCH_KEYS: '10', ROWS_PER_KEY: '10' };
    const bound = 10 * 10;
    const relays = await Promise.all([startRelay(schema, small), startRelay(schema, small), startRelay(schema, small)]);
    try {
      const inserting = insertAll(db.pool, schema, topic);
      await waitFor(async () => (await published()) >= TOTAL * 0.3, 120_000, () => '30% published');
      (relays[0] as ChildProcess).kill('SIGKILL');
      await inserting;
      await waitFor(async () => (await published()) === TOTAL, 120_000, () => 'all rows published');
      const count = await recordCount(a, topic);
      expect(count).toBeGreaterThanOrEqual(TOTAL);
      expect(count - TOTAL).toBeLessThanOrEqual(bound);
      const { byKey, duplicates } = sequences(await readAll(brokers as string, topic, count, 60_000));
      expect(duplicates).toBe(count - TOTAL);
      for (const [key, seqs] of byKey) expect(seqs, key).toEqual(expected);
      expect(byKey.size).toBe(KEYS);
      console.info(`outbox SIGKILL: ${count - TOTAL} duplicate record(s) (bound ${bound})`);
    } finally {
      await stopAll(relays);
      await a.disconnect();
    }
  });
});
