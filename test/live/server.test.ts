/**
 * The live server (templates/live) with real `ws` clients on loopback: authentication at upgrade, the protocol,
 * classification per socket (no leaks), wildcard channels, backpressure (a stalled socket stays within its byte bound
 * and does not slow a fast one), overflow policies, heartbeat, idle timeout and frame-size limits.
 */
import { randomUUID } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLiveServer, demoTokens, staticLiveTokens, type LiveChannel, type LiveEnvelope, type LiveEventRoute, type LiveServer, type LiveServerOptions } from '../../templates/live/server.js';
import { silentLogger } from '../../templates/runtime/index.js';
import { connect, percentile, sleep, type TestClient } from './helpers.js';

const CHANNELS: LiveChannel[] = [
  { name: 'price.updated', kind: 'event' },
  { name: 'order.created', kind: 'event' },
  { name: 'order.shipped', kind: 'event' },
  { name: 'audit.recorded', kind: 'event' },
  { name: 'stock.adjusted', kind: 'event' },
  { name: 'market.prices', kind: 'topic' },
  { name: 'orders', kind: 'topic', overflow: 'close' },
  { name: 'order.*', kind: 'pattern' },
];
const EVENTS: LiveEventRoute[] = [
  { eventType: 'price.updated', topic: 'market.prices', classification: 'public', channels: ['price.updated', 'market.prices'] },
  { eventType: 'order.created', topic: 'orders', classification: 'confidential', channels: ['order.created', 'orders', 'order.*'] },
  { eventType: 'order.shipped', topic: 'orders', classification: 'confidential', userField: 'customer.id', channels: ['order.shipped', 'orders', 'order.*'] },
  { eventType: 'audit.recorded', topic: 'orders', classification: 'restricted', channels: ['audit.recorded', 'orders'] },
  { eventType: 'stock.adjusted', topic: 'orders', classification: 'internal', channels: ['stock.adjusted', 'orders'] },
];

const servers: LiveServer[] = [];
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(extra: Partial<LiveServerOptions> = {}): Promise<{ server: LiveServer; url: string; port: number }> {
  const server = createLiveServer({ events: EVENTS, channels: CHANNELS, authenticate: demoTokens(), logger: silentLogger, closeGraceMs: 300, ...extra });
  servers.push(server);
  const { port } = await server.listen(0);
  return { server, url: `ws://127.0.0.1:${port}/ws`, port };
}

