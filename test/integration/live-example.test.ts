/**
 * `npm run example:live` on the real broker (KAFKA_BROKERS set): the example's producers write to Kafka, its live
 * gateway consumes with a consumer group of its own, and two real WebSocket clients (u1, u2) each receive the
 * prices and only their own orders.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startLiveExample, type ExampleProcess } from '../live/example-process.js';

interface Frame {
  type: string;
  event?: { metadata: { eventType: string; userId?: string }; data: Record<string, unknown> };
}

describe('example: npm run example:live on Kafka', () => {
  let ex: ExampleProcess;
  beforeAll(async () => {
    const brokers = process.env.KAFKA_BROKERS;
    if (!brokers) throw new Error('KAFKA_BROKERS is not set (the integration set-up starts or finds a broker)');
    ex = await startLiveExample({ KAFKA_BROKERS: brokers, LIVE_GROUP_ID: `live-demo-${randomUUID().slice(0, 8)}` });
  }, 120_000);
  afterAll(async () => {
    await ex?.stop();
  });

  it('u1 and u2 see prices and only their own orders, through Kafka', async () => {
    expect(ex.output()).toContain('"kafka":"kafka"');
    const url = `${ex.base.replace('http', 'ws')}/ws`;
    const users = await Promise.all(
      ['u1', 'u2'].map(
        (u) =>
          new Promise<{ ws: WebSocket; frames: Frame[] }>((resolve, reject) => {
            const ws = new WebSocket(`${url}?token=demo:${u}`);
            const frames: Frame[] = [];
            ws.on('message', (d: Buffer) => frames.push(JSON.parse(d.toString()) as Frame));
            ws.once('open', () => {
              ws.send(JSON.stringify({ op: 'subscribe', channel: 'market.prices' }));
              ws.send(JSON.stringify({ op: 'subscribe', channel: 'trading.orders' }));
              resolve({ ws, frames });
            });
            ws.once('error', reject);
          }),
      ),
    );
    const orders = (frames: Frame[]) => frames.filter((f) => f.type === 'event' && f.event!.metadata.eventType.startsWith('order.'));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && users.some((u) => orders(u.frames).length < 5)) await new Promise((r) => setTimeout(r, 200));
    users.forEach(({ ws }) => ws.close());
    // The live consumer's lag per partition, sampled from committed vs end offsets (small: it keeps up).
    const metrics = await (await fetch(`${ex.base}/metrics`)).text();
    const lags = [...metrics.matchAll(/^eventgen_consumer_lag\{group="live-demo-[0-9a-f]+",topic="(market\.prices|trading\.orders)",partition="\d+"\} (\d+)$/gm)];
    expect(new Set(lags.map((m) => m[1]))).toEqual(new Set(['market.prices', 'trading.orders']));
    expect(lags.every((m) => Number(m[2]) < 100)).toBe(true);
    for (const [i, user] of (['u1', 'u2'] as const).entries()) {
      const frames = users[i]!.frames;
      expect(frames.filter((f) => f.type === 'event' && f.event!.metadata.eventType === 'price.updated').length).toBeGreaterThan(0);
      expect(orders(frames).length).toBeGreaterThanOrEqual(5);
      expect(orders(frames).filter((f) => f.event!.data.userId !== user)).toEqual([]);
      expect(frames.filter((f) => f.type === 'event' && f.event!.metadata.eventType === 'audit.recorded')).toEqual([]);
    }
  });
});
