/**
 * `spliceSource` (`--watch`): after an edit inside `components.messages` entries only those entries are parsed again;
 * the data and every position must equal a whole parse of the new text, and anything it cannot splice exactly is
 * left to the whole parse.
 */
import { describe, expect, it } from 'vitest';
import { joinPointer, parseSource, prepareSplice, rehearsalTexts, spliceIndexStats, spliceSource, type SourceFile } from '../../generator/load/source.js';
import { syntheticCatalog } from '../bench/synthetic.js';

function pointers(data: unknown, at = '', out: string[] = []): string[] {
  out.push(at);
  if (Array.isArray(data)) data.forEach((v, i) => pointers(v, joinPointer(at, i), out));
  else if (typeof data === 'object' && data !== null) for (const [k, v] of Object.entries(data)) pointers(v, joinPointer(at, k), out);
  return out;
}

function expectSame(spliced: SourceFile, text: string): void {
  const whole = parseSource(text, spliced.absPath).file as SourceFile;
  expect(spliced.data).toEqual(whole.data);
  const all = pointers(whole.data);
  // also missing paths (located at their deepest existing ancestor)
  all.push('/components/messages/event3/nope/deeper', '/components/nothing', '#/channels/topic0/messages/event1');
  for (const p of all) expect(spliced.locate(p), p).toEqual(whole.locate(p));
  expect(spliced.parserText).toBe(whole.parserText);
}

/** A small deterministic PRNG: the same sequence every run. */
function rng(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
}

