/**
 * Generation benchmark: synthetic catalogs (test/bench/synthetic.ts) generated in process and through the CLI,
 * against @asyncapi/parser parsing the same document (in process, and as a cold one-shot process).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { GenWorkerResult } from './gen-worker.js';
import { lastJson, median, pairedRatio, progress, runChild } from './stats.js';
import { syntheticCatalog } from './synthetic.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const TSX_IMPORT = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs')).href;
const CLI = path.join(ROOT, 'bin', 'gen.js');
const PARSE_ONLY = path.join(ROOT, 'test', 'bench', 'parse-only.mjs');

export interface GenerationSize {
  events: number;
  catalogBytes: number;
  files: number;
  bytesGenerated: number;
  inProcess: GenWorkerResult & { ratio: number };
  cli: {
    parseOnlyMs: number[];
    generateMs: number[];
    /** Cold `gen events --no-docs` (issue #20: the target without docs is ≤ 1.25× the parse-only process). */
    generateNoDocsMs: number[];
    checkMs: number[];
    regenerateMs: number[];
    parseOnlyRss: number[];
    generateRss: number[];
    checkRss: number[];
    /** Whole processes answered by the content-hash cache (unchanged catalog and output; `--check`, regenerate). */
    warmCheckMs: number[];
    warmRegenerateMs: number[];
    /**
     * Per repetition, before its processes: creating as many empty files as a generate writes, in one new directory
     * (`diskProbe`). Not a target: it shows the state of the disk the processes ran on (see `settleDisk`).
     */
    createProbeMs?: number[];
    filesWritten: number;
    ratio: number;
    noDocsRatio: number;
    checkRatio: number;
  };
  /** `gen events --watch` (one process): an edit of one event's summary → its schema file's new content on disk. */
  watch?: WatchResult;
}

export interface WatchResult {
  /** Per edit: from writing the catalog file until the changed output file holds the new text (polled every 2 ms). */
  editToDiskMs: number[];
  /** Per edit: the run's own time as the watch process prints it (generate + write). */
  runMs: number[];
  /** Per edit: files the run wrote. */
  written: number[];
  file: string;
  /** Process start until the first run finished and watching began. */
  firstRunMs?: number;
}

function countFiles(dir: string): number {
  let n = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    n += entry.isDirectory() ? countFiles(path.join(dir, entry.name)) : 1;
  }
  return n;
}

/**
 * Before every timed process of the CLI comparison (the parse-only baseline as well): `sync`, so that the write-back
 * of what the previous steps wrote (the last run's ~5,600 files) is not billed to whichever process runs next. And
 * output trees are never deleted while anything is timed, only moved aside (`retire`) into one trash directory that
 * is deleted after the whole generation section (all sizes). The reason is the file system's inode allocator: ext4
 * without a journal (this machine's disk) does not reuse an inode deleted in the last 60 s (300 s while its inode
 * table block is dirty), and every new file scans past all such inodes of its block group from the group's start,
 * reading each one's table block (`find_inode_bit` → `recently_deleted` in fs/ext4/ialloc.c, ~19 % of the CPU in a
 * `perf` profile of a generate). So the creation of a generate's 5,600 files right after a deletion of as many cost
 * 2-4 s of system CPU instead of 0.2-0.6 s, and more with every tree deleted before; the parse-only baseline, which
 * creates no files, paid nothing. Every process still pays for everything it writes itself.
 */
function settleDisk(): void {
  spawnSync('sync', { stdio: 'ignore' });
}

/** Creates `n` empty files in a new directory (moved to `trash` after), timed: the disk's file creation as it is now. */
function diskProbe(dir: string, n: number, trash: string): number {
  const probe = path.join(dir, 'probe');
  settleDisk();
  const t0 = performance.now();
  mkdirSync(probe);
  for (let i = 0; i < n; i++) writeFileSync(path.join(probe, `${i}.tmp`), '', { flag: 'wx' });
  const ms = performance.now() - t0;
  retire(probe, trash);
  return ms;
}

/** Moves a tree out of the way (one rename) into `<trash>`, which `emptyTrash` deletes once nothing is timed. */
let retired = 0;
function retire(dir: string, trash: string): void {
  if (!existsSync(dir)) return;
  mkdirSync(trash, { recursive: true });
  renameSync(dir, path.join(trash, `${retired++}`));
}
function emptyTrash(trash: string): void {
  rmSync(trash, { recursive: true, force: true });
  settleDisk();
}

async function cli(args: string[], cwd: string, timeoutMs: number): Promise<{ ms: number; rss: number; stdout: string; stderr: string }> {
  settleDisk();
  // The cache lives in the benchmark's directory (never in the repository's node_modules); its trace says hit or miss.
  const env = { ...process.env, NO_COLOR: '1', EVENTGEN_CACHE_DIR: path.join(cwd, 'cache'), EVENTGEN_CACHE_DEBUG: '1' };
  const r = await runChild(process.execPath, [CLI, ...args], { cwd, timeoutMs, env });
  if (r.code !== 0) throw new Error(`gen ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(-2000)}`);
  return { ms: r.wallMs, rss: r.maxRssBytes, stdout: r.stdout, stderr: r.stderr };
}

