import { chmod, link, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GeneratedFile } from '../../generator/emit/types.js';
import {
  WriteError,
  addBanner,
  applyPlan,
  bannerFor,
  conflictsOf,
  driftOf,
  formatPlan,
  jsonBannerComment,
  planWrite,
  scaffoldHeader,
  summarize,
} from '../../generator/write/index.js';
import type { WritePlan } from '../../generator/write/index.js';

const VERSION = '0.1.0';
const CATALOG = 'catalog/asyncapi.yaml';

let base: string;
let out: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'eventgen-write-'));
  out = join(base, 'out');
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

function managed(path: string, body: string): GeneratedFile {
  return { path, content: addBanner(path, body, VERSION, CATALOG), ownership: 'managed' };
}

function stub(path: string, body = 'export async function handle(): Promise<void> {\n  throw new Error("not implemented");\n}\n'): GeneratedFile {
  return { path, content: `${scaffoldHeader(CATALOG)}\n${body}`, ownership: 'scaffold' };
}

const STUB = 'consumers/g/topics/orders/events/order-created.event-handler.ts';

function baseline(): GeneratedFile[] {
  return [
    managed('index.ts', 'export * from "./events.js";\n'),
    managed('events.ts', 'export type EventType = "order.created";\n'),
    managed('schemas/order-created.ts', 'export const schema = 1;\n'),
    managed('scripts/topics.sh', '#!/bin/sh\necho topics\n'),
    { path: 'meta.json', content: `${JSON.stringify({ $comment: jsonBannerComment(VERSION, CATALOG), events: 1 }, null, 2)}\n`, ownership: 'managed' },
    stub(STUB),
  ];
}

async function put(rel: string, content: string): Promise<void> {
  const abs = join(out, rel);
  await mkdir(join(abs, '..'), { recursive: true });
  await writeFile(abs, content);
}

async function read(rel: string): Promise<string> {
  return readFile(join(out, rel), 'utf8');
}

async function exists(rel: string): Promise<boolean> {
  try {
    await lstat(join(out, rel));
    return true;
  } catch {
    return false;
  }
}

/** Every file under `dir`, relative, sorted (follows nothing, includes dotfiles). */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

function actions(plan: WritePlan): Record<string, string> {
  return Object.fromEntries(plan.entries.map((e) => [e.path, e.action]));
}

async function generate(files: GeneratedFile[]) {
  const plan = await planWrite(out, files);
  return { plan, summary: await applyPlan(plan, files) };
}

