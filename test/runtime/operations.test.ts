import { describe, expect, it } from 'vitest';
import {
  EventValidationError,
  InMemoryProcessedStore,
  Metrics,
  NonRetriableError,
  NotImplementedError,
  REDACTED,
  RetriableError,
  backoffDelay,
  combineHealth,
  createLogger,
  globToRegExp,
  isRetriable,
  nominalDelay,
  redact,
  sleep,
  sleepWithHeartbeat,
  validateRetryPolicy,
  type RetryPolicy,
} from '../../templates/runtime/index.js';

const POLICY: RetryPolicy = { maxRetries: 5, initialDelayMs: 100, maxDelayMs: 1000, multiplier: 3, jitter: 0.25 };

describe('backoff', () => {
  it('grows exponentially and caps at maxDelayMs', () => {
    expect([1, 2, 3, 4].map((r) => nominalDelay(POLICY, r))).toEqual([100, 300, 900, 1000]);
  });

  it('randomises the jitter fraction downwards, staying within [nominal*(1-jitter), nominal]', () => {
    expect(backoffDelay(POLICY, 2, () => 0)).toBe(225);
    expect(backoffDelay(POLICY, 2, () => 0.999999)).toBe(300);
    for (let i = 0; i < 200; i++) {
      const retry = 1 + (i % 5);
      const d = backoffDelay(POLICY, retry);
      expect(d).toBeGreaterThanOrEqual(nominalDelay(POLICY, retry) * 0.75);
      expect(d).toBeLessThanOrEqual(Math.min(POLICY.maxDelayMs, nominalDelay(POLICY, retry)));
    }
    expect(backoffDelay({ ...POLICY, jitter: 0 }, 1, () => 0.7)).toBe(100);
  });

  it('rejects nonsensical policies', () => {
    expect(() => validateRetryPolicy({ ...POLICY, multiplier: 0.5 })).toThrow(RangeError);
    expect(() => validateRetryPolicy({ ...POLICY, jitter: 2 })).toThrow(/jitter/);
    expect(() => validateRetryPolicy({ ...POLICY, maxDelayMs: 1 })).toThrow(/maxDelayMs/);
    expect(validateRetryPolicy(POLICY)).toBe(POLICY);
  });

  it('sleep is abortable and sleepWithHeartbeat heartbeats between slices', async () => {
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    const slices: number[] = [];
    let beats = 0;
    await sleepWithHeartbeat(7000, { intervalMs: 3000, heartbeat: async () => void beats++, sleep: async (ms) => void slices.push(ms) });
    expect(slices).toEqual([3000, 3000, 1000]);
    expect(beats).toBe(3);
  });
});

describe('errors', () => {
  it('classifies retriable vs non-retriable', () => {
    expect(isRetriable(new Error('x'))).toBe(true);
    expect(isRetriable('string thrown')).toBe(true);
    expect(isRetriable(new RetriableError('x'))).toBe(true);
    expect(isRetriable(new NonRetriableError('x'))).toBe(false);
    expect(isRetriable(new NotImplementedError('a.b'))).toBe(false);
    expect(isRetriable(new EventValidationError('a.b', []))).toBe(false);
    expect(isRetriable(Object.assign(new Error('x'), { retriable: false }))).toBe(false);
    expect(new NotImplementedError('a.b').name).toBe('NotImplementedError');
  });
});

describe('Metrics', () => {
  it('exports counters and the processing-time histogram as Prometheus text', () => {
    const metrics = new Metrics({ buckets: [0.01, 0.1] });
    const labels = { group: 'payments', topic: 'shop.orders', event_type: 'order.created' };
    metrics.increment('received', labels);
    metrics.increment('received', labels);
    metrics.increment('dead_lettered', { ...labels, event_type: 'we"ird\\type' });
    metrics.observeProcessingTime(0.005, labels);
    metrics.observeProcessingTime(0.05, labels);
    const text = metrics.toPrometheus();
    expect(text).toContain('# HELP eventgen_events_received_total Records received by the consumer.\n# TYPE eventgen_events_received_total counter\n');
    expect(text).toContain('eventgen_events_received_total{group="payments",topic="shop.orders",event_type="order.created"} 2\n');
    expect(text).toContain('eventgen_events_dead_lettered_total{group="payments",topic="shop.orders",event_type="we\\"ird\\\\type"} 1\n');
    expect(text).toContain('# TYPE eventgen_events_duplicates_skipped_total counter\n'); // declared even when zero
    expect(text).toContain('# TYPE eventgen_processing_duration_seconds histogram\n');
    expect(text).toContain('eventgen_processing_duration_seconds_bucket{group="payments",topic="shop.orders",event_type="order.created",le="0.01"} 1\n');
    expect(text).toContain('eventgen_processing_duration_seconds_bucket{group="payments",topic="shop.orders",event_type="order.created",le="0.1"} 2\n');
    expect(text).toContain('eventgen_processing_duration_seconds_bucket{group="payments",topic="shop.orders",event_type="order.created",le="+Inf"} 2\n');
    expect(text).toMatch(/eventgen_processing_duration_seconds_sum\{[^}]+\} 0\.055\d*\n/);
    expect(text).toContain('eventgen_processing_duration_seconds_count{group="payments",topic="shop.orders",event_type="order.created"} 2\n');
    expect(metrics.get('received', { topic: 'shop.orders' })).toBe(2);
    metrics.reset();
    expect(metrics.get('received')).toBe(0);
  });
});

