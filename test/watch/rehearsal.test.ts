/**
 * `--watch` rehearses after its first run: silent runs on the catalog with one message edited in memory, so that the
 * engine has compiled an edit's paths before the user's first edit. A rehearsal writes and prints nothing, leaves the
 * catalog file alone, stops at the first change (whose run follows it), and the watcher says it is watching only after
 * it. That the runs after a rehearsal still equal a cold run is `watch-property.test.ts`'s.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Io } from '../../generator/cli.js';
import { watchCatalog, WatchSession } from '../../generator/commands/watch.js';
import { syntheticCatalog } from '../bench/synthetic.js';
import { until } from '../support/wait.js';

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

/** Every file under `dir` with its bytes and mtime. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of readdirSync(dir, { recursive: true }) as string[]) {
    const st = statSync(path.join(dir, p), { bigint: true });
    if (st.isFile()) out.set(p, `${st.mtimeNs} ${readFileSync(path.join(dir, p), 'utf8')}`);
  }
  return out;
}

function workspace(events = 20): { ws: string; catalog: string; text: string } {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'eventgen-rehearsal-'));
  temps.push(ws);
  mkdirSync(path.join(ws, 'catalog'));
  const catalog = path.join(ws, 'catalog', 'asyncapi.yaml');
  const text = syntheticCatalog(events);
  writeFileSync(catalog, text);
  return { ws, catalog, text };
}

describe('--watch rehearsal', () => {
  it('writes and prints nothing, leaves the catalog alone, and stops when told', async () => {
    const { ws, catalog, text } = workspace();
    let log = '';
    const io: Io = { out: (s) => (log += s + '\n'), err: (s) => (log += s + '\n'), cwd: ws, color: false };
    const session = new WatchSession({ catalog: 'catalog/asyncapi.yaml', out: 'out', target: 'plain', docs: true, lenient: false, services: [], verbose: false }, io);
    // Before a first run has written the tree there is nothing to rehearse.
    expect(await session.rehearse(4, () => false)).toBe(0);
    expect(await session.run()).toBe(0);
    const files = session.files();
    const before = snapshot(path.join(ws, 'out'));
    log = '';
    expect(await session.rehearse(5, () => false)).toBe(5);
    let asked = 0;
    expect(await session.rehearse(5, () => ++asked > 2)).toBe(2);
    expect(log).toBe('');
    expect(snapshot(path.join(ws, 'out'))).toEqual(before);
    expect(readFileSync(catalog, 'utf8')).toBe(text);
    expect(session.files()).toEqual(files);
    // The next edit is written as without a rehearsal: the edited event's files, nothing else.
    writeFileSync(catalog, text.replace('summary: Entity 5 changed.', 'summary: Entity 5 changed after the rehearsal.'));
    expect(await session.run(), log).toBe(0);
    expect(log).toMatch(/ [1-9]\d* written, \d+ unchanged, 0 removed/);
    const changed = [...snapshot(path.join(ws, 'out'))].filter(([p, v]) => before.get(p) !== v).map(([p]) => p);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((p) => readFileSync(path.join(ws, 'out', p), 'utf8').includes('Entity 5 changed after the rehearsal.') || /^docs\//.test(p)), changed.join(', ')).toBe(true);
  }, 120_000);

  it('the watcher says it is watching after the rehearsal; a change during it stops it and is run', async () => {
    const { ws, catalog, text } = workspace();
    const order: string[] = [];
    let out = '';
    const controller = new AbortController();
    const io: Io = { out: (s) => (order.push(s.includes('watching') ? 'watching' : 'run'), (out += s + '\n')), err: (s) => (out += s + '\n'), cwd: ws, color: false, signal: controller.signal };
    const session = new WatchSession({ catalog: 'catalog/asyncapi.yaml', out: 'out', target: 'plain', docs: true, lenient: false, services: [], verbose: false }, io);
    let stopped: boolean | undefined;
    const rehearse = async (stop: () => boolean): Promise<number> => {
      order.push('rehearsal');
      // the first edit comes while the rehearsal runs
      writeFileSync(catalog, text.replace('summary: Entity 5 changed.', 'summary: Entity 5 changed during the rehearsal.'));
      await until(stop, 5_000).catch(() => undefined);
      stopped = stop();
      const done = await session.rehearse(6, stop);
      order.push(`rehearsed ${done}`);
      return done;
    };
    const done = watchCatalog('catalog/asyncapi.yaml', (turn) => session.run(turn), io, 30, () => session.files(), 3, rehearse);
    await until(() => order.filter((o) => o === 'run').length >= 2, 60_000);
    controller.abort();
    expect(await done).toBe(0);
    expect(stopped).toBe(true);
    expect(order, out).toEqual(['run', 'rehearsal', 'rehearsed 0', 'watching', 'run']);
    const schemas = path.join(ws, 'out', 'schemas');
    expect(readdirSync(schemas).some((f) => readFileSync(path.join(schemas, f), 'utf8').includes('Entity 5 changed during the rehearsal.'))).toBe(true);
  }, 120_000);

  it('Ctrl-C during the rehearsal stops it: the watch ends without saying it is watching', async () => {
    const { ws } = workspace(4);
    let out = '';
    const controller = new AbortController();
    const io: Io = { out: (s) => (out += s + '\n'), err: (s) => (out += s + '\n'), cwd: ws, color: false, signal: controller.signal };
    const session = new WatchSession({ catalog: 'catalog/asyncapi.yaml', out: 'out', target: 'plain', docs: true, lenient: false, services: [], verbose: false }, io);
    let stopped = false;
    const rehearse = async (stop: () => boolean): Promise<void> => {
      controller.abort(); // the user presses Ctrl-C as the rehearsal starts
      await until(stop, 5_000);
      stopped = true;
    };
    expect(await watchCatalog('catalog/asyncapi.yaml', (turn) => session.run(turn), io, 30, () => session.files(), 3, rehearse)).toBe(0);
    expect(stopped).toBe(true);
    expect(out).toMatch(/ written,/);
    expect(out).not.toMatch(/watching/);
  }, 60_000);
});

