/**
 * Consumer processes killed and restarted on a real broker (the consumer runs as a child process):
 * (g) SIGTERM: in-flight work finishes, its offsets are committed, the member leaves the group; a restarted member
 *     handles nothing twice (no dedup store: exactness comes from the commits alone);
 * (b) SIGKILL mid-stream, then a restart: 0 events lost; with the Redis processed store the records processed but not
 *     committed are skipped, and the only possible repeats are the records whose side effect was written but whose
 *     processed mark had not landed when the process died: at most one per partition it was processing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventProducer, batchItem } from '../../templates/runtime/index.js';
import { kafkaBrokers, redisUrl, uniqueName } from '../support/kafka.js';
import { TickEvent, admin, committed, createTopics, endOffsets, transport, waitFor } from './helpers.js';

const brokers = await kafkaBrokers();
const redis = await redisUrl();
const WORK = path.resolve(import.meta.dirname, '../output/integration');
const CHILD = path.join(WORK, 'consumer-child.mjs');

function lines(file: string): Array<{ eventId: string; key: string; seq: number; pid: number }> {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [eventId = '', key = '', seq = '0', pid = '0'] = l.split(' ');
      return { eventId, key, seq: Number(seq), pid: Number(pid) };
    });
}

function startChild(env: Record<string, string>): { child: ChildProcess; ready: Promise<void>; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>; stderr: () => string } {
  const child = spawn(process.execPath, [CHILD], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      if (c.toString().includes('READY')) resolve();
    });
    void exited.then(() => reject(new Error(`child exited before READY:\n${err}`)));
  });
  return { child, ready, exited, stderr: () => err };
}

async function produce(topic: string, count: number, keys: number): Promise<void> {
  const t = transport(brokers!);
  const producer = new EventProducer({ transport: t, source: 'it' });
  const items = Array.from({ length: count }, (_, i) => batchItem(topic, TickEvent, { key: `k${i % keys}`, seq: Math.floor(i / keys) }));
  for (let i = 0; i < items.length; i += 500) await producer.sendBatch(items.slice(i, i + 500));
  await producer.disconnect();
}

describe.skipIf(!brokers)('kafka: consumer processes (g, b)', () => {
  let a: Admin;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    mkdirSync(WORK, { recursive: true });
    await build({ entryPoints: [path.resolve(import.meta.dirname, 'fixtures/consumer-child.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile: CHILD, logLevel: 'error' });
    a = await admin(brokers!);
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await a?.disconnect();
  });

  it('(g) SIGTERM: in-flight work finishes, offsets committed, group left; the restarted member handles nothing twice', async () => {
    const topic = uniqueName('it-sigterm');
    const groupId = uniqueName('g-sigterm');
    const out = path.join(WORK, `${groupId}.log`);
    rmSync(out, { force: true });
    writeFileSync(out, '');
    await createTopics(a, [{ topic, partitions: 2 }]);
    const TOTAL = 400;
    await produce(topic, TOTAL, 20);
    const env = { BROKERS: brokers!, TOPIC: topic, GROUP: groupId, OUT: out, HANDLE_MS: '25' };

    const first = startChild(env);
    children.push(first.child);
    await first.ready;
    await waitFor(() => lines(out).length >= 100, 60_000, () => `handled ${lines(out).length}`);
    const termAt = Date.now();
    first.child.kill('SIGTERM');
    const exit = await first.exited;
    const stopMs = Date.now() - termAt;
    const handledByFirst = lines(out).length;
    const afterFirst = await committed(a, groupId, topic);
    const committedCount = [...afterFirst.values()].reduce((n, o) => n + Math.max(0, Number(o)), 0);
    const group = await a.describeGroups([groupId]);
    // A clean exit: the child's own SIGTERM listener closes Redis, so the runtime does not re-raise; the loop empties.
    expect([0, 'SIGTERM']).toContain(exit.signal ?? exit.code);
    expect(committedCount).toBe(handledByFirst); // everything handled (incl. in-flight) was committed, nothing more
    expect(group.groups[0]?.members).toEqual([]); // left the group
    expect(first.stderr().split('\n').filter((l) => l.includes('"level":"error"'))).toEqual([]);

    const second = startChild(env);
    children.push(second.child);
    const restartAt = Date.now();
    await second.ready;
    await waitFor(() => lines(out).length >= TOTAL, 60_000, () => `handled ${lines(out).length}/${TOTAL}`);
    const resumeMs = Date.now() - restartAt;
    await waitFor(async () => {
      const c = await committed(a, groupId, topic);
      const e = await endOffsets(a, topic);
      return [...e].every(([p, o]) => c.get(p) === o);
    }, 15_000);
    second.child.kill('SIGTERM');
    await second.exited;
    const all = lines(out);
    const ids = new Set(all.map((l) => l.eventId));
    console.log(`[it] (g) SIGTERM after ${handledByFirst} handled; stopped in ${stopMs} ms; committed ${committedCount}; group members after exit ${group.groups[0]?.members.length}; restart finished the rest in ${resumeMs} ms; total lines ${all.length}, distinct ${ids.size}`);
    expect(all).toHaveLength(TOTAL);
    expect(ids.size).toBe(TOTAL);
  });

  it.skipIf(!redis)('(b) SIGKILL mid-stream then restart: 0 lost; Redis dedup skips the uncommitted, repeats at most the record in flight per partition', async () => {
    const topic = uniqueName('it-sigkill');
    const groupId = uniqueName('g-sigkill');
    const out = path.join(WORK, `${groupId}.log`);
    writeFileSync(out, '');
    const PARTITIONS = 3;
    await createTopics(a, [{ topic, partitions: PARTITIONS }]);
    const TOTAL = 600;
    await produce(topic, TOTAL, 50);
    const env = { BROKERS: brokers!, TOPIC: topic, GROUP: groupId, OUT: out, HANDLE_MS: '2', COMMIT_DELAY_MS: '25', REDIS_URL: redis! };

    const first = startChild(env);
    children.push(first.child);
    await first.ready;
    await waitFor(() => lines(out).length >= 200, 60_000, () => `handled ${lines(out).length}`, 20);
    first.child.kill('SIGKILL');
    await first.exited;
    const handledByFirst = lines(out).length;
    const c = await committed(a, groupId, topic);
    const committedCount = [...c.values()].reduce((n, o) => n + Math.max(0, Number(o)), 0);

    const second = startChild(env);
    children.push(second.child);
    await second.ready;
    await waitFor(async () => {
      const cc = await committed(a, groupId, topic);
      const e = await endOffsets(a, topic);
      return [...e].every(([p, o]) => cc.get(p) === o);
    }, 90_000, () => `handled ${lines(out).length}/${TOTAL}`);
    second.child.kill('SIGTERM');
    await second.exited;
    const all = lines(out);
    const ids = new Set(all.map((l) => l.eventId));
    const duplicates = all.length - ids.size;
    // A repeat is only explained by the kill: its first effect was written by the killed process, which died before
    // the processed mark landed. Everything else it processed (marked, not committed) must have been skipped.
    const firstPid = all[0]?.pid;
    const seen = new Map<string, number>();
    const repeated: Array<{ eventId: string; firstBy: number }> = [];
    for (const l of all) {
      const by = seen.get(l.eventId);
      if (by === undefined) seen.set(l.eventId, l.pid);
      else repeated.push({ eventId: l.eventId, firstBy: by });
    }
    const uncommitted = handledByFirst - committedCount;
    console.log(`[it] (b) SIGKILL after ${handledByFirst} side effects (${committedCount} committed: ${uncommitted} handled but uncommitted); after restart: distinct ${ids.size}/${TOTAL}, lost ${TOTAL - ids.size}, duplicate side effects ${duplicates} (bound ${PARTITIONS}, without dedup up to ${uncommitted})`);
    // The kill left more processed-but-uncommitted records than there are partitions: they all come again, so
    // without dedup the repeats would exceed the bound below.
    expect(uncommitted).toBeGreaterThan(PARTITIONS);
    expect(ids.size).toBe(TOTAL); // 0 lost
    expect(duplicates).toBeLessThanOrEqual(PARTITIONS); // dedup skipped the marked-but-uncommitted records
    for (const r of repeated) expect(r.firstBy).toBe(firstPid); // each repeat is a record the killed process had in flight
  });
});
