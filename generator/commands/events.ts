/** `gen events`: generate the tree, or check it (`--check`), or show the plan (`--dry-run`). */
import path from 'node:path';
import v8 from 'node:v8';
import { generate } from '../index.js';
import type { GeneratedFile } from '../emit/types.js';
import { applyPlan, driftOf, formatPlan, planWrite, stagePlan, summarize, type StagedWrites, type WritePlan } from '../write/index.js';
import { LENIENT_OPTION, paint, printDiagnostics, readConfig, reportConflicts, resolveCatalog, resolveLenient, resolveServices, UsageError, type CliCommand, type Io } from './common.js';
import { watchCatalog, WatchSession, type EventsOptions } from './watch.js';
import { orphanStubLine, summaryLine as formatSummary, TARGETS, upToDateLine } from './format.js';
import { answerFromCache, cacheOptions, recordRun } from '../cache/fast.js';
import { COMMAND_LIST } from './list.js';
import { useParserWorker } from '../load/index.js';

interface EventsArgs {
  catalog?: string;
  out?: string;
  check: boolean;
  dryRun: boolean;
  target?: string;
  verbose: boolean;
  watch?: boolean;
  docs?: boolean;
  lenient?: boolean;
  with?: unknown;
  /** Consult and update the content-hash cache (default true; `--no-cache`). */
  cache?: boolean;
}

/**
 * `--watch`: silent runs after the first one, before it says it is watching (`WatchSession.rehearse`). At 1,000 events
 * six take ~1 s and make the first edits ~1.3× faster; fewer left them between (measured in BENCHMARKS.md).
 */
const REHEARSAL_RUNS = 6;

/** The options of a run: flags, else the config file, else the defaults; usage errors thrown. */
function resolveOptions(args: EventsArgs, io: Io): EventsOptions {
  const { config } = readConfig(io.cwd);
  const catalog = resolveCatalog(args.catalog, io.cwd);
  const out = args.out ?? config.out ?? 'generated';
  const target = args.target ?? config.target ?? 'plain';
  if (!(TARGETS as readonly string[]).includes(target)) {
    throw new UsageError(`unknown target "${target}" (available: ${TARGETS.join(', ')})`);
  }
  if (args.check && args.dryRun) throw new UsageError('--check and --dry-run cannot be combined');
  const docs = args.docs ?? config.docs ?? true;
  return { catalog, out, target: target as EventsOptions['target'], docs, lenient: resolveLenient(args.lenient, io.cwd), services: resolveServices(args.with, io.cwd), verbose: args.verbose };
}

/**
 * A generate allocates gigabytes of short-lived objects over a live set of a few hundred MB (at 5,000 events: ~250 MB
 * live, 1.0-1.4 GB peak RSS with V8's default heap growth, which let the heap reach 1 GB between two full
 * collections). Growing the old space by at most 2x per collection keeps the peak near twice the live set for a few
 * more (cheap, mostly-garbage) collections. Process-wide and once: this is the CLI, not a library call.
 */
let heapBounded = false;
function boundHeapGrowth(): void {
  if (heapBounded || process.env.EVENTGEN_HEAP_GROWTH === 'default') return;
  heapBounded = true;
  v8.setFlagsFromString('--heap-growing-percent=100');
}

