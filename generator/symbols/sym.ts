/** A symbol of the generated tree: one exported name, the module that declares it, and whether it is a type. */

/** How a symbol is imported: values (classes, functions, constants) with `import`, types with `import type`. */
export type SymKind = 'value' | 'type';

export interface Sym {
  /** The exported identifier. */
  readonly name: string;
  /**
   * The module that declares it: an output-relative file (`schemas/order-created.ts`, `runtime/index.ts`) or a
   * package (`zod/v4`, `@nestjs/common`).
   */
  readonly from: string;
  readonly kind: SymKind;
}

export const sym = (name: string, from: string, kind: SymKind = 'value'): Sym => ({ name, from, kind });

/** A symbol of an npm package the generated code imports (`@nestjs/common`, `kafkajs`). */
export const pkg = (from: string, name: string, kind: SymKind = 'value'): Sym => ({ name, from, kind });

/** True when `from` is a file of the generated tree (not a package). */
export const isTreeFile = (from: string): boolean => from.endsWith('.ts');
