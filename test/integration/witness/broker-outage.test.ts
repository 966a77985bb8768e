/**
 * Witness scenario (e): a broker outage of 60 s, longer than the producer's retries, on a DEDICATED broker of this
 * file (scripts/kafka on its own port and data dir; the shared broker is never touched). A producer in this
 * process sends throughout while two consumer processes consume; the broker is stopped for 60 s and started again.
 * Target: every send settles (none hangs, none is acknowledged while the broker is down), sends reject during the
 * outage and succeed again after it without restarting the process, consumers resume within seconds of the broker
 * answering, and no acknowledged event is lost.
 * Before issue 11's delivery engine the producer never recovered after an outage of 25 s or more and consumers
 * resumed slowly (harness finding 3).
 */
import { spawnSync } from 'node:child_process';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerSettings, ensureClasspath, startBroker, stopBroker } from '../../../scripts/kafka/lib.mjs';
import { admin, createTopics } from '../helpers.js';
import { NumberedProducer, unique, until, type SendOutcome } from './driver.js';
import { witnessEnv } from './env.js';
import { Fleet } from './fleet.js';
import { report } from './report.js';
import { SCHEMA, Witness, type WitnessCounts } from './witness-db.js';

const PORT = Number(process.env.WITNESS_OUTAGE_PORT || 19592);
const brokerEnv: Record<string, string | undefined> = { ...process.env, KAFKA_LOCAL_PORT: String(PORT), KAFKA_LOCAL_CONTROLLER_PORT: String(PORT + 1) };
const OUTAGE_MS = Number(process.env.WITNESS_OUTAGE_MS || 60_000);
const RECOVERED_AFTER_MS = 15_000; // sends issued this long after the broker answers again must succeed
const AFTER_MS = 30_000; // load after the outage
// Consumers handle new events within this of the broker answering. With the only broker down, kafkajs restarts its
// consumers and they lose their member ids; the restarted coordinator then waits for the old members' sessions
// (SESSION_TIMEOUT_MS) before it completes the rebalance. Measured: ~10 s join after the broker answers, the
// reconnect attempts themselves at most 3 s apart (they were up to 12.7 s before). A Java client keeps its member id
// and would rejoin at once; so would a cluster with another live broker. See docs/runtime.md (Kafka, consumer).
const SESSION_TIMEOUT_MS = 10_000;
const RESUME_WITHIN_MS = SESSION_TIMEOUT_MS + 5_000;

async function whyNot(): Promise<string> {
  const java = spawnSync(process.env.JAVA_HOME ? `${process.env.JAVA_HOME}/bin/java` : 'java', ['-version'], { encoding: 'utf8' });
  if (java.error || java.status !== 0) return `cannot run java (${java.error?.message ?? `exit ${java.status}`}); a dedicated broker needs Java 17+ and Maven`;
  try {
    ensureClasspath({ env: brokerEnv });
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'no Kafka classpath';
  }
  return '';
}
const env = await witnessEnv('(e) broker outage');
const reason = env.reason || (await whyNot());
if (reason !== '' && env.reason === '') {
  if (process.env.REQUIRE_KAFKA === '1') throw new Error(`REQUIRE_KAFKA=1 and the witness scenario (e) cannot run its own broker: ${reason}`);
  process.stderr.write(`Witness scenario (e) SKIPPED: ${reason}\n`);
}

interface Observed {
  counts: WitnessCounts;
  outcomes: SendOutcome[];
  outageStart: number;
  brokerBack: number;
  resumeMs: number;
  stillPending: number;
}

