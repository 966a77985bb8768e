// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { type EventContext, type EventHandler, NotImplementedError } from '../../../../../runtime/index.js';
import type { InventorySnapshotted } from '../../../../../schemas/inventory-snapshotted.js';

/**
 * Handles `inventory.snapshotted` (v1.0.0) from topic `shop.inventory-snapshots.v1` for consumer group `analytics`.
 *
 * Full stock levels of every warehouse, published hourly.
 *
 * Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for
 * failures that can never succeed (sent to the dead-letter path (disabled for this topic: the consumer stops) at once).
 * Until this handler is implemented, every `inventory.snapshotted` record goes to the dead-letter path (disabled for this topic: the consumer stops).
 */
export class AnalyticsInventorySnapshottedHandler implements EventHandler<InventorySnapshotted> {
  async handle(_data: InventorySnapshotted, context: EventContext): Promise<void> {
    throw new NotImplementedError({ eventType: 'inventory.snapshotted', groupId: 'analytics', eventId: context.eventId });
  }
}
