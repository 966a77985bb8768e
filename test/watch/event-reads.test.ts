/**
 * `gen events --watch` reuses what reading an unchanged message definition gave (`EventRead` in `model/build.ts`).
 * After random edits (some of which move every later message by lines), the model and every diagnostic, with its
 * location, equal a build from a fresh load of the same text.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../generator/load/index.js';
import { buildCatalog } from '../../generator/model/build.js';
import { syntheticCatalog } from '../bench/synthetic.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'eventgen-event-reads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rng(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
}

async function build(file: string, incremental: boolean): Promise<{ model: string; diagnostics: string[] }> {
  const { loaded, diagnostics } = await loadCatalog(file, { cwd: dir, validate: false, incremental });
  if (!loaded) return { model: '', diagnostics: diagnostics.map((d) => JSON.stringify(d)) };
  const built = buildCatalog(loaded, { sourcePath: 'c.yaml', incremental });
  return { model: JSON.stringify(built.catalog ?? null), diagnostics: [...diagnostics, ...built.diagnostics].map((d) => JSON.stringify(d)) };
}

describe('model: reused message reads', () => {
  it('equal a fresh build after random edits, diagnostics located where they are now', async () => {
    const file = path.join(dir, 'c.yaml');
    // Every event carries a warning inside its payload (an unknown keyword), so a stale location would show.
    // Address lives in a file of its own: an edit there leaves the entry file's data as it was (the same objects).
    const shared = path.join(dir, 'shared.yaml');
    let sharedText = 'Address: { type: object, required: [line1, city], properties: { line1: { type: string }, city: { type: string }, zip: { type: string } } }\n';
    let text = syntheticCatalog(40)
      .replaceAll('          tags: { type: array, items: { type: string }, maxItems: 10 }\n', '          tags: { type: array, items: { type: string }, maxItems: 10, frobnicate: 1 }\n')
      .replaceAll('$ref: "#/components/schemas/Address"', '$ref: "./shared.yaml#/Address"');
    const random = rng(11);
    const edits: Array<(t: string, e: number) => string> = [
      // same lines
      (t, e) => t.replace(new RegExp(`summary: Entity ${e} changed[^\\n]*`), `summary: Entity ${e} changed, take ${Math.floor(random() * 1e6)}.`),
      // one line more or less: every later message moves
      (t, e) => (t.includes(`extra${e}:`) ? t.replace(`          extra${e}: { type: integer, minimum: 1 }\n`, '') : t.replace(`          note${e}: `, `          extra${e}: { type: integer, minimum: 1 }\n          note${e}: `)),
      (t, e) => (t.includes(`      description: Described ${e}.\n`) ? t.replace(`      description: Described ${e}.\n`, '') : t.replace(new RegExp(`(summary: Entity ${e} changed[^\\n]*\\n)`), `$1      description: Described ${e}.\n`)),
      // a new finding in one message, and a finding gone
      (t, e) => (t.includes(`          odd${e}: { type: string, wibble: true }\n`) ? t.replace(`          odd${e}: { type: string, wibble: true }\n`, '') : t.replace(`          note${e}: `, `          odd${e}: { type: string, wibble: true }\n          note${e}: `)),
      // what the catalog-wide pass finds in a payload: an example that no longer fits it, a field marked confidential
      (t, e) => (t.includes(`    event${e}:\n      name: entity${Math.floor(e / 10)}.changed${e % 10}\n`) ? t.replace(new RegExp(`(    event${e}:\\n(?:      [^\\n]*\\n|        [^\\n]*\\n)*?        - payload: \\{ id: )3f1c9a52-0b7e-4a51-9d55-2f6f0f6b1a10`), '$1 42') : t),
      (t, e) => (t.includes(`          note${e}: { type: [string, "null"], maxLength: 200, x-data-classification: confidential }`) ? t.replace(`          note${e}: { type: [string, "null"], maxLength: 200, x-data-classification: confidential }`, `          note${e}: { type: [string, "null"], maxLength: 200 }`) : t.replace(`          note${e}: { type: [string, "null"], maxLength: 200 }`, `          note${e}: { type: [string, "null"], maxLength: 200, x-data-classification: confidential }`)),
      // the shared schema every payload reaches, in its own file: its fields' classification (every event's sensitive fields)
      (t) => {
        sharedText = sharedText.includes('city: { type: string, x-data-classification: confidential }') ? sharedText.replace('city: { type: string, x-data-classification: confidential }', 'city: { type: string }') : sharedText.replace('city: { type: string }', 'city: { type: string, x-data-classification: confidential }');
        return t;
      },
      // outside the messages: the shared schemas, a channel
      (t) => t.replace(/currency: \{ type: string, pattern: "\^\[A-Z\]\{3\}\$"( \})?/, (m) => (m.includes('minLength') ? m.replace('minLength: 3, ', '') : m.replace('pattern', 'minLength: 3, pattern'))),
      (t) => (t.includes('partitions: 12,') ? t.replace('partitions: 12,', 'partitions: 6,') : t.replace('partitions: 6,', 'partitions: 12,')),
    ];
    writeFileSync(file, text);
    writeFileSync(shared, sharedText);
    await build(file, true);
    let compared = 0;
    for (let i = 0; i < 30; i++) {
      const e = Math.floor(random() * 38);
      text = (edits[Math.floor(random() * edits.length)] as (t: string, e: number) => string)(text, e);
      writeFileSync(file, text);
      writeFileSync(shared, sharedText);
      const reused = await build(file, true);
      const fresh = await build(file, false);
      expect(reused.diagnostics).toEqual(fresh.diagnostics);
      expect(reused.model).toBe(fresh.model);
      compared++;
    }
    expect(compared).toBe(30);
  });
});
