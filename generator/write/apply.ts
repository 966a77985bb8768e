/**
 * Applying a plan: atomic writes (temp file in the same directory + rename), exclusive stub creation,
 * banner-checked deletions, pruning of directories emptied by deletions. Also the read-only views of a plan
 * that `--check` and `--dry-run` use.
 */
import { randomBytes } from 'node:crypto';
import { chmod, link, lstat, mkdir, open, rename, rmdir, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { GeneratedFile } from '../emit/types.js';
import { hasBanner, hasScaffoldMarker } from './banner.js';
import { WriteError } from './errors.js';
import { errnoCode, isMissingError, readHead } from './fsutil.js';
import { assertRealParentInside, resolveInside } from './paths.js';
import type { PlanAction, PlanEntry, WritePlan } from './plan.js';
import { FS_CONCURRENCY, mapLimit } from './concurrency.js';

export interface WriteSummary {
  /** Managed files created or updated. */
  written: string[];
  unchanged: string[];
  /** Managed files deleted because they are no longer generated. */
  removed: string[];
  stubsCreated: string[];
  /** Stubs already present (including one that appeared between planning and applying). */
  stubsKept: string[];
  /** Stubs on disk that are no longer generated; reported, never deleted. */
  orphanStubs: string[];
}

export interface ApplyOptions {
  /** fsync each temp file before renaming it (durability across power loss; slower). Default false. */
  fsync?: boolean;
}

const DRIFT_ACTIONS: ReadonlySet<PlanAction> = new Set(['create', 'update', 'delete', 'stub-create']);

function emptySummary(): WriteSummary {
  return { written: [], unchanged: [], removed: [], stubsCreated: [], stubsKept: [], orphanStubs: [] };
}

/** What applying `plan` would do, without touching the disk (for `--check` and `--dry-run`). */
export function summarize(plan: WritePlan): WriteSummary {
  const summary = emptySummary();
  for (const entry of plan.entries) {
    switch (entry.action) {
      case 'create':
      case 'update':
        summary.written.push(entry.path);
        break;
      case 'unchanged':
        summary.unchanged.push(entry.path);
        break;
      case 'delete':
        summary.removed.push(entry.path);
        break;
      case 'stub-create':
        summary.stubsCreated.push(entry.path);
        break;
      case 'stub-keep':
        summary.stubsKept.push(entry.path);
        break;
      case 'stub-orphan':
        summary.orphanStubs.push(entry.path);
        break;
      case 'conflict':
        break;
    }
  }
  return summary;
}

/**
 * Entries that would change the disk: create, update, delete, stub-create (a missing stub is drift).
 * Orphan stubs are reported but are not drift; conflicts are errors, see `conflictsOf`.
 */
export function driftOf(plan: WritePlan): PlanEntry[] {
  return plan.entries.filter((entry) => DRIFT_ACTIONS.has(entry.action));
}

/** Entries that block applying the plan. */
export function conflictsOf(plan: WritePlan): PlanEntry[] {
  return plan.entries.filter((entry) => entry.action === 'conflict');
}

/** One line per entry (`action  path  (reason)`), for `--dry-run` and `--check` output. */
export function formatPlan(plan: WritePlan, options: { includeUnchanged?: boolean } = {}): string {
  const lines: string[] = [];
  for (const entry of plan.entries) {
    if (entry.action === 'unchanged' && options.includeUnchanged !== true) continue;
    const reason = entry.reason !== undefined && (entry.action === 'conflict' || entry.action === 'stub-orphan') ? `  (${entry.reason})` : '';
    lines.push(`${entry.action.padEnd(11)} ${entry.path}${reason}`);
  }
  return lines.join('\n');
}

function conflictError(conflicts: PlanEntry[]): WriteError {
  const first = conflicts[0] as PlanEntry;
  const list = conflicts.map((entry) => `  ${entry.path}: ${entry.reason ?? 'conflict'}`).join('\n');
  return new WriteError(
    first.path,
    `Nothing was written: ${conflicts.length} generated path(s) are occupied by files eventgen does not own:\n${list}`,
  );
}

/** Temp names: a random tag per process plus a counter (unique within it; `wx` refuses any clash anyway). */
const TEMP_TAG = randomBytes(4).toString('hex');
let tempCounter = 0;
function tempPathFor(absolute: string): string {
  return join(dirname(absolute), `${basename(absolute)}.${TEMP_TAG}${(tempCounter++).toString(36)}.tmp`);
}

async function writeTemp(tmp: string, content: string, fsync: boolean, mode?: number): Promise<void> {
  const handle = await open(tmp, 'wx', mode ?? 0o666);
  try {
    await handle.writeFile(content, 'utf8');
    if (fsync) await handle.sync();
  } finally {
    await handle.close();
  }
}

async function removeQuietly(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch {
    // already gone
  }
}

/**
 * Writes `content` to `absolute` atomically: readers see the old bytes or the new bytes, never a mix. `existing`:
 * the plan found a file there (an update), whose mode is kept; a create (nothing there when planned and re-checked
 * by `applyPlan`) skips that `lstat`.
 */
async function writeAtomic(absolute: string, content: string, fsync: boolean, existing = true): Promise<void> {
  let mode: number | undefined;
  if (existing) {
    try {
      const info = await lstat(absolute);
      if (info.isFile()) mode = info.mode & 0o7777; // keep e.g. an executable bit the user set
    } catch (error) {
      if (!isMissingError(error)) throw error;
    }
  }
  const tmp = tempPathFor(absolute);
  try {
    await writeTemp(tmp, content, fsync);
    if (mode !== undefined) await chmod(tmp, mode);
    await rename(tmp, absolute);
  } catch (error) {
    await removeQuietly(tmp);
    throw error;
  }
}

/**
 * Creates a stub only if nothing exists at `absolute` (exclusive create). Returns false when a file appeared
 * meanwhile (it is kept). Uses a temp file + hard link so a half-written stub is never visible; falls back
 * to an exclusive open on file systems without hard links.
 */
async function createExclusive(absolute: string, content: string, fsync: boolean): Promise<boolean> {
  const tmp = tempPathFor(absolute);
  let linked = false;
  try {
    await writeTemp(tmp, content, fsync);
    try {
      await link(tmp, absolute);
      linked = true;
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EXDEV' && code !== 'EMLINK') throw error;
    }
  } finally {
    await removeQuietly(tmp);
  }
  if (linked) return true;

  let handle;
  try {
    handle = await open(absolute, 'wx');
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(content, 'utf8');
    if (fsync) await handle.sync();
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await removeQuietly(absolute); // we created it; do not leave a partial stub the user would then own
    throw error;
  }
  return true;
}

async function existsNoFollow(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if (isMissingError(error)) return false;
    throw error;
  }
}

