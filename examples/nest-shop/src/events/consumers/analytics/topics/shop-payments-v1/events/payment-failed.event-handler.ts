// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { Injectable } from '@nestjs/common';
import type { KafkaEventHandler } from '../../../../../base/kafka-event-handler.interface.js';
import { type EventContext, NotImplementedError } from '../../../../../runtime/index.js';
import type { PaymentFailed } from '../../../../../schemas/payment-failed.js';

/**
 * Handles `payment.failed` (v1.0.0) from topic `shop.payments.v1` for consumer group `analytics`.
 *
 * The payment could not be authorised or captured.
 *
 * Keep it small and call into your application, e.g. a `CommandBus` from `@nestjs/cqrs`:
 * `constructor(private readonly commandBus: CommandBus) {}` (a value import of `CommandBus`), then
 * `await this.commandBus.execute(new SomeCommand(payload...))` in `handle()`.
 * `context.logger` carries the correlation id, event id, topic, partition and offset on every line.
 * Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for
 * failures that can never succeed (sent to the dead-letter topic `shop.dead-letters.v1` at once).
 * Until this handler is implemented, every `payment.failed` record goes to the dead-letter topic `shop.dead-letters.v1`.
 */
@Injectable()
export class AnalyticsPaymentFailedHandler implements KafkaEventHandler<'payment.failed'> {
  readonly eventType = 'payment.failed';

  async handle(_payload: PaymentFailed, context: EventContext): Promise<void> {
    context.logger.debug('payment.failed received');
    throw new NotImplementedError('analytics: no handler for payment.failed yet (eventId ' + context.eventId + ')');
  }
}
