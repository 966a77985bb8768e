/**
 * A payload (or headers) schema as the rows of a field table: path, type, required, constraints,
 * description. Nested objects, arrays, maps and tuples extend the path (`customer.address.city`,
 * `items[].sku`, `attributes{}`, `pair[0]`); shared schemas are expanded in place once (their rows carry the
 * shared schema's name, linked), recursive ones are linked, not expanded; union members get one row each
 * with their variant's rows below.
 */
import type { JsonValue, NamedSchema, Schema } from '../../model/types.js';

export interface TypeRef {
  /** Display text, e.g. `string`, `array<Money>`. */
  text: string;
  /** Shared schema linked from the type (NamedSchema.fileName), if any. */
  schema?: NamedSchema;
}

export interface FieldRow {
  /** Full path (`parent` + `name`). */
  path: string;
  /** The path up to the field (`customer.address.`), shown muted. */
  parent: string;
  /** The field's own segment (`city`, `[]`, `{}`, `[0]`). */
  name: string;
  depth: number;
  type: TypeRef;
  required: boolean;
  constraints: string[];
  description?: string;
  /** `oneOf`/`anyOf` member label (`option 2`, `when method = "card"`). */
  variant?: string;
  deprecated: boolean;
}

export interface FieldContext {
  schemas: ReadonlyMap<string, NamedSchema>;
}

/** Keep tables readable on pathological schemas (and generation fast on huge ones). */
const MAX_DEPTH = 8;
const MAX_ROWS = 400;

export function fieldRows(root: Schema, ctx: FieldContext): FieldRow[] {
  const rows: FieldRow[] = [];
  const walk = (schema: Schema, parent: string, name: string, depth: number, required: boolean, seen: ReadonlySet<string>, variant?: string): void => {
    const path = parent + name;
    if (rows.length >= MAX_ROWS) return;
    const named = schema.kind === 'ref' ? ctx.schemas.get(schema.target) : undefined;
    const target = named ? named.schema : schema;
    const row: FieldRow = {
      path,
      parent,
      name,
      depth,
      type: typeRef(schema, ctx),
      required,
      constraints: constraints(target),
      deprecated: schema.deprecated === true || target.deprecated === true,
    };
    const description = schema.description ?? target.description ?? (named ? undefined : schema.title);
    if (description !== undefined) row.description = description;
    if (variant !== undefined) row.variant = variant;
    if (path !== '') rows.push(row);
    if (depth >= MAX_DEPTH) return;
    if (named) {
      if (seen.has(named.id)) return;
      walkChildren(named.schema, parent, name, depth, new Set([...seen, named.id]));
    } else {
      walkChildren(schema, parent, name, depth, seen);
    }
  };
  const walkChildren = (schema: Schema, parent: string, name: string, depth: number, seen: ReadonlySet<string>): void => {
    const path = parent + name;
    const prefix = path === '' ? '' : path + '.';
    const next = path === '' ? 0 : depth + 1;
    switch (schema.kind) {
      case 'object':
        for (const p of schema.properties) walk(p.schema, prefix, p.name, next, p.required, seen);
        if (typeof schema.additionalProperties === 'object') walk(schema.additionalProperties, path, '{}', next, false, seen);
        return;
      case 'record':
        walk(schema.values, path, '{}', next, false, seen);
        return;
      case 'array':
        walk(schema.items, path, '[]', next, false, seen);
        return;
      case 'tuple':
        schema.items.forEach((s, i) => walk(s, path, `[${i}]`, next, i < (schema.minItems ?? 0), seen));
        if (schema.rest) walk(schema.rest, path, '[]', next, false, seen);
        return;
      case 'allOf':
        for (const m of schema.members) walkChildren(resolve(m, ctx), parent, name, depth, seen);
        return;
      case 'union': {
        const discriminator = schema.discriminator ?? inferDiscriminator(schema.members, ctx);
        schema.members.forEach((m, i) => {
          const label = variantLabel(m, i, discriminator, ctx);
          if (path === '') walk(m, '', `⟨${label}⟩`, 0, false, seen, label);
          else walk(m, parent, name, next, false, seen, label);
        });
        return;
      }
      default:
        return;
    }
  };
  walk(root, '', '', 0, true, new Set());
  if (rows.length === 0 && root.kind !== 'object') walk(root, '', '(value)', 0, true, new Set());
  return rows;
}

function resolve(s: Schema, ctx: FieldContext): Schema {
  return s.kind === 'ref' ? (ctx.schemas.get(s.target)?.schema ?? s) : s;
}

