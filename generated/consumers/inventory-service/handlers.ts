// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import type { InventoryServiceHandlers } from './index.js';
import {
  InventoryServiceOrderCancelledHandler,
} from './topics/shop-orders-v1/events/order-cancelled.event-handler.js';
import {
  InventoryServiceOrderCreatedHandler,
} from './topics/shop-orders-v1/events/order-created.event-handler.js';

/**
 * Builds the event handlers of consumer group `inventory-service`.
 * Pass your dependencies in here. When the catalog adds an event, the compiler points at this
 * function until you add the new handler (eventgen never edits this file).
 */
export function createInventoryServiceHandlers(): InventoryServiceHandlers {
  return {
    shopOrdersV1: {
      orderCreated: new InventoryServiceOrderCreatedHandler(),
      orderCancelled: new InventoryServiceOrderCancelledHandler(),
    },
  };
}