describe('logger', () => {
  it('writes JSON lines with level filtering and child fields', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', write: (l) => lines.push(l), fields: { service: 'svc' }, now: () => new Date('2024-01-01T00:00:00Z') });
    logger.debug('hidden');
    logger.child({ correlationId: 'c-1' }).child({ eventId: 'e-1' }).warn('careful', { attempt: 2 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toEqual({ time: '2024-01-01T00:00:00.000Z', level: 'warn', msg: 'careful', service: 'svc', correlationId: 'c-1', eventId: 'e-1', attempt: 2 });
  });

  it('redacts secrets deeply, serialises errors and survives cycles', () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (l) => lines.push(l) });
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic['self'] = cyclic;
    logger.error('failed', {
      config: { brokers: ['b:9092'], sasl: { mechanism: 'plain', username: 'u', password: 'p' }, ssl: true },
      headers: { Authorization: 'Bearer x', 'x-api-key': 'k' },
      clientSecret: 's',
      accessToken: 't',
      error: new Error('boom', { cause: 'root' }),
      cyclic,
    });
    const entry = JSON.parse(lines[0] ?? '');
    expect(entry.config).toEqual({ brokers: ['b:9092'], sasl: REDACTED, ssl: true });
    expect(entry.headers).toEqual({ Authorization: REDACTED, 'x-api-key': REDACTED });
    expect(entry.clientSecret).toBe(REDACTED);
    expect(entry.accessToken).toBe(REDACTED);
    expect(entry.error).toMatchObject({ name: 'Error', message: 'boom', cause: 'root' });
    expect(entry.error.stack).toContain('boom');
    expect(entry.cyclic).toEqual({ name: 'loop', self: '[Circular]' });
    expect(lines[0]).not.toMatch(/"p"|Bearer/);
    expect(redact({ password: 'x', nested: [{ token: 'y' }] })).toEqual({ password: REDACTED, nested: [{ token: REDACTED }] });
  });
});

describe('InMemoryProcessedStore', () => {
  it('forgets entries after the TTL and evicts the least recently used beyond capacity', async () => {
    let now = 0;
    const store = new InMemoryProcessedStore({ maxEntries: 2, ttlMs: 100, now: () => now });
    await store.markProcessed('g', 'a');
    await store.markProcessed('g', 'b');
    expect(await store.isProcessed('g', 'a')).toBe(true); // touches a: b is now least recently used
    await store.markProcessed('g', 'c');
    expect(await store.isProcessed('g', 'b')).toBe(false);
    expect(await store.isProcessed('g', 'a')).toBe(true);
    expect(await store.isProcessed('other', 'a')).toBe(false);
    now = 150;
    expect(await store.isProcessed('g', 'a')).toBe(false);
    expect(store.size).toBe(1);
  });
});

describe('misc', () => {
  it('event-type globs: * is one segment, ** anything', () => {
    expect(globToRegExp('order.*').test('order.created')).toBe(true);
    expect(globToRegExp('order.*').test('order.created.v2')).toBe(false);
    expect(globToRegExp('order.**').test('order.created.v2')).toBe(true);
    expect(globToRegExp('**').test('anything.at.all')).toBe(true);
    expect(globToRegExp('a+b.*').test('a+b.c')).toBe(true);
  });

  it('combineHealth is healthy only when every component is', () => {
    expect(combineHealth({ a: { healthy: true }, b: { healthy: false } }).healthy).toBe(false);
    expect(combineHealth({ a: { healthy: true } }).healthy).toBe(true);
  });
});
