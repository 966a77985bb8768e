/**
 * Staged writes (`stagePlan`): one-shot `gen events` writes the emitted files to temp files while @asyncapi/parser is
 * still validating the catalog in its worker thread; found valid, applying is renames and links; found invalid, the
 * staging is discarded. Here: discarding leaves the disk as it was (also directories staging created), applying a
 * staged plan gives the same tree as applying it directly, the checks made at apply time still hold (a stub or a
 * managed path taken by the user meanwhile), a killed process's staging directory is cleaned up and never taken for
 * part of the tree; and the built CLI, whose worker path stages for real: an invalid catalog leaves nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GeneratedFile } from '../../generator/emit/types.js';
import { addBanner, applyPlan, planWrite, scaffoldHeader, stagePlan, STAGING_PREFIX, WriteError } from '../../generator/write/index.js';
import { gen } from '../cache/support.js';
import { ROOT } from '../support/tree.js';

const VERSION = '0.1.0';
const CATALOG = 'catalog/asyncapi.yaml';

let base: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'eventgen-staging-test-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const managed = (p: string, body: string): GeneratedFile => ({ path: p, content: addBanner(p, body, VERSION, CATALOG), ownership: 'managed' });
const stub = (p: string, body = 'export async function handle(): Promise<void> {}\n'): GeneratedFile => ({ path: p, content: `${scaffoldHeader(CATALOG)}\n${body}`, ownership: 'scaffold' });

function files(version: number): GeneratedFile[] {
  return [
    managed('index.ts', `export const v = ${version};\n`),
    managed('schemas/a/b/deep.ts', `export const deep = ${version};\n`),
    managed(`topics/t${version}/handler.ts`, 'export {};\n'),
    managed('scripts/topics.sh', '#!/bin/sh\necho topics\n'),
    stub('consumers/g/events/x.event-handler.ts'),
    stub(`consumers/g/events/y${version}.event-handler.ts`),
  ];
}

/** Every directory and file under `dir` (relative), files with content and mode: what "the disk as it was" means. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      const rel = path.relative(dir, full);
      if (e.isDirectory()) {
        out[`${rel}/`] = '';
        walk(full);
      } else out[rel] = `${(statSync(full).mode & 0o777).toString(8)} ${readFileSync(full, 'utf8')}`;
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

describe('stagePlan', () => {
  it('discarded on a first generate: the output directory and its parents it created are gone, nothing else', async () => {
    const out = join(base, 'a', 'b', 'out');
    const plan = await planWrite(out, files(1));
    const staged = await stagePlan(plan, files(1));
    expect(staged).toBeDefined();
    // staged: temps in the staging directory, the tree's directories created, no file of the tree yet
    expect(readdirSync(staged?.dir as string)).toHaveLength(6);
    expect(existsSync(join(out, 'schemas/a/b'))).toBe(true);
    expect(existsSync(join(out, 'index.ts'))).toBe(false);
    await staged?.discard();
    expect(readdirSync(base)).toEqual([]);
  });

  it('discarded over an existing tree: every file, mode and directory as it was', async () => {
    const out = join(base, 'out');
    await applyPlan(await planWrite(out, files(1)), files(1));
    await chmod(join(out, 'scripts/topics.sh'), 0o755);
    await writeFile(join(out, 'notes.md'), 'mine\n');
    await mkdir(join(out, 'empty-of-mine'));
    const before = snapshot(base);
    const next = files(2);
    const staged = await stagePlan(await planWrite(out, next), next);
    expect(staged).toBeDefined();
    expect(existsSync(join(out, 'topics/t2'))).toBe(true);
    await staged?.discard();
    expect(snapshot(base)).toEqual(before);
  });

  it('applied: the same tree as applying the plan directly (first generate and an update keeping a mode bit)', async () => {
    const direct = join(base, 'direct');
    const viaStaging = join(base, 'staged');
    for (const out of [direct, viaStaging]) {
      const first = files(1);
      const plan = await planWrite(out, first);
      const staged = out === viaStaging ? await stagePlan(plan, first) : undefined;
      if (out === viaStaging) expect(staged).toBeDefined();
      const summary = await applyPlan(plan, first, staged ? { staged } : {});
      expect(summary.written).toHaveLength(4);
      expect(summary.stubsCreated).toHaveLength(2);
      await chmod(join(out, 'scripts/topics.sh'), 0o755);
    }
    for (const out of [direct, viaStaging]) {
      const next = files(2).map((f) => (f.path === 'scripts/topics.sh' ? managed(f.path, '#!/bin/sh\necho topics v2\n') : f));
      const plan = await planWrite(out, next);
      const staged = out === viaStaging ? await stagePlan(plan, next) : undefined;
      const summary = await applyPlan(plan, next, staged ? { staged } : {});
      expect(summary.removed).toEqual(['topics/t1/handler.ts']);
      expect(summary.stubsKept).toEqual(['consumers/g/events/x.event-handler.ts']);
    }
    expect(snapshot(viaStaging)).toEqual(snapshot(direct));
    expect(snapshot(viaStaging)['scripts/topics.sh']).toMatch(/^755 /);
    expect(readdirSync(viaStaging).filter((n) => n.startsWith(STAGING_PREFIX))).toEqual([]);
  });

  it('a stub the user created after staging is kept; a managed path the user took is a conflict and nothing is written', async () => {
    const out = join(base, 'out');
    const first = files(1);
    const plan = await planWrite(out, first);
    const staged = await stagePlan(plan, first);
    await writeFile(join(out, 'consumers/g/events/x.event-handler.ts'), 'my own handler\n');
    const summary = await applyPlan(plan, first, { staged });
    expect(summary.stubsKept).toEqual(['consumers/g/events/x.event-handler.ts']);
    expect(await readFile(join(out, 'consumers/g/events/x.event-handler.ts'), 'utf8')).toBe('my own handler\n');

    const next = files(2);
    const plan2 = await planWrite(out, next);
    const staged2 = await stagePlan(plan2, next);
    await mkdir(join(out, 'topics/t2'), { recursive: true });
    await writeFile(join(out, 'topics/t2/handler.ts'), 'user file\n');
    // As it was before staging, with the user's file (a staging directory, and directories it created, go again).
    const before = Object.fromEntries(Object.entries(snapshot(out)).filter(([k]) => !k.startsWith(STAGING_PREFIX)));
    await expect(applyPlan(plan2, next, { staged: staged2 })).rejects.toThrow(WriteError);
    expect(snapshot(out)).toEqual(before);
    expect(existsSync(join(out, 'consumers/g/events/y2.event-handler.ts'))).toBe(false);
    expect(readdirSync(out).filter((n) => n.startsWith(STAGING_PREFIX))).toEqual([]);
  });

  it("a killed process's staging directory is removed by the next staging and never planned as part of the tree", async () => {
    const out = join(base, 'out');
    await applyPlan(await planWrite(out, files(1)), files(1));
    // As a SIGKILLed run leaves it: a managed file (banner) and a stub (scaffold marker) staged, pid long gone.
    const dead = join(out, `${STAGING_PREFIX}2147483646-deadbeef0`);
    const alive = join(out, `${STAGING_PREFIX}${process.ppid}-cafe0`);
    for (const d of [dead, alive]) {
      await mkdir(d);
      await writeFile(join(d, '0.tmp'), files(1)[0]?.content as string);
      await writeFile(join(d, '1.tmp'), files(1)[4]?.content as string);
    }
    const plan = await planWrite(out, files(1));
    expect(plan.entries.filter((e) => e.action !== 'unchanged' && e.action !== 'stub-keep')).toEqual([]);
    const changed = files(1).map((f) => (f.path === 'index.ts' ? managed(f.path, 'export const v = 9;\n') : f));
    const staged = await stagePlan(await planWrite(out, changed), changed);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(alive)).toBe(true); // its process (this test's parent) is alive: not ours to remove
    await staged?.discard();
    await rm(alive, { recursive: true });
  });

  it('nothing to write: nothing staged', async () => {
    const out = join(base, 'out');
    await applyPlan(await planWrite(out, files(1)), files(1));
    expect(await stagePlan(await planWrite(out, files(1)), files(1))).toBeUndefined();
    expect(readdirSync(out).filter((n) => n.startsWith(STAGING_PREFIX))).toEqual([]);
  });
});

const BIN = join(ROOT, 'bin/gen.js');
const WORKER = join(ROOT, 'dist/generator/load/parse-worker.js');
const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

/** `gen events` of the build in a child process (the worker thread, so staging, only exist there). */
function genProcess(cwd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'events', '--no-cache', ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!existsSync(WORKER))('gen events stages while the parser validates (built CLI)', () => {
  it('the bundled catalog: the same tree (files, modes, directories) as the CLI writing without a worker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventgen-staging-cli-'));
    temps.push(dir);
    const r = genProcess(ROOT, '--out', join(dir, 'staged'), '--verbose');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/eventgen: \d+ files staged while @asyncapi\/parser validated the catalog\n/);
    // In process from the sources: no worker thread, so the files are written after validation, without staging.
    const direct = await gen(ROOT, 'events', '--no-cache', '--out', join(dir, 'direct'));
    expect(direct.code, direct.err).toBe(0);
    const staged = snapshot(join(dir, 'staged'));
    expect(Object.keys(staged).length).toBeGreaterThan(100);
    expect(staged).toEqual(snapshot(join(dir, 'direct')));
  });

  it('a catalog only the parser rejects: no output directory on a first run, the tree untouched over an existing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventgen-staging-cli-'));
    temps.push(dir);
    mkdirSync(join(dir, 'catalog'));
    cpSync(join(ROOT, 'catalog/shop.asyncapi.yaml'), join(dir, 'catalog/shop.asyncapi.yaml'));
    const text = readFileSync(join(dir, 'catalog/shop.asyncapi.yaml'), 'utf8');
    // A type error in `info` that the model does not read: the model and the emitters succeed, the parser refuses.
    const invalid = text.replace(/^info:\n/m, 'info:\n  termsOfService: 7\n');
    expect(invalid).not.toBe(text);
    writeFileSync(join(dir, 'catalog/bad.asyncapi.yaml'), invalid);
    const bad = genProcess(dir, '--catalog', 'catalog/bad.asyncapi.yaml', '--out', 'deep/out', '--verbose');
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/files staged while @asyncapi\/parser validated the catalog; discarded/);
    expect(bad.stderr).toContain('termsOfService');
    expect(bad.stderr).toContain('nothing was written');
    expect(existsSync(join(dir, 'deep'))).toBe(false);

    const good = genProcess(dir, '--catalog', 'catalog/shop.asyncapi.yaml', '--out', 'deep/out');
    expect(good.status, good.stderr).toBe(0);
    const before = snapshot(join(dir, 'deep'));
    // every managed file names its catalog in its banner: the invalid one's staging holds a new version of each
    const again = genProcess(dir, '--catalog', 'catalog/bad.asyncapi.yaml', '--out', 'deep/out', '--verbose');
    expect(again.status).toBe(1);
    expect(again.stdout).toMatch(/files staged while @asyncapi\/parser validated the catalog; discarded/);
    expect(snapshot(join(dir, 'deep'))).toEqual(before);
  });
});
