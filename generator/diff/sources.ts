/**
 * The two sides of `gen diff`: a catalog file in the working tree, or `<git-ref>:<path>`. A git side is
 * materialised into a temporary directory (the entry file and every file reachable through relative
 * `$ref`s, read with `git show`), loaded from there like any catalog, and labelled `<ref>:<path>` in
 * every location.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { displayPath, loadCatalog, type LoadedCatalog, type SourceFile } from '../load/index.js';
import { buildCatalog } from '../model/build.js';
import type { Diagnostic } from '../model/types.js';
import type { DiffSide } from './types.js';

const run = promisify(execFile);

/** A problem with the arguments (unknown ref, not a repository, missing file): exit code 2. */
export class SideError extends Error {}

export type SideSpec = { kind: 'file'; path: string; label: string } | { kind: 'git'; ref: string; path: string; label: string };

/** `<ref>:<path>` unless the whole string is an existing file. Git paths are repository-relative, `./x` cwd-relative. */
export function parseSpec(spec: string, cwd: string): SideSpec {
  const m = /^([^:]+):(.+)$/.exec(spec);
  if (!m || existsSync(path.resolve(cwd, spec)) || /^[A-Za-z]:[\\/]/.test(spec)) return { kind: 'file', path: spec, label: spec };
  return { kind: 'git', ref: m[1] as string, path: m[2] as string, label: spec };
}

async function git(cwd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run('git', args, { cwd, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; code?: string | number; message: string };
    if (e.code === 'ENOENT') throw new SideError('git is not installed (needed for <ref>:<path>)');
    throw new SideError(`git ${args[0]}: ${(e.stderr || e.message).trim().split('\n')[0]}`);
  }
}

/** Relative `$ref` targets (file part) in a parsed document. */
function fileRefs(data: unknown): string[] {
  const out = new Set<string>();
  const stack: unknown[] = [data];
  while (stack.length) {
    const node = stack.pop();
    if (!node || typeof node !== 'object') continue;
    if (Array.isArray(node)) stack.push(...node);
    else {
      for (const [k, v] of Object.entries(node)) {
        if (k === '$ref' && typeof v === 'string' && !v.startsWith('#') && !/^[a-z][a-z0-9+.-]*:/i.test(v)) out.add(v.split('#')[0] ?? '');
        else if (v && typeof v === 'object') stack.push(v);
      }
    }
  }
  return [...out].filter(Boolean).sort();
}

/** Copy `<commit>:<entry>` and the files it references into `dir`; returns the entry's repo-relative path. */
async function materialise(root: string, commit: string, entry: string, dir: string, label: string): Promise<void> {
  const seen = new Set<string>([entry]);
  const queue = [entry];
  while (queue.length) {
    const rel = queue.shift() as string;
    let text: string;
    try {
      text = await git(root, ['show', `${commit}:${rel}`]);
    } catch (err) {
      if (rel === entry) throw new SideError(`${label}: ${(err as Error).message.replace(/^git show: /, '')}`);
      continue; // the loader reports the missing file, located at the $ref
    }
    const target = path.join(dir, ...rel.split('/'));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, text);
    let data: unknown;
    try {
      data = parseYaml(text);
    } catch {
      continue; // the loader reports the syntax error
    }
    for (const ref of fileRefs(data)) {
      const next = path.posix.normalize(path.posix.join(path.posix.dirname(rel), ref));
      if (next.startsWith('../') || path.posix.isAbsolute(next) || seen.has(next)) continue;
      seen.add(next);
      queue.push(next);
    }
  }
}

function toSide(loaded: LoadedCatalog, diagnostics: Diagnostic[]): { side?: DiffSide; diagnostics: Diagnostic[] } {
  const built = buildCatalog(loaded, { sourcePath: loaded.main.displayPath });
  const all = [...diagnostics, ...built.diagnostics];
  if (!built.catalog || all.some((d) => d.severity === 'error')) return { diagnostics: all };
  const files = new Map<string, SourceFile>([...loaded.files.values()].map((f) => [f.displayPath, f]));
  return { side: { catalog: built.catalog, files, mainFile: loaded.main.displayPath }, diagnostics: all };
}

export interface LoadSideOptions {
  cwd: string;
  /** Run @asyncapi/parser validation (default true). */
  validate?: boolean;
  /** Read both sides with `--lenient`. */
  lenient?: boolean;
}

/** Load one side. Invalid catalogs give located diagnostics; bad refs/paths throw `SideError`. */
export async function loadSide(spec: SideSpec, options: LoadSideOptions): Promise<{ side?: DiffSide; diagnostics: Diagnostic[] }> {
  const validate = options.validate !== false;
  const lenient = options.lenient === true;
  if (spec.kind === 'file') {
    const { loaded, diagnostics } = await loadCatalog(spec.path, { cwd: options.cwd, validate, lenient });
    return loaded ? toSide(loaded, diagnostics) : { diagnostics };
  }
  const root = (await git(options.cwd, ['rev-parse', '--show-toplevel'])).trim();
  const prefix = (await git(options.cwd, ['rev-parse', '--show-prefix'])).trim();
  const commit = (
    await git(options.cwd, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${spec.ref}^{commit}`]).catch(() => {
      throw new SideError(`${spec.label}: unknown git ref "${spec.ref}"`);
    })
  ).trim();
  const entry = /^\.\.?\//.test(spec.path) ? path.posix.normalize(prefix + spec.path) : path.posix.normalize(spec.path.replace(/^\/+/, ''));
  if (entry.startsWith('../')) throw new SideError(`${spec.label}: the path leaves the repository`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'eventgen-diff-'));
  try {
    await materialise(root, commit, entry, dir, spec.label);
    const { loaded, diagnostics } = await loadCatalog(path.join(dir, ...entry.split('/')), { cwd: dir, validate, lenient });
    // Every location reads `<ref>:<repo path>`, whatever temporary directory it was loaded from.
    const relabel = (file: string): string => `${spec.ref}:${file}`;
    for (const d of diagnostics) if (d.location) d.location.file = relabel(d.location.file);
    if (!loaded) return { diagnostics };
    for (const f of loaded.files.values()) f.displayPath = relabel(displayPath(f.absPath, dir));
    return toSide(loaded, diagnostics);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `--base <ref>` with a working-tree catalog path: the same file at `<ref>`. */
export async function specAtRef(ref: string, catalog: string, cwd: string): Promise<SideSpec> {
  const root = (await git(cwd, ['rev-parse', '--show-toplevel'])).trim();
  const rel = path.relative(root, path.resolve(cwd, catalog)).split(path.sep).join('/');
  if (rel.startsWith('..')) throw new SideError(`--catalog ${catalog} is outside the git repository ${root}`);
  return { kind: 'git', ref, path: rel, label: `${ref}:${rel}` };
}
