/**
 * Schema IR -> JSON Schema 2020-12 (the dialect of OpenAPI 3.1), accepting and rejecting exactly what the generated
 * Zod schema does (`generator/emit/zod/`): same kinds, constraints, formats, nullability, closed objects, exclusive
 * unions, tuples and records. Refs to shared schemas become `$ref`s (the caller decides the URI, e.g.
 * `#/components/schemas/Address`), so recursion stays finite.
 *
 * Where Zod and a 2020-12 validator still differ, the difference is Zod's own and pinned elsewhere:
 * string formats (`test/schema/formats.test.ts`), `minLength`/`maxLength` (Zod counts UTF-16 code units, JSON Schema
 * code points), `multipleOf` on floats (rounding). Zod's `.int()` only accepts safe integers, so every `integer`
 * gets `minimum`/`maximum` within ±(2^53 - 1).
 *
 * Output is deterministic: keywords in one fixed order, properties in catalog order. Catalog strings only ever
 * become values, except property names (`properties` keys) and discriminator values (`mapping` keys), which are
 * defined as own properties (a key `__proto__` stays a key). JSON values (defaults, examples, consts) are copied.
 */
import { literalValue, resolveObject } from '../../model/schema-discriminator.js';
import type { JsonValue, Schema, SchemaMeta } from '../../model/types.js';

/** A JSON Schema object (plain data, JSON-serialisable, no `undefined` values). */
export type JsonSchema = { [keyword: string]: unknown };

export interface JsonSchemaContext {
  /** The `$ref` URI of a shared schema (`NamedSchema.id`), e.g. `#/components/schemas/Address`. */
  ref(id: string): string;
  /** The schema of a shared schema, to find discriminator values behind refs (optional). */
  lookup?(id: string): Schema | undefined;
}

/** `Number.MAX_SAFE_INTEGER`: Zod's `.int()` bound. */
export const SAFE_INTEGER = Number.MAX_SAFE_INTEGER;

/** An object with the given entries as own properties, in order; `undefined` values are left out. */
export function record(entries: ReadonlyArray<readonly [string, unknown]>): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of entries) {
    if (value === undefined) continue;
    // Assignment would call Object.prototype's `__proto__` setter; every other key is a plain own property.
    if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  }
  return out;
}

/** A deep copy of a JSON value whose object keys are own properties (safe for any key, `__proto__` included). */
export function cloneJson(value: JsonValue): JsonValue {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(cloneJson);
  return record(Object.keys(value).map((k) => [k, cloneJson((value as Record<string, JsonValue>)[k] as JsonValue)])) as JsonValue;
}

/** The JSON Schema of `schema`. */
export function toJsonSchema(schema: Schema, ctx: JsonSchemaContext): JsonSchema {
  return convert(schema, ctx);
}

type Entries = Array<readonly [string, unknown]>;

/** JSON types whose `type` keyword can simply take `"null"` as a second member. */
const TYPED: Partial<Record<Schema['kind'], string>> = {
  string: 'string',
  number: 'number',
  integer: 'integer',
  boolean: 'boolean',
  array: 'array',
  tuple: 'array',
  object: 'object',
  record: 'object',
};

function convert(s: Schema, ctx: JsonSchemaContext): JsonSchema {
  const nullable = s.nullable === true;
  const type = TYPED[s.kind];
  let core: Entries;
  if (type !== undefined) {
    core = [['type', nullable ? [type, 'null'] : type], ...typedKeywords(s, ctx)];
  } else {
    core = untypedKeywords(s, ctx);
    // Nullable composites (refs, allOf, unions) accept null besides what they accept: Zod's `.nullable()`.
    const wrap = nullable && (s.kind === 'ref' || s.kind === 'allOf' || s.kind === 'union');
    if (wrap) core = [['anyOf', [record(core), { type: 'null' }]]];
  }
  return record([...leadingMeta(s), ...core, ...trailingMeta(s)]);
}

function leadingMeta(s: SchemaMeta): Entries {
  return [
    ['title', s.title],
    ['description', s.description],
  ];
}

function trailingMeta(s: SchemaMeta): Entries {
  return [
    ['default', s.default === undefined ? undefined : cloneJson(s.default)],
    ['examples', s.examples === undefined || s.examples.length === 0 ? undefined : s.examples.map(cloneJson)],
    ['deprecated', s.deprecated === true ? true : undefined],
  ];
}

