/**
 * `gen events --watch` after random edits equals a cold `gen events` byte for byte: the fast path (only the edited
 * message entries re-read, limited validation) and the whole path (anything structural) must both land on the tree a
 * one-shot run writes, including runs after a broken edit.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main, type Io } from '../../generator/cli.js';
import { WatchSession } from '../../generator/commands/watch.js';
import { syntheticCatalog } from '../bench/synthetic.js';

const ws = mkdtempSync(path.join(os.tmpdir(), 'eventgen-watch-prop-'));
afterAll(() => rmSync(ws, { recursive: true, force: true }));

function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

function rng(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
}

/**
 * A cold `gen events --no-cache` into `<root>/<name>` (seeded with the stubs the watch kept, as a user's tree has them)
 * writes exactly the watched tree `<root>/out`, file list and bytes.
 */
async function expectSameAsCold(root: string, name: string, extra: string[] = []): Promise<void> {
  const cold = path.join(root, name);
  cpSync(path.join(root, 'out'), cold, { recursive: true });
  let err = '';
  const coldIo: Io = { out: () => {}, err: (s) => (err += s), cwd: root, color: false };
  expect(await main(['events', '--catalog', 'catalog/asyncapi.yaml', '--out', name, '--no-cache', ...extra], coldIo), err).toBe(0);
  const a = tree(path.join(root, 'out'));
  const b = tree(cold);
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [p, bytes] of b) expect(a.get(p), p).toBe(bytes);
  rmSync(cold, { recursive: true, force: true });
}

