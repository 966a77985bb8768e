/**
 * (h) Broker restart during produce and consume, on a DEDICATED broker of this file (scripts/kafka, its own ports
 * and data dir; the shared run broker is never touched): the broker is killed (SIGKILL) while a produce loop and a
 * GroupConsumer are running, then started again on the same ports and data. Every `send` settles (none hangs), the
 * acknowledged sends are exactly the distinct records of the topic (idempotent producer: no retry duplicates), the
 * same consumer resumes without being recreated and handles every acknowledged record (0 lost), health recovers.
 */
import { spawnSync } from 'node:child_process';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerStatus, ensureClasspath, isOurProcess, startBroker, stopBroker, brokerSettings } from '../../scripts/kafka/lib.mjs';
import { EventProducer, GroupConsumer, TopicDelegator, route, type EventHandler } from '../../templates/runtime/index.js';
import { kafkaBrokers, skipReason, uniqueName } from '../support/kafka.js';
import { TickEvent, admin, committed, createTopics, endOffsets, readAll, recordCount, testLogger, transport, waitFor, type Tick } from './helpers.js';

const PORT = Number(process.env.KAFKA_RESTART_TEST_PORT || 19392);
// Own ports (client PORT, controller PORT + 1) and own data dir (<KAFKA_LOCAL_DIR>/broker-<PORT>); the classpath cache is shared.
const env: Record<string, string | undefined> = { ...process.env, KAFKA_LOCAL_PORT: String(PORT), KAFKA_LOCAL_CONTROLLER_PORT: String(PORT + 1) };

/** Why this file cannot run a broker of its own ('' when it can). */
async function whyNot(): Promise<string> {
  if (!(await kafkaBrokers())) return skipReason() || 'no Kafka for this run';
  const java = spawnSync(process.env.JAVA_HOME ? `${process.env.JAVA_HOME}/bin/java` : 'java', ['-version'], { encoding: 'utf8' });
  if (java.error || java.status !== 0) return `cannot run java (${java.error?.message ?? `exit ${java.status}`}); a dedicated broker needs Java 17+ and Maven`;
  try {
    ensureClasspath({ env });
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'no Kafka classpath';
  }
  return '';
}

