/**
 * The docs page memo of `gen events --watch` (`PageMemo`) renders a page again only when its context changed. That
 * is exact only if pages other than the overview read no field of the catalog view beyond `LAYOUT_CATALOG_FIELDS`:
 * this test reads every template and fails when one names anything else of `catalog` (or reaches the root context
 * another way). And a memoised emit equals a fresh one after edits of one event, of the layout, of a topic.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateFromString } from '../../generator/index.js';
import { emitDocs, LAYOUT_CATALOG_FIELDS, PageMemo } from '../../generator/emit/docs/index.js';
import { templatesDir } from '../../generator/emit/docs/templates.js';
import { syntheticCatalog } from '../bench/synthetic.js';

describe('docs page memo', () => {
  it('pages other than the overview read only the layout fields of the catalog view', () => {
    const dir = templatesDir();
    const names = readdirSync(dir).filter((n) => n.endsWith('.hbs') && !n.startsWith('index.'));
    expect(names.length).toBeGreaterThan(5);
    let seen = 0;
    for (const name of names) {
      const text = readFileSync(path.join(dir, name), 'utf8');
      for (const m of text.matchAll(/\{\{[^}]*\}\}/g)) {
        const mustache = m[0];
        expect(mustache, `${name}: ${mustache}`).not.toMatch(/@root|\blookup\b|\.\.\/\.\.\//);
        for (const ref of mustache.matchAll(/(?<![\w.])catalog\b(\.[\w.]+)?/g)) {
          seen++;
          const field = (ref[1] ?? '').split('.')[1];
          expect(field !== undefined && (LAYOUT_CATALOG_FIELDS as readonly string[]).includes(field), `${name}: ${mustache} reads catalog${ref[1] ?? ''}`).toBe(true);
        }
      }
    }
    expect(seen, 'the layout reads catalog fields').toBeGreaterThan(3);
  });

  it('a memoised emit equals a fresh one after edits', () => {
    const memo = new PageMemo();
    let text = syntheticCatalog(20);
    const edits = [
      (t: string) => t.replace('summary: Entity 3 changed.', 'summary: Entity 3 changed, again.'),
      (t: string) => t.replace('title: Synthetic 20', 'title: Synthetic twenty'),
      (t: string) => t.replace('maxLength: 200 }', 'maxLength: 100 }'),
      (t: string) => t.replace('address: domain1.events.v1', 'address: domain1.events.v2'),
      (t: string) => t.replace('name: entity0.changed4', 'name: entity0.renamed4'),
      (t: string) => t,
    ];
    for (const edit of [(t: string) => t, ...edits]) {
      text = edit(text);
      const r = generateFromString(text);
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const table = r.symbols;
      if (!table) throw new Error('no symbol table');
      const options = { target: 'plain' as const, version: '0.0.0-test' };
      const fresh = emitDocs(table, options);
      const memoised = emitDocs(table, options, memo);
      expect(memoised.map((f) => f.path)).toEqual(fresh.map((f) => f.path));
      for (const [i, f] of fresh.entries()) expect(memoised[i]?.content, f.path).toBe(f.content);
    }
    expect(memo.hits).toBeGreaterThan(memo.misses);
  });
});
