/** `<git-ref>:<path>` sides: a multi-file catalog in a temporary repository, two commits. */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type Io } from '../../generator/cli.js';
import { FIXTURES } from '../support/tree.js';

let repo = '';
const git = (...args: string[]): string => execFileSync('git', ['-c', 'user.name=eventgen', '-c', 'user.email=eventgen@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: repo, encoding: 'utf8' });

beforeAll(() => {
  repo = mkdtempSync(path.join(os.tmpdir(), 'eventgen-diff-git-'));
  git('init', '-q', '-b', 'main');
  cpSync(path.join(FIXTURES, 'multi-file'), path.join(repo, 'catalog'), { recursive: true });
  git('add', '.');
  git('commit', '-q', '-m', 'catalog v1');
  // The shared schema file changes: the change must be found through the refs of the message files.
  const common = path.join(repo, 'catalog/schemas/common.yaml');
  writeFileSync(common, readFileSync(common, 'utf8').replace('enum: [free, pro, team]', 'enum: [free, pro]'));
  git('commit', '-q', '-am', 'drop the team plan');
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

async function gen(cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), cwd, color: false };
  return { code: await main(argv, io), out, err };
}

interface Json {
  base: string;
  head: string;
  changes: Array<{ rule: string; severity: string; subject: string; path: string | null; base: { file: string; line: number } | null; head: { file: string; line: number } | null }>;
}

describe('gen diff with git refs', () => {
  it('diffs HEAD~1:<path> against the working tree, locating changes in the referenced files', async () => {
    const r = await gen(repo, 'diff', 'HEAD~1:catalog/asyncapi.yaml', 'catalog/asyncapi.yaml', '--format', 'json');
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out) as Json;
    expect(doc.base).toBe('HEAD~1:catalog/asyncapi.yaml');
    // Plan is shared: reported through every event that uses it.
    const all = doc.changes.filter((c) => c.rule === 'enum-value-removed');
    expect(all.map((c) => c.subject)).toEqual(['subscription.renewed', 'user.signed-up']);
    const removed = all[1];
    expect(removed).toMatchObject({ severity: 'breaking', subject: 'user.signed-up', path: 'payload.plan' });
    const line = readFileSync(path.join(repo, 'catalog/schemas/common.yaml'), 'utf8').split('\n').findIndex((l) => l.includes('enum: [free, pro]')) + 1;
    expect(removed?.base).toMatchObject({ file: 'HEAD~1:catalog/schemas/common.yaml', line });
    expect(removed?.head).toMatchObject({ file: 'catalog/schemas/common.yaml', line });
  });

  it('--base <ref> with --catalog compares the same path at the ref, from a subdirectory too', async () => {
    const r = await gen(path.join(repo, 'catalog'), 'diff', '--base', 'HEAD~1', '--catalog', 'asyncapi.yaml', '--format', 'json');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out) as Json;
    expect(doc.base).toBe('HEAD~1:catalog/asyncapi.yaml');
    expect(doc.head).toBe('asyncapi.yaml');
    expect(doc.changes.map((c) => c.rule)).toContain('enum-value-removed');
    const same = await gen(repo, 'diff', 'HEAD:catalog/asyncapi.yaml', 'catalog/asyncapi.yaml');
    expect(same.code).toBe(0);
    expect(same.out).toContain('No changes.');
  });

  it('an unknown ref or a missing path is a usage error (exit 2)', async () => {
    const bad = await gen(repo, 'diff', 'no-such-ref:catalog/asyncapi.yaml', 'catalog/asyncapi.yaml');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/no-such-ref/);
    const missing = await gen(repo, 'diff', 'HEAD:catalog/nope.yaml', 'catalog/asyncapi.yaml');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('HEAD:catalog/nope.yaml');
  });
});
