/**
 * One-shot `gen events` validates with @asyncapi/parser in a worker thread (generator/load/parse-worker.ts) while the
 * main thread reads the catalog. The worker exists only in the build (dist/), so these tests run built code in child
 * processes: the same findings, at the same places, as the parser on the main thread; its result discarded when the
 * parser must see another text (stand-ins for hostile keys, several files); the same generated tree.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, gen, outputTree, workspace } from '../cache/support.js';
import { fixturePath, ROOT } from '../support/tree.js';

const LOAD = path.join(ROOT, 'dist/generator/load/index.js');
const GENERATE = path.join(ROOT, 'dist/generator/index.js');
const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
  cleanup();
});

interface Loaded {
  parserOnMain: boolean;
  ok: boolean;
  diagnostics: string[];
}

/** loadCatalog from the build in a fresh process, with or without the worker. */
function loadInChild(catalog: string, worker: boolean): Loaded {
  const script = `
    import { createRequire } from 'node:module';
    const { loadCatalog, useParserWorker } = await import(${JSON.stringify(LOAD)});
    useParserWorker(${worker});
    const r = await loadCatalog(${JSON.stringify(catalog)}, { cwd: ${JSON.stringify(path.dirname(catalog))} });
    const parserOnMain = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('@asyncapi/parser'));
    console.log(JSON.stringify({ parserOnMain, ok: !!r.loaded, diagnostics: r.diagnostics.map((d) => [d.severity, d.rule, d.location?.file, d.location?.line, d.location?.column, d.location?.pointer, d.message].join(' | ')) }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: ROOT });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as Loaded;
}

interface Generated {
  deferred: boolean;
  diagnostics: string[];
  files: string[];
}

/**
 * generate() from the build in a fresh process, with or without the worker. `deferred`: whether loadCatalog handed
 * the model a catalog whose validation was still running (checked with a load of its own, as generate() asks).
 */
function generateInChild(catalog: string, worker: boolean): Generated {
  const script = `
    import { createHash } from 'node:crypto';
    const { loadCatalog, useParserWorker } = await import(${JSON.stringify(LOAD)});
    const { generate } = await import(${JSON.stringify(GENERATE)});
    useParserWorker(${worker});
    const cwd = ${JSON.stringify(path.dirname(catalog))};
    const probe = await loadCatalog(${JSON.stringify(catalog)}, { cwd, deferValidation: true });
    const deferred = probe.loaded?.verdict !== undefined;
    if (probe.loaded?.verdict) await probe.loaded.verdict;
    const r = await generate(${JSON.stringify(catalog)}, { cwd });
    const files = r.files.map((f) => f.path + ' ' + f.ownership + ' ' + createHash('sha256').update(f.content).digest('hex'));
    console.log(JSON.stringify({ deferred, files, diagnostics: r.diagnostics.map((d) => [d.severity, d.rule, d.location?.file, d.location?.line, d.location?.column, d.location?.pointer, d.message].join(' | ')) }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: ROOT });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as Generated;
}

function catalogFile(text: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'eventgen-worker-'));
  temps.push(dir);
  const file = path.join(dir, 'catalog.yaml');
  writeFileSync(file, text);
  return file;
}

const INVALID = `asyncapi: 3.0.0
info:
  title: Bad
  version: 1.0.0
channels:
  c1:
    address: a.b
    messages:
      m1: { $ref: '#/components/messages/m1' }
components:
  messages:
    m1:
      payload: { type: object, properties: { id: { type: strin }, n: { type: integer, minimum: x } } }
`;
/** The same catalog, repaired. */
const VALID = INVALID.replace('{ type: strin }', '{ type: string }').replace('minimum: x', 'minimum: 1');

