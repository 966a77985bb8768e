/**
 * Schema IR -> Zod 4 expression text. `z` is assumed in scope. Output is deterministic and laid out
 * on several lines for objects (2-space indentation relative to the line the expression starts on).
 */
import type { NumberSchema, Schema } from '../../model/types.js';
import { tsString, tsValue } from '../text.js';
import { markUninferable, newState, type EmitState, type ZodEmitContext } from './context.js';
import { deepConstExpression, UNIQUE_ITEMS_REFINE } from './json.js';
import { objectExpression, recordExpression } from './objects.js';
import { allOfExpression, unionExpression } from './composition.js';
import { stringExpression } from './strings.js';

/** A Zod expression for `schema` (not a named declaration: refs are plain constant names). */
export function zodExpression(schema: Schema, ctx: ZodEmitContext, level = 0): string {
  return emit(schema, newState(ctx), level);
}

/** Emit with state; `level` is the indentation level of the line the expression starts on. */
export function emit(schema: Schema, st: EmitState, level: number): string {
  const code = base(schema, st, level);
  return schema.nullable && schema.kind !== 'null' && schema.kind !== 'unknown' ? `${code}.nullable()` : code;
}

function base(s: Schema, st: EmitState, level: number): string {
  switch (s.kind) {
    case 'string':
      return stringExpression(s);
    case 'number':
    case 'integer':
      return numberExpression(s);
    case 'boolean':
      return 'z.boolean()';
    case 'null':
      return 'z.null()';
    case 'unknown':
      return 'z.unknown()';
    case 'never':
      return 'z.never()';
    case 'enum':
      return enumExpression(s.values);
    case 'const':
      if (s.value === null) return 'z.null()';
      if (typeof s.value === 'object') {
        markUninferable(st);
        return deepConstExpression(s.value);
      }
      return `z.literal(${tsValue(s.value)})`;
    case 'ref':
      return refExpression(s.target, st);
    case 'array': {
      let code = `z.array(${emit(s.items, st, level)})`;
      if (s.minItems !== undefined) code += `.min(${s.minItems})`;
      if (s.maxItems !== undefined) code += `.max(${s.maxItems})`;
      if (s.uniqueItems) {
        markUninferable(st);
        code += UNIQUE_ITEMS_REFINE;
      }
      return code;
    }
    case 'tuple': {
      // JSON Schema allows arrays shorter than the prefix unless `minItems` says otherwise.
      const required = s.minItems ?? 0;
      const items = s.items.map((item, i) => emit(item, st, level) + (i >= required ? '.optional()' : ''));
      const rest = s.rest === false ? '' : `, ${emit(s.rest, st, level)}`;
      return `z.tuple([${items.join(', ')}]${rest})`;
    }
    case 'object':
      return objectExpression(s, st, level);
    case 'record':
      return recordExpression(s, st, level);
    case 'allOf':
      return allOfExpression(s, st, level);
    case 'union':
      return unionExpression(s, st, level);
  }
}

function numberExpression(s: NumberSchema): string {
  // `.int()` limits to safe integers (|n| <= 2^53 - 1); JSON Schema `integer` has no bound.
  let code = s.kind === 'integer' ? 'z.number().int()' : 'z.number()';
  if (s.minimum !== undefined) code += `.min(${tsValue(s.minimum)})`;
  if (s.exclusiveMinimum !== undefined) code += `.gt(${tsValue(s.exclusiveMinimum)})`;
  if (s.maximum !== undefined) code += `.max(${tsValue(s.maximum)})`;
  if (s.exclusiveMaximum !== undefined) code += `.lt(${tsValue(s.exclusiveMaximum)})`;
  if (s.multipleOf !== undefined) code += `.multipleOf(${tsValue(s.multipleOf)})`;
  return code;
}

function enumExpression(values: Array<string | number | boolean | null>): string {
  const nonNull = values.filter((v): v is string | number | boolean => v !== null);
  const hasNull = nonNull.length !== values.length;
  let code: string;
  if (nonNull.length === 0) code = 'z.never()';
  else if (nonNull.length === 1) code = `z.literal(${tsValue(nonNull[0])})`;
  else if (nonNull.every((v) => typeof v === 'string')) code = `z.enum([${nonNull.map((v) => tsString(v as string)).join(', ')}])`;
  else code = `z.literal([${nonNull.map((v) => tsValue(v)).join(', ')}])`;
  return hasNull ? (nonNull.length === 0 ? 'z.null()' : `${code}.nullable()`) : code;
}

function refExpression(target: string, st: EmitState): string {
  const name = st.ctx.schemaRef(target);
  // In a recursive declaration, a ref to a recursive schema outside a getter would be read before
  // it is initialised: defer it, which needs an explicit type on the declaration.
  if (st.self !== undefined && !st.lazy && !st.inGetter && st.ctx.isRecursive(target)) st.needsExplicitType = true;
  return name;
}
