// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import type { Steps } from './flow.js';
import { CancelOrderStepHandler } from './steps/cancel-order.step.js';
import { ChargePaymentStepHandler } from './steps/charge-payment.step.js';
import { RefundPaymentStepHandler } from './steps/refund-payment.step.js';
import { ReserveStockStepHandler } from './steps/reserve-stock.step.js';
import { ShipOrderStepHandler } from './steps/ship-order.step.js';

/**
 * Builds the step handlers of saga `order-fulfillment`. Pass your dependencies in here. When the catalog adds a step,
 * the compiler points at this function until you add it (eventgen never edits this file).
 */
export function createSteps(): Steps {
  return {
    chargePayment: new ChargePaymentStepHandler(),
    reserveStock: new ReserveStockStepHandler(),
    shipOrder: new ShipOrderStepHandler(),
    cancelOrder: new CancelOrderStepHandler(),
    refundPayment: new RefundPaymentStepHandler(),
  };
}
