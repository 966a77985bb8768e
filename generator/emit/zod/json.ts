/** Deep-equality helpers emitted inline (generated files import nothing but `z`). */
import type { JsonValue } from '../../model/types.js';
import { propertyKey, tsString } from '../text.js';

/** A `JSON.stringify` replacer that sorts object keys, so equal JSON values stringify identically. */
export const CANONICAL_REPLACER =
  '(_key: string, item: unknown) => item !== null && typeof item === \'object\' && !Array.isArray(item) ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : item';

/** Canonical JSON text of a value (sorted keys), as the emitted replacer produces it. */
export function canonicalJson(value: JsonValue): string {
  return JSON.stringify(value, (_key: string, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

/** The TypeScript type of a JSON literal value, e.g. `{ a: 1; b: ['x'] }`. */
export function jsonType(value: JsonValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return tsString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(jsonType).join(', ')}]`;
  const entries = Object.entries(value);
  if (entries.length === 0) return 'Record<string, never>';
  return `{ ${entries.map(([k, v]) => `${propertyKey(k)}: ${jsonType(v)}`).join('; ')} }`;
}

/** `z.custom<T>` accepting exactly `value` (deep, key order ignored). */
export function deepConstExpression(value: JsonValue): string {
  return `z.custom<${jsonType(value)}>((value) => JSON.stringify(value, ${CANONICAL_REPLACER}) === ${tsString(canonicalJson(value))})`;
}

/** `.refine` rejecting arrays with deep-equal items (JSON Schema `uniqueItems`). */
export const UNIQUE_ITEMS_REFINE = `.refine((items) => new Set(items.map((item) => JSON.stringify(item, ${CANONICAL_REPLACER}))).size === items.length, { message: 'Items must be unique' })`;
