// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import type { AnalyticsHandlers } from './index.js';
import {
  InventorySnapshottedEventHandler,
} from './topics/shop-inventory-snapshots-v1/events/inventory-snapshotted.event-handler.js';
import { OrderCancelledEventHandler } from './topics/shop-orders-v1/events/order-cancelled.event-handler.js';
import { OrderCreatedEventHandler } from './topics/shop-orders-v1/events/order-created.event-handler.js';
import { OrderDeliveredEventHandler } from './topics/shop-orders-v1/events/order-delivered.event-handler.js';
import { OrderShippedEventHandler } from './topics/shop-orders-v1/events/order-shipped.event-handler.js';
import { OrderUpdatedEventHandler } from './topics/shop-orders-v1/events/order-updated.event-handler.js';
import {
  PaymentAuthorizedEventHandler,
} from './topics/shop-payments-v1/events/payment-authorized.event-handler.js';
import {
  PaymentCapturedEventHandler,
} from './topics/shop-payments-v1/events/payment-captured.event-handler.js';
import { PaymentFailedEventHandler } from './topics/shop-payments-v1/events/payment-failed.event-handler.js';
import {
  PaymentRefundedEventHandler,
} from './topics/shop-payments-v1/events/payment-refunded.event-handler.js';
import {
  ProductPublishedEventHandler,
} from './topics/shop-products-v1/events/product-published.event-handler.js';
import {
  ProductRepricedEventHandler,
} from './topics/shop-products-v1/events/product-repriced.event-handler.js';

/**
 * Builds the event handlers of consumer group `analytics`.
 * Pass your dependencies in here. When the catalog adds an event, the compiler points at this
 * function until you add the new handler (eventgen never edits this file).
 */
export function createAnalyticsHandlers(): AnalyticsHandlers {
  return {
    shopInventorySnapshotsV1: {
      inventorySnapshotted: new InventorySnapshottedEventHandler(),
    },
    shopOrdersV1: {
      orderCreated: new OrderCreatedEventHandler(),
      orderUpdated: new OrderUpdatedEventHandler(),
      orderCancelled: new OrderCancelledEventHandler(),
      orderShipped: new OrderShippedEventHandler(),
      orderDelivered: new OrderDeliveredEventHandler(),
    },
    shopPaymentsV1: {
      paymentAuthorized: new PaymentAuthorizedEventHandler(),
      paymentCaptured: new PaymentCapturedEventHandler(),
      paymentFailed: new PaymentFailedEventHandler(),
      paymentRefunded: new PaymentRefundedEventHandler(),
    },
    shopProductsV1: {
      productPublished: new ProductPublishedEventHandler(),
      productRepriced: new ProductRepricedEventHandler(),
    },
  };
}