describe('planWrite', () => {
  it('plans everything as create / stub-create for a missing outDir, and writes nothing', async () => {
    const plan = await planWrite(out, baseline());
    expect(plan.outDir).toBe(out);
    expect(actions(plan)).toEqual({
      [STUB]: 'stub-create',
      'events.ts': 'create',
      'index.ts': 'create',
      'meta.json': 'create',
      'schemas/order-created.ts': 'create',
      'scripts/topics.sh': 'create',
    });
    expect(plan.entries.map((e) => e.path)).toEqual([...plan.entries.map((e) => e.path)].sort());
    expect(await exists('')).toBe(false);
  });

  it('classifies every case', async () => {
    await generate(baseline());
    const next = baseline().map((f) => (f.path === 'events.ts' ? managed('events.ts', 'export type EventType = "order.shipped";\n') : f));
    next.push(managed('producers/orders.producer.ts', 'export class P {}\n'));
    next.push(stub('consumers/g/topics/orders/events/order-shipped.event-handler.ts'));
    next.splice(next.findIndex((f) => f.path === 'schemas/order-created.ts'), 1); // managed orphan
    next.splice(next.findIndex((f) => f.path === STUB), 1); // stub orphan (scaffold marker)
    await put('consumers/old/handlers.ts', 'export const mine = 1;\n'); // orphan by pattern, no marker
    await put('notes.txt', 'my notes\n'); // user file: ignored
    await put('.env', 'SECRET=1\n'); // dotfile: ignored
    await put('node_modules/pkg/gen.ts', `${bannerFor('x.ts', VERSION, CATALOG)}\n`); // skipped dir
    await put('.git/HEAD', 'ref: refs/heads/main\n');
    await put('docs/old.md', addBanner('docs/old.md', '# Old\n', VERSION, CATALOG)); // managed orphan (markdown)
    await put('old.json', JSON.stringify({ $comment: jsonBannerComment(VERSION, CATALOG) })); // managed orphan (json)
    await put('conflict.ts', 'export const userOwned = 1;\n');
    next.push(managed('conflict.ts', 'export const generated = 1;\n'));

    const plan = await planWrite(out, next);
    expect(actions(plan)).toEqual({
      [STUB]: 'stub-orphan',
      'conflict.ts': 'conflict',
      'consumers/g/topics/orders/events/order-shipped.event-handler.ts': 'stub-create',
      'consumers/old/handlers.ts': 'stub-orphan',
      'docs/old.md': 'delete',
      'events.ts': 'update',
      'index.ts': 'unchanged',
      'meta.json': 'unchanged',
      'old.json': 'delete',
      'producers/orders.producer.ts': 'create',
      'schemas/order-created.ts': 'delete',
      'scripts/topics.sh': 'unchanged',
    });
    const byPath = new Map(plan.entries.map((e) => [e.path, e]));
    expect(byPath.get('conflict.ts')?.reason).toMatch(/does not carry the "Code generated by eventgen" banner/);
    expect(byPath.get('conflict.ts')?.ownership).toBe('managed');
    expect(byPath.get(STUB)?.ownership).toBe('scaffold');
    expect(byPath.get('docs/old.md')?.ownership).toBe('managed');
    expect(conflictsOf(plan).map((e) => e.path)).toEqual(['conflict.ts']);
  });

  it('keeps a stub whatever its content (even empty or with a banner-like text)', async () => {
    await put(STUB, '');
    const plan = await planWrite(out, [stub(STUB)]);
    expect(actions(plan)).toEqual({ [STUB]: 'stub-keep' });
  });

  it('treats a symlink or directory at a managed path as a conflict', async () => {
    await mkdir(out, { recursive: true });
    await writeFile(join(base, 'target.ts'), `${bannerFor('x.ts', VERSION, CATALOG)}\n`);
    await symlink(join(base, 'target.ts'), join(out, 'a.ts'));
    await mkdir(join(out, 'b.ts'));
    const plan = await planWrite(out, [managed('a.ts', 'x\n'), managed('b.ts', 'y\n')]);
    expect(actions(plan)).toEqual({ 'a.ts': 'conflict', 'b.ts': 'conflict' });
    expect(plan.entries[0]?.reason).toMatch(/symbolic link/);
    expect(plan.entries[1]?.reason).toMatch(/directory/);
  });

  it('does not follow symlinked directories while looking for orphans', async () => {
    const elsewhere = join(base, 'elsewhere');
    await mkdir(elsewhere);
    await writeFile(join(elsewhere, 'gen.ts'), `${bannerFor('x.ts', VERSION, CATALOG)}\n`);
    await mkdir(out);
    await symlink(elsewhere, join(out, 'linked'), 'dir');
    const { plan, summary } = await generate([managed('a.ts', 'x\n')]);
    expect(actions(plan)).toEqual({ 'a.ts': 'create' });
    expect(summary.removed).toEqual([]);
    expect(await readFile(join(elsewhere, 'gen.ts'), 'utf8')).toContain('Code generated by eventgen');
  });

  it('does not take a case-variant of a generated file for an orphan', async () => {
    await put('Index.ts', addBanner('Index.ts', 'old\n', VERSION, CATALOG));
    const plan = await planWrite(out, [managed('index.ts', 'new\n')]);
    expect(plan.entries.filter((e) => e.path === 'Index.ts')).toEqual([]);
  });

  it('honours a custom scaffoldPattern', async () => {
    await put('handlers/custom.handler.ts', 'export {};\n');
    await put('consumers/x.event-handler.ts', 'export {};\n');
    const plan = await planWrite(out, [], { scaffoldPattern: /\.handler\.ts$/ });
    expect(actions(plan)).toEqual({ 'handlers/custom.handler.ts': 'stub-orphan' });
  });

  it('refuses managed content without a banner (it could never be updated or deleted again)', async () => {
    await expect(planWrite(out, [{ path: 'a.ts', content: 'export {};\n', ownership: 'managed' }])).rejects.toThrow(/has no "Code generated by eventgen" banner/);
    const plan = await planWrite(out, [{ path: 'a.ts', content: 'export {};\n', ownership: 'managed' }], { requireBanner: false });
    expect(actions(plan)).toEqual({ 'a.ts': 'create' });
  });

  it('rejects duplicate paths and an outDir that is a file', async () => {
    await expect(planWrite(out, [managed('A.ts', 'x'), managed('a.ts', 'y')])).rejects.toBeInstanceOf(WriteError);
    await writeFile(out, 'file');
    await expect(planWrite(out, [managed('a.ts', 'x')])).rejects.toThrow(/not a directory/);
  });
});

