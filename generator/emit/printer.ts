/**
 * The one place that writes import and re-export blocks. Emitters ask for symbols from the symbol table
 * (`mod.use(table.runtime('EventProducer'))`) and get back the local name; `render()` prints sorted, de-duplicated
 * imports with relative `.js` specifiers (NodeNext) and `import type` where a module is only used for types, then
 * the re-exports, then the body. Names the file declares itself (`declare`) are never shadowed by an import: the
 * import is aliased instead.
 */
import path from 'node:path';
import { isTreeFile, type Sym } from '../symbols/sym.js';

interface Imported {
  local: string;
  typeOnly: boolean;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Import specifiers by importing directory and imported file (a pure function of the two; emitters ask for the same
 * pairs thousands of times per run, and `--watch` runs again and again). Bounded per directory.
 */
const specifiers = new Map<string, Map<string, string>>();

export class TsModule {
  /** module specifier → exported name → how it is imported */
  private readonly imports = new Map<string, Map<string, Imported>>();
  /** local name → `specifier#name` it stands for (or `#self` for the file's own declarations) */
  private readonly locals = new Map<string, string>();
  /** module specifier → re-exported names (`*` for `export *`) */
  private readonly reexports = new Map<string, Map<string, { alias: string; typeOnly: boolean }>>();
  private readonly namespaces = new Map<string, string>();
  private header = '';

  /** @param path the file's path relative to the output root, e.g. `producers/orders.producer.ts` */
  constructor(readonly path: string) {}

  /**
   * Import `s` (a value import, or a type import when `s` is a type). Returns the local identifier (aliased when
   * another module or the file itself already took the name). `{ type: true }` imports a value symbol for type
   * positions only.
   */
  use(s: Sym, options: { type?: boolean } = {}): string {
    if (s.from === this.path) return this.ownName(s);
    const spec = this.specifier(s.from);
    let names = this.imports.get(spec);
    if (!names) {
      names = new Map();
      this.imports.set(spec, names);
    }
    const typeOnly = options.type === true || s.kind === 'type';
    const existing = names.get(s.name);
    if (existing) {
      if (!typeOnly) existing.typeOnly = false;
      return existing.local;
    }
    let local = s.name;
    for (let i = 2; this.locals.has(local) && this.locals.get(local) !== `${spec}#${s.name}`; i++) local = `${s.name}_${i}`;
    this.locals.set(local, `${spec}#${s.name}`);
    names.set(s.name, { local, typeOnly });
    return local;
  }

  /** Import `s` for type positions only (`import type`). */
  type(s: Sym): string {
    return this.use(s, { type: true });
  }

  /**
   * Declare `s` in this file (it must be this file's symbol); returns its name. Call before importing anything
   * that could share the name, e.g. at the top of the emitter.
   */
  declare(s: Sym): string {
    if (s.from !== this.path) throw new Error(`internal: ${s.name} belongs to ${s.from}, not ${this.path}`);
    const owner = this.locals.get(s.name);
    if (owner !== undefined && owner !== '#self') throw new Error(`internal: ${this.path} declares ${s.name} after importing a symbol of that name`);
    this.locals.set(s.name, '#self');
    return s.name;
  }

  private ownName(s: Sym): string {
    const owner = this.locals.get(s.name);
    if (owner !== undefined && owner !== '#self') throw new Error(`internal: ${this.path} uses its own ${s.name} after importing a symbol of that name`);
    this.locals.set(s.name, '#self');
    return s.name;
  }

  /** Text printed first, before the imports (e.g. a barrel's JSDoc). */
  setHeader(text: string): void {
    this.header = text.trim();
  }

  /** `export { name } from '...'` (or `export type { ... }` for types); `alias` renames it. */
  reexport(s: Sym, alias = s.name): void {
    const spec = this.specifier(s.from);
    let names = this.reexports.get(spec);
    if (!names) {
      names = new Map();
      this.reexports.set(spec, names);
    }
    names.set(alias, { alias: s.name, typeOnly: s.kind === 'type' });
  }

  /** `export * from '...'` for a file of the tree. */
  reexportAll(file: string): void {
    const spec = this.specifier(file);
    if (!this.reexports.has(spec)) this.reexports.set(spec, new Map());
    this.reexports.get(spec)?.set('*', { alias: '*', typeOnly: false });
  }

  /** `export * as name from '...'`. */
  reexportNamespace(name: string, file: string): void {
    this.namespaces.set(name, this.specifier(file));
  }

  private specifier(from: string): string {
    if (!isTreeFile(from)) return from; // a package
    const dir = path.posix.dirname(this.path);
    let byFile = specifiers.get(dir);
    if (byFile === undefined) specifiers.set(dir, (byFile = new Map()));
    let rel = byFile.get(from);
    if (rel === undefined) {
      rel = path.posix.relative(dir, from.replace(/\.ts$/, '.js'));
      if (!rel.startsWith('.')) rel = './' + rel;
      if (byFile.size < 10_000) byFile.set(from, rel);
    }
    return rel;
  }

  private static order(a: string, b: string): number {
    const ra = a.startsWith('.') ? 1 : 0;
    const rb = b.startsWith('.') ? 1 : 0;
    return ra - rb || compare(a, b);
  }

  private static block(head: string, parts: string[], spec: string): string {
    const oneLine = `${head} { ${parts.join(', ')} } from '${spec}';`;
    return oneLine.length <= 110 ? oneLine : `${head} {\n${parts.map((p) => `  ${p},`).join('\n')}\n} from '${spec}';`;
  }

  /** The import block, the re-exports, then `body`; ends with exactly one newline. */
  render(body: string): string {
    const lines: string[] = [];
    for (const spec of [...this.imports.keys()].sort(TsModule.order)) {
      const names = [...(this.imports.get(spec) ?? new Map<string, Imported>()).entries()].sort(([a], [b]) => compare(a, b));
      const allTypes = names.every(([, i]) => i.typeOnly);
      const parts = names.map(([n, i]) => `${!allTypes && i.typeOnly ? 'type ' : ''}${n}${i.local !== n ? ` as ${i.local}` : ''}`);
      lines.push(TsModule.block(allTypes ? 'import type' : 'import', parts, spec));
    }
    const exportLines: string[] = [];
    for (const spec of [...this.reexports.keys()].sort(TsModule.order)) {
      const names = [...(this.reexports.get(spec) ?? new Map<string, { alias: string; typeOnly: boolean }>()).entries()].sort(([a], [b]) => compare(a, b));
      if (names.some(([n]) => n === '*')) exportLines.push(`export * from '${spec}';`);
      const named = names.filter(([n]) => n !== '*');
      if (named.length === 0) continue;
      const allTypes = named.every(([, i]) => i.typeOnly);
      const parts = named.map(([n, i]) => `${!allTypes && i.typeOnly ? 'type ' : ''}${i.alias}${i.alias !== n ? ` as ${n}` : ''}`);
      exportLines.push(TsModule.block(allTypes ? 'export type' : 'export', parts, spec));
    }
    for (const [name, spec] of [...this.namespaces.entries()].sort(([a], [b]) => compare(a, b))) exportLines.push(`export * as ${name} from '${spec}';`);
    const sections = [this.header, lines.join('\n'), exportLines.join('\n'), body.trim()].filter((s) => s !== '');
    return sections.join('\n\n') + '\n';
  }
}
