/**
 * The pipeline: load → model → emit. Pure apart from reading the catalog and the runtime templates;
 * writing is the writer's job (`write/`), driven by the CLI.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmitMemo, emitAll, type GeneratedFile, type RuntimeSource, type Target } from './emit/index.js';
import { applyTraits, displayPath, lenientRepairs, loadCatalog, parseSource, releasePositions, type LoadedCatalog } from './load/index.js';
import { buildCatalog } from './model/build.js';
import type { Catalog, Diagnostic } from './model/types.js';
import type { Service } from './emit/types.js';
import { RUNTIME_EXPORTS_FILE, runtimeExports } from './symbols/runtime-exports.js';
import { buildSymbolTable, type SymbolTable } from './symbols/table.js';
import { addBanner } from './write/banner.js';

export type { Catalog, Diagnostic } from './model/types.js';
export type { GeneratedFile, Target } from './emit/index.js';
export { EmitMemo } from './emit/index.js';
export { prepareNextLoad, rehearsalTextsOf } from './load/index.js';

/** The package root (works from `generator/` sources and from the compiled `dist/generator/`). */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'templates', 'runtime'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('eventgen: cannot find its templates/ directory');
    dir = up;
  }
}

let cachedVersion: string | undefined;
export function eventgenVersion(): string {
  cachedVersion ??= (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return cachedVersion;
}

const cachedTemplates = new Map<string, RuntimeSource[]>();
/** `templates/<name>/*.ts` (tests excluded), read once: the runtime, or an optional service's sources (`gateway`, `live`). */
export function templateSources(name: string): RuntimeSource[] {
  let sources = cachedTemplates.get(name);
  if (sources === undefined) {
    const dir = path.join(packageRoot(), 'templates', name);
    sources = readdirSync(dir)
      .filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'))
      .sort()
      .map((n) => ({ name: n, content: readFileSync(path.join(dir, n), 'utf8') }));
    cachedTemplates.set(name, sources);
  }
  return sources;
}

/** The runtime sources, `templates/runtime/*.ts`. */
export function runtimeSources(): RuntimeSource[] {
  return templateSources('runtime');
}

export interface GenerateOptions {
  target?: Target;
  cwd?: string;
  /** Run @asyncapi/parser validation (default true). */
  validate?: boolean;
  /** Emit docs/ (default true). */
  docs?: boolean;
  /** Optional services (`gateway`, ...); default none. */
  services?: readonly Service[];
  /** Read spec violations the model can still read unambiguously as located warnings (default false). */
  lenient?: boolean;
  /** Repeated generation of one catalog in one process (`--watch`): see `LoadOptions.incremental`. */
  incremental?: boolean;
  /** `--watch`: the session's memo of what its previous run emitted (`EmitMemo`); emit reuses what did not change. */
  memo?: EmitMemo;
  /** With `incremental`: the entry file's text instead of what is on disk (`--watch`'s rehearsal). */
  text?: string;
  /**
   * Called with the emitted files when @asyncapi/parser is still validating the catalog (in its worker thread) after
   * the model and the emitters are done, so the caller can prepare their writing meanwhile (`gen events` plans and
   * stages them). Nothing it does may be final: the result may still have errors and no files, or other files (the
   * worker's answer unusable: loaded again). The result's `files` is this very array when it is the one.
   */
  whileValidating?: (files: GeneratedFile[]) => void;
}

export interface GenerateResult {
  files: GeneratedFile[];
  diagnostics: Diagnostic[];
  catalog?: Catalog;
  /** Every exported name of the tree and the file that declares it. */
  symbols?: SymbolTable;
  timings: { loadMs: number; parserMs: number; modelMs: number; emitMs: number };
  /** `[absolute path, sha256]` of every catalog file read (the entry and every `$ref`'d file), for the cache. */
  sources?: Array<[string, string]>;
}

const hasErrors = (d: Diagnostic[]): boolean => d.some((x) => x.severity === 'error');

/**
 * The loaded catalog, for `emit` to let go of once the model is built (`release`): at 5,000 events its data and YAML
 * trees would otherwise stay alive through the whole emit.
 */
interface LoadedBox {
  loaded?: LoadedCatalog;
  release?: boolean;
}

function emit(box: LoadedBox, sourcePath: string, target: Target, t0: number, diagnostics: Diagnostic[], docs = true, services: readonly Service[] = [], memo?: EmitMemo): GenerateResult {
  const t1 = performance.now();
  const loaded = box.loaded as LoadedCatalog;
  const { catalog, diagnostics: modelDiags } = buildCatalog(loaded, { sourcePath, ...(memo ? { incremental: true } : {}) });
  diagnostics.push(...modelDiags);
  const t2 = performance.now();
  const timings = { loadMs: t1 - t0, parserMs: loaded.parserMs, modelMs: t2 - t1, emitMs: 0 };
  if (box.release) {
    for (const f of new Set(loaded.files.values())) releasePositions(f);
    box.loaded = undefined;
  }
  if (!catalog || hasErrors(diagnostics)) return { files: [], diagnostics, timings };
  const runtime = runtimeSources();
  const symbols = buildSymbolTable(catalog, { runtime: runtimeExports(runtime, path.join(packageRoot(), 'dist', RUNTIME_EXPORTS_FILE)) });
  diagnostics.push(...symbols.diagnostics);
  if (hasErrors(diagnostics)) return { files: [], diagnostics, timings };
  const version = eventgenVersion();
  // Under --watch the loaded catalog is kept (no release): the memo keys units by the message definitions they read.
  if (memo && box.loaded) memo.begin(box.loaded, symbols.table);
  const withBanner = (f: GeneratedFile): GeneratedFile => ({ ...f, content: addBanner(f.path, f.content, version, sourcePath) });
  // A file whose content is the one of the previous run (the same string, from the memo) is the previous run's file.
  const banner = (f: GeneratedFile): GeneratedFile => (f.ownership !== 'managed' ? f : memo ? memo.units.get('banner', f.path, f.content, () => withBanner(f)) : withBanner(f));
  const files = emitAll(symbols.table, { target, version, docs, runtime, services, gateway: services.includes('gateway') ? templateSources('gateway') : [], live: services.includes('live') ? templateSources('live') : [], outbox: services.includes('outbox') ? templateSources('outbox') : [], ...(memo ? { memo } : {}) }).map(banner);
  memo?.commit();
  timings.emitMs = performance.now() - t2;
  return { files, diagnostics, catalog, symbols: symbols.table, timings };
}

/**
 * Generate the tree for a catalog file. Never throws for bad input: see `diagnostics`.
 *
 * When @asyncapi/parser validates in a worker (one-shot `gen events`), the model and the emitters run here while it
 * parses, and the result is returned only once its findings are in: a catalog it rejects gets its findings and no
 * files (what the model said of it, or threw on it, is dropped, as if the model had never run), exactly as when the
 * parse comes first.
 */
export async function generate(catalogPath: string, options: GenerateOptions & { noWorker?: boolean } = {}): Promise<GenerateResult> {
  const cwd = options.cwd ?? process.cwd();
  const t0 = performance.now();
  // Held only by `box` (no local), so that `emit` can drop it once the model is built.
  const box: LoadedBox & { diagnostics: Diagnostic[] } = {
    ...(await loadCatalog(catalogPath, {
      cwd,
      validate: options.validate !== false,
      lenient: options.lenient === true,
      incremental: options.incremental === true,
      ...(options.incremental === true && options.text !== undefined ? { text: options.text } : {}),
      deferValidation: true,
      ...(options.noWorker ? { noWorker: true } : {}),
    })),
    release: options.incremental !== true,
  };
  const diagnostics = box.diagnostics;
  const empty = { loadMs: performance.now() - t0, parserMs: 0, modelMs: 0, emitMs: 0 };
  if (!box.loaded || hasErrors(diagnostics)) return { files: [], diagnostics, timings: empty };
  const sources: Array<[string, string]> = [...new Set(box.loaded.files.values())].filter((f) => f.hash !== undefined).map((f) => [f.absPath, f.hash as string]);
  const verdict = box.loaded.verdict;
  const run = (): GenerateResult => emit(box as LoadedBox, displayPath((box.loaded as LoadedCatalog).main.absPath, cwd), options.target ?? 'plain', t0, [...diagnostics], options.docs !== false, options.services, options.memo);
  if (verdict === undefined) {
    const result = run();
    result.sources = sources;
    return result;
  }
  let result: GenerateResult | undefined;
  let thrown: { error: unknown } | undefined;
  try {
    result = run();
  } catch (error) {
    thrown = { error };
  }
  if (result !== undefined && result.files.length > 0 && !hasErrors(result.diagnostics)) options.whileValidating?.(result.files);
  const found = await verdict;
  // The worker's answer cannot be used: load again, validating on this thread (as without a worker).
  if (found === undefined) {
    const { whileValidating: _later, ...rest } = options;
    return generate(catalogPath, { ...rest, noWorker: true });
  }
  if (hasErrors(found.errors)) return { files: [], diagnostics: [...diagnostics, ...found.errors], timings: { ...empty, parserMs: found.parserMs } };
  if (thrown) throw thrown.error;
  const done = result as GenerateResult;
  done.timings.parserMs = found.parserMs;
  done.sources = sources;
  return done;
}

/**
 * Load and model a catalog once, then emit it for several targets (the corpus test type-checks every document
 * for every target without parsing it twice). Never throws for bad input.
 */
export async function generateTargets(
  catalogPath: string,
  targets: readonly Target[],
  options: Omit<GenerateOptions, 'target'> = {},
): Promise<{ diagnostics: Diagnostic[]; files: Map<Target, GeneratedFile[]> }> {
  const cwd = options.cwd ?? process.cwd();
  const t0 = performance.now();
  const { loaded, diagnostics } = await loadCatalog(catalogPath, { cwd, validate: options.validate !== false, lenient: options.lenient === true, incremental: options.incremental === true });
  const files = new Map<Target, GeneratedFile[]>();
  if (!loaded || hasErrors(diagnostics)) return { diagnostics, files };
  let all = diagnostics;
  for (const target of targets) {
    const r = emit({ loaded }, displayPath(loaded.main.absPath, cwd), target, t0, [...diagnostics], options.docs !== false, options.services);
    all = r.diagnostics;
    if (hasErrors(r.diagnostics)) return { diagnostics: r.diagnostics, files: new Map() };
    files.set(target, r.files);
  }
  return { diagnostics: all, files };
}

/** Load and model a catalog without emitting anything (for commands that need only the model). */
export async function loadModel(catalogPath: string, options: { cwd?: string; lenient?: boolean } = {}): Promise<{ catalog?: Catalog; diagnostics: Diagnostic[] }> {
  const cwd = options.cwd ?? process.cwd();
  const { loaded, diagnostics } = await loadCatalog(catalogPath, { cwd, lenient: options.lenient === true });
  if (!loaded || hasErrors(diagnostics)) return { diagnostics };
  const built = buildCatalog(loaded, { sourcePath: displayPath(loaded.main.absPath, cwd) });
  return built.catalog ? { catalog: built.catalog, diagnostics: [...diagnostics, ...built.diagnostics] } : { diagnostics: [...diagnostics, ...built.diagnostics] };
}

/**
 * In-memory generation for tests: no disk, no @asyncapi/parser run (the model's own checks still apply).
 */
export function generateFromString(text: string, options: { target?: Target; path?: string; lenient?: boolean; services?: readonly Service[] } = {}): GenerateResult {
  const t0 = performance.now();
  const absPath = path.resolve(options.path ?? 'catalog.asyncapi.yaml');
  const { file, diagnostics } = parseSource(text, absPath);
  if (!file) return { files: [], diagnostics, timings: { loadMs: 0, parserMs: 0, modelMs: 0, emitMs: 0 } };
  const files = new Map([[absPath, file]]);
  if (options.lenient) diagnostics.push(...lenientRepairs(file, files));
  applyTraits(file, files);
  const loaded: LoadedCatalog = { main: file, files, diagnostics: [], parserMs: 0, lenient: options.lenient === true };
  return emit({ loaded }, file.displayPath, options.target ?? 'plain', t0, [...diagnostics], true, options.services);
}
