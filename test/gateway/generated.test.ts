/**
 * The generated gateway of the bundled catalog (generated/gateway, `"with": ["gateway"]` in eventgen.config.json):
 * every route takes its catalog example, statuses follow the generated consumers (PROCESSED for a healthy group,
 * DEAD_LETTERED for a failing one), the served OpenAPI document is the generated one and names exactly the routes,
 * and `gateway/main.ts` runs as a service (env configuration, auth, graceful SIGTERM).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEventGateway, GATEWAY_ROUTES, OPENAPI_DOCUMENT, type EventGateway } from '../../generated/gateway/index.js';
import {
  InMemoryStatusStore,
  InMemoryTransport,
  inventoryService,
  NonRetriableError,
  paymentService,
  silentLogger,
  TOPIC_PARTITIONS,
  type GroupConsumer,
} from '../../generated/index.js';
import { generateAt, ROOT } from '../support/tree.js';

const EXAMPLES = new Map<string, unknown>();
beforeAll(async () => {
  const result = await generateAt(path.join(ROOT, 'catalog/shop.asyncapi.yaml'));
  for (const e of result.catalog?.events ?? []) if (e.examples[0] !== undefined) EXAMPLES.set(e.type, e.examples[0].payload);
});

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function start() {
  const transport = new InMemoryTransport({ partitions: TOPIC_PARTITIONS, redeliveryDelayMs: 5 });
  const statusStore = new InMemoryStatusStore();
  const gateway: EventGateway = createEventGateway({ transport, statusStore, logger: silentLogger });
  closers.push(() => gateway.close());
  const { port } = await gateway.listen(0);
  return { transport, statusStore, gateway, base: `http://127.0.0.1:${port}` };
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('generated gateway (bundled catalog)', () => {
  it('publishes every route\'s catalog example on the catalog topic with the catalog key rule and default priority', async () => {
    const { base, transport } = await start();
    const tried = GATEWAY_ROUTES.filter((r) => EXAMPLES.has(r.eventType));
    expect(tried.length).toBeGreaterThanOrEqual(15);
    for (const r of tried) {
      const res = await post(`${base}/events/${r.eventType}`, EXAMPLES.get(r.eventType));
      expect(res.status, r.eventType).toBe(202);
      const body = (await res.json()) as { topic: string; eventId: string };
      expect(body.topic).toBe(r.topic);
      const record = transport.records(r.topic).find((x) => String(x.headers['event-id']) === body.eventId);
      expect(record, r.eventType).toBeDefined();
      expect(String(record?.headers['event-priority'])).toBe(r.priority);
    }
    const priorities = new Map(GATEWAY_ROUTES.map((r) => [r.eventType, r.priority]));
    expect(priorities.get('payment.failed')).toBe('high'); // x-priority in the catalog
    expect(priorities.get('audit.recorded')).toBe('low');
    expect(priorities.get('order.created')).toBe('normal');
  });

  it('statuses follow the consumers: PROCESSED for a healthy group, DEAD_LETTERED (with the DLQ record) for a failing one, PENDING for the rest', async () => {
    const { base, transport, statusStore } = await start();
    const ok = { handle: async () => {} };
    const fail = { handle: async () => Promise.reject(new NonRetriableError('inventory refuses it')) };
    const consumers: GroupConsumer[] = [
      paymentService.createConsumer({ transport, statusStore, logger: silentLogger, handlers: { orderCreated: ok, orderCancelled: ok } }),
      inventoryService.createConsumer({ transport, statusStore, logger: silentLogger, handlers: { orderCreated: fail, orderCancelled: ok } }),
    ];
    for (const c of consumers) closers.push(() => c.stop());
    await Promise.all(consumers.map((c) => c.start()));
    const res = await post(`${base}/events/order.created`, EXAMPLES.get('order.created'), { 'x-correlation-id': 'corr-gw' });
    const { eventId } = (await res.json()) as { eventId: string };
    const expected = GATEWAY_ROUTES.find((r) => r.eventType === 'order.created')?.groups ?? [];
    expect(expected).toEqual(expect.arrayContaining(['payment-service', 'inventory-service']));
    let status: { status: string; groups: Record<string, { status: string; attempts: number; deadLetter?: { topic: string; offset?: string }; lastError?: string }> } | undefined;
    for (let i = 0; i < 200; i++) {
      status = (await (await fetch(`${base}/events/${eventId}`)).json()) as typeof status;
      if (status?.groups['payment-service']?.status === 'PROCESSED' && status.groups['inventory-service']?.status === 'DEAD_LETTERED') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(status?.groups['payment-service']).toMatchObject({ status: 'PROCESSED', attempts: 1 });
    expect(status?.groups['inventory-service']).toMatchObject({ status: 'DEAD_LETTERED', attempts: 1, lastError: 'inventory refuses it', deadLetter: { topic: 'shop.orders.v1.dlq' } });
    const dlq = transport.records('shop.orders.v1.dlq');
    expect(dlq.map((r) => r.offset)).toContain(status?.groups['inventory-service']?.deadLetter?.offset);
    for (const g of expected.filter((g) => g !== 'payment-service' && g !== 'inventory-service')) expect(status?.groups[g]?.status).toBe('PENDING');
    expect(status?.status).toBe('DEAD_LETTERED');
    expect(await statusStore.get(eventId)).toBeDefined();
  });

  it('serves the generated OpenAPI document, whose publish paths are exactly the routes', async () => {
    const { base } = await start();
    const served = (await (await fetch(`${base}/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(served).toEqual(OPENAPI_DOCUMENT);
    expect(served.openapi).toBe('3.1.0');
    const publishPaths = Object.keys(served.paths).filter((p) => p.startsWith('/events/') && p !== '/events/{eventId}' && served.paths[p]?.post !== undefined);
    expect(publishPaths.sort()).toEqual(GATEWAY_ROUTES.map((r) => `/events/${r.eventType}`).sort());
    // Every documented operation answers (not 404/405) on the running gateway.
    for (const [p, ops] of Object.entries(served.paths)) {
      for (const method of Object.keys(ops).filter((m) => ['get', 'post'].includes(m))) {
        const url = `${base}${p.replace('{eventId}', '00000000-0000-4000-8000-000000000000')}`;
        const res = method === 'get' ? await fetch(url) : await post(url, {});
        if (p === '/events/{eventId}') expect(res.status).toBe(404); // unknown id: a problem, not an unknown route
        else expect([200, 202, 422], `${method} ${p}`).toContain(res.status);
      }
    }
  });

  it('gateway/main.ts runs as a service: PORT, GATEWAY_TOKENS, in-memory by default; SIGTERM stops it cleanly', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'generated/gateway/main.ts')], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', GATEWAY_TOKENS: 't0ken', KAFKA_BROKERS: '', REDIS_URL: '', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    closers.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 30_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1] as string);
        }
      });
    });
    expect((await post(`${url}/events/order.created`, EXAMPLES.get('order.created'))).status).toBe(401);
    expect((await post(`${url}/events/order.created`, EXAMPLES.get('order.created'), { authorization: 'Bearer t0ken' })).status).toBe(202);
    expect(out).not.toContain('t0ken'); // secrets never logged
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
