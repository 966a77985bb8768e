/**
 * The event gateway on a real Kafka broker and a real Redis (a redis-server of our own, stopped mid-test): publish one
 * and a batch, an Idempotency-Key used twice gives one record in Kafka, statuses go PENDING → PROCESSED for a healthy
 * group and → DEAD_LETTERED for a failing one (consumers writing to the same Redis), and with Redis down `/health` and
 * publishing answer 503 and nothing reaches Kafka; once Redis is back every event a retrying client sent is in Kafka
 * exactly once.
 */
import { Redis } from 'ioredis';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod/v4';
import { startRedis, stopRedis } from '../../scripts/kafka/lib.mjs';
import { createGateway, kafkaAdminProbe, type EventGateway, type GatewayRoute } from '../../templates/gateway/gateway.js';
import { defineEvent, EventProducer, GroupConsumer, NonRetriableError, RedisStatusStore, route, TopicDelegator } from '../../templates/runtime/index.js';
import { kafkaBrokers, redisUrl, uniqueName } from '../support/kafka.js';
import { admin, createTopics, kafkajsClient, readAll, recordCount, testLogger, transport, waitFor } from './helpers.js';

const brokers = await kafkaBrokers();
const haveRedis = (await redisUrl()) !== undefined;
const PORT = 16392;

const ParcelSchema = z.object({ parcelId: z.string().min(1), grams: z.number().int().positive() });
const Parcel = (topic: string) => defineEvent({ eventType: 'parcel.sent', version: '1.0.0', topics: [topic], schema: ParcelSchema, classification: 'internal', partitionKey: (d) => d.parcelId });

