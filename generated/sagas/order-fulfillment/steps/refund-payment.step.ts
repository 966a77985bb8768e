// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { type EventContext, NotImplementedError } from '../../../runtime/index.js';
import type { StockUnavailable } from '../../../schemas/stock-unavailable.js';
import type { RefundPaymentOutcome, RefundPaymentStep } from '../flow.js';

/**
 * Saga `order-fulfillment`. Compensation `refund-payment`: handles `stock.unavailable` in consumer group `payment-service.order-saga` and answers with `payment.refunded`.
 *
 * Return the event to emit, e.g. `return { emit: 'payment.refunded', payload: { ... } };`: the runner publishes it with the
 * typed producers, caused by the handled record. The return type admits only the declared events.
 * Until this step is implemented, every `stock.unavailable` record goes to the dead-letter topic (NotImplementedError).
 */
export class RefundPaymentStepHandler implements RefundPaymentStep {
  async handle(_data: StockUnavailable, context: EventContext): Promise<RefundPaymentOutcome> {
    throw new NotImplementedError({ eventType: 'stock.unavailable', groupId: 'payment-service.order-saga', eventId: context.eventId });
  }
}
