/**
 * The AsyncAPI generator template (templates/asyncapi-generator): @asyncapi/generator 3.x from npm (installed by
 * scripts/asyncapi-generator.sh into .cache/, under Node 24) runs it on the bundled catalog; the tree it leaves must
 * equal `gen events`'s, file list and bytes, for both targets, and regenerating keeps eventgen's ownership rules.
 * Generator 3.x needs Node ≥ 24.11: this file runs in CI's Node 24 pass (`--project node24`); under an older Node it
 * is skipped.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TEMPLATE = path.join(ROOT, 'templates', 'asyncapi-generator');
const RUNNER = path.join(import.meta.dirname, 'run-generator.cjs');
const CATALOG = 'catalog/shop.asyncapi.yaml';
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const NODE_24 = major > 24 || (major === 24 && minor >= 11);

let installDir = '';
let work = '';

function tree(dir: string, base = dir, out = new Map<string, Buffer>()): Map<string, Buffer> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) tree(p, base, out);
    else out.set(path.relative(base, p).split(path.sep).join('/'), readFileSync(p));
  }
  return out;
}

function runGenerator(out: string, params: Record<string, string>, force = false): { ok: boolean; ms?: number; error?: string; stderr: string } {
  const r = spawnSync(process.execPath, [RUNNER, installDir, TEMPLATE, out, CATALOG, JSON.stringify(params), force ? 'force' : ''], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return { ...(JSON.parse(line || '{"ok":false,"error":"no output"}') as { ok: boolean; ms?: number; error?: string }), stderr: r.stderr };
}

function genEvents(out: string, target: string): void {
  execFileSync(process.execPath, [path.join(ROOT, 'bin', 'gen.js'), 'events', '--catalog', CATALOG, '--out', out, '--target', target, '--no-cache'], { cwd: ROOT, stdio: 'pipe', env: { ...process.env, NO_COLOR: '1' } });
}

describe.skipIf(!NODE_24)('AsyncAPI generator template (@asyncapi/generator 3.x, Node 24)', () => {
  beforeAll(() => {
    installDir = execFileSync('bash', [path.join(ROOT, 'scripts', 'asyncapi-generator.sh')], { encoding: 'utf8', timeout: 600_000 }).trim();
    work = mkdtempSync(path.join(os.tmpdir(), 'eventgen-template-'));
  }, 600_000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  for (const target of ['plain', 'nestjs']) {
    it(`writes the same tree as gen events (target ${target})`, () => {
      const viaGenerator = path.join(work, `generator-${target}`);
      const viaCli = path.join(work, `cli-${target}`);
      const r = runGenerator(viaGenerator, { target });
      expect(r.error, r.stderr).toBeUndefined();
      expect(r.ok).toBe(true);
      genEvents(viaCli, target);
      const a = tree(viaGenerator);
      const b = tree(viaCli);
      expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
      expect(a.size).toBeGreaterThan(100);
      const differing = [...b].filter(([p, bytes]) => !a.get(p)?.equals(bytes)).map(([p]) => p);
      expect(differing).toEqual([]);
      // The targets differ (a template ignoring `target` would pass the comparison above only for plain).
      expect(a.has('base/base-topic.handler.ts')).toBe(target === 'nestjs');
    });
  }

  it('regenerates into its own output only with --force-write, and eventgen still decides per file', () => {
    const out = path.join(work, 'generator-plain');
    const before = tree(out);
    const stub = [...before.keys()].find((p) => p.endsWith('.event-handler.ts'));
    const managed = 'events.ts';
    expect(stub).toBeDefined();
    writeFileSync(path.join(out, stub as string), '// implemented by the user\n');
    writeFileSync(path.join(out, managed), readFileSync(path.join(out, managed), 'utf8') + '\n// edited\n');

    // The generator's own rule: a non-empty directory outside git is refused without --force-write; nothing changes.
    const refused = runGenerator(out, { target: 'plain' });
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatch(/not an empty directory/);
    expect(readFileSync(path.join(out, stub as string), 'utf8')).toBe('// implemented by the user\n');

    const mtimeOther = statSync(path.join(out, 'index.ts')).mtimeMs;
    const forced = runGenerator(out, { target: 'plain' }, true);
    expect(forced.error, forced.stderr).toBeUndefined();
    expect(readFileSync(path.join(out, stub as string), 'utf8')).toBe('// implemented by the user\n'); // stub kept
    expect(readFileSync(path.join(out, managed)).equals(before.get(managed) as Buffer)).toBe(true); // managed restored
    expect(statSync(path.join(out, 'index.ts')).mtimeMs).toBe(mtimeOther); // unchanged files are not rewritten
  });

  it('refuses a file of the user at a generated path and a bad parameter, writing nothing', () => {
    const out = path.join(work, 'conflict');
    execFileSync('mkdir', ['-p', out]);
    writeFileSync(path.join(out, 'events.ts'), 'export const mine = 1;\n');
    const r = runGenerator(out, { target: 'plain' }, true);
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(/events\.ts .*write-conflict/);
    expect(readdirSync(out)).toEqual(['events.ts']);
    expect(readFileSync(path.join(out, 'events.ts'), 'utf8')).toBe('export const mine = 1;\n');

    const bad = runGenerator(path.join(work, 'bad-target'), { target: 'spring' });
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatch(/unknown target "spring" \(available: plain, nestjs\)/);
  });
});
