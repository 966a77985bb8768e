/** `gen diff` end to end, in-process: exit codes, formats, usage errors, invalid catalogs. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type Io } from '../../generator/cli.js';
import { fixturePath, ROOT } from '../support/tree.js';

let ws = '';
beforeAll(() => {
  ws = mkdtempSync(path.join(os.tmpdir(), 'eventgen-diff-cli-'));
  const minimal = readFileSync(fixturePath('minimal'), 'utf8');
  // A multi-file catalog with Kafka bindings; heads are written next to it so its relative $refs resolve.
  cpSync(path.dirname(fixturePath('multi-file')), path.join(ws, 'mf'), { recursive: true });
  writeFileSync(path.join(ws, 'same.yaml'), minimal);
  writeFileSync(path.join(ws, 'invalid.yaml'), minimal.replace(/asyncapi: .*/, 'asyncapi: 9.9.9'));
});
afterAll(() => rmSync(ws, { recursive: true, force: true }));

async function gen(cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), cwd, color: false };
  return { code: await main(argv, io), out, err };
}

const BASE = 'mf/asyncapi.yaml';

/** A head next to BASE that differs from it by one text edit (every occurrence). */
function head(name: string, from: RegExp, to: string): string {
  const text = readFileSync(path.join(ws, BASE), 'utf8');
  const next = text.replace(from, to);
  expect(next).not.toBe(text);
  writeFileSync(path.join(ws, 'mf', name), next);
  return `mf/${name}`;
}

describe('gen diff (CLI)', () => {
  it('the bundled catalog diffed against itself has no changes (exit 0)', async () => {
    const catalog = 'catalog/shop.asyncapi.yaml';
    const text = await gen(ROOT, 'diff', catalog, catalog);
    expect(text.code).toBe(0);
    expect(text.out).toContain('No changes.');
    const json = await gen(ROOT, 'diff', catalog, catalog, '--format', 'json');
    expect(JSON.parse(json.out)).toEqual({
      schemaVersion: 1,
      base: catalog,
      head: catalog,
      failOn: 'breaking',
      failed: false,
      summary: { breaking: 0, nonBreaking: 0, info: 0 },
      changes: [],
    });
  });

  it('breaking changes exit 1, with the documented JSON shape', async () => {
    const h = head('partitions.yaml', /partitions: 3/g, 'partitions: 1');
    const r = await gen(ws, 'diff', BASE, h, '--format', 'json');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out) as { failed: boolean; summary: Record<string, number>; changes: Array<Record<string, unknown>> };
    expect(doc.failed).toBe(true);
    expect(doc.summary.breaking).toBeGreaterThan(0);
    const c = doc.changes[0] as Record<string, unknown>;
    expect(Object.keys(c)).toEqual(['rule', 'severity', 'kind', 'subject', 'path', 'message', 'compatibility', 'base', 'head']);
    expect(c).toMatchObject({ rule: 'partitions-decreased', severity: 'breaking', kind: 'topic', path: null, compatibility: null });
    expect(Object.keys(c.base as object)).toEqual(['file', 'line', 'column', 'pointer']);
    expect((c.base as { file: string }).file).toBe(BASE);
    expect((c.head as { file: string }).file).toBe(h);
  });

  it('--fail-on decides which severities fail; text and markdown formats', async () => {
    const h = head('replicas.yaml', /replicas: 1\n(?![\s\S]*replicas: 1\n)/, 'replicas: 7\n');
    const text = await gen(ws, 'diff', BASE, h);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/INFO \(1\)\n {2}topic \S+ +replicas-changed +replicas \d+ → 7\n +mf\/asyncapi\.yaml:\d+:\d+ → mf\/replicas\.yaml:\d+:\d+/);
    expect(text.out).not.toContain('\u001b[');
    expect((await gen(ws, 'diff', BASE, h, '--fail-on', 'non-breaking')).code).toBe(0);
    const info = await gen(ws, 'diff', BASE, h, '--fail-on', 'info', '--format', 'markdown');
    expect(info.code).toBe(1);
    expect(info.out).toContain('### ✅ Catalog diff: 0 breaking, 0 non-breaking, 1 info');
    expect(info.out).toContain('| where | rule | change | base | head |');
    expect(info.out).toContain('`replicas-changed`');
  });

  it('an invalid catalog on either side: located diagnostics, exit 1', async () => {
    for (const args of [['invalid.yaml', 'same.yaml'], ['same.yaml', 'invalid.yaml']]) {
      const r = await gen(ws, 'diff', ...args);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^invalid\.yaml:\d+:\d+ {2}error {2}asyncapi-\S+ /m);
      expect(r.out).toBe('');
    }
  });

  it('usage errors exit 2', async () => {
    for (const argv of [
      ['diff', BASE],
      ['diff'],
      ['diff', BASE, 'same.yaml', '--base', 'HEAD'],
      ['diff', BASE, 'same.yaml', '--format', 'xml'],
      ['diff', BASE, 'same.yaml', '--fail-on', 'warning'],
      ['diff', BASE, 'same.yaml', '--bogus'],
    ]) {
      const r = await gen(ws, ...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(/^gen: /);
    }
  });
});
