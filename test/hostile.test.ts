/**
 * Hostile input: catalog strings (descriptions, examples, names) are untrusted. Generated code must
 * compile (compile.test.ts) and contain no statement the catalog injected: every catalog string ends up
 * inside a string literal or a comment, never as code.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateFromString } from '../generator/index.js';
import { codeIdentifiers, fixturePath, generateAt } from './support/tree.js';

const INJECTED = ['process', 'exit', 'alert', 'globalThis', 'eval', 'require', 'onerror', 'javascript', 'script', 'img'];

describe('hostile catalog', () => {
  it('generates without errors and every hostile string stays inert', async () => {
    const result = await generateAt(fixturePath('hostile'));
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    // Files whose code does not depend on the catalog (e.g. scripts/topics.ts uses `process`) may use
    // what the same file uses for a harmless catalog; anything beyond that came from the catalog.
    const baseline = new Map((await generateAt(fixturePath('minimal'))).files.map((f) => [f.path, codeIdentifiers(f.content)]));
    const files = result.files.filter((f) => f.path.endsWith('.ts') && !f.path.startsWith('runtime/'));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const allowed = baseline.get(f.path) ?? new Set<string>();
      const ids = codeIdentifiers(f.content);
      for (const bad of INJECTED) expect(ids.has(bad) && !allowed.has(bad), `${f.path}: "${bad}" appears as code`).toBe(false);
    }
  });

  it('quotes dangerous property names and never emits a __proto__ literal key', async () => {
    const result = await generateAt(fixturePath('hostile'));
    const schemas = result.files.filter((f) => f.path.startsWith('schemas/'));
    const all = schemas.map((f) => f.content).join('\n');
    expect(all).not.toMatch(/^\s*__proto__\s*:/m);
    expect(all).not.toMatch(/^\s*'__proto__'\s*:/m);
  });

  it('derives safe, distinct names for unicode, digits and reserved words', async () => {
    const result = await generateAt(fixturePath('hostile'));
    const paths = result.files.map((f) => f.path);
    for (const p of paths) {
      expect(p).not.toMatch(/(^|\/)\.\.?(\/|$)/);
      expect(p).toMatch(/^[\p{L}\p{N}._/-]+$/u);
    }
    const events = readFileSync(path.join(path.dirname(fixturePath('hostile')), 'asyncapi.yaml'), 'utf8');
    expect(events).toContain('3d.rendered');
    expect(paths.some((p) => p.includes('3d-rendered'))).toBe(true);
    const ev = result.files.find((f) => f.path === 'events.ts')?.content ?? '';
    expect(ev).toMatch(/export const Event3dRenderedEvent = /);
  });

  it('escapes descriptions that try to close a JSDoc comment', () => {
    const yaml = [
      'asyncapi: 3.0.0',
      'info: { title: t, version: "1" }',
      'channels:',
      '  c:',
      '    address: t.c',
      '    messages:',
      '      m:',
      '        name: a.b',
      '        summary: "*/ export const pwned = 1; /*"',
      '        payload: { type: object, properties: { x: { type: string, description: "*/ process.exit(1) /*" } } }',
    ].join('\n');
    const result = generateFromString(yaml);
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    for (const f of result.files.filter((x) => x.path.endsWith('.ts'))) {
      expect(codeIdentifiers(f.content).has('pwned'), f.path).toBe(false);
      expect(codeIdentifiers(f.content).has('process') && !f.path.startsWith('runtime/') && !f.path.startsWith('scripts/'), f.path).toBe(false);
    }
  });
});
