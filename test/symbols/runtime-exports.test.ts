/** The runtime's exports are read from its sources (TypeScript compiler API), never from a hand-kept list. */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeRuntimeExports, runtimeExports, runtimeHash, type RuntimeFile } from '../../generator/symbols/runtime-exports.js';
import { ROOT } from '../support/tree.js';

const FAKE: RuntimeFile[] = [
  { name: 'index.ts', content: "export * from './a.js';\nexport { B, type BOptions, helper as renamed } from './b.js';\nexport * as tools from './c.js';\n" },
  { name: 'a.ts', content: 'export class A {}\nexport interface AOptions { x: number }\nexport type AKind = "a";\nexport const a = 1, aa = 2;\nexport function makeA(): A { return new A(); }\nexport default 1;\nconst hidden = 2;\n' },
  { name: 'b.ts', content: 'export class B {}\nexport interface BOptions {}\nexport function helper(): void {}\nexport const notReExported = 1;\n' },
  { name: 'c.ts', content: 'export const c = 1;\n' },
];

describe('runtime exports', () => {
  it('follows export *, named and renamed re-exports and namespaces; types are types; default and private names are left out', () => {
    const got = computeRuntimeExports(FAKE).map((e) => `${e.name}:${e.kind}:${e.file}`);
    expect(got).toEqual(['A:value:a.ts', 'AKind:type:a.ts', 'AOptions:type:a.ts', 'B:value:b.ts', 'BOptions:type:b.ts', 'a:value:a.ts', 'aa:value:a.ts', 'makeA:value:a.ts', 'renamed:value:b.ts', 'tools:value:index.ts']);
  });

  it('refuses a re-export of a file the runtime does not have', () => {
    expect(() => computeRuntimeExports([{ name: 'index.ts', content: "export * from './missing.js';\n" }])).toThrow(/re-exports "missing.ts"/);
  });

  it('reads the real runtime: what generated code imports is there, with the right kind', () => {
    const dir = path.join(ROOT, 'templates/runtime');
    const files = readdirSync(dir).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts')).map((name) => ({ name, content: readFileSync(path.join(dir, name), 'utf8') }));
    const byName = new Map(computeRuntimeExports(files).map((e) => [e.name, e]));
    expect(byName.get('EventProducer')).toMatchObject({ kind: 'value', file: 'producer.ts' });
    expect(byName.get('EventHandler')).toMatchObject({ kind: 'type' });
    expect(byName.get('InMemoryTransport')).toMatchObject({ kind: 'value', file: 'memory-transport.ts' });
    expect(byName.has('Envelope') && byName.has('KafkaConfig')).toBe(true);
  });

  it('uses the build\'s cached list only when it was read from the same sources', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'eventgen-rt-'));
    const cache = path.join(dir, 'runtime-exports.json');
    const sources = [{ name: 'index.ts', content: 'export const fromSources = 1;\n' }];
    writeFileSync(cache, JSON.stringify({ hash: 'stale', exports: [{ name: 'fromCache', kind: 'value', file: 'index.ts' }] }));
    expect(runtimeExports(sources, cache).map((e) => e.name)).toEqual(['fromSources']);
    const other = [{ name: 'index.ts', content: 'export const other = 1;\n' }];
    writeFileSync(cache, JSON.stringify({ hash: runtimeHash(other), exports: [{ name: 'fromCache', kind: 'value', file: 'index.ts' }] }));
    expect(runtimeExports(other, cache).map((e) => e.name)).toEqual(['fromCache']);
  });
});