describe.skipIf(!existsSync(LOAD))('the parser in a worker thread (built code)', () => {
  it('reports the same findings at the same places, and the main thread never loads the parser', () => {
    const file = catalogFile(INVALID);
    const viaWorker = loadInChild(file, true);
    const onMain = loadInChild(file, false);
    expect(viaWorker.ok).toBe(false);
    expect(viaWorker.diagnostics.length).toBeGreaterThan(0);
    expect(viaWorker.diagnostics).toEqual(onMain.diagnostics);
    expect(viaWorker.parserOnMain).toBe(false);
    expect(onMain.parserOnMain).toBe(true);
  });

  it('a valid catalog loads through the worker alone', () => {
    const viaWorker = loadInChild(path.join(ROOT, 'catalog/shop.asyncapi.yaml'), true);
    expect(viaWorker).toEqual({ parserOnMain: false, ok: true, diagnostics: expect.any(Array) });
    expect(viaWorker.diagnostics).toEqual(loadInChild(path.join(ROOT, 'catalog/shop.asyncapi.yaml'), false).diagnostics);
  });

  it('a hostile key (the parser must read stand-ins): the worker result is discarded, the findings are the same', () => {
    const file = catalogFile(INVALID.replace('n: { type: integer', 'constructor: { type: integer'));
    const viaWorker = loadInChild(file, true);
    expect(viaWorker.parserOnMain).toBe(true);
    expect(viaWorker.diagnostics.some((d) => d.includes('/constructor/'))).toBe(true);
    expect(viaWorker.diagnostics).toEqual(loadInChild(file, false).diagnostics);
  });

  it('several files ($ref to another file): validated on the main thread, as before', () => {
    const entry = fixturePath('multi-file');
    const viaWorker = loadInChild(entry, true);
    expect(viaWorker.ok).toBe(true);
    expect(viaWorker.parserOnMain).toBe(true);
  });

  it('bin/gen.js (worker) writes the same tree as the CLI in process (main thread)', async () => {
    const ws = workspace(path.join(ROOT, 'catalog/shop.asyncapi.yaml'), { cacheDir: false });
    const args = ['events', '--catalog', 'catalog/shop.asyncapi.yaml', '--no-cache'];
    const child = spawnSync(process.execPath, [path.join(ROOT, 'bin/gen.js'), ...args, '--out', 'a'], { cwd: ws, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(child.status, child.stderr).toBe(0);
    const inProcess = await gen(ws, ...args, '--out', 'b');
    expect(inProcess.code).toBe(0);
    const a = outputTree(path.join(ws, 'a'));
    expect(Object.keys(a).length).toBeGreaterThan(10);
    expect(a).toEqual(outputTree(path.join(ws, 'b')));
  });

  describe('the model and the emitters run while the worker validates (generate)', () => {
    it('a valid catalog: generated during validation, the same files and findings as with the parser first', () => {
      const shop = path.join(ROOT, 'catalog/shop.asyncapi.yaml');
      const viaWorker = generateInChild(shop, true);
      const onMain = generateInChild(shop, false);
      expect(viaWorker.deferred).toBe(true);
      expect(onMain.deferred).toBe(false);
      expect(viaWorker.files.length).toBeGreaterThan(10);
      expect(viaWorker).toEqual({ ...onMain, deferred: true });
    });

    it('a catalog the parser rejects: its findings only, no files, even though the model ran on it', () => {
      // The model alone would generate this one (an unknown keyword is not its business); the parser refuses it.
      const file = catalogFile(VALID.replace('channels:', 'channels:\n  c0: { address: 7, nope: true }'));
      const viaWorker = generateInChild(file, true);
      const onMain = generateInChild(file, false);
      expect(viaWorker.deferred).toBe(true);
      expect(viaWorker.files).toEqual([]);
      expect(viaWorker.diagnostics.length).toBeGreaterThan(0);
      expect(viaWorker.diagnostics.every((d) => d.startsWith('error | asyncapi-schema'))).toBe(true);
      expect(viaWorker).toEqual({ ...onMain, deferred: true });
    });

    it('an invalid payload schema: the same findings as with the parser first', () => {
      const file = catalogFile(INVALID);
      const viaWorker = generateInChild(file, true);
      expect(viaWorker.files).toEqual([]);
      expect(viaWorker).toEqual({ ...generateInChild(file, false), deferred: true });
    });

    it('a worker answer that cannot be used (hostile key): generated again with the parser on this thread, same result', () => {
      const file = catalogFile(VALID.replace('n: { type: integer', 'constructor: { type: integer'));
      const viaWorker = generateInChild(file, true);
      const onMain = generateInChild(file, false);
      expect(viaWorker.deferred).toBe(true);
      expect(viaWorker.files.length).toBeGreaterThan(0);
      expect(viaWorker).toEqual({ ...onMain, deferred: true });
    });

    it('a catalog with traits is validated before the model reads it (traits change the data it reads)', () => {
      const file = catalogFile(
        `${VALID.replace('    m1:\n', "    m1:\n      traits: [{ $ref: '#/components/messageTraits/common' }]\n")}  messageTraits:\n    common:\n      headers: { type: object, properties: { tenant: { type: string } } }\n`,
      );
      const viaWorker = generateInChild(file, true);
      expect(viaWorker.deferred).toBe(false);
      expect(viaWorker).toEqual(generateInChild(file, false));
    });
  });
});
