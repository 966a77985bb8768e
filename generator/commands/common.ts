/** What every command shares: I/O, usage errors, configuration, diagnostics formatting. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Options } from 'yargs';
import type { Diagnostic } from '../model/types.js';
import { conflictsOf, type WritePlan } from '../write/index.js';
import { AVAILABLE_SERVICES, CONFIG_KEYS, formatDiagnostic, paint } from './format.js';

/** Where a command reads and writes: injected so tests run the CLI in process. */
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  cwd: string;
  color: boolean;
  /** Ends long-running commands (`--watch`) when aborted. */
  signal?: AbortSignal;
  /** The cache was consulted already and missed (`bin/gen.js`'s fast path): do not read it again for the first run. */
  cacheMissed?: boolean;
}

/** A usage problem: printed with a hint, exit code 2. */
export class UsageError extends Error {}

export { AVAILABLE_SERVICES, CONFIG_KEYS } from './format.js';

const BOOLEAN_KEYS = ['docs', 'lenient'] as const;

export interface Config {
  catalog?: string;
  out?: string;
  target?: string;
  docs?: boolean;
  /** Read spec violations eventgen can read in one way as warnings (`--lenient`). */
  lenient?: boolean;
  /** Optional services to generate (`--with`): gateway, live, ... */
  with?: string[];
}

/** `eventgen.config.json` or `eventgen.config.yaml|yml` in the working directory; unknown keys refused. */
export function readConfig(cwd: string): { config: Config; file?: string } {
  for (const name of ['eventgen.config.json', 'eventgen.config.yaml', 'eventgen.config.yml']) {
    const file = path.join(cwd, name);
    if (!existsSync(file)) continue;
    let data: unknown;
    try {
      const text = readFileSync(file, 'utf8');
      data = name.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    } catch (err) {
      throw new UsageError(`${name}: cannot parse: ${(err as Error).message.split('\n')[0]}`);
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new UsageError(`${name}: must be an object`);
    const config: Config = {};
    for (const [k, v] of Object.entries(data)) {
      if (!CONFIG_KEYS.includes(k)) throw new UsageError(`${name}: unknown option "${k}" (allowed: ${CONFIG_KEYS.join(', ')})`);
      const bool = BOOLEAN_KEYS.find((b) => b === k);
      if (bool) {
        if (typeof v !== 'boolean') throw new UsageError(`${name}: "${k}" must be true or false`);
        config[bool] = v;
        continue;
      }
      if (k === 'with') {
        if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new UsageError(`${name}: "with" must be a list of services, e.g. ["gateway"]`);
        config.with = v as string[];
        continue;
      }
      if (typeof v !== 'string' || !v) throw new UsageError(`${name}: "${k}" must be a non-empty string`);
      config[k as 'catalog' | 'out' | 'target'] = v;
    }
    return { config, file: name };
  }
  return { config: {} };
}

/** The catalog a command works on: the flag, else `catalog` in the config file, else the default. */
export function resolveCatalog(explicit: unknown, cwd: string): string {
  return typeof explicit === 'string' ? explicit : (readConfig(cwd).config.catalog ?? defaultCatalog(cwd));
}

/** `--lenient` / `--no-lenient`, else `lenient` in the config file, else strict. */
export function resolveLenient(explicit: unknown, cwd: string): boolean {
  return typeof explicit === 'boolean' ? explicit : readConfig(cwd).config.lenient === true;
}

/** The `--lenient` option, shared by every command that reads a catalog. */
export const LENIENT_OPTION: Options = {
  type: 'boolean',
  describe: 'Read spec violations eventgen can still read one way as located warnings saying what was assumed (default: strict, or "lenient" in eventgen.config)',
};

/** Default catalog: ./asyncapi.(yaml|yml|json), else the single catalog/*.asyncapi.(yaml|yml|json). */
export function defaultCatalog(cwd: string): string {
  for (const n of ['asyncapi.yaml', 'asyncapi.yml', 'asyncapi.json']) if (existsSync(path.join(cwd, n))) return n;
  const dir = path.join(cwd, 'catalog');
  if (existsSync(dir)) {
    const found = readdirSync(dir).filter((n) => /\.asyncapi\.(ya?ml|json)$/.test(n)).sort();
    if (found.length === 1) return `catalog/${found[0]}`;
    if (found.length > 1) throw new UsageError(`several catalogs in catalog/ (${found.join(', ')}): choose one with --catalog`);
  }
  throw new UsageError('no catalog: pass --catalog <file>, set "catalog" in eventgen.config.json, or add ./asyncapi.yaml');
}

export { formatDiagnostic, paint } from './format.js';

/** A `gen` sub-command. Options are declared once: they drive yargs and the unknown-option check. */
export interface CliCommand {
  /** yargs command string, e.g. `events` or `diff <base> <head>`. */
  command: string;
  describe: string;
  options: Record<string, Options>;
  /** Positional argument names (allowed keys besides the options). */
  positionals?: string[];
  examples?: Array<[string, string]>;
  run(args: Record<string, unknown>, io: Io): Promise<number>;
}

/** Print diagnostics (info only when verbose); returns the error count. */
export function printDiagnostics(diagnostics: readonly Diagnostic[], io: Io, verbose = false): number {
  for (const d of diagnostics) if (d.severity !== 'info' || verbose) io.err(formatDiagnostic(d, io));
  return diagnostics.filter((d) => d.severity === 'error').length;
}

/** Report files of the user's at managed paths; true when there are any (then nothing may be written). */
export function reportConflicts(plan: WritePlan, out: string, io: Io): boolean {
  const conflicts = conflictsOf(plan);
  for (const c of conflicts) io.err(`${path.join(out, c.path)}  ${paint(io, '31', 'error')}  write-conflict  ${c.reason ?? 'exists and is not generated by eventgen'}`);
  if (conflicts.length) io.err(paint(io, '31', 'eventgen: nothing was written (move those files away or choose another --out)'));
  return conflicts.length > 0;
}


/** `--with a,b` / `--with a --with b`, else `with` in the config file; unknown or unavailable services are usage errors. */
export function resolveServices(explicit: unknown, cwd: string): Array<(typeof AVAILABLE_SERVICES)[number]> {
  const raw = explicit !== undefined ? (Array.isArray(explicit) ? explicit : [explicit]).flatMap((x) => String(x).split(',')) : (readConfig(cwd).config.with ?? []);
  const out = new Set<(typeof AVAILABLE_SERVICES)[number]>();
  const names = raw.map((x) => x.trim()).filter(Boolean);
  if (explicit !== undefined && names.length === 1 && names[0] === 'none') return []; // `--with none`: override the config file
  for (const name of names) {
    if ((AVAILABLE_SERVICES as readonly string[]).includes(name)) out.add(name as (typeof AVAILABLE_SERVICES)[number]);
    else throw new UsageError(`unknown service "${name}" (available: ${AVAILABLE_SERVICES.join(', ')})`);
  }
  return [...out].sort();
}
