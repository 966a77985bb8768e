/**
 * The loader under `incremental` (`gen events --watch`): after an edit that changed only `components.messages`
 * entries, @asyncapi/parser validates a document of just those messages; anything else, or any finding there, means
 * the whole catalog is parsed, so errors are located in the user's file exactly as in a cold run.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main, type Io } from '../../generator/cli.js';
import { WatchSession } from '../../generator/commands/watch.js';
import { loadCatalog } from '../../generator/load/index.js';
import { spliceIndexStats } from '../../generator/load/source.js';
import { syntheticCatalog } from '../bench/synthetic.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'eventgen-incremental-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const errorsOf = (r: Awaited<ReturnType<typeof loadCatalog>>): string[] =>
  r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.location?.line}:${d.location?.column} ${d.rule} ${d.message}`);

describe('incremental load', () => {
  it('limits the parse to the changed messages, and parses the whole catalog for anything else or any finding', async () => {
    const file = path.join(dir, 'catalog.yaml');
    const original = syntheticCatalog(30);
    writeFileSync(file, original);
    const load = () => loadCatalog(file, { cwd: dir, incremental: true });

    const first = await load();
    expect(errorsOf(first)).toEqual([]);
    expect(first.loaded?.parserScope).toBe('catalog');

    // One message's summary and a new payload property: only that message is validated.
    const edited = original.replace('summary: Entity 7 changed.', 'summary: Entity 7 changed (edited).').replace('          note7: { type: [string, "null"], maxLength: 200 }\n', '          note7: { type: [string, "null"], maxLength: 200 }\n          extra7: { type: integer, minimum: 1 }\n');
    expect(edited).not.toBe(original);
    writeFileSync(file, edited);
    const second = await load();
    expect(errorsOf(second)).toEqual([]);
    expect(second.loaded?.parserScope).toBe('changed-messages');

    // Saved again without a change: the document the parser found valid last time, not parsed again.
    const same = await load();
    expect(errorsOf(same)).toEqual([]);
    expect(same.loaded?.parserScope).toBe('unchanged');

    // A broken message: the limited parse finds it, the whole parse reports it where a cold run does.
    const broken = edited.replace('extra7: { type: integer, minimum: 1 }', 'extra7: { type: integer, minimum: lots }');
    writeFileSync(file, broken);
    const bad = await load();
    const cold = await loadCatalog(file, { cwd: dir });
    expect(errorsOf(bad).length).toBeGreaterThan(0);
    expect(errorsOf(bad)).toEqual(errorsOf(cold));
    const line = broken.split('\n').findIndex((l) => l.includes('minimum: lots')) + 1;
    expect(errorsOf(bad)[0]).toMatch(new RegExp(`^${line}:\\d+ asyncapi-schema `));
    // The same broken text again: never taken for the last valid one, its errors again.
    const badAgain = await load();
    expect(errorsOf(badAgain)).toEqual(errorsOf(bad));

    // Fixed again: compared with the last valid load, one message changed.
    writeFileSync(file, edited.replace('minimum: 1 }', 'minimum: 2 }'));
    const fixed = await load();
    expect(errorsOf(fixed)).toEqual([]);
    expect(fixed.loaded?.parserScope).toBe('changed-messages');

    // An edit outside components.messages (a channel's partitions): the whole catalog.
    writeFileSync(file, edited.replace('minimum: 1 }', 'minimum: 2 }').replace('partitions: 6', 'partitions: 12'));
    const channel = await load();
    expect(errorsOf(channel)).toEqual([]);
    expect(channel.loaded?.parserScope).toBe('catalog');

    // A new message: the whole catalog (the set of messages changed).
    writeFileSync(file, syntheticCatalog(31));
    const added = await load();
    expect(errorsOf(added)).toEqual([]);
    expect(added.loaded?.parserScope).toBe('catalog');
  });

  it('a payload edited under --watch is checked as edited: the same example findings as a cold run, with or without an $id', async () => {
    // Validators are shared across a session's documents (Ajv instances, message reads): an edit must never be checked
    // against an earlier document's schema.
    const sub = path.join(dir, 'examples');
    mkdirSync(sub, { recursive: true });
    const file = path.join(sub, 'catalog.yaml');
    const anchor = (e: number) => `summary: Entity ${e} changed.\n      x-event-version: 1.2.0\n      x-partition-key: { field: id }\n      payload:\n        type: object\n`;
    const original = syntheticCatalog(30).replace(anchor(8), `${anchor(8)}        $id: 'urn:eventgen:test:event8'\n`);
    expect(original).toContain("$id: 'urn:eventgen:test:event8'");
    writeFileSync(file, original);
    let log = '';
    const io: Io = { out: (x) => (log += `${x}\n`), err: (x) => (log += `${x}\n`), cwd: sub, color: false };
    const session = new WatchSession({ catalog: 'catalog.yaml', out: 'out', target: 'plain', docs: false, lenient: false, services: [], verbose: false }, io);
    const findings = (text: string): string[] => text.split('\n').filter((l) => / (warning|error) /.test(l)).map((l) => l.replace(/^.*?catalog\.yaml/, 'catalog.yaml'));
    const watched = async (): Promise<string[]> => {
      log = '';
      expect(await session.run(), log).toBe(0);
      return findings(log);
    };
    const cold = async (): Promise<string[]> => {
      let out = '';
      expect(await main(['events', '--catalog', 'catalog.yaml', '--out', 'cold', '--no-cache', '--no-docs'], { out: (x) => (out += `${x}\n`), err: (x) => (out += `${x}\n`), cwd: sub, color: false })).toBe(0);
      return findings(out);
    };
    const indexed = spliceIndexStats.built;
    expect(await watched()).toEqual([]);
    // Once the tree is written, the session indexes the catalog for the next edit's splice (not the edit's load).
    expect(spliceIndexStats.built).toBe(indexed + 1);
    // An example's id is a uuid string: with `id` an integer it no longer matches, in event 7 (no $id), then in event 8.
    const integerId = (text: string, e: number) => text.replace(new RegExp(`(summary: Entity ${e} changed\\.\\n(?:      [^\\n]*\\n)*?          id: )\\{ type: string, format: uuid \\}`), '$1{ type: integer }');
    let text = original;
    for (const e of [7, 8]) {
      const next = integerId(text, e);
      expect(next).not.toBe(text);
      text = next;
      writeFileSync(file, text);
      const got = await watched();
      expect(got.filter((l) => l.includes('example-invalid'))).toHaveLength(e === 7 ? 1 : 2);
      expect(got).toEqual(await cold());
    }
    // Back to the original: no finding left.
    writeFileSync(file, original);
    expect(await watched()).toEqual([]);
  });

  it('without incremental, every load parses the whole catalog', async () => {
    const file = path.join(dir, 'plain.yaml');
    writeFileSync(file, syntheticCatalog(10));
    await loadCatalog(file, { cwd: dir });
    writeFileSync(file, syntheticCatalog(10).replace('summary: Entity 3 changed.', 'summary: other'));
    expect((await loadCatalog(file, { cwd: dir })).loaded?.parserScope).toBe('catalog');
  });
});
