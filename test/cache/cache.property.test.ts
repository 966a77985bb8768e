/**
 * Property: whatever happens to the catalog, its `$ref`'d files, the output tree and the options between two runs,
 * a run that may answer from the cache prints, exits and leaves the tree exactly like a cold `--no-cache` run on a
 * copy of the same state. Random edits from a seeded generator (reproducible: the seed is in the test name).
 */
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rng } from '../support/rng.js';
import { fixturePath } from '../support/tree.js';
import { cleanup, gen, outputTree, stripCacheTrace, workspace } from './support.js';

beforeAll(() => {
  process.env.EVENTGEN_CACHE_DEBUG = '1';
});
afterAll(() => {
  delete process.env.EVENTGEN_CACHE_DEBUG;
  cleanup();
});


function files(dir: string, filter: (rel: string) => boolean): string[] {
  return Object.keys(outputTree(dir)).filter(filter).sort();
}

type Mutation = (ws: string, pick: <T>(xs: readonly T[]) => T) => string;

const edit = (file: string, f: (s: string) => string): void => writeFileSync(file, f(readFileSync(file, 'utf8')));

const MUTATIONS: Mutation[] = [
  (ws) => (edit(path.join(ws, 'catalog/asyncapi.yaml'), (s) => s + `# note ${s.length}\n`), 'catalog: comment appended'),
  (ws, pick) => {
    const title = pick(['Accounts Service', 'Accounts', 'Accounts Service v2']);
    edit(path.join(ws, 'catalog/asyncapi.yaml'), (s) => s.replace(/^ {2}title: .*$/m, `  title: ${title}`));
    return `catalog: title ${title}`;
  },
  (ws, pick) => {
    const summary = pick(['A new user account was created.', 'A user signed up.', 'Someone joined.']);
    edit(path.join(ws, 'catalog/messages/user-signed-up.yaml'), (s) => s.replace(/^summary: .*$/m, `summary: ${summary}`));
    return `$ref'd message: summary ${summary}`;
  },
  (ws) => (edit(path.join(ws, 'catalog/schemas/common.yaml'), (s) => s + '\n'), `$ref'd schema file: newline appended`),
  (ws, pick) => {
    const broken = pick([true, false]);
    edit(path.join(ws, 'catalog/asyncapi.yaml'), (s) => (broken ? s.replace(/^asyncapi: 3\.0\.0$/m, 'asyncapi: 3.0.0\nx-eventgen-broken: [') : s.replace('\nx-eventgen-broken: [', '')));
    return broken ? 'catalog: broken' : 'catalog: repaired';
  },
  (ws, pick) => {
    const all = files(path.join(ws, 'out'), (p) => !p.endsWith('.event-handler.ts'));
    if (!all.length) return 'nothing (no output)';
    const f = pick(all);
    edit(path.join(ws, 'out', f), (s) => s + '// edited\n');
    return `output: edited ${f}`;
  },
  (ws, pick) => {
    const all = files(path.join(ws, 'out'), () => true);
    if (!all.length) return 'nothing (no output)';
    const f = pick(all);
    unlinkSync(path.join(ws, 'out', f));
    return `output: deleted ${f}`;
  },
  (ws, pick) => {
    const all = files(path.join(ws, 'out'), () => true);
    if (!all.length) return 'nothing (no output)';
    const f = pick(all);
    const t = new Date(Date.now() + 10_000);
    utimesSync(path.join(ws, 'out', f), t, t);
    return `output: touched ${f}`;
  },
  (ws, pick) => {
    const stubs = files(path.join(ws, 'out'), (p) => p.endsWith('.event-handler.ts'));
    if (!stubs.length) return 'nothing (no stubs)';
    const f = pick(stubs);
    edit(path.join(ws, 'out', f), (s) => s + '// implemented\n');
    return `stub: edited ${f}`;
  },
  (ws, pick) => {
    const all = files(path.join(ws, 'out'), (p) => !p.endsWith('.event-handler.ts'));
    if (!all.length) return 'nothing (no output)';
    const f = pick(all);
    const copy = f.replace(/\.ts$/, '.old.ts');
    writeFileSync(path.join(ws, 'out', copy), readFileSync(path.join(ws, 'out', f)));
    return `output: stale generated copy ${copy}`;
  },
  (ws) => {
    if (!existsSync(path.join(ws, 'out'))) return 'nothing (no output)';
    writeFileSync(path.join(ws, 'out', 'NOTES.md'), 'mine\n');
    return 'output: a user file added';
  },
  (ws) => (rmSync(path.join(ws, 'out'), { recursive: true, force: true }), 'output: removed'),
];

const OPTIONS: string[][] = [[], [], [], ['--no-docs'], ['--with', 'gateway'], ['--target', 'nestjs']];

function copyState(from: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true, filter: (src) => path.basename(src) !== '.cache' });
}

describe('gen events cache: a cached answer equals a cold run', () => {
  for (const seed of [2001, 2002, 2003]) {
    it(`random edits (seed ${seed})`, async () => {
      const random = rng(seed);
      const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
      const ws = workspace(fixturePath('multi-file'));
      const cold = workspace(fixturePath('multi-file'), { cacheDir: false });
      const base = ['--catalog', 'catalog/asyncapi.yaml', '--out', 'out'];
      expect((await gen(ws, 'events', ...base)).code).toBe(0);
      let previous: string[] | undefined;
      let hits = 0;
      let misses = 0;
      const steps = 14;
      for (let step = 0; step < steps; step++) {
        // Half the steps change nothing (the same command again): those are the cache's hits.
        const done = random() < 0.5 ? ['nothing'] : [pick(MUTATIONS)(ws, pick)];
        if (random() < 0.2) done.push(pick(MUTATIONS)(ws, pick));
        const args = done[0] === 'nothing' && previous ? previous : [...base, ...pick(OPTIONS), ...(random() < 0.5 ? ['--check'] : [])];
        previous = args;
        copyState(ws, cold);
        const warm = await gen(ws, 'events', ...args);
        const reference = await gen(cold, 'events', ...args, '--no-cache');
        const what = `step ${step}: ${done.join('; ')}; gen events ${args.join(' ')}`;
        expect(stripCacheTrace(warm), what).toEqual(stripCacheTrace(reference));
        expect(outputTree(path.join(ws, 'out')), what).toEqual(outputTree(path.join(cold, 'out')));
        if (/eventgen-cache: hit/.test(warm.err)) hits++;
        else misses++;
      }
      expect(hits, 'some steps answered from the cache').toBeGreaterThan(0);
      expect(misses, 'some steps missed').toBeGreaterThan(0);
      expect(readdirSync(path.join(ws, '.cache')).length).toBeGreaterThan(0);
    }, 120_000);
  }
});
