/** Field-level `x-data-classification`: the model's `sensitiveFields` per event and the emitted definitions. */
import { describe, expect, it } from 'vitest';
import { generateFromString } from '../../generator/index.js';

function model(body: string) {
  const result = generateFromString(`asyncapi: 3.0.0\ninfo: { title: Test Shop, version: 1.0.0 }\n${body}`);
  return { catalog: result.catalog, errors: result.diagnostics.filter((d) => d.severity === 'error'), files: result.files };
}

const CATALOG = `
channels:
  orders:
    address: shop.orders
    messages:
      created:
        name: order.created
        payload: { $ref: '#/components/schemas/Order' }
      cancelled:
        name: order.cancelled
        payload: { type: object, properties: { orderId: { type: string }, reason: { type: string, x-data-classification: internal } } }
      note:
        name: order.noted
        x-data-classification: public
        payload: { type: string, x-data-classification: restricted }
components:
  schemas:
    CustomerRef:
      type: object
      properties:
        id: { type: string }
        email: { type: string, format: email, x-data-classification: confidential }
    Card:
      type: object
      properties:
        brand: { type: string }
        last4: { type: string, x-data-classification: restricted }
    Node:
      type: object
      properties:
        secret: { type: string, x-data-classification: confidential }
        children: { type: array, items: { $ref: '#/components/schemas/Node' } }
    Order:
      type: object
      properties:
        orderId: { type: string }
        customer: { $ref: '#/components/schemas/CustomerRef' }
        buyer: { $ref: '#/components/schemas/CustomerRef' }
        cards: { type: array, items: { $ref: '#/components/schemas/Card' } }
        notes: { type: object, additionalProperties: { type: string, x-data-classification: confidential } }
        "a/b": { type: string, x-data-classification: confidential }
        tree: { $ref: '#/components/schemas/Node' }
        billing:
          x-data-classification: restricted
          type: object
          properties: { iban: { type: string, x-data-classification: restricted } }
`;

describe('x-data-classification on fields', () => {
  it('collects the JSON pointers of confidential/restricted fields: shared schemas, arrays, maps, nesting, escaping, recursion', () => {
    const { catalog, errors } = model(CATALOG);
    expect(errors).toEqual([]);
    const byType = new Map(catalog?.events.map((e) => [e.type, e]));
    expect(byType.get('order.created')?.sensitiveFields).toEqual([
      '/a~1b',
      '/billing', // the whole object; its iban is not listed again
      '/buyer/email',
      '/cards/*/last4',
      '/customer/email',
      '/notes/*',
      '/tree/children/*', // a recursive schema with a sensitive field: redacted whole where it recurses
      '/tree/secret',
    ]);
    expect(byType.get('order.cancelled')?.sensitiveFields).toBeUndefined(); // internal fields are not sensitive
    expect(byType.get('order.noted')?.sensitiveFields).toEqual(['']); // the whole payload
  });

  it('emits sensitiveFields into the event definitions only where there are some', () => {
    const { files } = model(CATALOG);
    const events = files?.find((f) => f.path.endsWith('events.ts'))?.content ?? '';
    expect(events).toContain("sensitiveFields: ['/a~1b', '/billing', '/buyer/email', '/cards/*/last4', '/customer/email', '/notes/*', '/tree/children/*', '/tree/secret'],");
    expect(events.match(/sensitiveFields/g)).toHaveLength(2); // order.created and order.noted, not order.cancelled
  });

  it('reports an invalid value with its location', () => {
    const { errors } = model(`
channels:
  orders:
    address: shop.orders
    messages:
      created:
        name: order.created
        payload:
          type: object
          properties:
            email: { type: string, x-data-classification: secret }
            phone: { type: string, x-data-classification: 3 }
`);
    expect(errors.map((e) => [e.rule, e.message, e.location?.pointer])).toEqual([
      ['extension-invalid', 'x-data-classification must be one of public, internal, confidential, restricted, got "secret"', '/channels/orders/messages/created/payload/properties/email/x-data-classification'],
      ['extension-invalid', 'x-data-classification must be one of public, internal, confidential, restricted, got 3', '/channels/orders/messages/created/payload/properties/phone/x-data-classification'],
    ]);
    expect(errors[0]?.location?.line).toBeGreaterThan(0);
  });
});
