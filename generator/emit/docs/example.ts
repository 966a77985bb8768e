/**
 * An example payload synthesised from a schema, for events whose catalog has no `examples`. Uses the
 * schema's own `examples`/`default` first, then values that satisfy formats, bounds, patterns (tried
 * against a few candidates) and item counts. Returns `undefined` when it cannot produce a value it is sure
 * of (e.g. an unusual `pattern`): the docs then say so instead of showing an invalid example.
 */
import type { JsonValue, NamedSchema, Schema, StringSchema } from '../../model/types.js';
import { sampleForPattern } from './pattern.js';

const NO = Symbol('no example');
type Out = JsonValue | typeof NO;

const FORMAT_VALUES: Record<string, string> = {
  'date-time': '2024-05-01T12:00:00Z',
  date: '2024-05-01',
  time: '12:00:00',
  duration: 'PT1H',
  uuid: '3f2b8c1e-4d5a-4b6c-9d7e-8f9a0b1c2d3e',
  email: 'someone@example.com',
  uri: 'https://example.com/resource',
  hostname: 'example.com',
  ipv4: '192.0.2.10',
  ipv6: '2001:db8::10',
  byte: 'ZXhhbXBsZQ==',
};

const PATTERN_CANDIDATES = ['example', 'EXAMPLE', 'Example', 'ABC-123', 'AB-1234', 'ABC123', 'abc-123', '123456', '42', 'A', 'a', '1', 'abc', 'EUR', 'en-GB', 'ab12', 'sku-0001', 'SKU-0001', 'a1b2c3', 'x'];

export function synthesizeExample(schema: Schema, schemas: ReadonlyMap<string, NamedSchema>): JsonValue | undefined {
  const out = synth(schema, schemas, new Set(), 0);
  return out === NO ? undefined : out;
}

function synth(s: Schema, schemas: ReadonlyMap<string, NamedSchema>, seen: ReadonlySet<string>, depth: number): Out {
  if (depth > 12) return NO;
  if (s.examples && s.examples.length > 0 && s.kind !== 'ref') return s.examples[0] as JsonValue;
  if (s.default !== undefined && s.kind !== 'ref') return s.default;
  const next = (x: Schema): Out => synth(x, schemas, seen, depth + 1);
  switch (s.kind) {
    case 'string':
      return synthString(s);
    case 'number':
    case 'integer':
      return synthNumber(s.kind === 'integer', s);
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'enum':
      return s.values.length > 0 ? (s.values[0] as JsonValue) : NO;
    case 'const':
      return s.value;
    case 'unknown':
      return {};
    case 'never':
      return NO;
    case 'ref': {
      const named = schemas.get(s.target);
      if (!named || seen.has(named.id)) return s.nullable === true ? null : NO;
      return synth(named.schema, schemas, new Set([...seen, named.id]), depth + 1);
    }
    case 'array': {
      const min = s.minItems ?? 0;
      const count = Math.min(Math.max(min, 1), s.maxItems ?? Infinity);
      if (count === 0) return [];
      const item = next(s.items);
      if (item === NO) return min === 0 ? [] : NO;
      if (count > 1 && s.uniqueItems === true) return NO;
      return Array.from({ length: count }, () => item);
    }
    case 'tuple': {
      const items: JsonValue[] = [];
      for (const it of s.items) {
        const v = next(it);
        if (v === NO) return items.length >= (s.minItems ?? 0) ? items : NO;
        items.push(v);
      }
      return items;
    }
    case 'record': {
      const v = next(s.values);
      return v === NO ? {} : { key: v };
    }
    case 'object': {
      const obj: { [k: string]: JsonValue } = {};
      for (const p of s.properties) {
        const v = next(p.schema);
        if (v === NO) {
          if (p.required) return NO;
          continue;
        }
        if (p.name === '__proto__') return NO;
        obj[p.name] = v;
      }
      if (typeof s.additionalProperties === 'object' && s.properties.length === 0) {
        // A map (`additionalProperties: <schema>`): one entry shows its shape.
        const v = next(s.additionalProperties);
        if (v !== NO) obj['key'] = v;
      }
      if (s.minProperties !== undefined && Object.keys(obj).length < s.minProperties) return NO;
      if (s.maxProperties !== undefined && Object.keys(obj).length > s.maxProperties) return NO;
      return obj;
    }
    case 'union': {
      for (const m of s.members) {
        const v = next(m);
        if (v !== NO) return v;
      }
      return NO;
    }
    case 'allOf': {
      const parts = s.members.map(next);
      if (parts.some((p) => p === NO)) return NO;
      if (parts.every((p) => typeof p === 'object' && p !== null && !Array.isArray(p))) {
        return Object.assign({}, ...(parts as object[])) as JsonValue;
      }
      return parts.length === 1 ? (parts[0] as JsonValue) : NO;
    }
  }
}

function synthString(s: StringSchema): Out {
  const min = s.minLength ?? 0;
  const max = s.maxLength ?? Infinity;
  const fits = (v: string): boolean => {
    const len = Array.from(v).length;
    if (len < min || len > max) return false;
    if (s.pattern === undefined) return true;
    try {
      return new RegExp(s.pattern, 'u').test(v);
    } catch {
      return false;
    }
  };
  if (s.format !== undefined) {
    const v = FORMAT_VALUES[s.format] as string;
    return fits(v) ? v : NO;
  }
  const fromPattern = s.pattern === undefined ? [] : [sampleForPattern(s.pattern), sampleForPattern(s.pattern, min)].filter((x): x is string => x !== undefined);
  const base = s.pattern === undefined ? ['example'] : [...PATTERN_CANDIDATES, ...fromPattern];
  for (const c of base) {
    if (fits(c)) return c;
    const padded = c.length < min ? c + 'x'.repeat(min - c.length) : c.slice(0, Number.isFinite(max) ? max : c.length);
    if (fits(padded)) return padded;
  }
  return NO;
}

function synthNumber(integer: boolean, s: { minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number; multipleOf?: number }): Out {
  const step = s.multipleOf ?? (integer ? 1 : 0.5);
  let v = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + step : undefined) ?? (s.maximum !== undefined && s.maximum < 1 ? s.maximum : s.exclusiveMaximum !== undefined && s.exclusiveMaximum <= 1 ? s.exclusiveMaximum - step : 1);
  if (s.multipleOf !== undefined) v = Math.ceil(v / s.multipleOf) * s.multipleOf;
  if (integer) v = Math.ceil(v);
  const ok =
    Number.isFinite(v) &&
    (s.minimum === undefined || v >= s.minimum) &&
    (s.maximum === undefined || v <= s.maximum) &&
    (s.exclusiveMinimum === undefined || v > s.exclusiveMinimum) &&
    (s.exclusiveMaximum === undefined || v < s.exclusiveMaximum) &&
    (!integer || Number.isInteger(v));
  return ok ? v : NO;
}
