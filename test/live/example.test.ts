/**
 * `npm run example:live` as a user runs it (in memory): two real WebSocket clients with the demo tokens of u1 and
 * u2 subscribe to prices and orders while the example keeps publishing; each sees the prices and only its own
 * orders, nobody sees the restricted audit events, a request without a token is refused with 401 before any socket
 * opens, /health and /metrics answer, and SIGTERM stops it cleanly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startLiveExample, type ExampleProcess } from './example-process.js';

interface Frame {
  type: string;
  channel?: string;
  event?: { metadata: { eventType: string; userId?: string; dataClassification: string }; data: Record<string, unknown> };
}

function client(url: string, token: string | undefined): Promise<{ ws: WebSocket; frames: Frame[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(token === undefined ? url : `${url}?token=${encodeURIComponent(token)}`);
    const frames: Frame[] = [];
    ws.on('message', (d: Buffer) => frames.push(JSON.parse(d.toString()) as Frame));
    ws.once('open', () => resolve({ ws, frames }));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

describe('example: npm run example:live', () => {
  let ex: ExampleProcess;
  beforeAll(async () => {
    ex = await startLiveExample();
  }, 90_000);
  afterAll(async () => {
    await ex?.stop();
  });

  it('u1 and u2 each see the prices and only their own orders; restricted events reach nobody', async () => {
    const url = `${ex.base.replace('http', 'ws')}/ws`;
    const users = await Promise.all(['u1', 'u2'].map((u) => client(url, `demo:${u}`)));
    for (const { ws } of users) {
      ws.send(JSON.stringify({ op: 'subscribe', channel: 'market.prices' }));
      ws.send(JSON.stringify({ op: 'subscribe', channel: 'trading.orders' }));
    }
    // The example publishes a price every 125 ms and an order event every 250 ms, u1 and u2 in turn.
    const deadline = Date.now() + 20_000;
    const orders = (frames: Frame[]) => frames.filter((f) => f.type === 'event' && f.event!.metadata.eventType.startsWith('order.'));
    while (Date.now() < deadline && users.some((u) => orders(u.frames).length < 5)) await new Promise((r) => setTimeout(r, 100));
    users.forEach(({ ws }) => ws.close());
    for (const [i, user] of (['u1', 'u2'] as const).entries()) {
      const frames = users[i]!.frames;
      const events = frames.filter((f) => f.type === 'event');
      expect(frames.filter((f) => f.type === 'subscribed').map((f) => f.channel).sort()).toEqual(['market.prices', 'trading.orders']);
      expect(frames.filter((f) => f.type === 'error')).toEqual([]);
      const prices = events.filter((f) => f.event!.metadata.eventType === 'price.updated');
      expect(prices.length).toBeGreaterThan(0);
      expect(prices.every((f) => f.event!.metadata.dataClassification === 'public')).toBe(true);
      const mine = orders(frames);
      expect(mine.length).toBeGreaterThanOrEqual(5);
      expect(mine.filter((f) => f.event!.data.userId !== user || f.event!.metadata.userId !== user)).toEqual([]);
      expect(events.filter((f) => f.event!.metadata.eventType === 'audit.recorded')).toEqual([]);
      expect(events.length).toBe(prices.length + mine.length);
    }
  });

  it('refuses an upgrade without a token or with a bad one with 401', async () => {
    const url = `${ex.base.replace('http', 'ws')}/ws`;
    await expect(client(url, undefined)).rejects.toMatchObject({ status: 401 });
    await expect(client(url, 'demo:')).rejects.toMatchObject({ status: 401 });
    await expect(client(url, 'not-a-demo-token')).rejects.toMatchObject({ status: 401 });
  });

  it('serves the page with a strict CSP, /health and /metrics', async () => {
    const page = await fetch(`${ex.base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toContain('Demo tokens');
    const health = (await (await fetch(`${ex.base}/health`)).json()) as { status: string; consumer: { healthy: boolean } };
    expect(health.consumer.healthy).toBe(true);
    const metrics = await fetch(`${ex.base}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(/^live_connections \d+$/m);
    expect(text).toMatch(/^live_auth_failures_total [1-9]\d*$/m); // the 401s of the test before
    expect(text).toMatch(/^live_frames_sent_total\{channel="trading.orders"\} [1-9]\d*$/m);
    expect((await fetch(`${ex.base}/nope`)).status).toBe(404);
  });

  it('stops on SIGTERM with exit code 0', async () => {
    const code = await ex.stop();
    expect(code).toBe(0);
    expect(ex.output()).toContain('Live demo stopped');
  });
});
