/** Shared pieces of the Kafka integration tests: topics, transports, a test event and polling. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { z } from 'zod';
import {
  createTransport,
  kafkaClientFromEnv,
  createLogger,
  type KafkaClientName,
  type KafkaTransport,
  type PlatformaticTransport,
  defineEvent,
  kafkaConfig,
  type KafkaConsumerOptions,
  type KafkaProducerOptions,
  type Logger,
} from '../../templates/runtime/index.js';

export const TickSchema = z.object({ key: z.string(), seq: z.number().int().nonnegative(), note: z.string().optional() });
export type Tick = z.output<typeof TickSchema>;
export const TickEvent = defineEvent({ eventType: 'test.tick', version: '1.0.0', topics: [], schema: TickSchema, classification: 'internal', partitionKey: (d) => d.key });

/** A logger that keeps warnings and errors (LOG_LEVEL=debug prints everything). */
export function testLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const verbose = process.env.LOG_LEVEL === 'debug';
  const logger = createLogger({ level: verbose ? 'debug' : 'warn', write: (line) => (verbose ? process.stderr.write(`${line}\n`) : lines.push(line)) });
  return Object.assign(logger, { lines });
}

/** The client the integration tests run on: `KAFKA_CLIENT` (the `integration-platformatic` project sets it), else kafkajs. */
export const KAFKA_CLIENT: KafkaClientName = kafkaClientFromEnv();

/** A transport on the client under test (`KAFKA_CLIENT`), through the runtime's one factory. */
export function transport(brokers: string, options: { logger?: Logger; producer?: KafkaProducerOptions; consumer?: KafkaConsumerOptions } = {}): KafkaTransport | PlatformaticTransport {
  return createTransport({
    client: KAFKA_CLIENT,
    config: kafkaConfig({ brokers, clientId: 'eventgen-it' }),
    logger: options.logger ?? testLogger(),
    producer: options.producer ?? {},
    consumer: { heartbeatIntervalMs: 1000, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 20_000, ...options.consumer },
  });
}

/** A plain kafkajs client (admin probes and readers that are not the transport under test). */
export function kafkajsClient(brokers: string, clientId = 'eventgen-it-probe'): Kafka {
  return new Kafka({ clientId, brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

export async function admin(brokers: string): Promise<Admin> {
  const kafka = new Kafka({ clientId: 'eventgen-it-admin', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const a = kafka.admin();
  await a.connect();
  return a;
}

export async function createTopics(a: Admin, topics: Array<{ topic: string; partitions: number }>): Promise<void> {
  await a.createTopics({ topics: topics.map((t) => ({ topic: t.topic, numPartitions: t.partitions, replicationFactor: 1 })), waitForLeaders: true });
}

/** Committed offset per partition of a group (-1 = none). */
export async function committed(a: Admin, groupId: string, topic: string): Promise<Map<number, string>> {
  const [entry] = await a.fetchOffsets({ groupId, topics: [topic] });
  return new Map((entry?.partitions ?? []).map((p) => [p.partition, p.offset]));
}

/** End offset (high watermark) per partition. */
export async function endOffsets(a: Admin, topic: string): Promise<Map<number, string>> {
  return new Map((await a.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
}

/** Total records in a topic (all partitions start at 0 here: nothing is deleted). */
export async function recordCount(a: Admin, topic: string): Promise<number> {
  return (await a.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
}

/** Polls `check` every `everyMs` until it returns true; throws with `describe()` after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string = () => '', everyMs = 100): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`Timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Reads every record of a topic from the beginning with a throwaway group (for DLQ assertions). */
export async function readAll(brokers: string, topic: string, expected: number, timeoutMs = 30_000): Promise<Array<{ partition: number; offset: string; key: string | null; value: Buffer | null; headers: Record<string, string> }>> {
  const kafka = new Kafka({ clientId: 'eventgen-it-reader', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}-${Math.random()}`, maxWaitTimeInMs: 200 });
  const out: Array<{ partition: number; offset: string; key: string | null; value: Buffer | null; headers: Record<string, string> }> = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = (Array.isArray(v) ? v[v.length - 1] : v)?.toString() ?? '';
      out.push({ partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value, headers });
    },
  });
  try {
    await waitFor(() => out.length >= expected, timeoutMs, () => `read ${out.length}/${expected} from ${topic}`);
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/**
 * The child processes of a SIGKILL test. `prepare()` bundles `entry` (a TypeScript file) once into
 * test/output/<name>/child.mjs; `start(config)` runs a copy with `config` as JSON in the environment variable `envVar`
 * and resolves when the child prints READY (rejects when it exits first or is not ready within 30 s); `killAll()`
 * SIGKILLs the copies still running (for `afterAll`).
 */
export function childProcesses(options: { entry: string; name: string; envVar: string }): { prepare(): Promise<void>; start(config: Record<string, unknown>): Promise<ChildProcess>; killAll(): void } {
  const children: ChildProcess[] = [];
  const dir = path.resolve(import.meta.dirname, '../output', options.name);
  const script = path.join(dir, 'child.mjs');
  return {
    async prepare() {
      mkdirSync(dir, { recursive: true });
      await build({ entryPoints: [options.entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile: script, logLevel: 'error' });
    },
    start(config) {
      const child = spawn(process.execPath, [script], { env: { ...process.env, [options.envVar]: JSON.stringify(config) }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let err = '';
      child.stderr?.on('data', (d: Buffer) => void (err += d.toString()));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`child not ready in 30 s: ${err}`)), 30_000);
        child.stdout?.on('data', (d: Buffer) => {
          if (d.toString().includes('READY')) {
            clearTimeout(timer);
            resolve(child);
          }
        });
        child.on('exit', (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`child exited (${code ?? signal}) before READY: ${err}`));
        });
      });
    },
    killAll() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    },
  };
}
