/**
 * The content-hash cache of `gen events` (issue #20): one small JSON file per (working directory, catalog, output
 * directory, options) recording what a successful run saw: the sha256 of every catalog file (the entry and every
 * file reached through `$ref`), eventgen's own files (version, code, templates), and the output tree as it was left
 * (every directory's mtime; every regular file's size, mtime and content hash; user-owned stubs: presence only,
 * their content is the user's).
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
const SCHEMA = 2;

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

/** A regular file of the output tree: `[name, size, mtimeMs, hash]`, or `[name]` for a stub (presence only). */
type FileRecord = [string] | [string, number, number, string];
/** A directory of the output tree (`''` is the root; mtimeMs -1 when it does not exist) and its regular files. */
type DirRecord = [string, number, FileRecord[]];
/** eventgen's own files and directories: `[absolute path, size, mtimeMs]`. */
type SelfRecord = [string, number, number];

export interface CacheEntry {
  schema: number;
  /** eventgen's package.json, code and templates as they were (a rebuilt eventgen is a miss). */
  self: SelfRecord[];
  options: CacheOptions;
  /** `[absolute path, sha256 hex]` of every catalog file read. */
  catalogFiles: Array<[string, string]>;
  /** Every directory of the output tree, sorted, with its regular files sorted. */
  tree: DirRecord[];
  result: CachedResult;
}

/** sha256 in hex, as the loader records each catalog file it read (`SourceFile.hash`). */
export const sha256Hex = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** sha256, first 128 bits, base64url: a change detector for output files, compact in the record. */
export const hashOf = (data: string | Buffer): string => createHash('sha256').update(data).digest().subarray(0, 16).toString('base64url');

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

function statTree(dir: string, into: SelfRecord[]): void {
  const d = statSync(dir);
  into.push([dir, 0, d.mtimeMs]); // a file added or removed changes it
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) statTree(full, into);
    else if (e.isFile()) {
      const s = statSync(full);
      into.push([full, s.size, s.mtimeMs]);
    }
  }
}

/**
 * eventgen itself: its package.json (the version), its code (`generator/` or `dist/generator/`) and its templates,
 * as sizes and mtimes: a rebuilt or edited eventgen (same version number during development) never answers from a
 * record another build wrote.
 */
