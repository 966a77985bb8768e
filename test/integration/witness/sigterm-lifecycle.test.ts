/**
 * Witness scenario (d): SIGTERM at every moment of a consumer process's life. For each moment, process A of a group
 * gets SIGTERM and must: exit within its stop deadline (never forced), leave the group (it is no longer a member
 * right after it exits, so the next member gets its partitions promptly) and have committed only records whose
 * effect exists (never unfinished work). Moments: before connecting, while joining (`start()` pending, the group
 * rebalancing), right after joining, mid-batch (a handler running), mid-retry back-off.
 * Today's runtime dies at once on a SIGTERM while joining without leaving the group (issue 11, the independent
 * harness' second finding: signal handling started only after `start()` resolved) before issue 11's engine.
 */
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, committed, createTopics, readAll, recordCount } from '../helpers.js';
import { ConsumerProcess, NumberedProducer, unique, until } from './driver.js';
import { witnessEnv } from './env.js';
import { report } from './report.js';
import type { ConsumerConfig } from './service/events.js';
import { SCHEMA, Witness } from './witness-db.js';

const env = await witnessEnv('(d) SIGTERM lifecycle');

const SESSION_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000; // the stop deadline the runtime is given (a GroupConsumer option of the new engine)
const EXIT_SLACK_MS = 2_000;
const LEFT_WITHIN_MS = 2_000; // a member that left is gone from the group at once; a dead one stays for the session timeout
const B_SESSION_TIMEOUT_MS = 30_000; // (joining) B is paused while A joins: it must stay a member meanwhile
const B_REJOIN_MS = 4_000; // (joining) B, resumed at A's SIGTERM, rejoins; the group settles without A within this of A's exit

type Moment = 'before connect' | 'while joining' | 'right after joining' | 'mid-batch' | 'mid-retry back-off';

interface Outcome {
  exitMs: number;
  forced: boolean;
  exit: string;
  /** From A's exit until A is no longer a member of the group. */
  leftMs: number;
  /** From A's exit until the group is Stable with B (when present) as its only member. */
  settledMs: number;
  committedUnfinished: number;
  /** (mid-retry) the failing record was dead-lettered. */
  deadLettered: number;
  /** (mid-retry) the failing record's offset was committed. */
  retryCommitted: boolean;
}

