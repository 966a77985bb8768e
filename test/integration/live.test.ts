/**
 * `--with live` on a real Kafka broker: the live fixture catalog (topics renamed to unique ones) is generated, its
 * producers write 1,000 confidential order events for u1/u2 plus restricted audit events, and the generated
 * `createLiveGateway` (its own consumer group) fans them out to two real ws clients. Asserts: 401 without a token,
 * exact counts per user, zero leaks, zero restricted frames, and that unsubscribing stops delivery; then a stalled
 * client (its socket not read) stays within its byte bound while another client's latency is unchanged.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../generator/index.js';
import type { LiveAuthenticate, LiveServer, LiveServerOptions } from '../../templates/live/server.js';
import type { KafkaTransportOptions, Logger, Transport } from '../../templates/runtime/index.js';
import { connect, percentile, sleep, type TestClient } from '../live/helpers.js';
import { kafkaBrokers, uniqueName } from '../support/kafka.js';
import { fixturePath, ROOT, writeTree } from '../support/tree.js';
import { admin, createTopics, testLogger } from './helpers.js';

const brokers = await kafkaBrokers();

// The generated modules' shapes, as far as this test uses them (the tree is written under test/output).
interface Root {
  /** The generated runtime's transport factory (reads KAFKA_CLIENT). */
  createTransport(options: Omit<KafkaTransportOptions, 'client'>): Transport;
  kafkaConfig(options: { brokers: string; clientId: string }): KafkaTransportOptions['config'];
  /** Keyed by the (unique) topic name's member name. */
  createProducers(from: { transport: Transport; logger: Logger }): Record<string, Partial<Record<'orderCreated' | 'auditRecorded' | 'priceUpdated', (data: Record<string, unknown>) => Promise<unknown>>>>;
}
interface Live {
  demoTokens(): LiveAuthenticate;
  createLiveGateway(options: Omit<LiveServerOptions, 'events' | 'channels'> & { transport: Transport; fromBeginning?: boolean; groupId?: string }): {
    server: LiveServer;
    start(): Promise<void>;
    listen(port: number): Promise<{ port: number }>;
    health(): { healthy: boolean; consumer: { assignedPartitions: number } };
    close(): Promise<void>;
  };
}

