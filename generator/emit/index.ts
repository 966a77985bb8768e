/**
 * All emitters, in one pure function: `(symbol table, options) -> GeneratedFile[]`, sorted by path. The symbol
 * table (`../symbols/`) holds the catalog model and every exported name and file of the tree.
 * Targets (the `TARGETS` table): `plain`, and `nestjs` (`./nestjs/`), which adds templates on top of the same model.
 */
import type { SymbolTable } from '../symbols/table.js';
import { emitBarrel } from './barrel.js';
import { emitConsumers } from './consumers.js';
import { emitDocs } from './docs/index.js';
import type { EmitMemo } from './memo.js';
import { emitEvents } from './events.js';
import { emitGateway } from './gateway/index.js';
import { emitLive } from './live/index.js';
import { nestjsTarget } from './nestjs/index.js';
import { emitOutbox } from './outbox/index.js';
import { emitProducers } from './producers.js';
import { emitRuntime, type RuntimeSource } from './runtime.js';
import { emitSagas } from './sagas/index.js';
import { emitSchemas } from './schemas.js';
import { emitStubs } from './stubs.js';
import { emitTopicProvisioning } from './topics/index.js';
import type { EmitOptions, GeneratedFile, Target } from './types.js';

export type { GeneratedFile, EmitOptions, Target, Ownership } from './types.js';
export type { RuntimeSource } from './runtime.js';
export { EmitMemo } from './memo.js';

export interface EmitAllOptions extends EmitOptions {
  runtime: readonly RuntimeSource[];
  /** `templates/gateway/` sources, when `services` includes the gateway. */
  gateway?: readonly RuntimeSource[];
  /** `templates/live/` sources, when `services` includes live. */
  live?: readonly RuntimeSource[];
  /** `templates/outbox/` sources, when `services` includes the outbox. */
  outbox?: readonly RuntimeSource[];
}

/** What differs per target: the consumer layout (with its stubs) and the root barrel; everything else is shared. */
interface TargetEmitters {
  emit(table: SymbolTable, options: EmitOptions): GeneratedFile[];
  barrel(table: SymbolTable, present: ReadonlySet<string>): GeneratedFile;
}

const TARGETS: Record<Target, TargetEmitters> = {
  plain: { emit: (table, options) => [...emitConsumers(table, options), ...emitStubs(table, options)], barrel: emitBarrel },
  nestjs: nestjsTarget,
};

export function emitAll(table: SymbolTable, options: EmitAllOptions): GeneratedFile[] {
  const target = TARGETS[options.target];
  if (target === undefined) throw new Error(`unknown target "${String(options.target)}"`);
  const files: GeneratedFile[] = [
    ...emitRuntime(options.runtime),
    ...emitSchemas(table, options),
    ...emitEvents(table, options),
    ...emitProducers(table, options),
    ...target.emit(table, options),
    ...(options.docs === false ? [] : emitDocs(table, options, options.memo?.docs)),
    ...emitTopicProvisioning(table, options),
    ...(options.services?.includes('gateway') ? emitGateway(table, options, options.gateway ?? []) : []),
    ...(options.services?.includes('live') ? emitLive(table, options, options.live ?? []) : []),
    ...(options.services?.includes('outbox') ? emitOutbox(table, options, options.outbox ?? []) : []),
    ...(options.services?.includes('sagas') ? emitSagas(table, options) : []),
  ];
  files.push(target.barrel(table, new Set(files.map((f) => f.path))));
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
