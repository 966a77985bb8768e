// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import type { FulfillmentServiceHandlers } from './index.js';
import { StockReservedEventHandler } from './topics/shop-inventory-v1/events/stock-reserved.event-handler.js';
import { OrderCancelledEventHandler } from './topics/shop-orders-v1/events/order-cancelled.event-handler.js';
import { OrderUpdatedEventHandler } from './topics/shop-orders-v1/events/order-updated.event-handler.js';
import {
  PaymentCapturedEventHandler,
} from './topics/shop-payments-v1/events/payment-captured.event-handler.js';

/**
 * Builds the event handlers of consumer group `fulfillment-service`.
 * Pass your dependencies in here. When the catalog adds an event, the compiler points at this
 * function until you add the new handler (eventgen never edits this file).
 */
export function createFulfillmentServiceHandlers(): FulfillmentServiceHandlers {
  return {
    shopInventoryV1: {
      stockReserved: new StockReservedEventHandler(),
    },
    shopOrdersV1: {
      orderUpdated: new OrderUpdatedEventHandler(),
      orderCancelled: new OrderCancelledEventHandler(),
    },
    shopPaymentsV1: {
      paymentCaptured: new PaymentCapturedEventHandler(),
    },
  };
}