describe('applyPlan', () => {
  it('writes the tree, then a second run is all unchanged (idempotence)', async () => {
    const files = baseline();
    const first = await generate(files);
    expect(first.summary).toEqual({
      written: ['events.ts', 'index.ts', 'meta.json', 'schemas/order-created.ts', 'scripts/topics.sh'],
      unchanged: [],
      removed: [],
      stubsCreated: [STUB],
      stubsKept: [],
      orphanStubs: [],
    });
    for (const f of files) expect(await read(f.path)).toBe(f.content);
    expect((await read('scripts/topics.sh')).split('\n').slice(0, 2)).toEqual(['#!/bin/sh', `# ${'Code generated by eventgen'} 0.1.0 from ${CATALOG}. DO NOT EDIT.`]);

    const second = await generate(baseline());
    expect(driftOf(second.plan)).toEqual([]);
    expect(second.summary).toEqual({
      written: [],
      unchanged: ['events.ts', 'index.ts', 'meta.json', 'schemas/order-created.ts', 'scripts/topics.sh'],
      removed: [],
      stubsCreated: [],
      stubsKept: [STUB],
      orphanStubs: [],
    });
    expect(second.summary).toEqual(summarize(second.plan));
  });

  it('does not touch unchanged files (same inode and mtime)', async () => {
    await generate(baseline());
    const before = await stat(join(out, 'index.ts'));
    await new Promise((r) => setTimeout(r, 20));
    await generate(baseline());
    const after = await stat(join(out, 'index.ts'));
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
  });

  it('keeps a modified stub byte-identical across plan+apply', async () => {
    await generate(baseline());
    const mine = Buffer.from('// my implementation \u00e9\r\nexport async function handle() { return 42; }\n', 'utf8');
    await writeFile(join(out, STUB), mine);
    const next = baseline().map((f) => (f.path === STUB ? stub(STUB, 'export const differentTemplate = true;\n') : f));
    const { plan, summary } = await generate(next);
    expect(actions(plan)[STUB]).toBe('stub-keep');
    expect(summary.stubsKept).toEqual([STUB]);
    expect((await readFile(join(out, STUB))).equals(mine)).toBe(true);
    await generate(next);
    expect((await readFile(join(out, STUB))).equals(mine)).toBe(true);
  });

  it('refuses to write anything when a user file occupies a managed path', async () => {
    await put('events.ts', 'export const mine = 1;\n');
    const files = baseline();
    const plan = await planWrite(out, files);
    expect(actions(plan)['events.ts']).toBe('conflict');
    const error = await applyPlan(plan, files).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WriteError);
    expect((error as WriteError).path).toBe('events.ts');
    expect((error as Error).message).toMatch(/Nothing was written.*\n.*events\.ts/);
    expect(await tree(out)).toEqual(['events.ts']);
    expect(await read('events.ts')).toBe('export const mine = 1;\n');
  });

  it('refuses when a user file replaced a managed file between plan and apply', async () => {
    await generate(baseline());
    const next = baseline().map((f) => (f.path === 'events.ts' ? managed('events.ts', 'changed\n') : f));
    next.push(managed('new.ts', 'export {};\n'));
    const plan = await planWrite(out, next);
    expect(actions(plan)['events.ts']).toBe('update');
    await writeFile(join(out, 'events.ts'), 'user took it over\n');
    await expect(applyPlan(plan, next)).rejects.toThrow(/replaced by a file without the eventgen banner/);
    expect(await read('events.ts')).toBe('user took it over\n');
    expect(await exists('new.ts')).toBe(false);
  });

  it('deletes managed orphans, keeps unbannered files and orphan stubs, prunes emptied dirs', async () => {
    const files = [
      ...baseline(),
      managed('consumers/legacy/topics/old/old.topic-handler.ts', 'export {};\n'),
      managed('consumers/legacy/index.ts', 'export {};\n'),
      managed('consumers/mixed/index.ts', 'export {};\n'),
      managed('consumers/emptied/a/b/c.ts', 'export {};\n'),
      stub('consumers/legacy/topics/old/events/old.event-handler.ts'),
    ];
    await generate(files);
    await put('consumers/mixed/mine.ts', 'export const mine = 1;\n');
    await put('consumers/emptied/a/keep-empty-sibling/.gitkeep', '');
    await mkdir(join(out, 'user-empty-dir'));

    const { plan, summary } = await generate(baseline());
    expect(driftOf(plan).map((e) => [e.path, e.action])).toEqual([
      ['consumers/emptied/a/b/c.ts', 'delete'],
      ['consumers/legacy/index.ts', 'delete'],
      ['consumers/legacy/topics/old/old.topic-handler.ts', 'delete'],
      ['consumers/mixed/index.ts', 'delete'],
    ]);
    expect(summary.removed).toEqual(driftOf(plan).map((e) => e.path));
    expect(summary.orphanStubs).toEqual(['consumers/legacy/topics/old/events/old.event-handler.ts']);
    expect(await tree(out)).toEqual([
      'consumers/emptied/a/keep-empty-sibling/.gitkeep',
      STUB,
      'consumers/legacy/topics/old/events/old.event-handler.ts',
      'consumers/mixed/mine.ts',
      'events.ts',
      'index.ts',
      'meta.json',
      'schemas/order-created.ts',
      'scripts/topics.sh',
    ].sort());
    expect(await exists('consumers/emptied/a/b')).toBe(false);
    expect(await exists('consumers/emptied/a')).toBe(true); // still holds the user's dir
    expect(await exists('consumers/legacy/topics/old/events')).toBe(true);
    expect(await exists('user-empty-dir')).toBe(true); // not emptied by us: left alone
  });

  it('prunes a whole emptied branch up to, but never including, outDir', async () => {
    await generate([managed('a/b/one.ts', 'x\n'), managed('a/c/two.ts', 'y\n')]);
    const { summary } = await generate([]);
    expect(summary.removed).toEqual(['a/b/one.ts', 'a/c/two.ts']);
    expect(await readdir(out)).toEqual([]);
    expect((await stat(out)).isDirectory()).toBe(true);
  });

  it('re-checks the banner right before deleting', async () => {
    await generate([managed('gone.ts', 'x\n'), managed('keep.ts', 'y\n')]);
    const plan = await planWrite(out, [managed('keep.ts', 'y\n')]);
    expect(actions(plan)['gone.ts']).toBe('delete');
    await writeFile(join(out, 'gone.ts'), 'the user rewrote this file\n');
    const summary = await applyPlan(plan, [managed('keep.ts', 'y\n')]);
    expect(summary.removed).toEqual([]);
    expect(await read('gone.ts')).toBe('the user rewrote this file\n');
  });

  it('replaces an updated file atomically: new inode, full new content, no .tmp left', async () => {
    await generate(baseline());
    const before = await stat(join(out, 'events.ts'));
    const reader = await import('node:fs/promises').then((fs) => fs.open(join(out, 'events.ts'), 'r'));
    try {
      const big = 'x'.repeat(200_000);
      const next = baseline().map((f) => (f.path === 'events.ts' ? managed('events.ts', `${big}\n`) : f));
      const { summary } = await generate(next);
      expect(summary.written).toEqual(['events.ts']);
      const after = await stat(join(out, 'events.ts'));
      expect(after.ino).not.toBe(before.ino); // renamed over, not truncated in place
      expect(await read('events.ts')).toBe(next.find((f) => f.path === 'events.ts')?.content);
      // a reader holding the old file still sees the complete old content
      expect(await reader.readFile('utf8')).toBe(baseline().find((f) => f.path === 'events.ts')?.content);
    } finally {
      await reader.close();
    }
    expect((await tree(out)).filter((p) => p.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps the permission bits of a file it updates', async () => {
    await generate(baseline());
    await chmod(join(out, 'scripts/topics.sh'), 0o755);
    const next = baseline().map((f) => (f.path === 'scripts/topics.sh' ? managed('scripts/topics.sh', '#!/bin/sh\necho v2\n') : f));
    await generate(next);
    expect((await stat(join(out, 'scripts/topics.sh'))).mode & 0o777).toBe(0o755);
    expect(await read('scripts/topics.sh')).toContain('echo v2');
  });

  it('keeps a stub that appeared between plan and apply (exclusive create)', async () => {
    const files = baseline();
    const plan = await planWrite(out, files);
    expect(actions(plan)[STUB]).toBe('stub-create');
    await put(STUB, 'written by the user meanwhile\n');
    const summary = await applyPlan(plan, files);
    expect(summary.stubsCreated).toEqual([]);
    expect(summary.stubsKept).toEqual([STUB]);
    expect(await read(STUB)).toBe('written by the user meanwhile\n');
    expect((await tree(out)).filter((p) => p.endsWith('.tmp'))).toEqual([]);
  });

  it('creates a stub as a single-link regular file with exactly the scaffold content', async () => {
    const files = [stub(STUB)];
    await generate(files);
    const info = await lstat(join(out, STUB));
    expect(info.isFile()).toBe(true);
    expect(info.nlink).toBe(1); // the temp hard link was removed
    expect(await read(STUB)).toBe(files[0]?.content);
  });

  it('does not write through a hard-linked stub path either: an existing link is simply kept', async () => {
    await mkdir(out);
    await writeFile(join(base, 'shared.ts'), 'shared\n');
    await mkdir(join(out, 'consumers/g/topics/orders/events'), { recursive: true });
    await link(join(base, 'shared.ts'), join(out, STUB));
    const { summary } = await generate([stub(STUB)]);
    expect(summary.stubsKept).toEqual([STUB]);
    expect(await readFile(join(base, 'shared.ts'), 'utf8')).toBe('shared\n');
  });

  it('refuses a plan whose files do not match', async () => {
    const plan = await planWrite(out, baseline());
    await expect(applyPlan(plan, [])).rejects.toThrow(/does not match/);
    expect(await exists('')).toBe(false);
  });
});

describe('--check / --dry-run views', () => {
  it('summarize and driftOf describe the plan without writing', async () => {
    const plan = await planWrite(out, baseline());
    expect(summarize(plan)).toEqual({
      written: ['events.ts', 'index.ts', 'meta.json', 'schemas/order-created.ts', 'scripts/topics.sh'],
      unchanged: [],
      removed: [],
      stubsCreated: [STUB],
      stubsKept: [],
      orphanStubs: [],
    });
    expect(driftOf(plan)).toHaveLength(6);
    expect(await exists('')).toBe(false);
    expect(formatPlan(plan).split('\n')).toContain(`stub-create ${STUB}`);
  });

  it('a missing stub is drift; an orphan stub is not', async () => {
    await generate(baseline());
    await rm(join(out, STUB));
    await put('consumers/x/events/gone.event-handler.ts', 'export {};\n');
    const plan = await planWrite(out, baseline());
    expect(driftOf(plan).map((e) => [e.path, e.action])).toEqual([[STUB, 'stub-create']]);
    expect(summarize(plan).orphanStubs).toEqual(['consumers/x/events/gone.event-handler.ts']);
    expect(formatPlan(plan)).toContain('stub-orphan consumers/x/events/gone.event-handler.ts  (stub no longer generated');

    await generate(baseline());
    const clean = await planWrite(out, baseline());
    expect(driftOf(clean)).toEqual([]);
    expect(summarize(clean).orphanStubs).toEqual(['consumers/x/events/gone.event-handler.ts']);
    expect(await exists('consumers/x/events/gone.event-handler.ts')).toBe(true);
  });

  it('formatPlan lists conflicts with their reason and hides unchanged unless asked', async () => {
    await generate(baseline());
    await writeFile(join(out, 'index.ts'), 'mine\n');
    const plan = await planWrite(out, baseline());
    const text = formatPlan(plan);
    expect(text).toMatch(/^conflict {4}index\.ts {2}\(index\.ts exists but does not carry/m);
    expect(text).not.toContain('unchanged');
    expect(formatPlan(plan, { includeUnchanged: true })).toContain('unchanged   events.ts');
  });
});
