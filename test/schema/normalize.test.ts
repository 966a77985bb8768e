import { describe, expect, it } from 'vitest';
import { findRecursive, normalizeSchema, topoOrder } from '../../generator/model/schema.js';
import type { Schema } from '../../generator/model/types.js';
import { documentContext } from './harness.js';

/** Normalise `raw` as the root of a document whose `definitions` are named schemas; strip locations. */
function norm(raw: unknown, definitions: Record<string, unknown> = {}) {
  const { ctx, diagnostics, schemas } = documentContext({ definitions });
  const schema = normalizeSchema(raw, { file: 'doc.json', pointer: '/root' }, ctx);
  return { schema: strip(schema), diagnostics, schemas };
}

function strip<T>(v: T): T {
  return JSON.parse(JSON.stringify(v, (k, x: unknown) => (k === 'loc' ? undefined : x))) as T;
}

const rules = (d: Array<{ rule: string; severity: string; location?: { pointer: string } }>) =>
  d.map((x) => `${x.severity} ${x.rule} ${x.location?.pointer ?? ''}`);

describe('normalizeSchema: basic kinds', () => {
  it('true/{} -> unknown, false -> never, not {} -> never', () => {
    expect(norm(true).schema).toEqual({ kind: 'unknown' });
    expect(norm({}).schema).toEqual({ kind: 'unknown' });
    expect(norm(false).schema).toEqual({ kind: 'never' });
    expect(norm({ not: {} }).schema).toEqual({ kind: 'never' });
  });
  it('strings with constraints and formats', () => {
    expect(norm({ type: 'string', minLength: 1, maxLength: 3, pattern: '^a', format: 'email' }).schema).toEqual({
      kind: 'string', minLength: 1, maxLength: 3, pattern: '^a', format: 'email',
    });
  });
  it('unknown format is kept with a located warning', () => {
    const r = norm({ type: 'string', format: 'phone' });
    expect(r.schema).toEqual({ kind: 'string', unknownFormat: 'phone' });
    expect(rules(r.diagnostics)).toEqual(['warning schema-unknown-format /root/format']);
  });
  it('numbers, integers, draft-04 boolean exclusive bounds', () => {
    expect(norm({ type: 'integer', minimum: 0, exclusiveMaximum: 10, multipleOf: 2 }).schema).toEqual({ kind: 'integer', minimum: 0, exclusiveMaximum: 10, multipleOf: 2 });
    expect(norm({ type: 'number', minimum: 1, exclusiveMinimum: true }).schema).toEqual({ kind: 'number', exclusiveMinimum: 1 });
  });
  it('enum, const, null folding', () => {
    expect(norm({ enum: ['a', 'b', null] }).schema).toEqual({ kind: 'enum', values: ['a', 'b'], nullable: true });
    expect(norm({ type: 'string', enum: ['a', 1] }).schema).toEqual({ kind: 'enum', values: ['a'] });
    expect(norm({ const: { a: 1 } }).schema).toEqual({ kind: 'const', value: { a: 1 } });
    expect(norm({ const: null }).schema).toEqual({ kind: 'null' });
    expect(norm({ enum: [{ a: 1 }, 'x'] }).schema).toEqual({ kind: 'union', mode: 'anyOf', members: [{ kind: 'const', value: 'x' }, { kind: 'const', value: { a: 1 } }] });
  });
  it('enum with other constraints keeps both', () => {
    expect(norm({ type: 'string', enum: ['a'], maxLength: 3 }).schema).toEqual({
      kind: 'allOf', members: [{ kind: 'string', maxLength: 3 }, { kind: 'enum', values: ['a'] }],
    });
  });
  it('meta: title, description, default, examples (and OpenAPI example), deprecated', () => {
    expect(norm({ type: 'string', title: 'T', description: 'D', default: 'x', examples: ['a'], deprecated: true }).schema).toEqual({
      kind: 'string', title: 'T', description: 'D', default: 'x', examples: ['a'], deprecated: true,
    });
    expect(norm({ type: 'string', example: 'e' }).schema).toEqual({ kind: 'string', examples: ['e'] });
  });
  it('annotation keywords are ignored silently', () => {
    const r = norm({ $schema: 'x', $id: 'y', $comment: 'c', 'x-foo': 1, readOnly: true, writeOnly: false, externalDocs: {}, xml: {}, contentMediaType: 'text/plain', type: 'string' });
    expect(r.schema).toEqual({ kind: 'string' });
    expect(r.diagnostics).toEqual([]);
  });
  it('locations point at the node', () => {
    const { ctx } = documentContext({});
    const s = normalizeSchema({ type: 'object', properties: { 'a/b': { type: 'string' } } }, { file: 'f.yaml', pointer: '/components/schemas/X' }, ctx);
    expect(s.kind === 'object' && s.properties[0]?.schema.loc).toEqual({ file: 'f.yaml', line: 1, column: 1, pointer: '/components/schemas/X/properties/a~1b' });
  });
});

