// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { type EventContext, type EventHandler, NotImplementedError } from '../../../../../runtime/index.js';
import type { StockReserved } from '../../../../../schemas/stock-reserved.js';

/**
 * Handles `stock.reserved` (v1.0.0) from topic `shop.inventory.v1` for consumer group `fulfillment-service`.
 *
 * Units of a SKU were reserved for an order.
 *
 * Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for
 * failures that can never succeed (sent to the dead-letter topic `shop.inventory.v1.dlq` at once).
 * Until this handler is implemented, every `stock.reserved` record goes to the dead-letter topic `shop.inventory.v1.dlq`.
 */
export class FulfillmentServiceStockReservedHandler implements EventHandler<StockReserved> {
  async handle(_data: StockReserved, context: EventContext): Promise<void> {
    throw new NotImplementedError({ eventType: 'stock.reserved', groupId: 'fulfillment-service', eventId: context.eventId });
  }
}