function variantLabel(member: Schema, index: number, discriminator: string | undefined, ctx: FieldContext): string {
  const m = resolve(member, ctx);
  if (discriminator !== undefined && m.kind === 'object') {
    const p = m.properties.find((x) => x.name === discriminator);
    const v = p ? constValue(resolve(p.schema, ctx)) : undefined;
    if (v !== undefined) return `when ${discriminator} = ${JSON.stringify(v)}`;
  }
  const name = member.kind === 'ref' ? ctx.schemas.get(member.target)?.originalName : undefined;
  return name !== undefined ? `option ${index + 1}: ${name}` : `option ${index + 1}`;
}

/** A property whose constant value differs in every (object) member, when the model did not name one. */
function inferDiscriminator(members: readonly Schema[], ctx: FieldContext): string | undefined {
  const objects = members.map((m) => resolve(m, ctx));
  if (objects.length < 2 || !objects.every((o) => o.kind === 'object')) return undefined;
  const first = objects[0];
  if (first?.kind !== 'object') return undefined;
  for (const p of first.properties) {
    const values = objects.map((o) => (o.kind === 'object' ? o.properties.find((x) => x.name === p.name) : undefined)).map((x) => (x ? constValue(resolve(x.schema, ctx)) : undefined));
    if (values.every((v) => v !== undefined) && new Set(values.map((v) => JSON.stringify(v))).size === values.length) return p.name;
  }
  return undefined;
}

function constValue(s: Schema): JsonValue | undefined {
  if (s.kind === 'const') return s.value;
  if (s.kind === 'enum' && s.values.length === 1) return s.values[0];
  return undefined;
}

export function typeRef(s: Schema, ctx: FieldContext): TypeRef {
  const nullable = s.nullable === true ? ' | null' : '';
  switch (s.kind) {
    case 'ref': {
      const named = ctx.schemas.get(s.target);
      return named ? { text: named.originalName + nullable, schema: named } : { text: s.target + nullable };
    }
    case 'array': {
      const inner = typeRef(s.items, ctx);
      return { ...inner, text: `array<${inner.text}>${nullable}` };
    }
    case 'record': {
      const inner = typeRef(s.values, ctx);
      return { ...inner, text: `map<string, ${inner.text}>${nullable}` };
    }
    case 'tuple':
      return { text: `tuple[${s.items.length}]${nullable}` };
    case 'string':
      return { text: `string${s.format ? ` (${s.format})` : s.unknownFormat ? ` (${s.unknownFormat})` : ''}${nullable}` };
    case 'union':
      return { text: `${s.mode}${nullable}` };
    case 'allOf':
      return { text: `allOf${nullable}` };
    case 'unknown':
      return { text: 'any' };
    default:
      return { text: s.kind + nullable };
  }
}

function json(v: JsonValue | undefined): string {
  return JSON.stringify(v) ?? 'undefined';
}

export function constraints(s: Schema): string[] {
  const out: string[] = [];
  switch (s.kind) {
    case 'string':
      if (s.minLength !== undefined) out.push(`minLength ${s.minLength}`);
      if (s.maxLength !== undefined) out.push(`maxLength ${s.maxLength}`);
      if (s.pattern !== undefined) out.push(`pattern ${s.pattern}`);
      break;
    case 'number':
    case 'integer':
      if (s.minimum !== undefined) out.push(`>= ${s.minimum}`);
      if (s.exclusiveMinimum !== undefined) out.push(`> ${s.exclusiveMinimum}`);
      if (s.maximum !== undefined) out.push(`<= ${s.maximum}`);
      if (s.exclusiveMaximum !== undefined) out.push(`< ${s.exclusiveMaximum}`);
      if (s.multipleOf !== undefined) out.push(`multipleOf ${s.multipleOf}`);
      break;
    case 'array':
      if (s.minItems !== undefined) out.push(`minItems ${s.minItems}`);
      if (s.maxItems !== undefined) out.push(`maxItems ${s.maxItems}`);
      if (s.uniqueItems === true) out.push('unique items');
      break;
    case 'object':
      if (s.additionalProperties === false) out.push('no extra keys');
      if (s.minProperties !== undefined) out.push(`minProperties ${s.minProperties}`);
      if (s.maxProperties !== undefined) out.push(`maxProperties ${s.maxProperties}`);
      break;
    case 'enum':
      out.push(`one of ${s.values.map((v) => json(v)).join(', ')}`);
      break;
    case 'const':
      out.push(`= ${json(s.value)}`);
      break;
    case 'union':
      if (s.discriminator !== undefined) out.push(`discriminator ${s.discriminator}`);
      break;
    default:
      break;
  }
  if (s.default !== undefined) out.push(`default ${json(s.default)}`);
  return out;
}
