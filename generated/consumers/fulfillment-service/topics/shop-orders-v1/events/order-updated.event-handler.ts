// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { type EventContext, type EventHandler, NotImplementedError } from '../../../../../runtime/index.js';
import type { OrderUpdated } from '../../../../../schemas/order-updated.js';

/**
 * Handles `order.updated` (v1.1.0) from topic `shop.orders.v1` for consumer group `fulfillment-service`.
 *
 * The shipping address or the note of an order changed before shipping.
 *
 * Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for
 * failures that can never succeed (sent to the dead-letter topic `shop.orders.v1.dlq` at once).
 * Until this handler is implemented, every `order.updated` record goes to the dead-letter topic `shop.orders.v1.dlq`.
 */
export class FulfillmentServiceOrderUpdatedHandler implements EventHandler<OrderUpdated> {
  async handle(_data: OrderUpdated, context: EventContext): Promise<void> {
    throw new NotImplementedError({ eventType: 'order.updated', groupId: 'fulfillment-service', eventId: context.eventId });
  }
}
