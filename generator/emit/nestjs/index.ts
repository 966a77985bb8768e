/**
 * The NestJS target (`gen events --target nestjs`): the shared artifacts (runtime, schemas, events, topics,
 * producers) plus a Nest layer on the same runtime: `kafka/` (KafkaModule, producer and consumer services, the one
 * dispatcher, `@EventHandler()` discovery, health indicator), `base/` and per consumer group the topic-delegator
 * layout with `@Injectable` handlers and a module. See docs/nestjs.md.
 */
import { NEST } from '../../symbols/files.js';
import { sym } from '../../symbols/sym.js';
import type { SymbolTable } from '../../symbols/table.js';
import { rootBarrel } from '../barrel.js';
import { TsModule } from '../printer.js';
import { jsdoc } from '../text.js';
import type { EmitOptions, GeneratedFile } from '../types.js';
import { emitNestBase } from './base.js';
import { emitNestConsumers } from './consumers.js';
import { emitNestDecorators } from './decorators.js';
import { emitNestDispatcher } from './dispatcher.js';
import { emitNestHealth } from './health.js';
import { emitNestServices } from './services.js';
import { emitNestSetup } from './setup.js';

/** `kafka/index.ts`: the NestJS layer (none of it needs `@nestjs/terminus`). */
function kafkaIndex(table: SymbolTable): GeneratedFile {
  const mod = new TsModule(NEST.kafkaIndex);
  mod.setHeader(jsdoc('The NestJS layer.'));
  for (const s of Object.values(table.nest)) {
    if (s.from.startsWith('kafka/')) mod.reexport(s);
  }
  return { path: mod.path, content: mod.render(''), ownership: 'managed' };
}

/** The NestJS-specific files (everything but the shared artifacts and the root barrel). */
export function emitNestjs(table: SymbolTable, _options: EmitOptions): GeneratedFile[] {
  return [
    ...emitNestBase(table),
    ...emitNestSetup(table),
    emitNestDispatcher(table),
    ...emitNestDecorators(table),
    ...emitNestServices(table),
    emitNestHealth(table),
    kafkaIndex(table),
    ...emitNestConsumers(table),
  ];
}

/** The root `index.ts` of the NestJS tree; consumer groups as namespaces. */
export function emitNestBarrel(table: SymbolTable, present: ReadonlySet<string>): GeneratedFile {
  const c = table.catalog;
  const mod = rootBarrel(table, present, [
    `${c.title} ${c.version}: generated Kafka code for NestJS.`,
    '',
    'Consumer groups are exported as namespaces (one per group). `EventHandler` is the decorator; the runtime\'s',
    '`EventHandler` interface stays in `./runtime/index.js`.',
  ]);
  mod.reexportAll(NEST.baseIndex);
  mod.reexportAll(NEST.kafkaIndex);
  // Both the runtime and the Nest layer export `EventHandler`: the explicit re-export decides for the decorator.
  mod.reexport(sym(table.nest.EventHandler.name, NEST.kafkaIndex));
  return { path: mod.path, content: mod.render(''), ownership: 'managed' };
}

/** The NestJS target's entries of `emitAll`'s target table. */
export const nestjsTarget = { emit: emitNestjs, barrel: emitNestBarrel };