const reason = await whyNot();
if (reason) {
  if (process.env.REQUIRE_KAFKA === '1') throw new Error(`REQUIRE_KAFKA=1 and the broker-restart test cannot run its own broker: ${reason}`);
  process.stderr.write(`Kafka broker-restart test SKIPPED: ${reason}\n`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** SIGKILL of the dedicated broker (a crash, not a clean shutdown); resolves once the process is gone. */
async function killBroker(): Promise<void> {
  const { pid } = await brokerStatus({ env });
  const marker = brokerSettings(env).propertiesFile;
  if (pid === undefined || !isOurProcess(pid, marker)) throw new Error(`the dedicated broker on ${PORT} is not running`);
  process.kill(pid, 'SIGKILL');
  await waitFor(() => !isOurProcess(pid, marker), 10_000, () => `broker pid ${pid} still alive after SIGKILL`, 50);
}

type Outcome = { state: 'pending' } | { state: 'acked'; at: number; partition: number; offset: string } | { state: 'rejected'; at: number; error: string };

describe.skipIf(reason !== '')('kafka: broker restart during produce and consume (h)', () => {
  let bootstrap = '';
  let started = false;
  let producer: EventProducer | undefined;
  let consumer: GroupConsumer | undefined;

  beforeAll(async () => {
    await stopBroker({ env, clean: true }); // leftovers of an interrupted run of this file (our pid file only)
    const r = await startBroker({ env });
    started = true;
    bootstrap = r.bootstrap;
    console.log(`[it] (h) dedicated broker on ${bootstrap} started in ${r.ms} ms`);
  });

  afterAll(async () => {
    const bound = (p: Promise<unknown> | undefined): Promise<unknown> => Promise.race([p?.catch(() => undefined), sleep(15_000)]);
    await bound(consumer?.stop());
    await bound(producer?.disconnect());
    if (started) await stopBroker({ env, clean: true });
  });

  it('every send settles, acked = distinct records in the topic, the same consumer resumes and loses nothing, health recovers', async () => {
    const t0 = Date.now();
    const topic = uniqueName('it-restart');
    const groupId = uniqueName('g-restart');
    let a: Admin = await admin(bootstrap);
    await createTopics(a, [{ topic, partitions: 3 }]);
    await a.disconnect();

    const logger = testLogger();
    const t = transport(bootstrap, { logger });
    const handled = new Map<string, number>(); // eventId -> times handled
    const handledAt: Array<{ at: number; seq: number; partition: number; offset: string }> = [];
    const handler: EventHandler<Tick> = {
      async handle(data, ctx) {
        handled.set(ctx.eventId, (handled.get(ctx.eventId) ?? 0) + 1);
        handledAt.push({ at: Date.now(), seq: data.seq, partition: ctx.partition, offset: ctx.offset });
      },
    };
    consumer = new GroupConsumer({
      groupId,
      transport: t,
      topics: [new TopicDelegator({ topic, routes: [route(TickEvent, handler)] })],
      store: null, // no dedup: redeliveries stay visible
      fromBeginning: true,
      logger,
    });
    await consumer.start();
    producer = new EventProducer({ transport: t, source: 'it' });
    await producer.connect();

    // The produce loop: single-event sends, at most IN_FLIGHT outstanding, until told to stop.
    const IN_FLIGHT = 8;
    const outcomes = new Map<string, Outcome>(); // eventId -> outcome
    const pending = new Set<Promise<void>>();
    let seq = 0;
    let producing = true;
    const acked = (): number => [...outcomes.values()].filter((o) => o.state === 'acked').length;
    const loop = (async () => {
      while (producing) {
        if (pending.size >= IN_FLIGHT) {
          await Promise.race(pending);
          continue;
        }
        const eventId = `evt-${seq}-${Math.random().toString(36).slice(2, 8)}`;
        const n = seq++;
        outcomes.set(eventId, { state: 'pending' });
        const p = producer!.send(topic, TickEvent, { key: `k${n % 20}`, seq: n }, { eventId }).then(
          (m) => void outcomes.set(eventId, { state: 'acked', at: Date.now(), partition: m.partition, offset: m.offset }),
          (error: unknown) => void outcomes.set(eventId, { state: 'rejected', at: Date.now(), error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
        );
        const tracked = p.finally(() => pending.delete(tracked));
        pending.add(tracked);
        await sleep(5);
      }
    })();

    // Running normally: records acked and handled.
    await waitFor(() => acked() >= 300 && handled.size >= 150, 30_000, () => `acked ${acked()}, handled ${handled.size}`);
    const beforeKill = { acked: acked(), handled: handled.size, seq };

    // Crash the broker mid-stream, keep producing through the outage, then start it again on the same ports and data.
    const killedAt = Date.now();
    await killBroker();
    // The sends outstanding at the kill (read once the process is gone, so none sent just before it is missed): the
    // only ones whose outcome the broker's death can make unknown.
    const inFlightAtKill = new Set([...outcomes.entries()].filter(([, o]) => o.state === 'pending').map(([id]) => id));
    await sleep(2_000);
    const duringOutage = { issued: seq - beforeKill.seq, pending: [...outcomes.values()].filter((o) => o.state === 'pending').length, consumerHealth: consumer.health(), producerHealthy: producer.health().healthy };
    const restart = await startBroker({ env });
    const readyAt = Date.now();
    expect(restart.started).toBe(true);
    const restartMs = readyAt - killedAt;

    // Keep producing after the restart until a good number of new records were acknowledged, then stop the loop.
    await waitFor(() => [...outcomes.values()].some((o) => o.state === 'acked' && o.at > readyAt), 40_000, () => `no send acked since the restart; ${acked()} acked`);
    const firstAckMs = Math.min(...[...outcomes.values()].flatMap((o) => (o.state === 'acked' && o.at > readyAt ? [o.at - readyAt] : [])));
    const ackedAtRestart = acked();
    await waitFor(() => acked() >= ackedAtRestart + 300, 30_000, () => {
      const errors = [...new Set([...outcomes.values()].flatMap((o) => (o.state === 'rejected' ? [o.error] : [])))];
      return `acked ${acked()} (${ackedAtRestart} at restart), pending ${pending.size}, send errors: ${errors.join(' | ')}; last log: ${logger.lines.slice(-3).join(' / ')}`;
    });
    producing = false;
    await loop;

    // Every send settled within a bound (none hangs).
    const SETTLE_BOUND_MS = 45_000;
    let bound: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.allSettled([...pending]), new Promise((r) => (bound = setTimeout(r, SETTLE_BOUND_MS)))]);
    clearTimeout(bound);
    const all = [...outcomes.entries()];
    const hung = all.filter(([, o]) => o.state === 'pending').map(([id]) => id);
    const ackedIds = new Set(all.filter(([, o]) => o.state === 'acked').map(([id]) => id));
    const rejected = all.flatMap(([id, o]) => (o.state === 'rejected' ? [{ id, error: o.error, afterKillMs: o.at - killedAt }] : []));

    // The topic from the beginning, after the restart: count records and distinct event ids.
    a = await admin(bootstrap);
    let inTopic = 0;
    try {
      inTopic = await recordCount(a, topic);
    } finally {
      await a.disconnect();
    }
    const records = await readAll(bootstrap, topic, inTopic, 30_000);
    const topicIds = records.map((r) => r.headers['event-id'] ?? '');
    const distinct = new Set(topicIds);
    const duplicatesInTopic = topicIds.length - distinct.size;
    const lostFromTopic = [...ackedIds].filter((id) => !distinct.has(id));
    const unackedInTopic = [...distinct].filter((id) => !ackedIds.has(id));

    // An acked send whose record is not in the topic is data loss at the producer (checked before the consumer).
    const occupant = (id: string): string => {
      const o = outcomes.get(id);
      const r = o?.state === 'acked' ? records.find((x) => x.partition === o.partition && x.offset === o.offset) : undefined;
      const other = r?.headers['event-id'];
      return `${id} acked at ${o?.state === 'acked' ? `p${o.partition}@${o.offset}` : '?'}, which holds ${other ?? 'nothing'} (send ${other ? outcomes.get(other)?.state : '-'})`;
    };
    expect(lostFromTopic.map(occupant), `acked sends missing from the topic (rejected: ${rejected.length}, unacked in topic: ${unackedInTopic.join(',')})`).toEqual([]);

    // The same consumer (never recreated) handles every acked record.
    const diagnose = async (): Promise<string> => {
      const missing = [...ackedIds].filter((id) => !handled.has(id));
      const where = missing.map((id) => {
        const o = outcomes.get(id);
        const r = records.find((x) => x.headers['event-id'] === id);
        return `${id}: acked ${o?.state === 'acked' ? `p${o.partition}@${o.offset}` : '?'}, in topic ${r ? `p${r.partition}@${r.offset}` : 'NO'}`;
      });
      const lastHandled = new Map<number, string>();
      for (const h of handledAt) lastHandled.set(h.partition, h.offset);
      let offsets = '';
      try {
        const b = await admin(bootstrap);
        offsets = `committed ${JSON.stringify([...(await committed(b, groupId, topic))])}, end ${JSON.stringify([...(await endOffsets(b, topic))])}`;
        await b.disconnect();
      } catch (error) {
        offsets = String(error);
      }
      return `handled ${ackedIds.size - missing.length}/${ackedIds.size} acked; missing ${where.join('; ')}; last handled ${JSON.stringify([...lastHandled])}; ${offsets}; health ${JSON.stringify(consumer!.health())}; log tail ${logger.lines.slice(-5).join(' / ')}`;
    };
    try {
      await waitFor(() => [...ackedIds].every((id) => handled.has(id)), 40_000);
    } catch {
      throw new Error(`Not every acked record was handled: ${await diagnose()}`);
    }
    // When it resumed: the first record handled after the broker was back (read only now that every acked record is
    // handled; read earlier it raced the consumer, whose reconnect may come after the producer's 300 acks).
    const resumedAt = handledAt.find((h) => h.at > readyAt)?.at;
    const lost = [...ackedIds].filter((id) => !handled.has(id));
    const redelivered = [...handled.values()].reduce((n, c) => n + c - 1, 0);
    await waitFor(() => consumer!.health().healthy, 15_000, () => JSON.stringify(consumer!.health()));
    const ph = producer.health();
    const ch = consumer.health();

    console.log(
      `[it] (h) broker SIGKILLed after ${beforeKill.acked} acked / ${beforeKill.handled} handled; during the 2 s outage ${duringOutage.issued} sends issued, ${duringOutage.pending} pending, consumer ${duringOutage.consumerHealth.status} (healthy ${duringOutage.consumerHealth.healthy}), producer healthy ${duringOutage.producerHealthy}; ` +
        `restart (kill -> ready) ${restartMs} ms (start ${restart.ms} ms); first ack after ready +${firstAckMs} ms; consumer resumed +${resumedAt === undefined ? '?' : resumedAt - readyAt} ms; ` +
        `sends ${all.length}: acked ${ackedIds.size}, rejected ${rejected.length}, hung ${hung.length}; topic records ${inTopic} (read ${records.length}), distinct ${distinct.size}, duplicates ${duplicatesInTopic}, unacked-in-topic ${unackedInTopic.length}; ` +
        `handled distinct ${handled.size}, lost ${lost.length}, redelivered ${redelivered}; warn/error log lines ${logger.lines.length}; total ${Date.now() - t0} ms`,
    );
    if (rejected.length > 0) {
      const delays = rejected.map((r) => r.afterKillMs);
      console.log(`[it] (h) ${rejected.length} rejected ${Math.min(...delays)}..${Math.max(...delays)} ms after the kill: ${[...new Set(rejected.map((r) => r.error))].join(' | ')}`);
    }
    // A send rejected because the broker died after appending its record but before answering is in the topic
    // without an ack: inherent to any client (the outcome is unknown to it when its retries run out before the broker
    // is back). Only a send outstanding at the kill can be in that state: the producers keep one request in flight
    // per partition, and a request may carry several merged sends, so the bound is the sends in flight at the kill
    // (at most IN_FLIGHT), not one. Reported, and tolerated only in that form.
    const rejectedIds = new Set(rejected.map((r) => r.id));
    if (unackedInTopic.length > 0) console.log(`[it] (h) NOTE records in the topic whose send was not acked: ${unackedInTopic.join(', ')} (rejected: ${unackedInTopic.map((id) => rejectedIds.has(id)).join(', ')})`);
    if (duplicatesInTopic > 0) console.log(`[it] (h) NOTE duplicate records in the topic (counted distinct): ${duplicatesInTopic}`);

    expect(hung).toEqual([]);
    expect(all.length).toBe(seq);
    expect(lostFromTopic).toEqual([]);
    expect(duplicatesInTopic).toBe(0);
    expect(unackedInTopic.every((id) => rejectedIds.has(id))).toBe(true);
    expect(unackedInTopic.filter((id) => !inFlightAtKill.has(id))).toEqual([]);
    expect(inFlightAtKill.size).toBeLessThanOrEqual(IN_FLIGHT);
    expect(distinct.size).toBe(ackedIds.size + unackedInTopic.length);
    expect(inTopic).toBe(distinct.size);
    expect(lost).toEqual([]);
    expect(resumedAt).toBeDefined();
    expect(ch).toMatchObject({ healthy: true, status: 'running' });
    expect(ph).toMatchObject({ healthy: true, status: 'connected' });
  }, 150_000);
});
