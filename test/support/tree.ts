/** Test helpers: generate trees, write them under test/output, type-check them with the TypeScript API. */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { generate, type GenerateResult } from '../../generator/index.js';
import type { GeneratedFile } from '../../generator/emit/types.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const OUTPUT = path.join(ROOT, 'test/output');
export const FIXTURES = path.join(ROOT, 'test/fixtures/catalogs');

export const FIXTURE_CATALOGS = ['minimal', 'legacy-26', 'multi-file', 'hostile', 'java', 'legacy-formats'] as const;

/** Fixtures that are compiled (both targets) but have no golden tree: their names are pinned by unit tests. */
export const COMPILE_ONLY_FIXTURES = ['names', 'exactly-once'] as const;

export function fixturePath(name: string): string {
  return path.join(FIXTURES, name, 'asyncapi.yaml');
}

/**
 * Generate with paths shown relative to the repo root (stable banners). With the gateway and the sagas (`--with
 * gateway,sagas`), as the bundled catalog's eventgen.config.json asks: every golden and compiled tree covers those
 * emitters too (catalogs without `x-sagas` get no sagas/).
 */
export async function generateAt(catalog: string): Promise<GenerateResult> {
  return generate(path.relative(ROOT, catalog), { cwd: ROOT, services: ['gateway', 'sagas'] });
}

/** Write files to a fresh directory under test/output (plain writes: this is test scaffolding). */
export function writeTree(name: string, files: readonly GeneratedFile[]): string {
  const dir = path.join(OUTPUT, name);
  rmSync(dir, { recursive: true, force: true });
  for (const f of files) {
    const target = path.join(dir, f.path);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, f.content);
  }
  return dir;
}

/** The strictest settings a NodeNext ESM user plausibly has. */
export const STRICT: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  verbatimModuleSyntax: true,
  noImplicitOverride: true,
  noUnusedLocals: true,
  noFallthroughCasesInSwitch: true,
  types: ['node'],
};

/** Type-check every .ts file under the given directories in one program; returns formatted errors. */
export function typecheck(dirs: readonly string[], extraFiles: readonly string[] = []): string[] {
  const files: string[] = [...extraFiles];
  for (const dir of dirs) files.push(...(ts.sys.readDirectory(dir, ['.ts']) ?? []));
  const program = ts.createProgram(files, STRICT);
  const diags = ts.getPreEmitDiagnostics(program);
  return diags.map((d) => {
    const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file || d.start === undefined) return msg;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${path.relative(ROOT, d.file.fileName)}:${line + 1}:${character + 1} ${msg}`;
  });
}

/** Identifiers that appear in code (not in strings or comments) of a TS source. */
export function codeIdentifiers(source: string): Set<string> {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, source);
  const out = new Set<string>();
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind === ts.SyntaxKind.Identifier) out.add(scanner.getTokenText());
    // Template literals would need re-scanning; generated code must not contain catalog text in them.
  }
  return out;
}
