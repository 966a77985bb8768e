// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { type EventContext, type EventHandler, NotImplementedError } from '../../../../../runtime/index.js';
import type { OrderCreated } from '../../../../../schemas/order-created.js';

/**
 * Handles `order.created` (v1.0.0) from topic `shop.orders.v1` for consumer group `analytics`.
 *
 * A customer completed checkout and an order was placed.
 *
 * Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for
 * failures that can never succeed (sent to the dead-letter topic `shop.orders.v1.dlq` at once).
 * Until this handler is implemented, every `order.created` record goes to the dead-letter topic `shop.orders.v1.dlq`.
 */
export class AnalyticsOrderCreatedHandler implements EventHandler<OrderCreated> {
  async handle(_data: OrderCreated, context: EventContext): Promise<void> {
    throw new NotImplementedError({ eventType: 'order.created', groupId: 'analytics', eventId: context.eventId });
  }
}
