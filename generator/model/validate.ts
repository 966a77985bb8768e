/**
 * A small, fast validator over the Schema IR: used to check catalog examples at generation time
 * (`example-invalid` warnings) without compiling anything. It mirrors what the generated Zod schemas
 * accept for the common keywords; the generated schemas stay the authority at run time.
 */
import type { JsonValue, NamedSchema, Schema } from './types.js';

const FORMATS: Record<string, RegExp> = {
  'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  time: /^\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  uri: /^[a-z][a-z0-9+.-]*:\S*$/i,
  ipv4: /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/,
};

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const path = (p: string, k: string | number): string => (typeof k === 'number' ? `${p}[${k}]` : p ? `${p}.${k}` : k);

/** The first problem of `value` against `schema`, as `path: message`; undefined when valid. */
export function validateValue(schema: Schema, value: unknown, named: ReadonlyMap<string, NamedSchema>, at = '', depth = 0): string | undefined {
  if (depth > 64) return undefined;
  const where = at || '(root)';
  if (value === null && schema.nullable) return undefined;
  if (value === undefined) return `${where}: missing`;
  const next = (s: Schema, v: unknown, p: string): string | undefined => validateValue(s, v, named, p, depth + 1);
  switch (schema.kind) {
    case 'unknown':
      return undefined;
    case 'never':
      return `${where}: no value is allowed`;
    case 'null':
      return value === null ? undefined : `${where}: expected null, got ${typeOf(value)}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${where}: expected boolean, got ${typeOf(value)}`;
    case 'ref': {
      const target = named.get(schema.target);
      return target ? next(target.schema, value, at) : undefined;
    }
    case 'const':
      return JSON.stringify(value) === JSON.stringify(schema.value) ? undefined : `${where}: expected ${JSON.stringify(schema.value)}`;
    case 'enum':
      return schema.values.some((v) => v === value) ? undefined : `${where}: ${JSON.stringify(value)} is not one of ${schema.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'string': {
      if (typeof value !== 'string') return `${where}: expected string, got ${typeOf(value)}`;
      const len = [...value].length;
      if (schema.minLength !== undefined && len < schema.minLength) return `${where}: shorter than ${schema.minLength}`;
      if (schema.maxLength !== undefined && len > schema.maxLength) return `${where}: longer than ${schema.maxLength}`;
      if (schema.pattern !== undefined) {
        try {
          if (!new RegExp(schema.pattern, 'u').test(value)) return `${where}: does not match ${schema.pattern}`;
        } catch {
          return undefined;
        }
      }
      const re = schema.format ? FORMATS[schema.format] : undefined;
      return re && !re.test(value) ? `${where}: not a valid ${schema.format}` : undefined;
    }
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${where}: expected ${schema.kind}, got ${typeOf(value)}`;
      if (schema.kind === 'integer' && !Number.isInteger(value)) return `${where}: expected an integer`;
      if (schema.minimum !== undefined && value < schema.minimum) return `${where}: below ${schema.minimum}`;
      if (schema.maximum !== undefined && value > schema.maximum) return `${where}: above ${schema.maximum}`;
      if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) return `${where}: must be > ${schema.exclusiveMinimum}`;
      if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) return `${where}: must be < ${schema.exclusiveMaximum}`;
      return undefined;
    }
    case 'array': {
      if (!Array.isArray(value)) return `${where}: expected array, got ${typeOf(value)}`;
      if (schema.minItems !== undefined && value.length < schema.minItems) return `${where}: fewer than ${schema.minItems} items`;
      if (schema.maxItems !== undefined && value.length > schema.maxItems) return `${where}: more than ${schema.maxItems} items`;
      for (let i = 0; i < value.length; i++) {
        const p = next(schema.items, value[i], path(at, i));
        if (p) return p;
      }
      return undefined;
    }
    case 'tuple': {
      if (!Array.isArray(value)) return `${where}: expected array, got ${typeOf(value)}`;
      for (let i = 0; i < value.length; i++) {
        const item = schema.items[i] ?? (schema.rest === false ? undefined : schema.rest);
        if (!item) return `${where}: more than ${schema.items.length} items`;
        const p = next(item, value[i], path(at, i));
        if (p) return p;
      }
      return undefined;
    }
    case 'record': {
      if (typeOf(value) !== 'object') return `${where}: expected object, got ${typeOf(value)}`;
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const p = next(schema.values, v, path(at, k));
        if (p) return p;
      }
      return undefined;
    }
    case 'object': {
      if (typeOf(value) !== 'object') return `${where}: expected object, got ${typeOf(value)}`;
      const obj = value as Record<string, unknown>;
      for (const prop of schema.properties) {
        const has = Object.prototype.hasOwnProperty.call(obj, prop.name);
        if (!has) {
          if (prop.required && prop.schema.default === undefined) return `${path(at, prop.name)}: required`;
          continue;
        }
        const p = next(prop.schema, obj[prop.name], path(at, prop.name));
        if (p) return p;
      }
      const known = new Set(schema.properties.map((p) => p.name));
      for (const [k, v] of Object.entries(obj)) {
        if (known.has(k)) continue;
        if (schema.additionalProperties === false) return `${path(at, k)}: unexpected property`;
        if (typeof schema.additionalProperties === 'object') {
          const p = next(schema.additionalProperties, v, path(at, k));
          if (p) return p;
        }
      }
      return undefined;
    }
    case 'allOf': {
      for (const m of schema.members) {
        // Members are checked on their own; `additionalProperties: false` in one member is judged by
        // the properties of all members together, as the generated Zod schema does.
        const p = next(stripStrict(m, named), value, at);
        if (p) return p;
      }
      return undefined;
    }
    case 'union': {
      const problems = schema.members.map((m) => next(m, value, at));
      const ok = problems.filter((p) => p === undefined).length;
      if (schema.mode === 'oneOf' && ok > 1 && !schema.discriminator) return `${where}: matches ${ok} oneOf members, expected exactly one`;
      return ok > 0 ? undefined : `${where}: matches no member (${problems[0] ?? ''})`;
    }
  }
}

function stripStrict(schema: Schema, named: ReadonlyMap<string, NamedSchema>): Schema {
  const s = schema.kind === 'ref' ? named.get(schema.target)?.schema ?? schema : schema;
  return s.kind === 'object' && s.additionalProperties === false ? { ...s, additionalProperties: true } : s;
}

/** Problems of an example payload, for a located `example-invalid` warning. */
export function exampleProblem(schema: Schema, example: JsonValue, named: ReadonlyMap<string, NamedSchema>): string | undefined {
  return validateValue(schema, example, named);
}
