/**
 * `gen events --watch` writes incrementally: after an edit only the files whose content changed are written (the
 * others keep their bytes and mtimes), a broken edit prints located errors and leaves the tree alone, a fix recovers,
 * and files no longer generated are deleted (stubs kept and reported).
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main, type Io } from '../../generator/cli.js';
import { fixturePath } from '../support/tree.js';

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

interface Entry {
  bytes: string;
  mtimeNs: bigint;
}

function tree(dir: string): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), { bytes: readFileSync(p, 'utf8'), mtimeNs: statSync(p, { bigint: true }).mtimeNs });
    }
  };
  walk(dir);
  return out;
}

async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function startWatch(): { ws: string; catalog: string; outDir: string; out: () => string; err: () => string; runs: () => number; stop: () => Promise<number> } {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'eventgen-watch-'));
  temps.push(ws);
  cpSync(path.dirname(fixturePath('minimal')), path.join(ws, 'catalog'), { recursive: true });
  let out = '';
  let err = '';
  const controller = new AbortController();
  const io: Io = { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), cwd: ws, color: false, signal: controller.signal };
  const done = main(['events', '--catalog', 'catalog/asyncapi.yaml', '--out', 'out', '--watch', '--no-cache'], io);
  return {
    ws,
    catalog: path.join(ws, 'catalog', 'asyncapi.yaml'),
    outDir: path.join(ws, 'out'),
    out: () => out,
    err: () => err,
    runs: () => (out + err).match(/ written,| nothing was written/g)?.length ?? 0,
    stop: () => {
      controller.abort();
      return done;
    },
  };
}

describe('gen events --watch (incremental)', () => {
  it('writes only the files an edit changed; a broken edit writes nothing and says where; a fix recovers', async () => {
    const w = startWatch();
    await until(() => w.out().includes('watching'));
    const before = tree(w.outDir);
    expect(before.size).toBeGreaterThan(10);
    const original = readFileSync(w.catalog, 'utf8');

    // 1. A new optional property of user.deleted.
    await new Promise((r) => setTimeout(r, 20)); // a later mtime for rewritten files than for the first run's
    writeFileSync(w.catalog, original.replace('            userId:\n              type: string\n        examples:\n          - payload:\n              userId: u-1\n', '            userId:\n              type: string\n            reason:\n              type: string\n              maxLength: 300\n        examples:\n          - payload:\n              userId: u-1\n'));
    await until(() => w.runs() >= 2);
    const after = tree(w.outDir);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    const changed = [...after].filter(([p, e]) => e.bytes !== before.get(p)?.bytes).map(([p]) => p);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.length).toBeLessThan(before.size / 2);
    expect(changed.some((p) => after.get(p)?.bytes.includes('reason'))).toBe(true);
    for (const [p, e] of after) {
      // rewritten exactly when the bytes changed: untouched files keep their mtime
      expect(e.mtimeNs !== before.get(p)?.mtimeNs, p).toBe(changed.includes(p));
    }
    const stubs = Number(/(\d+) stubs created/.exec(w.out())?.[1]);
    expect(stubs).toBeGreaterThan(0);
    expect(w.out()).toMatch(new RegExp(`catalog/asyncapi\\.yaml → out/: ${changed.length} written, ${after.size - changed.length - stubs} unchanged, 0 removed, 0 stubs created, ${stubs} stubs kept`));

    // 2. A broken edit: a located error, nothing written.
    const good = readFileSync(w.catalog, 'utf8');
    writeFileSync(w.catalog, good.replace('              maxLength: 300\n', '              maxLength: lots\n'));
    await until(() => w.runs() >= 3);
    const line = good.split('\n').findIndex((l) => l.includes('maxLength: 300')) + 1;
    expect(w.err()).toContain(`catalog/asyncapi.yaml:${line}:26  error  asyncapi-schema  "maxLength" property type must be integer`);
    expect(w.err()).toMatch(/has \d+ errors?; nothing was written/);
    const untouched = tree(w.outDir);
    for (const [p, e] of after) expect(untouched.get(p), p).toEqual(e);

    // 3. The fix (with another change) recovers: the files differing from the last written tree are written.
    writeFileSync(w.catalog, good.replace('maxLength: 300', 'maxLength: 500'));
    await until(() => w.runs() >= 4);
    const fixed = tree(w.outDir);
    const changedAgain = [...fixed].filter(([p, e]) => e.bytes !== after.get(p)?.bytes).map(([p]) => p);
    expect(changedAgain.length).toBeGreaterThan(0);
    expect(changedAgain.some((p) => fixed.get(p)?.bytes.includes('500'))).toBe(true);
    for (const [p, e] of fixed) expect(e.mtimeNs !== after.get(p)?.mtimeNs, p).toBe(changedAgain.includes(p));

    // 4. An event removed: its managed files are deleted, its stub is kept and reported.
    const stub = [...fixed.keys()].find((p) => p.includes('user-deleted') && p.endsWith('.event-handler.ts'));
    expect(stub).toBeDefined();
    writeFileSync(path.join(w.outDir, stub as string), fixed.get(stub as string)?.bytes + '// implemented\n');
    writeFileSync(w.catalog, original.slice(0, original.indexOf('      userDeleted:')));
    await until(() => w.runs() >= 5);
    const removed = tree(w.outDir);
    expect(removed.get(stub as string)?.bytes).toContain('// implemented');
    expect(w.err()).toMatch(/orphan-stub/);
    const gone = [...fixed.keys()].filter((p) => !removed.has(p));
    expect(gone.length).toBeGreaterThan(0);
    expect(w.out()).toMatch(new RegExp(`${gone.length} removed`));
    expect(await w.stop()).toBe(0);
  });

  it('keeps the tree equal to a one-shot gen events after a series of edits', async () => {
    const w = startWatch();
    await until(() => w.out().includes('watching'));
    const original = readFileSync(w.catalog, 'utf8');
    const edits = [
      original.replace('title: Minimal Catalog', 'title: Renamed Catalog'),
      original.replace('title: Minimal Catalog', 'title: Renamed Catalog').replace('format: email', 'format: uri'),
      original.replace('name: user.deleted', 'name: user.removed'),
    ];
    for (const [i, text] of edits.entries()) {
      writeFileSync(w.catalog, text);
      await until(() => w.runs() >= i + 2);
    }
    expect(await w.stop()).toBe(0);
    const oneShot = path.join(w.ws, 'one-shot');
    cpSync(w.outDir, oneShot, { recursive: true }); // with the stubs the watch kept, as a user's tree would have them
    let err = '';
    const io: Io = { out: () => {}, err: (s) => (err += s), cwd: w.ws, color: false };
    expect(await main(['events', '--catalog', 'catalog/asyncapi.yaml', '--out', 'one-shot', '--no-cache'], io), err).toBe(0);
    const a = tree(w.outDir);
    const b = tree(oneShot);
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [p, e] of b) expect(a.get(p)?.bytes, p).toBe(e.bytes);
  });
});
