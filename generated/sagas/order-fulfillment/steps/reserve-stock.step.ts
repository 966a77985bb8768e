// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { type EventContext, NotImplementedError } from '../../../runtime/index.js';
import type { PaymentCaptured } from '../../../schemas/payment-captured.js';
import type { ReserveStockOutcome, ReserveStockStep } from '../flow.js';

/**
 * Saga `order-fulfillment`. Step `reserve-stock`: handles `payment.captured` in consumer group `inventory-service.order-saga` and answers with one of `stock.reserved`, `stock.unavailable` (`stock.unavailable` on failure).
 *
 * Return the event to emit, e.g. `return { emit: 'stock.reserved', payload: { ... } };`: the runner publishes it with the
 * typed producers, caused by the handled record. The return type admits only the declared events.
 * Until this step is implemented, every `payment.captured` record goes to the dead-letter topic (NotImplementedError).
 */
export class ReserveStockStepHandler implements ReserveStockStep {
  async handle(_data: PaymentCaptured, context: EventContext): Promise<ReserveStockOutcome> {
    throw new NotImplementedError({ eventType: 'payment.captured', groupId: 'inventory-service.order-saga', eventId: context.eventId });
  }
}
