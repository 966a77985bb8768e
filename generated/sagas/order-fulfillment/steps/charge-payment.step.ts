// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { type EventContext, NotImplementedError } from '../../../runtime/index.js';
import type { OrderCreated } from '../../../schemas/order-created.js';
import type { ChargePaymentOutcome, ChargePaymentStep } from '../flow.js';

/**
 * Saga `order-fulfillment`. Step `charge-payment`: handles `order.created` in consumer group `payment-service.order-saga` and answers with one of `payment.captured`, `payment.failed` (`payment.failed` on failure).
 *
 * Return the event to emit, e.g. `return { emit: 'payment.captured', payload: { ... } };`: the runner publishes it with the
 * typed producers, caused by the handled record. The return type admits only the declared events.
 * Until this step is implemented, every `order.created` record goes to the dead-letter topic (NotImplementedError).
 */
export class ChargePaymentStepHandler implements ChargePaymentStep {
  async handle(_data: OrderCreated, context: EventContext): Promise<ChargePaymentOutcome> {
    throw new NotImplementedError({ eventType: 'order.created', groupId: 'payment-service.order-saga', eventId: context.eventId });
  }
}
