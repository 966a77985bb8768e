/**
 * All emitters, in one pure function: `(catalog, options) -> GeneratedFile[]`, sorted by path.
 * Targets: `plain` (this module); `nestjs` adds templates on top of the same model (later issue).
 */
import type { Catalog } from '../model/types.js';
import { emitBarrel } from './barrel.js';
import { emitConsumers } from './consumers.js';
import { emitEvents } from './events.js';
import { emitProducers } from './producers.js';
import { emitRuntime, type RuntimeSource } from './runtime.js';
import { emitSchemas } from './schemas.js';
import { emitStubs } from './stubs.js';
import type { EmitOptions, GeneratedFile } from './types.js';

export type { GeneratedFile, EmitOptions, Target, Ownership } from './types.js';
export type { RuntimeSource } from './runtime.js';

export interface EmitAllOptions extends EmitOptions {
  runtime: readonly RuntimeSource[];
}

export function emitAll(catalog: Catalog, options: EmitAllOptions): GeneratedFile[] {
  if (options.target !== 'plain') throw new Error(`target "${options.target}" is not available yet`);
  const files: GeneratedFile[] = [
    ...emitRuntime(options.runtime),
    ...emitSchemas(catalog, options),
    ...emitEvents(catalog, options),
    ...emitProducers(catalog, options),
    ...emitConsumers(catalog, options),
    ...emitStubs(catalog, options),
  ];
  files.push(emitBarrel(catalog, new Set(files.map((f) => f.path))));
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
