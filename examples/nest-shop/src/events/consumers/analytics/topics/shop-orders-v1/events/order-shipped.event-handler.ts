// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { Injectable } from '@nestjs/common';
import type { KafkaEventHandler } from '../../../../../base/kafka-event-handler.interface.js';
import { type EventContext, NotImplementedError } from '../../../../../runtime/index.js';
import type { OrderShipped } from '../../../../../schemas/order-shipped.js';

/**
 * Handles `order.shipped` (v1.0.0) from topic `shop.orders.v1` for consumer group `analytics`.
 *
 * The parcel left the warehouse and was handed to the carrier.
 *
 * Keep it small and call into your application, e.g. a `CommandBus` from `@nestjs/cqrs`:
 * `constructor(private readonly commandBus: CommandBus) {}` (a value import of `CommandBus`), then
 * `await this.commandBus.execute(new SomeCommand(payload...))` in `handle()`.
 * `context.logger` carries the correlation id, event id, topic, partition and offset on every line.
 * Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for
 * failures that can never succeed (sent to the dead-letter topic `shop.orders.v1.dlq` at once).
 * Until this handler is implemented, every `order.shipped` record goes to the dead-letter topic `shop.orders.v1.dlq`.
 */
@Injectable()
export class AnalyticsOrderShippedHandler implements KafkaEventHandler<'order.shipped'> {
  readonly eventType = 'order.shipped';

  async handle(_payload: OrderShipped, context: EventContext): Promise<void> {
    context.logger.debug('order.shipped received');
    throw new NotImplementedError('analytics: no handler for order.shipped yet (eventId ' + context.eventId + ')');
  }
}
