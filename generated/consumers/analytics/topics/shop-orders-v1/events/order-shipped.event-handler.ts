// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { type EventContext, type EventHandler, NotImplementedError } from '../../../../../runtime/index.js';
import type { OrderShipped } from '../../../../../schemas/order-shipped.js';

/**
 * Handles `order.shipped` (v1.0.0) from topic `shop.orders.v1` for consumer group `analytics`.
 *
 * The parcel left the warehouse and was handed to the carrier.
 *
 * Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for
 * failures that can never succeed (sent to the dead-letter topic `shop.orders.v1.dlq` at once).
 * Until this handler is implemented, every `order.shipped` record goes to the dead-letter topic `shop.orders.v1.dlq`.
 */
export class AnalyticsOrderShippedHandler implements EventHandler<OrderShipped> {
  async handle(_data: OrderShipped, context: EventContext): Promise<void> {
    throw new NotImplementedError({ eventType: 'order.shipped', groupId: 'analytics', eventId: context.eventId });
  }
}
