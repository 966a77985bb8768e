/**
 * Witness scenario (b): a rolling restart by SIGTERM under load. Three consumer processes of one group; while
 * events are produced, each process in turn gets SIGTERM, its stop is timed, and a replacement is started (and
 * ready) before the next one is stopped, as a deployment would. Target: 0 acknowledged events without an effect,
 * every stop graceful and within its deadline, and the group never stalls (the longest time without any effect
 * while events were waiting stays well under a session timeout).
 */
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, createTopics } from '../helpers.js';
import { NumberedProducer, scaled, unique, until } from './driver.js';
import { witnessEnv } from './env.js';
import { Fleet } from './fleet.js';
import { report } from './report.js';
import { SCHEMA, Witness, longestGap } from './witness-db.js';

const env = await witnessEnv('(b) rolling restart');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const PROCESSES = 3;
const TOTAL = scaled(5_000, 20_000);
const RATE = scaled(200, 400);
const SESSION_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000; // the stop deadline the runtime is given (a GroupConsumer option of the new engine)
const STOP_SLACK_MS = 2_000; // process exit after the stop resolves (closing Redis/PostgreSQL connections)
const MAX_GAP_MS = 5_000; // the group may pause for a rebalance, never for a session timeout

describe.skipIf(env.reason !== '')('witness (b): rolling restart by SIGTERM under load', () => {
  let witness: Witness;
  let a: Admin;
  let fleet: Fleet | undefined;

  beforeAll(async () => {
    witness = await Witness.open(env.pg);
    a = await admin(env.brokers);
  });
  afterAll(async () => {
    fleet?.killAll();
    await a?.disconnect();
    await witness?.close();
  });

  it('0 lost, each stop graceful within its deadline, no stall of the group', async () => {
    const run = unique('b');
    const topic = `witness-${run}`;
    const groupId = `g-${run}`;
    await createTopics(a, [{ topic, partitions: 6 }]);
    fleet = new Fleet('b', (slot) => ({
      brokers: env.brokers,
      topic,
      groupId,
      pg: env.pg,
      schema: SCHEMA,
      handleMs: 2,
      clientId: `witness-b-${slot}`,
      consumer: { sessionTimeoutMs: SESSION_TIMEOUT_MS, heartbeatIntervalMs: 1_000, rebalanceTimeoutMs: 20_000 },
      group: { stopTimeoutMs: STOP_TIMEOUT_MS },
    }));
    await fleet.start(PROCESSES);

    const producer = new NumberedProducer({ brokers: env.brokers, topic, run, witness });
    const loadStart = Date.now();
    const producing = producer.produce({ count: TOTAL, ratePerSec: RATE, concurrency: 200 });
    await sleep(3_000);
    const stops: Array<{ slot: number; ms: number; signal: string | null; code: number | null; forced: boolean; readyMs: number }> = [];
    for (let slot = 0; slot < PROCESSES; slot++) {
      const stop = await fleet.slots[slot]!.stop('SIGTERM', 60_000);
      const replacement = await fleet.spawn(slot);
      const t = Date.now();
      await replacement.ready(60_000);
      stops.push({ slot, ms: stop.ms, signal: stop.signal, code: stop.code, forced: stop.forced, readyMs: Date.now() - t });
      await sleep(1_000);
    }
    const produced = await producing;
    const loadEnd = Date.now();
    await producer.close();
    await until(async () => (await witness.missing(run)) === 0, 120_000, async () => `${await witness.missing(run)} acknowledged events without an effect`, 500);
    await fleet.stopAll();

    const counts = await witness.counts(run);
    const effects = await witness.effects(run);
    // Events were waiting the whole time between the first and the last acknowledgement: measure gaps there.
    const gap = longestGap(effects, loadStart + 1_000, Math.min(loadEnd, Math.max(...effects.map((e) => e.endedMs))));
    report({
      scenario: `(b) rolling SIGTERM of ${PROCESSES} processes under load`,
      counts,
      measured: {
        'stop ms': stops.map((s) => Math.round(s.ms)).join('/'),
        'exits': stops.map((s) => s.signal ?? s.code).join('/'),
        'replacement ready ms': stops.map((s) => s.readyMs).join('/'),
        'longest gap ms': Math.round(gap.ms),
        'produced in s': produced.ms / 1000,
      },
      verdict: `target: 0 lost, stops ≤ ${STOP_TIMEOUT_MS + STOP_SLACK_MS} ms, gap ≤ ${MAX_GAP_MS} ms`,
    });
    expect(produced.rejected).toBe(0);
    expect(counts.lost).toBe(0);
    expect(counts.acked).toBe(TOTAL);
    for (const s of stops) {
      expect(s.forced).toBe(false);
      expect(s.ms).toBeLessThanOrEqual(STOP_TIMEOUT_MS + STOP_SLACK_MS);
    }
    expect(gap.ms).toBeLessThanOrEqual(MAX_GAP_MS);
    expect(fleet.errorLines()).toEqual([]);
  }, 300_000);
});
