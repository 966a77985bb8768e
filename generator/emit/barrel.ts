/** The root `index.ts`: runtime, schemas, events, topics, producers; consumer groups as namespaces. */
import type { SymbolTable } from '../symbols/table.js';
import { TsModule } from './printer.js';
import { jsdoc } from './text.js';
import type { GeneratedFile } from './types.js';

/**
 * The root barrel's shared part. Its `export *`s never meet a name twice: the symbol table claimed every name of
 * these modules in one scope (with the runtime's real exports reserved first).
 */
export function rootBarrel(table: SymbolTable, present: ReadonlySet<string>, doc: string[]): TsModule {
  const F = table.files;
  const mod = new TsModule(F.ROOT_INDEX);
  mod.setHeader(jsdoc(doc));
  for (const file of [F.RUNTIME_INDEX, F.SCHEMAS_INDEX, F.EVENTS, F.TOPICS, F.PRODUCERS_INDEX]) if (present.has(file)) mod.reexportAll(file);
  for (const g of table.activeGroups()) if (present.has(g.index)) mod.reexportNamespace(g.namespace, g.index);
  return mod;
}

export function emitBarrel(table: SymbolTable, present: ReadonlySet<string>): GeneratedFile {
  const c = table.catalog;
  const mod = rootBarrel(table, present, [`${c.title} ${c.version}: generated Kafka code.`, '', 'Consumer groups are exported as namespaces (one per group).']);
  return { path: mod.path, content: mod.render(''), ownership: 'managed' };
}
