/** Helpers of the NestJS-target tests: generate NestJS trees and type-check them with decorator settings. */
import path from 'node:path';
import ts from 'typescript';
import { generate, type GenerateResult } from '../../generator/index.js';
import { ROOT, STRICT } from '../support/tree.js';

export { COMPILE_ONLY_FIXTURES, FIXTURE_CATALOGS, fixturePath, ROOT, writeTree } from '../support/tree.js';

export const SHOP = path.join(ROOT, 'catalog/shop.asyncapi.yaml');

/** Generate the NestJS tree with paths relative to the repo root (stable banners). */
export async function generateNest(catalog: string): Promise<GenerateResult> {
  return generate(path.relative(ROOT, catalog), { cwd: ROOT, target: 'nestjs' });
}

/** The strictest NodeNext settings plus what NestJS needs: legacy decorators with emitted metadata. */
export const NEST_STRICT: ts.CompilerOptions = { ...STRICT, experimentalDecorators: true, emitDecoratorMetadata: true };

/** Type-check every .ts file under the given directories in one program; returns formatted errors. */
export function typecheckNest(dirs: readonly string[], extraFiles: readonly string[] = []): string[] {
  const files: string[] = [...extraFiles];
  for (const dir of dirs) files.push(...(ts.sys.readDirectory(dir, ['.ts']) ?? []));
  const program = ts.createProgram(files, NEST_STRICT);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file || d.start === undefined) return msg;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${path.relative(ROOT, d.file.fileName)}:${line + 1}:${character + 1} ${msg}`;
  });
}
