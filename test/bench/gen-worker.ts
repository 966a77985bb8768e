/**
 * In-process generation benchmark for one catalog (run in a child by generation.ts):
 * `tsx test/bench/gen-worker.ts <catalog> <reps>`. After one warm-up of each, alternates @asyncapi/parser parsing
 * the document (the baseline) and `generate()` (which runs the same parser plus YAML, model and emit), and prints
 * one JSON line with the per-repetition times.
 */
import { Parser, fromFile } from '@asyncapi/parser';
import { generate } from '../../generator/index.js';

export interface GenWorkerResult {
  parseMs: number[];
  generateMs: number[];
  /** generate()'s own phase timings per repetition. */
  phases: Array<{ loadMs: number; parserMs: number; modelMs: number; emitMs: number }>;
  files: number;
  bytes: number;
  errors: number;
  maxRssBytes: number;
}

async function parseOnly(parser: Parser, file: string): Promise<number> {
  const t0 = performance.now();
  const result = await fromFile(parser, file).parse();
  const elapsed = performance.now() - t0;
  if (!result.document || result.diagnostics.some((d) => d.severity === 0)) throw new Error(`${file}: the parser reports errors`);
  return elapsed;
}

async function main(): Promise<void> {
  const file = process.argv[2];
  const reps = Number(process.argv[3] ?? 3);
  if (file === undefined) throw new Error('usage: gen-worker.ts <catalog> <reps>');
  const parser = new Parser();
  const out: GenWorkerResult = { parseMs: [], generateMs: [], phases: [], files: 0, bytes: 0, errors: 0, maxRssBytes: 0 };
  const gen = async (): Promise<number> => {
    const t0 = performance.now();
    const result = await generate(file, { cwd: process.cwd() });
    const elapsed = performance.now() - t0;
    out.files = result.files.length;
    out.bytes = result.files.reduce((n, f) => n + Buffer.byteLength(f.content), 0);
    out.errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    out.phases.push(result.timings);
    return elapsed;
  };
  await parseOnly(parser, file); // warm-up: compiles the parser's JSON schemas, JIT
  await gen();
  out.phases = [];
  for (let r = 0; r < reps; r++) {
    global.gc?.();
    if (r % 2 === 0) {
      out.parseMs.push(await parseOnly(parser, file));
      out.generateMs.push(await gen());
    } else {
      out.generateMs.push(await gen());
      out.parseMs.push(await parseOnly(parser, file));
    }
    process.stderr.write(`[bench]   in process rep ${r + 1}/${reps}: parse ${Math.round(out.parseMs[r] ?? 0)} ms, generate ${Math.round(out.generateMs[r] ?? 0)} ms\n`);
  }
  out.maxRssBytes = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main();
