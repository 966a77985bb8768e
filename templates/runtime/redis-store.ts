import type { ProcessedStore } from './processed-store.js';

/**
 * The few Redis commands {@link RedisProcessedStore} needs, shaped like ioredis (`new Redis(url)` fits as is), so
 * the runtime does not depend on a Redis client library.
 */
export interface RedisClientLike {
  /** `SET key value PX ttl`. */
  set(key: string, value: string, mode: 'PX', ttlMs: number): Promise<unknown>;
  /** `EXISTS key`: 1 when it exists. */
  exists(key: string): Promise<number>;
}

/** Options of {@link RedisProcessedStore}. */
export interface RedisProcessedStoreOptions {
  /** A connected client, e.g. an ioredis instance (tip: `maxRetriesPerRequest: 1` so calls fail fast when Redis is down). */
  client: RedisClientLike;
  /** Key prefix (default `eventgen:processed:`); keys are `<prefix><groupId>:<eventId>`. */
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

/**
 * A {@link ProcessedStore} in Redis, shared by every instance of a consumer group and surviving restarts: one key
 * per processed event with a TTL. Any failure (connection refused, timeout) rejects, and the consumer then holds
 * the record until Redis answers again: no event is handled unchecked.
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
    this.ttlMs = options.ttlMs ?? 7 * 24 * 60 * 60 * 1000;
    this.timeoutMs = options.operationTimeoutMs ?? 2_000;
    if (!(this.ttlMs > 0)) throw new RangeError('ttlMs must be > 0');
  }

  /** The Redis key of an event. */
  key(groupId: string, eventId: string): string {
    return `${this.prefix}${groupId}:${eventId}`;
  }

  /** {@inheritDoc ProcessedStore.isProcessed} */
  async isProcessed(groupId: string, eventId: string): Promise<boolean> {
    return (await this.withTimeout('EXISTS', this.client.exists(this.key(groupId, eventId)))) > 0;
  }

  /** {@inheritDoc ProcessedStore.markProcessed} */
  async markProcessed(groupId: string, eventId: string): Promise<void> {
    await this.withTimeout('SET', this.client.set(this.key(groupId, eventId), '1', 'PX', Math.round(this.ttlMs)));
  }

  private withTimeout<T>(command: string, call: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new RedisTimeoutError(`Redis ${command} did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      call.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}
