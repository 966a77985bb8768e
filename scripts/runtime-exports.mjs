// Build step (after tsc): writes dist/runtime-exports.json, the runtime's export list read from templates/runtime/ with
// the TypeScript compiler API, so an installed eventgen (no TypeScript) knows the runtime's real exports.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { computeRuntimeExports, runtimeHash, RUNTIME_EXPORTS_FILE } = await import(new URL('../dist/generator/symbols/runtime-exports.js', import.meta.url).href);
const dir = path.join(root, 'templates/runtime');
const files = readdirSync(dir)
  .filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'))
  .sort()
  .map((name) => ({ name, content: readFileSync(path.join(dir, name), 'utf8') }));
const out = { hash: runtimeHash(files), exports: computeRuntimeExports(files) };
writeFileSync(path.join(root, 'dist', RUNTIME_EXPORTS_FILE), JSON.stringify(out) + '\n');
