// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { Injectable } from '@nestjs/common';
import type { KafkaEventHandler } from '../../../../../base/kafka-event-handler.interface.js';
import { type EventContext, NotImplementedError } from '../../../../../runtime/index.js';
import type { OrderUpdated } from '../../../../../schemas/order-updated.js';

/**
 * Handles `order.updated` (v1.1.0) from topic `shop.orders.v1` for consumer group `fulfillment-service`.
 *
 * The shipping address or the note of an order changed before shipping.
 *
 * Keep it small and call into your application, e.g. a `CommandBus` from `@nestjs/cqrs`:
 * `constructor(private readonly commandBus: CommandBus) {}` (a value import of `CommandBus`), then
 * `await this.commandBus.execute(new SomeCommand(payload...))` in `handle()`.
 * `context.logger` carries the correlation id, event id, topic, partition and offset on every line.
 * Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for
 * failures that can never succeed (sent to the dead-letter topic `shop.orders.v1.dlq` at once).
 * Until this handler is implemented, every `order.updated` record goes to the dead-letter topic `shop.orders.v1.dlq`.
 */
@Injectable()
export class FulfillmentServiceOrderUpdatedHandler implements KafkaEventHandler<'order.updated'> {
  readonly eventType = 'order.updated';

  async handle(_payload: OrderUpdated, context: EventContext): Promise<void> {
    context.logger.debug('order.updated received');
    throw new NotImplementedError('fulfillment-service: no handler for order.updated yet (eventId ' + context.eventId + ')');
  }
}
