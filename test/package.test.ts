/**
 * What a user gets from the installed package: the README's links resolve inside it (or name the repository),
 * production dependencies are only what the CLI and the copied runtime import, and the README's CI recipe works.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/tree.js';

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { files: string[]; dependencies: Record<string, string>; devDependencies: Record<string, string> };
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|js|mjs)$/.test(n) && !/\.test\.ts$/.test(n) ? [p] : [];
  });
}

describe('the published package', () => {
  it('carries every file the README links to, except what it says lives in the repository only', () => {
    const links = [...readme.matchAll(/\]\(((?!https?:|#)[^)#\s]+)(#[^)]*)?\)/g)].map((m) => m[1] ?? '');
    expect(links.length).toBeGreaterThan(5);
    const repoOnly = ['examples/', 'generated/', 'catalog/'];
    for (const link of links) {
      const shipped = pkg.files.some((f) => link === f || link.startsWith(f.replace(/\/?$/, '/')));
      const explained = repoOnly.some((r) => link.startsWith(r));
      expect(shipped || explained, `README links ${link}, which the package does not contain`).toBe(true);
    }
    expect(pkg.files).toContain('docs');
  });

  it('depends in production only on what the CLI, the generated runtime and the live server import (ioredis is for tests)', () => {
    const code = [...sources(path.join(ROOT, 'generator')), ...sources(path.join(ROOT, 'templates/runtime')), ...sources(path.join(ROOT, 'templates/live')), path.join(ROOT, 'bin/gen.js')]
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    for (const dep of Object.keys(pkg.dependencies)) {
      expect(code.includes(`from '${dep}`) || code.includes(`import('${dep}`), `dependency ${dep} is imported by no shipped code`).toBe(true);
    }
    expect(pkg.dependencies.ioredis).toBeUndefined();
    expect(pkg.devDependencies.ioredis).toBeDefined();
  });

  it('documents an install that works before the name is published, and the config-file way for CI', () => {
    expect(readme).not.toMatch(/^npm install --save-dev eventgen\b/m);
    expect(readme).toMatch(/npm pack/);
    expect(readme).toMatch(/```json\n\{ "catalog": "asyncapi\.yaml", "out": "src\/events" \}\n```/);
    expect(readme).toMatch(/npx gen events --check/);
  });
});
