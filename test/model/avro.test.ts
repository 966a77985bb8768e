/** Avro payloads in the model (generator/model/avro.ts): each construct's mapping, named types, located refusals. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, generateFromString } from '../../generator/index.js';
import type { Catalog, NamedSchema, ObjectSchema, Schema } from '../../generator/model/types.js';
import { isAvroFormat } from '../../generator/model/avro.js';
import { ROOT } from '../support/tree.js';

const FIXTURE = path.join(ROOT, 'test/fixtures/avro/asyncapi.yaml');

/** One event whose payload is the given Avro schema (YAML, indented 10 spaces), 3.x multi-format schema object. */
function avro(schema: string, format = 'application/vnd.apache.avro+json;version=1.9.0') {
  const text = `asyncapi: 3.0.0
info: { title: Avro Test, version: 1.0.0 }
channels:
  things:
    address: things
    messages:
      thing:
        name: thing.happened
        payload:
          schemaFormat: ${format}
          schema:
${schema}
`;
  const result = generateFromString(text);
  return {
    text,
    catalog: result.catalog as Catalog,
    errors: result.diagnostics.filter((d) => d.severity === 'error'),
    warnings: result.diagnostics.filter((d) => d.severity === 'warning'),
  };
}

const named = (c: Catalog, id: string): NamedSchema | undefined => c.schemas.find((s) => s.id === id);
const prop = (s: Schema, name: string): Schema => {
  if (s.kind !== 'object') throw new Error(`not an object: ${s.kind}`);
  const p = s.properties.find((x) => x.name === name);
  if (!p) throw new Error(`no property ${name}`);
  return p.schema;
};
const strip = (s: Schema): unknown => JSON.parse(JSON.stringify(s, (k, v: unknown) => (k === 'loc' ? undefined : v)));

describe('Avro schema formats', () => {
  it('recognises the Avro media types AsyncAPI documents use', () => {
    for (const f of ['application/vnd.apache.avro;version=1.9.0', 'application/vnd.apache.avro+json;version=1.9.0', 'application/vnd.apache.avro+yaml;version=1.11.1', 'application/vnd.apache.avro', 'application/vnd.apache.avro+json']) {
      expect(isAvroFormat(f), f).toBe(true);
    }
    expect(isAvroFormat('application/vnd.aai.asyncapi;version=3.0.0')).toBe(false);
    expect(isAvroFormat('application/x-protobuf')).toBe(false);
  });
});

