/**
 * Compile tests: every generated tree (bundled catalog, fixtures, corpus documents that generate) type-checks
 * under the strictest NodeNext settings, in one TypeScript program, and contains no `any`.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPILE_ONLY_FIXTURES, FIXTURE_CATALOGS, fixturePath, generateAt, ROOT, typecheck, writeTree } from './support/tree.js';

const ANY = /(:\s*any\b|<any>|\bas any\b|any\[\])/;

describe('compile: generated trees under tsc --strict (NodeNext)', () => {
  it('type-checks the bundled catalog and every fixture with zero errors and no any', async () => {
    const dirs: string[] = [];
    const catalogs: Array<[string, string]> = [
      ['shop', path.join(ROOT, 'catalog/shop.asyncapi.yaml')],
      ...[...FIXTURE_CATALOGS, ...COMPILE_ONLY_FIXTURES].map((n) => [n, fixturePath(n)] as [string, string]),
    ];
    for (const [name, file] of catalogs) {
      const result = await generateAt(file);
      expect(result.files.length, name).toBeGreaterThan(0);
      for (const f of result.files) expect(ANY.test(f.content), `${name}/${f.path} contains any`).toBe(false);
      dirs.push(writeTree(path.join('compile', name), result.files));
    }
    expect(typecheck(dirs)).toEqual([]);
  });
});

describe('corpus: real-world AsyncAPI documents generate compiling code or are refused precisely', () => {
  const corpus = path.resolve(ROOT, '../shared/corpus/asyncapi-spec-examples');
  const docs = readdirSync(corpus).filter((n) => /\.ya?ml$/.test(n)).sort();

  it('has documents to check', () => {
    expect(docs.length).toBeGreaterThan(10);
  });

  it('each document: output that compiles, or located errors and nothing generated', async () => {
    const dirs: string[] = [];
    const outcomes: string[] = [];
    for (const doc of docs) {
      const result = await generateAt(path.join(corpus, doc));
      const errors = result.diagnostics.filter((d) => d.severity === 'error');
      if (errors.length) {
        expect(result.files, doc).toEqual([]);
        for (const e of errors) {
          expect(e.location, `${doc}: ${e.message}`).toBeDefined();
          expect(e.location?.line).toBeGreaterThan(0);
          expect(e.message).not.toMatch(/\n\s+at /); // no stack traces
        }
        outcomes.push(`${doc}: refused (${[...new Set(errors.map((e) => e.rule))].join(', ')})`);
      } else {
        dirs.push(writeTree(path.join('corpus', doc.replace(/\.ya?ml$/, '')), result.files));
        outcomes.push(`${doc}: generated ${result.files.length} files`);
      }
    }
    expect(dirs.length).toBeGreaterThan(0);
    expect(typecheck(dirs)).toEqual([]);
    expect(outcomes).toHaveLength(docs.length);
  });
});
