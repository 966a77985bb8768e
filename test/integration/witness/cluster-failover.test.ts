/**
 * Witness scenario (g): a three-broker cluster (scripts/kafka/cluster.mjs, its own ports and dir; the shared broker
 * is never touched), a topic with replication factor 3 and `min.insync.replicas=2`, a producer and two consumer
 * processes under load; the leader of the busiest partition is SIGKILLed, then restarted. Target: 0 acknowledged
 * events lost, the producer and the consumers carry on with the new leader (gaps measured), the node rejoins.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterSettings, killNode, partitionLeader, startCluster, startNode, stopCluster } from '../../../scripts/kafka/cluster.mjs';
import { ensureClasspath } from '../../../scripts/kafka/lib.mjs';
import { NumberedProducer, scaled, unique, until } from './driver.js';
import { witnessEnv } from './env.js';
import { Fleet } from './fleet.js';
import { report } from './report.js';
import { SCHEMA, Witness, longestGap } from './witness-db.js';

const clusterEnv: Record<string, string | undefined> = {
  ...process.env,
  KAFKA_CLUSTER_PORT: process.env.WITNESS_CLUSTER_PORT || '29192',
  KAFKA_CLUSTER_DIR: process.env.WITNESS_CLUSTER_DIR || '.kafka-cluster/witness',
};
const BROKERS = 3;
const PARTITIONS = 6;
const RATE = 200;
const TOTAL = scaled(8_000, 20_000);
const KILL_AFTER_MS = 10_000;
const DOWN_MS = 15_000;
const CARRY_ON_AFTER_MS = 20_000; // sends issued this long after the kill must all succeed
const MAX_PRODUCER_GAP_MS = 20_000; // the producer carries on within this after the leader died (fencing takes ~6 s)
// A liveness bound, not a target: consumers may lose the group coordinator with the node (fencing, coordinator
// discovery, a rebalance with a 10 s session); today's runtime took 16.7 and 24.9 s in two runs. Tighten it once
// the engine resumes faster (issue 11: consumers resume within seconds).
const MAX_CONSUMER_GAP_MS = 45_000;

const env = await witnessEnv('(g) cluster fail-over');
let reason = env.reason;
if (reason === '') {
  try {
    ensureClasspath({ env: clusterEnv });
  } catch (error) {
    reason = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'no Kafka classpath';
    if (process.env.REQUIRE_KAFKA === '1') throw new Error(`REQUIRE_KAFKA=1 and the witness scenario (g) cannot start a cluster: ${reason}`);
    process.stderr.write(`Witness scenario (g) SKIPPED: ${reason}\n`);
  }
}

describe.skipIf(reason !== '')('witness (g): SIGKILL of a partition leader in a three-broker cluster', () => {
  let witness: Witness;
  let fleet: Fleet | undefined;
  let bootstrap = '';

  beforeAll(async () => {
    witness = await Witness.open(env.pg);
    await stopCluster({ brokers: BROKERS, env: clusterEnv, clean: true }); // leftovers of an interrupted run (our pid files only)
    const r = await startCluster({ brokers: BROKERS, env: clusterEnv });
    bootstrap = r.bootstrap;
    console.log(`[witness] (g) ${BROKERS}-node cluster on ${bootstrap} ready in ${r.ms} ms`);
  }, 180_000);

  afterAll(async () => {
    fleet?.killAll();
    await stopCluster({ brokers: BROKERS, env: clusterEnv, clean: true });
    await witness?.close();
  }, 60_000);

  it('RF 3, min ISR 2: 0 acknowledged events lost; producer and consumers carry on with the new leader', async () => {
    const run = unique('g');
    const topic = `witness-${run}`;
    const groupId = `g-${run}`;
    const kafka = new Kafka({ clientId: 'witness-g-admin', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
    const a = kafka.admin();
    await a.connect();
    await a.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
    await until(async () => {
      try {
        const { topics } = await a.fetchTopicMetadata({ topics: [topic] });
        const ps = topics[0]?.partitions ?? [];
        return ps.length === PARTITIONS && ps.every((p) => p.leader >= 0 && p.isr.length === 3);
      } catch {
        return false;
      }
    }, 60_000, () => `topic ${topic} never got leaders and a full ISR`);

    fleet = new Fleet('g', (slot) => ({
      brokers: bootstrap,
      topic,
      groupId,
      pg: env.pg,
      schema: SCHEMA,
      handleMs: 1,
      clientId: `witness-g-${slot}`,
      consumer: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, rebalanceTimeoutMs: 20_000 },
    }));
    await fleet.start(2);
    const producer = new NumberedProducer({ brokers: bootstrap, topic, run, witness });
    const load = producer.produce({ count: TOTAL, ratePerSec: RATE, concurrency: 200 });
    await new Promise((r) => setTimeout(r, KILL_AFTER_MS));

    const ends = await a.fetchTopicOffsets(topic);
    const busiest = ends.reduce((best, p) => (Number(p.high) > Number(best.high) ? p : best), ends[0]!).partition;
    const leader = await partitionLeader(topic, busiest, { brokers: BROKERS, env: clusterEnv });
    const killAt = Date.now();
    await killNode(leader, { brokers: BROKERS, env: clusterEnv, signal: 'SIGKILL' });
    let newLeader = -1;
    const failoverMs = await until(async () => {
      newLeader = await partitionLeader(topic, busiest, { brokers: BROKERS, env: clusterEnv }).catch(() => -1);
      return newLeader >= 0 && newLeader !== leader;
    }, 60_000, () => `partition ${busiest} got no new leader`, 250);
    await new Promise((r) => setTimeout(r, Math.max(0, killAt + DOWN_MS - Date.now())));
    const restart = await startNode(leader, { brokers: BROKERS, env: clusterEnv });

    const produced = await load;
    await producer.close();
    await until(async () => (await witness.missing(run)) === 0, 180_000, async () => `${await witness.missing(run)} acknowledged events without an effect`, 500);
    await fleet.stopAll(30_000);
    await a.disconnect();

    const counts = await witness.counts(run);
    const effects = await witness.effects(run);
    const outcomes = [...producer.outcomes.values()];
    const acks = outcomes.flatMap((o) => (o.state === 'acked' ? [o.at] : [])).sort((x, y) => x - y);
    let producerGap = 0;
    for (let i = 1; i < acks.length; i++) if (acks[i]! >= killAt - 1_000 && acks[i]! - acks[i - 1]! > producerGap) producerGap = acks[i]! - acks[i - 1]!;
    const windowEnd = killAt + DOWN_MS + 10_000;
    const consumerGap = longestGap(effects, killAt - 1_000, Math.min(windowEnd, Math.max(...effects.map((e) => e.endedMs))));
    const partitionGap = longestGap(effects.filter((e) => e.partition === busiest), killAt - 1_000, Math.min(windowEnd, Math.max(...effects.filter((e) => e.partition === busiest).map((e) => e.endedMs))));
    const late = outcomes.filter((o) => o.sentAt >= killAt + CARRY_ON_AFTER_MS);
    report({
      scenario: `(g) SIGKILL leader (node ${leader}) of busiest partition, ${BROKERS} brokers RF 3 min ISR 2`,
      counts,
      measured: {
        'new leader after ms': failoverMs,
        'sends acked/rejected': `${produced.acked}/${produced.rejected}`,
        'producer gap ms': Math.round(producerGap),
        'consumer gap ms (all / that partition)': `${Math.round(consumerGap.ms)}/${Math.round(partitionGap.ms)}`,
        'node back in ms': restart.ms,
      },
      verdict: `target: 0 lost, gaps ≤ ${MAX_PRODUCER_GAP_MS}/${MAX_CONSUMER_GAP_MS} ms, sends ≥ ${CARRY_ON_AFTER_MS / 1000} s after the kill all acked`,
    });
    expect(clusterSettings({ brokers: BROKERS, env: clusterEnv }).nodes.map((n) => n.id)).toContain(leader);
    expect(counts.lost).toBe(0);
    expect(counts.acked).toBe(produced.acked);
    expect(late.length).toBeGreaterThan(0);
    expect(late.filter((o) => o.state !== 'acked')).toEqual([]);
    expect(producerGap).toBeLessThanOrEqual(MAX_PRODUCER_GAP_MS);
    expect(partitionGap.ms).toBeLessThanOrEqual(MAX_CONSUMER_GAP_MS);
  }, 420_000);
});
