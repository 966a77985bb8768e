// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import type { Handlers } from './index.js';
import {
  ShopPlatformWorkersAuditRecordedHandler,
} from './topics/shop-audit-v1/events/audit-recorded.event-handler.js';

/**
 * Builds the event handlers of consumer group `shop-platform-workers`, one per event it receives.
 * Pass your dependencies in here. When the catalog adds an event, the compiler points at this
 * function until you add the new handler (eventgen never edits this file).
 */
export function createHandlers(): Handlers {
  return {
    auditRecorded: new ShopPlatformWorkersAuditRecordedHandler(),
  };
}
