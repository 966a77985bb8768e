/** The payment side of the example: commands the Kafka handlers dispatch, and their CQRS handlers. */
import { Injectable } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';

/** Reserve the amount of a new order with the payment provider. */
export class AuthorizePaymentCommand {
  constructor(
    readonly orderId: string,
    readonly amount: number,
    readonly currency: string,
    readonly correlationId: string,
  ) {}
}

/** Release the authorisation of a cancelled order. */
export class VoidPaymentCommand {
  constructor(
    readonly orderId: string,
    readonly reason: string,
  ) {}
}

/** What the example "payment provider" did, in memory (a real service would call its PSP here). */
@Injectable()
export class PaymentLedger {
  readonly authorized = new Map<string, { amount: number; currency: string; correlationId: string }>();
  readonly voided = new Map<string, string>();
}

@CommandHandler(AuthorizePaymentCommand)
export class AuthorizePaymentHandler implements ICommandHandler<AuthorizePaymentCommand> {
  constructor(private readonly ledger: PaymentLedger) {}

  async execute(command: AuthorizePaymentCommand): Promise<void> {
    // Idempotent: a redelivered order.created authorises once.
    if (!this.ledger.authorized.has(command.orderId)) {
      this.ledger.authorized.set(command.orderId, { amount: command.amount, currency: command.currency, correlationId: command.correlationId });
    }
  }
}

@CommandHandler(VoidPaymentCommand)
export class VoidPaymentHandler implements ICommandHandler<VoidPaymentCommand> {
  constructor(private readonly ledger: PaymentLedger) {}

  async execute(command: VoidPaymentCommand): Promise<void> {
    this.ledger.voided.set(command.orderId, command.reason);
  }
}
