// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { Injectable } from '@nestjs/common';
import type { KafkaEventHandler } from '../../../../../base/kafka-event-handler.interface.js';
import { type EventContext, NotImplementedError } from '../../../../../runtime/index.js';
import type { ProductPublished } from '../../../../../schemas/product-published.js';

/**
 * Handles `product.published` (v1.2.0) from topic `shop.products.v1` for consumer group `analytics`.
 *
 * A product became visible on the storefront (or was republished with changes).
 *
 * Keep it small and call into your application, e.g. a `CommandBus` from `@nestjs/cqrs`:
 * `constructor(private readonly commandBus: CommandBus) {}` (a value import of `CommandBus`), then
 * `await this.commandBus.execute(new SomeCommand(payload...))` in `handle()`.
 * `context.logger` carries the correlation id, event id, topic, partition and offset on every line.
 * Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for
 * failures that can never succeed (sent to the dead-letter topic `shop.products.v1.dlq` at once).
 * Until this handler is implemented, every `product.published` record goes to the dead-letter topic `shop.products.v1.dlq`.
 */
@Injectable()
export class AnalyticsProductPublishedHandler implements KafkaEventHandler<'product.published'> {
  readonly eventType = 'product.published';

  async handle(_payload: ProductPublished, context: EventContext): Promise<void> {
    context.logger.debug('product.published received');
    throw new NotImplementedError('analytics: no handler for product.published yet (eventId ' + context.eventId + ')');
  }
}