async function client(url: string, token?: string): Promise<TestClient> {
  const c = await connect(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  clients.push(c);
  return c;
}

function envelope(eventType: string, data: Record<string, unknown>, meta: Record<string, unknown> = {}): LiveEnvelope {
  return { metadata: { eventId: randomUUID(), eventType, timestamp: new Date().toISOString(), dataClassification: 'public', ...meta }, data };
}

describe('authentication', () => {
  it('refuses an upgrade without a valid token with HTTP 401 before any WebSocket opens', async () => {
    const { server, url } = await start();
    await expect(connect(url)).rejects.toMatchObject({ status: 401 });
    await expect(connect(url, { headers: { authorization: 'Bearer nope' } })).rejects.toMatchObject({ status: 401 });
    await expect(connect(`${url}?token=demo:${'x'.repeat(300)}`)).rejects.toMatchObject({ status: 401 });
    expect(server.stats().authFailures).toBe(3);
    expect(server.stats().connections).toBe(0);
    const ok = await client(`${url}?token=demo:u1`);
    expect(ok.ws.readyState).toBe(ok.ws.OPEN);
  });

  it('writes the 401 on the raw socket (no 101 Switching Protocols)', async () => {
    const { port } = await start();
    const answer = await new Promise<string>((resolve) => {
      const s = netConnect(port, '127.0.0.1', () => {
        s.write(['GET /ws HTTP/1.1', 'Host: x', 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13', '', ''].join('\r\n'));
      });
      let text = '';
      s.on('data', (d) => (text += String(d)));
      s.on('close', () => resolve(text));
    });
    expect(answer.startsWith('HTTP/1.1 401')).toBe(true);
    expect(answer).not.toContain('101');
  });

  it('fails closed: no authenticate and no allowAnonymous throws', () => {
    expect(() => createLiveServer({ events: EVENTS, channels: CHANNELS })).toThrow(/authenticate/);
  });

  it('anonymous sockets get public channels only; static tokens map to principals', async () => {
    const { url } = await start({ authenticate: staticLiveTokens({ 'svc-secret': { kind: 'service', id: 'billing' } }), allowAnonymous: true });
    const anon = await client(url);
    expect((await anon.subscribe('orders')).code).toBe('forbidden');
    expect((await anon.subscribe('market.prices')).type).toBe('subscribed');
    await expect(connect(url, { headers: { authorization: 'Bearer wrong' } })).rejects.toMatchObject({ status: 401 });
    const svc = await client(`${url}?token=svc-secret`);
    expect((await svc.subscribe('stock.adjusted')).type).toBe('subscribed');
  });
});

describe('protocol', () => {
  it('subscribe, events, unsubscribe stops delivery; unknown channel and bad frames get error frames', async () => {
    const { server, url } = await start();
    const c = await client(url, 'demo:u1');
    expect(await c.subscribe('market.prices')).toMatchObject({ type: 'subscribed', channel: 'market.prices' });
    expect(server.publish(envelope('price.updated', { sku: 'a', price: 1 }))).toBe(1);
    await c.until(() => c.events().length === 1);
    expect(c.events()[0]).toMatchObject({ channel: 'market.prices', event: { metadata: { eventType: 'price.updated' }, data: { sku: 'a' } } });
    expect(await c.unsubscribe('market.prices')).toMatchObject({ type: 'unsubscribed', channel: 'market.prices' });
    expect(server.publish(envelope('price.updated', { sku: 'b', price: 2 }))).toBe(0);
    expect(await c.subscribe('nope')).toMatchObject({ type: 'error', code: 'unknown-channel' });
    c.send({ op: 'dance', id: 'd1' });
    c.ws.send('{not json');
    c.send({ op: 'subscribe', channel: 42, id: 'n1' });
    c.send([1, 2]);
    c.send({ op: 'ping', id: 'p1' });
    await c.until(() => c.frames.some((f) => f.id === 'p1'));
    const errors = c.frames.filter((f) => f.type === 'error');
    expect(errors.map((f) => f.code)).toEqual(['unknown-channel', 'bad-request', 'bad-request', 'bad-request', 'bad-request']);
    expect(c.events()).toHaveLength(1);
  });

  it('bounds subscriptions per connection', async () => {
    const { url } = await start({ maxSubscriptionsPerConnection: 2 });
    const c = await client(url, 'demo:u1');
    expect((await c.subscribe('market.prices')).type).toBe('subscribed');
    expect((await c.subscribe('orders')).type).toBe('subscribed');
    expect(await c.subscribe('order.*')).toMatchObject({ type: 'error', code: 'too-many-subscriptions' });
  });

  it('closes a socket sending a frame larger than maxFrameBytes (1009)', async () => {
    const { server, url } = await start({ maxFrameBytes: 512 });
    const c = await client(url, 'demo:u1');
    c.send({ op: 'subscribe', channel: 'x'.repeat(600) });
    await c.until(() => c.closeCode !== undefined);
    expect(c.closeCode).toBe(1009);
    await sleep(50);
    expect(server.stats().connections).toBe(0);
  });

  it('bounds connections (503 beyond maxConnections)', async () => {
    const { url } = await start({ maxConnections: 2 });
    await client(url, 'demo:a');
    await client(url, 'demo:b');
    await expect(connect(url, { headers: { authorization: 'Bearer demo:c' } })).rejects.toMatchObject({ status: 503 });
  });

  it('serves /health and /metrics', async () => {
    const { server, port, url } = await start();
    const c = await client(url, 'demo:u1');
    await c.subscribe('market.prices');
    server.publish(envelope('price.updated', { sku: 'a' }));
    await c.until(() => c.events().length === 1);
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { status: string; connections: number };
    expect(health).toMatchObject({ status: 'ok', connections: 1 });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('live_connections 1');
    expect(metrics).toContain('live_subscriptions{channel="market.prices"} 1');
    expect(metrics).toContain('live_frames_sent_total{channel="market.prices"} 1');
    expect(metrics).toMatch(/live_event_age_seconds \d/);
    expect((await fetch(`http://127.0.0.1:${port}/elsewhere`)).status).toBe(404);
  });
});

describe('classification', () => {
  it('confidential events reach only their own user: 2 users × 200 events, 0 leaks', async () => {
    const { server, url } = await start();
    const u1 = await client(url, 'demo:u1');
    const u2 = await client(url, 'demo:u2');
    const svc = await client(url, 'demo-service:billing');
    for (const c of [u1, u2]) for (const ch of ['orders', 'order.created', 'order.*']) await c.subscribe(ch);
    await svc.subscribe('orders');
    const sent = { u1: 0, u2: 0 };
    for (let i = 0; i < 200; i++) {
      const user = i % 3 === 0 ? 'u2' : 'u1';
      sent[user]++;
      // Half carry the user id in data, half only in metadata.
      server.publish(i % 2 === 0 ? envelope('order.created', { orderId: `o${i}`, userId: user }, { dataClassification: 'confidential' }) : envelope('order.created', { orderId: `o${i}` }, { userId: user, dataClassification: 'confidential' }));
    }
    // order.shipped: user id at the route's userField path only (data.userId is ignored for it).
    server.publish(envelope('order.shipped', { orderId: 'x', customer: { id: 'u2' }, userId: 'u1' }));
    sent.u2++;
    // No user id at all → nobody.
    expect(server.publish(envelope('order.created', { orderId: 'anon' }))).toBe(0);
    for (const [c, user] of [[u1, 'u1'], [u2, 'u2']] as const) {
      await c.until(() => c.events('orders').length === sent[user], 5000, `${user} events`);
    }
    await sleep(100);
    for (const [c, user] of [[u1, 'u1'], [u2, 'u2']] as const) {
      const leaks = c.events().filter((f) => (f.event?.data.userId ?? f.event?.metadata.userId) !== user && (f.event?.data.customer as { id?: string } | undefined)?.id !== user);
      console.log(`[live] ${user}: ${c.events().length} event frames, ${leaks.length} leaks`);
      expect(leaks).toHaveLength(0);
      expect(c.events('orders')).toHaveLength(sent[user]);
      expect(c.events('order.*')).toHaveLength(sent[user]);
      expect(c.events('order.created')).toHaveLength(sent[user] - (user === 'u2' ? 1 : 0));
    }
    expect(svc.events()).toHaveLength(0);
  });

  it('internal events reach service principals only; restricted ones reach nobody', async () => {
    const { server, url } = await start();
    const u1 = await client(url, 'demo:u1');
    const svc = await client(url, 'demo-service:billing');
    expect((await u1.subscribe('stock.adjusted')).code).toBe('forbidden');
    expect((await u1.subscribe('audit.recorded')).code).toBe('forbidden');
    expect((await svc.subscribe('audit.recorded')).code).toBe('forbidden');
    await u1.subscribe('orders');
    await svc.subscribe('orders');
    await svc.subscribe('stock.adjusted');
    expect(server.publish(envelope('stock.adjusted', { sku: 'a', delta: -1 }))).toBe(1);
    expect(server.publish(envelope('audit.recorded', { userId: 'u1', secret: 'x' }, { userId: 'u1' }))).toBe(0);
    // An envelope claiming a stricter classification than the catalog is treated as the stricter one.
    expect(server.publish(envelope('price.updated', { sku: 'a' }, { dataClassification: 'restricted' }))).toBe(0);
    await svc.until(() => svc.events().length === 2);
    await sleep(100);
    expect(svc.events().map((f) => f.channel).sort()).toEqual(['orders', 'stock.adjusted']);
    expect(u1.events()).toHaveLength(0);
    expect(server.stats().restrictedSuppressed).toBe(2);
  });

  it('wildcard channel receives every matching event type, and only those', async () => {
    const { server, url } = await start();
    const u1 = await client(url, 'demo:u1');
    await u1.subscribe('order.*');
    server.publish(envelope('order.created', { userId: 'u1' }));
    server.publish(envelope('order.shipped', { customer: { id: 'u1' } }));
    server.publish(envelope('price.updated', { sku: 'a' }));
    await u1.until(() => u1.events().length === 2);
    await sleep(50);
    expect(u1.events().map((f) => f.event?.metadata.eventType)).toEqual(['order.created', 'order.shipped']);
  });
});

describe('backpressure', () => {
  it('a stalled socket stays within its byte bound and does not slow a fast one (drop-oldest)', async () => {
    const bound = 64 * 1024;
    const { server, url } = await start({ maxBufferedBytes: bound });
    const fast = await client(url, 'demo:fast');
    const slow = await client(url, 'demo:slow');
    await fast.subscribe('market.prices');
    await slow.subscribe('market.prices');
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const pad = 'x'.repeat(1800);
    const total = 8000;
    const latencies: number[] = [];
    fast.ws.on('message', (d) => {
      const f = JSON.parse(String(d)) as { type: string; event?: { data: { t: number } } };
      if (f.type === 'event' && f.event) latencies.push(performance.now() - f.event.data.t);
    });
    for (let i = 0; i < total; i++) {
      server.publish(envelope('price.updated', { i, t: performance.now(), pad }));
      // ~20 KB per millisecond: a rate the fast client keeps up with, so every event of its reaches it.
      if (i % 10 === 9) await sleep(1);
    }
    await fast.until(() => fast.events().length === total, 20_000, 'fast client events');
    const stats = server.stats();
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    console.log(`[live] stalled client: ${total} events of ~2 KB (${((total * 1.9) / 1024).toFixed(1)} MB), peak bytes held for one socket ${stats.peakConnectionBytes} (bound ${bound}), dropped ${stats.framesDropped}; fast client p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`);
    expect(stats.peakConnectionBytes).toBeLessThanOrEqual(bound + 1024);
    expect(stats.framesDropped).toBeGreaterThan(0);
    expect(fast.events()).toHaveLength(total);
    expect(fast.frames.filter((f) => f.type === 'dropped')).toHaveLength(0);
    expect(p99).toBeLessThan(1000);
    // The stalled client catches up: it gets the newest events and a `dropped` frame with the count.
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await slow.until(() => slow.frames.some((f) => f.type === 'dropped'), 10_000, 'dropped frame');
    const dropped = slow.frames.filter((f) => f.type === 'dropped').reduce((n, f) => n + (f.count ?? 0), 0);
    await slow.until(() => slow.events().length + dropped === total, 10_000, 'slow client to account for every event');
    expect(slow.events().length + dropped).toBe(total);
    expect(slow.events().at(-1)?.event?.data.i).toBe(total - 1);
  });

  it('overflow "close" closes a stalled socket with 1013', async () => {
    const { server, url } = await start({ maxBufferedBytes: 32 * 1024 });
    const slow = await client(url, 'demo:u1');
    await slow.subscribe('orders');
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const pad = 'y'.repeat(2000);
    for (let i = 0; i < 3000 && server.stats().slowCloses === 0; i++) {
      server.publish(envelope('order.created', { userId: 'u1', pad, i }));
      if (i % 50 === 49) await new Promise((r) => setImmediate(r));
    }
    expect(server.stats().slowCloses).toBe(1);
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await slow.until(() => slow.closeCode !== undefined, 5000, 'close');
    expect(slow.closeCode).toBe(1013);
    expect(server.stats().peakConnectionBytes).toBeLessThanOrEqual(32 * 1024 + 1024);
  });
});

describe('liveness', () => {
  it('heartbeat terminates a peer that stops answering pings', async () => {
    const { server, url } = await start({ heartbeatMs: 100 });
    const dead = await connect(url, { headers: { authorization: 'Bearer demo:u1' }, autoPong: false });
    clients.push(dead);
    const alive = await client(url, 'demo:u2');
    await dead.subscribe('market.prices');
    await alive.subscribe('market.prices');
    await dead.until(() => dead.closeCode !== undefined, 3000, 'termination');
    await sleep(350);
    expect(alive.closeCode).toBeUndefined();
    expect(server.stats()).toMatchObject({ connections: 1, heartbeatTerminations: 1 });
  });

  it('idle timeout closes sockets without subscriptions', async () => {
    const { server, url } = await start({ idleTimeoutMs: 200 });
    const idle = await client(url, 'demo:u1');
    const busy = await client(url, 'demo:u2');
    await busy.subscribe('market.prices');
    await idle.until(() => idle.closeCode !== undefined, 3000, 'idle close');
    expect(idle.closeCode).toBe(1000);
    expect(busy.closeCode).toBeUndefined();
    await sleep(50);
    expect(server.stats().connections).toBe(1);
  });
});