async function runEvents(args: EventsArgs, io: Io): Promise<number> {
  const t0 = performance.now();
  const { catalog, out, target, docs, lenient, services } = resolveOptions(args, io);
  const useCache = args.cache !== false;
  const keyOptions = cacheOptions(io.cwd, { catalog, out, target, docs, lenient, services });
  if (io.cacheMissed) io.cacheMissed = false; // one miss per process start; `--watch` reruns consult it again
  else if (useCache && !args.dryRun && !args.verbose) {
    const answered = answerFromCache(keyOptions, args.check ? 'check' : 'generate', { catalog, out }, io, t0);
    if (answered !== undefined) return answered;
  }

  boundHeapGrowth();
  // One generate in this process: @asyncapi/parser validates in a worker thread while this one reads the catalog.
  useParserWorker(true);
  const outDir = path.resolve(io.cwd, out);
  // While the parser's worker validates, the emitted files are planned and (when writing) staged: once the catalog
  // is found valid, writing is renames and links; found invalid, the staging is discarded and the tree is untouched.
  const ahead: { files?: GeneratedFile[]; work?: Promise<{ plan: WritePlan; staged?: StagedWrites } | undefined> } = {};
  const whileValidating = (files: GeneratedFile[]): void => {
    ahead.files = files;
    ahead.work = (async () => {
      const plan = await planWrite(outDir, files);
      const staged = args.check || args.dryRun ? undefined : await stagePlan(plan, files);
      return { plan, ...(staged ? { staged } : {}) };
    })().catch(() => undefined); // planned again below, where a failure is reported
  };
  const result = await generate(catalog, { cwd: io.cwd, target, docs, lenient, services, whileValidating });
  const early = ahead.work === undefined ? undefined : await ahead.work;
  const prepared = early !== undefined && ahead.files === result.files ? early : undefined;
  if (early !== undefined && prepared === undefined) await early.staged?.discard();
  let staged = prepared?.staged;
  const invalid = result.diagnostics.some((d) => d.severity === 'error');
  if (args.verbose && early?.staged) io.out(`eventgen: ${early.staged.temps.size} files staged while @asyncapi/parser validated the catalog${staged && !invalid ? '' : '; discarded'}`);
  try {
    // The writer needs the files only: let the model and the symbol table go (hundreds of MB at 5,000 events).
    result.catalog = undefined;
    result.symbols = undefined;
    const errors = printDiagnostics(result.diagnostics, io, args.verbose);
    if (errors) {
      io.err(paint(io, '31', `eventgen: ${catalog} has ${errors} error${errors === 1 ? '' : 's'}; nothing was written`));
      return 1;
    }
    const plan = prepared?.plan ?? (await planWrite(outDir, result.files));
    if (reportConflicts(plan, out, io)) return 1;
    return await finishEvents(args, io, { catalog, out, t0, keyOptions, useCache, result, plan, take: () => {
      const s = staged;
      staged = undefined; // applyPlan removes it
      return s;
    } });
  } finally {
    await staged?.discard();
  }
}

async function finishEvents(
  args: EventsArgs,
  io: Io,
  { catalog, out, t0, keyOptions, useCache, result, plan, take }: { catalog: string; out: string; t0: number; keyOptions: ReturnType<typeof cacheOptions>; useCache: boolean; result: Awaited<ReturnType<typeof generate>>; plan: WritePlan; take: () => StagedWrites | undefined },
): Promise<number> {
  const ms = Math.round(performance.now() - t0);
  const record = (orphans: string[]): void => {
    if (useCache && result.sources) recordRun(keyOptions, result.sources, result.files, orphans, result.diagnostics);
  };
  if (args.check) {
    const drift = driftOf(plan);
    const s = summarize(plan);
    for (const o of s.orphanStubs) io.err(orphanStubLine(out, o, io));
    if (drift.length) {
      io.out(formatPlan({ ...plan, entries: drift }));
      io.err(paint(io, '31', `eventgen: ${out}/ is out of date (${drift.length} file${drift.length === 1 ? '' : 's'}); run \`gen events\``));
      return 1;
    }
    record(s.orphanStubs);
    io.out(upToDateLine(out, catalog, plan.entries.length, ms));
    return 0;
  }
  if (args.dryRun) {
    io.out(formatPlan(plan));
    io.out(summaryLine('would write', summarize(plan), ms));
    return 0;
  }
  const staged = take();
  const summary = await applyPlan(plan, result.files, staged ? { staged } : {});
  for (const o of summary.orphanStubs) io.err(orphanStubLine(out, o, io));
  if (args.verbose) for (const f of [...summary.written, ...summary.stubsCreated]) io.out(`  wrote ${out}/${f}`);
  record(summary.orphanStubs);
  io.out(summaryLine(`${catalog} → ${out}/:`, summary, Math.round(performance.now() - t0)));
  return 0;
}

