/** `gen diff` on Avro payloads: Avro's schema-resolution rules under BACKWARD (default), FORWARD and FULL. */
import { describe, expect, it } from 'vitest';
import type { Change } from '../../generator/diff/index.js';
import { diffYaml, edit } from './helpers.js';

/** One Avro event; `fields` are YAML list items indented 12 spaces; `mode` sets x-compatibility. */
function avroCatalog(fields: string, mode?: string, extra = ''): string {
  return `asyncapi: 3.0.0
info: { title: Shop, version: 1.0.0 }
channels:
  orders:
    address: shop.orders
    messages:
      placed:
        name: order.placed
        x-event-version: 1.0.0
${mode ? `        x-compatibility: ${mode}\n` : ''}        payload:
          schemaFormat: application/vnd.apache.avro+json;version=1.9.0
          schema:
            type: record
            name: OrderPlaced
            namespace: com.shop${extra}
            fields:
${fields}
`;
}

const BASE = `              - { name: orderId, type: string }
              - { name: quantity, type: int }
              - { name: ratio, type: float }
              - { name: note, type: ["null", string], default: null }
              - name: status
                type: { type: enum, name: Status, symbols: [OPEN, PAID] }`;

const payloadChanges = (changes: Change[]): Array<[string, string, string | undefined]> =>
  changes.filter((c) => c.path?.startsWith('payload')).map((c) => [c.rule, c.severity, c.path]);

describe('Avro fields', () => {
  it('a field added without a default breaks under BACKWARD (new readers cannot read old data)', () => {
    const head = edit(BASE, '              - { name: ratio, type: float }', '              - { name: ratio, type: float }\n              - { name: coupon, type: string }');
    expect(payloadChanges(diffYaml(avroCatalog(BASE), avroCatalog(head)))).toEqual([['field-added-required', 'breaking', 'payload.coupon']]);
    // FORWARD: old readers skip the field they do not know.
    expect(payloadChanges(diffYaml(avroCatalog(BASE, 'FORWARD'), avroCatalog(head, 'FORWARD')))).toEqual([['field-added-required', 'non-breaking', 'payload.coupon']]);
  });

  it('a field added with a default is compatible in every mode', () => {
    const head = edit(BASE, '              - { name: ratio, type: float }', '              - { name: ratio, type: float }\n              - { name: coupon, type: string, default: none }');
    for (const mode of ['BACKWARD', 'FORWARD', 'FULL']) {
      expect(payloadChanges(diffYaml(avroCatalog(BASE, mode), avroCatalog(head, mode))), mode).toEqual([['field-added', 'non-breaking', 'payload.coupon']]);
    }
  });

  it('removing a field: fine under BACKWARD; under FORWARD only when it had a default', () => {
    const noQuantity = edit(BASE, '              - { name: quantity, type: int }\n', '');
    expect(payloadChanges(diffYaml(avroCatalog(BASE), avroCatalog(noQuantity)))).toEqual([['field-removed', 'non-breaking', 'payload.quantity']]);
    expect(payloadChanges(diffYaml(avroCatalog(BASE, 'FORWARD'), avroCatalog(noQuantity, 'FORWARD')))).toEqual([['field-removed', 'breaking', 'payload.quantity']]);
    const noNote = edit(BASE, '              - { name: note, type: ["null", string], default: null }\n', '');
    expect(payloadChanges(diffYaml(avroCatalog(BASE, 'FULL'), avroCatalog(noNote, 'FULL')))).toEqual([['field-removed', 'non-breaking', 'payload.note']]);
  });

  it("an existing field's default added or removed is info (data unaffected), not a required-ness change", () => {
    const head = edit(BASE, '{ name: orderId, type: string }', '{ name: orderId, type: string, default: "" }');
    const changes = payloadChanges(diffYaml(avroCatalog(BASE), avroCatalog(head)));
    expect(changes).toContainEqual(['avro-field-default-added', 'info', 'payload.orderId']);
    expect(changes.some(([, severity]) => severity === 'breaking')).toBe(false);
  });

  it('a field renamed with an alias: BACKWARD reads old data through the alias; FORWARD needs the old default', () => {
    const head = edit(BASE, '{ name: orderId, type: string }', '{ name: id, type: string, aliases: [orderId] }');
    expect(payloadChanges(diffYaml(avroCatalog(BASE), avroCatalog(head)))).toEqual([['avro-field-renamed', 'non-breaking', 'payload.id']]);
    expect(payloadChanges(diffYaml(avroCatalog(BASE, 'FORWARD'), avroCatalog(head, 'FORWARD')))).toEqual([['avro-field-renamed', 'breaking', 'payload.id']]);
  });
});