describe('normalizeSchema: type arrays and nullable', () => {
  it('[x, null] -> nullable x', () => {
    expect(norm({ type: ['string', 'null'] }).schema).toEqual({ kind: 'string', nullable: true });
    expect(norm({ type: 'integer', nullable: true }).schema).toEqual({ kind: 'integer', nullable: true });
    expect(norm({ type: 'null' }).schema).toEqual({ kind: 'null' });
  });
  it('several non-null types -> anyOf union, each with its own keywords', () => {
    expect(norm({ type: ['string', 'integer', 'null'], minLength: 2, minimum: 3 }).schema).toEqual({
      kind: 'union', mode: 'anyOf', nullable: true,
      members: [{ kind: 'string', minLength: 2 }, { kind: 'integer', minimum: 3 }],
    });
  });
  it('number absorbs integer', () => {
    expect(norm({ type: ['integer', 'number'] }).schema).toEqual({ kind: 'number' });
  });
  it('oneOf with a null member', () => {
    expect(norm({ oneOf: [{ type: 'string' }, { type: 'null' }] }).schema).toEqual({ kind: 'string', nullable: true });
  });
});

describe('normalizeSchema: arrays, tuples, objects, records', () => {
  it('arrays', () => {
    expect(norm({ type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2, uniqueItems: true }).schema).toEqual({
      kind: 'array', items: { kind: 'string' }, minItems: 1, maxItems: 2, uniqueItems: true,
    });
    expect(norm({ type: 'array' }).schema).toEqual({ kind: 'array', items: { kind: 'unknown' } });
  });
  it('tuples from prefixItems and from items arrays', () => {
    expect(norm({ type: 'array', prefixItems: [{ type: 'string' }], items: false, minItems: 1 }).schema).toEqual({
      kind: 'tuple', items: [{ kind: 'string' }], rest: false, minItems: 1,
    });
    expect(norm({ type: 'array', items: [{ type: 'string' }], additionalItems: { type: 'number' } }).schema).toEqual({
      kind: 'tuple', items: [{ kind: 'string' }], rest: { kind: 'number' },
    });
  });
  it('objects: required, additionalProperties false/schema, min/max', () => {
    expect(norm({ type: 'object', properties: { a: { type: 'string' }, b: {} }, required: ['a', 'c'], additionalProperties: false, minProperties: 1 }).schema).toEqual({
      kind: 'object',
      properties: [
        { name: 'a', schema: { kind: 'string' }, required: true },
        { name: 'b', schema: { kind: 'unknown' }, required: false },
        { name: 'c', schema: { kind: 'unknown' }, required: true },
      ],
      additionalProperties: false,
      minProperties: 1,
    });
    expect(norm({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'number' } }).schema).toMatchObject({ additionalProperties: { kind: 'number' } });
  });
  it('record: no properties + schema additionalProperties', () => {
    expect(norm({ type: 'object', additionalProperties: { type: 'integer' } }).schema).toEqual({ kind: 'record', values: { kind: 'integer' } });
    expect(norm({ type: 'object', additionalProperties: true }).schema).toEqual({ kind: 'object', properties: [], additionalProperties: true });
  });
  it('infers the type from keywords when `type` is missing', () => {
    expect(norm({ properties: { a: { type: 'string' } } }).schema).toMatchObject({ kind: 'object' });
    expect(norm({ items: { type: 'string' } }).schema).toMatchObject({ kind: 'array' });
    expect(norm({ minLength: 1 }).schema).toMatchObject({ kind: 'string' });
  });
});

describe('normalizeSchema: refs and composition', () => {
  const defs = {
    A: { type: 'object', required: ['kind'], properties: { kind: { const: 'a' }, x: { type: 'string' } } },
    B: { type: 'object', required: ['kind'], properties: { kind: { enum: ['b'] }, y: { type: 'number' } } },
  };
  it('$ref -> ref; sibling meta kept; sibling constraints become allOf', () => {
    expect(norm({ $ref: '#/definitions/A', description: 'd' }).schema).toEqual({ kind: 'ref', target: 'A', description: 'd' }, );
    expect(norm({ $ref: '#/definitions/A', required: ['x'] }, defs).schema).toMatchObject({ kind: 'allOf', members: [{ kind: 'ref', target: 'A' }, { kind: 'object' }] });
  });
  it('allOf', () => {
    expect(norm({ allOf: [{ $ref: '#/definitions/A' }, { type: 'object', properties: { z: { type: 'boolean' } } }] }, defs).schema).toMatchObject({
      kind: 'allOf', members: [{ kind: 'ref', target: 'A' }, { kind: 'object' }],
    });
  });
  it('oneOf through refs detects the discriminator (const and single-value enum)', () => {
    expect(norm({ oneOf: [{ $ref: '#/definitions/A' }, { $ref: '#/definitions/B' }] }, defs).schema).toEqual({
      kind: 'union', mode: 'oneOf', discriminator: 'kind', members: [{ kind: 'ref', target: 'A' }, { kind: 'ref', target: 'B' }],
    });
  });
  it('no discriminator when values repeat or the property is optional', () => {
    const same = { type: 'object', required: ['k'], properties: { k: { const: 'x' } } };
    expect(norm({ anyOf: [same, same] }).schema).not.toHaveProperty('discriminator');
    const optional = { type: 'object', properties: { k: { const: 'y' } } };
    expect(norm({ oneOf: [same, optional] }).schema).not.toHaveProperty('discriminator');
  });
  it('the OpenAPI discriminator hint wins when it qualifies', () => {
    const m = (a: string, b: string) => ({ type: 'object', required: ['t', 'u'], properties: { t: { const: a }, u: { const: b } } });
    expect(norm({ oneOf: [m('1', 'x'), m('2', 'y')], discriminator: { propertyName: 'u' } }).schema).toMatchObject({ discriminator: 'u' });
    expect(norm({ oneOf: [m('1', 'x'), m('2', 'y')] }).schema).toMatchObject({ discriminator: 't' });
  });
  it('type: object next to oneOf is folded into the union', () => {
    expect(norm({ type: 'object', oneOf: [{ $ref: '#/definitions/A' }, { $ref: '#/definitions/B' }] }, defs).schema).toMatchObject({ kind: 'union' });
  });
});

