/** `--watch`: regenerate whenever a catalog file changes, until interrupted. */
import { watch } from 'node:fs';
import path from 'node:path';
import type { Io } from './common.js';

const CATALOG_FILE = /\.(ya?ml|json)$/i;

/**
 * Runs `run` once, then again after every change to a YAML/JSON file under the catalog's directory
 * (multi-file catalogs included), debounced. Resolves with 0 when `io.signal` aborts or on SIGINT/SIGTERM.
 */
export async function watchCatalog(catalog: string, run: () => Promise<number>, io: Io, debounceMs = 150): Promise<number> {
  const dir = path.dirname(path.resolve(io.cwd, catalog));
  await run();
  io.out(`eventgen: watching ${path.relative(io.cwd, dir) || '.'} for catalog changes (Ctrl-C to stop)`);
  return new Promise<number>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let running = Promise.resolve();
    const watcher = watch(dir, { recursive: true }, (_event, name) => {
      if (name && !CATALOG_FILE.test(String(name))) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        running = running.then(async () => {
          await run();
        });
      }, debounceMs);
    });
    const stop = (): void => {
      clearTimeout(timer);
      watcher.close();
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
