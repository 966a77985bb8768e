// Scaffolded by eventgen from catalog/shop.asyncapi.yaml. This file is yours: eventgen creates it once and never overwrites it.
import { type EventContext, NotImplementedError } from '../../../runtime/index.js';
import type { StockReserved } from '../../../schemas/stock-reserved.js';
import type { ShipOrderOutcome, ShipOrderStep } from '../flow.js';

/**
 * Saga `order-fulfillment`. Step `ship-order`: handles `stock.reserved` in consumer group `fulfillment-service.order-saga` and answers with `order.shipped`.
 *
 * Return the event to emit, e.g. `return { emit: 'order.shipped', payload: { ... } };`: the runner publishes it with the
 * typed producers, caused by the handled record. The return type admits only the declared events.
 * Until this step is implemented, every `stock.reserved` record goes to the dead-letter topic (NotImplementedError).
 */
export class ShipOrderStepHandler implements ShipOrderStep {
  async handle(_data: StockReserved, context: EventContext): Promise<ShipOrderOutcome> {
    throw new NotImplementedError({ eventType: 'stock.reserved', groupId: 'fulfillment-service.order-saga', eventId: context.eventId });
  }
}
