import type { NamedSchema } from '../../model/types.js';

/** What the Zod emitter needs from the file emitter that calls it. */
export interface ZodEmitContext {
  /** The Zod constant for a named schema, e.g. `AddressSchema`; the caller records the import. */
  schemaRef(id: string): string;
  isRecursive(id: string): boolean;
  lookup(id: string): NamedSchema | undefined;
  /**
   * The TypeScript type name of a named schema (`mode: 'input'` -> its `...Input` type); the caller
   * records a type import. Only needed for recursive schemas that get explicit types. Defaults to
   * `lookup(id).typeName` (+ `Input`).
   */
  typeRef?(id: string, mode: 'output' | 'input'): string;
  /** The runtime's `ownProperties` wrapper (imported by the caller), for objects with Object.prototype-named keys. */
  ownProperties?(): string;
}

/** Per-declaration emission state. */
export interface EmitState {
  ctx: ZodEmitContext;
  /** The recursive named schema being declared, if any. */
  self?: NamedSchema;
  /** Getter mode: refs to recursive schemas are allowed only inside object getters. */
  inGetter: boolean;
  /** Lazy mode: the whole expression is wrapped in `z.lazy`, refs are always safe. */
  lazy: boolean;
  /** Set when getter mode cannot type-check (a deferred ref outside a getter, or a getter tsc cannot infer). */
  needsExplicitType: boolean;
}

export function newState(ctx: ZodEmitContext, self?: NamedSchema, lazy = false): EmitState {
  const st: EmitState = { ctx, inGetter: false, lazy, needsExplicitType: false };
  if (self !== undefined) st.self = self;
  return st;
}

/** Mark that something tsc cannot infer through a getter was emitted. */
export function markUninferable(st: EmitState): void {
  if (st.inGetter && !st.lazy) st.needsExplicitType = true;
}

export const INDENT = '  ';
export const pad = (level: number): string => INDENT.repeat(level);
