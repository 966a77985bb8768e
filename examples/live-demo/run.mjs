// Builds src/main.ts (or src/<entry>.ts: `node run.mjs gateway`) with esbuild (a dev dependency of the repo, via
// vite) into dist/ (gitignored) and runs it.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const entry = process.argv[2] ?? 'main';
if (!/^[a-z-]+$/.test(entry)) throw new Error(`unknown entry "${entry}"`);
const outfile = path.join(here, `dist/${entry}.mjs`);
await build({ entryPoints: [path.join(here, `src/${entry}.ts`)], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile, logLevel: 'error' });
await import(outfile);
