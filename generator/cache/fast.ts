/**
 * The warm path of `gen events` (issue #20): loaded by `bin/gen.js` before yargs and the generator. It reads the
 * command line the way `commands/events.ts` does, but only the plain forms (`events` with `--catalog`, `--out`,
 * `--check`, `--target`, `--[no-]docs`, `--[no-]lenient`, `--with`; `eventgen.config.json`); anything else
 * (`--verbose`, `--dry-run`, `--watch`, `--help`, a YAML config file, a usage error, ...) falls through to the
 * normal path. A hit prints what a cold run would print and exits 0; a miss changes nothing.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../model/types.js';
import { AVAILABLE_SERVICES, CONFIG_KEYS, formatDiagnostic, orphanStubLine, summaryLine, TARGETS, upToDateLine } from '../commands/format.js';
import { buildEntry, cacheFile, newestMtime, readEntry, verify, writeEntry, type CacheOptions, type CachedResult } from './store.js';

export interface FastIo {
  out: (s: string) => void;
  err: (s: string) => void;
  cwd: string;
  color: boolean;
}

export type CacheMode = 'check' | 'generate';

/** `EVENTGEN_CACHE_DEBUG=1`: say on stderr whether the cache answered and why not. */
const debug = (io: FastIo, s: string): void => {
  if (process.env.EVENTGEN_CACHE_DEBUG) io.err(`eventgen-cache: ${s}`);
};

/**
 * Answer a run from the cache when the record still matches the disk. Returns the exit code on a hit, undefined on a
 * miss (then run normally). `shown` are the catalog and output paths as the user wrote them (for the messages).
 */
export function answerFromCache(options: CacheOptions, mode: CacheMode, shown: { catalog: string; out: string }, io: FastIo, t0 = performance.now()): number | undefined {
  const file = cacheFile(options);
  const found = readEntry(file);
  if (!found) {
    debug(io, `miss (no record)`);
    return undefined;
  }
  let verdict;
  try {
    verdict = verify(found, options);
  } catch (err) {
    verdict = { hit: false as const, why: (err as Error).message };
  }
  if (!verdict.hit) {
    debug(io, `miss (${verdict.why})`);
    return undefined;
  }
  if (verdict.refreshed) writeEntry(file, verdict.refreshed);
  debug(io, verdict.refreshed ? `hit (${verdict.rehashed ?? 0} files hashed${verdict.reread ? ', tree re-read' : ''}; record refreshed)` : 'hit');
  const { result } = found.entry;
  for (const d of result.diagnostics) io.err(formatDiagnostic(d, io));
  for (const o of result.orphans) io.err(orphanStubLine(shown.out, o, io));
  const ms = Math.round(performance.now() - t0);
  if (mode === 'check') io.out(upToDateLine(shown.out, shown.catalog, result.managed + result.stubs + result.orphans.length, ms));
  else io.out(summaryLine(`${shown.catalog} → ${shown.out}/:`, { written: 0, unchanged: result.managed, removed: 0, stubsCreated: 0, stubsKept: result.stubs, orphanStubs: result.orphans.length }, ms));
  return 0;
}

/** Record a successful run (the output tree as it is now). Never throws. */
export function recordRun(
  options: CacheOptions,
  sources: Array<[string, string]>,
  files: ReadonlyArray<{ path: string; content: string; ownership: string }>,
  orphans: string[],
  diagnostics: readonly Diagnostic[],
): void {
  try {
    const generated = new Map<string, string | null>();
    let managed = 0;
    for (const f of files) {
      generated.set(f.path, f.ownership === 'scaffold' ? null : f.content);
      if (f.ownership !== 'scaffold') managed++;
    }
    const result: CachedResult = { managed, stubs: files.length - managed, orphans: [...orphans], diagnostics: diagnostics.filter((d) => d.severity !== 'info') };
    const entry = buildEntry(options, sources, generated, result);
    if (!entry) return;
    const file = cacheFile(options);
    if (!writeEntry(file, entry)) return;
    // Files and directories written in the record's own clock tick would be checked the slow way by every warm run
    // until a hit refreshes the record: wait for the next tick and write it again (a cold run takes seconds anyway).
    const newest = newestMtime(entry);
    for (let i = 0; i < 5 && statSync(file).mtimeMs <= newest; i++) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      writeEntry(file, entry);
    }
  } catch {
    // the cache is an optimisation
  }
}

/** Thrown inside the fast path for anything it does not handle exactly like the normal path. */
class FallThrough extends Error {}

interface Flags {
  catalog?: string;
  out?: string;
  target?: string;
  check?: boolean;
  docs?: boolean;
  lenient?: boolean;
  with?: string[];
}

