/**
 * Bad input gets a clear, located error: every catalog in test/fixtures/catalogs/invalid/ is refused with the
 * rule and line its expected.json names, no stack trace, and no files.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, generateAt } from '../support/tree.js';

const dir = path.join(FIXTURES, 'invalid');
const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Record<string, { rule: string; line: number }>;

describe.each(Object.entries(expected))('invalid catalog %s', (file, want) => {
  it(`is refused with ${want.rule} at line ${want.line}`, async () => {
    const result = await generateAt(path.join(dir, file));
    expect(result.files).toEqual([]);
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.length).toBeGreaterThan(0);
    const match = errors.find((d) => d.rule === want.rule);
    expect(match, JSON.stringify(errors, null, 1)).toBeDefined();
    expect(match?.location?.file).toBe(`test/fixtures/catalogs/invalid/${file}`);
    expect(match?.location?.line).toBe(want.line);
    expect(match?.location?.column).toBeGreaterThan(0);
    for (const e of errors) expect(e.message).not.toMatch(/\n\s+at /);
  });
});
