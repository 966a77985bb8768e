/**
 * `--with live` on the live fixture (test/fixtures/catalogs/live): the channel table follows the catalog (event,
 * topic and pattern channels; restricted events get none), the tree compiles under tsc --strict, and the generated
 * `createLiveGateway` runs on the in-memory transport: events produced with the generated producers reach real ws
 * clients according to their classification, through the typed `createLiveClient` too.
 */
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { generate, type GenerateResult } from '../../generator/index.js';
import type { LiveClient, LiveClientOptions } from '../../templates/live/client.js';
import type { LiveAuthenticate, LiveChannel, LiveEventRoute, LiveServer, LiveServerOptions } from '../../templates/live/server.js';
import type { ConsumerHealth, InMemoryTransport, InMemoryTransportOptions, Logger, Transport } from '../../templates/runtime/index.js';
import { fixturePath, ROOT, typecheck, writeTree } from '../support/tree.js';
import { connect, sleep, type TestClient } from './helpers.js';

// The generated modules' shapes, as far as this test uses them (the tree lives under test/output, outside tsconfig).
type AnyEnvelope = { metadata: { eventType: string; eventId: string }; data: Record<string, unknown> };
interface Root {
  InMemoryTransport: new (options?: InMemoryTransportOptions) => InMemoryTransport;
  silentLogger: Logger;
  createProducers(from: { transport: Transport; logger: Logger }): {
    orders: Record<'orderCreated' | 'orderCancelled' | 'stockAdjusted' | 'auditRecorded', (data: Record<string, unknown>) => Promise<unknown>>;
    marketPrices: Record<'priceUpdated', (data: Record<string, unknown>) => Promise<unknown>>;
  };
}
interface Live {
  LIVE_CHANNELS: readonly LiveChannel[];
  LIVE_EVENTS: readonly LiveEventRoute[];
  LIVE_TOPICS: readonly string[];
  LIVE_DEFINITIONS: ReadonlyMap<string, unknown>;
  demoTokens(): LiveAuthenticate;
  createLiveGateway(options: Omit<LiveServerOptions, 'events' | 'channels'> & { transport: Transport; fromBeginning?: boolean; groupId?: string }): {
    server: LiveServer;
    start(): Promise<void>;
    listen(port: number): Promise<{ port: number }>;
    health(): { healthy: boolean; connections: number; consumer: ConsumerHealth };
    close(): Promise<void>;
  };
  createLiveClient(url: string, options: LiveClientOptions): LiveClient<Record<string, AnyEnvelope>>;
}

/** Compiled with the tree: the typed client gives each channel's envelope type (a union on topic and pattern channels). */
const TYPED_USAGE = [
  "import { createLiveClient } from './live/index.js';",
  "const client = createLiveClient('ws://localhost:3001/ws', { token: 'demo:u1' });",
  "client.subscribe('order.*', (event) => {",
  "  const id: string = event.data.orderId; void id;",
  '});',
  "client.subscribe('market.prices', (event) => { const price: number = event.data.price; void price; });",
  "client.subscribe('order.created', (event) => { const total: number = event.data.total; const t: 'order.created' = event.metadata.eventType; void total; void t; });",
  "// @ts-expect-error not a channel of the catalog",
  "client.subscribe('audit.recorded', () => undefined);",
  "// @ts-expect-error order events carry no price",
  "client.subscribe('order.created', (event) => { const p: number = event.data.price; void p; });",
  '',
].join('\n');

let result: GenerateResult;
let dir: string;
beforeAll(async () => {
  result = await generate(path.relative(ROOT, fixturePath('live')), { cwd: ROOT, services: ['live'] });
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  dir = writeTree('live-fixture', [...result.files, { path: 'typed-usage.ts', content: TYPED_USAGE, ownership: 'managed' }]);
});

const closers: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

