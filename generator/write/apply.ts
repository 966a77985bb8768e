/**
 * Applying a plan: atomic writes (temp file in the same directory + rename), exclusive stub creation,
 * banner-checked deletions, pruning of directories emptied by deletions. Also the read-only views of a plan
 * that `--check` and `--dry-run` use.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { chmod, link, lstat, mkdir, open, readdir, rename, rm, rmdir, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { GeneratedFile } from '../emit/types.js';
import { hasBanner, hasScaffoldMarker } from './banner.js';
import { WriteError } from './errors.js';
import { errnoCode, isMissingError, readHead } from './fsutil.js';
import { assertRealParentInside, ConfinementPass, resolveInside } from './paths.js';
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
  /**
   * The contents already written to temp files by {@link stagePlan} for this plan and these files: applying then
   * renames (managed) or hard-links (stubs) them into place instead of writing. The staging directory is removed
   * when `applyPlan` returns or throws.
   */
  staged?: StagedWrites;
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

/** Errors of `link` that mean "no hard link here" (file system, mount or link count), not a failure: write another way. */
const noHardLink = (code: string | undefined): boolean => code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EXDEV' || code === 'EMLINK';

/**
 * Staging and moving staged files into place are synchronous: every temp file goes to the one staging directory, and
 * concurrent creates in one directory serialize on its lock in the kernel, where the thread pool's threads spin
 * (5,621 files in one directory on this machine's ext4: 360-570 ms of CPU with 32 calls in flight against 150-180 ms
 * from one thread; 6.0-6.5 s of system CPU against 2.2-3.0 s right after a deletion, in no more wall time;
 * BENCHMARKS.md). The event loop gets a turn every `SYNC_SLICE` files.
 */
