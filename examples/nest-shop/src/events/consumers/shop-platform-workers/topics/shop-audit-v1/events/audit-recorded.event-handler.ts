// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { Injectable } from '@nestjs/common';
import type { KafkaEventHandler } from '../../../../../base/kafka-event-handler.interface.js';
import { type EventContext, NotImplementedError } from '../../../../../runtime/index.js';
import type { AuditRecorded } from '../../../../../schemas/audit-recorded.js';

/**
 * Handles `audit.recorded` (v1.0.0) from topic `shop.audit.v1` for consumer group `shop-platform-workers`.
 *
 * A staff member or a system performed a security-relevant action.
 *
 * Keep it small and call into your application, e.g. a `CommandBus` from `@nestjs/cqrs`:
 * `constructor(private readonly commandBus: CommandBus) {}` (a value import of `CommandBus`), then
 * `await this.commandBus.execute(new SomeCommand(payload...))` in `handle()`.
 * `context.logger` carries the correlation id, event id, topic, partition and offset on every line.
 * Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for
 * failures that can never succeed (sent to the dead-letter topic `shop.audit.v1.dlq` at once).
 * Until this handler is implemented, every `audit.recorded` record goes to the dead-letter topic `shop.audit.v1.dlq`.
 */
@Injectable()
export class ShopPlatformWorkersAuditRecordedHandler implements KafkaEventHandler<'audit.recorded'> {
  readonly eventType = 'audit.recorded';

  async handle(_payload: AuditRecorded, context: EventContext): Promise<void> {
    context.logger.debug('audit.recorded received');
    throw new NotImplementedError('shop-platform-workers: no handler for audit.recorded yet (eventId ' + context.eventId + ')');
  }
}
