// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import type { Notification } from '../../../../../../deps.js';
import { NonRetriableError, RetriableError, type EventContext, type EventHandler } from '../../../../../runtime/index.js';
import type { PaymentFailed } from '../../../../../schemas/payment-failed.js';

/** Tells the customer the payment failed. Needs the address from `order.created`, which may still be on its way. */
export class PaymentFailedEventHandler implements EventHandler<PaymentFailed> {
  constructor(
    private readonly outbox: Notification[],
    private readonly customers: Map<string, string>,
    /** When this service instance started: it keeps addresses in memory, so it knows only orders placed since. */
    private readonly since: Date = new Date(),
  ) {}

  async handle(payment: PaymentFailed, context: EventContext): Promise<void> {
    const to = this.customers.get(payment.orderId);
    if (to === undefined) {
      // An event from before this instance started will never find its order here: retrying cannot help.
      if (Date.parse(context.metadata.timestamp) < this.since.getTime()) throw new NonRetriableError(`order ${payment.orderId} is older than this instance's memory`);
      // Another topic, so no ordering guarantee: retry (with backoff) until the order has been seen.
      throw new RetriableError(`order ${payment.orderId} not seen yet`);
    }
    this.outbox.push({ orderId: payment.orderId, to, kind: 'payment-failed', text: `Your payment was declined (${payment.reasonCode}).` });
    context.logger.info('Payment failure notified', { orderId: payment.orderId });
  }
}
