/**
 * Style 2 (decorators): any provider can handle catalog events. Payload types come from the catalog's event names;
 * a glob gives a union discriminated by `eventType`.
 */
import { Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { EventHandler, type KafkaEvent, type KafkaEventContext } from '../events/index.js';
import { VoidPaymentCommand } from '../payments/payment.commands.js';

/** One line of an order's timeline. */
export interface TimelineEntry {
  eventType: string;
  orderId: string;
  topic: string;
  partition: number;
  offset: string;
}

@Injectable()
export class OrderTimelineService {
  /** Timeline per order id (a read model; a real service would store it). */
  readonly timeline = new Map<string, TimelineEntry[]>();

  constructor(private readonly commandBus: CommandBus) {}

  /** Every order event (`*` = one segment: `order.created`, `order.shipped`, ...) in group `nest-shop-timeline`. */
  @EventHandler({ eventType: 'order.*', groupId: 'nest-shop-timeline' })
  async onOrderEvent(event: KafkaEvent<'order.*'>, { topic, partition, offset }: KafkaEventContext): Promise<void> {
    const entries = this.timeline.get(event.data.orderId) ?? [];
    entries.push({ eventType: event.eventType, orderId: event.data.orderId, topic, partition, offset });
    this.timeline.set(event.data.orderId, entries);
  }

  /** A failed payment voids what was authorised; the payload type is `PaymentFailed`. */
  @EventHandler({ eventType: 'payment.failed', groupId: 'nest-shop-timeline' })
  async onPaymentFailed(event: KafkaEvent<'payment.failed'>, context: KafkaEventContext): Promise<void> {
    context.logger.info('payment failed; voiding the authorisation');
    await this.commandBus.execute(new VoidPaymentCommand(event.data.orderId, 'payment_failed'));
  }
}
