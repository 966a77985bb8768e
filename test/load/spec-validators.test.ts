/**
 * The AsyncAPI spec-schema validators kept as compiled code between processes (generator/load/spec-validators.ts):
 * @asyncapi/parser's findings on every corpus document, the bundled catalog and the invalid fixtures are the same
 * without the cache, with an empty cache (compiled, code written) and with a warm one (code loaded, nothing compiled),
 * and a damaged cache file is compiled again. Each setting runs in its own process (the patch is process-wide), from
 * the build (dist/).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/tree.js';

const MODULE = path.join(ROOT, 'dist/generator/load/spec-validators.js');
const CORPUS = path.resolve(ROOT, '../shared/corpus');
const cacheRoot = mkdtempSync(path.join(os.tmpdir(), 'eventgen-spec-validators-'));
afterAll(() => rmSync(cacheRoot, { recursive: true, force: true }));

function documents(): string[] {
  const out: string[] = [path.join(ROOT, 'catalog/shop.asyncapi.yaml')];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(ya?ml|json)$/.test(name)) out.push(full);
    }
  };
  if (existsSync(CORPUS)) walk(CORPUS);
  walk(path.join(ROOT, 'test/fixtures/catalogs'));
  return out;
}

interface Outcome {
  findings: Array<[string, string]>;
  stats: { loaded: number; compiled: number; written: number };
}

/** The parser's findings on `files` in a fresh process; `cache`: the spec validator cache on, in `cacheRoot`. */
function parseAll(files: string[], cache: boolean): Outcome {
  const script = `
    import { createRequire } from 'node:module';
    const { useSpecValidatorCache, specValidatorStats } = await import(${JSON.stringify(MODULE)});
    if (${cache}) useSpecValidatorCache();
    const { Parser, fromFile } = createRequire(${JSON.stringify(path.join(ROOT, 'package.json'))})('@asyncapi/parser');
    const parser = new Parser();
    const findings = [];
    for (const f of ${JSON.stringify(files)}) {
      let text;
      try {
        const r = await fromFile(parser, f).parse();
        text = JSON.stringify([r.document !== undefined, r.diagnostics.map((d) => [d.code, d.severity, d.message, d.path.join('/'), d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character])]);
      } catch (e) {
        text = 'threw ' + String(e && e.message);
      }
      findings.push([f, text]);
    }
    console.log(JSON.stringify({ findings, stats: specValidatorStats }));`;
  const env = { ...process.env, EVENTGEN_CACHE_DIR: cacheRoot, EVENTGEN_SPEC_VALIDATOR_CACHE: cache ? 'on' : 'off' };
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: ROOT, env, maxBuffer: 256 * 1024 * 1024 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as Outcome;
}

describe.skipIf(!existsSync(MODULE))('spec validators kept as code (built code)', () => {
  it('the same findings without the cache, with an empty one, a warm one and a damaged one', () => {
    const files = documents();
    expect(files.length).toBeGreaterThan(30);
    const stock = parseAll(files, false);
    expect(stock.stats).toEqual({ loaded: 0, compiled: 0, written: 0 });
    // Documents the parser rejects are part of the comparison (the error objects are the validator's output).
    expect(stock.findings.filter(([, t]) => t.startsWith('[false')).length).toBeGreaterThan(0);

    const cold = parseAll(files, true);
    expect(cold.findings).toEqual(stock.findings);
    expect(cold.stats.compiled).toBeGreaterThanOrEqual(2); // a resolved and an unresolved schema per version seen
    expect(cold.stats.written).toBe(cold.stats.compiled);
    expect(cold.stats.loaded).toBe(0);

    const warm = parseAll(files, true);
    expect(warm.findings).toEqual(stock.findings);
    expect(warm.stats).toEqual({ loaded: cold.stats.compiled, compiled: 0, written: 0 });

    // A cache file cut short (a full disk, say): its code does not load, the schema is compiled and written again.
    const dir = path.join(cacheRoot, 'validators');
    const cached = readdirSync(dir).filter((n) => n.endsWith('.cjs'));
    expect(cached.length).toBe(cold.stats.written);
    const victim = path.join(dir, cached[0] as string);
    writeFileSync(victim, readFileSync(victim, 'utf8').slice(0, 5000));
    const damaged = parseAll(files, true);
    expect(damaged.findings).toEqual(stock.findings);
    expect(damaged.stats).toEqual({ loaded: cold.stats.compiled - 1, compiled: 1, written: 1 });
  }, 600_000);
});
