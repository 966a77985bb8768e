// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { Injectable } from '@nestjs/common';
import type { KafkaEventHandler } from '../../../../../base/kafka-event-handler.interface.js';
import { type EventContext, NotImplementedError } from '../../../../../runtime/index.js';
import type { OrderCancelled } from '../../../../../schemas/order-cancelled.js';

/**
 * Handles `order.cancelled` (v1.0.0) from topic `shop.orders.v1` for consumer group `analytics`.
 *
 * An order was cancelled before it shipped.
 *
 * Keep it small and call into your application, e.g. a `CommandBus` from `@nestjs/cqrs`:
 * `constructor(private readonly commandBus: CommandBus) {}` (a value import of `CommandBus`), then
 * `await this.commandBus.execute(new SomeCommand(payload...))` in `handle()`.
 * `context.logger` carries the correlation id, event id, topic, partition and offset on every line.
 * Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for
 * failures that can never succeed (sent to the dead-letter topic `shop.orders.v1.dlq` at once).
 * Until this handler is implemented, every `order.cancelled` record goes to the dead-letter topic `shop.orders.v1.dlq`.
 */
@Injectable()
export class AnalyticsOrderCancelledHandler implements KafkaEventHandler<'order.cancelled'> {
  readonly eventType = 'order.cancelled';

  async handle(_payload: OrderCancelled, context: EventContext): Promise<void> {
    context.logger.debug('order.cancelled received');
    throw new NotImplementedError('analytics: no handler for order.cancelled yet (eventId ' + context.eventId + ')');
  }
}
