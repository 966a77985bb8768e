/**
 * Compile tests: every generated tree (bundled catalog, fixtures) type-checks under the strictest NodeNext settings,
 * in one TypeScript program, and contains no `any`. The shared corpus is checked by corpus.test.ts.
 */
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
