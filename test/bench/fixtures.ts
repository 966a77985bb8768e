/**
 * The event the runtime benchmarks send: `order.created` exactly as the generator emits it for the bundled catalog
 * (same Zod schema shape: strict objects, guid/email/regex/enum/datetime formats, nested money, 1-100 line items),
 * copied here so the bench does not depend on the committed `generated/` tree. Payloads are ~1 KB.
 */
import { z } from 'zod';
import { defineEvent } from '../../templates/runtime/index.js';

const MoneySchema = z.strictObject({
  amount: z.number().int().min(0).max(100000000),
  currency: z.enum(['EUR', 'GBP', 'USD', 'CHF']),
});
const LineItemSchema = z.strictObject({
  sku: z.string().regex(new RegExp('^[A-Z]{3}-[0-9]{4,8}$', 'u')),
  productId: z.guid(),
  name: z.string().max(200),
  quantity: z.number().int().min(1).max(999),
  unitPrice: MoneySchema,
  total: MoneySchema,
});
const AddressSchema = z.looseObject({
  line1: z.string().min(1).max(120),
  line2: z.string().max(120).nullable().optional(),
  city: z.string().min(1).max(80),
  postalCode: z.string().max(16),
  region: z.string().max(80).nullable().optional(),
  country: z.string().regex(new RegExp('^[A-Z]{2}$', 'u')),
});
export const OrderCreatedSchema = z.strictObject({
  orderId: z.guid(),
  orderNumber: z.string().regex(new RegExp('^SO-[0-9]{4}-[0-9]{6}$', 'u')),
  customer: z.strictObject({
    id: z.guid(),
    email: z.email({ pattern: /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i }),
  }),
  channel: z.enum(['web', 'mobile', 'pos']).default('web'),
  items: z.array(LineItemSchema).min(1).max(100),
  subtotal: MoneySchema,
  shippingCost: MoneySchema,
  total: MoneySchema,
  couponCode: z.string().max(32).nullable().optional(),
  shippingAddress: AddressSchema,
  placedAt: z.iso.datetime({ offset: true }),
});
export type OrderCreatedInput = z.input<typeof OrderCreatedSchema>;

export const OrderCreatedEvent = defineEvent({
  eventType: 'order.created',
  version: '1.0.0',
  topics: ['shop.orders.v1'],
  schema: OrderCreatedSchema,
  classification: 'confidential',
  partitionKey: (data) => String(data.orderId),
});

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0').slice(-width);
const uuid = (i: number, salt: number): string => `${hex(salt, 8)}-${hex(i >>> 16, 4)}-4${hex(i, 3)}-8${hex(i * 7, 3)}-${hex(i * 2654435761, 12)}`;

/** A valid ~1 KB `order.created` payload (3 line items); `i` varies the ids. */
export function orderPayload(i: number): OrderCreatedInput {
  const items = Array.from({ length: 3 }, (_, k) => ({
    sku: `SKU-${String(1000 + ((i + k) % 9000)).padStart(4, '0')}`,
    productId: uuid(i * 3 + k, 0xabcdef01),
    name: `Product number ${k} in a realistic catalogue`,
    quantity: 1 + (k % 3),
    unitPrice: { amount: 1999 + k, currency: 'EUR' as const },
    total: { amount: (1999 + k) * (1 + (k % 3)), currency: 'EUR' as const },
  }));
  return {
    orderId: uuid(i, 0x1234abcd),
    orderNumber: `SO-2026-${String(i % 1_000_000).padStart(6, '0')}`,
    customer: { id: uuid(i, 0x77777777), email: `customer${i}@example.com` },
    channel: 'web',
    items,
    subtotal: { amount: 12000, currency: 'EUR' },
    shippingCost: { amount: 499, currency: 'EUR' },
    total: { amount: 12499, currency: 'EUR' },
    couponCode: null,
    shippingAddress: { line1: 'Hauptstrasse 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
    placedAt: '2026-01-01T12:00:00Z',
  };
}
