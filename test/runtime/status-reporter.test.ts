/**
 * The StatusReporter: buffered, coalesced, batched, bounded, and harmless when the store fails or hangs.
 */
import { describe, expect, it } from 'vitest';
import { InMemoryStatusStore, Metrics, StatusReporter, createLogger, type StatusReporterOptions, type StatusStore, type StatusUpdate } from '../../templates/runtime/index.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A store that records every update() call and behaves as `mode` says. */
function recording(mode: () => 'ok' | 'reject' | 'hang' | 'throw' = () => 'ok') {
  const memory = new InMemoryStatusStore();
  const calls: StatusUpdate[][] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const store: StatusStore = {
    pending: (e) => memory.pending(e),
    get: (id) => memory.get(id),
    reserveIdempotencyKey: (...a) => memory.reserveIdempotencyKey(...a),
    completeIdempotencyKey: (...a) => memory.completeIdempotencyKey(...a),
    releaseIdempotencyKey: (...a) => memory.releaseIdempotencyKey(...a),
    ping: () => memory.ping(),
    update(updates) {
      calls.push([...updates]);
      const m = mode();
      if (m === 'throw') throw new Error('sync failure');
      if (m === 'hang') return new Promise(() => {});
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return sleep(5).then(() => {
        inFlight -= 1;
        return m === 'reject' ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')) : memory.update(updates);
      });
    },
  };
  return { store, memory, calls, maxInFlight: () => maxInFlight };
}

function reporter(store: StatusStore, options: Partial<StatusReporterOptions> = {}) {
  const lines: Array<Record<string, unknown>> = [];
  const metrics = new Metrics();
  const r = new StatusReporter({ store, groupId: 'g', logger: createLogger({ level: 'debug', write: (l) => void lines.push(JSON.parse(l) as Record<string, unknown>) }), metrics, ...options });
  return { r, lines, metrics };
}