/** Whether the file at `absolute` is still a regular file carrying the banner (and not a stub). */
async function stillOurs(absolute: string, rel: string): Promise<boolean> {
  try {
    const info = await lstat(absolute);
    if (!info.isFile()) return false;
    const text = await readHead(absolute);
    return hasBanner(text, rel) && !hasScaffoldMarker(text, rel);
  } catch (error) {
    if (isMissingError(error)) return false;
    throw error;
  }
}

/** Removes now-empty directories from each given directory up to (never including) `root`. */
async function pruneEmptyDirectories(root: string, directories: Iterable<string>): Promise<void> {
  const inside = (dir: string): boolean => {
    const rel = relative(root, dir);
    return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
  };
  const candidates = new Set<string>();
  for (const start of directories) {
    for (let dir = start; inside(dir); dir = dirname(dir)) candidates.add(dir);
  }
  const depth = (dir: string): number => relative(root, dir).split(sep).length;
  // Deepest first, so a parent is tried only after all its emptied children are gone.
  for (const dir of [...candidates].sort((a, b) => depth(b) - depth(a))) {
    try {
      await rmdir(dir); // fails unless empty
    } catch {
      // not empty (or already gone): keep it
    }
  }
}

/**
 * Applies a plan computed by `planWrite` for the same `files`. Refuses to start (throws `WriteError`,
 * nothing written) if the plan has conflicts, if a path fails confinement, or if a managed path became
 * occupied by a non-eventgen file since planning. Then deletes banner-carrying orphans (re-checked right
 * before each deletion), prunes directories they leave empty, writes managed files atomically and creates
 * missing stubs exclusively.
 */
