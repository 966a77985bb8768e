/** allOf (object merge or intersection) and oneOf/anyOf (discriminated, exclusive or plain unions). */
import type { AllOfSchema, ObjectProperty, Schema, UnionSchema } from '../../model/types.js';
import { tsString, tsValue } from '../text.js';
import { markUninferable, pad, type EmitState } from './context.js';
import { emit } from './expression.js';
import { shapeLiteral } from './objects.js';

/** A named schema that is emitted as a plain, extendable `z.looseObject` (not recursive). */
function extendableRef(s: Schema, st: EmitState): boolean {
  if (s.kind !== 'ref' || s.nullable || st.ctx.isRecursive(s.target)) return false;
  const named = st.ctx.lookup(s.target);
  return named !== undefined && !named.recursive && isPlainLooseObject(named.schema);
}

function isPlainLooseObject(s: Schema): boolean {
  return (
    s.kind === 'object' &&
    !s.nullable &&
    s.additionalProperties === true &&
    s.minProperties === undefined &&
    s.maxProperties === undefined
  );
}

function propertyNames(s: Schema, st: EmitState): string[] {
  if (s.kind === 'object') return s.properties.map((p) => p.name);
  if (s.kind === 'ref') return propertyNames(st.ctx.lookup(s.target)?.schema ?? { kind: 'unknown' }, st);
  return [];
}

/**
 * allOf: loose object members with disjoint properties merge into one object (`.extend`), which keeps
 * a readable type; anything else becomes an intersection, which validates each member in full.
 */
export function allOfExpression(s: AllOfSchema, st: EmitState, level: number): string {
  const mergeable = s.members.every((m) => (m.kind === 'object' && isPlainLooseObject(m)) || extendableRef(m, st));
  const names = s.members.flatMap((m) => propertyNames(m, st));
  if (mergeable && new Set(names).size === names.length) return mergedObject(s.members, st, level);
  const [first, ...rest] = s.members.map((m) => emit(m, st, level));
  if (rest.length === 0) return first ?? 'z.unknown()';
  const [second, ...more] = rest;
  let code = `z.intersection(${first}, ${second})` + more.map((m) => `.and(${m})`).join('');
  // A Zod intersection only reports keys that no member knows; JSON Schema's `additionalProperties:
  // false` in one member rejects every key that member does not declare, so check that explicitly.
  for (const keys of s.members.map((m) => strictKeys(m, st))) {
    if (keys === undefined) continue;
    markUninferable(st);
    code += `.refine((value) => Object.keys(value).every((key) => ${tsValue(keys)}.includes(key)), { message: 'Unrecognized key' })`;
  }
  return code;
}

/** Declared property names of a member that forbids other properties. */
function strictKeys(s: Schema, st: EmitState): string[] | undefined {
  const target = s.kind === 'ref' && !s.nullable ? st.ctx.lookup(s.target)?.schema : s;
  if (target === undefined || target.kind !== 'object' || target.nullable || target.additionalProperties !== false) return undefined;
  return target.properties.map((p) => p.name);
}

function mergedObject(members: Schema[], st: EmitState, level: number): string {
  let code = '';
  let pending: ObjectProperty[] = [];
  const flush = (): void => {
    if (pending.length === 0) return;
    const shape = shapeLiteral(pending, st, level);
    code = code === '' ? `z.looseObject(${shape})` : `${code}.extend(${shape})`;
    pending = [];
  };
  for (const m of members) {
    if (m.kind === 'object') pending.push(...m.properties);
    else if (m.kind === 'ref') {
      flush();
      const name = st.ctx.schemaRef(m.target);
      code = code === '' ? name : `${code}.extend(${name}.shape)`;
    }
  }
  flush();
  return code;
}

/** A coarse JSON type class, to see when oneOf members can never overlap. */
function typeClass(s: Schema, st: EmitState, depth = 0): string | undefined {
  if (s.nullable || depth > 8) return undefined;
  switch (s.kind) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
    case 'null':
      return s.kind;
    case 'array':
    case 'tuple':
      return 'array';
    case 'object':
    case 'record':
      return 'object';
    case 'enum': {
      const kinds = new Set(s.values.map((v) => (v === null ? 'null' : typeof v)));
      return kinds.size === 1 ? [...kinds][0] : undefined;
    }
    case 'const':
      return s.value === null ? 'null' : Array.isArray(s.value) ? 'array' : typeof s.value;
    case 'ref': {
      const named = st.ctx.lookup(s.target);
      return named === undefined ? undefined : typeClass(named.schema, st, depth + 1);
    }
    default:
      return undefined;
  }
}

/** A member `z.discriminatedUnion` accepts: an inline object, or a ref to a non-recursive object schema. */
function discriminable(s: Schema, st: EmitState): boolean {
  if (s.nullable) return false;
  if (s.kind === 'object') return true;
  if (s.kind !== 'ref' || st.ctx.isRecursive(s.target)) return false;
  const named = st.ctx.lookup(s.target);
  return named !== undefined && named.schema.kind === 'object' && !named.schema.nullable;
}

function list(items: string[], level: number): string {
  const oneLine = `[${items.join(', ')}]`;
  if (!oneLine.includes('\n') && oneLine.length <= 80) return oneLine;
  const inner = pad(level + 1);
  return `[\n${items.map((i) => `${inner}${i},`).join('\n')}\n${pad(level)}]`;
}

/**
 * Exactly one of `members` (JSON Schema `oneOf`): the input must match one member and only one, then the union
 * parses it. Written with what zod 3.25's `zod/v4` and zod 4 share (`z.xor` is zod 4 only): a check on the input
 * (`z.custom`, typed as the members' input) piped into `z.union`.
 */
function exclusiveUnion(members: string[], level: number): string {
  return [
    '((options) =>',
    `${pad(level + 1)}z`,
    `${pad(level + 2)}.custom<z.input<(typeof options)[number]>>((value) => options.filter((option) => option.safeParse(value).success).length === 1, { message: 'Expected exactly one oneOf member to match' })`,
    `${pad(level + 2)}.pipe(z.union(options)))(${list(members, level)} as const)`,
  ].join('\n');
}

/**
 * oneOf/anyOf. With a discriminator: `z.discriminatedUnion` (exclusive by construction). A oneOf whose
 * members may overlap: an exclusive union (see `exclusiveUnion`), which rejects values matching more than one
 * member, as JSON Schema does. Otherwise (anyOf, or members of distinct JSON types): `z.union`.
 */
export function unionExpression(s: UnionSchema, st: EmitState, level: number): string {
  const inner = level + 1;
  const members = s.members.map((m) => emit(m, st, inner));
  if (s.discriminator !== undefined && s.members.every((m) => discriminable(m, st))) {
    return `z.discriminatedUnion(${tsString(s.discriminator)}, ${list(members, level)})`;
  }
  if (s.mode === 'oneOf' && s.discriminator === undefined) {
    const classes = s.members.map((m) => typeClass(m, st));
    const disjoint = classes.every((c) => c !== undefined) && new Set(classes).size === classes.length;
    if (!disjoint) {
      markUninferable(st);
      return exclusiveUnion(members, level);
    }
  }
  return `z.union(${list(members, level)})`;
}
