/** Reference graph over named schemas: recursion detection and a dependency-first order. */
import type { Schema } from './types.js';

/** Ids of named schemas referenced anywhere inside `schema`, in first-seen order. */
export function collectRefs(schema: Schema, out: string[] = []): string[] {
  const visit = (s: Schema): void => {
    switch (s.kind) {
      case 'ref':
        if (!out.includes(s.target)) out.push(s.target);
        return;
      case 'array':
        return visit(s.items);
      case 'tuple':
        s.items.forEach(visit);
        if (s.rest !== false) visit(s.rest);
        return;
      case 'object':
        s.properties.forEach((p) => visit(p.schema));
        if (typeof s.additionalProperties === 'object') visit(s.additionalProperties);
        return;
      case 'record':
        return visit(s.values);
      case 'allOf':
      case 'union':
        s.members.forEach(visit);
        return;
      default:
        return;
    }
  };
  visit(schema);
  return out;
}

/** Strongly connected components (Tarjan), over ids sorted for determinism. */
function components(schemas: Map<string, Schema>): string[][] {
  const ids = [...schemas.keys()].sort();
  const edges = new Map(ids.map((id) => [id, collectRefs(schemas.get(id) as Schema).filter((t) => schemas.has(t))]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const result: string[][] = [];
  let counter = 0;
  const strong = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      result.push(comp.sort());
    }
  };
  for (const id of ids) if (!index.has(id)) strong(id);
  return result;
}

/** Ids of named schemas that reach themselves through refs. */
export function findRecursive(schemas: Map<string, Schema>): Set<string> {
  const out = new Set<string>();
  for (const comp of components(schemas)) {
    const only = comp[0] as string;
    if (comp.length > 1 || collectRefs(schemas.get(only) as Schema).includes(only)) comp.forEach((id) => out.add(id));
  }
  return out;
}

/** Ids in dependency-first order (a schema after the schemas it references; cycles kept together). */
export function topoOrder(schemas: Map<string, Schema>): string[] {
  // Tarjan emits components in reverse topological order of the "references" edges: dependencies first.
  return components(schemas).flat();
}
