// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { VoidPaymentCommand } from '../../../../../../payments/payment.commands.js';
import type { KafkaEventHandler } from '../../../../../base/kafka-event-handler.interface.js';
import type { EventContext } from '../../../../../runtime/index.js';
import type { OrderCancelled } from '../../../../../schemas/order-cancelled.js';

/** Handles `order.cancelled` for consumer group `payment-service`: voids the authorisation. */
@Injectable()
export class PaymentServiceOrderCancelledHandler implements KafkaEventHandler<'order.cancelled'> {
  readonly eventType = 'order.cancelled';

  constructor(private readonly commandBus: CommandBus) {}

  async handle(payload: OrderCancelled, context: EventContext): Promise<void> {
    context.logger.info('voiding payment', { orderId: payload.orderId, reason: payload.reason });
    await this.commandBus.execute(new VoidPaymentCommand(payload.orderId, payload.reason));
  }
}