function typedKeywords(s: Schema, ctx: JsonSchemaContext): Entries {
  switch (s.kind) {
    case 'string':
      return [
        // Unknown formats are annotations in 2020-12 (the Zod schema does not check them either).
        ['format', s.format ?? s.unknownFormat],
        ['minLength', s.minLength],
        ['maxLength', s.maxLength],
        ['pattern', s.pattern],
      ];
    case 'number':
    case 'integer': {
      let { minimum, maximum } = s;
      if (s.kind === 'integer') {
        // `.int()` rejects unsafe integers; a declared bound beyond them is the same as the safe bound.
        if ((minimum === undefined || minimum < -SAFE_INTEGER) && (s.exclusiveMinimum === undefined || s.exclusiveMinimum < -SAFE_INTEGER)) minimum = -SAFE_INTEGER;
        if ((maximum === undefined || maximum > SAFE_INTEGER) && (s.exclusiveMaximum === undefined || s.exclusiveMaximum > SAFE_INTEGER)) maximum = SAFE_INTEGER;
      }
      return [
        ['minimum', minimum],
        ['exclusiveMinimum', s.exclusiveMinimum],
        ['maximum', maximum],
        ['exclusiveMaximum', s.exclusiveMaximum],
        ['multipleOf', s.multipleOf],
      ];
    }
    case 'boolean':
      return [];
    case 'array':
      return [
        ['items', convert(s.items, ctx)],
        ['minItems', s.minItems],
        ['maxItems', s.maxItems],
        ['uniqueItems', s.uniqueItems === true ? true : undefined],
      ];
    case 'tuple':
      return [
        ['prefixItems', s.items.length > 0 ? s.items.map((i) => convert(i, ctx)) : undefined],
        // No rest schema: nothing after the prefix (`z.tuple([...])` rejects longer arrays).
        ['items', s.rest === false ? false : convert(s.rest, ctx)],
        // Items past `minItems` are optional (`.optional()` in the Zod tuple); JSON Schema's default is 0.
        ['minItems', s.minItems !== undefined && s.minItems > 0 ? s.minItems : undefined],
      ];
    case 'object': {
      const required = s.properties.filter((p) => p.required).map((p) => p.name);
      return [
        ['properties', s.properties.length > 0 ? record(s.properties.map((p) => [p.name, convert(p.schema, ctx)])) : undefined],
        ['required', required.length > 0 ? required : undefined],
        // `true` (z.looseObject) is the JSON Schema default: left out.
        ['additionalProperties', s.additionalProperties === true ? undefined : s.additionalProperties === false ? false : convert(s.additionalProperties, ctx)],
        ['minProperties', s.minProperties],
        ['maxProperties', s.maxProperties],
      ];
    }
    case 'record':
      return [['additionalProperties', convert(s.values, ctx)]];
    default:
      return [];
  }
}

function untypedKeywords(s: Schema, ctx: JsonSchemaContext): Entries {
  switch (s.kind) {
    case 'null':
      return [['type', 'null']];
    case 'unknown':
      // z.unknown() also accepts null: `nullable` changes nothing.
      return [];
    case 'never':
      // z.never().nullable() accepts null and nothing else.
      return s.nullable === true ? [['type', 'null']] : [['not', {}]];
    case 'enum': {
      const values: JsonValue[] = s.values.map((v) => v);
      if (s.nullable === true && !values.includes(null)) values.push(null);
      return values.length === 0 ? [['not', {}]] : [['enum', values]];
    }
    case 'const':
      if (s.nullable === true && s.value !== null) return [['enum', [cloneJson(s.value), null]]];
      return [['const', cloneJson(s.value)]];
    case 'ref':
      return [['$ref', ctx.ref(s.target)]];
    case 'allOf':
      // An empty allOf is `z.unknown()`.
      return s.members.length === 0 ? [] : [['allOf', s.members.map((m) => convert(m, ctx))]];
    case 'union': {
      if (s.members.length === 0) return [['not', {}]];
      return [
        // Zod's unions: a discriminated union (members disjoint by construction), an exclusive union (oneOf that
        // may overlap), or z.union (anyOf, or oneOf over distinct JSON types, where oneOf and anyOf agree).
        [s.mode, s.members.map((m) => convert(m, ctx))],
        ['discriminator', discriminator(s.members, s.discriminator, ctx)],
      ];
    }
    default:
      return [];
  }
}

/**
 * The OpenAPI `discriminator` annotation (validators ignore it): only when every member is a `$ref` whose
 * discriminating property pins a string, so that `mapping` can name each member.
 */
function discriminator(members: readonly Schema[], property: string | undefined, ctx: JsonSchemaContext): JsonSchema | undefined {
  if (property === undefined || ctx.lookup === undefined) return undefined;
  const lookup = ctx.lookup.bind(ctx);
  const mapping: Array<[string, string]> = [];
  for (const m of members) {
    if (m.kind !== 'ref' || m.nullable === true) return undefined;
    const object = resolveObject(m, lookup);
    const prop = object?.properties.find((p) => p.name === property);
    const value = prop === undefined ? undefined : literalValue(prop.schema);
    if (typeof value !== 'string' || mapping.some(([v]) => v === value)) return undefined;
    mapping.push([value, ctx.ref(m.target)]);
  }
  return record([
    ['propertyName', property],
    ['mapping', record(mapping)],
  ]);
}
