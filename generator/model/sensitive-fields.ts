/**
 * Field-level data classification: the JSON pointers of an event's payload fields marked `confidential` or
 * `restricted` with `x-data-classification` (on a property, an array's items, a map's values or a shared schema,
 * at any depth). The runtime redacts them in every log line and dead-letter header it writes.
 */
import type { DataClassification, NamedSchema, Schema } from './types.js';

const SENSITIVE: ReadonlySet<DataClassification | undefined> = new Set<DataClassification | undefined>(['confidential', 'restricted']);

/** RFC 6901 escaping of one pointer token (`~` → `~0`, `/` → `~1`). */
function token(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Sorted JSON pointers of the sensitive fields under `payload` (`*` = any array item or map value, `""` = the
 * whole payload); a pointer under another one is left out. A recursive shared schema that contains a sensitive
 * field is redacted whole where it recurses (an over-approximation: safe, never a missed field). Union members
 * all count (a path sensitive in any member is redacted).
 */
export function sensitiveFields(payload: Schema, named: ReadonlyMap<string, NamedSchema>): string[] {
  const found = new Set<string>();
  const memo = new Map<string, boolean>();
  const walk = (s: Schema, path: string, stack: ReadonlySet<string>): void => {
    if (SENSITIVE.has(s.classification)) {
      found.add(path);
      return;
    }
    switch (s.kind) {
      case 'object':
        for (const p of s.properties) walk(p.schema, `${path}/${token(p.name)}`, stack);
        if (typeof s.additionalProperties === 'object') walk(s.additionalProperties, `${path}/*`, stack);
        return;
      case 'record':
        return walk(s.values, `${path}/*`, stack);
      case 'array':
        return walk(s.items, `${path}/*`, stack);
      case 'tuple':
        s.items.forEach((item, i) => walk(item, `${path}/${i}`, stack));
        if (s.rest !== false) walk(s.rest, `${path}/*`, stack);
        return;
      case 'allOf':
      case 'union':
        for (const m of s.members) walk(m, path, stack);
        return;
      case 'ref': {
        const target = named.get(s.target);
        if (target === undefined) return;
        if (stack.has(s.target)) {
          if (containsSensitive(s.target, named, memo, new Set())) found.add(path);
          return;
        }
        return walk(target.schema, path, new Set([...stack, s.target]));
      }
      default:
        return;
    }
  };
  walk(payload, '', new Set());
  const sorted = [...found].sort();
  return sorted.filter((p) => !sorted.some((q) => q !== p && (q === '' || p.startsWith(`${q}/`))));
}

/** Whether a shared schema reaches a sensitive field (through refs too). */
function containsSensitive(id: string, named: ReadonlyMap<string, NamedSchema>, memo: Map<string, boolean>, visiting: Set<string>): boolean {
  const known = memo.get(id);
  if (known !== undefined) return known;
  if (visiting.has(id)) return false;
  visiting.add(id);
  const target = named.get(id);
  const inSchema = (s: Schema): boolean => {
    if (SENSITIVE.has(s.classification)) return true;
    switch (s.kind) {
      case 'object':
        return s.properties.some((p) => inSchema(p.schema)) || (typeof s.additionalProperties === 'object' && inSchema(s.additionalProperties));
      case 'record':
        return inSchema(s.values);
      case 'array':
        return inSchema(s.items);
      case 'tuple':
        return s.items.some(inSchema) || (s.rest !== false && inSchema(s.rest));
      case 'allOf':
      case 'union':
        return s.members.some(inSchema);
      case 'ref':
        return containsSensitive(s.target, named, memo, visiting);
      default:
        return false;
    }
  };
  const result = target !== undefined && inSchema(target.schema);
  memo.set(id, result);
  return result;
}
