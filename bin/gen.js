#!/usr/bin/env node
// eventgen command line: runs the compiled CLI (dist/ is built by `npm install` via the prepare script).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/generator/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('gen: eventgen is not built yet; run `npm run build` in the eventgen package\n');
  process.exit(2);
}
const { run } = await import(cli.href);
await run();
