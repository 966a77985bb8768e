// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { type EventContext, type EventHandler, NotImplementedError } from '../../../../../runtime/index.js';
import type { PaymentCaptured } from '../../../../../schemas/payment-captured.js';

/**
 * Handles `payment.captured` (v1.0.0) from topic `shop.payments.v1` for consumer group `analytics`.
 *
 * The authorised amount (or part of it) was captured.
 *
 * Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for
 * failures that can never succeed (sent to the dead-letter topic `shop.dead-letters.v1` at once).
 * Until this handler is implemented, every `payment.captured` record goes to the dead-letter topic `shop.dead-letters.v1`.
 */
export class AnalyticsPaymentCapturedHandler implements EventHandler<PaymentCaptured> {
  async handle(_data: PaymentCaptured, context: EventContext): Promise<void> {
    throw new NotImplementedError({ eventType: 'payment.captured', groupId: 'analytics', eventId: context.eventId });
  }
}