describe('gen events --watch equals a cold run', () => {
  it('after random edits of messages (fast path), structural edits and broken edits (every service generated too)', async () => {
    mkdirSync(path.join(ws, 'catalog'));
    const catalog = path.join(ws, 'catalog', 'asyncapi.yaml');
    // Solo: a component schema that only event0 uses as its whole payload (so it is emitted as event0's own schema
    // until another event's payload is Solo too).
    const payloadOf = (e: number): string => `      payload:\n        type: object\n        required: [id, at, amount]\n        properties:\n          id: { type: string, format: uuid }\n          at: { type: string, format: date-time }\n          amount: { $ref: "#/components/schemas/Money" }\n          address: { $ref: "#/components/schemas/Address" }\n          status: { type: string, enum: [new, active, closed] }\n          note${e}: { type: [string, "null"], maxLength: 200 }\n          tags: { type: array, items: { type: string }, maxItems: 10 }\n      examples:\n`;
    const soloPayload = '      payload: { $ref: "#/components/schemas/Solo" }\n';
    let text = syntheticCatalog(30)
      .replace(payloadOf(0), `${soloPayload}      examples:\n`)
      .replace('  schemas:\n', '  schemas:\n    Solo: { type: object, required: [id], properties: { id: { type: string }, x: { type: integer } } }\n');
    writeFileSync(catalog, text);
    let log = '';
    const io: Io = { out: (s) => (log += s + '\n'), err: (s) => (log += s + '\n'), cwd: ws, color: false };
    // The services' emitters (the gateway's OpenAPI document is memoised per event) are held to the same rule.
    const services = ['gateway', 'live', 'outbox', 'sagas'] as const;
    const session = new WatchSession({ catalog: 'catalog/asyncapi.yaml', out: 'out', target: 'plain', docs: true, lenient: false, services: [...services], verbose: false }, io);
    expect(await session.run(), log).toBe(0);
    const random = rng(20);
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)] as T;
    const edits: Array<(t: string, e: number) => string> = [
      (t, e) => t.replace(new RegExp(`summary: Entity ${e} changed[^\\n]*`), `summary: Entity ${e} changed, take ${Math.floor(random() * 1e6)}.`),
      (t, e) => (t.includes(`extra${e}:`) ? t.replace(`          extra${e}: { type: integer, minimum: 1 }\n`, '') : t.replace(`          note${e}: `, `          extra${e}: { type: integer, minimum: 1 }\n          note${e}: `)),
      (t, e) => t.replace(`          tags: { type: array, items: { type: string }, maxItems: 10 }\n      examples:\n        - payload: { id: 3f1c9a52-0b7e-4a51-9d55-2f6f0f6b1a10, at: '2026-01-01T00:00:00Z', amount: { amount: 1, currency: EUR } }\n    event${e + 1}:`, `          tags: { type: array, items: { type: string }, maxItems: ${5 + Math.floor(random() * 20)} }\n      examples:\n        - payload: { id: 3f1c9a52-0b7e-4a51-9d55-2f6f0f6b1a10, at: '2026-01-01T00:00:00Z', amount: { amount: 1, currency: EUR } }\n    event${e + 1}:`),
      (t, e) => t.replace(`      x-event-version: 1.2.0\n      x-partition-key: { field: id }\n      payload:\n        type: object\n        required: [id, at, amount]\n        properties:\n          id: { type: string, format: uuid }\n          at: { type: string, format: date-time }\n          amount: { $ref: "#/components/schemas/Money" }\n          address: { $ref: "#/components/schemas/Address" }\n          status: { type: string, enum: [new, active, closed] }\n          note${e}:`, `      description: Described ${e}.\n      x-event-version: 1.2.0\n      x-partition-key: { field: id }\n      payload:\n        type: object\n        required: [id, at, amount]\n        properties:\n          id: { type: string, format: uuid }\n          at: { type: string, format: date-time }\n          amount: { $ref: "#/components/schemas/Money" }\n          address: { $ref: "#/components/schemas/Address" }\n          status: { type: string, enum: [new, active, closed] }\n          note${e}:`),
      (t, e) => t.replace(`name: entity${Math.floor(e / 10)}.changed${e % 10}\n`, `name: entity${Math.floor(e / 10)}.renamed${e % 10}\n`),
      // what one message changes in other events' files: a second payload of Solo (event0's stops inlining it),
      // and an event named like a shared schema (the schema, imported by every event, gets the next candidate name)
      (t, e) => (e === 0 ? t : t.includes(payloadOf(e)) ? t.replace(payloadOf(e), `${soloPayload}      examples:\n`) : t.replace(new RegExp(`(    event${e}:\\n(?:      [^\\n]*\\n)*?)${soloPayload.replace(/[$(){}.*+?^|[\]\\/]/g, '\\$&')}      examples:\\n`), (_m, head: string) => head + payloadOf(e))),
      (t, e) => (t.includes('name: money\n') ? t.replace('name: money\n', `name: entity${Math.floor(e / 10)}.money${e % 10}\n`) : t.replace(`name: entity${Math.floor(e / 10)}.changed${e % 10}\n`, 'name: money\n')),
      // structural: a shared schema, a channel, the title
      (t) => t.replace(/currency: \{ type: string, pattern: "\^\[A-Z\]\{3\}\$"( \})?/, (m) => (m.includes('minLength') ? m : m.replace('pattern', 'minLength: 3, pattern'))),
      (t) => t.replace(/title: Synthetic 30[^\n]*/, `title: Synthetic 30 v${Math.floor(random() * 100)}`),
      (t) => t.replace('partitions: 6, replicas: 3', 'partitions: 12, replicas: 3'),
    ];
    let wrote = 0;
    let rehearsed = 0;
    for (let i = 0; i < 40; i++) {
      // Sometimes a rehearsal first (as after the first run of `--watch`), an odd number of runs leaving the session on
      // its edited text: the next run compares with that as with any previous run, and still equals a cold run.
      if (random() < 0.3) {
        const before = log;
        const runs = 1 + Math.floor(random() * 4);
        expect(await session.rehearse(runs, () => false)).toBe(runs);
        expect(log, 'a rehearsal prints nothing').toBe(before);
        rehearsed++;
      }
      const e = Math.floor(random() * 28);
      const broken = random() < 0.1;
      const next = pick(edits)(text, e);
      if (broken) {
        writeFileSync(catalog, next.replace('type: object', 'type: objekt'));
        expect(await session.run()).toBe(1);
      }
      writeFileSync(catalog, next);
      log = '';
      expect(await session.run(), log).toBe(0);
      if (/ [1-9]\d* written/.test(log)) wrote++;
      text = next;
      // After every edit: a stale unit is visible only until a structural edit re-emits everything.
      await expectSameAsCold(ws, `cold-${i}`, ['--with', services.join(',')]);
    }
    expect(wrote).toBeGreaterThan(10);
    expect(rehearsed).toBeGreaterThan(5);
  }, 600_000);

  it('after edits of a $ref\'d file, renamed message keys, description edits (docs pages) and broken edits (located error, nothing written)', async () => {
    const dir = path.join(ws, 'second');
    mkdirSync(path.join(dir, 'catalog'), { recursive: true });
    const catalog = path.join(dir, 'catalog', 'asyncapi.yaml');
    const shared = path.join(dir, 'catalog', 'shared.yaml');
    // Money lives in its own file, referenced from every event.
    let text = syntheticCatalog(30).replaceAll('$ref: "#/components/schemas/Money"', '$ref: "./shared.yaml#/Money"');
    let sharedText = 'Money: { type: object, required: [amount, currency], properties: { amount: { type: integer, minimum: 0 }, currency: { type: string } } }\n';
    writeFileSync(catalog, text);
    writeFileSync(shared, sharedText);
    let log = '';
    const io: Io = { out: (s) => (log += s + '\n'), err: (s) => (log += s + '\n'), cwd: dir, color: false };
    const session = new WatchSession({ catalog: 'catalog/asyncapi.yaml', out: 'out', target: 'plain', docs: true, lenient: false, services: [], verbose: false }, io);
    expect(await session.run(), log).toBe(0);
    const random = rng(7);
    const edits: Array<(e: number) => void> = [
      // the $ref'd file: never the fast path
      () => (sharedText = sharedText.replace(/minimum: \d+/, `minimum: ${Math.floor(random() * 10)}`)),
      () => (sharedText = sharedText.includes('maxLength') ? sharedText.replace(', maxLength: 3', '') : sharedText.replace('currency: { type: string', 'currency: { type: string, maxLength: 3')),
      // a message key renamed (and its channel reference): structural
      (e) => {
        if (!text.includes(`    event${e}:\n`)) return;
        text = text.replace(`    event${e}:\n`, `    event${e}r:\n`).replace(`'#/components/messages/event${e}'`, `'#/components/messages/event${e}r'`).replace(`      event${e}: { $ref`, `      event${e}r: { $ref`);
      },
      // inside one message: descriptions and summaries (docs pages of one event, and the overview)
      (e) => (text = text.replace(new RegExp(`summary: Entity ${e} changed[^\\n]*`), `summary: Entity ${e} changed, take ${Math.floor(random() * 1e6)}.`)),
      (e) => (text = text.replace(new RegExp(`(summary: Entity ${e} changed[^\\n]*\\n)(      description: [^\\n]*\\n)?`), (_m, a: string) => `${a}      description: Described ${e}, ${Math.floor(random() * 1e6)}.\n`)),
    ];
    const broken: Array<() => [string, string]> = [
      () => [text.replace('type: object', 'type: objekt'), sharedText],
      () => [text, sharedText.replace('type: integer', 'type: integr')],
      () => [text.replace('amount: { $ref: "./shared.yaml#/Money" }', 'amount: { $ref: "./shared.yaml#/Nothing" }'), sharedText],
      () => [text.replace('x-partition-key: { field: id }', 'x-partition-key: { field: nope }'), sharedText],
      () => [text.replace('      x-event-version: 1.2.0\n', '      x-event-version: [1.2.0\n'), sharedText],
    ];
    let brokenRuns = 0;
    for (let i = 0; i < 16; i++) {
      const e = Math.floor(random() * 28);
      if (random() < 0.3) {
        brokenRuns++;
        const [t, sh] = (broken[Math.floor(random() * broken.length)] as () => [string, string])();
        const before = tree(path.join(dir, 'out'));
        writeFileSync(catalog, t);
        writeFileSync(shared, sh);
        log = '';
        expect(await session.run(), log).toBe(1);
        expect(log).toMatch(/catalog\/(asyncapi|shared)\.yaml:\d+:\d+ {2}error {2}[\w-]+ /);
        expect(log).toContain('nothing was written');
        expect(tree(path.join(dir, 'out'))).toEqual(before);
      }
      (edits[Math.floor(random() * edits.length)] as (e: number) => void)(e);
      writeFileSync(catalog, text);
      writeFileSync(shared, sharedText);
      log = '';
      expect(await session.run(), log).toBe(0);
      if (i % 4 === 3) await expectSameAsCold(dir, `cold-${i}`);
    }
    expect(brokenRuns).toBeGreaterThan(2);
  }, 600_000);
});
