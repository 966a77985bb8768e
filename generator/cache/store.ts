/**
 * The content-hash cache of `gen events` (issue #20): one small JSON file per (working directory, catalog, output
 * directory, options) recording what a successful run saw: the sha256 of every catalog file (the entry and every
 * file reached through `$ref`), eventgen's build fingerprint, and the output tree as it was left (every regular
 * file: size, mtime and sha256; user-owned stubs: presence only, their content is the user's).
 *
 * An unchanged catalog with an unchanged output tree answers `--check` and a regeneration from this record. Node
 * built-ins only: this module is loaded before yargs and the generator (`cache/fast.ts`).
 *
 * Never an error: an unreadable, corrupt or foreign cache file is a miss; a cache that cannot be written is skipped.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from '../model/types.js';

/** Bumped whenever the record's shape or meaning changes: older records are misses. */
const SCHEMA = 1;

/** Directory name of the cache when it lives in the output directory (no node_modules); never walked. */
export const OUTPUT_CACHE_DIR = '.eventgen-cache';

/** Directory names the output walk never descends into (same as the writer's plan, plus the cache). */
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git', OUTPUT_CACHE_DIR]);

/** Everything a run's result depends on besides file contents. Paths absolute. */
export interface CacheOptions {
  cwd: string;
  catalog: string;
  out: string;
  target: string;
  docs: boolean;
  lenient: boolean;
  services: string[];
}

/** What the run reported, to print the same on a hit. */
export interface CachedResult {
  /** Generated managed files (all unchanged on disk after the run). */
  managed: number;
  /** Generated stubs (all present after the run). */
  stubs: number;
  /** Stubs on disk no longer generated (reported as warnings every run). */
  orphans: string[];
  /** Diagnostics printed without --verbose (warnings). */
  diagnostics: Diagnostic[];
}

/** One regular file of the output tree: `[relative path, size, mtimeMs, sha256]`, or `[path]` for a stub. */
type OutputRecord = [string] | [string, number, number, string];

export interface CacheEntry {
  schema: number;
  fingerprint: string;
  options: CacheOptions;
  /** `[absolute path, sha256]` of every catalog file read. */
  catalogFiles: Array<[string, string]>;
  outputs: OutputRecord[];
  result: CachedResult;
}

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

let packageRootMemo: string | undefined;
/** eventgen's package root (from `generator/cache/` or `dist/generator/cache/`). */
export function packageRootOf(): string {
  if (packageRootMemo) return packageRootMemo;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'templates', 'runtime'))) return (packageRootMemo = dir);
    const up = path.dirname(dir);
    if (up === dir) throw new Error('eventgen: cannot find its package root');
    dir = up;
  }
}

function statTree(dir: string, into: string[]): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(e.name)) statTree(full, into);
    } else if (e.isFile()) {
      const s = statSync(full);
      into.push(`${full}\t${s.size}\t${s.mtimeMs}`);
    }
  }
}

let fingerprintMemo: string | undefined;
/**
 * eventgen's version plus the sizes and mtimes of its own code and templates: a rebuilt or edited eventgen (same
 * version number during development) never answers from a record another build wrote.
 */
export function fingerprint(): string {
  if (fingerprintMemo) return fingerprintMemo;
  const root = packageRootOf();
  const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const parts: string[] = [];
  statTree(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'), parts); // generator/ or dist/generator/
  statTree(path.join(root, 'templates'), parts);
  return (fingerprintMemo = `${version}+${sha256(parts.join('\n')).slice(0, 16)}`);
}

/**
 * Where the record lives: `$EVENTGEN_CACHE_DIR`; else `node_modules/.cache/eventgen/` of the project (the nearest
 * directory with a package.json, from the working directory up) when it has node_modules; else
 * `<out>/.eventgen-cache/` (which ignores itself in git).
 */
export function cacheDir(cwd: string, outAbs: string, env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.EVENTGEN_CACHE_DIR;
  if (explicit) return path.resolve(cwd, explicit);
  let dir = path.resolve(cwd);
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) {
      if (existsSync(path.join(dir, 'node_modules'))) return path.join(dir, 'node_modules', '.cache', 'eventgen');
      break;
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return path.join(outAbs, OUTPUT_CACHE_DIR);
}

export function cacheFile(options: CacheOptions, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheDir(options.cwd, options.out, env), `events-${sha256(JSON.stringify(options)).slice(0, 20)}.json`);
}

/** Regular files below `root`, relative with forward slashes, sorted; symlinks never followed. */
export function walkOutput(root: string): string[] {
  const out: string[] = [];
  const pending: string[] = [''];
  while (pending.length > 0) {
    const rel = pending.pop() as string;
    let entries;
    try {
      entries = readdirSync(rel === '' ? root : path.join(root, rel), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(e.name)) pending.push(r);
      } else if (e.isFile()) out.push(r);
    }
  }
  return out.sort();
}