function parseArgv(argv: string[]): Flags {
  if (argv[0] !== 'events') throw new FallThrough();
  const flags: Flags = {};
  const set = <K extends keyof Flags>(k: K, v: Flags[K]): void => {
    if (flags[k] !== undefined && k !== 'with') throw new FallThrough(); // repeated: yargs makes an array
    flags[k] = v;
  };
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') ? (eq > 0 ? arg.slice(2, eq) : arg.slice(2)) : undefined;
    if (name === undefined) throw new FallThrough(); // positional or short option
    let value: string | undefined;
    if (['catalog', 'out', 'target', 'with'].includes(name)) {
      value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '' || value.startsWith('-')) throw new FallThrough();
      if (name === 'with') set('with', [...(flags.with ?? []), value]);
      else set(name as 'catalog' | 'out' | 'target', value);
      continue;
    }
    if (eq > 0) throw new FallThrough();
    if (name === 'check') set('check', true);
    else if (name === 'docs' || name === 'lenient') set(name, true);
    else if (name === 'no-docs') set('docs', false);
    else if (name === 'no-lenient') set('lenient', false);
    else throw new FallThrough(); // --no-cache, --verbose, --dry-run, --watch, --help, ...
    // yargs lets a boolean flag take a following true/false: leave that to it
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('-')) throw new FallThrough();
  }
  return flags;
}

interface JsonConfig {
  catalog?: string;
  out?: string;
  target?: string;
  docs?: boolean;
  lenient?: boolean;
  with?: string[];
}

/** `eventgen.config.json` as `readConfig` reads it; a YAML config file or any problem falls through. */
function readJsonConfig(cwd: string): JsonConfig {
  const json = path.join(cwd, 'eventgen.config.json');
  if (!existsSync(json)) {
    if (existsSync(path.join(cwd, 'eventgen.config.yaml')) || existsSync(path.join(cwd, 'eventgen.config.yml'))) throw new FallThrough();
    return {};
  }
  const data: unknown = JSON.parse(readFileSync(json, 'utf8'));
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new FallThrough();
  const config: JsonConfig = {};
  for (const [k, v] of Object.entries(data)) {
    if (!CONFIG_KEYS.includes(k)) throw new FallThrough();
    if (k === 'docs' || k === 'lenient') {
      if (typeof v !== 'boolean') throw new FallThrough();
      config[k] = v;
    } else if (k === 'with') {
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new FallThrough();
      config.with = v as string[];
    } else {
      if (typeof v !== 'string' || !v) throw new FallThrough();
      config[k as 'catalog' | 'out' | 'target'] = v;
    }
  }
  return config;
}

/** `defaultCatalog` of commands/common.ts. */
function defaultCatalog(cwd: string): string {
  for (const n of ['asyncapi.yaml', 'asyncapi.yml', 'asyncapi.json']) if (existsSync(path.join(cwd, n))) return n;
  const dir = path.join(cwd, 'catalog');
  if (existsSync(dir)) {
    const found = readdirSync(dir).filter((n) => /\.asyncapi\.(ya?ml|json)$/.test(n)).sort();
    if (found.length === 1) return `catalog/${found[0]}`;
  }
  throw new FallThrough();
}

/** `resolveServices` of commands/common.ts. */
function services(explicit: string[] | undefined, config: JsonConfig): string[] {
  const raw = explicit !== undefined ? explicit.flatMap((x) => x.split(',')) : (config.with ?? []);
  const names = raw.map((x) => x.trim()).filter(Boolean);
  if (explicit !== undefined && names.length === 1 && names[0] === 'none') return [];
  const out = new Set<string>();
  for (const name of names) {
    if (!(AVAILABLE_SERVICES as readonly string[]).includes(name)) throw new FallThrough();
    out.add(name);
  }
  return [...out].sort();
}

/** The cache options of a resolved `gen events` run (shared with the normal path so both compute the same key). */
export function cacheOptions(cwd: string, r: { catalog: string; out: string; target: string; docs: boolean; lenient: boolean; services: readonly string[] }): CacheOptions {
  const abs = path.resolve(cwd);
  return { cwd: abs, catalog: path.resolve(abs, r.catalog), out: path.resolve(abs, r.out), target: r.target, docs: r.docs, lenient: r.lenient, services: [...r.services] };
}

/**
 * The fast path for a whole process: an exit code when the cache answered; `'miss'` when it was consulted and did
 * not answer, undefined when the command line is not one it reads (run the normal CLI either way). Never throws.
 */
export function fastEvents(argv: string[], io: FastIo): number | 'miss' | undefined {
  const t0 = performance.now();
  try {
    const flags = parseArgv(argv);
    const config = readJsonConfig(io.cwd);
    const catalog = flags.catalog ?? config.catalog ?? defaultCatalog(io.cwd);
    const out = flags.out ?? config.out ?? 'generated';
    const target = flags.target ?? config.target ?? 'plain';
    if (!(TARGETS as readonly string[]).includes(target)) throw new FallThrough();
    const options = cacheOptions(io.cwd, { catalog, out, target, docs: flags.docs ?? config.docs ?? true, lenient: flags.lenient ?? config.lenient === true, services: services(flags.with, config) });
    return answerFromCache(options, flags.check ? 'check' : 'generate', { catalog, out }, io, t0) ?? 'miss';
  } catch {
    return undefined;
  }
}