describe('spliceSource', () => {
  it('prepareSplice indexes a whole-parsed file ahead of the edit, once; a spliced file needs no index of its own', () => {
    const text = syntheticCatalog(12);
    const file = parseSource(text, '/tmp/catalog.yaml').file as SourceFile;
    const before = spliceIndexStats.built;
    prepareSplice(file);
    expect(spliceIndexStats.built).toBe(before + 1);
    prepareSplice(file);
    expect(spliceIndexStats.built).toBe(before + 1);
    const next = text.replace('summary: Entity 3 changed.', 'summary: Entity 3 changed, prepared.');
    const spliced = spliceSource(file, next) as SourceFile;
    expect(spliced).toBeDefined();
    expectSame(spliced, next);
    prepareSplice(spliced);
    const again = next.replace('summary: Entity 4 changed.', 'summary: Entity 4 changed, prepared.');
    expectSame(spliceSource(spliced, again) as SourceFile, again);
    expect(spliceIndexStats.built).toBe(before + 1);
  });

  it('equals a whole parse after random edits of message entries (data, every position, parser text)', () => {
    const base = syntheticCatalog(24);
    let text = base;
    let file = parseSource(text, '/tmp/catalog.yaml').file as SourceFile;
    const random = rng(7);
    let spliced = 0;
    const edits: Array<(t: string, e: number) => string> = [
      (t, e) => t.replace(`summary: Entity ${e} changed.`, `summary: Entity ${e} changed, edited ${Math.floor(random() * 1000)}.`),
      (t, e) => t.includes(`extra${e}:`) ? t : t.replace(`          note${e}: { type: [string, "null"], maxLength: 200 }\n`, `          note${e}: { type: [string, "null"], maxLength: 200 }\n          extra${e}:\n            type: integer\n            minimum: 1\n`),
      (t, e) => t.replace(`          extra${e}:\n            type: integer\n            minimum: 1\n`, ''),
      (t, e) => t.replace(`    event${e}:\n      name:`, `    event${e}:\n      # a comment\n      name:`),
      (t, e) => t.replace(`summary: Entity ${e} changed.`, `summary: Entity ${e} changed.`).replace(`summary: Entity ${e + 1} changed.`, `summary: Entity ${e + 1} changed twice.`),
    ];
    for (let i = 0; i < 40; i++) {
      const e = Math.floor(random() * 22);
      const k = Math.floor(random() * edits.length);
      const next = (edits[k] as (t: string, e: number) => string)(text, e);
      const s = spliceSource(file, next);
      if (s) {
        spliced++;
        expectSame(s, next);
        file = s;
      } else {
        file = parseSource(next, '/tmp/catalog.yaml').file as SourceFile;
      }
      text = next;
    }
    expect(spliced).toBeGreaterThan(32);
  });

  it('leaves structural edits, new or renamed entries, dedents, aliases and the last entry to the whole parse', () => {
    const text = syntheticCatalog(5);
    const file = parseSource(text, '/tmp/catalog.yaml').file as SourceFile;
    expect(spliceSource(file, text.replace('title: Synthetic 5', 'title: Other'))).toBeUndefined();
    expect(spliceSource(file, text.replace('    event2:\n', '    event2b:\n'))).toBeUndefined();
    expect(spliceSource(file, text.replace('    event3:\n', '    eventNew: { payload: { type: string } }\n    event3:\n'))).toBeUndefined();
    expect(spliceSource(file, text.replace('      summary: Entity 2 changed.\n', '      summary: Entity 2 changed.\n  schemas2: {}\n'))).toBeUndefined();
    expect(spliceSource(file, text.replace('summary: Entity 4 changed.', 'summary: Entity 4 edited.'))).toBeUndefined(); // the last entry
    expect(spliceSource(file, text.replace('summary: Entity 1 changed.', 'summary: *nope'))).toBeUndefined();
    expect(spliceSource(file, text.replace('Money: {', 'Money2: {'))).toBeUndefined();
    const ok = spliceSource(file, text.replace('summary: Entity 1 changed.', 'summary: Entity 1 edited.'));
    expect(ok).toBeDefined();
  });

  it("rehearsalTexts: one message's data changed by one line, spliced exactly as a whole parse reads it (LF and CRLF)", () => {
    for (const newline of ['\n', '\r\n']) {
      const text = syntheticCatalog(12).replaceAll('\n', newline);
      const file = parseSource(text, '/tmp/catalog.yaml').file as SourceFile;
      const texts = rehearsalTexts(file);
      expect(texts).toBeDefined();
      const { original, edited } = texts as { original: string; edited: string };
      expect(original).toBe(text);
      // the original text with one line inserted
      const lines = edited.split(newline);
      const at = lines.indexOf('      x-eventgen-rehearsal: true');
      expect(at).toBeGreaterThan(0);
      expect(lines.filter((_, i) => i !== at).join(newline)).toBe(original);
      const spliced = spliceSource(file, edited) as SourceFile;
      expect(spliced, 'spliced, not parsed whole').toBeDefined();
      expectSame(spliced, edited);
      const before = (file.data as { components: { messages: Record<string, Record<string, unknown>> } }).components.messages;
      const after = (spliced.data as { components: { messages: Record<string, Record<string, unknown>> } }).components.messages;
      const changed = Object.keys(after).filter((id) => JSON.stringify(after[id]) !== JSON.stringify(before[id]));
      expect(changed).toHaveLength(1);
      expect(after[changed[0] as string]).toEqual({ ...before[changed[0] as string], 'x-eventgen-rehearsal': true });
      // and back: the original text spliced over the rehearsal's reads as the original
      expectSame(spliceSource(spliced, original) as SourceFile, original);
    }
  });

  it('rehearsalTexts: none when no message entry is a block mapping of plain keys (flow entries, $refs)', () => {
    const flow = ['asyncapi: 3.0.0', 'info: { title: T, version: 1.0.0 }', 'components:', '  messages:', '    a: { name: a, payload: { type: string } }', '    b:', '      $ref: "#/components/messages/a"', '    c:', '      # a comment, then a sequence', '      - 1', '    d: { name: d }', ''].join('\n');
    expect(rehearsalTexts(parseSource(flow, '/tmp/catalog.yaml').file as SourceFile)).toBeUndefined();
    // a block entry after them (not the last one) is found
    const withBlock = flow.replace('    d: { name: d }', '    e:\n      # comment first\n      name: e\n    d: { name: d }');
    const texts = rehearsalTexts(parseSource(withBlock, '/tmp/catalog.yaml').file as SourceFile);
    expect(texts?.edited).toBe(withBlock.replace('    e:\n', '    e:\n      x-eventgen-rehearsal: true\n'));
  });
});
