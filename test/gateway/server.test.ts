/**
 * The gateway server (templates/gateway) over real HTTP (fetch and raw node:http requests) on the in-memory
 * transport: publish paths, idempotency keys, priorities under load, metadata, auth, CORS, limits, health, shutdown,
 * and a corpus of hostile requests that must each get a 4xx problem+json, never a 500, with nothing sent.
 */
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod/v4';
import { createGateway, staticTokens, type EventGateway, type EventGatewayOptions, type GatewayRoute } from '../../templates/gateway/gateway.js';
import {
  decodeEnvelope,
  decodeHeaders,
  defineEvent,
  EventProducer,
  InMemoryStatusStore,
  InMemoryTransport,
  Metrics,
  silentLogger,
  SendError,
  type StatusStore,
  type Transport,
  type TransportProducer,
} from '../../templates/runtime/index.js';

const OrderSchema = z.strictObject({ orderId: z.string().min(1), amount: z.number().int().min(0), tags: z.record(z.string(), z.string()).optional() });
const Order = defineEvent({ eventType: 'order.placed', version: '1.0.0', topics: ['orders'], schema: OrderSchema, classification: 'internal', partitionKey: (d) => d.orderId });
const NoteSchema = z.object({ text: z.string().max(100) });
const Note = defineEvent({ eventType: 'note.added', version: '1.0.0', topics: ['notes'], schema: NoteSchema, classification: 'public', partitionKey: () => null });
const ROUTES: GatewayRoute[] = [
  { eventType: 'order.placed', topic: 'orders', definition: Order, groups: ['billing', 'shipping'], keyOverride: false, priority: 'normal' },
  { eventType: 'note.added', topic: 'notes', definition: Note, groups: [], keyOverride: true, priority: 'low' },
];

/** A transport whose sends wait for `release()` (to hold events in flight). */
class GatedTransport implements Transport {
  private waiting: Array<() => void> = [];
  gated = false;
  failNext: Error | undefined;
  constructor(readonly inner: InMemoryTransport) {}
  release(): void {
    for (const w of this.waiting.splice(0)) w();
  }
  get held(): number {
    return this.waiting.length;
  }
  producer(): TransportProducer {
    const p = this.inner.producer();
    return {
      connect: () => p.connect(),
      disconnect: () => p.disconnect(),
      send: async (batch) => {
        if (this.failNext) {
          const e = this.failNext;
          this.failNext = undefined;
          throw e;
        }
        if (this.gated) await new Promise<void>((r) => this.waiting.push(r));
        return p.send(batch);
      },
    };
  }
  consumer(options: { groupId: string }) {
    return this.inner.consumer(options);
  }
}

const open: EventGateway[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((g) => g.close()));
});

