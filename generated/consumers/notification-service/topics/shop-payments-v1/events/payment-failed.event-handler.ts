// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { type EventContext, type EventHandler, NotImplementedError } from '../../../../../runtime/index.js';
import type { PaymentFailed } from '../../../../../schemas/payment-failed.js';

/**
 * Handles `payment.failed` (v1.0.0) from topic `shop.payments.v1` for consumer group `notification-service`.
 *
 * The payment could not be authorised or captured.
 *
 * Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for
 * failures that can never succeed (sent to the dead-letter topic `shop.dead-letters.v1` at once).
 * Until this handler is implemented, every `payment.failed` record goes to the dead-letter topic `shop.dead-letters.v1`.
 */
export class NotificationServicePaymentFailedHandler implements EventHandler<PaymentFailed> {
  async handle(_data: PaymentFailed, context: EventContext): Promise<void> {
    throw new NotImplementedError({ eventType: 'payment.failed', groupId: 'notification-service', eventId: context.eventId });
  }
}