describe.skipIf(!brokers)('live gateway on Kafka', () => {
  let a: Admin;
  let root: Root;
  let live: Live;
  let gateway: ReturnType<Live['createLiveGateway']>;
  let transport: Transport;
  let url: string;
  const clients: TestClient[] = [];
  const ordersTopic = uniqueName('it-live-orders');
  const pricesTopic = uniqueName('it-live-prices');

  beforeAll(async () => {
    a = await admin(brokers!);
    await createTopics(a, [
      { topic: ordersTopic, partitions: 3 },
      { topic: pricesTopic, partitions: 1 },
    ]);
    const catalog = readFileSync(fixturePath('live'), 'utf8').replace('address: orders', `address: ${ordersTopic}`).replace('address: market.prices', `address: ${pricesTopic}`);
    const name = uniqueName('live-it');
    const catalogDir = writeTree(`${name}-catalog`, [{ path: 'asyncapi.yaml', content: catalog, ownership: 'managed' }]);
    const result = await generate(path.relative(ROOT, path.join(catalogDir, 'asyncapi.yaml')), { cwd: ROOT, services: ['live'], docs: false });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const dir = writeTree(name, result.files);
    root = (await import(path.join(dir, 'index.ts'))) as Root;
    live = (await import(path.join(dir, 'live/index.ts'))) as Live;
    transport = root.createTransport({
      config: root.kafkaConfig({ brokers: brokers!, clientId: 'eventgen-it-live' }),
      logger: testLogger(),
      producer: {},
      consumer: { heartbeatIntervalMs: 1000, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 20_000 },
    });
    gateway = live.createLiveGateway({ transport, authenticate: live.demoTokens(), groupId: uniqueName('g-live'), fromBeginning: true, logger: testLogger(), closeGraceMs: 500 });
    await gateway.start();
    const { port } = await gateway.listen(0);
    url = `ws://127.0.0.1:${port}/ws`;
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await gateway?.close();
    await a?.deleteTopics({ topics: [ordersTopic, pricesTopic] }).catch(() => undefined);
    await a?.disconnect();
  });

  it('1,000 confidential orders for u1/u2 reach exactly their user, restricted ones nobody; 401 without a token; unsubscribe stops delivery', async () => {
    await expect(connect(url)).rejects.toMatchObject({ status: 401 });
    const u1 = await connect(url, { headers: { authorization: 'Bearer demo:u1' } });
    const u2 = await connect(`${url}?token=demo:u2`);
    clients.push(u1, u2);
    for (const c of [u1, u2]) {
      expect((await c.subscribe(ordersTopic)).type).toBe('subscribed');
      expect((await c.subscribe('order.created')).type).toBe('subscribed');
    }
    const orders = Object.values(root.createProducers({ transport, logger: testLogger() })).find((p) => p.orderCreated !== undefined);
    const orderCreated = orders?.orderCreated?.bind(orders);
    const auditRecorded = orders?.auditRecorded?.bind(orders);
    if (orderCreated === undefined || auditRecorded === undefined) throw new Error('no orders producer generated');
    const sent = { u1: 0, u2: 0 };
    const started = Date.now();
    for (let batch = 0; batch < 10; batch++) {
      const sends: Array<Promise<unknown>> = [];
      for (let i = batch * 100; i < (batch + 1) * 100; i++) {
        const userId = i % 2 === 0 ? 'u1' : 'u2';
        sent[userId]++;
        sends.push(orderCreated({ orderId: `o-${i}`, userId, total: i }));
        if (i % 20 === 0) sends.push(auditRecorded({ userId, action: `audit-${i}` }));
      }
      await Promise.all(sends);
    }
    const produceMs = Date.now() - started;
    await u1.until(() => u1.events(ordersTopic).length >= sent.u1 && u1.events('order.created').length >= sent.u1, 60_000, 'u1 events');
    await u2.until(() => u2.events(ordersTopic).length >= sent.u2 && u2.events('order.created').length >= sent.u2, 60_000, 'u2 events');
    await sleep(500);
    let leaks = 0;
    for (const [c, user] of [[u1, 'u1'], [u2, 'u2']] as const) {
      leaks += c.events().filter((f) => f.event?.data.userId !== user).length;
      const ids = new Set(c.events(ordersTopic).map((f) => f.event?.data.orderId));
      expect(c.events(ordersTopic)).toHaveLength(sent[user]);
      expect(c.events('order.created')).toHaveLength(sent[user]);
      expect(ids.size).toBe(sent[user]);
      expect(c.frames.filter((f) => f.event?.metadata.eventType === 'audit.recorded')).toHaveLength(0);
      expect(c.frames.filter((f) => f.type === 'dropped')).toHaveLength(0);
    }
    console.log(`[live-kafka] produced ${sent.u1 + sent.u2} confidential + 50 restricted events in ${produceMs} ms; u1 got ${u1.events(ordersTopic).length}, u2 got ${u2.events(ordersTopic).length} per channel; leaks ${leaks}; restricted frames 0 (${Date.now() - started} ms end to end)`);
    expect(leaks).toBe(0);
    expect(gateway.server.stats().restrictedSuppressed).toBe(0); // never even handed to the server

    // Unsubscribing stops delivery.
    await u1.unsubscribe(ordersTopic);
    await u1.unsubscribe('order.created');
    await Promise.all(Array.from({ length: 20 }, (_, i) => orderCreated({ orderId: `late-${i}`, userId: i % 2 === 0 ? 'u1' : 'u2', total: 1 })));
    await u2.until(() => u2.events(ordersTopic).length === sent.u2 + 10, 30_000, 'late u2 events');
    await sleep(500);
    expect(u1.events(ordersTopic)).toHaveLength(sent.u1);
  }, 120_000);

  it('a stalled client stays within its byte bound while a fast client receives every event with unchanged latency (p99 reported)', async () => {
    const bound = 16 * 1024;
    const stallGateway = live.createLiveGateway({ transport, authenticate: live.demoTokens(), groupId: uniqueName('g-live-stall'), fromBeginning: false, logger: testLogger(), closeGraceMs: 500, maxBufferedBytes: bound });
    try {
      await stallGateway.start();
      const { port } = await stallGateway.listen(0);
      const stallUrl = `ws://127.0.0.1:${port}/ws`;
      // fromBeginning false: wait for the assignment, so no event produced below is before the group's start.
      const deadline = Date.now() + 30_000;
      while (stallGateway.health().consumer.assignedPartitions < 4 && Date.now() < deadline) await sleep(100);
      expect(stallGateway.health().consumer.assignedPartitions).toBe(4);
      const fast = await connect(`${stallUrl}?token=demo:fast`);
      clients.push(fast);
      expect((await fast.subscribe(pricesTopic)).type).toBe('subscribed');
      const prices = Object.values(root.createProducers({ transport, logger: testLogger() })).find((p) => p.priceUpdated !== undefined);
      const priceUpdated = prices?.priceUpdated?.bind(prices);
      if (priceUpdated === undefined) throw new Error('no prices producer generated');
      // ~2.2 KB frames (a long sku), 6,000 per phase (~13 MB): more than the kernel's socket buffers of a paused
      // loopback peer absorb, so the server's own bound is what stops the stalled socket's memory from growing.
      const total = 6000;
      const sku = (phase: string, i: number): string => `${phase}-${i}-${'s'.repeat(2000)}`;
      const burst = async (phase: string): Promise<number[]> => {
        const before = fast.events(pricesTopic).length;
        const seen: number[] = [];
        const onFrame = (): void => {
          const f = fast.frames[fast.frames.length - 1];
          if (f?.type === 'event' && f.channel === pricesTopic) seen.push(Date.now() - Date.parse(f.event?.metadata.timestamp ?? ''));
        };
        fast.ws.on('message', onFrame);
        for (let b = 0; b < total / 200; b++) await Promise.all(Array.from({ length: 200 }, (_, i) => priceUpdated({ sku: sku(phase, b * 200 + i), price: b * 200 + i })));
        await fast.until(() => fast.events(pricesTopic).length >= before + total, 60_000, `${phase} prices`);
        fast.ws.off('message', onFrame);
        return seen;
      };
      const alone = await burst('alone');
      const stalled = await connect(`${stallUrl}?token=demo:stalled`);
      clients.push(stalled);
      expect((await stalled.subscribe(pricesTopic)).type).toBe('subscribed');
      (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const beside = await burst('beside');
      const stats = stallGateway.server.stats();
      const p99Alone = percentile(alone, 99);
      const p99Beside = percentile(beside, 99);
      console.log(`[live-kafka] stalled client: ${total} events of ~2.2 KB, peak bytes held for one socket ${stats.peakConnectionBytes} (bound ${bound}), dropped ${stats.framesDropped}; fast client produce→client p50/p99 alone ${percentile(alone, 50)}/${p99Alone} ms, beside the stalled one ${percentile(beside, 50)}/${p99Beside} ms`);
      expect(fast.events(pricesTopic)).toHaveLength(2 * total);
      expect(alone).toHaveLength(total);
      expect(beside).toHaveLength(total);
      expect(fast.frames.filter((f) => f.type === 'dropped')).toHaveLength(0);
      expect(stats.peakConnectionBytes).toBeLessThanOrEqual(bound + 1024);
      expect(stats.framesDropped).toBeGreaterThan(0);
      // Unchanged within the noise of a shared 2-core machine: the fan-out never waits for a socket.
      expect(p99Beside).toBeLessThanOrEqual(3 * p99Alone + 500);
    } finally {
      await stallGateway.close();
    }
  }, 120_000);
});
