// Builds src/main.ts with esbuild (a dev dependency of the repo, via vite) into dist/ (gitignored) and runs it.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const outfile = path.join(here, 'dist/main.mjs');
await build({ entryPoints: [path.join(here, 'src/main.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile, logLevel: 'error' });
await import(outfile);