describe.skipIf(env.reason !== '')('witness (d): SIGTERM at every moment of a consumer process', () => {
  let witness: Witness;
  let a: Admin;
  const processes: ConsumerProcess[] = [];

  beforeAll(async () => {
    witness = await Witness.open(env.pg);
    a = await admin(env.brokers);
  });
  afterAll(async () => {
    for (const p of processes) if (p.alive) p.kill('SIGKILL');
    await a?.disconnect();
    await witness?.close();
  });

  async function group(groupId: string): Promise<{ state: string; clients: string[] }> {
    const { groups } = await a.describeGroups([groupId]);
    return { state: groups[0]?.state ?? 'Dead', clients: (groups[0]?.members ?? []).map((m) => m.clientId).sort() };
  }

  async function runCase(moment: Moment): Promise<Outcome> {
    const slug = moment.replace(/[^a-z]+/g, '-');
    const run = unique(`d-${slug}`);
    const topic = `witness-${run}`;
    const groupId = `g-${run}`;
    const dlq = `${topic}.dlq`;
    await createTopics(a, [{ topic, partitions: 4 }, { topic: dlq, partitions: 1 }]);
    const base: ConsumerConfig = {
      brokers: env.brokers,
      topic,
      groupId,
      pg: env.pg,
      schema: SCHEMA,
      handleMs: 2,
      deadLetter: dlq,
      consumer: { sessionTimeoutMs: SESSION_TIMEOUT_MS, heartbeatIntervalMs: 1_000, rebalanceTimeoutMs: 30_000 },
      group: { stopTimeoutMs: STOP_TIMEOUT_MS },
      retry: { maxRetries: 5, initialDelayMs: 3_000, maxDelayMs: 3_000, multiplier: 1, jitter: 0 },
    };
    const start = async (who: 'A' | 'B', consumer: ConsumerConfig['consumer'] = base.consumer): Promise<ConsumerProcess> => {
      const p = await ConsumerProcess.start(`d-${slug}-${who}`, { ...base, consumer, clientId: `witness-d-${who}` });
      processes.push(p);
      return p;
    };
    const producer = new NumberedProducer({ brokers: env.brokers, topic, run, witness });
    await producer.produce({ count: 40, keys: 16 });

    // B: the member that stays (absent in the mid-batch and mid-retry cases, where A must own the special record).
    const withB = moment === 'before connect' || moment === 'while joining' || moment === 'right after joining';
    const b = withB ? await start('B', moment === 'while joining' ? { ...base.consumer, sessionTimeoutMs: B_SESSION_TIMEOUT_MS } : base.consumer) : undefined;
    if (b !== undefined) {
      await b.ready();
      await until(async () => (await witness.missing(run)) === 0, 60_000, () => 'B did not handle the first events');
    }

    let retrySeq = -1;
    let A: ConsumerProcess;
    if (moment === 'before connect') {
      A = await start('A');
      await A.waitFor((e) => e.event === 'starting', 30_000, 'starting');
    } else if (moment === 'while joining') {
      // B stops answering (SIGSTOP: a member slow to rejoin, as in a long GC pause or on an overloaded host), so the
      // rebalance A's JoinGroup starts stays open until B is resumed: A is still joining when it gets SIGTERM,
      // whatever the timing. (A slow handler in B held the rebalance open only on kafkajs, which rejoins
      // after the batch; @platformatic/kafka rejoins at once, so that window was ~1 heartbeat and polls missed it.)
      b!.kill('SIGSTOP');
      A = await start('A');
      await A.waitFor((e) => e.event === 'starting', 30_000, 'starting');
      // A's JoinGroup has reached the coordinator: the group is rebalancing and waits for B.
      await until(async () => (await group(groupId)).state === 'PreparingRebalance', 30_000, () => 'the group never started rebalancing', 50);
      if (A.at('ready') !== undefined) throw new Error('A finished joining before the SIGTERM: the moment was missed');
    } else if (moment === 'right after joining') {
      A = await start('A');
      await A.ready();
    } else if (moment === 'mid-batch') {
      A = await start('A');
      await A.ready();
      await producer.sendOne(40, { mode: 'slow', workMs: 3_000, key: 'slow' });
      await producer.produce({ count: 10, from: 41, keys: 16 });
      await A.waitFor((e) => e.event === 'handling' && e.seq === 40, 30_000, 'A handling the slow event');
    } else {
      A = await start('A');
      await A.ready();
      retrySeq = 40;
      await producer.sendOne(retrySeq, { mode: 'retry', key: 'retry' });
      await A.waitFor((e) => e.event === 'handling' && e.seq === retrySeq && e.attempt === 1, 30_000, 'A failing the retry event');
      await new Promise((r) => setTimeout(r, 500)); // inside the 3 s back-off
    }
    await producer.close();

    const stopping = A.stop('SIGTERM', 60_000);
    // (joining) B resumes as A gets SIGTERM, as B's slow work would end meanwhile: the rebalance completes while A
    // stops, and A, having waited for its join, leaves cleanly. Not covered (a known limit, docs/runtime.md): a
    // rebalance still open at A's stop deadline; A then exits without leaving and stays a member for its session
    // timeout, because its LeaveGroup would queue behind the JoinGroup the broker holds on the same connection.
    if (moment === 'while joining') b!.kill('SIGCONT');
    const stop = await stopping;
    const exitAt = stop.at; // epoch ms, as Date.now()
    // Both measured from A's exit: when A stopped being a member, and when the group settled without it.
    let leftMs: number | undefined;
    let settledMs: number | undefined;
    await until(async () => {
      const g = await group(groupId);
      const t = Date.now() - exitAt;
      if (leftMs === undefined && !g.clients.includes('witness-d-A')) leftMs = t;
      if (settledMs === undefined && (withB ? g.state === 'Stable' && g.clients.join() === 'witness-d-B' : g.clients.length === 0)) settledMs = t;
      return leftMs !== undefined && settledMs !== undefined;
    }, 60_000, () => `A left: ${leftMs}, group settled: ${settledMs}`, 100);
    const offsets = await committed(a, groupId, topic);
    const committedUnfinished = await witness.committedWithoutEffect(run, offsets);
    let deadLettered = 0;
    let retryCommitted = false;
    if (retrySeq >= 0) {
      const sent = producer.outcomes.get(retrySeq);
      if (sent?.state === 'acked') retryCommitted = Number(offsets.get(sent.partition) ?? -1) > Number(sent.offset);
      const inDlq = await recordCount(a, dlq);
      deadLettered = inDlq === 0 ? 0 : (await readAll(env.brokers, dlq, inDlq)).length;
    }
    if (b !== undefined) await b.stop('SIGTERM', 60_000);
    const outcome: Outcome = {
      exitMs: Math.round(stop.ms),
      forced: stop.forced,
      exit: String(stop.signal ?? stop.code),
      leftMs: leftMs ?? -1,
      settledMs: settledMs ?? -1,
      committedUnfinished,
      deadLettered,
      retryCommitted,
    };
    report({
      scenario: `(d) SIGTERM ${moment}`,
      measured: { 'exit ms': outcome.exitMs, 'exit': outcome.exit, 'left group ms': outcome.leftMs, 'group settled ms': outcome.settledMs, 'committed unfinished': committedUnfinished, ...(retrySeq >= 0 ? { 'dead-lettered': deadLettered, 'retry record committed': String(retryCommitted) } : {}) },
      verdict: `target: exit ≤ ${STOP_TIMEOUT_MS + EXIT_SLACK_MS} ms, left ≤ ${LEFT_WITHIN_MS} ms, 0 unfinished committed`,
    });
    return outcome;
  }

  function expectGraceful(o: Outcome): void {
    expect(o.forced).toBe(false);
    expect(o.exitMs).toBeLessThanOrEqual(STOP_TIMEOUT_MS + EXIT_SLACK_MS);
    expect(o.leftMs).toBeLessThanOrEqual(LEFT_WITHIN_MS);
    expect(o.committedUnfinished).toBe(0);
  }

  it('before connecting: exits within the deadline, the group is untouched', async () => {
    expectGraceful(await runCase('before connect'));
  }, 120_000);

  // Issue 11 (harness finding 2): before the delivery engine, SIGTERM while start() was joining killed the process
  // at once, no LeaveGroup, and the group stalled for the session timeout.
  it('while joining (start() pending): exits within the deadline and leaves; the other member gets the partitions promptly', async () => {
    const o = await runCase('while joining');
    expectGraceful(o);
    // The group waits for B's rejoin, never for A (gone).
    expect(o.settledMs).toBeLessThanOrEqual(B_REJOIN_MS + LEFT_WITHIN_MS);
  }, 120_000);

  it('right after joining: exits within the deadline and leaves; the other member gets the partitions promptly', async () => {
    const o = await runCase('right after joining');
    expectGraceful(o);
    expect(o.settledMs).toBeLessThanOrEqual(LEFT_WITHIN_MS + 2_000);
  }, 120_000);

  it('mid-batch (a handler running): finishes or abandons it within the deadline, commits only finished records, leaves', async () => {
    expectGraceful(await runCase('mid-batch'));
  }, 120_000);

  it('mid-retry back-off: exits within the deadline without dead-lettering or committing the failing record, leaves', async () => {
    const o = await runCase('mid-retry back-off');
    expectGraceful(o);
    expect(o.deadLettered).toBe(0);
    expect(o.retryCommitted).toBe(false);
  }, 120_000);
});
