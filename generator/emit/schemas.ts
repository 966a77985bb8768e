/**
 * `schemas/`: one file per event, one per shared schema, and a barrel. Schemas that reach each other through `$ref`s
 * (cycles across files) import each other's Zod constants as values (read lazily: getters or `z.lazy`) and each
 * other's types with `import type`.
 */
import type { EventType, NamedSchema } from '../model/types.js';
import type { SchemaSymbols, SymbolTable } from '../symbols/table.js';
import { eventDocLines } from './describe.js';
import { TsModule } from './printer.js';
import type { EmitOptions, GeneratedFile } from './types.js';
import { zodSchemaDeclaration, type ZodEmitContext } from './zod/index.js';

function zodContext(table: SymbolTable, mod: TsModule): ZodEmitContext {
  const named = (id: string): SchemaSymbols => table.schema(id);
  return {
    schemaRef: (id) => mod.use(named(id).zod),
    typeRef: (id, mode) => mod.type(mode === 'input' ? named(id).input : named(id).type),
    isRecursive: (id) => table.findSchema(id)?.schema.recursive === true,
    lookup: (id) => table.findSchema(id)?.schema,
    ownProperties: () => mod.use(table.runtime('ownProperties')),
  };
}

/** A named schema as the Zod emitter sees it, with the names the symbol table gave it. */
function withNames(schema: NamedSchema, s: { type: string; zod: string }): NamedSchema {
  return { ...schema, typeName: s.type, schemaName: s.zod };
}

/** An event's payload as a named schema (same declaration shape as shared ones). */
function eventAsNamed(e: EventType, type: string, zod: string): NamedSchema {
  return {
    id: `event:${e.type}`,
    originalName: e.type,
    typeName: type,
    schemaName: zod,
    fileName: e.names.fileName,
    schema: { ...e.payload, description: eventDocLines(e).join('\n') },
    recursive: false,
  };
}

function declare(mod: TsModule, names: ReadonlyArray<Parameters<TsModule['declare']>[0]>): void {
  for (const n of names) mod.declare(n);
}

export function emitSchemas(table: SymbolTable, options: EmitOptions): GeneratedFile[] {
  const memo = options.memo;
  const files: GeneratedFile[] = [];
  const barrel = new TsModule(table.files.SCHEMAS_INDEX);
  for (const s of table.schemas) {
    const mod = new TsModule(s.file);
    declare(mod, [s.type, s.input, s.zod]);
    mod.use(table.z);
    const body = zodSchemaDeclaration(withNames(s.schema, { type: s.type.name, zod: s.zod.name }), zodContext(table, mod));
    files.push({ path: mod.path, content: mod.render(body), ownership: 'managed' });
    barrel.reexportAll(s.file);
  }
  for (const e of table.events) {
    const make = (): GeneratedFile => {
      const mod = new TsModule(e.file);
      declare(mod, [e.type, e.input, e.schema]);
      mod.use(table.z);
      const body = zodSchemaDeclaration(eventAsNamed(e.event, e.type.name, e.schema.name), zodContext(table, mod));
      return { path: mod.path, content: mod.render(body), ownership: 'managed' };
    };
    files.push(memo ? memo.units.get('schema', e.file, memo.event(e.event.type), make) : make());
    barrel.reexportAll(e.file);
  }
  if (files.length) files.push({ path: barrel.path, content: barrel.render(''), ownership: 'managed' });
  return files;
}
