/** `gen diff`: classify the changes between two catalog versions (files or `<git-ref>:<path>`). */
import { diffCatalogs, failsOn, SEVERITIES, type ChangeSeverity } from '../diff/index.js';
import { formatJson, formatMarkdown, formatText } from '../diff/format.js';
import { loadSide, parseSpec, SideError, specAtRef, type SideSpec } from '../diff/sources.js';
import { LENIENT_OPTION, paint, printDiagnostics, resolveCatalog, resolveLenient, UsageError, type CliCommand, type Io } from './common.js';
import { COMMAND_LIST } from './list.js';

const FORMATS = ['text', 'json', 'markdown'] as const;

interface DiffArgs {
  from?: string;
  to?: string;
  base?: string;
  catalog?: string;
  format: (typeof FORMATS)[number];
  failOn: ChangeSeverity;
  verbose: boolean;
  lenient: boolean;
}

async function specs(a: DiffArgs, io: Io): Promise<[SideSpec, SideSpec]> {
  if (a.from !== undefined || a.to !== undefined) {
    if (a.base !== undefined || a.catalog !== undefined) throw new UsageError('give either <base> <head>, or --base <ref> [--catalog <path>], not both');
    if (a.from === undefined || a.to === undefined) throw new UsageError('missing <head>: gen diff <base> <head> (each a file or <git-ref>:<path>)');
    return [parseSpec(a.from, io.cwd), parseSpec(a.to, io.cwd)];
  }
  if (a.base === undefined) throw new UsageError('nothing to compare: gen diff <base> <head>, or gen diff --base <ref> [--catalog <path>]');
  const catalog = resolveCatalog(a.catalog, io.cwd);
  return [await specAtRef(a.base, catalog, io.cwd), { kind: 'file', path: catalog, label: catalog }];
}

async function runDiff(a: DiffArgs, io: Io): Promise<number> {
  let pair: [SideSpec, SideSpec];
  let loaded;
  try {
    pair = await specs(a, io);
    loaded = await Promise.all(pair.map((s) => loadSide(s, { cwd: io.cwd, lenient: a.lenient })));
  } catch (err) {
    if (err instanceof SideError) throw new UsageError(err.message);
    throw err;
  }
  let errors = 0;
  loaded.forEach((l, i) => {
    const n = printDiagnostics(l.diagnostics, io, a.verbose);
    if (n) io.err(paint(io, '31', `gen diff: ${pair[i]?.label} has ${n} error${n === 1 ? '' : 's'}`));
    errors += n;
  });
  const [base, head] = loaded.map((l) => l.side);
  if (errors || !base || !head) return 1;
  const result = diffCatalogs(base, head);
  const failed = failsOn(result, a.failOn);
  const ctx = { base: pair[0].label, head: pair[1].label, failOn: a.failOn, failed };
  if (a.format === 'json') io.out(formatJson(result, ctx));
  else if (a.format === 'markdown') io.out(formatMarkdown(result, ctx));
  else io.out(formatText(result, ctx, (code, s) => paint(io, code, s)));
  return failed ? 1 : 0;
}

export const diffCommand: CliCommand = {
  command: COMMAND_LIST.diff.command,
  describe: COMMAND_LIST.diff.describe,
  positionals: ['from', 'to'],
  options: {
    base: { type: 'string', describe: 'Git ref of the base version; the head is the working-tree --catalog' },
    catalog: { type: 'string', describe: 'Catalog path for --base (default: eventgen.config / ./asyncapi.yaml / catalog/*.asyncapi.yaml)' },
    format: { type: 'string', choices: [...FORMATS], default: 'text', describe: 'Output format' },
    'fail-on': { type: 'string', choices: [...SEVERITIES], default: 'breaking', describe: 'Exit 1 when a change at least this severe is found' },
    verbose: { type: 'boolean', default: false, describe: 'Also print info diagnostics of both catalogs' },
    lenient: LENIENT_OPTION,
  },
  examples: [
    ['$0 diff origin/main:catalog/shop.asyncapi.yaml catalog/shop.asyncapi.yaml', 'compare with the main branch'],
    ['$0 diff --base origin/main --format markdown', 'PR comment for the default catalog'],
    ['$0 diff old.yaml new.yaml --fail-on non-breaking', 'also fail on non-breaking changes'],
  ],
  run: (x, io) => {
    const a: DiffArgs = { format: x.format as DiffArgs['format'], failOn: x['fail-on'] as ChangeSeverity, verbose: x.verbose === true, lenient: resolveLenient(x.lenient, io.cwd) };
    for (const k of ['from', 'to', 'base', 'catalog'] as const) if (typeof x[k] === 'string') a[k] = x[k];
    return runDiff(a, io);
  },
};
