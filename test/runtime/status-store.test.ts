/**
 * The status-tracking contract: monotonic transitions (isLaterStatus), TTLs per status, overall status, and the
 * in-memory store (bound, idempotency-key reservations). The Redis store passes the same behaviours in
 * redis-status-store.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_STATUS_TTLS,
  InMemoryStatusStore,
  MAX_STATUS_ERROR_LENGTH,
  clipText,
  isLaterStatus,
  overallStatus,
  statusTtl,
  type EventStatus,
  type GroupStatus,
  type StatusUpdate,
} from '../../templates/runtime/index.js';

const s = (status: EventStatus, attempts: number): { status: EventStatus; attempts: number } => ({ status, attempts });
const up = (eventId: string, groupId: string, status: StatusUpdate['status'], attempts: number, extra: Partial<StatusUpdate> = {}): StatusUpdate => ({ eventId, groupId, status, attempts, at: 1_000, ...extra });
const g = (status: EventStatus): GroupStatus => ({ status, attempts: 1, updatedAt: 0 });

describe('isLaterStatus', () => {
  it('anything is later than nothing', () => {
    for (const st of ['PENDING', 'PROCESSING', 'RETRYING', 'PROCESSED', 'FAILED', 'DEAD_LETTERED'] as const) expect(isLaterStatus(undefined, s(st, 1))).toBe(true);
  });

  it('a late PROCESSING or RETRYING never overwrites PROCESSED (any attempt)', () => {
    expect(isLaterStatus(s('PROCESSED', 1), s('PROCESSING', 1))).toBe(false);
    expect(isLaterStatus(s('PROCESSED', 1), s('PROCESSING', 5))).toBe(false);
    expect(isLaterStatus(s('PROCESSED', 2), s('RETRYING', 3))).toBe(false);
  });

  it('PENDING never downgrades anything, not even PENDING', () => {
    for (const st of ['PENDING', 'PROCESSING', 'RETRYING', 'PROCESSED', 'FAILED', 'DEAD_LETTERED'] as const) expect(isLaterStatus(s(st, st === 'PENDING' ? 0 : 1), s('PENDING', 0))).toBe(false);
  });

  it('within an attempt PROCESSING → RETRYING; a later attempt wins; an earlier one never does', () => {
    expect(isLaterStatus(s('PENDING', 0), s('PROCESSING', 1))).toBe(true);
    expect(isLaterStatus(s('PROCESSING', 1), s('RETRYING', 1))).toBe(true);
    expect(isLaterStatus(s('RETRYING', 1), s('PROCESSING', 1))).toBe(false);
    expect(isLaterStatus(s('RETRYING', 1), s('PROCESSING', 2))).toBe(true);
    expect(isLaterStatus(s('PROCESSING', 2), s('RETRYING', 1))).toBe(false);
    expect(isLaterStatus(s('PROCESSING', 1), s('PROCESSING', 1))).toBe(false);
  });

  it('terminal statuses are final except FAILED → DEAD_LETTERED; a terminal one replaces any non-terminal one', () => {
    expect(isLaterStatus(s('FAILED', 3), s('DEAD_LETTERED', 3))).toBe(true);
    expect(isLaterStatus(s('DEAD_LETTERED', 3), s('FAILED', 3))).toBe(false);
    expect(isLaterStatus(s('FAILED', 3), s('PROCESSED', 4))).toBe(false);
    expect(isLaterStatus(s('PROCESSED', 1), s('DEAD_LETTERED', 1))).toBe(false);
    expect(isLaterStatus(s('DEAD_LETTERED', 1), s('DEAD_LETTERED', 1))).toBe(false);
    expect(isLaterStatus(s('RETRYING', 3), s('PROCESSED', 1))).toBe(true);
    expect(isLaterStatus(s('PROCESSING', 2), s('FAILED', 1))).toBe(true);
  });
});

describe('statusTtl and overallStatus', () => {
  const ttls = { inFlightMs: 30, processedMs: 10, failedMs: 20 };
  it('picks the TTL of the most telling status', () => {
    expect(statusTtl([], ttls)).toBe(30);
    expect(statusTtl([g('PROCESSED'), g('PROCESSED')], ttls)).toBe(10);
    expect(statusTtl([g('PROCESSED'), g('RETRYING')], ttls)).toBe(30);
    expect(statusTtl([g('PROCESSED'), g('PENDING')], ttls)).toBe(30);
    expect(statusTtl([g('PROCESSING'), g('DEAD_LETTERED')], ttls)).toBe(20);
    expect(statusTtl([g('FAILED')], ttls)).toBe(20);
    expect(DEFAULT_STATUS_TTLS).toEqual({ inFlightMs: 86_400_000, processedMs: 3_600_000, failedMs: 86_400_000 });
  });

  it('summarises the groups', () => {
    const rec = (...st: EventStatus[]) => ({ eventId: 'e', groups: Object.fromEntries(st.map((x, i) => [`g${i}`, g(x)])) });
    expect(overallStatus(rec())).toBe('PENDING');
    expect(overallStatus(rec('PROCESSED', 'PROCESSED'))).toBe('PROCESSED');
    expect(overallStatus(rec('PROCESSED', 'PENDING'))).toBe('PROCESSING');
    expect(overallStatus(rec('PROCESSING', 'RETRYING'))).toBe('RETRYING');
    expect(overallStatus(rec('PROCESSED', 'FAILED'))).toBe('FAILED');
    expect(overallStatus(rec('FAILED', 'DEAD_LETTERED'))).toBe('DEAD_LETTERED');
  });

  it('clips long texts without splitting a surrogate pair', () => {
    expect(clipText('abc', 3)).toBe('abc');
    expect(clipText('abcdef', 4)).toBe('abc\u2026');
    expect(clipText('ab\u{1F600}cd', 4)).toBe('ab\u2026');
  });
});

describe('InMemoryStatusStore', () => {
  const event = (eventId: string, groups: string[] = ['billing', 'shipping']) => ({ eventId, eventType: 'order.created', topic: 'orders', groups, acceptedAt: 500 });

  it('pending: expected groups start PENDING; a second pending (broker coordinates) keeps what consumers wrote', async () => {
    const store = new InMemoryStatusStore();
    await store.pending(event('e1'));
    expect(await store.get('e1')).toEqual({
      eventId: 'e1',
      event: event('e1'),
      groups: { billing: { status: 'PENDING', attempts: 0, updatedAt: 500 }, shipping: { status: 'PENDING', attempts: 0, updatedAt: 500 } },
    });
    await store.update([up('e1', 'billing', 'PROCESSED', 1)]);
    await store.pending({ ...event('e1'), partition: 3, offset: '42' });
    const r = await store.get('e1');
    expect(r?.event).toMatchObject({ partition: 3, offset: '42' });
    expect(r?.groups['billing']).toEqual({ status: 'PROCESSED', attempts: 1, updatedAt: 1_000 });
    expect(r?.groups['shipping']?.status).toBe('PENDING');
    expect(await store.get('unknown')).toBeUndefined();
  });

  it('applies a batch monotonically per group: a late PROCESSING never overwrites PROCESSED; FAILED → DEAD_LETTERED', async () => {
    const store = new InMemoryStatusStore();
    await store.update([
      up('e1', 'g', 'PROCESSING', 1),
      up('e1', 'g', 'RETRYING', 1, { nextAttemptAt: 2_000, lastError: 'boom' }),
      up('e1', 'g', 'PROCESSING', 2),
      up('e1', 'g', 'PROCESSED', 2),
      up('e1', 'g', 'PROCESSING', 1),
      up('e2', 'g', 'FAILED', 3, { lastError: 'bad', reason: 'handler-non-retriable' }),
      up('e2', 'g', 'DEAD_LETTERED', 3, { lastError: 'bad', reason: 'handler-non-retriable', deadLetter: { topic: 'orders.dlq', partition: 0, offset: '7' } }),
      up('e2', 'g', 'FAILED', 3),
    ]);
    expect((await store.get('e1'))?.groups).toEqual({ g: { status: 'PROCESSED', attempts: 2, updatedAt: 1_000 } });
    expect((await store.get('e2'))?.groups['g']).toEqual({ status: 'DEAD_LETTERED', attempts: 3, updatedAt: 1_000, lastError: 'bad', reason: 'handler-non-retriable', deadLetter: { topic: 'orders.dlq', partition: 0, offset: '7' } });
    await store.update([up('e3', 'g', 'RETRYING', 1, { nextAttemptAt: 9, lastError: 'x' }), up('e3', 'g', 'PROCESSING', 2)]);
    expect((await store.get('e3'))?.groups['g']).toEqual({ status: 'PROCESSING', attempts: 2, updatedAt: 1_000 });
  });

  it('bounds lastError and keeps group ids such as __proto__ as plain data', async () => {
    const store = new InMemoryStatusStore();
    await store.update([up('e1', '__proto__', 'FAILED', 1, { lastError: 'x'.repeat(5_000) })]);
    const r = await store.get('e1');
    expect(Object.keys(r?.groups ?? {})).toEqual(['__proto__']);
    expect(r?.groups['__proto__']?.lastError).toHaveLength(MAX_STATUS_ERROR_LENGTH);
    expect(Object.getPrototypeOf(r?.groups)).toBe(Object.prototype);
  });

  it('expires records by the TTL of their most telling status (injected clock)', async () => {
    let now = 0;
    const store = new InMemoryStatusStore({ now: () => now, ttls: { inFlightMs: 300, processedMs: 100, failedMs: 200 } });
    await store.pending(event('inflight', ['g']));
    await store.update([up('done', 'g', 'PROCESSED', 1), up('failed', 'g', 'DEAD_LETTERED', 1), up('retry', 'g', 'RETRYING', 1)]);
    now = 99;
    expect(await store.get('done')).toBeDefined();
    now = 100;
    expect(await store.get('done')).toBeUndefined();
    now = 199;
    expect(await store.get('failed')).toBeDefined();
    now = 200;
    expect(await store.get('failed')).toBeUndefined();
    now = 299;
    expect(await store.get('inflight')).toBeDefined();
    expect(await store.get('retry')).toBeDefined();
    // A change renews the TTL from its time, per the new status.
    await store.update([up('retry', 'g', 'PROCESSED', 2)]);
    now = 398;
    expect(await store.get('retry')).toBeDefined();
    expect(await store.get('inflight')).toBeUndefined();
    now = 399;
    expect(await store.get('retry')).toBeUndefined();
    // One group still in flight keeps the record for the in-flight TTL.
    await store.pending(event('mixed', ['a', 'b']));
    await store.update([up('mixed', 'a', 'PROCESSED', 1)]);
    now = 399 + 299;
    expect((await store.get('mixed'))?.groups['a']?.status).toBe('PROCESSED');
  });

  it('keeps at most maxEvents records, evicting the oldest', async () => {
    const store = new InMemoryStatusStore({ maxEvents: 3 });
    for (const id of ['a', 'b', 'c', 'd']) await store.update([up(id, 'g', 'PROCESSING', 1)]);
    expect(await store.get('a')).toBeUndefined();
    for (const id of ['b', 'c', 'd']) expect(await store.get(id)).toBeDefined();
    for (let i = 0; i < 10; i++) await store.reserveIdempotencyKey(`k${i}`, 'h', `id${i}`, 1_000);
    expect(await store.reserveIdempotencyKey('k0', 'h', 'again', 1_000)).toEqual({ kind: 'new', eventId: 'again' }); // evicted
    expect(await store.reserveIdempotencyKey('k9', 'h', 'again', 1_000)).toEqual({ kind: 'in-progress' });
  });

  it('idempotency keys: new, in-progress, mismatch, done; takeover after the lease keeps the event id; release', async () => {
    let now = 0;
    const store = new InMemoryStatusStore({ now: () => now });
    expect(await store.reserveIdempotencyKey('k', 'h1', 'id-1', 1_000)).toEqual({ kind: 'new', eventId: 'id-1' });
    expect(await store.reserveIdempotencyKey('k', 'h1', 'id-2', 1_000)).toEqual({ kind: 'in-progress' });
    expect(await store.reserveIdempotencyKey('k', 'h2', 'id-2', 1_000)).toEqual({ kind: 'mismatch' });
    // The holder died: after its lease the same request takes over, with the first holder's event id.
    now = 1_000;
    expect(await store.reserveIdempotencyKey('k', 'h1', 'id-3', 1_000)).toEqual({ kind: 'new', eventId: 'id-1' });
    await store.completeIdempotencyKey('k', 'h2', 'wrong request', 60_000); // not its reservation: no effect
    expect(await store.reserveIdempotencyKey('k', 'h1', 'id-4', 1_000)).toEqual({ kind: 'in-progress' });
    await store.completeIdempotencyKey('k', 'h1', '{"status":202}', 60_000);
    expect(await store.reserveIdempotencyKey('k', 'h1', 'id-5', 1_000)).toEqual({ kind: 'done', result: '{"status":202}' });
    expect(await store.reserveIdempotencyKey('k', 'h2', 'id-5', 1_000)).toEqual({ kind: 'mismatch' });
    await store.releaseIdempotencyKey('k', 'h1'); // completed: release does nothing
    expect(await store.reserveIdempotencyKey('k', 'h1', 'id-5', 1_000)).toMatchObject({ kind: 'done' });
    // The answer expires: the key is new again, with a new event id.
    now = 1_000 + 60_000;
    expect(await store.reserveIdempotencyKey('k', 'h1', 'id-6', 1_000)).toEqual({ kind: 'new', eventId: 'id-6' });

    // Release: a retry of the same request may go at once, with the same event id; another request's release is ignored.
    expect(await store.reserveIdempotencyKey('r', 'h1', 'id-7', 10_000)).toEqual({ kind: 'new', eventId: 'id-7' });
    await store.releaseIdempotencyKey('r', 'h2');
    expect(await store.reserveIdempotencyKey('r', 'h1', 'id-8', 10_000)).toEqual({ kind: 'in-progress' });
    await store.releaseIdempotencyKey('r', 'h1');
    expect(await store.reserveIdempotencyKey('r', 'h1', 'id-8', 10_000)).toEqual({ kind: 'new', eventId: 'id-7' });
    // A lapsed reservation of a different request is not a mismatch: the new request gets its own id.
    await store.releaseIdempotencyKey('r', 'h1');
    expect(await store.reserveIdempotencyKey('r', 'h2', 'id-9', 10_000)).toEqual({ kind: 'new', eventId: 'id-9' });
    await expect(store.ping()).resolves.toBeUndefined();
  });
});

describe('InMemoryStatusStore.discard', () => {
  it('forgets events whose groups are all still PENDING, keeps any a consumer reported on', async () => {
    const store = new InMemoryStatusStore();
    const base = { eventType: 't', topic: 'x', groups: ['a', 'b'], acceptedAt: 1 };
    await store.pending({ ...base, eventId: 'd1' });
    await store.pending({ ...base, eventId: 'd2' });
    await store.update([{ eventId: 'd2', groupId: 'a', status: 'PROCESSED', attempts: 1, at: 2 }]);
    await store.discard(['d1', 'd2', 'unknown']);
    expect(await store.get('d1')).toBeUndefined();
    expect((await store.get('d2'))?.groups['a']?.status).toBe('PROCESSED');
  });
});