export function selfRecord(): SelfRecord[] {
  const root = packageRootOf();
  const pkg = statSync(path.join(root, 'package.json'));
  const out: SelfRecord[] = [[path.join(root, 'package.json'), pkg.size, pkg.mtimeMs]];
  statTree(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'), out); // generator/ or dist/generator/
  statTree(path.join(root, 'templates'), out);
  return out;
}

function selfUnchanged(self: SelfRecord[]): boolean {
  if (self.length === 0 || self[0]?.[0] !== path.join(packageRootOf(), 'package.json')) return false;
  for (const [file, size, mtimeMs] of self) {
    const s = statSync(file, { throwIfNoEntry: false });
    if (!s || s.mtimeMs !== mtimeMs || (!s.isDirectory() && s.size !== size)) return false;
  }
  return true;
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
  return path.join(cacheDir(options.cwd, options.out, env), `events-${createHash('sha256').update(JSON.stringify(options)).digest('hex').slice(0, 20)}.json`);
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The output tree: every directory (relative, forward slashes, `''` the root) with its mtime and its regular files,
 * both sorted; symlinks never followed; node_modules, .git and the cache skipped.
 */
export function walkOutput(root: string): Array<{ dir: string; mtimeMs: number; files: string[] }> {
  const out: Array<{ dir: string; mtimeMs: number; files: string[] }> = [];
  const pending: string[] = [''];
  while (pending.length > 0) {
    const rel = pending.pop() as string;
    const abs = rel === '' ? root : path.join(root, rel);
    let entries;
    let mtimeMs;
    try {
      mtimeMs = lstatSync(abs).mtimeMs;
      entries = readdirSync(abs, { withFileTypes: true });
    } catch {
      if (rel === '') out.push({ dir: '', mtimeMs: -1, files: [] });
      continue;
    }
    const files: string[] = [];
    for (const e of entries) {
      if (e.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(e.name)) pending.push(rel === '' ? e.name : `${rel}/${e.name}`);
      } else if (e.isFile()) files.push(e.name);
    }
    out.push({ dir: rel, mtimeMs, files: files.sort(byName) });
  }
  return out.sort((a, b) => byName(a.dir, b.dir));
}

/** Read and shape-check a record; undefined when missing, unreadable or corrupt (a miss). */
export function readEntry(file: string): { entry: CacheEntry; mtimeMs: number } | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    const mtimeMs = statSync(file).mtimeMs;
    const e = JSON.parse(text) as CacheEntry;
    if (!e || typeof e !== 'object' || e.schema !== SCHEMA || !Array.isArray(e.self) || !e.options) return undefined;
    if (!Array.isArray(e.catalogFiles) || !Array.isArray(e.tree) || !e.result || !Array.isArray(e.result.orphans) || !Array.isArray(e.result.diagnostics)) return undefined;
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

export type Verdict = { hit: true; refreshed?: CacheEntry; rehashed?: number; reread?: boolean } | { hit: false; why: string };

/**
 * Whether the disk still matches the record: the same eventgen, the same options, the same catalog bytes, the same
 * directories and regular files in the output tree, and every non-stub file with the same size and mtime or else
 * the same content hash (a touched but unchanged file still hits; `refreshed` then carries its new stats).
 *
 * Directories whose mtime is unchanged still hold the same names (creating, deleting or renaming an entry changes
 * its directory's mtime), so the tree is read again only when one changed. A directory or file whose mtime is not
 * older than the record itself is checked the slow way: its mtime cannot tell a change made in the same clock tick.
 */
export function verify(found: { entry: CacheEntry; mtimeMs: number }, options: CacheOptions): Verdict {
  const { entry } = found;
  if (JSON.stringify(entry.options) !== JSON.stringify(options)) return { hit: false, why: 'options changed' };
  if (!selfUnchanged(entry.self)) return { hit: false, why: 'eventgen changed' };
  for (const [file, hash] of entry.catalogFiles) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      return { hit: false, why: `${file} unreadable` };
    }
    if (sha256Hex(bytes) !== hash) return { hit: false, why: `${file} changed` };
  }
  const root = options.out;
  let tree = entry.tree;
  let stale = false;
  for (const [dir, mtimeMs] of tree) {
    const s = lstatSync(dir === '' ? root : path.join(root, dir), { throwIfNoEntry: false });
    if (mtimeMs === -1 && !s) continue;
    if (!s || !s.isDirectory() || s.mtimeMs !== mtimeMs || mtimeMs >= found.mtimeMs) {
      stale = true;
      break;
    }
  }
  if (stale) {
    const now = walkOutput(root);
    if (now.length !== tree.length) return { hit: false, why: 'output directories added or removed' };
    const next: DirRecord[] = [];
    for (let i = 0; i < now.length; i++) {
      const cur = now[i] as { dir: string; mtimeMs: number; files: string[] };
      const [dir, , files] = tree[i] as DirRecord;
      if (cur.dir !== dir || cur.files.length !== files.length) return { hit: false, why: `output files added or removed in ${dir || '.'}/` };
      for (let j = 0; j < files.length; j++) if ((files[j] as FileRecord)[0] !== cur.files[j]) return { hit: false, why: `output ${dir}/${cur.files[j]} added or removed` };
      next.push([dir, cur.mtimeMs, files]);
    }
    tree = next;
  }
  let refreshed = stale;
  let rehashed = 0;
  const updated: DirRecord[] = [];
  for (const [dir, dirMtime, files] of tree) {
    let newFiles: FileRecord[] | undefined;
    for (let j = 0; j < files.length; j++) {
      const rec = files[j] as FileRecord;
      if (rec.length === 1) continue; // a stub: present is all that matters (the tree says it is)
      const [name, size, mtimeMs, hash] = rec;
      const rel = dir === '' ? name : `${dir}/${name}`;
      const abs = path.join(root, rel);
      const s = lstatSync(abs, { throwIfNoEntry: false });
      if (!s || !s.isFile()) return { hit: false, why: `output ${rel} removed or replaced` };
      if (s.size !== size) return { hit: false, why: `output ${rel} changed` };
      if (s.mtimeMs === mtimeMs && mtimeMs < found.mtimeMs) continue;
      let bytes: Buffer;
      try {
        bytes = readFileSync(abs);
      } catch {
        return { hit: false, why: `output ${rel} unreadable` };
      }
      if (hashOf(bytes) !== hash) return { hit: false, why: `output ${rel} changed` };
      newFiles ??= files.slice();
      newFiles[j] = [name, s.size, s.mtimeMs, hash];
      rehashed++;
    }
    if (newFiles) refreshed = true;
    updated.push([dir, dirMtime, newFiles ?? files]);
  }
  return refreshed ? { hit: true, refreshed: { ...entry, tree: updated }, rehashed, reread: stale } : { hit: true };
}

/** The newest mtime a record holds (directories and files). */
export function newestMtime(entry: CacheEntry): number {
  let max = -1;
  for (const [, dirMtime, files] of entry.tree) {
    max = Math.max(max, dirMtime);
    for (const f of files) if (f.length > 1) max = Math.max(max, f[2] as number);
  }
  return max;
}

/**
 * The record of a successful run: the output tree as it is now. `generated` maps each generated path to its
 * content (managed) or to null (a stub); other files in the tree (orphan stubs, the user's files) are hashed from disk.
 */
export function buildEntry(options: CacheOptions, catalogFiles: Array<[string, string]>, generated: Map<string, string | null>, result: CachedResult): CacheEntry | undefined {
  const tree: DirRecord[] = [];
  for (const { dir, mtimeMs, files } of walkOutput(options.out)) {
    const records: FileRecord[] = [];
    for (const name of files) {
      const rel = dir === '' ? name : `${dir}/${name}`;
      const content = generated.get(rel);
      if (content === null) {
        records.push([name]);
        continue;
      }
      const abs = path.join(options.out, rel);
      const s = lstatSync(abs, { throwIfNoEntry: false });
      if (!s) return undefined; // the tree is changing under us: do not record it
      if (content !== undefined && s.size !== Buffer.byteLength(content)) return undefined; // not what we wrote
      records.push([name, s.size, s.mtimeMs, hashOf(content !== undefined ? content : readFileSync(abs))]);
    }
    tree.push([dir, mtimeMs, records]);
  }
  return { schema: SCHEMA, self: selfRecord(), options, catalogFiles: [...catalogFiles].sort((a, b) => byName(a[0], b[0])), tree, result };
}