describe('Avro constructs → the schema model', () => {
  it('maps primitives, logical types, records, enums, fixed, arrays, maps, unions and defaults', async () => {
    const r = await generate(path.relative(ROOT, FIXTURE), { cwd: ROOT });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const c = r.catalog as Catalog;
    const placed = c.events.find((e) => e.type === 'order.placed');
    const p = placed?.payload as ObjectSchema;
    expect(p.kind).toBe('object');
    expect(p.description).toBe('An order was placed');
    expect(p.avro).toEqual({ type: 'record', name: 'com.shop.orders.OrderPlaced', aliases: ['com.shop.orders.OrderCreated'] });
    expect(p.additionalProperties).toBe(true);

    expect(strip(prop(p, 'orderId'))).toMatchObject({ kind: 'string', format: 'uuid', description: 'The order id', avro: { type: 'string', logicalType: 'uuid' } });
    expect(strip(prop(p, 'quantity'))).toMatchObject({ kind: 'integer', minimum: -2147483648, maximum: 2147483647, avro: { type: 'int' } });
    const placedAt = prop(p, 'placedAt');
    expect(placedAt).toMatchObject({ kind: 'integer', avro: { type: 'long', logicalType: 'timestamp-millis' } });
    expect(placedAt.description).toMatch(/milliseconds since 1970/);
    expect('minimum' in placedAt).toBe(false); // long: Zod's int() keeps to the safe integers
    expect(prop(p, 'placedAtMicros')).toMatchObject({ kind: 'integer', avro: { logicalType: 'timestamp-micros' } });
    expect(prop(p, 'localAt')).toMatchObject({ kind: 'integer', avro: { logicalType: 'local-timestamp-millis' } });
    expect(prop(p, 'deliveryDate')).toMatchObject({ kind: 'integer', avro: { type: 'int', logicalType: 'date' } });
    expect(prop(p, 'cutoff')).toMatchObject({ kind: 'integer', minimum: 0, maximum: 86_399_999, avro: { logicalType: 'time-millis' } });
    expect(prop(p, 'ratio')).toMatchObject({ kind: 'number', avro: { type: 'float' } });
    expect(prop(p, 'total')).toMatchObject({ kind: 'number', avro: { type: 'double' } });
    expect(prop(p, 'paid')).toMatchObject({ kind: 'boolean' });
    expect(prop(p, 'signature')).toMatchObject({ kind: 'string', avro: { type: 'bytes' } });
    expect(prop(p, 'amount')).toMatchObject({ kind: 'string', avro: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } });

    // Named types are shared schemas `avro:<fullname>`, referenced.
    expect(prop(p, 'checksum')).toMatchObject({ kind: 'ref', target: 'avro:com.shop.orders.Md5' });
    expect(named(c, 'avro:com.shop.orders.Md5')?.schema).toMatchObject({ kind: 'string', minLength: 16, maxLength: 16, avro: { type: 'fixed', size: 16 } });
    expect(prop(p, 'status')).toMatchObject({ kind: 'ref', target: 'avro:com.shop.orders.Status', default: 'OPEN' });
    expect(named(c, 'avro:com.shop.orders.Status')?.schema).toMatchObject({ kind: 'enum', values: ['OPEN', 'PAID', 'SHIPPED'], avro: { type: 'enum', enumDefault: 'OPEN' } });
    expect(prop(p, 'lines')).toMatchObject({ kind: 'array', items: { kind: 'ref', target: 'avro:com.shop.orders.LineItem' } });
    const line = named(c, 'avro:com.shop.orders.LineItem')?.schema as ObjectSchema;
    expect(line.properties.map((x) => [x.name, x.required, x.schema.default])).toEqual([
      ['sku', true, undefined],
      ['count', false, 1],
    ]);
    expect(prop(p, 'attributes')).toMatchObject({ kind: 'record', values: { kind: 'integer', avro: { type: 'long' } } });

    // Unions: ["null", T] is T nullable; a field with a default is optional and carries the default.
    expect(prop(p, 'note')).toMatchObject({ kind: 'string', nullable: true, default: null });
    expect(p.properties.find((x) => x.name === 'note')?.required).toBe(false);
    expect(prop(p, 'reference')).toMatchObject({ kind: 'union', mode: 'anyOf', members: [{ kind: 'string' }, { kind: 'integer' }] });
    expect(p.properties.find((x) => x.name === 'reference')?.required).toBe(true);
    expect(prop(p, 'legacyCode')).toMatchObject({ kind: 'union', nullable: true, members: [{ kind: 'string' }, { kind: 'integer' }] });

    // Names across files and namespaces: the field refers to the type defined in address.avsc.
    expect(prop(p, 'shipTo')).toMatchObject({ kind: 'ref', target: 'avro:com.shop.common.Address' });
    expect(prop(p, 'billTo')).toMatchObject({ kind: 'ref', target: 'avro:com.shop.common.Address', nullable: true, default: null });
    expect(prop(p, 'previous')).toMatchObject({ kind: 'ref', target: 'avro:com.shop.orders.LineItem', nullable: true });
    expect(named(c, 'avro:com.shop.common.Address')?.typeName).toBe('Address');
    expect(p.properties.find((x) => x.name === 'channel')).toMatchObject({ required: false, avroAliases: ['source'], schema: { default: 'web' } });

    const moved = c.events.find((e) => e.type === 'customer.moved');
    expect(moved?.payload).toMatchObject({ kind: 'ref', target: 'avro:com.shop.common.Address' });
  });

  it('reads 2.x message schemaFormat with an inline record, and `{type: "string"}` object forms', () => {
    const result = generateFromString(`asyncapi: 2.6.0
info: { title: T, version: 1.0.0 }
channels:
  users:
    subscribe:
      message:
        name: user.updated
        schemaFormat: application/vnd.apache.avro;version=1.9.0
        payload:
          type: record
          name: User
          fields:
            - { name: name, type: { type: string } }
            - { name: age, type: int }
`);
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const payload = result.catalog?.events[0]?.payload as ObjectSchema;
    expect(payload.kind).toBe('object');
    expect(payload.properties.map((x) => [x.name, x.schema.kind])).toEqual([
      ['name', 'string'],
      ['age', 'integer'],
    ]);
  });

  it('a recursive record is a recursive shared schema', () => {
    const { errors, catalog } = avro(`            type: record
            name: Node
            fields:
              - { name: value, type: long }
              - { name: next, type: ["null", Node], default: null }`);
    expect(errors).toEqual([]);
    expect(named(catalog, 'avro:Node')?.recursive).toBe(true);
  });

  it('unknown logical types are read as the underlying type with a warning (as Avro readers do)', () => {
    const { errors, warnings, catalog } = avro(`            type: record
            name: R
            fields:
              - { name: at, type: { type: string, logicalType: iso-datetime } }`);
    expect(errors).toEqual([]);
    expect(warnings.map((w) => w.rule)).toEqual(['avro-logical-type-ignored']);
    expect(prop(catalog.events[0]?.payload as Schema, 'at')).toMatchObject({ kind: 'string' });
  });
});

