// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { type EventContext, type EventHandler, NotImplementedError } from '../../../../../runtime/index.js';
import type { OrderDelivered } from '../../../../../schemas/order-delivered.js';

/**
 * Handles `order.delivered` (v1.0.0) from topic `shop.orders.v1` for consumer group `analytics`.
 *
 * The carrier confirmed delivery of the parcel.
 *
 * Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for
 * failures that can never succeed (sent to the dead-letter topic `shop.orders.v1.dlq` at once).
 * Until this handler is implemented, every `order.delivered` record goes to the dead-letter topic `shop.orders.v1.dlq`.
 */
export class AnalyticsOrderDeliveredHandler implements EventHandler<OrderDelivered> {
  async handle(_data: OrderDelivered, context: EventContext): Promise<void> {
    throw new NotImplementedError({ eventType: 'order.delivered', groupId: 'analytics', eventId: context.eventId });
  }
}
