// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { Injectable } from '@nestjs/common';
import type { KafkaEventHandler } from '../../../../../base/kafka-event-handler.interface.js';
import { type EventContext, NotImplementedError } from '../../../../../runtime/index.js';
import type { InventorySnapshotted } from '../../../../../schemas/inventory-snapshotted.js';

/**
 * Handles `inventory.snapshotted` (v1.0.0) from topic `shop.inventory-snapshots.v1` for consumer group `analytics`.
 *
 * Full stock levels of every warehouse, published hourly.
 *
 * Keep it small and call into your application, e.g. a `CommandBus` from `@nestjs/cqrs`:
 * `constructor(private readonly commandBus: CommandBus) {}` (a value import of `CommandBus`), then
 * `await this.commandBus.execute(new SomeCommand(payload...))` in `handle()`.
 * `context.logger` carries the correlation id, event id, topic, partition and offset on every line.
 * Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for
 * failures that can never succeed (sent to the dead-letter path (disabled for this topic: the partition halts) at once).
 * Until this handler is implemented, every `inventory.snapshotted` record goes to the dead-letter path (disabled for this topic: the partition halts).
 */
@Injectable()
export class AnalyticsInventorySnapshottedHandler implements KafkaEventHandler<'inventory.snapshotted'> {
  readonly eventType = 'inventory.snapshotted';

  async handle(_payload: InventorySnapshotted, context: EventContext): Promise<void> {
    context.logger.debug('inventory.snapshotted received');
    throw new NotImplementedError('analytics: no handler for inventory.snapshotted yet (eventId ' + context.eventId + ')');
  }
}
