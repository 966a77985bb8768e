import { OK, type AttemptContext, type AttemptResult, type Watch } from './attempt.js';
import { recordKey } from './delivery-record.js';
import type { Route } from './delegator.js';
import { ConsumerStoppingError, HandlerTimeoutError } from './errors.js';
import { RebalanceInProgressError, type RecordBatch } from './transport.js';

/**
 * How long a handler attempt running when its partition is revoked may still finish and count (kafkajs rejoins only
 * after the batch returns, and members have `rebalanceTimeoutMs` to rejoin); after it the attempt is left running
 * in the background, its lease held, and the batch returns.
 */
export const REVOKE_GRACE_MS = 2_000;

/** How a watched piece of work ended. */
export type WatchedResult<T> = { kind: 'ok'; value: T } | { kind: 'failed'; error: unknown } | { kind: 'timeout' | 'revoked' | 'abandoned' };

/**
 * The handler attempts in flight and the ones that outlived theirs ("zombies": timed out, revoked or abandoned while
 * the handler still runs, which JavaScript cannot stop). The engine's batch ticker calls {@link check}: an attempt
 * past its deadline times out, one on a revoked partition gets a short grace, one still running at the stop deadline
 * is abandoned; each then has its signal aborted.
 */
export class AttemptWatcher {
  /** Attempts that outlived their wait, by record: a redelivery here waits for their outcome. */
  readonly zombies = new Map<string, Promise<AttemptResult>>();
  private readonly watches = new Set<Watch>();

  /** @param onZombieSettled called when a zombie's handler finally settles (mark its event done, or release it). */
  constructor(private readonly onZombieSettled: (context: AttemptContext, result: AttemptResult) => Promise<void>) {}

  /** Runs one handler attempt, watched by the batch ticker (timeout, revoke, stop deadline). */
  run(target: Route, data: unknown, context: AttemptContext, timeoutMs: number): Promise<AttemptResult> {
    let promise: Promise<void>;
    try {
      promise = target.invoke(data, context);
    } catch (error) {
      return Promise.resolve({ kind: 'failed', error });
    }
    const watch = new AttemptWatch(this, Date.now() + timeoutMs, context, promise);
    this.watches.add(watch);
    // Inline callbacks, not arrow-function class fields: those cost a closure each per attempt and, under loaders that
    // keep function names (tsx/esbuild `keepNames`), an `Object.defineProperty` each.
    promise.then(
      () => watch.settle(OK),
      (error: unknown) => watch.settle({ kind: 'failed', error }),
    );
    return watch.result;
  }

  /** @internal Ends an attempt's watch (called once, by {@link AttemptWatch.settle}). */
  ended(watch: AttemptWatch, result: AttemptResult): void {
    this.watches.delete(watch);
    if (result.kind === 'timeout' || result.kind === 'revoked' || result.kind === 'abandoned') this.zombie(watch.context, watch.handler);
  }

  /** A handler that outlived its attempt: keep its lease alive and let a redelivery here wait for its outcome. */
  private zombie(context: AttemptContext, promise: Promise<void>): void {
    const key = recordKey(context.record);
    const finished = promise.then(
      (): AttemptResult => OK,
      (error: unknown): AttemptResult => ({ kind: 'failed', error }),
    );
    this.zombies.set(key, finished);
    // Forgotten only once its outcome is in the store, so a redelivery in between waits for it.
    void finished.then(async (late) => {
      await this.onZombieSettled(context, late);
      if (this.zombies.get(key) === finished) this.zombies.delete(key);
    });
  }

  /** Runs `work` under a watch for several contexts (a batch handler): the result, or how the wait ended. */
  runMany<T>(contexts: AttemptContext[], timeoutMs: number, work: () => Promise<T>): Promise<{ kind: 'ok'; value: T } | { kind: 'failed'; error: unknown } | { kind: 'timeout' | 'revoked' | 'abandoned' }> {
    let promise: Promise<T>;
    try {
      promise = work();
    } catch (error) {
      return Promise.resolve({ kind: 'failed', error });
    }
    const lead = contexts[0] as AttemptContext;
    const all = Object.assign(Object.create(lead) as AttemptContext, { abort: (reason: unknown) => contexts.forEach((c) => c.abort(reason)) });
    return new Promise((resolve) => {
      let open = true;
      const finish = (result: { kind: 'ok'; value: T } | { kind: 'failed'; error: unknown } | { kind: 'timeout' | 'revoked' | 'abandoned' }): void => {
        if (!open) return;
        open = false;
        this.watches.delete(watch);
        resolve(result);
      };
      const watch: Watch = { deadline: Date.now() + timeoutMs, context: all, settle: (r) => (r.kind === 'ok' || r.kind === 'failed' ? undefined : finish(r)) };
      this.watches.add(watch);
      promise.then(
        (value) => finish({ kind: 'ok', value }),
        (error: unknown) => finish({ kind: 'failed', error }),
      );
    });
  }

  /** Settles the watched attempts of a batch that ran out of time, lost their partition or hit the stop deadline. */
  check(batch: RecordBatch, stopDeadline: number): void {
    const now = Date.now();
    for (const watch of this.watches) {
      if (watch.context.topic !== batch.topic || watch.context.partition !== batch.partition) continue;
      if (now >= stopDeadline) {
        watch.context.abort(new ConsumerStoppingError());
        watch.settle({ kind: 'abandoned' });
      } else if (now >= watch.deadline) {
        watch.context.abort(new HandlerTimeoutError(watch.deadline));
        watch.settle({ kind: 'timeout' });
      } else if (!batch.isCurrent()) {
        watch.revokedAt ??= now;
        if (now - watch.revokedAt >= REVOKE_GRACE_MS) {
          watch.context.abort(new RebalanceInProgressError('Partition revoked'));
          watch.settle({ kind: 'revoked' });
        }
      }
    }
  }

  /** Aborts every watched attempt's signal (the consumer is stopping). */
  abortAll(reason: unknown): void {
    for (const watch of this.watches) watch.context.abort(reason);
  }

  /** Forgets every watch (after stop or a crash). */
  clear(): void {
    this.watches.clear();
  }
}

// The resolve function of the promise being built (the executor runs synchronously): no closure per attempt.
let captured: ((result: AttemptResult) => void) | undefined;
function capture(resolve: (result: AttemptResult) => void): void {
  captured = resolve;
}

/** The watch of one handler attempt: one object per attempt (its result promise aside), no per-attempt closures besides the two callbacks of {@link AttemptWatcher.run}. */
class AttemptWatch implements Watch {
  revokedAt?: number;
  readonly result: Promise<AttemptResult>;
  private readonly resolve: (result: AttemptResult) => void;
  private open = true;

  constructor(
    private readonly watcher: AttemptWatcher,
    readonly deadline: number,
    readonly context: AttemptContext,
    readonly handler: Promise<void>,
  ) {
    this.result = new Promise<AttemptResult>(capture);
    this.resolve = captured as (result: AttemptResult) => void;
    captured = undefined;
  }

  settle(result: AttemptResult): void {
    if (!this.open) return;
    this.open = false;
    this.watcher.ended(this, result);
    this.resolve(result);
  }

}
