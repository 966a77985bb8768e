// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { AuthorizePaymentCommand } from '../../../../../../payments/payment.commands.js';
import type { KafkaEventHandler } from '../../../../../base/kafka-event-handler.interface.js';
import type { EventContext } from '../../../../../runtime/index.js';
import type { OrderCreated } from '../../../../../schemas/order-created.js';

/** Handles `order.created` for consumer group `payment-service`: authorises the order's total. */
@Injectable()
export class PaymentServiceOrderCreatedHandler implements KafkaEventHandler<'order.created'> {
  readonly eventType = 'order.created';

  // A value import of CommandBus: `import type` would erase the constructor's injection metadata.
  constructor(private readonly commandBus: CommandBus) {}

  async handle(payload: OrderCreated, context: EventContext): Promise<void> {
    context.logger.info('authorising payment', { orderId: payload.orderId });
    await this.commandBus.execute(
      new AuthorizePaymentCommand(payload.orderId, payload.total.amount, payload.total.currency, context.correlationId),
    );
  }
}
