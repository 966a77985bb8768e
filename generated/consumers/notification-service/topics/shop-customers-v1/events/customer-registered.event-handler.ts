// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { type EventContext, type EventHandler, NotImplementedError } from '../../../../../runtime/index.js';
import type { CustomerRegistered } from '../../../../../schemas/customer-registered.js';

/**
 * Handles `customer.registered` (v1.0.0) from topic `shop.customers.v1` for consumer group `notification-service`.
 *
 * A new customer account was created.
 *
 * Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for
 * failures that can never succeed (sent to the dead-letter topic `shop.dead-letters.v1` at once).
 * Until this handler is implemented, every `customer.registered` record goes to the dead-letter topic `shop.dead-letters.v1`.
 */
export class NotificationServiceCustomerRegisteredHandler implements EventHandler<CustomerRegistered> {
  async handle(_data: CustomerRegistered, context: EventContext): Promise<void> {
    throw new NotImplementedError({ eventType: 'customer.registered', groupId: 'notification-service', eventId: context.eventId });
  }
}
