/**
 * Explicit TypeScript types mirroring what Zod infers, for recursive schemas whose recursion cannot go
 * through object getters (e.g. a union or array that contains itself directly). Such a declaration is
 * `z.ZodType<T, TInput>` + `z.lazy`, and `T`/`TInput` are written out here.
 */
import type { Schema } from '../../model/types.js';
import { propertyKey, tsString } from '../text.js';
import { pad, type ZodEmitContext } from './context.js';
import { jsonType } from './json.js';

export type TypeMode = 'output' | 'input';

function typeName(id: string, mode: TypeMode, ctx: ZodEmitContext): string {
  if (ctx.typeRef !== undefined) return ctx.typeRef(id, mode);
  const named = ctx.lookup(id);
  if (named === undefined || !(named.recursive || ctx.isRecursive(id))) {
    return `z.${mode}<typeof ${ctx.schemaRef(id)}>`;
  }
  return mode === 'input' ? `${named.typeName}Input` : named.typeName;
}

const wrap = (t: string): string => (/[\s|&]/.test(t) ? `(${t})` : t);

export function tsType(s: Schema, mode: TypeMode, ctx: ZodEmitContext, level = 0): string {
  const t = baseType(s, mode, ctx, level);
  return s.nullable && s.kind !== 'null' && s.kind !== 'unknown' ? `${t} | null` : t;
}

function baseType(s: Schema, mode: TypeMode, ctx: ZodEmitContext, level: number): string {
  switch (s.kind) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'unknown':
      return 'unknown';
    case 'never':
      return 'never';
    case 'enum':
      return s.values.map((v) => (typeof v === 'string' ? tsString(v) : String(v))).join(' | ') || 'never';
    case 'const':
      return jsonType(s.value);
    case 'ref':
      return typeName(s.target, mode, ctx);
    case 'array':
      return `Array<${tsType(s.items, mode, ctx, level)}>`;
    case 'tuple': {
      const required = s.minItems ?? 0;
      const items = s.items.map((item, i) => tsType(item, mode, ctx, level) + (i >= required ? '?' : ''));
      if (s.rest !== false) items.push(`...Array<${tsType(s.rest, mode, ctx, level)}>`);
      return `[${items.join(', ')}]`;
    }
    case 'record':
      return `{ [key: string]: ${tsType(s.values, mode, ctx, level)} }`;
    case 'object': {
      const inner = pad(level + 1);
      const lines = s.properties.map((p) => {
        const optional = !p.required && !(mode === 'output' && p.schema.default !== undefined);
        const t = tsType(p.schema, mode, ctx, level + 1);
        return optional ? `${inner}${propertyKey(p.name)}?: ${t} | undefined;` : `${inner}${propertyKey(p.name)}: ${t};`;
      });
      const shape = lines.length === 0 ? '{}' : `{\n${lines.join('\n')}\n${pad(level)}}`;
      if (s.additionalProperties === false) return shape;
      const extra = s.additionalProperties === true ? 'unknown' : tsType(s.additionalProperties, mode, ctx, level);
      const index = `{ [key: string]: ${extra} }`;
      return lines.length === 0 ? index : `${shape} & ${index}`;
    }
    case 'allOf':
      return s.members.map((m) => wrap(tsType(m, mode, ctx, level))).join(' & ');
    case 'union':
      return s.members.map((m) => wrap(tsType(m, mode, ctx, level))).join(' | ');
  }
}