async function start(options: Partial<EventGatewayOptions> & { transport?: Transport } = {}) {
  const memory = new InMemoryTransport();
  const transport = options.transport ?? memory;
  const metrics = new Metrics();
  const producer = new EventProducer({ transport, source: 'gateway-test', logger: silentLogger, metrics });
  const statusStore = options.statusStore ?? new InMemoryStatusStore();
  const gateway = createGateway({ producer, routes: ROUTES, statusStore, logger: silentLogger, metrics, openapi: { openapi: '3.1.0' }, ...options });
  open.push(gateway);
  const address: AddressInfo = await gateway.listen(0);
  const base = `http://127.0.0.1:${address.port}`;
  const records = (topic: string) => (transport instanceof GatedTransport ? transport.inner : memory).records(topic);
  return { gateway, base, statusStore, records };
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

/** A raw request (bodies fetch would not send as is). */
function raw(base: string, method: string, path: string, headers: Record<string, string | number>, body?: Buffer | string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const req = request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

describe('gateway: publishing', () => {
  it('POST /events/{eventType}: 202 with the event id and status URL, metadata from headers in the envelope and headers', async () => {
    const { base, records } = await start();
    const res = await post(`${base}/events/order.placed`, { orderId: 'o-1', amount: 5 }, { 'x-correlation-id': 'corr-1', 'x-event-priority': 'high', 'x-event-source': 'web-shop', 'x-user-id': 'u-9' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ eventType: 'order.placed', status: 'PENDING', topic: 'orders', partition: 0, offset: '0' });
    expect(body.statusUrl).toBe(`/events/${String(body.eventId)}`);
    expect(res.headers.get('location')).toBe(body.statusUrl);
    const [record] = records('orders');
    expect(record).toBeDefined();
    const headers = decodeHeaders(record!.headers);
    const envelope = decodeEnvelope(record!.value, headers);
    expect(envelope.metadata).toMatchObject({ eventId: body.eventId, correlationId: 'corr-1', source: 'web-shop', userId: 'u-9', priority: 'high', partitionKey: 'o-1' });
    expect(headers['event-priority']).toBe('high');
    expect(envelope.data).toEqual({ orderId: 'o-1', amount: 5 });
  });

  it('POST /events takes { eventType, data, ...metadata }; a route without a key rule takes a key, one with a rule refuses it', async () => {
    const { base, records } = await start();
    const ok = await post(`${base}/events`, { eventType: 'note.added', data: { text: 'hi' }, key: 'k-7', priority: 'critical' });
    expect(ok.status).toBe(202);
    expect(records('notes')[0]?.key?.toString()).toBe('k-7');
    const refused = await post(`${base}/events`, { eventType: 'order.placed', data: { orderId: 'o', amount: 1 }, key: 'mine' });
    expect(refused.status).toBe(422);
    const problem = (await refused.json()) as { errors: Array<{ pointer: string }> };
    expect(problem.errors.map((e) => e.pointer)).toEqual(['/key']);
    const typed = await post(`${base}/events/order.placed`, { orderId: 'o', amount: 1 }, { 'x-partition-key': 'mine' });
    expect(typed.status).toBe(422);
    expect(((await typed.json()) as { errors: Array<{ pointer: string }> }).errors[0]?.pointer).toBe('/headers/x-partition-key');
    expect(records('orders')).toHaveLength(0);
  });

  it('POST /events:batch: all or nothing on validation (every invalid item located), one send, per-item results', async () => {
    const { base, records } = await start();
    const bad = await post(`${base}/events:batch`, {
      events: [
        { eventType: 'order.placed', data: { orderId: 'a', amount: 1 } },
        { eventType: 'order.placed', data: { orderId: 'b', amount: -1 } },
        { eventType: 'nope', data: {} },
      ],
    });
    expect(bad.status).toBe(422);
    const problem = (await bad.json()) as { errors: Array<{ pointer: string }> };
    expect(problem.errors.map((e) => e.pointer)).toEqual(['/events/1/data/amount', '/events/2/eventType']);
    expect(records('orders')).toHaveLength(0);
    const ok = await post(`${base}/events:batch`, { events: [{ eventType: 'order.placed', data: { orderId: 'a', amount: 1 } }, { eventType: 'note.added', data: { text: 'x' } }] });
    expect(ok.status).toBe(202);
    const { results } = (await ok.json()) as { results: Array<{ eventId: string; topic: string; status: string }> };
    expect(results.map((r) => [r.topic, r.status])).toEqual([
      ['orders', 'PENDING'],
      ['notes', 'PENDING'],
    ]);
    expect(new Set(results.map((r) => r.eventId)).size).toBe(2);
    expect(records('orders')).toHaveLength(1);
    expect(records('notes')).toHaveLength(1);
  });

  it('GET /events/{eventId}: PENDING per expected group at first, 404 for an unknown id', async () => {
    const { base } = await start();
    const res = await post(`${base}/events/order.placed`, { orderId: 'o-2', amount: 5 }, { 'x-correlation-id': 'c2' });
    const { eventId } = (await res.json()) as { eventId: string };
    const status = (await (await fetch(`${base}/events/${eventId}`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ eventId, status: 'PENDING', eventType: 'order.placed', topic: 'orders', partition: 0, offset: '0', correlationId: 'c2', priority: 'normal' });
    expect(Object.keys(status.groups as object)).toEqual(['billing', 'shipping']);
    expect(status.groups).toMatchObject({ billing: { status: 'PENDING', attempts: 0 } });
    const missing = await fetch(`${base}/events/00000000-0000-4000-8000-000000000000`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('gateway: Idempotency-Key', () => {
  it('the same key and body answer the first result again and publish once; another body is refused', async () => {
    const { base, records } = await start();
    const first = await post(`${base}/events/order.placed`, { orderId: 'o-3', amount: 5 }, { 'idempotency-key': 'k-1' });
    const again = await post(`${base}/events/order.placed`, { orderId: 'o-3', amount: 5 }, { 'idempotency-key': 'k-1' });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    expect(records('orders')).toHaveLength(1);
    const other = await post(`${base}/events/order.placed`, { orderId: 'o-4', amount: 5 }, { 'idempotency-key': 'k-1' });
    expect(other.status).toBe(422);
    expect(records('orders')).toHaveLength(1);
  });

  it('a concurrent request with the key gets 409; after a failed send the retry reuses the event id', async () => {
    const gated = new GatedTransport(new InMemoryTransport());
    const { base, records } = await start({ transport: gated });
    gated.gated = true;
    const pending = post(`${base}/events/order.placed`, { orderId: 'o-5', amount: 5 }, { 'idempotency-key': 'k-2' });
    await waitUntil(() => gated.held === 1);
    const concurrent = await post(`${base}/events/order.placed`, { orderId: 'o-5', amount: 5 }, { 'idempotency-key': 'k-2' });
    expect(concurrent.status).toBe(409);
    gated.release();
    expect((await pending).status).toBe(202);
    gated.gated = false;

    gated.failNext = Object.assign(new Error('Request timed out'), { name: 'KafkaJSRequestTimeoutError' });
    const failed = await post(`${base}/events/order.placed`, { orderId: 'o-6', amount: 1 }, { 'idempotency-key': 'k-3' });
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('5');
    const retried = await post(`${base}/events/order.placed`, { orderId: 'o-6', amount: 1 }, { 'idempotency-key': 'k-3' });
    expect(retried.status).toBe(202);
    const ids = records('orders').map((r) => decodeHeaders(r.headers)['event-id']);
    expect(ids).toHaveLength(2);
    // The failed attempt reserved an id; the retry published under it.
    const retriedId = ((await retried.json()) as { eventId: string }).eventId;
    expect(ids).toContain(retriedId);
  });
});

describe('gateway: failed sends and statuses', () => {
  it('a send the broker refused for certain leaves no PENDING status; an uncertain one keeps it (the record may exist)', async () => {
    const inner = new InMemoryStatusStore();
    const recorded: string[] = [];
    const statusStore: StatusStore = Object.assign(Object.create(inner) as InMemoryStatusStore, {
      pending: (e: Parameters<StatusStore['pending']>[0]) => {
        recorded.push(e.eventId);
        return inner.pending(e);
      },
    });
    const gated = new GatedTransport(new InMemoryTransport());
    const { base } = await start({ transport: gated, statusStore });
    gated.failNext = new SendError('This server does not host this topic-partition', 'UNKNOWN_TOPIC');
    expect((await post(`${base}/events/order.placed`, { orderId: 'o-7', amount: 1 })).status).toBe(503);
    const refusedId = recorded.at(-1) as string;
    expect(refusedId).toBeDefined();
    expect(await inner.get(refusedId)).toBeUndefined();
    expect((await fetch(`${base}/events/${refusedId}`)).status).toBe(404);
    gated.failNext = Object.assign(new Error('Request timed out'), { name: 'KafkaJSRequestTimeoutError' });
    expect((await post(`${base}/events/order.placed`, { orderId: 'o-8', amount: 1 })).status).toBe(503);
    const uncertainId = recorded.at(-1) as string;
    expect(uncertainId).not.toBe(refusedId);
    expect((await inner.get(uncertainId))?.groups['billing']?.status).toBe('PENDING');
  });
});

describe('gateway: priorities under load', () => {
  it('sheds low, then normal, then high; critical keeps its headroom; nothing is queued', async () => {
    const gated = new GatedTransport(new InMemoryTransport());
    const { base, gateway } = await start({ transport: gated, maxInFlight: 10 });
    gated.gated = true;
    const held = Array.from({ length: 5 }, (_, i) => post(`${base}/events/order.placed`, { orderId: `h-${i}`, amount: 1 }));
    await waitUntil(() => gated.held === 5);
    // 5 of 10 in flight: low (50 %) is refused, normal (80 %) admitted.
    const low = await post(`${base}/events/note.added`, { text: 'x' });
    expect(low.status).toBe(503);
    expect(low.headers.get('retry-after')).toBe('1');
    expect(((await low.json()) as { type: string }).type).toBe('urn:eventgen:problem:overloaded');
    const more = Array.from({ length: 3 }, (_, i) => post(`${base}/events/order.placed`, { orderId: `m-${i}`, amount: 1 }));
    await waitUntil(() => gated.held === 8);
    // 8 of 10: normal refused, high (95 %) and critical admitted.
    expect((await post(`${base}/events/order.placed`, { orderId: 'n', amount: 1 })).status).toBe(503);
    const high = post(`${base}/events/order.placed`, { orderId: 'h', amount: 1 }, { 'x-event-priority': 'high' });
    await waitUntil(() => gated.held === 9);
    expect((await post(`${base}/events/order.placed`, { orderId: 'h2', amount: 1 }, { 'x-event-priority': 'high' })).status).toBe(503);
    const critical = post(`${base}/events/order.placed`, { orderId: 'c', amount: 1 }, { 'x-event-priority': 'critical' });
    await waitUntil(() => gated.held === 10);
    expect((await post(`${base}/events/order.placed`, { orderId: 'c2', amount: 1 }, { 'x-event-priority': 'critical' })).status).toBe(503);
    gated.release();
    for (const r of await Promise.all([...held, ...more, high, critical])) expect(r.status).toBe(202);
    expect(gateway.httpMetrics.count(500)).toBe(0);
  });
});

describe('gateway: hostile requests', () => {
  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  const CASES: Array<{ name: string; path?: string; method?: string; headers?: Record<string, string>; body?: Buffer | string; status: number }> = [
    { name: 'wrong type', body: JSON.stringify({ orderId: 1, amount: 'x' }), status: 422 },
    { name: 'missing fields', body: '{}', status: 422 },
    { name: 'extra field on a closed object', body: JSON.stringify({ orderId: 'o', amount: 1, admin: true }), status: 422 },
    { name: 'huge number', body: '{"orderId":"o","amount":1e400}', status: 422 },
    { name: 'unsafe integer', body: '{"orderId":"o","amount":123456789012345678901234567890}', status: 422 },
    { name: '__proto__ key at the top', body: '{"__proto__":{"admin":true},"orderId":"o","amount":1}', status: 422 },
    { name: '__proto__ key in a record', body: '{"orderId":"o","amount":1,"tags":{"__proto__":"x"}}', status: 422 },
    { name: 'escaped __proto__ key', body: '{"orderId":"o","amount":1,"tags":{"\\u005f_proto__":"x"}}', status: 422 },
    { name: 'constructor key in a record', body: '{"orderId":"o","amount":1,"tags":{"constructor":"x","toString":"y"}}', status: 202 },
    { name: 'constructor key', body: '{"orderId":"o","amount":1,"constructor":{"prototype":{}}}', status: 422 },
    { name: 'deep nesting', body: `{"orderId":"o","amount":1,"tags":${deep(10_000)}}`, status: 400 },
    { name: 'invalid JSON', body: '{"orderId":', status: 400 },
    { name: 'empty body', body: '', status: 400 },
    { name: 'invalid UTF-8', body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), status: 400 },
    { name: 'JSON array', body: '[1,2,3]', status: 422 },
    { name: 'JSON null', body: 'null', status: 422 },
    { name: 'text/plain', headers: { 'content-type': 'text/plain' }, body: '{"orderId":"o","amount":1}', status: 415 },
    { name: 'latin-1 charset', headers: { 'content-type': 'application/json; charset=iso-8859-1' }, body: '{"orderId":"o","amount":1}', status: 415 },
    { name: 'no content type', headers: { 'content-type': '' }, body: '{"orderId":"o","amount":1}', status: 415 },
    { name: '2 MB body', body: JSON.stringify({ orderId: 'o', amount: 1, pad: 'x'.repeat(2_000_000) }), status: 413 },
    { name: 'bad priority header', headers: { 'x-event-priority': 'urgent' }, body: '{"orderId":"o","amount":1}', status: 422 },
    { name: 'bad source header', headers: { 'x-event-source': 'a b<script>' }, body: '{"orderId":"o","amount":1}', status: 422 },
    { name: 'unknown event type', path: '/events/order.deleted', body: '{}', status: 404 },
    { name: 'percent-garbage event type', path: '/events/%E0%A4%A', body: '{}', status: 404 },
    { name: 'untyped: not an object', path: '/events', body: '"x"', status: 422 },
    { name: 'untyped: no data', path: '/events', body: '{"eventType":"order.placed"}', status: 422 },
    { name: 'untyped: unknown field', path: '/events', body: '{"eventType":"order.placed","data":{"orderId":"o","amount":1},"x":1}', status: 422 },
    { name: 'untyped: __proto__ eventType', path: '/events', body: '{"eventType":"__proto__","data":{}}', status: 404 },
    { name: 'untyped: toString eventType', path: '/events', body: '{"eventType":"toString","data":{}}', status: 404 },
    { name: 'batch: not an array', path: '/events:batch', body: '{"events":{}}', status: 422 },
    { name: 'batch: empty', path: '/events:batch', body: '{"events":[]}', status: 422 },
    { name: 'batch: too many', path: '/events:batch', body: JSON.stringify({ events: Array.from({ length: 501 }, () => ({ eventType: 'note.added', data: { text: 'x' } })) }), status: 413 },
    { name: 'batch: null items', path: '/events:batch', body: '{"events":[null,1,"x"]}', status: 422 },
    { name: 'GET on a publish path', path: '/events:batch', method: 'GET', status: 405 },
    { name: 'DELETE a status', path: '/events/abc', method: 'DELETE', status: 405 },
    { name: 'unknown path', path: '/admin', method: 'GET', status: 404 },
    { name: 'long idempotency key', headers: { 'idempotency-key': 'k'.repeat(300) }, body: '{"orderId":"o","amount":1}', status: 422 },
  ];

  it('answers every one with a 4xx problem+json (never a 500) and sends nothing', async () => {
    const { base, records, gateway } = await start();
    const answers: Array<[string, number]> = [];
    for (const c of CASES) {
      const headers: Record<string, string | number> = { 'content-type': 'application/json', ...c.headers };
      if (headers['content-type'] === '') delete headers['content-type'];
      const res = await raw(base, c.method ?? 'POST', c.path ?? '/events/order.placed', headers, c.body);
      answers.push([c.name, res.status]);
      if (res.status !== 202) {
        expect(res.headers['content-type'], c.name).toContain('application/problem+json');
        const problem = JSON.parse(res.body) as { type: string; status: number; title: string };
        expect(problem.status, c.name).toBe(res.status);
        expect(problem.type, c.name).toMatch(/^urn:eventgen:problem:/);
        expect(res.body, c.name).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack trace
      }
    }
    expect(answers).toEqual(CASES.map((c) => [c.name, c.status]));
    expect(gateway.httpMetrics.count(500)).toBe(0);
    // Only the one valid request (a record keyed "constructor" and "toString") was sent, its keys intact as data.
    const sent = records('orders');
    expect(sent).toHaveLength(1);
    const data = decodeEnvelope(sent[0]!.value, decodeHeaders(sent[0]!.headers)).data as { tags: Record<string, unknown> };
    expect(data.tags).toEqual({ constructor: 'x', toString: 'y' });
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});

describe('gateway: operations', () => {
  it('bearer tokens: 401 without or with a wrong token; /health and /openapi.json stay open', async () => {
    const { base } = await start({ authenticate: staticTokens(['s3cret']) });
    expect((await post(`${base}/events/order.placed`, { orderId: 'o', amount: 1 })).status).toBe(401);
    const wrong = await post(`${base}/events/order.placed`, { orderId: 'o', amount: 1 }, { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer');
    expect((await post(`${base}/events/order.placed`, { orderId: 'o', amount: 1 }, { authorization: 'Bearer s3cret' })).status).toBe(202);
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/openapi.json`)).status).toBe(200);
  });

  it('CORS: preflight for an allowed origin, no CORS headers for another', async () => {
    const { base } = await start({ cors: { origins: ['https://app.example'] } });
    const pre = await raw(base, 'OPTIONS', '/events/order.placed', { origin: 'https://app.example', 'access-control-request-method': 'POST' });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(String(pre.headers['access-control-allow-headers'])).toContain('idempotency-key');
    const other = await raw(base, 'OPTIONS', '/events/order.placed', { origin: 'https://evil.example', 'access-control-request-method': 'POST' });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('status store down: /health 503 and publishing 503 with nothing sent; back up: accepted', async () => {
    const store = new InMemoryStatusStore();
    let down = false;
    const flaky: StatusStore = new Proxy(store, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => (down ? Promise.reject(new Error('ECONNREFUSED 127.0.0.1:6379')) : (v as (...a: unknown[]) => unknown).apply(target, args));
      },
    });
    const { base, records } = await start({ statusStore: flaky });
    down = true;
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'unavailable', checks: { statusStore: { healthy: false }, kafka: { healthy: true } } });
    const refused = await post(`${base}/events/order.placed`, { orderId: 'o', amount: 1 });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(records('orders')).toHaveLength(0);
    down = false;
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await post(`${base}/events/order.placed`, { orderId: 'o', amount: 1 })).status).toBe(202);
    expect(records('orders')).toHaveLength(1);
  });

  it('a Kafka probe that fails makes /health 503', async () => {
    const { base } = await start({ kafkaProbe: () => Promise.reject(new Error('Connection error: connect ECONNREFUSED')) });
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ checks: { kafka: { healthy: false, error: expect.stringContaining('ECONNREFUSED') } } });
  });

  it('/metrics: runtime counters and HTTP request metrics by route template', async () => {
    const { base } = await start();
    await post(`${base}/events/order.placed`, { orderId: 'o', amount: 1 });
    await fetch(`${base}/events/nope-${'x'.repeat(50)}`);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('eventgen_events_produced_total{');
    expect(text).toMatch(/eventgen_http_requests_total\{route="\/events\/\{eventType\}",method="POST",status="202"\} 1/);
    expect(text).not.toContain('nope-');
  });

  it('close(): stops accepting, waits for requests in flight, then disconnects the producer', async () => {
    const gated = new GatedTransport(new InMemoryTransport());
    const { base, gateway } = await start({ transport: gated });
    gated.gated = true;
    const inFlight = post(`${base}/events/order.placed`, { orderId: 'o', amount: 1 });
    await waitUntil(() => gated.held === 1);
    const closed = gateway.close();
    await new Promise((r) => setTimeout(r, 50));
    await expect(fetch(`${base}/health`)).rejects.toThrow();
    gated.release();
    expect((await inFlight).status).toBe(202);
    await closed;
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
