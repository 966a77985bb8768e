// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { type EventContext, type EventHandler, NotImplementedError } from '../../../../../runtime/index.js';
import type { PaymentAuthorized } from '../../../../../schemas/payment-authorized.js';

/**
 * Handles `payment.authorized` (v2.1.0) from topic `shop.payments.v1` for consumer group `analytics`.
 *
 * The payment provider authorised the order amount.
 *
 * Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for
 * failures that can never succeed (sent to the dead-letter topic `shop.dead-letters.v1` at once).
 * Until this handler is implemented, every `payment.authorized` record goes to the dead-letter topic `shop.dead-letters.v1`.
 */
export class AnalyticsPaymentAuthorizedHandler implements EventHandler<PaymentAuthorized> {
  async handle(_data: PaymentAuthorized, context: EventContext): Promise<void> {
    throw new NotImplementedError({ eventType: 'payment.authorized', groupId: 'analytics', eventId: context.eventId });
  }
}
