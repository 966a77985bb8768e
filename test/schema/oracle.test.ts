/**
 * Oracle: for every fixture, ajv (+ ajv-formats) on the raw JSON Schema and the emitted Zod code must
 * both accept every `valid` sample and reject every `invalid` one. The emitted code also type-checks
 * under `tsc --strict` and contains no `any`.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFixture, loadFixtures, type Fixture } from './harness.js';

const require = createRequire(import.meta.url);
const Ajv = require('ajv').default as new (o: object) => AjvLike;
const Ajv2020 = require('ajv/dist/2020').default as new (o: object) => AjvLike;
const addFormats = require('ajv-formats').default as (a: AjvLike) => void;
interface AjvLike {
  compile(schema: object): (data: unknown) => boolean;
}
interface ZodLike {
  safeParse(data: unknown): { success: boolean };
}

const OUT = fileURLToPath(new URL(`../output/schema-oracle-${process.pid}/`, import.meta.url));
mkdirSync(OUT, { recursive: true });
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

function ajvFor(fixture: Fixture): (data: unknown) => boolean {
  const ajv = fixture.draft === '2020-12' ? new Ajv2020({ strict: false }) : new Ajv({ strict: false });
  addFormats(ajv);
  return ajv.compile(fixture.schema);
}

async function zodFor(name: string, code: string): Promise<ZodLike> {
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  const file = join(OUT, `${name}.mjs`);
  writeFileSync(file, js);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, ZodLike>;
  return mod['RootSchema'] as ZodLike;
}

const fixtures = loadFixtures();

describe('oracle: ajv and the emitted Zod agree on every fixture sample', () => {
  it('has the fixtures', () => expect(fixtures.length).toBeGreaterThanOrEqual(15));
  for (const { name, fixture } of fixtures) {
    it(`${name}: ${fixture.description}`, async () => {
      const built = buildFixture(fixture);
      const ajv = ajvFor(fixture);
      const zod = await zodFor(name, built.code);
      for (const sample of fixture.valid) {
        const json = JSON.stringify(sample);
        expect(ajv(sample), `ajv should accept ${json}`).toBe(true);
        expect(zod.safeParse(sample).success, `zod should accept ${json}\n${built.code}`).toBe(true);
      }
      for (const sample of fixture.invalid) {
        const json = JSON.stringify(sample);
        expect(ajv(sample), `ajv should reject ${json}`).toBe(false);
        expect(zod.safeParse(sample).success, `zod should reject ${json}\n${built.code}`).toBe(false);
      }
    });
  }
});

describe('emitted code type-checks under tsc --strict', () => {
  it('all fixtures compile with zero diagnostics and contain no any', () => {
    const dir = join(OUT, 'tsc');
    mkdirSync(dir, { recursive: true });
    const files: string[] = [];
    for (const { name, fixture } of fixtures) {
      const { code } = buildFixture(fixture);
      const withoutComments = code.replace(/\/\*\*[\s\S]*?\*\//g, '');
      expect(withoutComments, name).not.toMatch(/\bany\b/);
      const file = join(dir, `${name}.ts`);
      writeFileSync(file, code);
      files.push(file);
    }
    const program = ts.createProgram(files, {
      strict: true,
      noEmit: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      skipLibCheck: true,
      noUncheckedIndexedAccess: true,
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file ? `${d.file.fileName.replace(dir, '')}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : '';
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(diagnostics).toEqual([]);
  });
});
