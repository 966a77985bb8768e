// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import type { Notification } from '../../../deps.js';
import type { Handlers } from './index.js';
import {
  CustomerRegisteredEventHandler,
} from './topics/shop-customers-v1/events/customer-registered.event-handler.js';
import { OrderCreatedEventHandler } from './topics/shop-orders-v1/events/order-created.event-handler.js';
import { OrderDeliveredEventHandler } from './topics/shop-orders-v1/events/order-delivered.event-handler.js';
import { OrderShippedEventHandler } from './topics/shop-orders-v1/events/order-shipped.event-handler.js';
import { PaymentFailedEventHandler } from './topics/shop-payments-v1/events/payment-failed.event-handler.js';
import {
  PaymentRefundedEventHandler,
} from './topics/shop-payments-v1/events/payment-refunded.event-handler.js';

/**
 * Builds the event handlers of consumer group `notification-service`, one per event it receives.
 * Pass your dependencies in here. When the catalog adds an event, the compiler points at this
 * function until you add the new handler (eventgen never edits this file).
 */
export function createHandlers(deps: { outbox: Notification[]; customers: Map<string, string> }): Handlers {
  return {
    customerRegistered: new CustomerRegisteredEventHandler(),
    orderCreated: new OrderCreatedEventHandler(deps.outbox, deps.customers),
    orderShipped: new OrderShippedEventHandler(),
    orderDelivered: new OrderDeliveredEventHandler(),
    paymentFailed: new PaymentFailedEventHandler(deps.outbox, deps.customers),
    paymentRefunded: new PaymentRefundedEventHandler(),
  };
}
