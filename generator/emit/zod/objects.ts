/** Objects and records. Properties get JSDoc; properties reaching a recursive schema become getters. */
import { collectRefs } from '../../model/schema-graph.js';
import type { ObjectProperty, ObjectSchema, RecordSchema } from '../../model/types.js';
import { jsdoc, propertyKey, tsValue } from '../text.js';
import { markUninferable, pad, type EmitState } from './context.js';
import { emit } from './expression.js';

/** JSDoc for an object property (description or title, `@deprecated`), or '' when there is nothing to say. */
export function zodPropertyDoc(prop: ObjectProperty, indent = ''): string {
  const s = prop.schema;
  const text = s.description ?? s.title;
  const tags = s.deprecated ? ['@deprecated'] : [];
  return jsdoc(text, indent, tags);
}

/** The value expression of one property: optional, or defaulted when not required. */
export function propertyValue(prop: ObjectProperty, st: EmitState, level: number): string {
  let code = emit(prop.schema, st, level);
  if (!prop.required) {
    if (prop.schema.default !== undefined) {
      markUninferable(st);
      code += `.default(${tsValue(prop.schema.default)})`;
    } else code += '.optional()';
  }
  return code;
}

/** True when this property must be deferred in the declaration being emitted. */
function needsGetter(prop: ObjectProperty, st: EmitState): boolean {
  if (st.self === undefined || st.lazy) return false;
  return collectRefs(prop.schema).some((id) => st.ctx.isRecursive(id));
}

/** The `{ ... }` shape literal of an object's properties, starting at `level`. */
export function shapeLiteral(properties: ObjectProperty[], st: EmitState, level: number): string {
  if (properties.length === 0) return '{}';
  const inner = pad(level + 1);
  const lines: string[] = ['{'];
  for (const prop of properties) {
    const doc = zodPropertyDoc(prop, inner);
    if (doc !== '') lines.push(doc);
    const key = propertyKey(prop.name);
    if (needsGetter(prop, st)) {
      const outer = st.inGetter;
      st.inGetter = true;
      const value = propertyValue(prop, st, level + 2);
      st.inGetter = outer;
      lines.push(`${inner}get ${key}() {`, `${pad(level + 2)}return ${value};`, `${inner}},`);
    } else {
      lines.push(`${inner}${key}: ${propertyValue(prop, st, level + 1)},`);
    }
  }
  lines.push(`${pad(level)}}`);
  return lines.join('\n');
}

/** Property names Zod would find on `Object.prototype` when absent from the input. */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

export function objectExpression(s: ObjectSchema, st: EmitState, level: number): string {
  const shape = shapeLiteral(s.properties, st, level);
  let code: string;
  if (s.additionalProperties === true) code = `z.looseObject(${shape})`;
  else if (s.additionalProperties === false) code = `z.strictObject(${shape})`;
  else code = `z.object(${shape}).catchall(${emit(s.additionalProperties, st, level)})`;
  if (s.minProperties !== undefined || s.maxProperties !== undefined) markUninferable(st);
  if (s.minProperties !== undefined) {
    code += `.refine((value) => Object.keys(value).length >= ${s.minProperties}, { message: 'Expected at least ${s.minProperties} properties' })`;
  }
  if (s.maxProperties !== undefined) {
    code += `.refine((value) => Object.keys(value).length <= ${s.maxProperties}, { message: 'Expected at most ${s.maxProperties} properties' })`;
  }
  const own = st.ctx.ownProperties;
  if (own !== undefined && s.properties.some((p) => PROTOTYPE_KEYS.has(p.name))) {
    markUninferable(st);
    code = `${own()}(${code})`;
  }
  return code;
}

export function recordExpression(s: RecordSchema, st: EmitState, level: number): string {
  return `z.record(z.string(), ${emit(s.values, st, level)})`;
}
