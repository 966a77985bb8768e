// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { type EventContext, type EventHandler, NotImplementedError } from '../../../../../runtime/index.js';
import type { PaymentRefunded } from '../../../../../schemas/payment-refunded.js';

/**
 * Handles `payment.refunded` (v1.0.0) from topic `shop.payments.v1` for consumer group `notification-service`.
 *
 * Money was returned to the customer, fully or partially.
 *
 * Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for
 * failures that can never succeed (sent to the dead-letter topic `shop.dead-letters.v1` at once).
 * Until this handler is implemented, every `payment.refunded` record goes to the dead-letter topic `shop.dead-letters.v1`.
 */
export class NotificationServicePaymentRefundedHandler implements EventHandler<PaymentRefunded> {
  async handle(_data: PaymentRefunded, context: EventContext): Promise<void> {
    throw new NotImplementedError({ eventType: 'payment.refunded', groupId: 'notification-service', eventId: context.eventId });
  }
}
