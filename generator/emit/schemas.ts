/** `schemas/`: one file per event, one per shared schema, and a barrel. */
import type { Catalog, EventType, NamedSchema } from '../model/types.js';
import { eventDocLines } from './describe.js';
import { eventSchemaFile, sharedSchemaFile } from './paths.js';
import { TsModule } from './printer.js';
import type { EmitOptions, GeneratedFile } from './types.js';
import { zodSchemaDeclaration, type ZodEmitContext } from './zod/index.js';

function zodContext(byId: ReadonlyMap<string, NamedSchema>, mod: TsModule): ZodEmitContext {
  return {
    schemaRef: (id) => {
      const target = byId.get(id);
      if (!target) throw new Error(`internal: unknown schema ${id}`);
      return mod.path === sharedSchemaFile(target) ? target.schemaName : mod.use(target.schemaName, sharedSchemaFile(target));
    },
    isRecursive: (id) => byId.get(id)?.recursive === true,
    lookup: (id) => byId.get(id),
  };
}

/** An event's payload as a named schema (same declaration shape as shared ones). */
function eventAsNamed(e: EventType): NamedSchema {
  const named: NamedSchema = {
    id: `event:${e.type}`,
    originalName: e.type,
    typeName: e.names.typeName,
    schemaName: e.names.schemaName,
    fileName: e.names.fileName,
    schema: { ...e.payload, description: eventDocLines(e).join('\n') },
    recursive: false,
  };
  return named;
}

export function emitSchemas(catalog: Catalog, _options: EmitOptions): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  const barrel: string[] = [];
  const byId = new Map(catalog.schemas.map((s) => [s.id, s]));
  for (const s of catalog.schemas) {
    const mod = new TsModule(sharedSchemaFile(s));
    mod.use('z', 'zod');
    const body = zodSchemaDeclaration(s, zodContext(byId, mod));
    files.push({ path: mod.path, content: mod.render(body), ownership: 'managed' });
    barrel.push(`export * from './shared/${s.fileName}.js';`);
  }
  for (const e of catalog.events) {
    const mod = new TsModule(eventSchemaFile(e));
    mod.use('z', 'zod');
    const body = zodSchemaDeclaration(eventAsNamed(e), zodContext(byId, mod));
    files.push({ path: mod.path, content: mod.render(body), ownership: 'managed' });
    barrel.push(`export * from './${e.names.fileName}.js';`);
  }
  if (barrel.length) files.push({ path: 'schemas/index.ts', content: barrel.join('\n') + '\n', ownership: 'managed' });
  return files;
}