describe('normalizeSchema: unsupported and invalid input', () => {
  it.each([
    ['not', { type: 'string', not: { const: 'x' } }],
    ['if', { if: {}, then: {}, else: {} }],
    ['patternProperties', { type: 'object', patternProperties: { '^x': {} } }],
    ['dependentRequired', { dependentRequired: { a: ['b'] } }],
    ['contains', { type: 'array', contains: {} }],
    ['propertyNames', { type: 'object', propertyNames: { maxLength: 3 } }],
    ['unevaluatedProperties', { type: 'object', unevaluatedProperties: false }],
    ['$dynamicRef', { $dynamicRef: '#meta' }],
  ])('%s -> located warning naming the keyword and the loss', (keyword, raw) => {
    const r = norm(raw);
    const w = r.diagnostics.find((d) => d.location?.pointer === `/root/${keyword}`);
    expect(w).toMatchObject({ severity: 'warning', rule: 'schema-unsupported-keyword' });
    expect(w?.message).toContain(`\`${keyword}\``);
    expect(w?.message).toMatch(/not|ignored/);
  });
  it('unknown keywords (typos) warn too', () => {
    expect(rules(norm({ type: 'object', requried: ['a'] }).diagnostics)).toEqual(['warning schema-unsupported-keyword /root/requried']);
  });
  it('nested warnings carry the nested pointer', () => {
    const r = norm({ type: 'object', properties: { a: { type: 'array', items: { type: 'string', format: 'x', if: {} } } } });
    expect(rules(r.diagnostics).sort()).toEqual([
      'warning schema-unknown-format /root/properties/a/items/format',
      'warning schema-unsupported-keyword /root/properties/a/items/if',
    ]);
  });
  it.each([
    [{ type: 42 }, '/root/type', { kind: 'unknown' }],
    [{ type: 'strnig' }, '/root/type', { kind: 'unknown' }],
    [{ type: 'object', required: 'x' }, '/root/required', { kind: 'object', properties: [], additionalProperties: true }],
    [{ type: 'string', minLength: -1 }, '/root/minLength', { kind: 'string' }],
    [{ type: 'string', pattern: '(' }, '/root/pattern', { kind: 'string' }],
    [{ enum: [] }, '/root/enum', { kind: 'unknown' }],
    [{ allOf: {} }, '/root/allOf', { kind: 'unknown' }],
    [{ type: 'object', properties: [] }, '/root/properties', { kind: 'object', properties: [], additionalProperties: true }],
    [42, '/root', { kind: 'unknown' }],
    [null, '/root', { kind: 'unknown' }],
  ])('invalid %j -> schema-invalid error at %s and a safe fallback', (raw, pointer, fallback) => {
    const r = norm(raw);
    expect(rules(r.diagnostics)).toContain(`error schema-invalid ${pointer}`);
    expect(r.schema).toEqual(fallback);
  });
});

describe('graph helpers', () => {
  const ref = (target: string): Schema => ({ kind: 'ref', target });
  const obj = (...refs: string[]): Schema => ({ kind: 'object', properties: refs.map((r) => ({ name: r, schema: ref(r), required: false })), additionalProperties: true });
  const map = new Map<string, Schema>([
    ['Leaf', { kind: 'string' }],
    ['Self', obj('Self', 'Leaf')],
    ['A', obj('B')],
    ['B', { kind: 'array', items: ref('A') }],
    ['User', obj('A', 'Leaf')],
  ]);
  it('findRecursive: self loops and cycles', () => {
    expect([...findRecursive(map)].sort()).toEqual(['A', 'B', 'Self']);
  });
  it('topoOrder: dependencies first, deterministic', () => {
    const order = topoOrder(map);
    expect(order.indexOf('Leaf')).toBeLessThan(order.indexOf('Self'));
    expect(order.indexOf('A')).toBeLessThan(order.indexOf('User'));
    expect(order.indexOf('B')).toBeLessThan(order.indexOf('User'));
    expect(topoOrder(new Map([...map].reverse()))).toEqual(order);
  });
});
