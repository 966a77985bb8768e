/**
 * RedisStatusStore on a real Redis (REDIS_URL, default redis://127.0.0.1:6379): the same behaviours as the
 * in-memory store (checked differentially on random update sequences), atomic monotonic updates from several
 * clients, PTTL per status, the key layout, and a timeout when Redis does not answer. Without Redis these tests
 * skip with one line; with REQUIRE_KAFKA=1 (CI: "a missing broker or Redis fails the run") they fail instead.
 */
import { createServer, type Server } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InMemoryStatusStore,
  MAX_STATUS_ERROR_LENGTH,
  RedisStatusStore,
  RedisTimeoutError,
  type EventStatusRecord,
  type StatusUpdate,
} from '../../templates/runtime/index.js';
import { redisAnswers } from '../../scripts/kafka/lib.mjs';
import { uniqueName } from '../support/kafka.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const target = new URL(url);
const available = await redisAnswers(Number(target.port || 6379), target.hostname || '127.0.0.1');
if (!available) {
  if (process.env.REQUIRE_KAFKA === '1') throw new Error(`REQUIRE_KAFKA=1 but no Redis answers at ${url} for the Redis status store tests`);
  console.log(`Redis status store tests SKIPPED: no Redis answers at ${url} (start redis-server or set REDIS_URL; REQUIRE_KAFKA=1 makes this a failure)`);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const up = (eventId: string, groupId: string, status: StatusUpdate['status'], attempts: number, extra: Partial<StatusUpdate> = {}): StatusUpdate => ({ eventId, groupId, status, attempts, at: 1_000, ...extra });
const event = (eventId: string, groups: string[] = ['billing', 'shipping']) => ({ eventId, eventType: 'order.created', topic: 'orders', groups, acceptedAt: 500 });
const TTLS = { inFlightMs: 300_000, processedMs: 100_000, failedMs: 200_000 };

/** A deterministic pseudo-random source, so a failing sequence can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

describe.skipIf(!available)('RedisStatusStore on a real Redis', () => {
  let redis: Redis;
  let prefix: string;
  const clients: Redis[] = [];
  const client = (): Redis => {
    const c = new Redis(url, { maxRetriesPerRequest: 1 });
    clients.push(c);
    return c;
  };
  const store = (options: Partial<ConstructorParameters<typeof RedisStatusStore>[0]> = {}): RedisStatusStore => new RedisStatusStore({ client: redis, keyPrefix: prefix, ttls: TTLS, ...options });

  beforeAll(() => {
    redis = client();
    prefix = `${uniqueName('eventgen-status-test')}:`;
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    for (const c of clients) c.disconnect();
  });

  it('pending: groups start PENDING in one hash per event; a second pending keeps what consumers wrote', async () => {
    const s = store();
    await s.pending(event('e1'));
    expect(await s.get('e1')).toEqual({
      eventId: 'e1',
      event: event('e1'),
      groups: { billing: { status: 'PENDING', attempts: 0, updatedAt: 500 }, shipping: { status: 'PENDING', attempts: 0, updatedAt: 500 } },
    });
    await s.update([up('e1', 'billing', 'PROCESSED', 1)]);
    await s.pending({ ...event('e1'), partition: 3, offset: '42' });
    const r = await s.get('e1');
    expect(r?.event).toMatchObject({ partition: 3, offset: '42' });
    expect(r?.groups['billing']).toEqual({ status: 'PROCESSED', attempts: 1, updatedAt: 1_000 });
    expect(r?.groups['shipping']?.status).toBe('PENDING');
    expect(await s.get('unknown')).toBeUndefined();
    // The documented layout: <prefix>status:<eventId> with `event` and `g:<groupId>`.
    const raw = await redis.hgetall(`${prefix}status:e1`);
    expect(Object.keys(raw).sort()).toEqual(['event', 'g:billing', 'g:shipping']);
    expect(JSON.parse(raw['g:billing'] as string)).toEqual({ status: 'PROCESSED', attempts: 1, updatedAt: 1_000 });
  });

  it('discard: forgets events whose groups are all still PENDING, keeps any a consumer reported on', async () => {
    const s = store();
    await s.pending(event('d1'));
    await s.pending(event('d2'));
    await s.update([up('d2', 'billing', 'PROCESSING', 1)]);
    await s.discard(['d1', 'd2', 'never-seen']);
    expect(await s.get('d1')).toBeUndefined();
    expect((await s.get('d2'))?.groups['billing']?.status).toBe('PROCESSING');
  });

  it('applies a batch monotonically per group in one call: late PROCESSING never overwrites PROCESSED; FAILED → DEAD_LETTERED', async () => {
    const s = store();
    const calls: string[] = [];
    const counting = new RedisStatusStore({
      client: { eval: (...a) => (calls.push('eval'), redis.eval(...(a as [string, number]))), hgetall: (k) => redis.hgetall(k), ping: () => redis.ping() },
      keyPrefix: prefix,
      ttls: TTLS,
    });
    await counting.update([
      up('m1', 'g', 'PROCESSING', 1),
      up('m1', 'g', 'RETRYING', 1, { nextAttemptAt: 2_000, lastError: 'boom' }),
      up('m1', 'g', 'PROCESSING', 2),
      up('m1', 'g', 'PROCESSED', 2),
      up('m1', 'g', 'PROCESSING', 1),
      up('m2', 'g', 'FAILED', 3, { lastError: 'bad', reason: 'handler-non-retriable' }),
      up('m2', 'g', 'DEAD_LETTERED', 3, { lastError: 'bad', reason: 'handler-non-retriable', deadLetter: { topic: 'orders.dlq', partition: 0, offset: '7' } }),
      up('m2', 'g', 'FAILED', 3),
    ]);
    expect(calls).toEqual(['eval']);
    expect((await s.get('m1'))?.groups).toEqual({ g: { status: 'PROCESSED', attempts: 2, updatedAt: 1_000 } });
    expect((await s.get('m2'))?.groups['g']).toEqual({ status: 'DEAD_LETTERED', attempts: 3, updatedAt: 1_000, lastError: 'bad', reason: 'handler-non-retriable', deadLetter: { topic: 'orders.dlq', partition: 0, offset: '7' } });
    await s.update([up('m3', 'g', 'RETRYING', 1, { nextAttemptAt: 9, lastError: 'x' })]);
    await s.update([up('m3', 'g', 'PROCESSING', 2)]);
    await s.update([up('m3', 'g', 'RETRYING', 1, { lastError: 'late' })]);
    expect((await s.get('m3'))?.groups['g']).toEqual({ status: 'PROCESSING', attempts: 2, updatedAt: 1_000 });
    await s.update([up('m3', 'g', 'PROCESSING', 2, { at: 5_000 })]); // the same status again: not later, kept as is
    expect((await s.get('m3'))?.groups['g']?.updatedAt).toBe(1_000);
    await s.pending(event('m3', ['g', 'other']));
    expect((await s.get('m3'))?.groups).toMatchObject({ g: { status: 'PROCESSING', attempts: 2 }, other: { status: 'PENDING' } });
  });

  it('decides like the in-memory store on random update sequences (the Lua rule is isLaterStatus)', async () => {
    // Mostly in-flight statuses, so groups stay open long enough for repeated, late and out-of-order updates.
    const statuses: StatusUpdate['status'][] = ['PROCESSING', 'PROCESSING', 'PROCESSING', 'RETRYING', 'RETRYING', 'RETRYING', 'PROCESSED', 'FAILED', 'DEAD_LETTERED'];
    const s = store();
    const memory = new InMemoryStatusStore({ ttls: TTLS });
    const random = rng(20_240_613);
    const ids = Array.from({ length: 25 }, (_, i) => `r${i}`);
    for (let round = 0; round < 40; round++) {
      const batch: StatusUpdate[] = [];
      for (let n = Math.floor(random() * 12); n >= 0; n--) {
        const id = ids[Math.floor(random() * ids.length)] as string;
        const u = up(id, random() < 0.5 ? 'a' : 'b', statuses[Math.floor(random() * statuses.length)] as StatusUpdate['status'], 1 + Math.floor(random() * 3), { at: round * 100 + n });
        if (u.status !== 'PROCESSING' && u.status !== 'PROCESSED') u.lastError = `error ${round}`;
        batch.push(u);
      }
      if (random() < 0.1) {
        const id = ids[Math.floor(random() * ids.length)] as string;
        await s.pending(event(id, ['a', 'b']));
        await memory.pending(event(id, ['a', 'b']));
      }
      await s.update(batch);
      await memory.update(batch);
    }
    const all = async (st: { get(id: string): Promise<EventStatusRecord | undefined> }) => Promise.all(ids.map((id) => st.get(id)));
    expect(await all(s)).toEqual(await all(memory));
  });

  it('concurrent updates from several clients end at the most advanced status', async () => {
    const stores = Array.from({ length: 4 }, () => new RedisStatusStore({ client: client(), keyPrefix: prefix, ttls: TTLS }));
    const sequence = (id: string): StatusUpdate[] => [
      up(id, 'g', 'PROCESSING', 1),
      up(id, 'g', 'RETRYING', 1, { lastError: 'one' }),
      up(id, 'g', 'PROCESSING', 2),
      up(id, 'g', 'RETRYING', 2, { lastError: 'two' }),
      up(id, 'g', 'PROCESSING', 3),
      up(id, 'g', 'FAILED', 3, { lastError: 'three', reason: 'retries-exhausted' }),
      up(id, 'g', 'DEAD_LETTERED', 3, { lastError: 'three', reason: 'retries-exhausted', deadLetter: { topic: 'orders.dlq' } }),
    ];
    const ids = Array.from({ length: 30 }, (_, i) => `c${i}`);
    const random = rng(7);
    // Every client sends every step of every event, one update per call, in its own shuffled order, all at once.
    await Promise.all(
      stores.map((st) => {
        const updates = ids.flatMap((id) => sequence(id));
        for (let i = updates.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [updates[i], updates[j]] = [updates[j] as StatusUpdate, updates[i] as StatusUpdate];
        }
        return Promise.all(updates.map((u) => st.update([u])));
      }),
    );
    for (const id of ids) expect((await stores[0]?.get(id))?.groups['g']).toMatchObject({ status: 'DEAD_LETTERED', attempts: 3, deadLetter: { topic: 'orders.dlq' } });
  });

  it('sets PTTL to the TTL of the most telling status, renewed on each change', async () => {
    const s = store();
    const pttl = (id: string): Promise<number> => redis.pttl(`${prefix}status:${id}`);
    const near = (value: number, ttl: number): void => {
      expect(value).toBeLessThanOrEqual(ttl);
      expect(value).toBeGreaterThan(ttl - 5_000);
    };
    await s.pending(event('t1', ['a', 'b']));
    near(await pttl('t1'), TTLS.inFlightMs);
    await s.update([up('t1', 'a', 'PROCESSED', 1)]);
    near(await pttl('t1'), TTLS.inFlightMs); // b is still pending
    await s.update([up('t1', 'b', 'PROCESSED', 1)]);
    near(await pttl('t1'), TTLS.processedMs);
    await s.update([up('t2', 'a', 'RETRYING', 1), up('t3', 'a', 'FAILED', 1), up('t4', 'a', 'PROCESSED', 1), up('t4', 'b', 'DEAD_LETTERED', 1)]);
    near(await pttl('t2'), TTLS.inFlightMs);
    near(await pttl('t3'), TTLS.failedMs);
    near(await pttl('t4'), TTLS.failedMs);
    // An update that is not later changes nothing, not even the TTL.
    await redis.pexpire(`${prefix}status:t1`, 50_000);
    await s.update([up('t1', 'a', 'PROCESSING', 2)]);
    near(await pttl('t1'), 50_000);
    // And records do expire.
    const short = store({ ttls: { inFlightMs: 60_000, processedMs: 50, failedMs: 60_000 } });
    await short.update([up('t5', 'a', 'PROCESSED', 1)]);
    expect(await short.get('t5')).toBeDefined();
    await sleep(120);
    expect(await short.get('t5')).toBeUndefined();
  });

  it('bounds lastError before storing and keeps odd group ids as data', async () => {
    const s = store();
    await s.update([up('b1', '__proto__', 'FAILED', 1, { lastError: 'x'.repeat(50_000) })]);
    const r = await s.get('b1');
    expect(Object.keys(r?.groups ?? {})).toEqual(['__proto__']);
    expect(r?.groups['__proto__']?.lastError).toHaveLength(MAX_STATUS_ERROR_LENGTH);
    expect((await redis.hget(`${prefix}status:b1`, 'g:__proto__'))?.length).toBeLessThan(MAX_STATUS_ERROR_LENGTH + 200);
  });

  it('idempotency keys: new, in-progress, mismatch, done; takeover after the lease keeps the event id; release', async () => {
    const s = store();
    expect(await s.reserveIdempotencyKey('k', 'h1', 'id-1', 150)).toEqual({ kind: 'new', eventId: 'id-1' });
    expect(await s.reserveIdempotencyKey('k', 'h1', 'id-2', 150)).toEqual({ kind: 'in-progress' });
    expect(await s.reserveIdempotencyKey('k', 'h2', 'id-2', 150)).toEqual({ kind: 'mismatch' });
    await sleep(200); // the holder died: its lease lapses
    expect(await s.reserveIdempotencyKey('k', 'h1', 'id-3', 10_000)).toEqual({ kind: 'new', eventId: 'id-1' });
    await s.completeIdempotencyKey('k', 'h2', 'wrong request', 60_000); // not its reservation: no effect
    expect(await s.reserveIdempotencyKey('k', 'h1', 'id-4', 10_000)).toEqual({ kind: 'in-progress' });
    await s.completeIdempotencyKey('k', 'h1', '{"status":202}', 60_000);
    expect(await redis.pttl(`${prefix}idem:k`)).toBeGreaterThan(55_000);
    expect(await s.reserveIdempotencyKey('k', 'h1', 'id-5', 10_000)).toEqual({ kind: 'done', result: '{"status":202}' });
    expect(await s.reserveIdempotencyKey('k', 'h2', 'id-5', 10_000)).toEqual({ kind: 'mismatch' });
    await s.releaseIdempotencyKey('k', 'h1'); // completed: release does nothing
    expect(await s.reserveIdempotencyKey('k', 'h1', 'id-5', 10_000)).toMatchObject({ kind: 'done' });

    expect(await s.reserveIdempotencyKey('r', 'h1', 'id-7', 10_000)).toEqual({ kind: 'new', eventId: 'id-7' });
    await s.releaseIdempotencyKey('r', 'h2'); // another request's release is ignored
    expect(await s.reserveIdempotencyKey('r', 'h1', 'id-8', 10_000)).toEqual({ kind: 'in-progress' });
    await s.releaseIdempotencyKey('r', 'h1');
    expect(await s.reserveIdempotencyKey('r', 'h1', 'id-8', 10_000)).toEqual({ kind: 'new', eventId: 'id-7' });
    await s.releaseIdempotencyKey('r', 'h1');
    expect(await s.reserveIdempotencyKey('r', 'h2', 'id-9', 10_000)).toEqual({ kind: 'new', eventId: 'id-9' });

    // A lapsed reservation is kept only lapsedReservationTtlMs after its lease.
    const brief = store({ lapsedReservationTtlMs: 50 });
    expect(await brief.reserveIdempotencyKey('l', 'h1', 'id-10', 50)).toEqual({ kind: 'new', eventId: 'id-10' });
    await sleep(150);
    expect(await brief.reserveIdempotencyKey('l', 'h1', 'id-11', 50)).toEqual({ kind: 'new', eventId: 'id-11' });
    await expect(s.ping()).resolves.toBeUndefined();
  });

  it('rejects with a timeout when Redis does not answer (a server that accepts and stays silent)', async () => {
    const sockets: Array<import('node:net').Socket> = [];
    const server: Server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const silent = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1, enableReadyCheck: false, enableOfflineQueue: true });
    try {
      const s = new RedisStatusStore({ client: silent, operationTimeoutMs: 100 });
      const started = Date.now();
      await expect(s.update([up('x', 'g', 'PROCESSED', 1)])).rejects.toBeInstanceOf(RedisTimeoutError);
      expect(Date.now() - started).toBeLessThan(2_000);
      await expect(s.get('x')).rejects.toThrow(/HGETALL did not answer within 100 ms/);
      await expect(s.ping()).rejects.toBeInstanceOf(RedisTimeoutError);
      await expect(s.reserveIdempotencyKey('k', 'h', 'id', 1_000)).rejects.toBeInstanceOf(RedisTimeoutError);
    } finally {
      silent.disconnect();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses non-positive TTLs; puts a hash tag prefix as is into keys (Redis Cluster)', () => {
    expect(() => store({ ttls: { processedMs: 0 } })).toThrow(RangeError);
    const tagged = new RedisStatusStore({ client: redis, keyPrefix: 'eventgen:{status}:' });
    expect(tagged.statusKey('e')).toBe('eventgen:{status}:status:e');
    expect(tagged.idempotencyKey('k')).toBe('eventgen:{status}:idem:k');
    expect(new RedisStatusStore({ client: redis }).statusKey('e')).toBe('eventgen:status:e');
  });
});