describe('generated live/ (fixture catalog)', () => {
  it('emits the server and client verbatim plus channels, index and main', () => {
    const live = result.files.filter((f) => f.path.startsWith('live/')).map((f) => f.path).sort();
    expect(live).toEqual(['live/channels.ts', 'live/client.ts', 'live/index.ts', 'live/main.ts', 'live/server.ts']);
  });

  it('type-checks under tsc --strict (NodeNext), with a typed use of createLiveClient', () => {
    expect(typecheck([dir])).toEqual([]);
  }, 120_000);

  it('has one channel per event type and topic, order.* as a pattern, and none for the restricted event', async () => {
    const live = (await import(path.join(dir, 'live/index.ts'))) as Live;
    const channels = Object.fromEntries(live.LIVE_CHANNELS.map((c) => [c.name, c.kind]));
    expect(channels).toEqual({
      'price.updated': 'event',
      'order.created': 'event',
      'order.cancelled': 'event',
      'stock.adjusted': 'event',
      'market.prices': 'topic',
      orders: 'topic',
      'order.*': 'pattern',
    });
    const routes = Object.fromEntries(live.LIVE_EVENTS.map((e) => [e.eventType, e]));
    expect(routes['audit.recorded']).toMatchObject({ classification: 'restricted', channels: [] });
    expect(routes['order.created']).toMatchObject({ topic: 'orders', classification: 'confidential', channels: ['order.created', 'orders', 'order.*'] });
    expect(routes['stock.adjusted']?.classification).toBe('internal');
    expect(routes['price.updated']?.classification).toBe('public');
    expect([...live.LIVE_TOPICS]).toEqual(['market.prices', 'orders']);
    expect(live.LIVE_DEFINITIONS.has('audit.recorded')).toBe(false);
  });

  it('createLiveGateway fans out produced events by classification to real ws clients (in-memory transport)', async () => {
    const root = (await import(path.join(dir, 'index.ts'))) as Root;
    const live = (await import(path.join(dir, 'live/index.ts'))) as Live;
    const transport = new root.InMemoryTransport({ partitions: { orders: 3, 'market.prices': 2 }, redeliveryDelayMs: 5 });
    const gateway = live.createLiveGateway({ transport, authenticate: live.demoTokens(), logger: root.silentLogger, fromBeginning: true, closeGraceMs: 200 });
    closers.push(() => gateway.close());
    await gateway.start();
    const { port } = await gateway.listen(0);
    const url = `ws://127.0.0.1:${port}/ws`;
    const clients: TestClient[] = [];
    const open = async (token: string): Promise<TestClient> => {
      const c = await connect(url, { headers: { authorization: `Bearer ${token}` } });
      clients.push(c);
      closers.push(() => c.close());
      return c;
    };
    await expect(connect(url)).rejects.toMatchObject({ status: 401 });
    const u1 = await open('demo:u1');
    const u2 = await open('demo:u2');
    const svc = await open('demo-service:billing');
    for (const c of [u1, u2]) {
      expect((await c.subscribe('orders')).type).toBe('subscribed');
      expect((await c.subscribe('market.prices')).type).toBe('subscribed');
    }
    expect((await svc.subscribe('orders')).type).toBe('subscribed');
    expect((await u1.subscribe('stock.adjusted')).code).toBe('forbidden');
    expect((await u1.subscribe('audit.recorded')).code).toBe('unknown-channel');

    // The typed client (ws as its WebSocket, token in the query string).
    const typed: string[] = [];
    const client = live.createLiveClient(url, { token: 'demo:u2', WebSocket });
    closers.push(() => client.close());
    await client.opened;
    const sub = client.subscribe('order.*', (event) => {
      if (event.metadata.eventType === 'order.created') typed.push(`${event.metadata.eventType}:${event.data.orderId}:${event.data.total}`);
      else typed.push(`${event.metadata.eventType}:${event.data.orderId}`);
    });
    await sub.ready;

    const producers = root.createProducers({ transport, logger: root.silentLogger });
    const sent = { u1: 0, u2: 0 };
    for (let i = 0; i < 60; i++) {
      const userId = i % 3 === 0 ? 'u2' : 'u1';
      sent[userId]++;
      if (i % 2 === 0) await producers.orders.orderCreated({ orderId: `o${i}`, userId, total: i });
      else await producers.orders.orderCancelled({ orderId: `o${i}`, userId });
    }
    await producers.orders.stockAdjusted({ sku: 'a', delta: -1 });
    await producers.orders.auditRecorded({ userId: 'u1', action: 'login' });
    await producers.marketPrices.priceUpdated({ sku: 'a', price: 9.5 });

    await u1.until(() => u1.events('orders').length === sent.u1 && u1.events('market.prices').length === 1, 10_000, 'u1 events');
    await u2.until(() => u2.events('orders').length === sent.u2 && u2.events('market.prices').length === 1, 10_000, 'u2 events');
    await svc.until(() => svc.events('orders').length === 1, 10_000, 'service event');
    await sleep(200);
    for (const [c, user] of [[u1, 'u1'], [u2, 'u2']] as const) {
      const orders = c.events('orders');
      expect(orders.filter((f) => f.event?.data.userId !== user)).toEqual([]);
      expect(orders).toHaveLength(sent[user]);
      expect(c.frames.some((f) => f.event?.metadata.eventType === 'audit.recorded' || f.event?.metadata.eventType === 'stock.adjusted')).toBe(false);
    }
    expect(svc.events().map((f) => f.event?.metadata.eventType)).toEqual(['stock.adjusted']);
    expect(typed).toHaveLength(sent.u2);
    expect(typed.every((t) => /^order\.(created|cancelled):o\d+/.test(t))).toBe(true);
    expect(gateway.server.stats().restrictedSuppressed).toBe(0); // restricted events are not even handed to the server
    const health = gateway.health();
    expect(health).toMatchObject({ healthy: true, connections: 4 });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('live_subscriptions{channel="orders"} 3');
    expect(metrics).toContain('eventgen_processing_duration_seconds_count{group="live-shop-live"'); // the consumer's metrics are appended

    // Unsubscribing stops delivery.
    await sub.unsubscribe();
    await u1.unsubscribe('orders');
    await producers.orders.orderCreated({ orderId: 'late', userId: 'u1', total: 1 });
    await producers.orders.orderCreated({ orderId: 'late2', userId: 'u2', total: 1 });
    await u2.until(() => u2.events('orders').length === sent.u2 + 1, 10_000, 'late u2 event');
    await sleep(200);
    expect(u1.events('orders')).toHaveLength(sent.u1);
    expect(typed).toHaveLength(sent.u2);
    await producers.orders.orderCreated({ orderId: 'x', userId: 'u1', total: 1 }).catch(() => undefined);
  }, 60_000);
});
