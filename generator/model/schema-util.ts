/** Small pure helpers for the schema normaliser. */
import type { JsonValue, Schema, SchemaMeta } from './types.js';
import { ARRAY_KEYWORDS, HANDLED_KEYWORDS, NUMBER_KEYWORDS, OBJECT_KEYWORDS, STRING_KEYWORDS, type JsonType } from './schema-keywords.js';

type Raw = Record<string, unknown>;

export const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

export function applyMeta(schema: Schema, meta: SchemaMeta): Schema {
  const out: Schema = { ...schema };
  for (const key of ['title', 'description', 'default', 'examples', 'deprecated', 'classification', 'loc'] as const) {
    if (meta[key] !== undefined) (out as SchemaMeta)[key] = meta[key] as never;
  }
  if (meta.nullable && out.kind !== 'null' && out.kind !== 'unknown') out.nullable = true;
  return out;
}

export function hasMeta(s: Schema): boolean {
  return s.title !== undefined || s.description !== undefined || s.default !== undefined;
}

export function isBareObject(s: Schema): boolean {
  return (
    s.kind === 'object' &&
    s.properties.length === 0 &&
    s.additionalProperties === true &&
    s.minProperties === undefined &&
    s.maxProperties === undefined &&
    !s.nullable
  );
}

export function isEmptySchema(v: unknown): boolean {
  return v === true || (isRecord(v) && Object.keys(v).every((k) => !HANDLED_KEYWORDS.has(k) || ['title', 'description'].includes(k)));
}

export function inferTypes(raw: Raw): JsonType[] {
  const has = (keys: string[]): boolean => keys.some((k) => k in raw);
  if (has(OBJECT_KEYWORDS)) return ['object'];
  if (has(ARRAY_KEYWORDS)) return ['array'];
  if (has(STRING_KEYWORDS)) return ['string'];
  if (has(NUMBER_KEYWORDS)) return ['number'];
  return [];
}

export function hasConstraints(raw: Raw, type: JsonType): boolean {
  const keys = type === 'object' ? OBJECT_KEYWORDS : type === 'array' ? ARRAY_KEYWORDS : type === 'string' ? STRING_KEYWORDS : type === 'number' || type === 'integer' ? NUMBER_KEYWORDS : [];
  return keys.some((k) => k in raw);
}

export function matchesType(v: unknown, t: JsonType): boolean {
  switch (t) {
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    case 'array':
      return Array.isArray(v);
    case 'object':
      return isRecord(v);
  }
}

export function isValidRegex(p: string): boolean {
  try {
    new RegExp(p, 'u');
    return true;
  } catch {
    return false;
  }
}

/** Coerce any raw value into a JSON value (undefined/functions become null). */
export function toJson(v: unknown): JsonValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (Array.isArray(v)) return v.map(toJson);
  if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  return null;
}

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}
