/**
 * Starting @asyncapi/parser's worker thread (parse-worker.ts) before the catalog's path is known: `bin/gen.js` calls
 * {@link prestartParserWorker} as soon as it knows it runs a one-shot `gen events`, so that the worker loads the
 * parser's modules (~0.6 s at 1,000 events on this project's machine) while the main thread loads the CLI's; the
 * loader then takes it ({@link takePrestartedWorker}) and posts it the path. Node built-ins only: it is imported before
 * the generator. A worker nobody takes is unreferenced: it never keeps the process alive.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

let prestarted: { worker: Worker; gone: boolean } | undefined;

/** The worker's script (only in the build: from the TypeScript sources there is no worker). */
export function parserWorkerUrl(): URL | undefined {
  const url = new URL('./parse-worker.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

/**
 * The worker's young generation: the parser allocates a great deal of short-lived data (its resolver's copies of the
 * document, Spectral's frozen trees); V8's default young generation (16 MB semi-spaces) scavenges it often and
 * promotes much of it. 64 MB: `gen events --no-docs` at 1,000 events, 5 alternating runs, CPU 12.2 vs 12.7 s and wall
 * 0.91x (median of the paired ratios). The worker only runs for catalogs under 2 MB.
 */
const YOUNG_GENERATION_MB = 64;

/** A new parser worker; with no `absPath` it waits for `{ absPath }` in a message. */
export function newParserWorker(url: URL, absPath?: string): Worker {
  // The process's flags, except those only a main script may carry (`node --input-type=module -e ...`).
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  return new Worker(url, { workerData: absPath === undefined ? {} : { absPath }, execArgv, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
}

/** Starts a parser worker that waits for its catalog's path. Never throws. */
export function prestartParserWorker(): void {
  if (prestarted !== undefined) return;
  const url = parserWorkerUrl();
  if (url === undefined) return;
  try {
    const worker = newParserWorker(url);
    const state = { worker, gone: false };
    worker.unref();
    worker.once('error', () => (state.gone = true));
    worker.once('exit', () => (state.gone = true));
    prestarted = state;
  } catch {
    prestarted = undefined;
  }
}

/** The worker {@link prestartParserWorker} started (referenced again), if it is still alive; once. */
export function takePrestartedWorker(): Worker | undefined {
  const state = prestarted;
  prestarted = undefined;
  if (state === undefined || state.gone) return undefined;
  state.worker.ref();
  return state.worker;
}
