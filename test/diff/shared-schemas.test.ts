/** Shared schemas: a change is reported through every event (and every path) that uses it; recursion terminates. */
import { describe, expect, it } from 'vitest';
import { catalog, diffYaml, edit, lineOf } from './helpers.js';

const SHARED = `  schemas:
    Address:
      type: object
      required: [street, zip]
      properties:
        street: { type: string }
        zip:
          type: string
          maxLength: 10
    Category:
      type: object
      required: [name]
      properties:
        name: { type: string }
        parent:
          $ref: '#/components/schemas/Category'
        children:
          type: array
          items:
            $ref: '#/components/schemas/Category'
`;

const BASE = catalog({
  payload: `        type: object
        required: [orderId]
        properties:
          orderId: { type: string }
          shippingAddress:
            $ref: '#/components/schemas/Address'
          billingAddress:
            $ref: '#/components/schemas/Address'
          category:
            $ref: '#/components/schemas/Category'`,
  cancelled: `        type: object
        required: [orderId]
        properties:
          orderId: { type: string }
          returnAddress:
            $ref: '#/components/schemas/Address'`,
  components: SHARED,
});

describe('shared schemas', () => {
  it('reports a shared schema change per event and per path, located in the shared schema', () => {
    const head = edit(BASE, 'maxLength: 10', 'maxLength: 5');
    const changes = diffYaml(BASE, head).filter((c) => c.rule === 'constraint-tightened');
    expect(changes.map((c) => `${c.subject}: ${c.path}`)).toEqual([
      'order.cancelled: payload.returnAddress.zip',
      'order.created: payload.shippingAddress.zip',
      'order.created: payload.billingAddress.zip',
    ]);
    for (const c of changes) {
      expect(c.severity).toBe('breaking');
      expect(c.base?.line).toBe(lineOf(BASE, 'maxLength: 10'));
      expect(c.head?.line).toBe(lineOf(head, 'maxLength: 5'));
      expect(c.base?.pointer).toBe('/components/schemas/Address/properties/zip/maxLength');
    }
  });

  it('walks recursive schemas once per cycle and finds changes inside them', () => {
    expect(diffYaml(BASE, BASE)).toEqual([]);
    const head = edit(BASE, 'name: { type: string }', 'name: { type: string, minLength: 1 }');
    const changes = diffYaml(BASE, head).filter((c) => c.rule === 'constraint-tightened');
    expect(changes.map((c) => c.path)).toEqual(['payload.category.name']);
    expect(changes[0]?.head?.line).toBe(lineOf(head, 'minLength: 1'));
  });

  it('sees an inlined shared schema as unchanged when the shape is the same', () => {
    const head = edit(
      BASE,
      "          shippingAddress:\n            $ref: '#/components/schemas/Address'\n",
      '          shippingAddress:\n            type: object\n            required: [street, zip]\n            properties:\n              street: { type: string }\n              zip: { type: string, maxLength: 10 }\n',
    );
    expect(diffYaml(BASE, head)).toEqual([]);
  });
});
