// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { Injectable } from '@nestjs/common';
import type { KafkaEventHandler } from '../../../../../base/kafka-event-handler.interface.js';
import { type EventContext, NotImplementedError } from '../../../../../runtime/index.js';
import type { OrderDelivered } from '../../../../../schemas/order-delivered.js';

/**
 * Handles `order.delivered` (v1.0.0) from topic `shop.orders.v1` for consumer group `analytics`.
 *
 * The carrier confirmed delivery of the parcel.
 *
 * Keep it small and call into your application, e.g. a `CommandBus` from `@nestjs/cqrs`:
 * `constructor(private readonly commandBus: CommandBus) {}` (a value import of `CommandBus`), then
 * `await this.commandBus.execute(new SomeCommand(payload...))` in `handle()`.
 * `context.logger` carries the correlation id, event id, topic, partition and offset on every line.
 * Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for
 * failures that can never succeed (sent to the dead-letter topic `shop.orders.v1.dlq` at once).
 * Until this handler is implemented, every `order.delivered` record goes to the dead-letter topic `shop.orders.v1.dlq`.
 */
@Injectable()
export class AnalyticsOrderDeliveredHandler implements KafkaEventHandler<'order.delivered'> {
  readonly eventType = 'order.delivered';

  async handle(_payload: OrderDelivered, context: EventContext): Promise<void> {
    context.logger.debug('order.delivered received');
    throw new NotImplementedError('analytics: no handler for order.delivered yet (eventId ' + context.eventId + ')');
  }
}
