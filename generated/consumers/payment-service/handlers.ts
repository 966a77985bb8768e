// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import type { PaymentServiceHandlers } from './index.js';
import {
  PaymentServiceOrderCancelledHandler,
} from './topics/shop-orders-v1/events/order-cancelled.event-handler.js';
import {
  PaymentServiceOrderCreatedHandler,
} from './topics/shop-orders-v1/events/order-created.event-handler.js';

/**
 * Builds the event handlers of consumer group `payment-service`.
 * Pass your dependencies in here. When the catalog adds an event, the compiler points at this
 * function until you add the new handler (eventgen never edits this file).
 */
export function createPaymentServiceHandlers(): PaymentServiceHandlers {
  return {
    shopOrdersV1: {
      orderCreated: new PaymentServiceOrderCreatedHandler(),
      orderCancelled: new PaymentServiceOrderCancelledHandler(),
    },
  };
}
