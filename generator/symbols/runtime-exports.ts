/**
 * The runtime's real exports, read from its sources (`templates/runtime/index.ts` and what it re-exports) with the
 * TypeScript compiler API, never from a hand-kept list. TypeScript is a development dependency only, so the build
 * (`npm run build`) writes the list to `dist/runtime-exports.json`, keyed by a hash of the runtime sources; an
 * installed eventgen reads that file, and a source checkout (tests) computes the list when the hash differs.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** One file of `templates/runtime/` (name relative to that directory, e.g. `producer.ts`). */
export interface RuntimeFile {
  name: string;
  content: string;
}

/** An export of `runtime/index.ts`: a value (class, function, const, enum) or a type (interface, type alias). */
export interface RuntimeExport {
  name: string;
  kind: 'value' | 'type';
  /** The runtime file that declares it, e.g. `producer.ts`. */
  file: string;
}

type Entry = Omit<RuntimeExport, 'name'>;

/** What the build writes: the exports and the hash of the sources they were read from. */
export interface RuntimeExportsFile {
  hash: string;
  exports: RuntimeExport[];
}

export const RUNTIME_EXPORTS_FILE = 'runtime-exports.json';

/** Hash of the runtime sources (names and contents), so a cached export list is never used for other sources. */
export function runtimeHash(files: readonly RuntimeFile[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) h.update(f.name).update('\0').update(f.content).update('\0');
  return h.digest('hex');
}

type TS = typeof import('typescript');

function loadTypeScript(): TS | undefined {
  try {
    return createRequire(import.meta.url)('typescript') as TS;
  } catch {
    return undefined;
  }
}

/**
 * Follows `index.ts` through `export *` and named re-exports to every exported declaration. Throws on a re-export
 * of a file that is not in `files` (the runtime is self-contained).
 */
export function computeRuntimeExports(files: readonly RuntimeFile[], ts: TS | undefined = loadTypeScript()): RuntimeExport[] {
  if (ts === undefined) throw new Error('eventgen: reading the runtime exports needs the `typescript` package (a development dependency); run `npm run build`');
  const byName = new Map(files.map((f) => [f.name, f]));
  const parsed = new Map<string, import('typescript').SourceFile>();
  const source = (name: string): import('typescript').SourceFile => {
    let sf = parsed.get(name);
    if (sf === undefined) {
      const file = byName.get(name);
      if (file === undefined) throw new Error(`eventgen: the runtime re-exports "${name}", which is not in templates/runtime/`);
      sf = ts.createSourceFile(name, file.content, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
      parsed.set(name, sf);
    }
    return sf;
  };
  const target = (from: string, spec: string): string => path.posix.normalize(path.posix.join(path.posix.dirname(from), spec.replace(/\.js$/, '.ts')));
  const exported = (node: import('typescript').Node): boolean =>
    ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

  /** Local declarations of a file: name → kind (a class or enum is a value; merged declarations keep `value`). */
  const locals = (sf: import('typescript').SourceFile): Map<string, Entry> => {
    const out = new Map<string, Entry>();
    const add = (name: string, kind: Entry['kind']): void => {
      if (out.get(name)?.kind !== 'value') out.set(name, { kind, file: sf.fileName });
    };
    for (const st of sf.statements) {
      if (ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) add(st.name.text, 'type');
      else if ((ts.isClassDeclaration(st) || ts.isFunctionDeclaration(st) || ts.isEnumDeclaration(st)) && st.name) add(st.name.text, 'value');
      else if (ts.isVariableStatement(st)) {
        for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name)) add(d.name.text, 'value');
      }
    }
    return out;
  };

  const visiting = new Set<string>();
  const exportsOf = (name: string): Map<string, Entry> => {
    if (visiting.has(name)) return new Map();
    visiting.add(name);
    const sf = source(name);
    const local = locals(sf);
    const out = new Map<string, Entry>();
    const here = (kind: Entry['kind']): Entry => ({ kind, file: name });
    for (const st of sf.statements) {
      if (ts.isExportDeclaration(st)) {
        const spec = st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier) ? st.moduleSpecifier.text : undefined;
        const from = spec === undefined ? undefined : exportsOf(target(name, spec));
        if (st.exportClause === undefined) {
          for (const [n, k] of from ?? []) if (n !== 'default') out.set(n, k);
        } else if (ts.isNamespaceExport(st.exportClause)) {
          out.set(st.exportClause.name.text, here('value'));
        } else {
          for (const el of st.exportClause.elements) {
            const original = (el.propertyName ?? el.name).text;
            const found = (from ?? local).get(original) ?? here('value');
            out.set(el.name.text, st.isTypeOnly || el.isTypeOnly ? { ...found, kind: 'type' } : found);
          }
        }
      } else if (exported(st)) {
        if (ts.isVariableStatement(st)) {
          for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name)) out.set(d.name.text, here('value'));
        } else if ((ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) && out.get(st.name.text)?.kind !== 'value') {
          out.set(st.name.text, here('type'));
        } else if ((ts.isClassDeclaration(st) || ts.isFunctionDeclaration(st) || ts.isEnumDeclaration(st)) && st.name) {
          out.set(st.name.text, here('value'));
        }
      }
    }
    visiting.delete(name);
    return out;
  };
  return [...exportsOf('index.ts')].map(([name, e]) => ({ name, ...e })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const memo = new Map<string, RuntimeExport[]>();

/**
 * The runtime's exports: from `cacheFile` (written by the build) when its hash matches the sources, else computed
 * with TypeScript. Memoised per sources hash.
 */
export function runtimeExports(files: readonly RuntimeFile[], cacheFile?: string): RuntimeExport[] {
  const hash = runtimeHash(files);
  const known = memo.get(hash);
  if (known !== undefined) return known;
  let result: RuntimeExport[] | undefined;
  if (cacheFile !== undefined) {
    try {
      const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as RuntimeExportsFile;
      if (cached.hash === hash && Array.isArray(cached.exports)) result = cached.exports;
    } catch {
      // no cache (a source checkout before its first build): compute below
    }
  }
  result ??= computeRuntimeExports(files);
  memo.set(hash, result);
  return result;
}
