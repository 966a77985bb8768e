/** The shop example on the in-memory transport: through `runShop` and through `npm run example` itself. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InMemoryTransport } from '../src/events/index.js';
import { runShop } from '../src/app.js';

describe('shop example (in-memory transport)', () => {
  it('payments are authorised or declined, every order is confirmed, declines are notified, nothing dead-lettered', async () => {
    const transport = new InMemoryTransport({ defaultPartitions: 3 });
    const result = await runShop({ transport, orders: 8 });
    expect(result.orders).toHaveLength(8);
    expect(result.declined).toHaveLength(2);
    expect(result.notifications.filter((n) => n.kind === 'order-confirmation')).toHaveLength(8);
    expect(result.notifications.filter((n) => n.kind === 'payment-failed').map((n) => n.orderId).sort()).toEqual([...result.declined].sort());
    expect(transport.records('shop.payments.v1').map((r) => String(r.headers['event-type'])).sort()).toEqual([...Array(6).fill('payment.authorized'), 'payment.failed', 'payment.failed']);
    expect(transport.records('shop.orders.v1.dlq')).toEqual([]);
    expect(transport.records('shop.payments.v1.dlq')).toEqual([]);
    expect(result.health.payment.processed).toBe(8);
  });

  it('`npm run example` runs without a broker', () => {
    const env = { ...process.env };
    delete env.KAFKA_BROKERS;
    const out = execFileSync(process.execPath, [path.resolve(import.meta.dirname, '../run.mjs')], { env, encoding: 'utf8', timeout: 60_000 });
    expect(out).toMatch(/in-memory transport .*: 8 orders, 2 declined, 10 notifications/);
  });
});