describe.skipIf(!brokers || !haveRedis)('gateway on Kafka + Redis', () => {
  let a: Admin;
  let redis: Redis;
  let gateway: EventGateway;
  let base: string;
  let topic: string;
  const consumers: GroupConsumer[] = [];
  const okGroup = uniqueName('g-gw-ok');
  const failGroup = uniqueName('g-gw-fail');

  beforeAll(async () => {
    a = await admin(brokers!);
    topic = uniqueName('it-gateway');
    await createTopics(a, [
      { topic, partitions: 3 },
      { topic: `${topic}.dlq`, partitions: 1 },
    ]);
    await startRedis({ port: PORT });
    redis = new Redis({ port: PORT, host: '127.0.0.1', maxRetriesPerRequest: 1, retryStrategy: () => 100, enableAutoPipelining: true });
    redis.on('error', () => {}); // the outage below is expected
    const statusStore = new RedisStatusStore({ client: redis, keyPrefix: `${uniqueName('gw')}:`, operationTimeoutMs: 500 });
    const t = transport(brokers!);
    const event = Parcel(topic);
    const routes: GatewayRoute[] = [{ eventType: 'parcel.sent', topic, definition: event, groups: [okGroup, failGroup].sort(), keyOverride: false, priority: 'normal' }];
    const producer = new EventProducer({ transport: t, source: 'gateway-it', logger: testLogger() });
    gateway = createGateway({ producer, routes, statusStore, logger: testLogger(), kafkaProbe: kafkaAdminProbe('kafka' in t ? t.kafka : kafkajsClient(brokers!)), statusTimeoutMs: 500 });
    const { port } = await gateway.listen(0);
    base = `http://127.0.0.1:${port}`;
    consumers.push(
      new GroupConsumer({ groupId: okGroup, transport: t, statusStore, fromBeginning: true, logger: testLogger(), topics: [new TopicDelegator({ topic, routes: [route(event, { handle: async () => {} })] })] }),
      new GroupConsumer({
        groupId: failGroup,
        transport: t,
        statusStore,
        fromBeginning: true,
        logger: testLogger(),
        topics: [new TopicDelegator({ topic, routes: [route(event, { handle: async () => Promise.reject(new NonRetriableError('parcel too heavy')) })] })],
      }),
    );
    await Promise.all(consumers.map((c) => c.start()));
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.stop()));
    await gateway?.close();
    redis?.disconnect();
    await stopRedis({ port: PORT });
    await a?.disconnect();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('publishes one and a batch; an Idempotency-Key used twice gives one record', async () => {
    const one = await post('/events/parcel.sent', { parcelId: 'p-1', grams: 100 });
    expect(one.status).toBe(202);
    const batch = await post('/events:batch', { events: [1, 2, 3].map((i) => ({ eventType: 'parcel.sent', data: { parcelId: `p-b${i}`, grams: i } })) });
    expect(batch.status).toBe(202);
    expect(((await batch.json()) as { results: unknown[] }).results).toHaveLength(3);
    const first = await post('/events/parcel.sent', { parcelId: 'p-idem', grams: 7 }, { 'idempotency-key': 'idem-1' });
    const second = await post('/events/parcel.sent', { parcelId: 'p-idem', grams: 7 }, { 'idempotency-key': 'idem-1' });
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await recordCount(a, topic)).toBe(5);
    const records = await readAll(brokers!, topic, 5);
    expect(records.filter((r) => JSON.parse(r.value?.toString() ?? '{}').data.parcelId === 'p-idem')).toHaveLength(1);
  });

  it('statuses: PROCESSED for the healthy group, DEAD_LETTERED with the DLQ record for the failing one', async () => {
    const res = await post('/events/parcel.sent', { parcelId: 'p-status', grams: 1 });
    const { eventId } = (await res.json()) as { eventId: string };
    type Status = { status: string; offset?: string; groups: Record<string, { status: string; attempts: number; deadLetter?: { topic: string; partition?: number; offset?: string }; lastError?: string }> };
    let status: Status | undefined;
    const seen = new Set<string>();
    await waitFor(
      async () => {
        status = (await (await fetch(`${base}/events/${eventId}`)).json()) as Status;
        seen.add(status.status);
        return status.groups[okGroup]?.status === 'PROCESSED' && status.groups[failGroup]?.status === 'DEAD_LETTERED';
      },
      30_000,
      () => JSON.stringify(status),
      50,
    );
    expect(status?.groups[failGroup]).toMatchObject({ status: 'DEAD_LETTERED', attempts: 1, lastError: 'parcel too heavy', deadLetter: { topic: `${topic}.dlq`, partition: 0 } });
    expect(status?.status).toBe('DEAD_LETTERED');
    expect(status?.offset).toMatch(/^\d+$/);
    const dlq = await readAll(brokers!, `${topic}.dlq`, 1);
    expect(dlq.map((r) => r.offset)).toContain(status?.groups[failGroup]?.deadLetter?.offset);
  });

  it('Redis down: /health and publishing answer 503 and nothing is sent; back up: a retrying client gets every event in exactly once', async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const before = await recordCount(a, topic);
    await stopRedis({ port: PORT });
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'unavailable', checks: { statusStore: { healthy: false }, kafka: { healthy: true } } });
    // A client publishing 20 events with an Idempotency-Key each, retrying on 503.
    const N = 20;
    const accepted = new Map<number, string>();
    let refused = 0;
    const client = async (): Promise<void> => {
      for (let round = 0; accepted.size < N && round < 400; round++) {
        for (let i = 0; i < N; i++) {
          if (accepted.has(i)) continue;
          const r = await post('/events/parcel.sent', { parcelId: `p-out-${i}`, grams: 1 }, { 'idempotency-key': `outage-${i}` });
          if (r.status === 202) accepted.set(i, ((await r.json()) as { eventId: string }).eventId);
          else {
            expect(r.status).toBe(503);
            expect(r.headers.get('retry-after')).toBe('5');
            refused++;
          }
        }
        await new Promise((res) => setTimeout(res, 100));
      }
    };
    const running = client();
    await new Promise((r) => setTimeout(r, 1500));
    expect(accepted.size).toBe(0);
    expect(await recordCount(a, topic)).toBe(before);
    const back = Date.now();
    await startRedis({ port: PORT });
    await running;
    console.log(`[it] gateway: Redis down 1.5 s: ${refused} publishes answered 503, 0 sent; all ${N} accepted ${Date.now() - back} ms after Redis returned, each once in Kafka`);
    expect(refused).toBeGreaterThan(0);
    expect(accepted.size).toBe(N);
    await waitFor(async () => (await recordCount(a, topic)) >= before + N, 10_000);
    const records = await readAll(brokers!, topic, before + N);
    const outage = records.map((r) => JSON.parse(r.value?.toString() ?? '{}') as { metadata: { eventId: string }; data: { parcelId: string } }).filter((e) => e.data.parcelId.startsWith('p-out-'));
    expect(outage).toHaveLength(N);
    expect(new Set(outage.map((e) => e.metadata.eventId))).toEqual(new Set(accepted.values()));
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });
});
