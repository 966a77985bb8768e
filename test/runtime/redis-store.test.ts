import { describe, expect, it } from 'vitest';
import { RedisProcessedStore, RedisTimeoutError, type RedisClientLike } from '../../templates/runtime/index.js';

/** Records calls and answers as scripted (the Lua scripts themselves run on a real Redis in test/integration/redis-lease.test.ts). */
function fake(answer: (script: string, keys: string[], args: Array<string | number>) => unknown = () => 0) {
  const calls: Array<{ command: string; keys: string[]; args: Array<string | number> }> = [];
  const state = {
    calls,
    down: false,
    hang: false,
    async set(key: string, value: string, mode: 'PX', ttlMs: number): Promise<unknown> {
      if (state.hang) return new Promise(() => {});
      if (state.down) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
      calls.push({ command: 'SET', keys: [key], args: [value, mode, ttlMs] });
      return 'OK';
    },
    async eval(script: string, numKeys: number, ...rest: Array<string | number>): Promise<unknown> {
      if (state.hang) return new Promise(() => {});
      if (state.down) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
      const keys = rest.slice(0, numKeys).map(String);
      const args = rest.slice(numKeys);
      calls.push({ command: `EVAL ${/SET', k, '\$\{?lease|'lease:' \.\. ARGV\[1\], 'PX'/.test(script) ? 'claim' : /PEXPIRE/.test(script) ? 'renew' : /DEL/.test(script) ? 'release' : 'complete'}`, keys, args });
      return answer(script, keys, args);
    },
  };
  return state satisfies RedisClientLike;
}

describe('RedisProcessedStore', () => {
  it('claims a batch with one script call under <prefix><group>:<eventId> and maps its answers', async () => {
    const client = fake((_s, keys) => keys.map((_, i) => [1, 0, 2][i % 3]));
    const store = new RedisProcessedStore({ client, ttlMs: 60_000 });
    expect(await store.claim('g', ['a', 'b', 'c'], 'me', 30_000)).toEqual(['acquired', 'done', 'held']);
    expect(client.calls).toEqual([{ command: 'EVAL claim', keys: ['eventgen:processed:g:a', 'eventgen:processed:g:b', 'eventgen:processed:g:c'], args: ['me', 30_000] }]);
    expect(await store.claim('g', [], 'me', 30_000)).toEqual([]);
    expect(client.calls).toHaveLength(1); // nothing to claim: no round trip
  });

  it('completes one event with a plain SET PX (the per-record hot path) and several with one script', async () => {
    const client = fake();
    const store = new RedisProcessedStore({ client, ttlMs: 60_000, keyPrefix: 'p:{orders}:' });
    await store.complete('g', ['a']);
    await store.complete('g', ['b', 'c']);
    await store.renew('g', ['d'], 'me', 9_000);
    await store.release('g', ['e'], 'me');
    expect(client.calls).toEqual([
      { command: 'SET', keys: ['p:{orders}:g:a'], args: ['done', 'PX', 60_000] },
      { command: 'EVAL complete', keys: ['p:{orders}:g:b', 'p:{orders}:g:c'], args: [60_000] },
      { command: 'EVAL renew', keys: ['p:{orders}:g:d'], args: ['me', 9_000] },
      { command: 'EVAL release', keys: ['p:{orders}:g:e'], args: ['me'] },
    ]);
  });

  it('refuses an answer of the wrong shape instead of guessing', async () => {
    const store = new RedisProcessedStore({ client: fake(() => 'OK') });
    await expect(store.claim('g', ['a'], 'me', 1_000)).rejects.toThrow(/Unexpected answer/);
  });

  it('rejects when Redis is down or does not answer in time (the consumer then fails closed)', async () => {
    const client = fake();
    const store = new RedisProcessedStore({ client, operationTimeoutMs: 20 });
    client.down = true;
    await expect(store.claim('g', ['e'], 'me', 1_000)).rejects.toThrow(/ECONNREFUSED/);
    await expect(store.complete('g', ['e'])).rejects.toThrow(/ECONNREFUSED/);
    client.down = false;
    client.hang = true;
    await expect(store.claim('g', ['e'], 'me', 1_000)).rejects.toBeInstanceOf(RedisTimeoutError);
    await expect(store.complete('g', ['e'])).rejects.toThrow(/did not answer within 20 ms/);
  });

  it('refuses a non-positive TTL', () => {
    expect(() => new RedisProcessedStore({ client: fake(), ttlMs: 0 })).toThrow(RangeError);
  });
});
