/**
 * Test harness for schema fixtures: normalises a fixture's raw JSON Schema (with `#/definitions/X` refs
 * as named schemas and `#` as the root), and emits one self-contained TypeScript module with Zod code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findRecursive, normalizeSchema, topoOrder, type SchemaContext } from '../../generator/model/schema.js';
import type { Diagnostic, NamedSchema, Schema } from '../../generator/model/types.js';
import { zodSchemaDeclaration, type ZodEmitContext } from '../../generator/emit/zod/index.js';

export interface Fixture {
  description: string;
  draft?: '2020-12';
  schema: Record<string, unknown>;
  valid: unknown[];
  invalid: unknown[];
}

export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/schemas/', import.meta.url));

export function loadFixtures(): Array<{ name: string; fixture: Fixture }> {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f.replace(/\.json$/, ''), fixture: JSON.parse(readFileSync(join(FIXTURE_DIR, f), 'utf8')) as Fixture }));
}

/** A recording `SchemaContext` over one in-memory document; `definitions` become named schemas. */
export function documentContext(doc: Record<string, unknown>, file = 'doc.json') {
  const diagnostics: Diagnostic[] = [];
  const schemas = new Map<string, Schema>();
  const pending = new Set<string>();
  const definitions = (doc['definitions'] ?? {}) as Record<string, unknown>;
  const ctx: SchemaContext = {
    resolveRef(ref) {
      if (ref === '#') return '#';
      const m = /^#\/definitions\/([^/]+)$/.exec(ref);
      if (m === null) throw new Error(`unsupported ref in fixture: ${ref}`);
      const id = m[1] as string;
      if (!schemas.has(id) && !pending.has(id)) {
        pending.add(id);
        schemas.set(id, normalizeSchema(definitions[id], { file, pointer: `/definitions/${id}` }, ctx));
      }
      return id;
    },
    locate: (at) => ({ file: at.file, line: 1, column: 1, pointer: at.pointer }),
    report: (d) => diagnostics.push(d),
    lookup: (id) => schemas.get(id),
  };
  return { ctx, diagnostics, schemas };
}

export interface BuiltFixture {
  code: string;
  diagnostics: Diagnostic[];
  named: Map<string, NamedSchema>;
}

export function buildFixture(fixture: Fixture, rootName = 'Root'): BuiltFixture {
  const { ctx, diagnostics, schemas } = documentContext(fixture.schema);
  schemas.set('#', normalizeSchema(fixture.schema, { file: 'doc.json', pointer: '' }, ctx));
  const recursive = findRecursive(schemas);
  const named = new Map<string, NamedSchema>();
  for (const [id, schema] of schemas) {
    const name = id === '#' ? rootName : id;
    named.set(id, { id, originalName: name, typeName: name, schemaName: `${name}Schema`, fileName: name.toLowerCase(), schema, recursive: recursive.has(id) });
  }
  const emitCtx: ZodEmitContext = {
    schemaRef: (id) => (named.get(id) as NamedSchema).schemaName,
    isRecursive: (id) => recursive.has(id),
    lookup: (id) => named.get(id),
  };
  const body = topoOrder(schemas).map((id) => zodSchemaDeclaration(named.get(id) as NamedSchema, emitCtx));
  return { code: ["import { z } from 'zod/v4';", '', body.join('\n')].join('\n'), diagnostics, named };
}