describe('StatusReporter', () => {
  it('coalesces per (eventId, groupId) to the latest status and writes a batch with one update() call', async () => {
    const rec = recording();
    const { r } = reporter(rec.store, { flushIntervalMs: 30 });
    r.processing('e1', 1);
    r.retrying('e1', 1, 5_000, new Error('flaky'));
    r.processing('e1', 2);
    r.processed('e1', 2);
    r.processing('e1', 1); // late: not later than PROCESSED
    r.report({ eventId: 'e1', groupId: 'other', status: 'PROCESSING', attempts: 1, at: 1 });
    r.failed('e2', 3, new Error('bad'), 'retries-exhausted');
    r.deadLettered('e2', 3, new Error('bad'), 'retries-exhausted', { topic: 'orders.dlq', partition: 0, offset: '9' });
    expect(r.buffered).toBe(3);
    expect(rec.calls).toHaveLength(0); // nothing written synchronously
    await sleep(80);
    expect(rec.calls).toHaveLength(1);
    const byKey = Object.fromEntries((rec.calls[0] ?? []).map((u) => [`${u.eventId}/${u.groupId}`, u]));
    expect(Object.keys(byKey).sort()).toEqual(['e1/g', 'e1/other', 'e2/g']);
    expect(byKey['e1/g']).toMatchObject({ status: 'PROCESSED', attempts: 2 });
    expect(byKey['e2/g']).toMatchObject({ status: 'DEAD_LETTERED', attempts: 3, lastError: 'bad', reason: 'retries-exhausted', deadLetter: { topic: 'orders.dlq', partition: 0, offset: '9' } });
    expect((await rec.memory.get('e1'))?.groups['g']).toMatchObject({ status: 'PROCESSED', attempts: 2 });
    expect(r.written).toBe(3);
    expect(r.buffered).toBe(0);
  });

  it('flushes at once when maxBatch are buffered, never more per call, at most one call in flight', async () => {
    const rec = recording();
    const { r } = reporter(rec.store, { flushIntervalMs: 60_000, maxBatch: 10 });
    for (let i = 0; i < 35; i++) r.processed(`e${i}`, 1);
    await r.flush();
    expect(rec.calls.map((c) => c.length)).toEqual([10, 10, 10, 5]);
    expect(rec.maxInFlight()).toBe(1);
    for (let i = 0; i < 35; i++) expect((await rec.memory.get(`e${i}`))?.groups['g']?.status).toBe('PROCESSED');
  });

  it('keeps retry details and bounds the error text', async () => {
    const rec = recording();
    const { r } = reporter(rec.store, { flushIntervalMs: 5 });
    r.retrying('e', 1, 12_345, new Error('y'.repeat(10_000)));
    await sleep(40);
    const u = rec.calls[0]?.[0];
    expect(u).toMatchObject({ status: 'RETRYING', attempts: 1, nextAttemptAt: 12_345 });
    expect(u?.lastError).toHaveLength(1000);
  });

  it('is bounded: beyond maxBuffered the oldest non-terminal updates are dropped and counted', async () => {
    const rec = recording(() => 'hang');
    const { r, metrics } = reporter(rec.store, { flushIntervalMs: 60_000, maxBatch: 1_000, maxBuffered: 4 });
    r.processing('a', 1);
    r.processed('b', 1);
    r.processing('c', 1);
    r.failed('d', 1, new Error('x'), 'handler-non-retriable');
    r.processing('e', 1); // full: drops a (the oldest non-terminal)
    r.processed('f', 1); // drops c
    r.processing('g', 1); // drops e
    expect(r.buffered).toBe(4);
    expect(r.dropped).toBe(3);
    expect(metrics.get('status_updates_dropped', { group: 'g' })).toBe(3);
    r.processed('h', 1); // drops g; now all terminal
    r.processing('i', 1); // all buffered are terminal: the new non-terminal one is dropped
    r.processed('j', 1); // all terminal: the oldest terminal (b) goes
    r.processed('a', 1); // updating a dropped entry creates it again: drops d
    expect(r.dropped).toBe(7);
    expect(r.buffered).toBe(4);
    void r.flush();
    await sleep(0);
    expect(rec.calls[0]?.map((u) => u.eventId).sort()).toEqual(['a', 'f', 'h', 'j']);
  });

  it('a failing store: updates dropped and counted (never retried), warned once per failure streak, recovery logged', async () => {
    let mode: 'ok' | 'reject' | 'throw' = 'reject';
    const rec = recording(() => mode);
    const { r, lines, metrics } = reporter(rec.store, { flushIntervalMs: 5 });
    r.processed('a', 1);
    await sleep(40);
    r.processed('b', 1);
    await sleep(40);
    mode = 'throw';
    expect(() => r.processed('c', 1)).not.toThrow();
    await sleep(40);
    expect(rec.calls.flat().map((u) => u.eventId)).toEqual(['a', 'b', 'c']); // each once: not retried
    expect(metrics.get('status_updates_dropped')).toBe(3);
    expect(lines.filter((l) => l['level'] === 'warn')).toHaveLength(1);
    expect(String(lines.find((l) => l['level'] === 'warn')?.['msg'])).toMatch(/could not be written; dropped/);
    mode = 'ok';
    r.processed('d', 1);
    await sleep(40);
    expect((await rec.memory.get('d'))?.groups['g']?.status).toBe('PROCESSED');
    expect(lines.some((l) => l['level'] === 'info' && /written again/.test(String(l['msg'])))).toBe(true);
    mode = 'reject';
    r.processed('e', 1);
    await sleep(40);
    expect(lines.filter((l) => l['level'] === 'warn')).toHaveLength(2); // a new streak
    expect(r.dropped).toBe(4);
  });

  it('a hanging store: the flush times out, its updates are dropped, the next flush goes ahead', async () => {
    let hang = true;
    const rec = recording(() => (hang ? 'hang' : 'ok'));
    const { r, metrics } = reporter(rec.store, { flushIntervalMs: 5, flushTimeoutMs: 50 });
    r.processed('a', 1);
    await sleep(20);
    hang = false;
    r.processed('b', 1);
    await sleep(20);
    expect(rec.calls).toHaveLength(1); // one flush in flight at most
    await sleep(80);
    expect(rec.calls.map((c) => c.map((u) => u.eventId))).toEqual([['a'], ['b']]);
    expect(metrics.get('status_updates_dropped')).toBe(1);
    expect((await rec.memory.get('b'))?.groups['g']?.status).toBe('PROCESSED');
  });

  it('stop() writes what is buffered, and returns by its deadline when the store hangs (the rest counted)', async () => {
    const rec = recording();
    const { r } = reporter(rec.store, { flushIntervalMs: 60_000 });
    r.processed('a', 1);
    r.processing('b', 1);
    await r.stop(1_000);
    expect((await rec.memory.get('a'))?.groups['g']?.status).toBe('PROCESSED');
    expect((await rec.memory.get('b'))?.groups['g']?.status).toBe('PROCESSING');

    const hung = recording(() => 'hang');
    const h = reporter(hung.store, { flushIntervalMs: 60_000, maxBatch: 2 });
    for (const id of ['a', 'b', 'c', 'd', 'e']) h.r.processed(id, 1);
    const started = Date.now();
    await h.r.stop(100);
    expect(Date.now() - started).toBeLessThan(500);
    expect(h.r.buffered).toBe(0);
    expect(h.r.dropped).toBe(3); // the two in the hung call are counted if it times out
    expect(h.lines.some((l) => l['level'] === 'warn' && /stop deadline/.test(String(l['msg'])))).toBe(true);
  });
});
