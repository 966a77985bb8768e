/**
 * `$ref` cycles that no value could ever be validated against, and the one common shape among them that has a
 * meaning: inheritance as Java tools export it (Springwolf, springdoc). A base schema lists its subtypes in a
 * `oneOf` and each subtype is `allOf: [{ $ref: base }, { ...own properties }]`. Read literally, validating the base
 * validates a subtype, which validates the base again, on the same value, forever (and TypeScript refuses the types).
 * Read as inheritance, the subtype's `$ref` means the base's own properties, not its `oneOf` again: that is what
 * the subtype gets here (reported as info). Any other cycle that goes only through `allOf`/`oneOf`/`anyOf` (never
 * through a property, an array item or a map value) is refused with a located error.
 */
import { findRecursive } from './schema-graph.js';
import type { Diagnostic, NamedSchema, Schema } from './types.js';

const isUnion = (s: Schema): boolean => s.kind === 'union';

/** The base's own part: its schema without the `oneOf`/`anyOf` that lists the subtypes. */
function ownPart(base: Schema): Schema | undefined {
  if (base.kind !== 'allOf') return undefined;
  const rest = base.members.filter((m) => !isUnion(m));
  if (rest.length === base.members.length) return undefined;
  const own: Schema = rest.length === 1 ? (rest[0] as Schema) : rest.length === 0 ? { kind: 'unknown' } : { ...base, members: rest };
  return structuredClone(own);
}

function subtypeRefs(base: Schema): string[] {
  if (base.kind !== 'allOf') return [];
  return base.members.filter((m) => m.kind === 'union').flatMap((u) => (u.kind === 'union' ? u.members : [])).flatMap((m) => (m.kind === 'ref' && !m.nullable ? [m.target] : []));
}

/** Rewrites subtype → base references into the base's own part; returns how many it rewrote. */
export function resolveInheritanceCycles(schemas: readonly NamedSchema[], diagnostics: Diagnostic[]): number {
  const byId = new Map(schemas.map((s) => [s.id, s]));
  let rewritten = 0;
  for (const base of schemas) {
    const own = ownPart(base.schema);
    if (own === undefined) continue;
    for (const id of subtypeRefs(base.schema)) {
      const sub = byId.get(id);
      if (sub === undefined || sub === base || sub.schema.kind !== 'allOf') continue;
      const members = sub.schema.members;
      const at = members.findIndex((m) => m.kind === 'ref' && m.target === base.id && !m.nullable);
      if (at < 0) continue;
      sub.schema = { ...sub.schema, members: members.map((m, i) => (i === at ? own : m)) };
      rewritten++;
      diagnostics.push({
        severity: 'info',
        rule: 'schema-inheritance',
        message: `schema "${sub.originalName}" extends "${base.originalName}", whose oneOf lists it: read as inheritance (it gets the properties of "${base.originalName}", not its oneOf again)`,
        ...(sub.loc ? { location: sub.loc } : {}),
      });
    }
  }
  if (rewritten > 0) {
    const recursive = findRecursive(new Map(schemas.map((s) => [s.id, s.schema])));
    for (const s of schemas) s.recursive = recursive.has(s.id);
  }
  return rewritten;
}

/** Refs reachable from `s` without passing a property, an array/tuple item or a map value. */
function unguardedRefs(s: Schema, out: Set<string> = new Set()): Set<string> {
  if (s.kind === 'ref') out.add(s.target);
  else if (s.kind === 'allOf' || s.kind === 'union') for (const m of s.members) unguardedRefs(m, out);
  return out;
}

/** Reports every named schema on a cycle of unguarded refs (validation could never finish). */
export function reportUnguardedCycles(schemas: readonly NamedSchema[], diagnostics: Diagnostic[]): void {
  const edges = new Map(schemas.map((s) => [s.id, [...unguardedRefs(s.schema)]]));
  const byId = new Map(schemas.map((s) => [s.id, s]));
  for (const s of schemas) {
    // Depth-first search for a path back to `s` through unguarded edges.
    const path = findPath(s.id, s.id, edges);
    if (path === undefined) continue;
    const names = [s.id, ...path].map((id) => byId.get(id)?.originalName ?? id);
    diagnostics.push({
      severity: 'error',
      rule: 'schema-recursion-unguarded',
      message: `schema "${s.originalName}" reaches itself only through allOf/oneOf/anyOf (${names.join(' → ')}): no value could ever be validated against it; make the cycle go through a property or an array item`,
      ...(s.loc ? { location: s.loc } : {}),
    });
  }
}

function findPath(from: string, to: string, edges: ReadonlyMap<string, string[]>): string[] | undefined {
  const seen = new Set<string>();
  const visit = (id: string): string[] | undefined => {
    for (const next of edges.get(id) ?? []) {
      if (next === to) return [next];
      if (seen.has(next)) continue;
      seen.add(next);
      const rest = visit(next);
      if (rest !== undefined) return [next, ...rest];
    }
    return undefined;
  };
  return visit(from);
}
