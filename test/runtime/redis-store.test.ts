import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisProcessedStore, RedisTimeoutError, type RedisClientLike } from '../../templates/runtime/index.js';

/** A scripted fake of the two commands (the real Redis is exercised in test/integration). */
function fake(): RedisClientLike & { data: Map<string, { value: string; ttl: number }>; down: boolean; hang: boolean } {
  const data = new Map<string, { value: string; ttl: number }>();
  const state = {
    data,
    down: false,
    hang: false,
    async set(key: string, value: string, _mode: 'PX', ttlMs: number): Promise<unknown> {
      if (state.hang) return new Promise(() => {});
      if (state.down) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
      data.set(key, { value, ttl: ttlMs });
      return 'OK';
    },
    async exists(key: string): Promise<number> {
      if (state.hang) return new Promise(() => {});
      if (state.down) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
      return data.has(key) ? 1 : 0;
    },
  };
  return state;
}

describe('RedisProcessedStore', () => {
  it('marks with SET PX under <prefix><group>:<eventId> and answers with EXISTS', async () => {
    const client = fake();
    const store = new RedisProcessedStore({ client, ttlMs: 60_000 });
    expect(await store.isProcessed('g', 'e1')).toBe(false);
    await store.markProcessed('g', 'e1');
    expect(client.data.get('eventgen:processed:g:e1')).toEqual({ value: '1', ttl: 60_000 });
    expect(await store.isProcessed('g', 'e1')).toBe(true);
    expect(await store.isProcessed('other-group', 'e1')).toBe(false);
  });

  it('rejects when Redis is down or does not answer in time (the consumer then fails closed)', async () => {
    const client = fake();
    const store = new RedisProcessedStore({ client, operationTimeoutMs: 50 });
    client.down = true;
    await expect(store.isProcessed('g', 'e')).rejects.toThrow(/ECONNREFUSED/);
    await expect(store.markProcessed('g', 'e')).rejects.toThrow(/ECONNREFUSED/);
    client.down = false;
    client.hang = true;
    await expect(store.isProcessed('g', 'e')).rejects.toBeInstanceOf(RedisTimeoutError);
  });

  it('accepts an ioredis client as is (type-level) and validates the TTL', () => {
    const redis = new Redis({ lazyConnect: true });
    const store = new RedisProcessedStore({ client: redis });
    expect(store.key('g', 'e')).toBe('eventgen:processed:g:e');
    redis.disconnect();
    expect(() => new RedisProcessedStore({ client: fake(), ttlMs: 0 })).toThrow(RangeError);
  });
});
