/** `--watch`: regenerate whenever a catalog file changes, until interrupted, writing only what an edit changed. */
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { EmitMemo, generate, prepareNextLoad, rehearsalTextsOf, type GeneratedFile } from '../index.js';
import { applyPlan, planChanges, planWrite, type WritePlan } from '../write/index.js';
import type { Service } from '../emit/types.js';
import { paint, printDiagnostics, reportConflicts, type Io } from './common.js';
import { orphanStubLine, summaryLine, type TARGETS } from './format.js';

/** What `gen events` generates with (flags, config file and defaults resolved). */
export interface EventsOptions {
  catalog: string;
  out: string;
  target: (typeof TARGETS)[number];
  docs: boolean;
  lenient: boolean;
  services: Service[];
  verbose: boolean;
}

/**
 * One `gen events --watch` process. The first run reconciles the whole output tree (as `gen events`); every later
 * run regenerates in memory (the parser and the runtime sources stay loaded), compares with what the previous run
 * generated, and asks the writer only about the files whose content changed and the paths no longer generated: the
 * rest of the tree is neither read nor written. A run with catalog errors prints them and writes nothing; the next
 * good run compares against the last tree written, so a fix after a broken edit recovers. Edits to the output
 * between runs are seen when the file is generated differently again, or on the next start.
 */
export class WatchSession {
  /** The files of the last run that was written, by path. */
  private last: Map<string, GeneratedFile> | undefined;
  /** Absolute paths of the catalog's files as of the last run that read them all. */
  private sources: string[] = [];
  /** What the previous run emitted, reused where its inputs did not change. */
  private readonly memo = new EmitMemo();

  constructor(
    private readonly options: EventsOptions,
    private readonly io: Io,
  ) {}

  /** `turn`: from the watcher; a run the catalog changed under neither reports nor writes (the next run follows). */
  async run(turn?: RunTurn): Promise<number> {
    const t0 = performance.now();
    const { catalog, out, target, docs, lenient, services, verbose } = this.options;
    const io = this.io;
    const result = await generate(catalog, { cwd: io.cwd, target, docs, lenient, services, incremental: true, memo: this.memo });
    // What a superseded run read may be half a save: not even its list of files is kept.
    if (turn !== undefined && (await turn.superseded())) return 0;
    if (result.sources) this.sources = result.sources.map(([p]) => p);
    const errors = printDiagnostics(result.diagnostics, io, verbose);
    if (errors) {
      io.err(paint(io, '31', `eventgen: ${catalog} has ${errors} error${errors === 1 ? '' : 's'}; nothing was written`));
      return 1;
    }
    const outDir = path.resolve(io.cwd, out);
    let plan: WritePlan;
    let files: GeneratedFile[];
    if (this.last === undefined) {
      files = result.files;
      plan = await planWrite(outDir, files);
    } else {
      const previous = this.last;
      let added = 0;
      files = result.files.filter((f) => {
        const before = previous.get(f.path);
        if (before === undefined) added++;
        return before === undefined || before.content !== f.content || before.ownership !== f.ownership;
      });
      const now = new Set(result.files.map((f) => f.path));
      // No path new, none twice, as many as before: the previous run's set of paths, already checked for collisions.
      const samePaths = added === 0 && now.size === result.files.length && now.size === previous.size;
      const removed = samePaths ? [] : [...previous.keys()].filter((p) => !now.has(p));
      plan = await planChanges(outDir, result.files, files, removed, { samePaths });
    }
    if (reportConflicts(plan, out, io)) return 1;
    const summary = await applyPlan(plan, files);
    this.last = new Map(result.files.map((f) => [f.path, f]));
    for (const o of summary.orphanStubs) io.err(orphanStubLine(out, o, io));
    if (verbose) for (const f of [...summary.written, ...summary.stubsCreated, ...summary.removed]) io.out(`  ${summary.removed.includes(f) ? 'removed' : 'wrote'} ${out}/${f}`);
    let stubs = 0;
    for (const f of result.files) if (f.ownership === 'scaffold') stubs++;
    const managed = result.files.length - stubs;
    const counts = { written: summary.written.length, unchanged: managed - summary.written.length, removed: summary.removed.length, stubsCreated: summary.stubsCreated.length, stubsKept: stubs - summary.stubsCreated.length, orphanStubs: summary.orphanStubs.length };
    io.out(summaryLine(`${catalog} → ${out}/:`, counts, Math.round(performance.now() - t0)));
    // The tree is on disk: what the next edit's load would otherwise compute first is prepared now.
    prepareNextLoad(catalog, io.cwd);
    return 0;
  }

  /**
   * After the first run, while the user has not edited yet: up to `runs` silent runs, alternately on the entry file's
   * text with one message edited in memory (`rehearsalTexts`) and on the text as it is, so that the JavaScript engine
   * has compiled what an edit runs (the splice, the reuse of every unchanged read and unit, the parser on one message)
   * before the first real edit: without it the first edits of a session run ~1.3-1.5× slower than later ones. Nothing
   * is written or printed and `files()` is not changed; the memo and the loader's last text are left as after any
   * run, which the next run compares with as it would with a real edit's. Stops before a run when `stop()` says a
   * catalog file changed (the run of that change follows). Resolves to the number of runs done.
   */
  async rehearse(runs: number, stop: () => boolean): Promise<number> {
    if (this.last === undefined) return 0;
    const { catalog, target, docs, lenient, services } = this.options;
    const texts = rehearsalTextsOf(catalog, this.io.cwd);
    if (texts === undefined) return 0;
    let done = 0;
    for (; done < runs && !stop(); done++) {
      try {
        await generate(catalog, { cwd: this.io.cwd, target, docs, lenient, services, incremental: true, memo: this.memo, text: done % 2 === 0 ? texts.edited : texts.original });
      } catch {
        // A rehearsal only warms the engine up: whatever went wrong, the real run of the next change reports it.
        break;
      }
    }
    prepareNextLoad(catalog, this.io.cwd);
    return done;
  }

