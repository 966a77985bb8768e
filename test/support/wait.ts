/** Waiting in tests that watch something happen (a watcher's run, a file on disk). */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves once `condition()` holds, polling every `everyMs`; throws after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 30_000, everyMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(everyMs);
  }
}
