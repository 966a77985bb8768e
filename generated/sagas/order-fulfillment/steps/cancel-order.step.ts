// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { type EventContext, NotImplementedError } from '../../../runtime/index.js';
import type { PaymentFailed } from '../../../schemas/payment-failed.js';
import type { CancelOrderOutcome, CancelOrderStep } from '../flow.js';

/**
 * Saga `order-fulfillment`. Compensation `cancel-order`: handles `payment.failed` in consumer group `order-service.order-saga` and answers with `order.cancelled`.
 *
 * Return the event to emit, e.g. `return { emit: 'order.cancelled', payload: { ... } };`: the runner publishes it with the
 * typed producers, caused by the handled record. The return type admits only the declared events.
 * Until this step is implemented, every `payment.failed` record goes to the dead-letter topic (NotImplementedError).
 */
export class CancelOrderStepHandler implements CancelOrderStep {
  async handle(_data: PaymentFailed, context: EventContext): Promise<CancelOrderOutcome> {
    throw new NotImplementedError({ eventType: 'payment.failed', groupId: 'order-service.order-saga', eventId: context.eventId });
  }
}
