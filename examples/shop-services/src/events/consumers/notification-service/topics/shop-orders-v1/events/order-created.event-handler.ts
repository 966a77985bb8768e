// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import type { Notification } from '../../../../../../deps.js';
import type { EventContext, EventHandler } from '../../../../../runtime/index.js';
import type { OrderCreated } from '../../../../../schemas/order-created.js';

/** Sends the order confirmation (to the outbox) and remembers the customer's address for later notifications. */
export class OrderCreatedEventHandler implements EventHandler<OrderCreated> {
  constructor(
    private readonly outbox: Notification[],
    private readonly customers: Map<string, string>,
  ) {}

  async handle(order: OrderCreated, context: EventContext): Promise<void> {
    this.customers.set(order.orderId, order.customer.email);
    const total = `${(order.total.amount / 100).toFixed(2)} ${order.total.currency}`;
    this.outbox.push({ orderId: order.orderId, to: order.customer.email, kind: 'order-confirmation', text: `Thanks! Order ${order.orderNumber} (${total}) is confirmed.` });
    context.logger.info('Order confirmation sent', { orderId: order.orderId });
  }
}
