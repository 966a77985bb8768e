/**
 * The gateway's JSON Schema (generator/emit/gateway/json-schema.ts) against the schema oracle fixtures
 * (test/fixtures/schemas): ajv 2020-12 on the converted IR accepts every `valid` sample and rejects every `invalid`
 * one, exactly as the emitted Zod schema does (test/schema/oracle.test.ts pins the Zod side on the same samples).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { cloneJson, record, SAFE_INTEGER, toJsonSchema, type JsonSchema, type JsonSchemaContext } from '../../generator/emit/gateway/json-schema.js';
import type { NamedSchema, Schema } from '../../generator/model/types.js';
import { buildFixture, loadFixtures } from '../schema/harness.js';

const require = createRequire(import.meta.url);
const Ajv2020 = require('ajv/dist/2020').default as new (o: object) => { compile(schema: object): (data: unknown) => boolean };
const addFormats = require('ajv-formats').default as (a: unknown) => void;

const defName = (id: string): string => (id === '#' ? '__root' : id);

/** A self-contained 2020-12 document: shared schemas under `$defs`, the root schema referenced. */
function bundle(named: Map<string, NamedSchema>): JsonSchema {
  const ctx: JsonSchemaContext = {
    ref: (id) => `#/$defs/${encodeURIComponent(defName(id).replace(/~/g, '~0').replace(/\//g, '~1'))}`,
    lookup: (id) => named.get(id)?.schema,
  };
  const defs = record([...named].map(([id, n]) => [defName(id), toJsonSchema(n.schema, ctx)]));
  return { $defs: defs, $ref: ctx.ref('#') };
}

function compile(schema: object): (data: unknown) => boolean {
  const ajv = new Ajv2020({ strict: false, logger: false });
  addFormats(ajv);
  return ajv.compile(schema);
}

describe('JSON Schema of the IR agrees with the emitted Zod on every oracle fixture', () => {
  const fixtures = loadFixtures();
  it('has the fixtures', () => expect(fixtures.length).toBeGreaterThanOrEqual(15));
  for (const { name, fixture } of fixtures) {
    it(`${name}: ${fixture.description}`, () => {
      const { named } = buildFixture(fixture);
      const doc = bundle(named);
      const validate = compile(doc);
      for (const sample of fixture.valid) expect(validate(sample), `should accept ${JSON.stringify(sample)}\n${JSON.stringify(doc, null, 1)}`).toBe(true);
      for (const sample of fixture.invalid) expect(validate(sample), `should reject ${JSON.stringify(sample)}\n${JSON.stringify(doc, null, 1)}`).toBe(false);
    });
  }
});

