/**
 * Which catalog events an `@EventHandler({ eventType })` receives: the runtime's glob (`*` = exactly one
 * dot-separated segment, `**` = anything, dots included), at run time and in the payload types.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { matchEventTypes, type KafkaEvent, type MatchingEventType } from '../../examples/nest-shop/src/events/index.js';
import type { EventType, OrderCreated, PaymentFailed } from '../../examples/nest-shop/src/events/index.js';

const ORDER = ['order.created', 'order.updated', 'order.cancelled', 'order.shipped', 'order.delivered'];
const PAYMENT = ['payment.authorized', 'payment.captured', 'payment.failed', 'payment.refunded'];
const ALL = [
  ...ORDER,
  ...PAYMENT,
  'customer.registered',
  'customer.updated',
  'product.published',
  'product.repriced',
  'stock.reserved',
  'stock.released',
  'stock.unavailable',
  'inventory.snapshotted',
  'audit.recorded',
];

describe('matchEventTypes (the table users read in docs/nestjs.md)', () => {
  it.each([
    ['order.created', ['order.created']],
    ['order.*', ORDER],
    ['payment.*', PAYMENT],
    ['*.created', ['order.created']],
    ['*.updated', ['order.updated', 'customer.updated']],
    ['*.re*', ['customer.registered', 'payment.refunded', 'product.repriced', 'stock.reserved', 'stock.released', 'audit.recorded']],
    ['order.c*', ['order.created', 'order.cancelled']],
    ['**', ALL],
    ['order.**', ORDER],
    ['**.updated', ['order.updated', 'customer.updated']],
    ['*', []], // one segment: no catalog event name is a single segment
    ['order', []],
    ['order.created.v2', []],
    ['order.*.v2', []],
    ['ORDER.*', []],
    ['order.created ', []],
    ['constructor', []], // not an own key of the catalog: no prototype look-ups
    ['__proto__', []],
    ['order.(created|updated)', []], // regex characters are literal
  ])('%s', (pattern, expected) => {
    expect([...matchEventTypes(pattern)].sort()).toEqual([...expected].sort());
  });
});

// Checked by the type-checker (`npm run typecheck` covers test/); `**` is typed as "anything from here on".
describe('payload types follow the same matching', () => {
  it('infers exact names, segment globs and **', () => {
    expectTypeOf<MatchingEventType<'order.created'>>().toEqualTypeOf<'order.created'>();
    expectTypeOf<MatchingEventType<'order.*'>>().toEqualTypeOf<'order.created' | 'order.updated' | 'order.cancelled' | 'order.shipped' | 'order.delivered'>();
    expectTypeOf<MatchingEventType<'*.updated'>>().toEqualTypeOf<'order.updated' | 'customer.updated'>();
    expectTypeOf<MatchingEventType<'order.c*'>>().toEqualTypeOf<'order.created' | 'order.cancelled'>();
    expectTypeOf<MatchingEventType<'*'>>().toEqualTypeOf<never>();
    expectTypeOf<MatchingEventType<'order.created.v2'>>().toEqualTypeOf<never>();
    expectTypeOf<MatchingEventType<'**'>>().toEqualTypeOf<EventType>();
    expectTypeOf<MatchingEventType<'stock.re*'>>().toEqualTypeOf<'stock.reserved' | 'stock.released'>();
  });

  it('types the event as a union discriminated by eventType (eventName: the deprecated alias)', () => {
    expectTypeOf<KafkaEvent<'order.created'>['data']>().toEqualTypeOf<OrderCreated>();
    expectTypeOf<Extract<KafkaEvent<'*.failed'>, { eventType: 'payment.failed' }>['data']>().toEqualTypeOf<PaymentFailed>();
    expectTypeOf<KafkaEvent<'payment.*'>['eventType']>().toEqualTypeOf<'payment.authorized' | 'payment.captured' | 'payment.failed' | 'payment.refunded'>();
    expectTypeOf<KafkaEvent<'payment.*'>['eventName']>().toEqualTypeOf<KafkaEvent<'payment.*'>['eventType']>();
  });
});
