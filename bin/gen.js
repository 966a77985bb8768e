#!/usr/bin/env node
// eventgen command line: runs the compiled CLI (dist/ is built by `npm install` via the prepare script).
// `gen events` first asks the content-hash cache (dist/generator/cache/fast.js, Node built-ins only): an unchanged
// catalog and output answer without loading yargs or the generator; on a miss the parser's worker thread is started
// before the CLI is loaded.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/generator/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('gen: eventgen is not built yet; run `npm run build` in the eventgen package\n');
  process.exit(2);
}
const argv = process.argv.slice(2);
if (argv[0] === 'events') {
  const { fastEvents } = await import(new URL('../dist/generator/cache/fast.js', import.meta.url).href);
  const color = !process.env.NO_COLOR && process.stderr.isTTY === true;
  const code = fastEvents(argv, { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n'), cwd: process.cwd(), color });
  if (typeof code === 'number') {
    process.exitCode = code;
  } else {
    // A one-shot generate: @asyncapi/parser's worker thread starts loading the parser now, while the CLI loads.
    if (!argv.some((a) => /^--(watch|help|version)(=|$)|^-h$/.test(a))) {
      const { prestartParserWorker } = await import(new URL('../dist/generator/load/worker-start.js', import.meta.url).href);
      prestartParserWorker();
    }
    const { run } = await import(cli.href);
    await run({ cacheMissed: code === 'miss' });
  }
} else {
  const { run } = await import(cli.href);
  await run();
}
