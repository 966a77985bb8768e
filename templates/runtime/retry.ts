import type { RetryPolicy } from './definitions.js';

/** Waits `ms` milliseconds; rejects with the signal's reason when aborted. Injectable for tests. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Source of randomness in [0, 1) (injectable for deterministic jitter). */
export type RandomSource = () => number;

/** The real {@link Sleep}: a timer that is cleared on abort. */
export const sleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Delay before retry number `retry` (1-based) without jitter: `initial * multiplier^(retry-1)`, capped. */
export function nominalDelay(policy: RetryPolicy, retry: number): number {
  const raw = policy.initialDelayMs * policy.multiplier ** Math.max(0, retry - 1);
  return Math.min(policy.maxDelayMs, raw);
}

/**
 * Delay before retry number `retry` (1-based) with jitter: the `jitter` fraction of the nominal delay is
 * randomised downwards, so the result lies in `[nominal * (1 - jitter), nominal]` and never exceeds `maxDelayMs`.
 * Randomising spreads retries of many consumers hitting the same failing dependency.
 */
export function backoffDelay(policy: RetryPolicy, retry: number, random: RandomSource = Math.random): number {
  const nominal = nominalDelay(policy, retry);
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(nominal * (1 - jitter) + nominal * jitter * random());
}

/** Checks a policy's numbers (non-negative, multiplier >= 1, jitter in 0..1); throws a RangeError otherwise. */
export function validateRetryPolicy(policy: RetryPolicy): RetryPolicy {
  const fail = (what: string): never => {
    throw new RangeError(`Invalid retry policy: ${what} (${JSON.stringify(policy)})`);
  };
  if (!(policy.maxRetries >= 0)) fail('maxRetries must be >= 0');
  if (!(policy.initialDelayMs >= 0)) fail('initialDelayMs must be >= 0');
  if (!(policy.maxDelayMs >= policy.initialDelayMs)) fail('maxDelayMs must be >= initialDelayMs');
  if (!(policy.multiplier >= 1)) fail('multiplier must be >= 1');
  if (!(policy.jitter >= 0 && policy.jitter <= 1)) fail('jitter must be within 0..1');
  return policy;
}

/**
 * Sleeps `ms` in slices of at most `intervalMs`, calling `heartbeat` between slices so a consumer waiting to
 * retry is not considered dead by the group coordinator (which would rebalance and redeliver elsewhere).
 */
export async function sleepWithHeartbeat(
  ms: number,
  options: { heartbeat: () => Promise<void>; intervalMs: number; sleep?: Sleep; signal?: AbortSignal },
): Promise<void> {
  const doSleep = options.sleep ?? sleep;
  let remaining = ms;
  do {
    const slice = Math.min(remaining, Math.max(1, options.intervalMs));
    await doSleep(slice, options.signal);
    remaining -= slice;
    await options.heartbeat();
  } while (remaining > 0);
}

function abortReason(signal: AbortSignal | undefined): unknown {
  return signal?.reason ?? new Error('Aborted');
}
