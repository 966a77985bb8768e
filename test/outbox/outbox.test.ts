/**
 * The outbox against a real PostgreSQL (127.0.0.1:5432, db `test`, a schema per run) with a fake Kafka producer:
 * the migration, the generated typed outbox producers in a transaction, the relay's poison-row handling and its
 * LISTEN → polling fallback. Multi-process ordering and SIGKILL against a real broker: test/integration/outbox.test.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../generator/index.js';
import { MIGRATION_TEMPLATE, renderMigration } from '../../generator/emit/outbox/migration.js';
import { createOutboxRelay, type OutboxRelay } from '../../templates/outbox/relay.js';
import { OutboxWriter, type OutboxReceipt } from '../../templates/outbox/writer.js';
import { PgProcessedStore } from '../../templates/outbox/processed-store.js';
import { createLogger, Metrics, SendError, type TopicMessages, type TransportProducer } from '../../templates/runtime/index.js';
import { TickEvent } from '../integration/helpers.js';
import { fixturePath, ROOT, writeTree } from '../support/tree.js';
import { migratedPool, pgProblem, uniqueSchema } from './support.js';

const problem = await pgProblem();
if (problem) console.warn(`test/outbox skipped: ${problem}`);

/** A producer that records what it sends; `fail(key)` makes every send containing that key fail. */
function fakeProducer(): TransportProducer & { sent: Array<{ topic: string; key: string | null; eventId: string }>; failing: Set<string> } {
  const sent: Array<{ topic: string; key: string | null; eventId: string }> = [];
  const failing = new Set<string>(); // `<key>/<seq>` of the Tick records refused
  return {
    sent,
    failing,
    connect: async () => undefined,
    disconnect: async () => undefined,
    async send(batch: readonly TopicMessages[]) {
      for (const t of batch) {
        for (const m of t.messages) {
          const tick = JSON.parse(String(m.value)).data as { key: string; seq: number };
          if (failing.has(`${tick.key}/${tick.seq}`)) throw new SendError('record refused', 'INVALID_RECORD');
        }
      }
      const out = [];
      for (const t of batch) {
        for (const m of t.messages) {
          const h = m.headers?.['event-id'];
          sent.push({ topic: t.topic, key: typeof m.key === 'string' ? m.key : null, eventId: typeof h === 'string' ? h : '' });
          out.push({ topic: t.topic, partition: 0, offset: String(sent.length - 1) });
        }
      }
      return out;
    },
  };
}

