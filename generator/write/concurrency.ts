/**
 * Runs `fn` over `items` with at most `limit` calls in flight and returns the results in input order. File system
 * calls are thread-pool round trips: awaiting thousands of them one by one leaves the process idle most of the
 * time (a 1,000-event catalog writes ~5,600 files). On the first rejection no new call starts; the calls already
 * running are awaited, then the first error is thrown.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        if (!failed) firstError = error;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw firstError;
  return results;
}

/** Concurrency of the writer's file system calls. */
export const FS_CONCURRENCY = 32;
