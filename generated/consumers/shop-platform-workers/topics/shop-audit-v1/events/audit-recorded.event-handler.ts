// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { type EventContext, type EventHandler, NotImplementedError } from '../../../../../runtime/index.js';
import type { AuditRecorded } from '../../../../../schemas/audit-recorded.js';

/**
 * Handles `audit.recorded` (v1.0.0) from topic `shop.audit.v1` for consumer group `shop-platform-workers`.
 *
 * A staff member or a system performed a security-relevant action.
 *
 * Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for
 * failures that can never succeed (sent to the dead-letter topic `shop.audit.v1.dlq` at once).
 * Until this handler is implemented, every `audit.recorded` record goes to the dead-letter topic `shop.audit.v1.dlq`.
 */
export class ShopPlatformWorkersAuditRecordedHandler implements EventHandler<AuditRecorded> {
  async handle(_data: AuditRecorded, context: EventContext): Promise<void> {
    throw new NotImplementedError({ eventType: 'audit.recorded', groupId: 'shop-platform-workers', eventId: context.eventId });
  }
}
