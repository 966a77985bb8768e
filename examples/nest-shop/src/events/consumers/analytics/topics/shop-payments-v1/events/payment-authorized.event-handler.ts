// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { Injectable } from '@nestjs/common';
import type { KafkaEventHandler } from '../../../../../base/kafka-event-handler.interface.js';
import { type EventContext, NotImplementedError } from '../../../../../runtime/index.js';
import type { PaymentAuthorized } from '../../../../../schemas/payment-authorized.js';

/**
 * Handles `payment.authorized` (v2.1.0) from topic `shop.payments.v1` for consumer group `analytics`.
 *
 * The payment provider authorised the order amount.
 *
 * Keep it small and call into your application, e.g. a `CommandBus` from `@nestjs/cqrs`:
 * `constructor(private readonly commandBus: CommandBus) {}` (a value import of `CommandBus`), then
 * `await this.commandBus.execute(new SomeCommand(payload...))` in `handle()`.
 * `context.logger` carries the correlation id, event id, topic, partition and offset on every line.
 * Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for
 * failures that can never succeed (sent to the dead-letter topic `shop.dead-letters.v1` at once).
 * Until this handler is implemented, every `payment.authorized` record goes to the dead-letter topic `shop.dead-letters.v1`.
 */
@Injectable()
export class AnalyticsPaymentAuthorizedHandler implements KafkaEventHandler<'payment.authorized'> {
  readonly eventType = 'payment.authorized';

  async handle(_payload: PaymentAuthorized, context: EventContext): Promise<void> {
    context.logger.debug('payment.authorized received');
    throw new NotImplementedError('analytics: no handler for payment.authorized yet (eventId ' + context.eventId + ')');
  }
}
