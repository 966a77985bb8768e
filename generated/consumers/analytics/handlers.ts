// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import type { Handlers } from './index.js';
import {
  AnalyticsInventorySnapshottedHandler,
} from './topics/shop-inventory-snapshots-v1/events/inventory-snapshotted.event-handler.js';
import {
  AnalyticsOrderCancelledHandler,
} from './topics/shop-orders-v1/events/order-cancelled.event-handler.js';
import { AnalyticsOrderCreatedHandler } from './topics/shop-orders-v1/events/order-created.event-handler.js';
import {
  AnalyticsOrderDeliveredHandler,
} from './topics/shop-orders-v1/events/order-delivered.event-handler.js';
import { AnalyticsOrderShippedHandler } from './topics/shop-orders-v1/events/order-shipped.event-handler.js';
import { AnalyticsOrderUpdatedHandler } from './topics/shop-orders-v1/events/order-updated.event-handler.js';
import {
  AnalyticsPaymentAuthorizedHandler,
} from './topics/shop-payments-v1/events/payment-authorized.event-handler.js';
import {
  AnalyticsPaymentCapturedHandler,
} from './topics/shop-payments-v1/events/payment-captured.event-handler.js';
import {
  AnalyticsPaymentFailedHandler,
} from './topics/shop-payments-v1/events/payment-failed.event-handler.js';
import {
  AnalyticsPaymentRefundedHandler,
} from './topics/shop-payments-v1/events/payment-refunded.event-handler.js';
import {
  AnalyticsProductPublishedHandler,
} from './topics/shop-products-v1/events/product-published.event-handler.js';
import {
  AnalyticsProductRepricedHandler,
} from './topics/shop-products-v1/events/product-repriced.event-handler.js';

/**
 * Builds the event handlers of consumer group `analytics`, one per event it receives.
 * Pass your dependencies in here. When the catalog adds an event, the compiler points at this
 * function until you add the new handler (eventgen never edits this file).
 */
export function createHandlers(): Handlers {
  return {
    inventorySnapshotted: new AnalyticsInventorySnapshottedHandler(),
    orderCreated: new AnalyticsOrderCreatedHandler(),
    orderUpdated: new AnalyticsOrderUpdatedHandler(),
    orderCancelled: new AnalyticsOrderCancelledHandler(),
    orderShipped: new AnalyticsOrderShippedHandler(),
    orderDelivered: new AnalyticsOrderDeliveredHandler(),
    paymentAuthorized: new AnalyticsPaymentAuthorizedHandler(),
    paymentCaptured: new AnalyticsPaymentCapturedHandler(),
    paymentFailed: new AnalyticsPaymentFailedHandler(),
    paymentRefunded: new AnalyticsPaymentRefundedHandler(),
    productPublished: new AnalyticsProductPublishedHandler(),
    productRepriced: new AnalyticsProductRepricedHandler(),
  };
}
