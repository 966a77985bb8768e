import type { ClaimState, ProcessedStore } from './processed-store.js';

/**
 * The few Redis commands {@link RedisProcessedStore} needs, shaped like ioredis (`new Redis(url)` fits as is), so
 * the runtime does not depend on a Redis client library.
 */
export interface RedisClientLike {
  /** `SET key value PX ttl`. */
  set(key: string, value: string, mode: 'PX', ttlMs: number): Promise<unknown>;
  /** `EVAL script numKeys key... arg...`. */
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
}

/** Options of {@link RedisProcessedStore}. */
export interface RedisProcessedStoreOptions {
  /**
   * A connected client, e.g. an ioredis instance. Tips: `maxRetriesPerRequest: 1` so calls fail fast when Redis is
   * down; `enableAutoPipelining: true` so the done-marks of partitions handled concurrently share round trips.
   */
  client: RedisClientLike;
  /**
   * Key prefix (default `eventgen:processed:`); keys are `<prefix><groupId>:<eventId>`. On Redis Cluster put a hash
   * tag in it (e.g. `eventgen:{orders}:`): a batch's keys are claimed by one script, so they must share a slot.
   */
  keyPrefix?: string;
  /** How long an event counts as processed (default 7 days): longer than any redelivery you expect. */
  ttlMs?: number;
  /**
   * Longest wait for one Redis call (default 2000 ms). A call that takes longer rejects, so the consumer reports the
   * store as unavailable and keeps waiting (fail closed) instead of hanging silently.
   */
  operationTimeoutMs?: number;
}

/** Error of a Redis call that did not answer in time. */
export class RedisTimeoutError extends Error {
  override name = 'RedisTimeoutError';
}

const LEASE = 'lease:';
// Values: `lease:<owner>` while claimed, `done` (or `1`, written by eventgen 0.1) once processed.
const CLAIM = `local out = {}
for i, k in ipairs(KEYS) do
  local v = redis.call('GET', k)
  if (not v) or v == '${LEASE}' .. ARGV[1] then
    redis.call('SET', k, '${LEASE}' .. ARGV[1], 'PX', ARGV[2])
    out[i] = 1
  elseif string.sub(v, 1, ${LEASE.length}) == '${LEASE}' then
    out[i] = 2
  else
    out[i] = 0
  end
end
return out`;
const RENEW = `for i, k in ipairs(KEYS) do
  if redis.call('GET', k) == '${LEASE}' .. ARGV[1] then redis.call('PEXPIRE', k, ARGV[2]) end
end
return 0`;
const RELEASE = `for i, k in ipairs(KEYS) do
  if redis.call('GET', k) == '${LEASE}' .. ARGV[1] then redis.call('DEL', k) end
end
return 0`;
const COMPLETE = `for i, k in ipairs(KEYS) do redis.call('SET', k, 'done', 'PX', ARGV[1]) end
return 0`;
const STATES: readonly ClaimState[] = ['done', 'acquired', 'held'];

/**
 * A {@link ProcessedStore} in Redis, shared by every instance of a consumer group and surviving restarts: one key
 * per event (`lease:<owner>` with the lease's expiry while a member processes it, `done` with `ttlMs` after). A
 * batch is claimed with one script call (atomic per key), a finished event marked with one `SET`. Any failure
 * (connection refused, timeout) rejects, and the consumer then holds the record until Redis answers again: no
 * event is handled unchecked.
 */
export class RedisProcessedStore implements ProcessedStore {
  private readonly client: RedisClientLike;
  private readonly prefix: string;
  private readonly ttlMs: number;
  private readonly timeoutMs: number;

  /** @param options client, key prefix, TTL and call timeout. */
  constructor(options: RedisProcessedStoreOptions) {
    this.client = options.client;
    this.prefix = options.keyPrefix ?? 'eventgen:processed:';
    this.ttlMs = Math.round(options.ttlMs ?? 7 * 24 * 60 * 60 * 1000);
    this.timeoutMs = options.operationTimeoutMs ?? 2_000;
    if (!(this.ttlMs > 0)) throw new RangeError('ttlMs must be > 0');
  }

  /** The Redis key of an event. */
  key(groupId: string, eventId: string): string {
    return `${this.prefix}${groupId}:${eventId}`;
  }

  /** {@inheritDoc ProcessedStore.claim} */
  async claim(groupId: string, eventIds: readonly string[], owner: string, leaseMs: number): Promise<ClaimState[]> {
    if (eventIds.length === 0) return [];
    const keys = eventIds.map((id) => this.key(groupId, id));
    const result = await this.call('EVAL claim', this.client.eval(CLAIM, keys.length, ...keys, owner, Math.max(1, Math.round(leaseMs))));
    if (!Array.isArray(result) || result.length !== keys.length) throw new Error('Unexpected answer from Redis to the claim script');
    return result.map((n: unknown) => STATES[Number(n)] ?? 'held');
  }

  /** {@inheritDoc ProcessedStore.renew} */
  async renew(groupId: string, eventIds: readonly string[], owner: string, leaseMs: number): Promise<void> {
    if (eventIds.length === 0) return;
    const keys = eventIds.map((id) => this.key(groupId, id));
    await this.call('EVAL renew', this.client.eval(RENEW, keys.length, ...keys, owner, Math.max(1, Math.round(leaseMs))));
  }

  /** {@inheritDoc ProcessedStore.complete} */
  async complete(groupId: string, eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 1) {
      await this.call('SET', this.client.set(this.key(groupId, eventIds[0] as string), 'done', 'PX', this.ttlMs));
      return;
    }
    if (eventIds.length === 0) return;
    const keys = eventIds.map((id) => this.key(groupId, id));
    await this.call('EVAL complete', this.client.eval(COMPLETE, keys.length, ...keys, this.ttlMs));
  }

  /** {@inheritDoc ProcessedStore.release} */
  async release(groupId: string, eventIds: readonly string[], owner: string): Promise<void> {
    if (eventIds.length === 0) return;
    const keys = eventIds.map((id) => this.key(groupId, id));
    await this.call('EVAL release', this.client.eval(RELEASE, keys.length, ...keys, owner));
  }

  // One watchdog timer for all calls in flight instead of a timer per call (the per-record hot path).
  private readonly inFlight = new Set<{ deadline: number; command: string; reject: (error: unknown) => void }>();
  private watchdog: ReturnType<typeof setInterval> | undefined;

  private call<T>(command: string, call: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry = { deadline: Date.now() + this.timeoutMs, command, reject };
      this.inFlight.add(entry);
      this.watch();
      call.then(
        (value) => {
          this.inFlight.delete(entry);
          resolve(value);
        },
        (error: unknown) => {
          this.inFlight.delete(entry);
          reject(error);
        },
      );
    });
  }

  private watch(): void {
    if (this.watchdog !== undefined) return;
    this.watchdog = setInterval(() => {
      const now = Date.now();
      for (const entry of this.inFlight) {
        if (entry.deadline > now) continue;
        this.inFlight.delete(entry);
        entry.reject(new RedisTimeoutError(`Redis ${entry.command} did not answer within ${this.timeoutMs} ms`));
      }
      if (this.inFlight.size === 0) {
        clearInterval(this.watchdog);
        this.watchdog = undefined;
      }
    }, Math.max(5, Math.min(100, Math.floor(this.timeoutMs / 4))));
    this.watchdog.unref?.();
  }
}