describe('Avro type promotions', () => {
  it('int → long is a promotion: compatible under BACKWARD, breaking under FORWARD and FULL', () => {
    const head = edit(BASE, '{ name: quantity, type: int }', '{ name: quantity, type: long }');
    expect(payloadChanges(diffYaml(avroCatalog(BASE), avroCatalog(head)))).toEqual([['avro-type-promoted', 'non-breaking', 'payload.quantity']]);
    expect(payloadChanges(diffYaml(avroCatalog(BASE, 'FULL'), avroCatalog(head, 'FULL')))).toEqual([['avro-type-promoted', 'breaking', 'payload.quantity']]);
  });

  it('float → double promotes, double → float demotes (the JSON Schema rules see no change at all)', () => {
    const wider = edit(BASE, '{ name: ratio, type: float }', '{ name: ratio, type: double }');
    expect(payloadChanges(diffYaml(avroCatalog(BASE), avroCatalog(wider)))).toEqual([['avro-type-promoted', 'non-breaking', 'payload.ratio']]);
    expect(payloadChanges(diffYaml(avroCatalog(wider), avroCatalog(BASE)))).toEqual([['avro-type-demoted', 'breaking', 'payload.ratio']]);
  });

  it('int → float promotes; string ↔ bytes is compatible both ways; int → string is a type change', () => {
    const toFloat = edit(BASE, '{ name: quantity, type: int }', '{ name: quantity, type: float }');
    expect(payloadChanges(diffYaml(avroCatalog(BASE), avroCatalog(toFloat)))).toEqual([['avro-type-promoted', 'non-breaking', 'payload.quantity']]);
    const toBytes = edit(BASE, '{ name: orderId, type: string }', '{ name: orderId, type: bytes }');
    expect(payloadChanges(diffYaml(avroCatalog(BASE, 'FULL'), avroCatalog(toBytes, 'FULL')))).toEqual([['avro-type-promoted', 'non-breaking', 'payload.orderId']]);
    const toString = edit(BASE, '{ name: quantity, type: int }', '{ name: quantity, type: string }');
    expect(payloadChanges(diffYaml(avroCatalog(BASE), avroCatalog(toString)))).toEqual([['type-changed', 'breaking', 'payload.quantity']]);
  });
});

describe('Avro enums and names', () => {
  it('a symbol added: fine under BACKWARD, breaking under FORWARD unless the old enum has a default', () => {
    const head = edit(BASE, 'symbols: [OPEN, PAID]', 'symbols: [OPEN, PAID, SHIPPED]');
    expect(payloadChanges(diffYaml(avroCatalog(BASE), avroCatalog(head)))).toEqual([['avro-enum-symbol-added', 'non-breaking', 'payload.status']]);
    expect(payloadChanges(diffYaml(avroCatalog(BASE, 'FORWARD'), avroCatalog(head, 'FORWARD')))).toEqual([['avro-enum-symbol-added', 'breaking', 'payload.status']]);
    const withDefault = (s: string): string => edit(s, 'symbols: [OPEN, PAID', 'default: OPEN, symbols: [OPEN, PAID');
    expect(payloadChanges(diffYaml(avroCatalog(withDefault(BASE), 'FULL'), avroCatalog(withDefault(head), 'FULL')))).toEqual([['avro-enum-symbol-added', 'non-breaking', 'payload.status']]);
  });

  it('a symbol removed breaks under BACKWARD unless the new enum has a default', () => {
    const head = edit(BASE, 'symbols: [OPEN, PAID]', 'symbols: [OPEN]');
    expect(payloadChanges(diffYaml(avroCatalog(BASE), avroCatalog(head)))).toEqual([['avro-enum-symbol-removed', 'breaking', 'payload.status']]);
    const headDefault = edit(BASE, 'symbols: [OPEN, PAID]', 'default: OPEN, symbols: [OPEN]');
    expect(payloadChanges(diffYaml(avroCatalog(BASE), avroCatalog(headDefault)))).toEqual([['avro-enum-symbol-removed', 'non-breaking', 'payload.status']]);
  });

  it('a renamed record breaks unless the new one lists the old fullname in its aliases', () => {
    const renamed = (aliases: string): string => avroCatalog(BASE, undefined, aliases).replace('name: OrderPlaced', 'name: OrderSubmitted');
    const bare = payloadChanges(diffYaml(avroCatalog(BASE), renamed('')));
    expect(bare).toEqual([['avro-name-changed', 'breaking', 'payload']]);
    const aliased = payloadChanges(diffYaml(avroCatalog(BASE), renamed('\n            aliases: [OrderPlaced]')));
    expect(aliased).toEqual([['avro-name-changed', 'non-breaking', 'payload']]);
  });

  it('JSON Schema events keep their rules: float/double do not exist there, enum-value-added stays', () => {
    const json = (values: string): string => `asyncapi: 3.0.0
info: { title: Shop, version: 1.0.0 }
channels:
  orders:
    address: shop.orders
    messages:
      placed:
        name: order.placed
        payload: { type: object, properties: { status: { type: string, enum: [${values}] } } }
`;
    expect(payloadChanges(diffYaml(json('OPEN'), json('OPEN, PAID')))).toEqual([['enum-value-added', 'non-breaking', 'payload.status']]);
  });
});