describe('Avro examples', () => {
  it('message examples are checked against the modelled Avro schema (example-invalid)', () => {
    const result = generateFromString(`asyncapi: 3.0.0
info: { title: T, version: 1.0.0 }
channels:
  users:
    address: users
    messages:
      u:
        name: user.updated
        payload:
          schemaFormat: application/vnd.apache.avro;version=1.9.0
          schema: { type: record, name: User, fields: [{ name: age, type: int }] }
        examples:
          - payload: { age: 41 }
          - payload: { age: old }
`);
    const warnings = result.diagnostics.filter((d) => d.severity === 'warning');
    expect(warnings.map((w) => w.rule)).toEqual(['example-invalid']);
    expect(warnings[0]?.message).toMatch(/age: expected integer/);
  });
});

describe('invalid Avro → located refusals in our words', () => {
  /** [what, schema, message, a text on the line the error points at] */
  const cases: Array<[string, string, RegExp, string]> = [
    ['an undefined type name', `            type: record\n            name: R\n            fields:\n              - { name: x, type: Missing }`, /Avro type "Missing" is not defined/, 'type: Missing'],
    ['a nameless record', `            type: record\n            fields:\n              - { name: x, type: int }`, /needs a "name"/, '          schema:'],
    ['an enum without symbols', `            type: record\n            name: R\n            fields:\n              - { name: e, type: { type: enum, name: E, symbols: [] } }`, /needs "symbols"/, 'symbols: []'],
    ['a duplicate field', `            type: record\n            name: R\n            fields:\n              - { name: x, type: int }\n              - { name: x, type: int }`, /field "x" appears twice/, '- { name: x, type: int }\n              - { name: x'],
    ['a union holding two strings', `            type: record\n            name: R\n            fields:\n              - { name: u, type: [string, string] }`, /two branches of type "string"/, 'name: u'],
    ['a default that does not fit (avsc)', `            type: record\n            name: R\n            fields:\n              - { name: n, type: int, default: "seven" }`, /not a valid Avro schema: .*default/i, '          schema:'],
    ['a decimal without precision', `            type: record\n            name: R\n            fields:\n              - { name: d, type: { type: bytes, logicalType: decimal } }`, /precision/, 'logicalType: decimal'],
  ];
  for (const [what, schema, message, needle] of cases) {
    it(what, () => {
      const { errors, text } = avro(schema);
      const at = text.indexOf(needle);
      const line = text.slice(0, at + (needle.includes('\n') ? needle.indexOf('\n') + 1 : 0)).split('\n').length;
      expect(errors.length, JSON.stringify(errors)).toBeGreaterThan(0);
      const e = errors[0];
      expect(e?.rule).toBe('invalid-avro-schema');
      expect(e?.message).toMatch(message);
      expect(e?.message).not.toMatch(/\n\s+at /);
      expect(e?.location?.line).toBe(line);
    });
  }

  it('a named type defined twice differently', () => {
    const { errors } = avro(`            type: record
            name: R
            fields:
              - { name: a, type: { type: enum, name: E, symbols: [A] } }
              - { name: b, type: { type: enum, name: E, symbols: [B] } }`);
    expect(errors.map((e) => e.rule)).toContain('invalid-avro-schema');
    expect(errors.map((e) => e.message).join('\n')).toMatch(/"E" is defined twice, differently/);
  });
});

