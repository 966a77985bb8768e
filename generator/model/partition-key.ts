/**
 * Partition-key rules: `x-partition-key: { field: a.b }` or `{ constant: 'x' }`, else a Kafka message
 * binding `key` schema with a single const/enum value, else no key (round robin).
 */
import type { At, ModelContext } from './context.js';
import { isRecord } from './context.js';
import type { SchemaRegistry } from './payloads.js';
import type { EventType, KeyRule, Schema } from './types.js';

export function readPartitionKey(ctx: ModelContext, msgAt: At): KeyRule {
  const at = ctx.child(msgAt, 'x-partition-key');
  const raw = ctx.read(at);
  if (raw !== undefined) {
    if (isRecord(raw) && Object.keys(raw).length === 1 && typeof raw.field === 'string' && raw.field.trim()) {
      return { kind: 'field', path: raw.field.split('.'), loc: ctx.loc(ctx.child(at, 'field')) };
    }
    if (isRecord(raw) && Object.keys(raw).length === 1 && (typeof raw.constant === 'string' || typeof raw.constant === 'number') && String(raw.constant)) {
      return { kind: 'constant', value: String(raw.constant), loc: ctx.loc(ctx.child(at, 'constant')) };
    }
    ctx.report('error', 'extension-invalid', 'x-partition-key must be { field: <dotted path> } or { constant: <string> }', at);
    return { kind: 'none' };
  }
  const keyAt = ctx.deref(ctx.child(msgAt, 'bindings', 'kafka', 'key'));
  if (keyAt && isRecord(keyAt.value)) {
    const k = keyAt.value;
    const single = k.const ?? (Array.isArray(k.enum) && k.enum.length === 1 ? k.enum[0] : undefined);
    if (typeof single === 'string' || typeof single === 'number') return { kind: 'constant', value: String(single), loc: ctx.loc(keyAt.at) };
  }
  return { kind: 'none' };
}

type Found = { schema: Schema; required: boolean } | string;

/** Find the property `name` in an object-like schema (through refs and allOf). */
function property(registry: SchemaRegistry, schema: Schema, name: string, depth = 0): Found {
  if (depth > 32) return 'is too deeply nested';
  switch (schema.kind) {
    case 'ref': {
      const target = registry.named.get(schema.target);
      return target ? property(registry, target.schema, name, depth + 1) : 'cannot be resolved';
    }
    case 'object': {
      const p = schema.properties.find((x) => x.name === name);
      return p ? { schema: p.schema, required: p.required } : `has no property "${name}"`;
    }
    case 'allOf': {
      let best: Found = `has no property "${name}"`;
      for (const m of schema.members) {
        const f = property(registry, m, name, depth + 1);
        if (typeof f !== 'string') {
          if (f.required) return f;
          best = f;
        }
      }
      return best;
    }
    default:
      return `is not an object (${schema.kind})`;
  }
}

function scalarKind(registry: SchemaRegistry, schema: Schema, depth = 0): string {
  if (schema.kind === 'ref' && depth < 32) {
    const t = registry.named.get(schema.target);
    return t ? scalarKind(registry, t.schema, depth + 1) : 'unknown';
  }
  if (schema.kind === 'enum') return schema.values.every((v) => typeof v === 'string' || typeof v === 'number') ? 'string' : 'enum';
  if (schema.kind === 'const') return typeof schema.value === 'string' || typeof schema.value === 'number' ? 'string' : 'const';
  return schema.kind;
}

/** The key field must exist, be required all the way down, and be a string, number or integer. */
export function checkPartitionKey(ctx: ModelContext, registry: SchemaRegistry, event: EventType, msgAt: At): void {
  const key = event.key;
  if (key.kind !== 'field') return;
  const at = ctx.child(msgAt, 'x-partition-key', 'field');
  let schema = event.payload;
  const walked: string[] = [];
  for (const seg of key.path) {
    const found = property(registry, schema, seg);
    const where = walked.length ? `payload.${walked.join('.')}` : 'the payload';
    if (typeof found === 'string') {
      ctx.report('error', 'partition-key-field', `x-partition-key field "${key.path.join('.')}": ${where} ${found}`, at);
      return;
    }
    walked.push(seg);
    if (!found.required || found.schema.nullable) {
      ctx.report('error', 'partition-key-field', `x-partition-key field "${key.path.join('.')}": "${walked.join('.')}" must be required and non-nullable so every event has a key`, at);
      return;
    }
    schema = found.schema;
  }
  const kind = scalarKind(registry, schema);
  if (!['string', 'number', 'integer'].includes(kind)) {
    ctx.report('error', 'partition-key-field', `x-partition-key field "${key.path.join('.')}" is ${kind}; a key must be a string, number or integer`, at);
  }
}