const SYNC_SLICE = 256;
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function writeTempSync(tmp: string, content: string, fsync: boolean): void {
  const fd = openSync(tmp, 'wx', 0o666);
  try {
    writeSync(fd, content, null, 'utf8');
    if (fsync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function unlinkQuietlySync(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/**
 * Moves a staged temp into place: a rename for a managed file (keeping the mode of the file it replaces), a hard link
 * for a stub (EEXIST: a file appeared meanwhile and is kept). Undefined when the staged temp could not be used (another
 * file system below the output directory, or one without hard links): the caller writes that file the slow way.
 */
function moveStagedSync(entry: PlanEntry, absolute: string, temp: string): 'written' | 'stubCreated' | 'stubKept' | undefined {
  if (entry.action === 'stub-create') {
    try {
      linkSync(temp, absolute);
      return 'stubCreated';
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'EEXIST') return 'stubKept';
      if (!noHardLink(code)) throw error;
      return undefined;
    } finally {
      unlinkQuietlySync(temp);
    }
  }
  if (entry.action === 'update') {
    try {
      const info = lstatSync(absolute);
      if (info.isFile()) chmodSync(temp, info.mode & 0o7777); // keep e.g. an executable bit the user set
    } catch (error) {
      if (!isMissingError(error)) throw error;
    }
  }
  try {
    renameSync(temp, absolute);
    return 'written';
  } catch (error) {
    if (errnoCode(error) !== 'EXDEV') throw error;
    return undefined;
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
      if (!noHardLink(code)) throw error;
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
  const staged = options.staged;
  if (staged === undefined) return applyEntries(plan, files, options.fsync ?? false, undefined);
  if (staged.plan !== plan || staged.files !== files) {
    await staged.discard();
    throw new Error('applyPlan: the staged writes are of another plan');
  }
  const progress = { changing: false };
  try {
    const summary = await applyEntries(plan, files, options.fsync ?? false, staged, progress);
    await staged.finish();
    return summary;
  } catch (error) {
    // Refused before the tree changed (a conflict found at apply time): as without staging, nothing was written.
    await (progress.changing ? staged.finish() : staged.discard());
    throw error;
  }
}

async function applyEntries(plan: WritePlan, files: GeneratedFile[], fsync: boolean, staged: StagedWrites | undefined, progress = { changing: false }): Promise<WriteSummary> {
  const root = plan.outDir;

  const conflicts = conflictsOf(plan);
  if (conflicts.length > 0) throw conflictError(conflicts);

  const byPath = new Map(files.map((file) => [file.path, file] as const));
  const absolutes = new Map<string, string>();
  const pass = new ConfinementPass();
  for (const entry of plan.entries) {
    if (entry.action === 'create' || entry.action === 'update' || entry.action === 'stub-create') {
      const file = byPath.get(entry.path);
      const expected = entry.action === 'stub-create' ? 'scaffold' : 'managed';
      if (file === undefined || file.ownership !== expected) {
        throw new WriteError(entry.path, `The plan does not match the generated files: no ${expected} file ${entry.path}.`);
      }
    }
    if (entry.action !== 'unchanged' && entry.action !== 'stub-keep' && entry.action !== 'stub-orphan') {
      absolutes.set(entry.path, resolveInside(root, entry.path, pass));
    }
  }

  // Re-check managed targets: something the user put there since planning must not be overwritten.
  // Nothing can be below a root that does not exist (a first generate): one lstat instead of one per file.
  const late: PlanEntry[] = [];
  let occupied = await existsNoFollow(root);
  // A root holding nothing but this run's staging directory (a first generate, staged) has nothing below it either.
  if (occupied && staged !== undefined) occupied = (await readdir(root)).some((name) => join(root, name) !== staged.dir);
  if (occupied) {
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
  progress.changing = true;

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
  const before = new ConfinementPass();
  for (const { absolute, path } of directories.values()) assertRealParentInside(root, absolute, path, before);
  await mapLimit(
    [...directories.keys()].filter((dir) => staged?.directories.has(dir) !== true),
    FS_CONCURRENCY,
    (dir) => mkdir(dir, { recursive: true }),
  );
  const after = new ConfinementPass();
  for (const { absolute, path } of directories.values()) assertRealParentInside(root, absolute, path, after);

  // Staged files move into place from this thread (see SYNC_SLICE); what staging could not place, and every write of
  // an unstaged run, runs concurrently (bounded). The summary keeps the plan's order.
  const outcomes = new Array<'written' | 'stubCreated' | 'stubKept' | undefined>(writes.length);
  if (staged !== undefined) {
    for (let i = 0; i < writes.length; i++) {
      const entry = writes[i] as PlanEntry;
      const temp = staged.temps.get(entry.path);
      if (temp !== undefined) outcomes[i] = moveStagedSync(entry, absolutes.get(entry.path) as string, temp);
      if (i % SYNC_SLICE === SYNC_SLICE - 1) await yieldToLoop();
    }
  }
  const rest = writes.map((entry, i) => i).filter((i) => outcomes[i] === undefined);
  await mapLimit(rest, FS_CONCURRENCY, async (i): Promise<void> => {
    const entry = writes[i] as PlanEntry;
    const absolute = absolutes.get(entry.path) as string;
    const file = byPath.get(entry.path) as GeneratedFile;
    if (entry.action === 'stub-create') outcomes[i] = (await createExclusive(absolute, file.content, fsync)) ? 'stubCreated' : 'stubKept';
    else {
      await writeAtomic(absolute, file.content, fsync, entry.action === 'update');
      outcomes[i] = 'written';
    }
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

/** Prefix of a staging directory's name (`stagePlan`): never part of the tree, skipped by the plan's walk. */
export const STAGING_PREFIX = '.eventgen-staging-';

/** Contents written ahead by {@link stagePlan}, for {@link applyPlan} to move into place. */
export interface StagedWrites {
  readonly plan: WritePlan;
  readonly files: GeneratedFile[];
  /** Temp file of each staged entry's content, by generated path. */
  readonly temps: ReadonlyMap<string, string>;
  /** The staging directory (inside the output directory: the same file system, so a rename moves a file). */
  readonly dir: string;
  /** The tree's directories the staged files go to, created (and confined) by staging. */
  readonly directories: ReadonlySet<string>;
  /** Nothing of it is wanted (the catalog turned out invalid): removes the temps, and the output directory if staging created it. */
  discard(): Promise<void>;
  /** After applying: removes the staging directory (what was not moved into place). */
  finish(): Promise<void>;
}

/** Whether the process that named a staging directory (`.eventgen-staging-<pid>-<tag>`) is gone. */
function abandoned(name: string): boolean {
  const pid = Number(/^\.eventgen-staging-(\d+)-/.exec(name)?.[1]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return true;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return errnoCode(error) === 'ESRCH';
  }
}

/**
 * Writes the contents `plan` will write (creates, updates, stubs) to temp files in a staging directory inside the
 * output directory, before the caller knows whether it will apply the plan: `gen events` does this while
 * @asyncapi/parser is still validating the catalog in its worker thread, so that once the catalog is found valid
 * applying is renames and links. Nothing of the tree itself changes: a discarded staging (an invalid catalog) leaves
 * the output directory as it was (removed again if staging created it). Undefined (nothing staged) when the plan has
 * conflicts or nothing to write. Staging directories left by a process that was killed are removed here.
 */
export async function stagePlan(plan: WritePlan, files: GeneratedFile[], options: { fsync?: boolean } = {}): Promise<StagedWrites | undefined> {
  const fsync = options.fsync ?? false;
  if (conflictsOf(plan).length > 0) return undefined;
  const byPath = new Map(files.map((file) => [file.path, file] as const));
  const writes = plan.entries.filter((entry) => entry.action === 'create' || entry.action === 'update' || entry.action === 'stub-create');
  if (writes.length === 0) return undefined;
  const root = plan.outDir;
  const createdRoot = await mkdir(root, { recursive: true });
  const info = await lstat(root);
  if (!info.isDirectory()) return undefined; // a symbolic link as the output directory: written as without staging
  for (const entry of await readdir(root)) {
    if (entry.startsWith(STAGING_PREFIX) && abandoned(entry)) await rm(join(root, entry), { recursive: true, force: true });
  }
  const dir = join(root, `${STAGING_PREFIX}${process.pid}-${TEMP_TAG}${(tempCounter++).toString(36)}`);
  const removeRoot = async (): Promise<void> => {
    if (createdRoot === undefined) return;
    // `mkdir` created `createdRoot` and every directory below it down to `root`: removed deepest first, if empty.
    for (let d = root; ; d = dirname(d)) {
      try {
        await rmdir(d);
      } catch {
        return;
      }
      if (d === createdRoot || dirname(d) === d) return;
    }
  };
  try {
    await mkdir(dir);
  } catch {
    await removeRoot();
    return undefined;
  }
  const temps = new Map<string, string>();
  const finish = (): Promise<void> => rm(dir, { recursive: true, force: true });
  // The tree's directories too (confined as `applyPlan` does); those created here are removed again on discard.
  const directories = new Map<string, { absolute: string; path: string }>();
  const created = new Set<string>();
  const removeCreated = async (): Promise<void> => {
    for (const d of [...created].sort((a, b) => b.length - a.length)) await rmdir(d).catch(() => undefined);
  };
  try {
    const pass = new ConfinementPass();
    for (const entry of writes) {
      const absolute = resolveInside(root, entry.path, pass);
      if (!directories.has(dirname(absolute))) directories.set(dirname(absolute), { absolute, path: entry.path });
    }
    for (const d of directories.keys()) {
      const first = mkdirSync(d, { recursive: true });
      if (first !== undefined) for (let x = d; x.length >= first.length; x = dirname(x)) created.add(x);
    }
    const after = new ConfinementPass();
    for (const { absolute, path } of directories.values()) assertRealParentInside(root, absolute, path, after);
    for (let i = 0; i < writes.length; i++) {
      const entry = writes[i] as PlanEntry;
      const file = byPath.get(entry.path);
      if (file === undefined) throw new WriteError(entry.path, `The plan does not match the generated files: no file ${entry.path}.`);
      const temp = join(dir, `${i.toString(36)}.tmp`);
      writeTempSync(temp, file.content, fsync);
      temps.set(entry.path, temp);
      if (i % SYNC_SLICE === SYNC_SLICE - 1) await yieldToLoop();
    }
  } catch (error) {
    await finish();
    await removeCreated();
    await removeRoot();
    throw error;
  }
  return {
    plan,
    files,
    temps,
    dir,
    directories: new Set(directories.keys()),
    discard: async () => {
      await finish();
      await removeCreated();
      await removeRoot();
    },
    finish,
  };
}
