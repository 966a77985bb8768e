// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { type EventContext, type EventHandler, NotImplementedError } from '../../../../../runtime/index.js';
import type { OrderCancelled } from '../../../../../schemas/order-cancelled.js';

/**
 * Handles `order.cancelled` (v1.0.0) from topic `shop.orders.v1` for consumer group `payment-service`.
 *
 * An order was cancelled before it shipped.
 *
 * Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for
 * failures that can never succeed (sent to the dead-letter topic `shop.orders.v1.dlq` at once).
 * Until this handler is implemented, every `order.cancelled` record goes to the dead-letter topic `shop.orders.v1.dlq`.
 */
export class PaymentServiceOrderCancelledHandler implements EventHandler<OrderCancelled> {
  async handle(_data: OrderCancelled, context: EventContext): Promise<void> {
    throw new NotImplementedError({ eventType: 'order.cancelled', groupId: 'payment-service', eventId: context.eventId });
  }
}
