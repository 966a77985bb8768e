// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import type { EventContext, EventHandler } from '../../../../../runtime/index.js';
import type { OrderCancelled } from '../../../../../schemas/order-cancelled.js';

/** Remembers cancelled orders (a real service would void the authorisation). */
export class OrderCancelledEventHandler implements EventHandler<OrderCancelled> {
  constructor(private readonly cancelled: Set<string>) {}

  async handle(data: OrderCancelled, context: EventContext): Promise<void> {
    this.cancelled.add(data.orderId);
    context.logger.info('Authorisation voided', { orderId: data.orderId });
  }
}
