/**
 * The Redis processed store's Lua scripts on a real Redis: leases are exclusive per owner, expire, renew and
 * release; `done` wins over any lease; values written by eventgen 0.1 (`1`) count as done.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisProcessedStore } from '../../templates/runtime/index.js';
import { redisUrl, uniqueName } from '../support/kafka.js';

const url = await redisUrl();

describe.skipIf(url === undefined)('RedisProcessedStore on a real Redis', () => {
  let redis: Redis;
  let prefix: string;
  beforeAll(() => {
    redis = new Redis(url as string, { maxRetriesPerRequest: 1 });
    prefix = `${uniqueName('eventgen-test')}:`;
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('gives a lease to one owner at a time; the holder may claim again; done wins', async () => {
    const store = new RedisProcessedStore({ client: redis, keyPrefix: prefix, ttlMs: 60_000 });
    expect(await store.claim('g', ['a', 'b'], 'one', 5_000)).toEqual(['acquired', 'acquired']);
    expect(await store.claim('g', ['a', 'b', 'c'], 'two', 5_000)).toEqual(['held', 'held', 'acquired']);
    expect(await store.claim('g', ['a'], 'one', 5_000)).toEqual(['acquired']); // re-claim by the holder renews
    expect(await redis.get(`${prefix}g:a`)).toBe('lease:one');
    await store.complete('g', ['a']);
    expect(await store.claim('g', ['a'], 'two', 5_000)).toEqual(['done']);
    expect(await store.claim('other-group', ['a'], 'two', 5_000)).toEqual(['acquired']); // per group
    expect(await redis.pttl(`${prefix}g:a`)).toBeGreaterThan(59_000);
  });

  it('a lease expires unless renewed; release frees it only for its holder', async () => {
    const store = new RedisProcessedStore({ client: redis, keyPrefix: prefix });
    expect(await store.claim('g', ['x', 'y'], 'one', 150)).toEqual(['acquired', 'acquired']);
    await store.renew('g', ['x'], 'one', 5_000);
    await store.renew('g', ['y'], 'intruder', 5_000); // not the holder: no effect
    await new Promise((r) => setTimeout(r, 300));
    expect(await store.claim('g', ['x', 'y'], 'two', 5_000)).toEqual(['held', 'acquired']);
    await store.release('g', ['x'], 'two'); // not the holder
    expect(await redis.get(`${prefix}g:x`)).toBe('lease:one');
    await store.release('g', ['x'], 'one');
    expect(await redis.exists(`${prefix}g:x`)).toBe(0);
    expect(await store.claim('g', ['x'], 'two', 5_000)).toEqual(['acquired']);
  });

  it('treats keys written by eventgen 0.1 (value 1) as done', async () => {
    await redis.set(`${prefix}g:legacy`, '1', 'PX', 60_000);
    const store = new RedisProcessedStore({ client: redis, keyPrefix: prefix });
    expect(await store.claim('g', ['legacy'], 'one', 5_000)).toEqual(['done']);
  });
});
