// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { randomUUID } from 'node:crypto';
import type { Producers } from '../../../../../../deps.js';
import { CARD_LIMIT } from '../../../../../../deps.js';
import type { EventContext, EventHandler } from '../../../../../runtime/index.js';
import type { OrderCreated } from '../../../../../schemas/order-created.js';

/** Authorises the order total with a (fake) provider and publishes `payment.authorized` or `payment.failed`. */
export class OrderCreatedEventHandler implements EventHandler<OrderCreated> {
  constructor(private readonly producers: Producers) {}

  async handle(order: OrderCreated, context: EventContext): Promise<void> {
    const common = { paymentId: randomUUID(), orderId: order.orderId, amount: order.total };
    // The follow-up event continues the flow (same correlation id, caused by this event) and gets an id derived from
    // this event's: if this record is handled again (a retry, a redelivery), the same event id is sent again and
    // consumers skip the duplicate.
    const options = { causedBy: context };
    const now = new Date().toISOString();
    if (order.total.amount > CARD_LIMIT) {
      await this.producers.shopPaymentsV1.paymentFailed({ ...common, stage: 'authorization', reasonCode: 'insufficient_funds', failedAt: now }, options);
      context.logger.info('Payment declined', { orderId: order.orderId });
      return;
    }
    await this.producers.shopPaymentsV1.paymentAuthorized(
      { ...common, method: { type: 'card', brand: 'visa', last4: '4242', expiryMonth: 12, expiryYear: 2030 }, provider: 'stripe', authorizedAt: now },
      options,
    );
    context.logger.info('Payment authorised', { orderId: order.orderId });
  }
}
