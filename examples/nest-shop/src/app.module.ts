/**
 * The nest-shop service: the payment-service consumer group in style 1 (generated topic handler, implemented event
 * handlers that dispatch CQRS commands), an order timeline in style 2 (`@EventHandler`), and `/health`.
 */
import { type DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { TerminusModule } from '@nestjs/terminus';
import { KafkaModule, type KafkaModuleOptions } from './events/index.js';
import { PaymentServiceEventsModule } from './events/consumers/payment-service/payment-service.module.js';
import { HealthController } from './health.controller.js';
import { OrderTimelineService } from './orders/order-timeline.service.js';
import { AuthorizePaymentHandler, PaymentLedger, VoidPaymentHandler } from './payments/payment.commands.js';

/** The CQRS side of the example; `CqrsModule.forRoot()` makes the `CommandBus` available to every handler. */
@Module({
  providers: [PaymentLedger, AuthorizePaymentHandler, VoidPaymentHandler],
  exports: [PaymentLedger],
})
export class PaymentsModule {}

@Module({})
export class AppModule {
  /** Options in code for tests; in production everything comes from the environment (`KAFKA_BROKERS`, ...). */
  static register(kafka: KafkaModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CqrsModule.forRoot(),
        KafkaModule.forRoot({ clientId: 'nest-shop', ...kafka }),
        TerminusModule,
        PaymentsModule,
        // Style 1: the generated module of consumer group `payment-service`, with our implemented handlers.
        PaymentServiceEventsModule,
      ],
      controllers: [HealthController],
      providers: [OrderTimelineService],
    };
  }
}
