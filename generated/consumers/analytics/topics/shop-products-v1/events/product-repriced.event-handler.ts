// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { type EventContext, type EventHandler, NotImplementedError } from '../../../../../runtime/index.js';
import type { ProductRepriced } from '../../../../../schemas/product-repriced.js';

/**
 * Handles `product.repriced` (v1.0.0) from topic `shop.products.v1` for consumer group `analytics`.
 *
 * The selling price of a product changed.
 *
 * Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for
 * failures that can never succeed (sent to the dead-letter topic `shop.products.v1.dlq` at once).
 * Until this handler is implemented, every `product.repriced` record goes to the dead-letter topic `shop.products.v1.dlq`.
 */
export class AnalyticsProductRepricedHandler implements EventHandler<ProductRepriced> {
  async handle(_data: ProductRepriced, context: EventContext): Promise<void> {
    throw new NotImplementedError({ eventType: 'product.repriced', groupId: 'analytics', eventId: context.eventId });
  }
}
