/**
 * `--watch` starts a run as soon as a save has settled (a few ms), not after a fixed debounce, and keeps the
 * debounce's guarantee at the other end: a run reports and writes only once the catalog has been quiet for the
 * quiet period and did not change while it ran. A save in several writes therefore never gets its half written.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Io } from '../../generator/cli.js';
import { watchCatalog, WatchSession, type RunTurn } from '../../generator/commands/watch.js';
import { fixturePath } from '../support/tree.js';
import { sleep, until } from '../support/wait.js';

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

function workspace(): { ws: string; catalog: string } {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'eventgen-turn-'));
  temps.push(ws);
  const catalog = path.join(ws, 'asyncapi.yaml');
  writeFileSync(catalog, 'asyncapi: 3.0.0\n');
  return { ws, catalog };
}

describe('watchCatalog: runs start early, report and write late', () => {
  it('a run the catalog changed under is told it was superseded; the run the change queued is not', async () => {
    const { ws, catalog } = workspace();
    const controller = new AbortController();
    const io: Io = { out: () => {}, err: () => {}, cwd: ws, color: false, signal: controller.signal };
    const verdicts: boolean[] = [];
    const texts: string[] = [];
    let runs = 0;
    const run = async (turn?: RunTurn): Promise<number> => {
      runs++;
      if (turn === undefined) return 0; // the first run
      texts.push(readFileSync(catalog, 'utf8'));
      // The rest of the save comes while the first run after its first write is working.
      if (verdicts.length === 0) writeFileSync(catalog, 'asyncapi: 3.0.0\ninfo: {}\n');
      verdicts.push(await turn.superseded());
      return 0;
    };
    const done = watchCatalog('asyncapi.yaml', run, io, 30, () => [], 3);
    await until(() => runs === 1);
    await sleep(50);
    writeFileSync(catalog, 'asyncapi: 3.0.0\ninfo:');
    await until(() => verdicts.length === 2);
    await sleep(100);
    controller.abort();
    expect(await done).toBe(0);
    expect(verdicts).toEqual([true, false]);
    expect(texts).toEqual(['asyncapi: 3.0.0\ninfo:', 'asyncapi: 3.0.0\ninfo: {}\n']);
    expect(runs).toBe(3);
  });

  it('starts a run within the settle time but answers only after the quiet period since the last change', async () => {
    const { ws, catalog } = workspace();
    const controller = new AbortController();
    const io: Io = { out: () => {}, err: () => {}, cwd: ws, color: false, signal: controller.signal };
    const quietMs = 400;
    let first = true;
    let startedAt = 0;
    let answeredAt = 0;
    let verdict: boolean | undefined;
    const run = async (turn?: RunTurn): Promise<number> => {
      if (turn === undefined) {
        first = false;
        return 0;
      }
      startedAt = performance.now();
      verdict = await turn.superseded();
      answeredAt = performance.now();
      return 0;
    };
    const done = watchCatalog('asyncapi.yaml', run, io, quietMs, () => [], 3);
    await until(() => !first);
    await sleep(50);
    const savedAt = performance.now();
    writeFileSync(catalog, 'asyncapi: 3.0.0\ninfo: {}\n');
    await until(() => verdict !== undefined);
    controller.abort();
    expect(await done).toBe(0);
    expect(verdict).toBe(false);
    // Started long before a debounce of quietMs would have let it (the margin is for a loaded machine).
    expect(startedAt - savedAt).toBeLessThan(quietMs * 0.75);
    // Answered no earlier than quietMs after the save (timers may fire late, never early; 1 ms of clock rounding).
    expect(answeredAt - savedAt).toBeGreaterThanOrEqual(quietMs - 1);
  });
});

describe('gen events --watch: a save in two writes', () => {
  // The session of `gen events --watch` under the real watcher, with a quiet period of 1 s instead of 30 ms, so that
  // the second write falls into it however late a loaded machine runs the editor's timer.
  it('writes nothing from a truncated text that was followed by the whole text within the quiet period', async () => {
    const ws = mkdtempSync(path.join(os.tmpdir(), 'eventgen-watch-'));
    temps.push(ws);
    cpSync(path.dirname(fixturePath('minimal')), path.join(ws, 'catalog'), { recursive: true });
    const catalog = path.join(ws, 'catalog', 'asyncapi.yaml');
    let out = '';
    let err = '';
    const controller = new AbortController();
    const io: Io = { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), cwd: ws, color: false, signal: controller.signal };
    const session = new WatchSession({ catalog: 'catalog/asyncapi.yaml', out: 'out', target: 'plain', docs: true, lenient: false, services: [], verbose: false }, io);
    const done = watchCatalog('catalog/asyncapi.yaml', (turn) => session.run(turn), io, 1000, () => session.files());
    const runs = (): number => (out + err).match(/ written,| nothing was written/g)?.length ?? 0;
    await until(() => out.includes('watching'));
    const outDir = path.join(ws, 'out');
    const list = (): string[] => (readdirSync(outDir, { recursive: true }) as string[]).filter((p) => statSync(path.join(outDir, p)).isFile()).sort();
    const before = list();
    const original = readFileSync(catalog, 'utf8');
    const cut = original.indexOf('      userDeleted:');
    expect(cut).toBeGreaterThan(0);
    // As an editor would: another process writes valid YAML without user.deleted (a run that wrote it would delete
    // that event's files), then, 10 ms later, the whole text.
    const halves = [original.slice(0, cut), original.replace('format: email', 'format: uri')];
    const script = `const fs = require('node:fs'); const [a, b] = JSON.parse(process.argv.at(-1)); fs.writeFileSync(${JSON.stringify(catalog)}, a); setTimeout(() => fs.writeFileSync(${JSON.stringify(catalog)}, b), 10);`;
    const editor = spawn(process.execPath, ['-e', script, JSON.stringify(halves)], { stdio: 'ignore' });
    expect(await new Promise((r) => editor.on('close', r))).toBe(0);
    await until(() => runs() >= 2);
    await sleep(300); // no further run comes
    controller.abort();
    expect(await done).toBe(0);
    expect(runs(), out + err).toBe(2);
    expect(out).toMatch(/ [1-9]\d* written, \d+ unchanged, 0 removed/);
    expect(err).not.toMatch(/orphan-stub/);
    expect(list()).toEqual(before);
    expect(readFileSync(path.join(outDir, 'schemas', 'user-signed-up.ts'), 'utf8')).toContain('url()');
  });
});