describe('Avro through the loader (@asyncapi/parser validating)', () => {
  it("`./user.avsc#/User` names the type User of that file (Microcks); 2.x examples are not checked as JSON Schema", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'eventgen-avro-'));
    try {
      writeFileSync(path.join(dir, 'user.avsc'), JSON.stringify({ namespace: 'acme', type: 'record', name: 'User', fields: [{ name: 'fullName', type: 'string' }, { name: 'age', type: 'int' }] }));
      writeFileSync(
        path.join(dir, 'asyncapi.yaml'),
        `asyncapi: 2.6.0
info: { title: Users, version: 1.0.0 }
servers: { local: { url: 'localhost:9092', protocol: kafka } }
channels:
  users:
    subscribe:
      message:
        name: user.signed-up
        schemaFormat: application/vnd.apache.avro+json;version=1.9.0
        payload:
          $ref: './user.avsc#/User'
        examples:
          - payload: { fullName: Ada, age: 36 }
`,
      );
      const r = await generate('asyncapi.yaml', { cwd: dir });
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const payload = r.catalog?.events[0]?.payload as ObjectSchema;
      expect(payload.avro?.name).toBe('acme.User');
      expect(payload.properties.map((p) => p.name)).toEqual(['fullName', 'age']);

      // A nameless record is refused before the parser, in our words, where it is written.
      writeFileSync(path.join(dir, 'nameless.yaml'), `asyncapi: 2.6.0
info: { title: Users, version: 1.0.0 }
channels:
  users:
    subscribe:
      message:
        schemaFormat: application/vnd.apache.avro;version=1.9.0
        payload:
          type: record
          fields: [{ name: age, type: int }]
`);
      const bad = await generate('nameless.yaml', { cwd: dir });
      const errors = bad.diagnostics.filter((d) => d.severity === 'error');
      expect(errors.map((e) => [e.rule, e.location?.line])).toEqual([['invalid-avro-schema', 8]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the registry schema of a payload (avroWire)', () => {
  it('keeps logicalType, precision and scale of named types defined in other .avsc files', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'eventgen-avro-wire-'));
    try {
      writeFileSync(path.join(dir, 'money.avsc'), JSON.stringify({ namespace: 'acme', type: 'fixed', name: 'Money', size: 8, logicalType: 'decimal', precision: 12, scale: 2 }));
      writeFileSync(
        path.join(dir, 'stamp.avsc'),
        JSON.stringify({
          namespace: 'acme',
          type: 'record',
          name: 'Stamp',
          fields: [
            { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
            { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
            { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 3 } },
          ],
        }),
      );
      writeFileSync(
        path.join(dir, 'asyncapi.yaml'),
        `asyncapi: 3.0.0
info: { title: Wire, version: 1.0.0 }
channels:
  money:
    address: money
    messages:
      price:
        name: price.set
        payload:
          schemaFormat: application/vnd.apache.avro+json;version=1.9.0
          schema:
            type: record
            name: Price
            namespace: acme
            fields:
              - { name: value, type: acme.Money }
              - { name: stamp, type: acme.Stamp }
      money:
        name: money.defined
        payload:
          schemaFormat: application/vnd.apache.avro+json;version=1.9.0
          schema: { $ref: './money.avsc' }
      stamp:
        name: stamp.defined
        payload:
          schemaFormat: application/vnd.apache.avro+json;version=1.9.0
          schema: { $ref: './stamp.avsc' }
`,
      );
      const r = await generate('asyncapi.yaml', { cwd: dir });
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const wire = r.catalog?.events.find((e) => e.type === 'price.set')?.payload.avroWire;
      expect(wire).toBeDefined();
      const parsed = JSON.parse(wire as string) as { fields: Array<{ name: string; type: Record<string, unknown> }> };
      const value = parsed.fields.find((f) => f.name === 'value')?.type;
      expect(value).toMatchObject({ type: 'fixed', name: 'acme.Money', size: 8, logicalType: 'decimal', precision: 12, scale: 2 });
      const stamp = parsed.fields.find((f) => f.name === 'stamp')?.type as { fields: Array<{ name: string; type: unknown }> };
      expect(stamp.fields).toEqual([
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
        { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 3 } },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
