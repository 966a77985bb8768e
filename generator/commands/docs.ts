/**
 * `gen docs --out <dir>`: only the static HTML site (what `gen events` writes to `<out>/docs/site/`), for
 * publishing. Written by the same writer as `gen events`: banner-based ownership, confinement to `--out`,
 * atomic writes, conflicts refused, `--check` for CI.
 */
import path from 'node:path';
import { generate } from '../index.js';
import { SITE_DIR } from '../emit/docs/index.js';
import { applyPlan, driftOf, formatPlan, planWrite } from '../write/index.js';
import { LENIENT_OPTION, paint, printDiagnostics, reportConflicts, resolveCatalog, resolveLenient, UsageError, type CliCommand, type Io } from './common.js';
import { COMMAND_LIST } from './list.js';

interface DocsArgs {
  catalog?: string;
  out: string;
  check: boolean;
  verbose: boolean;
  lenient?: boolean;
}

async function runDocs(args: DocsArgs, io: Io): Promise<number> {
  const t0 = performance.now();
  const catalog = resolveCatalog(args.catalog, io.cwd);
  const result = await generate(catalog, { cwd: io.cwd, target: 'plain', lenient: resolveLenient(args.lenient, io.cwd) });
  const errors = printDiagnostics(result.diagnostics, io, args.verbose);
  if (errors) {
    io.err(paint(io, '31', `eventgen: ${catalog} has ${errors} error${errors === 1 ? '' : 's'}; nothing was written`));
    return 1;
  }
  const prefix = `${SITE_DIR}/`;
  const files = result.files.filter((f) => f.path.startsWith(prefix)).map((f) => ({ ...f, path: f.path.slice(prefix.length) }));
  const outDir = path.resolve(io.cwd, args.out);
  const plan = await planWrite(outDir, files);
  if (reportConflicts(plan, args.out, io)) return 1;
  if (args.check) {
    const drift = driftOf(plan);
    if (drift.length) {
      io.out(formatPlan({ ...plan, entries: drift }));
      io.err(paint(io, '31', `eventgen: ${args.out}/ is out of date (${drift.length} file${drift.length === 1 ? '' : 's'}); run \`gen docs --out ${args.out}\``));
      return 1;
    }
    io.out(`eventgen: ${args.out}/ is up to date with ${catalog} (${plan.entries.length} files checked)`);
    return 0;
  }
  const s = await applyPlan(plan, files);
  if (args.verbose) for (const f of s.written) io.out(`  wrote ${args.out}/${f}`);
  const ms = Math.round(performance.now() - t0);
  io.out(`eventgen: docs site for ${catalog} → ${args.out}/: ${s.written.length} written, ${s.unchanged.length} unchanged, ${s.removed.length} removed (${ms} ms); open ${args.out}/index.html`);
  return 0;
}

export const docsCommand: CliCommand = {
  command: COMMAND_LIST.docs.command,
  describe: COMMAND_LIST.docs.describe,
  options: {
    catalog: { type: 'string', describe: 'AsyncAPI catalog file (YAML or JSON)' },
    out: { type: 'string', describe: 'Output directory for the site (required)' },
    check: { type: 'boolean', default: false, describe: 'Write nothing; exit 1 if the site is out of date' },
    verbose: { type: 'boolean', default: false, describe: 'List every file and info diagnostic' },
    lenient: LENIENT_OPTION,
  },
  examples: [['$0 docs --out public', 'write the docs site to public/ (open public/index.html)']],
  run: (a, io) => {
    if (typeof a.out !== 'string' || a.out === '') throw new UsageError('gen docs needs --out <dir> (where to write the site)');
    const args: DocsArgs = { out: a.out, check: a.check === true, verbose: a.verbose === true };
    if (typeof a.catalog === 'string') args.catalog = a.catalog;
    if (typeof a.lenient === 'boolean') args.lenient = a.lenient;
    return runDocs(args, io);
  },
};
