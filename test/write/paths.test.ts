import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GeneratedFile } from '../../generator/emit/types.js';
import {
  WriteError,
  applyPlan,
  assertUniquePaths,
  bannerFor,
  planWrite,
  resolveInside,
} from '../../generator/write/index.js';

let base: string;
let out: string;
let outside: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'eventgen-paths-'));
  out = join(base, 'out');
  outside = join(base, 'outside');
  await mkdir(out);
  await mkdir(outside);
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

function thrown(fn: () => unknown): WriteError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WriteError);
    return error as WriteError;
  }
  throw new Error('expected a WriteError');
}

function managed(path: string, body = 'export {};\n'): GeneratedFile {
  return { path, content: `${bannerFor('x.ts', '0.1.0', 'c.yaml')}\n${body}`, ownership: 'managed' };
}

describe('resolveInside', () => {
  it('resolves ordinary relative paths inside outDir', () => {
    expect(resolveInside(out, 'a.ts')).toBe(resolve(out, 'a.ts'));
    expect(resolveInside(out, 'consumers/g/topics/t/t.topic-handler.ts')).toBe(resolve(out, 'consumers/g/topics/t/t.topic-handler.ts'));
    expect(resolveInside(out, '.github/x.yml')).toBe(resolve(out, '.github/x.yml'));
    expect(resolveInside(join(base, 'not-yet-created'), 'a/b.ts')).toBe(resolve(base, 'not-yet-created/a/b.ts'));
  });

  it.each([
    ['../../x', /"\.\." segments/],
    ['a/../../b', /"\.\." segments/],
    ['a/../b', /"\.\." segments/],
    ['./a.ts', /"\." segments/],
    ['/etc/passwd', /absolute/],
    ['C:\\x', /backslash/],
    ['C:/x', /absolute/],
    ['c:x', /absolute/],
    ['a\\..\\b', /backslash/],
    ['\\\\server\\share\\x', /backslash/],
    ['//server/share/x', /absolute/],
    ['a\0b.ts', /NUL/],
    ['a\nb.ts', /control character/],
    ['a//b.ts', /empty segment/],
    ['a/', /empty segment/],
    ['', /empty path/],
  ])('rejects %j', (rel, message) => {
    const error = thrown(() => resolveInside(out, rel));
    expect(error.message).toMatch(message);
    expect(error.path).toBe(rel);
    if (rel !== '') expect(error.message).toContain(JSON.stringify(rel));
  });

  it('rejects a path below a symlinked directory that points outside outDir', async () => {
    await symlink(outside, join(out, 'link'), 'dir');
    const error = thrown(() => resolveInside(out, 'link/x.ts'));
    expect(error.message).toMatch(/symbolic link/);
    expect(error.message).toContain('"link/x.ts"');
    // also when the escaping link is higher up and the rest does not exist yet
    expect(() => resolveInside(out, 'link/deeper/still/x.ts')).toThrow(WriteError);
  });

  it('rejects a path below a dangling symlink', async () => {
    await symlink(join(base, 'nowhere'), join(out, 'dangling'), 'dir');
    expect(() => resolveInside(out, 'dangling/x.ts')).toThrow(/does not resolve/);
  });

  it('accepts a symlinked directory that stays inside outDir, and an outDir that is itself a symlink', async () => {
    await mkdir(join(out, 'real'));
    await symlink(join(out, 'real'), join(out, 'alias'), 'dir');
    expect(resolveInside(out, 'alias/x.ts')).toBe(resolve(out, 'alias/x.ts'));
    await symlink(out, join(base, 'out-link'), 'dir');
    expect(resolveInside(join(base, 'out-link'), 'real/x.ts')).toBe(resolve(base, 'out-link/real/x.ts'));
  });
});

describe('assertUniquePaths', () => {
  it('accepts distinct paths', () => {
    expect(() => assertUniquePaths([managed('a.ts'), managed('b/a.ts'), managed('b/c.ts')])).not.toThrow();
  });

  it('rejects exact duplicates', () => {
    expect(() => assertUniquePaths([managed('a.ts'), managed('a.ts')])).toThrow(/Duplicate generated path "a.ts"/);
  });

  it('rejects paths that differ only in case', () => {
    try {
      assertUniquePaths([managed('schemas/Order.ts'), managed('schemas/order.ts')]);
      throw new Error('expected a throw');
    } catch (error) {
      expect(error).toBeInstanceOf(WriteError);
      expect((error as WriteError).path).toBe('schemas/order.ts');
      expect((error as Error).message).toContain('"schemas/Order.ts"');
      expect((error as Error).message).toContain('case-insensitive');
    }
    expect(() => assertUniquePaths([managed('A/x.ts'), managed('a/X.ts')])).toThrow(WriteError);
  });

  it('rejects a path used both as a file and as a directory', () => {
    expect(() => assertUniquePaths([managed('a.ts'), managed('A.ts/b.ts')])).toThrow(/needs it to be a directory/);
  });
});

describe('confinement in planWrite / applyPlan', () => {
  it('throws before anything is written when one file escapes through a symlinked subdir', async () => {
    await symlink(outside, join(out, 'link'), 'dir');
    const files = [managed('a.ts'), managed('b/c.ts'), managed('link/evil.ts')];
    await expect(planWrite(out, files)).rejects.toThrow(/symbolic link/);
    expect((await readdir(out)).sort()).toEqual(['link']);
    expect(await readdir(outside)).toEqual([]);
  });

  it.each(['../../x.ts', '/etc/passwd', 'a/../../b.ts', 'C:\\x', 'a\\..\\b', 'a\0.ts'])(
    'planWrite rejects %j and writes nothing',
    async (bad) => {
      await expect(planWrite(out, [managed('ok.ts'), { ...managed('x'), path: bad }])).rejects.toBeInstanceOf(WriteError);
      expect(await readdir(out)).toEqual([]);
      expect(await readdir(base)).toEqual(['out', 'outside'].sort());
    },
  );

  it('applyPlan re-checks: a symlink planted after planning stops it before any write', async () => {
    const files = [managed('a.ts'), managed('sub/x.ts')];
    const plan = await planWrite(out, files);
    expect(plan.entries.map((e) => e.action)).toEqual(['create', 'create']);
    await symlink(outside, join(out, 'sub'), 'dir');
    await expect(applyPlan(plan, files)).rejects.toThrow(/symbolic link/);
    expect((await readdir(out)).sort()).toEqual(['sub']); // a.ts was not written either
    expect(await readdir(outside)).toEqual([]);
  });

  it('applyPlan refuses a hand-made plan with a traversal path', async () => {
    const plan = { outDir: out, entries: [{ path: '../escape.ts', action: 'create' as const, ownership: 'managed' as const }] };
    await expect(applyPlan(plan, [{ ...managed('x'), path: '../escape.ts' }])).rejects.toBeInstanceOf(WriteError);
    expect(await readdir(base)).toEqual(['out', 'outside']);
  });

  it('fails cleanly when a user file sits where a generated directory is needed, leaving it intact', async () => {
    await writeFile(join(out, 'sub'), 'not a dir');
    const files = [managed('sub/x.ts')];
    const plan = await planWrite(out, files);
    await expect(applyPlan(plan, files)).rejects.toThrow(/EEXIST|ENOTDIR/);
    expect(await readFile(join(out, 'sub'), 'utf8')).toBe('not a dir');
    expect(await readdir(out)).toEqual(['sub']);
  });
});