/** Read and shape-check a record; undefined when missing, unreadable or corrupt (a miss). */
export function readEntry(file: string): { entry: CacheEntry; mtimeMs: number } | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    const mtimeMs = statSync(file).mtimeMs;
    const e = JSON.parse(text) as CacheEntry;
    if (!e || typeof e !== 'object' || e.schema !== SCHEMA || typeof e.fingerprint !== 'string') return undefined;
    if (!Array.isArray(e.catalogFiles) || !Array.isArray(e.outputs) || !e.result || !Array.isArray(e.result.orphans) || !Array.isArray(e.result.diagnostics)) return undefined;
    if (typeof e.result.managed !== 'number' || typeof e.result.stubs !== 'number') return undefined;
    return { entry: e, mtimeMs };
  } catch {
    return undefined;
  }
}

/** Atomic write (temp file + rename); failures are ignored (the cache is an optimisation). */
export function writeEntry(file: string, entry: CacheEntry): boolean {
  const dir = path.dirname(file);
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    if (path.basename(dir) === OUTPUT_CACHE_DIR && !existsSync(path.join(dir, '.gitignore'))) writeFileSync(path.join(dir, '.gitignore'), '*\n');
    writeFileSync(tmp, JSON.stringify(entry));
    renameSync(tmp, file);
    return true;
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    return false;
  }
}

/** Forget a record (after a failed or refused run: never answer from a state that is no longer the disk's). */
export function dropEntry(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // none
  }
}

export type Verdict = { hit: true; refreshed?: CacheEntry } | { hit: false; why: string };

/**
 * Whether the disk still matches the record: same eventgen build, same options, same catalog bytes, the same set of
 * regular files in the output tree, every non-stub file with the same size and mtime, or else the same sha256
 * (a touched but unchanged file still hits; `refreshed` then carries its new stats). A file whose mtime is not
 * older than the record itself is hashed (its size and mtime cannot tell an edit made in the same clock tick).
 */
export function verify(found: { entry: CacheEntry; mtimeMs: number }, options: CacheOptions): Verdict {
  const { entry } = found;
  if (entry.fingerprint !== fingerprint()) return { hit: false, why: 'eventgen changed' };
  if (JSON.stringify(entry.options) !== JSON.stringify(options)) return { hit: false, why: 'options changed' };
  for (const [file, hash] of entry.catalogFiles) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      return { hit: false, why: `${file} unreadable` };
    }
    if (sha256(bytes) !== hash) return { hit: false, why: `${file} changed` };
  }
  const onDisk = walkOutput(options.out);
  if (onDisk.length !== entry.outputs.length) return { hit: false, why: 'output files added or removed' };
  let refreshed: OutputRecord[] | undefined;
  for (let i = 0; i < onDisk.length; i++) {
    const rec = entry.outputs[i] as OutputRecord;
    const rel = onDisk[i] as string;
    if (rec[0] !== rel) return { hit: false, why: `output ${rel} added or removed` };
    if (rec.length === 1) continue; // a stub: present is all that matters
    const abs = path.join(options.out, rel);
    let s;
    try {
      s = lstatSync(abs);
    } catch {
      return { hit: false, why: `output ${rel} removed` };
    }
    if (!s.isFile()) return { hit: false, why: `output ${rel} replaced` };
    const [, size, mtimeMs, hash] = rec;
    if (s.size === size && s.mtimeMs === mtimeMs && mtimeMs < found.mtimeMs) continue;
    if (s.size !== size) return { hit: false, why: `output ${rel} changed` };
    let bytes: Buffer;
    try {
      bytes = readFileSync(abs);
    } catch {
      return { hit: false, why: `output ${rel} unreadable` };
    }
    if (sha256(bytes) !== hash) return { hit: false, why: `output ${rel} changed` };
    refreshed ??= entry.outputs.slice();
    refreshed[i] = [rel, s.size, s.mtimeMs, hash];
  }
  return refreshed ? { hit: true, refreshed: { ...entry, outputs: refreshed } } : { hit: true };
}

/**
 * The record of a successful run: the output tree as it is now. `generated` maps each generated path to its
 * content (managed) or to null (a stub); other files in the tree (orphan stubs, the user's files) are hashed from disk.
 */
export function buildEntry(options: CacheOptions, catalogFiles: Array<[string, string]>, generated: Map<string, string | null>, result: CachedResult): CacheEntry | undefined {
  const outputs: OutputRecord[] = [];
  for (const rel of walkOutput(options.out)) {
    const abs = path.join(options.out, rel);
    const content = generated.get(rel);
    if (content === null) {
      outputs.push([rel]);
      continue;
    }
    let s;
    try {
      s = lstatSync(abs);
    } catch {
      return undefined; // the tree is changing under us: do not record it
    }
    if (content !== undefined && s.size !== Buffer.byteLength(content)) return undefined; // not what we wrote: do not record
    const hash = content !== undefined ? sha256(content) : sha256(readFileSync(abs));
    outputs.push([rel, s.size, s.mtimeMs, hash]);
  }
  return { schema: SCHEMA, fingerprint: fingerprint(), options, catalogFiles: [...catalogFiles].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)), outputs, result };
}
