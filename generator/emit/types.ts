import type { SymbolTable } from '../symbols/table.js';
import type { EmitMemo } from './memo.js';

/** Who owns a generated file on disk. */
export type Ownership = 'managed' | 'scaffold';

/**
 * One file an emitter produces. `path` is relative to the output root, with forward slashes.
 * `managed` files carry the banner and are rewritten/deleted by eventgen; `scaffold` files (handler
 * stubs) are created once and never touched again.
 */
export interface GeneratedFile {
  path: string;
  content: string;
  ownership: Ownership;
}

export type Target = 'plain' | 'nestjs';

/** Optional services around the events (`--with`, `"with"` in the config file); off by default. */
export const SERVICES = ['gateway', 'live', 'outbox', 'sagas'] as const;
export type Service = (typeof SERVICES)[number];

export interface EmitOptions {
  target: Target;
  /** eventgen version written in banners. */
  version: string;
  /** Emit `docs/` (Markdown + site); default true. Services that publish docs elsewhere turn it off. */
  docs?: boolean;
  /** Optional services to emit (`gateway/`, ...); default none. */
  services?: readonly Service[];
  /** `gen events --watch`: the session's memo; emitters reuse the previous run's output of units whose inputs are the same. */
  memo?: EmitMemo;
}

/** An emitter: a pure function of the catalog, through its symbol table (`table.catalog` is the model). */
export type Emitter = (table: SymbolTable, options: EmitOptions) => GeneratedFile[];
