// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import type { Producers } from '../../../deps.js';
import type { Handlers } from './index.js';
import { OrderCancelledEventHandler } from './topics/shop-orders-v1/events/order-cancelled.event-handler.js';
import { OrderCreatedEventHandler } from './topics/shop-orders-v1/events/order-created.event-handler.js';

/** Builds the event handlers of consumer group `payment-service`, one per event it receives. */
export function createHandlers(deps: { producers: Producers; cancelled: Set<string> }): Handlers {
  return {
    orderCreated: new OrderCreatedEventHandler(deps.producers),
    orderCancelled: new OrderCancelledEventHandler(deps.cancelled),
  };
}
