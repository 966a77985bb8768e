// Baseline process for the CLI benchmark: a cold Node process that only imports @asyncapi/parser and parses the
// document (with its default validation), as `gen events` does before its own work. Prints one JSON line.
import { Parser, fromFile } from '@asyncapi/parser';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node test/bench/parse-only.mjs <asyncapi file>\n');
  process.exit(2);
}
const result = await fromFile(new Parser(), file).parse();
const errors = result.diagnostics.filter((d) => d.severity === 0).length;
process.stdout.write(`${JSON.stringify({ errors, document: result.document !== undefined, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
process.exit(errors === 0 && result.document ? 0 : 1);
