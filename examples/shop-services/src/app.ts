/**
 * The shop example: an order service produces `order.created`; the payment service (group `payment-service`)
 * authorises each order and publishes `payment.authorized` or `payment.failed`; the notification service (group
 * `notification-service`) confirms orders and reports failed payments. Runs on any Transport: in memory or Kafka.
 */
import { randomUUID } from 'node:crypto';
import { CARD_LIMIT, type Notification } from './deps.js';
import { EventProducer, createProducers, notificationService, paymentService, type ConsumerHealth, type Logger, type Transport } from './events/index.js';

export interface ShopRunOptions {
  transport: Transport;
  /** Orders to place (every 4th is above the card limit and is declined). */
  orders?: number;
  logger?: Logger;
  /** Start new consumer groups at the beginning of the topics (Kafka: the topics may already hold records). */
  fromBeginning?: boolean;
  timeoutMs?: number;
}

export interface ShopRunResult {
  orders: string[];
  declined: string[];
  notifications: Notification[];
  health: { payment: ConsumerHealth; notification: ConsumerHealth };
  ms: number;
}

export async function runShop(options: ShopRunOptions): Promise<ShopRunResult> {
  const started = Date.now();
  const { transport, orders = 8, timeoutMs = 60_000 } = options;
  const common = { transport, fromBeginning: options.fromBeginning ?? false, ...(options.logger ? { logger: options.logger } : {}) };

  // Each service has its own producer; here they share the process.
  const paymentProducer = new EventProducer({ transport, source: 'payment-service' });
  const payments = paymentService.createConsumer({ ...common, handlers: paymentService.createHandlers({ producers: createProducers(paymentProducer), cancelled: new Set() }) });
  const outbox: Notification[] = [];
  const notifications = notificationService.createConsumer({ ...common, handlers: notificationService.createHandlers({ outbox, customers: new Map() }) });
  await payments.start();
  await notifications.start();

  const orderProducer = new EventProducer({ transport, source: 'order-service' });
  const shop = createProducers(orderProducer);
  const placed: string[] = [];
  const declined: string[] = [];
  try {
    for (let i = 0; i < orders; i++) {
      const orderId = randomUUID();
      const amount = i % 4 === 3 ? CARD_LIMIT + 5_000 : 2_500 + i * 100;
      const money = { amount, currency: 'EUR' as const };
      await shop.shopOrdersV1.orderCreated({
        orderId,
        orderNumber: `SO-2025-${String(100000 + i).padStart(6, '0')}`,
        customer: { id: randomUUID(), email: `customer${i}@example.com` },
        items: [{ sku: 'MUG-BLUE', productId: randomUUID(), name: 'Blue mug', quantity: 1, unitPrice: money, total: money }],
        subtotal: money,
        shippingCost: { amount: 0, currency: 'EUR' },
        total: money,
        shippingAddress: { line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' },
        placedAt: new Date().toISOString(),
      });
      placed.push(orderId);
      if (amount > CARD_LIMIT) declined.push(orderId);
    }
    const mine = (n: Notification): boolean => placed.includes(n.orderId);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const confirmed = outbox.filter((n) => mine(n) && n.kind === 'order-confirmation').length;
      const failed = outbox.filter((n) => mine(n) && n.kind === 'payment-failed').length;
      if (confirmed >= placed.length && failed >= declined.length) break;
      if (Date.now() > deadline) throw new Error(`Timed out: ${confirmed}/${placed.length} confirmations, ${failed}/${declined.length} payment failures notified`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return { orders: placed, declined, notifications: outbox.filter(mine), health: { payment: payments.health(), notification: notifications.health() }, ms: Date.now() - started };
  } finally {
    await payments.stop();
    await notifications.stop();
    await orderProducer.disconnect();
    await paymentProducer.disconnect();
  }
}