export async function applyPlan(plan: WritePlan, files: GeneratedFile[], options: ApplyOptions = {}): Promise<WriteSummary> {
  const fsync = options.fsync ?? false;
  const root = plan.outDir;

  const conflicts = conflictsOf(plan);
  if (conflicts.length > 0) throw conflictError(conflicts);

  const byPath = new Map(files.map((file) => [file.path, file] as const));
  const absolutes = new Map<string, string>();
  for (const entry of plan.entries) {
    if (entry.action === 'create' || entry.action === 'update' || entry.action === 'stub-create') {
      const file = byPath.get(entry.path);
      const expected = entry.action === 'stub-create' ? 'scaffold' : 'managed';
      if (file === undefined || file.ownership !== expected) {
        throw new WriteError(entry.path, `The plan does not match the generated files: no ${expected} file ${entry.path}.`);
      }
    }
    if (entry.action !== 'unchanged' && entry.action !== 'stub-keep' && entry.action !== 'stub-orphan') {
      absolutes.set(entry.path, resolveInside(root, entry.path));
    }
  }

  // Re-check managed targets: something the user put there since planning must not be overwritten.
  // Nothing can be below a root that does not exist (a first generate): one lstat instead of one per file.
  const late: PlanEntry[] = [];
  if (await existsNoFollow(root)) {
    const targets = plan.entries.filter((entry) => entry.action === 'create' || entry.action === 'update');
    const replaced = await mapLimit(targets, FS_CONCURRENCY, async (entry): Promise<boolean> => {
      const absolute = absolutes.get(entry.path) as string;
      if (!(await existsNoFollow(absolute))) return false;
      return !(await stillOurs(absolute, entry.path));
    });
    targets.forEach((entry, i) => {
      if (replaced[i]) late.push({ ...entry, action: 'conflict', reason: `${entry.path} was replaced by a file without the eventgen banner after planning` });
    });
  }
  if (late.length > 0) throw conflictError(late);

  const summary = emptySummary();

  const emptied: string[] = [];
  for (const entry of plan.entries) {
    if (entry.action !== 'delete') continue;
    const absolute = absolutes.get(entry.path) as string;
    if (!(await stillOurs(absolute, entry.path))) continue; // changed hands since planning: keep it
    try {
      await unlink(absolute);
    } catch (error) {
      if (isMissingError(error)) continue;
      throw error;
    }
    summary.removed.push(entry.path);
    emptied.push(dirname(absolute));
  }
  await pruneEmptyDirectories(root, emptied);

  // Directories first, once each (a generate writes thousands of files into a few hundred directories), before any
  // file: confinement is re-checked before and after each is created, so a symlink planted since planning stops
  // the run before anything is written.
  const writes = plan.entries.filter((entry) => entry.action === 'create' || entry.action === 'update' || entry.action === 'stub-create');
  const directories = new Map<string, { absolute: string; path: string }>();
  for (const entry of writes) {
    const absolute = absolutes.get(entry.path) as string;
    const dir = dirname(absolute);
    if (!directories.has(dir)) directories.set(dir, { absolute, path: entry.path });
  }
  for (const { absolute, path } of directories.values()) assertRealParentInside(root, absolute, path);
  await mapLimit([...directories.keys()], FS_CONCURRENCY, (dir) => mkdir(dir, { recursive: true }));
  for (const { absolute, path } of directories.values()) assertRealParentInside(root, absolute, path);

  // Writes run concurrently (bounded); the summary keeps the plan's order.
  const outcomes = await mapLimit(writes, FS_CONCURRENCY, async (entry): Promise<'written' | 'stubCreated' | 'stubKept'> => {
    const absolute = absolutes.get(entry.path) as string;
    const file = byPath.get(entry.path) as GeneratedFile;
    if (entry.action === 'stub-create') return (await createExclusive(absolute, file.content, fsync)) ? 'stubCreated' : 'stubKept';
    await writeAtomic(absolute, file.content, fsync, entry.action === 'update');
    return 'written';
  });
  const outcome = new Map(writes.map((entry, i) => [entry, outcomes[i]] as const));
  for (const entry of plan.entries) {
    switch (entry.action) {
      case 'create':
      case 'update':
      case 'stub-create': {
        const done = outcome.get(entry);
        if (done === 'stubCreated') summary.stubsCreated.push(entry.path);
        else if (done === 'stubKept') summary.stubsKept.push(entry.path);
        else summary.written.push(entry.path);
        break;
      }
      case 'unchanged':
        summary.unchanged.push(entry.path);
        break;
      case 'stub-keep':
        summary.stubsKept.push(entry.path);
        break;
      case 'stub-orphan':
        summary.orphanStubs.push(entry.path);
        break;
      case 'delete':
      case 'conflict':
        break;
    }
  }

  summary.stubsKept.sort();
  return summary;
}
