// `generate:after` hook of the eventgen AsyncAPI generator template: runs eventgen's own pipeline (load → model →
// emit) on the catalog the generator was given and writes the tree into the generator's target directory through
// eventgen's writer, so the result is byte for byte what `gen events` writes, with the same ownership rules: managed
// files (banner) rewritten when changed and deleted when no longer generated, handler stubs created once and never
// overwritten, files of the user's at managed paths refused as conflicts. docs/asyncapi-generator.md says more.
'use strict';
const path = require('node:path');
const { existsSync } = require('node:fs');
const { pathToFileURL } = require('node:url');

/** eventgen's package root: this template lives in `<root>/templates/asyncapi-generator/hooks/`. */
const ROOT = path.resolve(__dirname, '..', '..', '..');

function load(rel) {
  const file = path.join(ROOT, 'dist', 'generator', rel);
  if (!existsSync(file)) throw new Error(`eventgen template: ${file} is missing; build eventgen first (npm run build)`);
  return import(pathToFileURL(file).href);
}

/** A template parameter given as a string (the CLI's `-p key=value`) or a value (the programmatic API). */
function param(params, name) {
  const v = params[name];
  return v === undefined || v === null || v === '' ? undefined : v;
}

function booleanParam(params, name) {
  const v = param(params, name);
  if (v === undefined || typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new Error(`eventgen template: parameter "${name}" must be true or false, not "${v}"`);
}

/** The catalog file: the path the generator parsed (generateFromFile, the CLI), else the `catalog` parameter. */
function catalogPath(generator, params, cwd) {
  const explicit = param(params, 'catalog');
  if (explicit !== undefined) return String(explicit);
  let source;
  try {
    source = generator.asyncapi && generator.asyncapi.meta && generator.asyncapi.meta().asyncapi.source;
  } catch {
    source = undefined;
  }
  if (typeof source === 'string' && source && !/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) return path.relative(cwd, path.resolve(cwd, source)) || source;
  throw new Error('eventgen template: the generator was not given a catalog file; pass its path with -p catalog=<file> (eventgen reads the file and its $refs itself)');
}

/** Runs eventgen into `generator.targetDir`; throws (the generator then fails) on catalog errors or conflicts. */
async function generateTree(generator) {
  const t0 = performance.now();
  const cwd = process.cwd();
  const params = generator.templateParams || {};
  const [{ generate }, write, common, format] = await Promise.all([load('index.js'), load('write/index.js'), load('commands/common.js'), load('commands/format.js')]);
  const io = { out: (s) => console.log(s), err: (s) => console.error(s), cwd, color: false };
  const { config } = common.readConfig(cwd);
  const target = param(params, 'target') ?? config.target ?? 'plain';
  if (!format.TARGETS.includes(target)) throw new Error(`eventgen template: unknown target "${target}" (available: ${format.TARGETS.join(', ')})`);
  const docs = booleanParam(params, 'docs') ?? config.docs ?? true;
  const lenient = common.resolveLenient(booleanParam(params, 'lenient'), cwd);
  const withParam = param(params, 'with');
  const services = common.resolveServices(withParam === undefined ? undefined : String(withParam).split(','), cwd);
  const catalog = catalogPath(generator, params, cwd);

  const result = await generate(catalog, { cwd, target, docs, lenient, services });
  const errors = common.printDiagnostics(result.diagnostics, io);
  if (errors) throw new Error(`eventgen: ${catalog} has ${errors} error${errors === 1 ? '' : 's'}; nothing was written`);
  const outDir = path.resolve(cwd, generator.targetDir);
  const out = path.relative(cwd, outDir) || '.';
  const plan = await write.planWrite(outDir, result.files);
  if (common.reportConflicts(plan, out, io)) throw new Error(`eventgen: ${out}/ holds files eventgen does not own at generated paths; nothing was written`);
  const summary = await write.applyPlan(plan, result.files);
  for (const o of summary.orphanStubs) io.err(format.orphanStubLine(out, o, io));
  io.out(
    format.summaryLine(`${catalog} → ${out}/:`, {
      written: summary.written.length,
      unchanged: summary.unchanged.length,
      removed: summary.removed.length,
      stubsCreated: summary.stubsCreated.length,
      stubsKept: summary.stubsKept.length,
      orphanStubs: summary.orphanStubs.length,
    }, Math.round(performance.now() - t0)),
  );
}

module.exports = { 'generate:after': generateTree };