/** A cold run must not be answered by the cache, a warm one must be. */
function expectCache(r: { stderr: string }, hit: boolean, what: string): void {
  if (/eventgen-cache: hit/.test(r.stderr) !== hit) throw new Error(`${what}: expected a cache ${hit ? 'hit' : 'miss'}: ${r.stderr.slice(-500)}`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * `gen events --watch` as a whole process on a copy of `source`: after its first run, `edits` times rewrite the catalog
 * with one event's summary changed and time how long until that event's schema file (managed, rewritten by the run)
 * holds the new text. `cli`: another build's bin/gen.js (an A/B against an older watch).
 */
export async function watchBench(source: string, dir: string, edits: number, timeoutMs: number, cli = CLI, trash = path.join(dir, 'trash')): Promise<WatchResult> {
  // As in a project: the catalog in its own directory, the output beside it.
  const out = path.join(dir, 'watch-out');
  retire(out, trash);
  mkdirSync(path.join(dir, 'watch-catalog'), { recursive: true });
  const catalog = path.join(dir, 'watch-catalog', path.basename(source));
  const original = readFileSync(source, 'utf8');
  writeFileSync(catalog, original);
  const child = spawn(process.execPath, [cli, 'events', '--catalog', catalog, '--out', out, '--watch', '--no-cache'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.on('close', () => r()));
  const until = async (cond: () => boolean, what: string): Promise<void> => {
    const deadline = performance.now() + timeoutMs;
    while (!cond()) {
      if (performance.now() > deadline || child.exitCode !== null) throw new Error(`watch bench: ${what} did not happen: ${stderr.slice(-1500)}`);
      await sleep(2);
    }
  };
  const runs = (): RegExpMatchArray[] => [...stdout.matchAll(/→ [^\n]*: (\d+) written,[^\n]*\((\d+) ms\)/g)];
  const started = performance.now();
  const result: WatchResult = { editToDiskMs: [], runMs: [], written: [], file: '' };
  try {
    await until(() => stdout.includes('watching'), 'the first run');
    result.firstRunMs = performance.now() - started;
    const schemas = path.join(out, 'schemas');
    const file = readdirSync(schemas).sort().map((n) => path.join(schemas, n)).find((f) => readFileSync(f, 'utf8').includes('Entity 5 changed.'));
    if (!file) throw new Error('watch bench: no schema file mentions "Entity 5 changed."');
    result.file = path.relative(out, file);
    for (let i = 1; i <= edits; i++) {
      await sleep(300);
      const before = runs().length;
      const marker = `Entity 5 changed (edit ${i}).`;
      const t0 = performance.now();
      writeFileSync(catalog, original.replace('summary: Entity 5 changed.', `summary: ${marker}`));
      await until(() => existsSync(file) && readFileSync(file, 'utf8').includes(marker), `edit ${i} on disk`);
      result.editToDiskMs.push(performance.now() - t0);
      await until(() => runs().length > before, `the summary of run ${i}`);
      const last = runs().at(-1);
      result.written.push(Number(last?.[1]));
      result.runMs.push(Number(last?.[2]));
      progress(`  watch edit ${i}/${edits}: on disk after ${Math.round(result.editToDiskMs.at(-1) ?? 0)} ms (run ${result.runMs.at(-1)} ms, ${result.written.at(-1)} files written)`);
    }
  } finally {
    writeFileSync(catalog, original);
    child.kill('SIGINT');
    await exited;
    retire(out, trash);
  }
  return result;
}

export async function generationBench(options: { sizes: Array<{ events: number; reps: number; cliReps: number; watchEdits?: number }>; workDir: string }): Promise<GenerationSize[]> {
  const results: GenerationSize[] = [];
  // One trash for every size's trees, emptied at the end (see `settleDisk`).
  const trash = path.join(options.workDir, 'gen-trash');
  for (const { events, reps, cliReps, watchEdits = 0 } of options.sizes) {
    const dir = path.join(options.workDir, `gen-${events}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const catalog = path.join(dir, 'catalog.asyncapi.yaml');
    writeFileSync(catalog, syntheticCatalog(events));
    const timeoutMs = 60_000 + events * 600;

    let inProcess: GenWorkerResult = { errors: 0, files: Number.NaN, bytes: Number.NaN, parseMs: [], generateMs: [], phases: [], maxRssBytes: Number.NaN };
    if (reps > 0) {
      progress(`generation ${events} events: in process (${reps} reps)`);
      const worker = await runChild(process.execPath, ['--expose-gc', '--import', TSX_IMPORT, path.join(ROOT, 'test', 'bench', 'gen-worker.ts'), catalog, String(reps)], {
        cwd: dir,
        timeoutMs: timeoutMs * (reps + 2),
      });
      if (worker.code !== 0) throw new Error(`gen-worker failed: ${worker.stderr.slice(-3000)}`);
      inProcess = lastJson<GenWorkerResult>(worker.stdout);
      if (inProcess.errors > 0) throw new Error(`the synthetic ${events}-event catalog has ${inProcess.errors} errors`);
    }

    progress(`generation ${events} events: CLI vs parse-only process (${cliReps} reps)`);
    const c: GenerationSize['cli'] = { parseOnlyMs: [], generateMs: [], generateNoDocsMs: [], checkMs: [], regenerateMs: [], parseOnlyRss: [], generateRss: [], checkRss: [], warmCheckMs: [], warmRegenerateMs: [], createProbeMs: [], filesWritten: 0, ratio: NaN, noDocsRatio: NaN, checkRatio: NaN };
    for (let r = 0; r < cliReps; r++) {
      c.createProbeMs?.push(diskProbe(dir, Number.isFinite(inProcess.files) ? inProcess.files : events * 5, trash));
      const out = path.join(dir, 'out');
      const outNoDocs = path.join(dir, 'out-no-docs');
      retire(out, trash);
      retire(outNoDocs, trash);
      retire(path.join(dir, 'cache'), trash);
      // Rotate the order of the cold processes between repetitions.
      const steps = ['parse', 'generate', 'no-docs'] as const;
      for (const step of r % 2 === 0 ? steps : [...steps].reverse()) {
        if (step === 'parse') {
          settleDisk();
          const p = await runChild(process.execPath, [PARSE_ONLY, catalog], { cwd: dir, timeoutMs });
          if (p.code !== 0) throw new Error(`parse-only failed: ${p.stderr.slice(-2000)}`);
          c.parseOnlyMs.push(p.wallMs);
          c.parseOnlyRss.push(p.maxRssBytes);
        } else if (step === 'no-docs') {
          const g = await cli(['events', '--catalog', catalog, '--out', outNoDocs, '--no-docs', '--no-cache'], dir, timeoutMs);
          c.generateNoDocsMs.push(g.ms);
        } else {
          const g = await cli(['events', '--catalog', catalog, '--out', out], dir, timeoutMs);
          expectCache(g, false, 'cold gen events');
          c.generateMs.push(g.ms);
          c.generateRss.push(g.rss);
        }
      }
      retire(outNoDocs, trash);
      c.filesWritten = countFiles(out);
      // --check on the unchanged tree, then a plain re-generation of it (nothing to write), both cold.
      // Cold: --no-cache (the whole pipeline); warm: answered by the cache the cold runs wrote. Interleaved.
      const k = await cli(['events', '--catalog', catalog, '--out', out, '--check', '--no-cache'], dir, timeoutMs);
      c.checkMs.push(k.ms);
      c.checkRss.push(k.rss);
      const wk = await cli(['events', '--catalog', catalog, '--out', out, '--check'], dir, timeoutMs);
      expectCache(wk, true, 'warm --check');
      c.warmCheckMs.push(wk.ms);
      c.regenerateMs.push((await cli(['events', '--catalog', catalog, '--out', out, '--no-cache'], dir, timeoutMs)).ms);
      const wr = await cli(['events', '--catalog', catalog, '--out', out], dir, timeoutMs);
      expectCache(wr, true, 'warm regenerate');
      c.warmRegenerateMs.push(wr.ms);
      progress(`  CLI rep ${r + 1}/${cliReps}: disk probe ${Math.round(c.createProbeMs?.[r] ?? 0)} ms, parse-only ${Math.round(c.parseOnlyMs[r] ?? 0)} ms, gen ${Math.round(c.generateMs[r] ?? 0)} ms (--no-docs ${Math.round(c.generateNoDocsMs[r] ?? 0)} ms), --check ${Math.round(c.checkMs[r] ?? 0)} ms (warm ${Math.round(c.warmCheckMs[r] ?? 0)} ms), regen ${Math.round(c.regenerateMs[r] ?? 0)} ms (warm ${Math.round(c.warmRegenerateMs[r] ?? 0)} ms)`);
    }
    let watch: WatchResult | undefined;
    if (watchEdits > 0) {
      progress(`generation ${events} events: gen events --watch, ${watchEdits} edits of one event`);
      watch = await watchBench(catalog, dir, watchEdits, timeoutMs, CLI, trash);
    }
    c.ratio = pairedRatio(c.generateMs, c.parseOnlyMs);
    c.noDocsRatio = pairedRatio(c.generateNoDocsMs, c.parseOnlyMs);
    c.checkRatio = pairedRatio(c.checkMs, c.generateMs);
    retire(path.join(dir, 'out'), trash);
    retire(path.join(dir, 'cache'), trash);
    results.push({
      events,
      catalogBytes: statSync(catalog).size,
      files: inProcess.files,
      bytesGenerated: inProcess.bytes,
      inProcess: { ...inProcess, ratio: pairedRatio(inProcess.generateMs, inProcess.parseMs) },
      cli: c,
      ...(watch ? { watch } : {}),
    });
  }
  emptyTrash(trash);
  return results;
}

export { median };
