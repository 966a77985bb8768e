/** What the example's handlers depend on: the producers (to emit follow-up events) and an outbox of notifications. */
import type { createProducers } from './events/index.js';

export type Producers = ReturnType<typeof createProducers>;

/** A sent notification (a real service would call an e-mail/SMS provider here). */
export interface Notification {
  orderId: string;
  to: string;
  kind: 'order-confirmation' | 'payment-failed';
  text: string;
}

/** Orders above this amount (minor units) are declined by the fake payment provider. */
export const CARD_LIMIT = 100_000;