describe.skipIf(reason !== '')('witness (e): broker outage of 60 s under produce and consume', () => {
  let witness: Witness;
  let fleet: Fleet | undefined;
  let producer: NumberedProducer | undefined;
  let observed: Observed | undefined;
  let failure: unknown;

  beforeAll(async () => {
    witness = await Witness.open(env.pg);
    await stopBroker({ env: brokerEnv, clean: true }); // leftovers of an interrupted run (our pid file only)
    const { bootstrap } = await startBroker({ env: brokerEnv });
    try {
      observed = await outage(bootstrap);
    } catch (error) {
      failure = error; // every assertion below then fails with this error
    }
  }, 420_000);

  afterAll(async () => {
    fleet?.killAll();
    await producer?.close(5_000);
    await stopBroker({ env: brokerEnv, clean: true });
    await witness?.close();
  });

  async function outage(bootstrap: string): Promise<Observed> {
    const run = unique('e');
    const topic = `witness-${run}`;
    const groupId = `g-${run}`;
    let a: Admin = await admin(bootstrap);
    await createTopics(a, [{ topic, partitions: 4 }]);
    await a.disconnect();
    fleet = new Fleet('e', (slot) => ({
      brokers: bootstrap,
      topic,
      groupId,
      pg: env.pg,
      schema: SCHEMA,
      handleMs: 1,
      clientId: `witness-e-${slot}`,
      consumer: { sessionTimeoutMs: SESSION_TIMEOUT_MS, heartbeatIntervalMs: 1_000, rebalanceTimeoutMs: 20_000 },
    }));
    await fleet.start(2);
    producer = new NumberedProducer({ brokers: bootstrap, topic, run, witness });
    let producing = true;
    const load = producer.produce({ count: 1_000_000, ratePerSec: 50, concurrency: 50, until: () => !producing });
    await new Promise((r) => setTimeout(r, 8_000));

    await stopBroker({ env: brokerEnv }); // a clean stop; data kept
    const outageStart = Date.now();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await startBroker({ env: brokerEnv });
    const brokerBack = Date.now();
    // A fresh producer (as a new process would) shows when consumers resume, whatever the first producer does.
    const probe = new NumberedProducer({ brokers: bootstrap, topic, run, witness, clientId: 'witness-probe' });
    const probeSeqs = Array.from({ length: 20 }, (_, i) => 10_000_000 + i);
    await Promise.all(probeSeqs.map((seq) => probe.sendOne(seq)));
    await probe.close();
    const probeIds = new Set(probeSeqs);
    let resumeMs = -1;
    await until(async () => {
      const first = (await witness.effects(run)).find((e) => probeIds.has(e.seq));
      if (first !== undefined) resumeMs = first.endedMs - brokerBack;
      return first !== undefined;
    }, 120_000, () => 'consumers never handled an event after the outage', 250);

    await new Promise((r) => setTimeout(r, Math.max(0, brokerBack + AFTER_MS - Date.now())));
    producing = false;
    // Every send must settle; give the stragglers the producer's own timeouts, then count what is still pending.
    await Promise.race([load, new Promise((r) => setTimeout(r, 60_000))]);
    await producer.flush();
    const outcomes = [...producer.outcomes.values()];
    const stillPending = outcomes.filter((o) => o.state === 'pending').length;
    await until(async () => (await witness.missing(run)) === 0, 120_000, async () => `${await witness.missing(run)} acknowledged events without an effect`, 500);
    await fleet.stopAll(30_000);
    a = await admin(bootstrap);
    await a.disconnect();
    const counts = await witness.counts(run);
    const settle = outcomes.filter((o) => o.state !== 'pending').map((o) => (o as { at: number }).at - o.sentAt);
    const during = outcomes.filter((o) => o.sentAt >= outageStart && o.sentAt < brokerBack);
    const late = outcomes.filter((o) => o.sentAt >= brokerBack + RECOVERED_AFTER_MS);
    report({
      scenario: `(e) broker stopped ${OUTAGE_MS / 1000} s, 2 consumer processes`,
      counts,
      measured: {
        'sends during outage acked/rejected': `${during.filter((o) => o.state === 'acked').length}/${during.filter((o) => o.state === 'rejected').length}`,
        [`sends ≥ ${RECOVERED_AFTER_MS / 1000} s after acked/rejected`]: `${late.filter((o) => o.state === 'acked').length}/${late.filter((o) => o.state === 'rejected').length}`,
        'longest settle ms': Math.round(Math.max(0, ...settle)),
        'pending at end': stillPending,
        'consumers resumed ms': Math.round(resumeMs),
      },
      verdict: `target: 0 lost, none pending, late sends all acked, resume ≤ ${RESUME_WITHIN_MS} ms`,
    });
    return { counts, outcomes, outageStart, brokerBack, resumeMs, stillPending };
  }

  const get = (): Observed => {
    if (observed === undefined) throw failure instanceof Error ? failure : new Error(`the outage run failed: ${String(failure)}`);
    return observed;
  };

  it('no acknowledged event is lost', () => {
    const o = get();
    expect(o.counts.acked).toBeGreaterThan(0);
    expect(o.counts.lost).toBe(0);
  });

  it('every send settles; none is acknowledged while the broker is down; sends during the outage reject', () => {
    const o = get();
    expect(o.stillPending).toBe(0);
    // 1 s of grace on each side: a request answered just before the stop, or right as the broker came back.
    const ackedWhileDown = o.outcomes.filter((x) => x.state === 'acked' && x.at > o.outageStart + 1_000 && x.at < o.brokerBack - 1_000);
    expect(ackedWhileDown).toEqual([]);
    expect(o.outcomes.filter((x) => x.state === 'rejected' && x.sentAt >= o.outageStart && x.sentAt < o.brokerBack).length).toBeGreaterThan(0);
  });

  // Issue 11 (harness finding 3): before the delivery engine, after an outage of 25 s or more the producer never
  // connected again.
  it('sends succeed again after the outage without restarting the process', () => {
    const o = get();
    const late = o.outcomes.filter((x) => x.sentAt >= o.brokerBack + RECOVERED_AFTER_MS);
    expect(late.length).toBeGreaterThan(0);
    expect(late.filter((x) => x.state !== 'acked')).toEqual([]);
  });

  // Issue 11 (harness finding 3): consumers took 6–48 s to resume after a restart (10.3 s in this harness' first
  // run, with kafkajs restart delays up to 12.7 s); now bounded by the session timeout (see RESUME_WITHIN_MS).
  it('consumers resume within seconds of the broker answering', () => {
    const o = get();
    expect(o.resumeMs).toBeGreaterThanOrEqual(0);
    expect(o.resumeMs).toBeLessThanOrEqual(RESUME_WITHIN_MS);
  });
});
