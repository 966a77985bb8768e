/** The lag sampler's arithmetic and gauge bookkeeping against a scripted offset reader (the real broker: test/integration/lag.test.ts). */
import { describe, expect, it } from 'vitest';
import { LagSampler, Metrics, silentLogger, type OffsetReader, type PartitionOffsets, type TopicPartition } from '../../templates/runtime/index.js';

function reader(state: { ends: PartitionOffsets[]; committed: Array<TopicPartition & { offset: string | undefined }>; fail?: boolean }): OffsetReader & { closed: number; calls: number } {
  return {
    closed: 0,
    calls: 0,
    async topicOffsets(topics) {
      this.calls += 1;
      if (state.fail === true) throw new Error('broker down');
      if (topics.includes('missing.dlq')) throw new Error('This server does not host this topic-partition');
      return state.ends.filter((e) => topics.includes(e.topic));
    },
    async groupOffsets(_group, topics) {
      if (state.fail === true) throw new Error('broker down');
      return state.committed.filter((c) => topics.includes(c.topic));
    },
    async close() {
      this.closed += 1;
    },
  };
}

describe('LagSampler', () => {
  it('lag = end - committed (never below the earliest offset), everything retained without a commit, DLQ size summed; stale partitions dropped; last values kept on failure', async () => {
    const state = {
      ends: [
        { topic: 'orders', partition: 0, start: '0', end: '10' },
        { topic: 'orders', partition: 1, start: '40', end: '50' },
        { topic: 'orders', partition: 2, start: '5', end: '9' },
        { topic: 'orders.dlq', partition: 0, start: '2', end: '7' },
        { topic: 'orders.dlq', partition: 1, start: '0', end: '3' },
      ],
      committed: [
        { topic: 'orders', partition: 0, offset: '4' },
        { topic: 'orders', partition: 1, offset: '12' }, // below the earliest retained offset: only 10 records remain
        { topic: 'orders', partition: 2, offset: undefined },
      ],
      fail: false,
    };
    const metrics = new Metrics();
    const r = reader(state);
    const sampler = new LagSampler({ groupId: 'billing', reader: r, topics: ['orders'], deadLetterTopics: ['orders.dlq'], metrics, logger: silentLogger, intervalMs: 60_000, fromBeginning: true });
    const sample = await sampler.sample();
    expect(sample?.partitions.map((p) => p.lag)).toEqual([6, 10, 4]);
    const lag = (partition: number): number | undefined => metrics.gauge('lag', { group: 'billing', topic: 'orders', partition: String(partition) });
    expect([lag(0), lag(1), lag(2)]).toEqual([6, 10, 4]);
    expect(metrics.gauge('dead_letter_records', { group: 'billing', topic: 'orders.dlq' })).toBe(8);
    // The DLQ topic is not a consumed topic: no lag series for it.
    expect(metrics.gauge('lag', { group: 'billing', topic: 'orders.dlq', partition: '0' })).toBeUndefined();

    // Partition 2 disappears (topic recreated smaller), partition 0 catches up.
    state.ends = state.ends.filter((e) => !(e.topic === 'orders' && e.partition === 2));
    state.committed[0]!.offset = '10';
    await sampler.sample();
    expect([lag(0), lag(1), lag(2)]).toEqual([0, 10, undefined]);

    // A failing sample keeps the last values (the sampled timestamp shows their age).
    const stamp = metrics.gauge('lag_sampled', { group: 'billing' });
    state.fail = true;
    expect(await sampler.sample()).toBeUndefined();
    expect(lag(1)).toBe(10);
    expect(metrics.gauge('lag_sampled', { group: 'billing' })).toBe(stamp);

    await sampler.stop();
    expect(r.closed).toBe(1);
    expect(metrics.toPrometheus()).not.toMatch(/^eventgen_(consumer_lag|dead_letter_topic_records)\{/m);
  });

  it('a dead-letter topic that cannot be read fails alone: lag and the other dead-letter sizes are still published', async () => {
    const metrics = new Metrics();
    const r = reader({ ends: [{ topic: 't', partition: 0, start: '0', end: '5' }, { topic: 't.dlq', partition: 0, start: '1', end: '3' }], committed: [{ topic: 't', partition: 0, offset: '2' }] });
    const sampler = new LagSampler({ groupId: 'g', reader: r, topics: ['t'], deadLetterTopics: ['missing.dlq', 't.dlq'], metrics, logger: silentLogger, intervalMs: 1000, fromBeginning: true });
    const sample = await sampler.sample();
    expect(sample?.partitions.map((p) => p.lag)).toEqual([3]);
    expect(sample?.deadLetterTopics).toEqual([{ topic: 't.dlq', records: 2 }]);
    expect(metrics.gauge('dead_letter_records', { group: 'g', topic: 'missing.dlq' })).toBeUndefined();
    expect(metrics.gauge('lag', { group: 'g', topic: 't', partition: '0' })).toBe(3);
  });

  it('without fromBeginning a partition with no commit has lag 0; the interval must be positive', async () => {
    const metrics = new Metrics();
    const r = reader({ ends: [{ topic: 't', partition: 0, start: '0', end: '5' }], committed: [] });
    const sampler = new LagSampler({ groupId: 'g', reader: r, topics: ['t'], deadLetterTopics: [], metrics, logger: silentLogger, intervalMs: 1000, fromBeginning: false });
    expect((await sampler.sample())?.partitions[0]?.lag).toBe(0);
    expect(() => new LagSampler({ groupId: 'g', reader: r, topics: ['t'], deadLetterTopics: [], metrics, logger: silentLogger, intervalMs: 0, fromBeginning: true })).toThrow(/interval must be > 0/);
  });

  it('stop() does not wait for a sample stuck in the client (broker down) beyond a second; nothing is published after it', async () => {
    const metrics = new Metrics();
    let answer!: () => void;
    const stuck: OffsetReader = {
      topicOffsets: () => new Promise((resolve) => (answer = () => resolve([{ topic: 't', partition: 0, start: '0', end: '9' }]))),
      groupOffsets: async () => [],
      close: async () => undefined,
    };
    const sampler = new LagSampler({ groupId: 'g', reader: stuck, topics: ['t'], deadLetterTopics: [], metrics, logger: silentLogger, intervalMs: 1000, fromBeginning: true });
    const sampling = sampler.sample();
    const started = Date.now();
    await sampler.stop();
    expect(Date.now() - started).toBeLessThan(1_500);
    answer();
    expect(await sampling).toBeUndefined();
    expect(metrics.gauge('lag', { group: 'g', topic: 't', partition: '0' })).toBeUndefined();
  });

  it('samples on its interval until stopped', async () => {
    const metrics = new Metrics();
    const r = reader({ ends: [{ topic: 't', partition: 0, start: '0', end: '5' }], committed: [] });
    const sampler = new LagSampler({ groupId: 'g', reader: r, topics: ['t'], deadLetterTopics: [], metrics, logger: silentLogger, intervalMs: 20, fromBeginning: true });
    sampler.start();
    await new Promise((resolve) => setTimeout(resolve, 130));
    await sampler.stop();
    const calls = r.calls;
    expect(calls).toBeGreaterThanOrEqual(3);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(r.calls).toBe(calls);
  });
});