const waitFor = async (check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> => {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - t0;
};

describe.skipIf(problem !== '')('outbox on PostgreSQL', () => {
  const schema = uniqueSchema();
  let db: Awaited<ReturnType<typeof migratedPool>>;
  const quiet = createLogger({ level: 'error', write: () => undefined });
  beforeAll(async () => {
    db = await migratedPool(schema);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('migration: outbox/migration.sql, OUTBOX_MIGRATION and outboxMigration(names) are the same SQL, and it runs twice', async () => {
    const result = await generate(path.relative(ROOT, fixturePath('minimal')), { cwd: ROOT, services: ['outbox'], docs: false });
    const dir = writeTree('outbox-minimal', result.files);
    const sql = readFileSync(path.join(dir, 'outbox/migration.sql'), 'utf8').split('\n').slice(1).join('\n');
    const mod = (await import(path.join(dir, 'outbox/migration.ts'))) as { OUTBOX_MIGRATION: string; outboxMigration(o: { schema?: string }): string };
    expect(mod.OUTBOX_MIGRATION).toBe(sql);
    expect(mod.outboxMigration({ schema })).toBe(renderMigration(MIGRATION_TEMPLATE, { schema }));
    await db.pool.query(mod.outboxMigration({ schema })); // idempotent
  });

  it('generated createOutboxProducers: outbox row and business row commit together; a rollback leaves neither', async () => {
    const result = await generate(path.relative(ROOT, fixturePath('minimal')), { cwd: ROOT, services: ['outbox'], docs: false });
    const dir = writeTree('outbox-minimal-tx', result.files);
    const { createOutboxProducers } = (await import(path.join(dir, 'outbox/producers.ts'))) as { createOutboxProducers: (client: unknown, options: { schema: string }) => { usersV1: { userSignedUp(data: { userId: string; email: string }): Promise<OutboxReceipt> } } }; // the generated module (written by this test; its own types are checked by test/compile.test.ts)
    await db.pool.query(`CREATE TABLE "${schema}".users (id text PRIMARY KEY)`);
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO "${schema}".users VALUES ('u1')`);
      const receipt = await createOutboxProducers(client, { schema }).usersV1.userSignedUp({ userId: 'u1', email: 'a@example.com' });
      await client.query('COMMIT');
      const rows = (await db.pool.query(`SELECT * FROM "${schema}".eventgen_outbox WHERE event_id = $1`, [receipt.eventId])).rows;
      expect(rows).toHaveLength(1);
      const envelope = JSON.parse(rows[0].value);
      expect(envelope.metadata).toMatchObject({ eventId: receipt.eventId, eventType: 'user.signed-up', partitionKey: receipt.key, source: expect.any(String) });
      expect(rows[0].headers['event-id']).toBe(receipt.eventId);
      expect(rows[0]).toMatchObject({ topic: receipt.topic, key: receipt.key, ordering_key: receipt.key ?? `\u0001${receipt.eventId}`, status: 'pending' });

      await client.query('BEGIN');
      await client.query(`INSERT INTO "${schema}".users VALUES ('u2')`);
      const rolled = await createOutboxProducers(client, { schema }).usersV1.userSignedUp({ userId: 'u2', email: 'b@example.com' });
      await client.query('ROLLBACK');
      expect((await db.pool.query(`SELECT 1 FROM "${schema}".eventgen_outbox WHERE event_id = $1`, [rolled.eventId])).rowCount).toBe(0);
      expect((await db.pool.query(`SELECT 1 FROM "${schema}".users WHERE id = 'u2'`)).rowCount).toBe(0);

      // An invalid payload is refused before anything is written.
      await client.query('BEGIN');
      await expect(createOutboxProducers(client, { schema }).usersV1.userSignedUp({ userId: 'u3' } as never)).rejects.toMatchObject({ name: 'EventValidationError' });
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    await db.pool.query(`DELETE FROM "${schema}".eventgen_outbox`);
  });

  it('a poison head row blocks only its key, is parked after maxAttempts, and is reported (log, metric, health)', async () => {
    const producer = fakeProducer();
    producer.failing.add('bad/0');
    const writer = new OutboxWriter(db.pool, { schema, source: 'test' });
    for (let seq = 0; seq < 5; seq++) for (const key of ['a', 'bad', 'b']) await writer.insert('t.poison', TickEvent, { key, seq });
    const lines: string[] = [];
    const metrics = new Metrics();
    const relay = createOutboxRelay({ pool: db.pool, producer, schema, metrics, maxAttempts: 3, backoff: { initialMs: 20, maxMs: 50 }, pollIntervalMs: 50, logger: createLogger({ level: 'warn', write: (l) => lines.push(l) }) });
    await relay.start();
    try {
      await waitFor(() => producer.sent.length >= 10 + 4, 10_000, 'other keys and the rest of key bad published');
      const byKey = (k: string) => producer.sent.filter((s) => s.key === k).length;
      expect(byKey('a')).toBe(5);
      expect(byKey('b')).toBe(5);
      const parked = (await db.pool.query(`SELECT event_id, attempts, last_error FROM "${schema}".eventgen_outbox WHERE status = 'parked'`)).rows;
      expect(parked).toHaveLength(1);
      expect(parked[0].attempts).toBe(3);
      expect(parked[0].last_error).toContain('record refused');
      await relay.sample();
      expect(relay.health()).toMatchObject({ parked: 1, pending: 0 });
      expect(metrics.get('outbox_parked')).toBe(1);
      expect(metrics.toPrometheus()).toMatch(/eventgen_outbox_parked_rows\{table="[^"]+"\} 1/);
      expect(lines.some((l) => l.includes('parked'))).toBe(true);
    } finally {
      await relay.stop();
    }
    await db.pool.query(`DELETE FROM "${schema}".eventgen_outbox`);
  });

  it('a backing-off key whose rows fill the claim window does not stall keys behind it (the complete scan finds them)', async () => {
    const producer = fakeProducer();
    producer.failing.add('hot/0');
    const writer = new OutboxWriter(db.pool, { schema, source: 'test' });
    // 1,200 rows of one key first (the window is 1,000 rows at batchKeys 2), then two other keys.
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      const tx = new OutboxWriter(client, { schema, source: 'test' });
      for (let seq = 0; seq < 1_200; seq++) await tx.insert('t.window', TickEvent, { key: 'hot', seq });
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    for (let seq = 0; seq < 3; seq++) for (const key of ['x', 'y']) await writer.insert('t.window', TickEvent, { key, seq });
    const relay = createOutboxRelay({ pool: db.pool, producer, schema, batchKeys: 2, rowsPerKey: 10, maxAttempts: 100, backoff: { initialMs: 60_000, maxMs: 60_000 }, pollIntervalMs: 50, logger: quiet });
    await relay.start();
    try {
      await waitFor(() => producer.sent.filter((s) => s.key !== 'hot').length >= 6, 10_000, 'keys behind the blocked window published');
      expect(producer.sent.filter((s) => s.key === 'x').map((s) => s.eventId)).toHaveLength(3);
      expect(producer.sent.filter((s) => s.key === 'hot')).toEqual([]);
    } finally {
      await relay.stop();
    }
    await db.pool.query(`DELETE FROM "${schema}".eventgen_outbox`);
  });

  it('LISTEN wakes the relay at once; with the listener terminated, polling still publishes within its interval', async () => {
    const producer = fakeProducer();
    const writer = new OutboxWriter(db.pool, { schema, source: 'test' });
    const pollIntervalMs = 1500;
    const relay = createOutboxRelay({ pool: db.pool, producer, schema, pollIntervalMs, listenReconnectMs: 60_000, logger: quiet });
    await relay.start();
    try {
      await waitFor(() => relay.health().listening, 5000, 'listening');
      await new Promise((r) => setTimeout(r, 100));
      await writer.insert('t.listen', TickEvent, { key: 'k', seq: 0 });
      const notified = await waitFor(() => producer.sent.length === 1, 5000, 'first publish');
      expect(notified).toBeLessThan(pollIntervalMs / 2);

      const killed = await db.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1 AND datname = current_database()`, [`LISTEN "${schema}.eventgen_outbox"`]);
      expect(killed.rowCount).toBe(1);
      await waitFor(() => !relay.health().listening, 5000, 'listener lost');
      await new Promise((r) => setTimeout(r, 200));
      await writer.insert('t.listen', TickEvent, { key: 'k', seq: 1 });
      const polled = await waitFor(() => producer.sent.length === 2, pollIntervalMs + 2000, 'publish by polling');
      expect(polled).toBeLessThanOrEqual(pollIntervalMs + 500);
      expect(relay.health().listening).toBe(false);
    } finally {
      await relay.stop();
    }
    await db.pool.query(`DELETE FROM "${schema}".eventgen_outbox`);
  });

  it("mode 'single-active': one relay publishes, the other stands by and takes over when the first stops", async () => {
    const writer = new OutboxWriter(db.pool, { schema, source: 'test' });
    const first = fakeProducer();
    const second = fakeProducer();
    const a = createOutboxRelay({ pool: db.pool, producer: first, schema, mode: 'single-active', pollIntervalMs: 100, logger: quiet });
    const b = createOutboxRelay({ pool: db.pool, producer: second, schema, mode: 'single-active', pollIntervalMs: 100, logger: quiet });
    await a.start();
    await waitFor(() => a.health().status === 'running', 5000, 'a active');
    await b.start();
    try {
      await waitFor(() => b.health().status === 'standby', 5000, 'b standby');
      for (let seq = 0; seq < 10; seq++) await writer.insert('t.single', TickEvent, { key: `k${seq % 2}`, seq });
      await waitFor(() => first.sent.length === 10, 5000, 'a publishes');
      expect(second.sent).toHaveLength(0);
      await a.stop();
      for (let seq = 10; seq < 20; seq++) await writer.insert('t.single', TickEvent, { key: `k${seq % 2}`, seq });
      await waitFor(() => second.sent.length === 10, 5000, 'b took over');
      expect(b.health().status).toBe('running');
    } finally {
      await a.stop();
      await b.stop();
    }
    await db.pool.query(`DELETE FROM "${schema}".eventgen_outbox`);
  });

  it('cleanup deletes published rows past the retention, in batches', async () => {
    const producer = fakeProducer();
    const writer = new OutboxWriter(db.pool, { schema, source: 'test' });
    for (let seq = 0; seq < 25; seq++) await writer.insert('t.clean', TickEvent, { key: `k${seq % 3}`, seq });
    const relay = createOutboxRelay({ pool: db.pool, producer, schema, retentionMs: 0, cleanup: { batchSize: 10 }, logger: quiet });
    expect(await relay.drain()).toBe(25);
    expect(await relay.cleanup()).toBe(25);
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM "${schema}".eventgen_outbox`)).rows[0].n).toBe(0);
  });

  describe('PgProcessedStore', () => {
    it('reports a duplicate eventId of the same group as seen; other groups are independent', async () => {
      const store = new PgProcessedStore({ pool: db.pool, schema });
      expect(await store.claim('g1', ['e1', 'e2'], 'owner-a', 30_000)).toEqual(['acquired', 'acquired']);
      expect(await store.claim('g1', ['e1'], 'owner-b', 30_000)).toEqual(['held']);
      await store.complete('g1', ['e1']);
      expect(await store.claim('g1', ['e1', 'e2'], 'owner-b', 30_000)).toEqual(['done', 'held']);
      expect(await store.claim('g2', ['e1'], 'owner-b', 30_000)).toEqual(['acquired']);
      await store.release('g1', ['e2'], 'owner-a');
      expect(await store.claim('g1', ['e2'], 'owner-b', 30_000)).toEqual(['acquired']);
      expect(await store.isProcessed('g1', 'e1')).toBe(true);
    });

    it('markProcessedIn inside the handler transaction: a rollback leaves it unmarked, a commit marks it once', async () => {
      const store = new PgProcessedStore({ pool: db.pool, schema });
      const client = await db.pool.connect();
      try {
        await client.query('BEGIN');
        expect(await store.markProcessedIn(client, 'g3', 'e9')).toBe(true);
        await client.query('ROLLBACK');
        expect(await store.isProcessed('g3', 'e9')).toBe(false);
        await client.query('BEGIN');
        expect(await store.markProcessedIn(client, 'g3', 'e9')).toBe(true);
        await client.query('COMMIT');
        await client.query('BEGIN');
        expect(await store.markProcessedIn(client, 'g3', 'e9')).toBe(false); // duplicate: seen
        await client.query('COMMIT');
        // A lease taken by the consumer does not count as done.
        await store.claim('g3', ['e10'], 'owner', 30_000);
        expect(await store.markProcessedIn(client, 'g3', 'e10')).toBe(true);
      } finally {
        client.release();
      }
    });
  });
});
