/** Schema cycles: Java-style inheritance read as inheritance; cycles no value could satisfy refused, located. */
import { describe, expect, it } from 'vitest';
import { generateFromString } from '../../generator/index.js';

const doc = (schemas: string[]): string =>
  [
    'asyncapi: 3.0.0',
    'info: { title: T, version: "1" }',
    'channels:',
    '  c:',
    '    address: t.c',
    '    messages:',
    "      a: { name: a.changed, payload: { $ref: '#/components/schemas/Base' } }",
    'components:',
    '  schemas:',
    ...schemas.map((s) => `    ${s}`),
  ].join('\n');

describe('schema cycles', () => {
  it('reads a subtype that allOf-refs the base listing it in oneOf as inheritance', () => {
    const r = generateFromString(
      doc([
        "Base: { type: object, required: [kind], properties: { kind: { type: string } }, oneOf: [{ $ref: '#/components/schemas/Car' }, { $ref: '#/components/schemas/Bike' }] }",
        "Car: { allOf: [{ $ref: '#/components/schemas/Base' }, { type: object, required: [doors], properties: { doors: { type: integer } } }] }",
        "Bike: { allOf: [{ $ref: '#/components/schemas/Base' }, { type: object, required: [gears], properties: { gears: { type: integer } } }] }",
      ]),
    );
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const infos = r.diagnostics.filter((d) => d.rule === 'schema-inheritance');
    expect(infos.map((d) => d.message)).toEqual([
      'schema "Car" extends "Base", whose oneOf lists it: read as inheritance (it gets the properties of "Base", not its oneOf again)',
      'schema "Bike" extends "Base", whose oneOf lists it: read as inheritance (it gets the properties of "Base", not its oneOf again)',
    ]);
    expect(infos.every((d) => (d.location?.line ?? 0) > 0)).toBe(true);
    const car = r.catalog?.schemas.find((s) => s.originalName === 'Car');
    expect(car?.schema).toMatchObject({ kind: 'allOf', members: [{ kind: 'object', properties: [{ name: 'kind' }] }, { kind: 'object', properties: [{ name: 'doors' }] }] });
    expect(r.catalog?.schemas.every((s) => !s.recursive)).toBe(true);
  });

  it('keeps cycles through properties and array items (recursive data) as they are', () => {
    const r = generateFromString(doc(["Base: { type: object, properties: { children: { type: array, items: { $ref: '#/components/schemas/Base' } } } }"]));
    expect(r.diagnostics.filter((d) => d.severity === 'error' || d.rule === 'schema-inheritance')).toEqual([]);
    expect(r.catalog?.schemas.find((s) => s.originalName === 'Base')?.recursive).toBe(true);
  });

  it('refuses a schema that reaches itself only through allOf/oneOf/anyOf', () => {
    const r = generateFromString(doc(["Base: { anyOf: [{ type: string }, { allOf: [{ $ref: '#/components/schemas/Base' }] }] }"]));
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => d.rule)).toEqual(['schema-recursion-unguarded']);
    expect(errors[0]?.message).toContain('(Base → Base)');
    expect(errors[0]?.location?.line).toBe(10);
    expect(r.files).toEqual([]);
  });
});
