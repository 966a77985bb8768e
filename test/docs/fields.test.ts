/** The payload field table: nested paths, arrays, maps, shared schemas, recursion and unions. */
import { describe, expect, it } from 'vitest';
import { fieldRows } from '../../generator/emit/docs/fields.js';
import { generateFromString } from '../../generator/index.js';
import type { Catalog } from '../../generator/model/types.js';

const YAML = `
asyncapi: 3.0.0
info: { title: t, version: '1' }
components:
  schemas:
    Money: { type: object, required: [amount], properties: { amount: { type: integer, minimum: 0 }, currency: { type: string, enum: [EUR, USD] } } }
    Category: { type: object, properties: { name: { type: string }, children: { type: array, items: { $ref: '#/components/schemas/Category' } } } }
    Card: { type: object, required: [type], properties: { type: { const: card }, last4: { type: string, pattern: '^[0-9]{4}$' } } }
    Iban: { type: object, required: [type], properties: { type: { const: iban }, iban: { type: string } } }
channels:
  c:
    address: t.c
    messages:
      m:
        name: a.b
        payload:
          type: object
          required: [total]
          properties:
            total: { $ref: '#/components/schemas/Money' }
            lines: { type: array, minItems: 1, items: { type: object, properties: { sku: { type: string, description: 'Stock unit' } } } }
            attrs: { type: object, additionalProperties: { type: string } }
            category: { $ref: '#/components/schemas/Category' }
            method: { oneOf: [{ $ref: '#/components/schemas/Card' }, { $ref: '#/components/schemas/Iban' }] }
`;

describe('field rows', () => {
  const catalog = generateFromString(YAML).catalog as Catalog;
  const ctx = { schemas: new Map(catalog.schemas.map((s) => [s.id, s])) };
  const rows = fieldRows((catalog.events[0] as Catalog['events'][number]).payload, ctx);
  const byPath = (p: string) => rows.filter((r) => r.path === p);

  it('walks nested objects, arrays and maps with readable paths', () => {
    expect(byPath('total')[0]).toMatchObject({ required: true, type: { text: 'Money' }, depth: 0 });
    expect(byPath('total.amount')[0]).toMatchObject({ parent: 'total.', name: 'amount', required: true, constraints: ['>= 0'], depth: 1 });
    expect(byPath('total.currency')[0]?.constraints).toEqual(['one of "EUR", "USD"']);
    expect(byPath('lines')[0]).toMatchObject({ type: { text: 'array<object>' }, constraints: ['minItems 1'] });
    expect(byPath('lines[].sku')[0]).toMatchObject({ description: 'Stock unit', depth: 2 });
    expect(byPath('attrs')[0]?.type.text).toBe('map<string, string>');
  });

  it('expands a recursive shared schema once and links it after', () => {
    expect(byPath('category.children')[0]?.type.text).toBe('array<Category>');
    expect(byPath('category.children[]')[0]?.type.schema?.originalName).toBe('Category');
    expect(rows.some((r) => r.path.startsWith('category.children[].name'))).toBe(false);
  });

  it('labels union members by their discriminator value and lists their fields', () => {
    const variants = byPath('method').filter((r) => r.variant !== undefined);
    expect(variants.map((r) => r.variant)).toEqual(['when type = "card"', 'when type = "iban"']);
    expect(rows.map((r) => r.path)).toEqual(expect.arrayContaining(['method.last4', 'method.iban']));
  });
});