function summaryLine(head: string, s: ReturnType<typeof summarize>, ms: number): string {
  return formatSummary(head, { written: s.written.length, unchanged: s.unchanged.length, removed: s.removed.length, stubsCreated: s.stubsCreated.length, stubsKept: s.stubsKept.length, orphanStubs: s.orphanStubs.length }, ms);
}


export const eventsCommand: CliCommand = {
  command: COMMAND_LIST.events.command,
  describe: COMMAND_LIST.events.describe,
  options: {
    catalog: { type: 'string', describe: 'AsyncAPI catalog file (YAML or JSON)' },
    out: { type: 'string', describe: 'Output directory (default: generated)' },
    check: { type: 'boolean', default: false, describe: 'Write nothing; exit 1 if the output is out of date' },
    'dry-run': { type: 'boolean', default: false, describe: 'Print what would change; write nothing' },
    target: { type: 'string', describe: 'Code target: plain or nestjs (docs/nestjs.md)' },
    verbose: { type: 'boolean', default: false, describe: 'List every file and info diagnostic' },
    watch: { type: 'boolean', default: false, describe: 'Regenerate whenever a catalog file changes' },
    docs: { type: 'boolean', describe: 'Emit docs/ (Markdown + static site); --no-docs to skip (default: true)' },
    lenient: LENIENT_OPTION,
    cache: { type: 'boolean', default: true, describe: 'Answer an unchanged catalog and output from the content-hash cache (node_modules/.cache/eventgen, or $EVENTGEN_CACHE_DIR); --no-cache to bypass it' },
    with: { type: 'string', array: true, describe: 'Also generate optional services: gateway (HTTP publish API + status tracking, docs/gateway.md), live (WebSocket fan-out of events to browsers, docs/live.md), outbox (PostgreSQL transactional outbox + relay, docs/outbox.md), sagas (typed choreography saga skeletons from x-sagas, docs/sagas.md); none overrides the config file' },
  },
  examples: [
    ['$0 events --catalog catalog/shop.asyncapi.yaml --out generated', 'generate'],
    ['$0 events --check', 'fail CI when generated code is out of date'],
    ['$0 events --catalog exported.yaml --lenient', 'read a catalog another tool wrote (spec violations become warnings)'],
    ['$0 events --with gateway', 'also generate gateway/: the HTTP publish API of the catalog'],
    ['$0 events --with gateway,live', 'also generate live/: WebSocket fan-out of the catalog\'s events'],
    ['$0 events --with sagas', 'also generate sagas/: typed step stubs and runners of the catalog\'s x-sagas'],
  ],
  run: (a, io) => {
    const ev: EventsArgs = { check: a.check === true, dryRun: a['dry-run'] === true, verbose: a.verbose === true };
    if (typeof a.catalog === 'string') ev.catalog = a.catalog;
    if (typeof a.out === 'string') ev.out = a.out;
    if (typeof a.target === 'string') ev.target = a.target;
    if (typeof a.docs === 'boolean') ev.docs = a.docs;
    if (typeof a.lenient === 'boolean') ev.lenient = a.lenient;
    if (a.with !== undefined) ev.with = a.with;
    if (a.cache === false) ev.cache = false;
    if (a.watch !== true) return runEvents(ev, io);
    if (ev.check || ev.dryRun) throw new UsageError('--watch cannot be combined with --check or --dry-run');
    // Incremental: the first run reconciles the whole tree, later runs write only the files an edit changed.
    const options = resolveOptions(ev, io);
    const session = new WatchSession(options, io);
    return watchCatalog(options.catalog, (turn) => session.run(turn), io, undefined, () => session.files(), undefined, (stop) => session.rehearse(REHEARSAL_RUNS, stop));
  },
};