describe('toJsonSchema', () => {
  const ctx: JsonSchemaContext = { ref: (id) => `#/components/schemas/${id}` };
  const js = (s: Schema): JsonSchema => toJsonSchema(s, ctx);

  it('maps each kind', () => {
    expect(js({ kind: 'unknown', nullable: true })).toEqual({});
    expect(js({ kind: 'never' })).toEqual({ not: {} });
    expect(js({ kind: 'never', nullable: true })).toEqual({ type: 'null' });
    expect(js({ kind: 'null' })).toEqual({ type: 'null' });
    expect(js({ kind: 'string', nullable: true, format: 'uuid', maxLength: 3 })).toEqual({ type: ['string', 'null'], format: 'uuid', maxLength: 3 });
    expect(js({ kind: 'string', unknownFormat: 'decimal' })).toEqual({ type: 'string', format: 'decimal' });
    expect(js({ kind: 'enum', values: ['a', 'b'], nullable: true })).toEqual({ enum: ['a', 'b', null] });
    expect(js({ kind: 'enum', values: [] })).toEqual({ not: {} });
    expect(js({ kind: 'const', value: { a: 1 }, nullable: true })).toEqual({ enum: [{ a: 1 }, null] });
    expect(js({ kind: 'ref', target: 'Address', nullable: true, description: 'd' })).toEqual({ description: 'd', anyOf: [{ $ref: '#/components/schemas/Address' }, { type: 'null' }] });
    expect(js({ kind: 'record', values: { kind: 'number' } })).toEqual({ type: 'object', additionalProperties: { type: 'number' } });
    expect(js({ kind: 'tuple', items: [{ kind: 'string' }, { kind: 'boolean' }], rest: false, minItems: 1 })).toEqual({
      type: 'array',
      prefixItems: [{ type: 'string' }, { type: 'boolean' }],
      items: false,
      minItems: 1,
    });
    expect(js({ kind: 'allOf', members: [] })).toEqual({});
  });

  it('bounds integers to the safe range, as z.number().int() does', () => {
    expect(js({ kind: 'integer' })).toEqual({ type: 'integer', minimum: -SAFE_INTEGER, maximum: SAFE_INTEGER });
    expect(js({ kind: 'integer', minimum: 0, exclusiveMaximum: 10 })).toEqual({ type: 'integer', minimum: 0, exclusiveMaximum: 10 });
    expect(js({ kind: 'integer', minimum: -1e300 })).toEqual({ type: 'integer', minimum: -SAFE_INTEGER, maximum: SAFE_INTEGER });
    expect(js({ kind: 'number' })).toEqual({ type: 'number' });
  });

  it('keeps metadata, never emits undefined, orders keywords', () => {
    const out = js({ kind: 'string', title: 't', description: 'd', default: 'x', examples: ['y'], deprecated: true, minLength: 1 });
    expect(Object.keys(out)).toEqual(['title', 'description', 'type', 'minLength', 'default', 'examples', 'deprecated']);
    expect(JSON.stringify(js({ kind: 'object', properties: [{ name: 'a', schema: { kind: 'string' }, required: false }], additionalProperties: true }))).toBe(
      '{"type":"object","properties":{"a":{"type":"string"}}}',
    );
  });

  it('keeps hostile property names and values as data', () => {
    const out = js({
      kind: 'object',
      properties: [
        { name: '__proto__', schema: { kind: 'string' }, required: true },
        { name: '$ref', schema: { kind: 'const', value: JSON.parse('{"__proto__": {"polluted": true}}') as never }, required: false },
      ],
      additionalProperties: false,
    });
    expect(Object.getPrototypeOf(out['properties'])).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(JSON.parse(JSON.stringify(out))).toEqual(
      JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string"},"$ref":{"const":{"__proto__":{"polluted":true}}}},"required":["__proto__"],"additionalProperties":false}'),
    );
    // (Not run through ajv: its generated code reads `data.__proto__`; the gateway refuses such keys anyway.)
  });

  it('adds an OpenAPI discriminator mapping when every member is a ref pinning a string', () => {
    const members: Record<string, Schema> = {
      Card: { kind: 'object', properties: [{ name: 'kind', schema: { kind: 'const', value: 'card' }, required: true }], additionalProperties: true },
      Bank: { kind: 'object', properties: [{ name: 'kind', schema: { kind: 'enum', values: ['bank'] }, required: true }], additionalProperties: true },
    };
    const withLookup: JsonSchemaContext = { ...ctx, lookup: (id) => members[id] };
    const union: Schema = { kind: 'union', mode: 'oneOf', discriminator: 'kind', members: [{ kind: 'ref', target: 'Card' }, { kind: 'ref', target: 'Bank' }] };
    expect(toJsonSchema(union, withLookup)).toEqual({
      oneOf: [{ $ref: '#/components/schemas/Card' }, { $ref: '#/components/schemas/Bank' }],
      discriminator: { propertyName: 'kind', mapping: { card: '#/components/schemas/Card', bank: '#/components/schemas/Bank' } },
    });
    expect(toJsonSchema({ ...union, members: [...union.members, { kind: 'object', properties: [], additionalProperties: true }] } as Schema, withLookup)).not.toHaveProperty('discriminator');
  });

  it('copies JSON values', () => {
    const value = { a: [1, { b: 2 }] };
    const copy = cloneJson(value);
    expect(copy).toEqual(value);
    expect(copy).not.toBe(value);
  });
});
