import { describe, expect, it } from 'vitest';
import { OffsetCommitter } from '../../templates/runtime/commit.js';
import { silentLogger } from '../../templates/runtime/index.js';
import type { OffsetCommit } from '../../templates/runtime/transport.js';

/** A consumer whose commits answer only when the test says so. */
function slowConsumer() {
  const calls: OffsetCommit[][] = [];
  const answers: Array<(error?: Error) => void> = [];
  return {
    calls,
    answer(error?: Error): void {
      answers.shift()?.(error);
    },
    consumer: {
      commit: (offsets: OffsetCommit[]) =>
        new Promise<void>((resolve, reject) => {
          calls.push(offsets.map((o) => ({ ...o })));
          answers.push((error) => (error === undefined ? resolve() : reject(error)));
        }),
    },
  };
}
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('OffsetCommitter', () => {
  it('records completed while a commit is in flight queue one more commit, not one per record past the batch size', async () => {
    const c = slowConsumer();
    let runs = 0; // each flush that runs asks for the consumer once
    const committer = new OffsetCommitter(() => (runs++, c.consumer), () => ({ batchSize: 10, intervalMs: 0 }), silentLogger);
    committer.setEpoch(1);
    for (let i = 1; i <= 10; i++) committer.mark('t', 0, String(i), 1);
    await tick();
    expect(c.calls).toHaveLength(1); // the 10th record started a commit
    for (let i = 11; i <= 200; i++) committer.mark('t', 0, String(i), 1); // 190 records past the batch size meanwhile
    const joined = committer.flush(); // a caller now joins the one queued flush
    c.answer();
    await tick();
    expect(c.calls).toHaveLength(2);
    expect(c.calls[1]).toEqual([{ topic: 't', partition: 0, offset: '200', epoch: 1 }]);
    c.answer();
    await joined;
    await tick();
    expect(c.calls).toHaveLength(2);
    expect(committer.commits).toBe(2);
    expect(runs).toBe(2);
    expect(committer.hasPending).toBe(false);
  });

  it('a flush called after a failed commit retries the offsets, and one joining a queued flush shares its outcome', async () => {
    const c = slowConsumer();
    const committer = new OffsetCommitter(() => c.consumer, () => ({ batchSize: 1_000, intervalMs: 0 }), silentLogger);
    committer.setEpoch(3);
    committer.mark('t', 1, '5', 3);
    const first = committer.flush();
    await tick();
    committer.mark('t', 1, '6', 3);
    const second = committer.flush();
    const joined = committer.flush();
    expect(joined).toBe(second);
    c.answer(new Error('broker says no'));
    await expect(first).rejects.toThrow('broker says no');
    await tick();
    expect(c.calls[1]).toEqual([{ topic: 't', partition: 1, offset: '6', epoch: 3 }]);
    c.answer();
    await expect(joined).resolves.toBeUndefined();
    expect(committer.hasPending).toBe(false);
    expect(committer.failingSince).toBeUndefined();
  });
});
