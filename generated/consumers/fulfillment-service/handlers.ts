// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import type { Handlers } from './index.js';
import {
  FulfillmentServiceStockReservedHandler,
} from './topics/shop-inventory-v1/events/stock-reserved.event-handler.js';
import {
  FulfillmentServiceOrderCancelledHandler,
} from './topics/shop-orders-v1/events/order-cancelled.event-handler.js';
import {
  FulfillmentServiceOrderUpdatedHandler,
} from './topics/shop-orders-v1/events/order-updated.event-handler.js';
import {
  FulfillmentServicePaymentCapturedHandler,
} from './topics/shop-payments-v1/events/payment-captured.event-handler.js';

/**
 * Builds the event handlers of consumer group `fulfillment-service`, one per event it receives.
 * Pass your dependencies in here. When the catalog adds an event, the compiler points at this
 * function until you add the new handler (eventgen never edits this file).
 */
export function createHandlers(): Handlers {
  return {
    stockReserved: new FulfillmentServiceStockReservedHandler(),
    orderUpdated: new FulfillmentServiceOrderUpdatedHandler(),
    orderCancelled: new FulfillmentServiceOrderCancelledHandler(),
    paymentCaptured: new FulfillmentServicePaymentCapturedHandler(),
  };
}
