/** `runtime/`: the hand-written runtime from `templates/runtime/`, copied verbatim (managed). */
import type { GeneratedFile } from './types.js';

export interface RuntimeSource {
  /** File name inside `templates/runtime/`, e.g. `producer.ts`. */
  name: string;
  content: string;
}

export function emitRuntime(sources: readonly RuntimeSource[]): GeneratedFile[] {
  return copyTemplates(sources, 'runtime');
}

/** Hand-written template sources copied verbatim (managed) into `<dir>/` of the tree: the runtime, the gateway server. */
export function copyTemplates(sources: readonly RuntimeSource[], dir: string): GeneratedFile[] {
  return [...sources]
    .filter((s) => s.name.endsWith('.ts') && !s.name.endsWith('.test.ts'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((s) => ({ path: `${dir}/${s.name}`, content: s.content, ownership: 'managed' as const }));
}
