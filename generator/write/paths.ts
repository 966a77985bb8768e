/**
 * Confinement: every path the writer touches is relative, well-formed, and stays inside the output root,
 * also after symbolic links in existing parent directories are resolved.
 */
import { lstatSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep, win32 } from 'node:path';
import { WriteError } from './errors.js';

/**
 * realpath(3) in one system call; Node's JS `realpathSync` lstat()s every component of the path, and this runs twice
 * per written file (thousands of files: most of a generate's system time).
 */
const realpath = (p: string): string => realpathSync.native(p);

function describe(rel: string): string {
  return JSON.stringify(rel);
}

/** Lexical checks on a generated path (relative, forward slashes, no traversal). Throws `WriteError`. */
export function assertSafeRelativePath(rel: string): void {
  if (typeof rel !== 'string' || rel.length === 0) {
    throw new WriteError(String(rel), 'Refusing to write a file with an empty path.');
  }
  if (rel.includes('\0')) {
    throw new WriteError(rel, `Refusing path ${describe(rel)}: it contains a NUL byte.`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0001-\u001f\u007f]/.test(rel)) {
    throw new WriteError(rel, `Refusing path ${describe(rel)}: it contains a control character.`);
  }
  if (rel.includes('\\')) {
    throw new WriteError(
      rel,
      `Refusing path ${describe(rel)}: backslashes are not allowed (generated paths use forward slashes).`,
    );
  }
  if (/^[A-Za-z]:/.test(rel) || win32.isAbsolute(rel) || isAbsolute(rel)) {
    throw new WriteError(rel, `Refusing path ${describe(rel)}: it is absolute; generated paths must be relative to the output directory.`);
  }
  for (const segment of rel.split('/')) {
    if (segment === '') {
      throw new WriteError(rel, `Refusing path ${describe(rel)}: it has an empty segment (leading, trailing or doubled "/").`);
    }
    if (segment === '.' || segment === '..') {
      throw new WriteError(rel, `Refusing path ${describe(rel)}: "${segment}" segments are not allowed.`);
    }
  }
}

function isWithin(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function existsNoFollow(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

/**
 * One pass of confinement checks over many paths at one moment (planning a tree, the checks of one apply step): the
 * root is looked at once and each parent directory checked once, where a generate of thousands of files in a few
 * hundred directories would otherwise resolve the root and the same directory again for every file.
 */
export class ConfinementPass {
  rootExists: boolean | undefined;
  realRoot: string | undefined;
  /** Parent directories found inside the root in this pass. */
  readonly inside = new Set<string>();
}

/**
 * Checks that the deepest existing ancestor directory of `absolute` (up to and including `root`) resolves,
 * after symbolic links, to a location inside the real output root. `pass`: reuse what this pass already found.
 */
export function assertRealParentInside(root: string, absolute: string, rel: string, pass?: ConfinementPass): void {
  const parent = dirname(absolute);
  if (pass?.inside.has(parent)) return;
  const rootExists = pass?.rootExists ?? existsNoFollow(root);
  if (pass) pass.rootExists = rootExists;
  if (!rootExists) return; // nothing below a missing root can exist yet
  const realRoot = pass?.realRoot ?? realpath(root);
  if (pass) pass.realRoot = realRoot;
  let dir = parent;
  while (isWithin(root, dir) && dir !== root && !existsNoFollow(dir)) dir = dirname(dir);
  let realDir: string;
  try {
    realDir = realpath(dir);
  } catch (error) {
    if (isMissing(error)) {
      // A dangling symlink somewhere on the way: we cannot prove where it leads.
      throw new WriteError(rel, `Refusing path ${describe(rel)}: its parent directory ${describe(dir)} does not resolve (dangling symbolic link?).`);
    }
    throw error;
  }
  if (!isWithin(realRoot, realDir)) {
    throw new WriteError(
      rel,
      `Refusing path ${describe(rel)}: its parent directory resolves through a symbolic link to ${describe(realDir)}, outside the output directory ${describe(realRoot)}.`,
    );
  }
  pass?.inside.add(parent);
}

/**
 * Resolves `rel` against `outDir` and returns the absolute path, or throws a `WriteError` naming the path
 * if it is absolute (POSIX, drive letter, UNC), uses backslashes, contains NUL/control characters, has
 * empty, `.` or `..` segments, leaves `outDir` after normalisation, or its existing parent directory
 * resolves through a symbolic link to a place outside `outDir`.
 */
export function resolveInside(outDir: string, rel: string, pass?: ConfinementPass): string {
  assertSafeRelativePath(rel);
  const root = resolve(outDir);
  const absolute = resolve(root, rel);
  if (absolute === root || !isWithin(root, absolute)) {
    throw new WriteError(rel, `Refusing path ${describe(rel)}: it resolves outside the output directory ${describe(root)}.`);
  }
  assertRealParentInside(root, absolute, rel, pass);
  return absolute;
}

/** The key under which two paths collide on a case-insensitive, normalising file system (macOS, Windows). */
export function collisionKey(path: string): string {
  return path.normalize('NFC').toLowerCase();
}

/**
 * Rejects duplicate paths in a file set, comparing case-insensitively (and after Unicode normalisation),
 * since such files would overwrite each other on macOS and Windows; also rejects a path that is used both
 * as a file and as a directory (`a.ts` and `a.ts/b.ts`).
 */
export function assertUniquePaths(files: ReadonlyArray<{ path: string }>): void {
  const seen = new Map<string, string>();
  const directories = new Map<string, string>();
  for (const file of files) {
    const key = collisionKey(file.path);
    const previous = seen.get(key);
    if (previous !== undefined) {
      const how = previous === file.path ? 'twice' : `twice (as ${describe(previous)} and ${describe(file.path)}, which collide on case-insensitive file systems)`;
      throw new WriteError(file.path, `Duplicate generated path ${describe(file.path)}: it is produced ${how}.`);
    }
    seen.set(key, file.path);
    const segments = file.path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const dirPath = segments.slice(0, i).join('/');
      const dirKey = collisionKey(dirPath);
      if (!directories.has(dirKey)) directories.set(dirKey, file.path);
    }
  }
  for (const [key, path] of seen) {
    const child = directories.get(key);
    if (child !== undefined) {
      throw new WriteError(path, `Generated path ${describe(path)} is a file, but ${describe(child)} needs it to be a directory.`);
    }
  }
}
