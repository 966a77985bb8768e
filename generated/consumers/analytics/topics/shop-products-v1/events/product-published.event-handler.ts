// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { type EventContext, type EventHandler, NotImplementedError } from '../../../../../runtime/index.js';
import type { ProductPublished } from '../../../../../schemas/product-published.js';

/**
 * Handles `product.published` (v1.2.0) from topic `shop.products.v1` for consumer group `analytics`.
 *
 * A product became visible on the storefront (or was republished with changes).
 *
 * Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for
 * failures that can never succeed (sent to the dead-letter topic `shop.products.v1.dlq` at once).
 * Until this handler is implemented, every `product.published` record goes to the dead-letter topic `shop.products.v1.dlq`.
 */
export class AnalyticsProductPublishedHandler implements EventHandler<ProductPublished> {
  async handle(_data: ProductPublished, context: EventContext): Promise<void> {
    throw new NotImplementedError({ eventType: 'product.published', groupId: 'analytics', eventId: context.eventId });
  }
}
