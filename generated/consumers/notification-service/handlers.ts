// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import type { Handlers } from './index.js';
import {
  NotificationServiceCustomerRegisteredHandler,
} from './topics/shop-customers-v1/events/customer-registered.event-handler.js';
import {
  NotificationServiceOrderCreatedHandler,
} from './topics/shop-orders-v1/events/order-created.event-handler.js';
import {
  NotificationServiceOrderDeliveredHandler,
} from './topics/shop-orders-v1/events/order-delivered.event-handler.js';
import {
  NotificationServiceOrderShippedHandler,
} from './topics/shop-orders-v1/events/order-shipped.event-handler.js';
import {
  NotificationServicePaymentFailedHandler,
} from './topics/shop-payments-v1/events/payment-failed.event-handler.js';
import {
  NotificationServicePaymentRefundedHandler,
} from './topics/shop-payments-v1/events/payment-refunded.event-handler.js';

/**
 * Builds the event handlers of consumer group `notification-service`, one per event it receives.
 * Pass your dependencies in here. When the catalog adds an event, the compiler points at this
 * function until you add the new handler (eventgen never edits this file).
 */
export function createHandlers(): Handlers {
  return {
    customerRegistered: new NotificationServiceCustomerRegisteredHandler(),
    orderCreated: new NotificationServiceOrderCreatedHandler(),
    orderShipped: new NotificationServiceOrderShippedHandler(),
    orderDelivered: new NotificationServiceOrderDeliveredHandler(),
    paymentFailed: new NotificationServicePaymentFailedHandler(),
    paymentRefunded: new NotificationServicePaymentRefundedHandler(),
  };
}