  /** The catalog's files (entry and `$ref`'d files) as of the last run that loaded them all. */
  files(): readonly string[] {
    return this.sources;
  }
}

/** What the watcher tells a run it started after a change. */
export interface RunTurn {
  /**
   * Resolves once the catalog's files have been quiet for the watcher's quiet period since their last change:
   * true when one of them changed after this run started (what it read may be half of a save; another run follows),
   * false when what it read is still the catalog. A run calls it before it reports or writes anything.
   */
  superseded(): Promise<boolean>;
}

/**
 * Runs `run` once, then again after every change to a catalog file. Editors save in several writes, and a run on a
 * half-written file must not write: a truncated catalog can be valid YAML whose missing events' files the run would
 * delete. So a run starts `settleMs` after a change (the writes of one save come together), reads and generates while
 * the save may still go on, and asks `turn.superseded()` before it reports or writes: that waits until no catalog file
 * has changed for `quietMs` and says whether one changed since the run started. A superseded run writes nothing and
 * the run queued by the later change follows. So the files are never written from a text that changed within
 * `quietMs` or during the run (a fixed debounce before the run gave the first guarantee only, and cost its `quietMs`
 * on every edit). Watched: the directories holding the catalog's files (`files()`: the entry and every `$ref`'d file
 * of the last run, refreshed after each run), not recursively, so an output directory inside the catalog's directory
 * is never walked or watched; a change to a file of the catalog (also when an editor saves by renaming a new file
 * over it) triggers a run. Resolves with 0 when `io.signal` aborts or on SIGINT/SIGTERM.
 */
export async function watchCatalog(
  catalog: string,
  run: (turn?: RunTurn) => Promise<number>,
  io: Io,
  quietMs = 30,
  files: () => readonly string[] = () => [],
  settleMs = 3,
  rehearse?: (stop: () => boolean) => Promise<unknown>,
): Promise<number> {
  const main = path.resolve(io.cwd, catalog);
  await run();
  return new Promise<number>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let running = Promise.resolve();
    const watchers = new Map<string, FSWatcher>();
    let watched = new Set<string>();
    /** Changes to catalog files seen so far, and when the last one came. */
    let changes = 0;
    let lastChange = 0;
    const refresh = (): void => {
      watched = new Set([main, ...files()]);
      const dirs = new Set([...watched].map((f) => path.dirname(f)));
      for (const [dir, w] of watchers) {
        if (dirs.has(dir)) continue;
        w.close();
        watchers.delete(dir);
      }
      for (const dir of dirs) {
        if (watchers.has(dir)) continue;
        try {
          watchers.set(dir, watch(dir, (_event, name) => onChange(dir, name)));
        } catch {
          // a directory that is gone: its files are reported missing by the next run
        }
      }
    };
    /**
     * One turn of the event loop: the timers due by now run (a writer in this process, e.g. a test), then the kernel's
     * file events are delivered (the loop polls before it runs `setImmediate`'s callbacks).
     */
    const settle = async (): Promise<void> => {
      await new Promise((r) => setTimeout(r, 0));
      await new Promise((r) => setImmediate(r));
    };
    const turn = (): RunTurn => {
      const seen = changes;
      return {
        superseded: async () => {
          await settle();
          for (let wait = lastChange + quietMs - performance.now(); wait > 0; wait = lastChange + quietMs - performance.now()) {
            await new Promise((r) => setTimeout(r, Math.ceil(wait)));
            await settle();
          }
          return changes !== seen;
        },
      };
    };
    const onChange = (dir: string, name: string | Buffer | null): void => {
      if (name !== null && !watched.has(path.join(dir, String(name)))) return;
      changes++;
      lastChange = performance.now();
      clearTimeout(timer);
      timer = setTimeout(() => {
        running = running.then(async () => {
          try {
            await run(turn());
          } catch (err) {
            // A write that failed (permissions, a path turned into a directory, ...): say so and keep watching.
            io.err(paint(io, '31', `eventgen: ${(err as Error).message}`));
          }
          refresh();
        });
      }, settleMs);
    };
    refresh();
    // Watching from here on; the rehearsal (if any) runs first and stops at the first change, whose run follows it.
    let closing = false;
    const watching = (): void => {
      if (!closing) io.out(`eventgen: watching ${path.relative(io.cwd, main) || main} and the files it references for changes (Ctrl-C to stop)`);
    };
    running = rehearse === undefined ? Promise.resolve(watching()) : rehearse(() => changes > 0 || closing).then(watching, watching);
    const stop = (): void => {
      closing = true;
      clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void running.then(() => resolve(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (io.signal?.aborted) stop();
    io.signal?.addEventListener('abort', stop, { once: true });
  });
}
