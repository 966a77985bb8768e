/** The root `index.ts`: runtime, schemas, events, topics, producers; consumer groups as namespaces. */
import type { Catalog } from '../model/types.js';
import { jsdoc } from './text.js';
import type { GeneratedFile } from './types.js';

export function emitBarrel(catalog: Catalog, present: ReadonlySet<string>): GeneratedFile {
  const lines = [
    jsdoc([`${catalog.title} ${catalog.version}: generated Kafka code.`, '', 'Consumer groups are exported as namespaces (one per group).']),
    "export * from './runtime/index.js';",
  ];
  if (present.has('schemas/index.ts')) lines.push("export * from './schemas/index.js';");
  lines.push("export * from './events.js';", "export * from './topics.js';");
  if (present.has('producers/index.ts')) lines.push("export * from './producers/index.js';");
  for (const g of catalog.groups) {
    const file = `consumers/${g.names.fileName}/index.ts`;
    if (present.has(file)) lines.push(`export * as ${g.names.memberName} from './consumers/${g.names.fileName}/index.js';`);
  }
  return { path: 'index.ts', content: lines.join('\n') + '\n', ownership: 'managed' };
}
