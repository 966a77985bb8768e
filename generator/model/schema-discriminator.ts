/**
 * Discriminator detection for `oneOf`/`anyOf`: a property that is required and has a distinct
 * `const` (or single-value `enum`) in every object member. Members may be refs to named schemas.
 */
import type { ObjectSchema, Schema } from './types.js';

type Lookup = ((id: string) => Schema | undefined) | undefined;

/** Follow refs (through `lookup`) to a non-nullable object schema, or undefined. */
export function resolveObject(schema: Schema, lookup: Lookup, depth = 0): ObjectSchema | undefined {
  if (depth > 16) return undefined;
  if (schema.kind === 'object') return schema.nullable ? undefined : schema;
  if (schema.kind === 'ref' && !schema.nullable && lookup !== undefined) {
    const target = lookup(schema.target);
    return target === undefined ? undefined : resolveObject(target, lookup, depth + 1);
  }
  return undefined;
}

/** The literal value a property schema pins, if it is a `const` or single-value `enum` primitive. */
export function literalValue(schema: Schema): string | number | boolean | undefined {
  if (schema.nullable) return undefined;
  if (schema.kind === 'const' && schema.value !== null && typeof schema.value !== 'object') return schema.value;
  if (schema.kind === 'enum' && schema.values.length === 1) {
    const v = schema.values[0];
    return v === null ? undefined : v;
  }
  return undefined;
}

/** The discriminating property of `members`, preferring `hint` (OpenAPI `discriminator.propertyName`). */
export function detectDiscriminator(members: Schema[], lookup: Lookup, hint?: string): string | undefined {
  if (members.length < 2) return undefined;
  const objects = members.map((m) => resolveObject(m, lookup));
  if (objects.some((o) => o === undefined)) return undefined;
  const resolved = objects as ObjectSchema[];
  const first = resolved[0] as ObjectSchema;
  const candidates = first.properties.map((p) => p.name);
  const ordered = hint !== undefined && candidates.includes(hint) ? [hint, ...candidates.filter((c) => c !== hint)] : candidates;
  for (const name of ordered) {
    const values: Array<string | number | boolean> = [];
    let ok = true;
    for (const o of resolved) {
      const prop = o.properties.find((p) => p.name === name);
      const v = prop?.required ? literalValue(prop.schema) : undefined;
      if (v === undefined || values.includes(v)) {
        ok = false;
        break;
      }
      values.push(v);
    }
    if (ok) return name;
  }
  return undefined;
}
