/**
 * The one place that writes import blocks. Emitters ask for symbols (`mod.use('EventProducer',
 * 'runtime/index.ts')`) and get back the local name; `render()` prints sorted, de-duplicated imports
 * with relative `.js` specifiers (NodeNext) and `import type` where a module is only used for types.
 */
import path from 'node:path';

interface Imported {
  local: string;
  typeOnly: boolean;
}

export class TsModule {
  /** module specifier → exported name → how it is imported */
  private readonly imports = new Map<string, Map<string, Imported>>();
  private readonly locals = new Map<string, string>();

  /** @param path the file's path relative to the output root, e.g. `producers/orders.producer.ts` */
  constructor(readonly path: string) {}

  /**
   * Import `name` from `from`: a package name (`zod`) or an output-relative file (`runtime/index.ts`).
   * Returns the local identifier (aliased when another module already took the name).
   */
  use(name: string, from: string, options: { type?: boolean } = {}): string {
    const spec = this.specifier(from);
    let names = this.imports.get(spec);
    if (!names) {
      names = new Map();
      this.imports.set(spec, names);
    }
    const existing = names.get(name);
    if (existing) {
      if (!options.type) existing.typeOnly = false;
      return existing.local;
    }
    let local = name;
    for (let i = 2; this.locals.has(local) && this.locals.get(local) !== `${spec}#${name}`; i++) local = `${name}_${i}`;
    this.locals.set(local, `${spec}#${name}`);
    names.set(name, { local, typeOnly: options.type === true });
    return local;
  }

  /** Shorthand for a type-only import. */
  type(name: string, from: string): string {
    return this.use(name, from, { type: true });
  }

  private specifier(from: string): string {
    if (!from.endsWith('.ts')) return from; // a package
    let rel = path.posix.relative(path.posix.dirname(this.path), from.replace(/\.ts$/, '.js'));
    if (!rel.startsWith('.')) rel = './' + rel;
    return rel;
  }

  /** The import block followed by `body`; ends with exactly one newline. */
  render(body: string): string {
    const specs = [...this.imports.keys()].sort((a, b) => {
      const ra = a.startsWith('.') ? 1 : 0;
      const rb = b.startsWith('.') ? 1 : 0;
      return ra - rb || (a < b ? -1 : a > b ? 1 : 0);
    });
    const lines: string[] = [];
    for (const spec of specs) {
      const names = [...(this.imports.get(spec) ?? new Map<string, Imported>()).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const allTypes = names.every(([, i]) => i.typeOnly);
      const parts = names.map(([n, i]) => `${!allTypes && i.typeOnly ? 'type ' : ''}${n}${i.local !== n ? ` as ${i.local}` : ''}`);
      const head = allTypes ? 'import type' : 'import';
      const oneLine = `${head} { ${parts.join(', ')} } from '${spec}';`;
      lines.push(oneLine.length <= 110 ? oneLine : `${head} {\n${parts.map((p) => `  ${p},`).join('\n')}\n} from '${spec}';`);
    }
    const text = (lines.length ? lines.join('\n') + '\n\n' : '') + body.trim() + '\n';
    return text;
  }
}
