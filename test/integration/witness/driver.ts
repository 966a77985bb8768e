/**
 * The witness driver: starts witness consumer processes (service/consumer-main.ts, bundled once with esbuild and
 * run with node), kills and restarts them, and produces numbered events while recording every acknowledged send
 * in the witness database. Scenario tests (*.test.ts beside this file) combine these and count with witness-db.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { EventProducer, createTransport, createLogger, kafkaConfig, type KafkaProducerOptions, type Logger } from '../../../templates/runtime/index.js';
import { NumberedEvent, type ConsumerConfig, type HandlerMode } from './service/events.js';
import type { Witness } from './witness-db.js';

export const OUTPUT = path.resolve(import.meta.dirname, '../../output/witness');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const now = (): number => performance.timeOrigin + performance.now();

/** `WITNESS_SCALE=full` for the heavier runs whose numbers are reported; CI runs the small scale. */
export const FULL_SCALE = process.env.WITNESS_SCALE === 'full';
/** `ci` at the default scale, `full` with WITNESS_SCALE=full. */
export const scaled = <T>(ci: T, full: T): T => (FULL_SCALE ? full : ci);

let bundled: Promise<string> | undefined;
/** Bundles the consumer process once per test file (node starts it in ~0.3 s, tsx would take seconds). */
export function consumerScript(): Promise<string> {
  bundled ??= (async () => {
    mkdirSync(OUTPUT, { recursive: true });
    const outfile = path.join(OUTPUT, `consumer-main-${process.pid}.mjs`);
    await build({ entryPoints: [path.resolve(import.meta.dirname, 'service/consumer-main.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile, logLevel: 'error' });
    return outfile;
  })();
  return bundled;
}

/** A lifecycle line of a consumer process (`WITNESS {json}` on its stdout). */
export interface LifecycleEvent {
  event: string;
  pid: number;
  at: number;
  [field: string]: unknown;
}

/** How a consumer process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

/** One witness consumer process. */
export class ConsumerProcess {
  readonly events: LifecycleEvent[] = [];
  readonly exited: Promise<Exit>;
  readonly startedAt = now();
  /** When the driver sent each signal. */
  readonly signals: Array<{ signal: NodeJS.Signals; at: number }> = [];
  private stderrText = '';
  private readonly waiters = new Set<() => void>();
  exit: Exit | undefined;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exit = { code, signal, at: now() };
        this.notify();
        resolve(this.exit);
      }),
    );
    let pending = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.startsWith('WITNESS ')) {
          try {
            this.events.push(JSON.parse(line.slice(8)) as LifecycleEvent);
            this.notify();
          } catch {
            // not ours
          }
        }
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrText = (this.stderrText + chunk.toString('utf8')).slice(-64_000); // bounded
    });
  }

  /** Starts a consumer process with `config`. */
  static async start(name: string, config: ConsumerConfig): Promise<ConsumerProcess> {
    const script = await consumerScript();
    const child = spawn(process.execPath, [script], { env: { ...process.env, WITNESS_CONFIG: JSON.stringify(config) }, stdio: ['ignore', 'pipe', 'pipe'] });
    return new ConsumerProcess(name, child);
  }

  /** Process id. */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** True until the process exited. */
  get alive(): boolean {
    return this.exit === undefined;
  }

  /** The last 64 KB of stderr (the runtime's warnings and errors, JSON lines). */
  get stderr(): string {
    return this.stderrText;
  }

  /** Time of the first lifecycle event named `event`. */
  at(event: string): number | undefined {
    return this.events.find((e) => e.event === event)?.at;
  }

  /** Resolves with the first lifecycle event matching `match`; rejects when the process exits first or after `timeoutMs`. */
  async waitFor(match: (e: LifecycleEvent) => boolean, timeoutMs: number, what: string): Promise<LifecycleEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found !== undefined) return found;
      if (this.exit !== undefined) throw new Error(`${this.name} (pid ${this.pid}) exited (${this.exit.signal ?? this.exit.code}) before ${what}\n${this.stderr.slice(-4000)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name} (pid ${this.pid}): no ${what} within ${timeoutMs} ms\n${this.stderr.slice(-4000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 1000));
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(done);
      });
    }
  }

  /** Resolves once the consumer started (`start()` resolved). */
  ready(timeoutMs = 60_000): Promise<LifecycleEvent> {
    return this.waitFor((e) => e.event === 'ready', timeoutMs, 'ready');
  }

  /** Sends a signal (no-op once exited) and records when. */
  kill(signal: NodeJS.Signals): void {
    if (this.exit !== undefined) return;
    this.signals.push({ signal, at: now() });
    this.child.kill(signal);
  }

  /** Sends `signal` and waits for the exit; SIGKILL after `timeoutMs` (then `forced` is true). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 60_000): Promise<Exit & { ms: number; forced: boolean }> {
    const t0 = now();
    this.kill(signal);
    let forced = false;
    const timer = setTimeout(() => {
      forced = true;
      this.kill('SIGKILL');
    }, timeoutMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return { ...exit, ms: exit.at - t0, forced };
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
    this.waiters.clear();
  }
}

/** A deterministic UUID (v5 layout) for event `seq` of `run`: the driver knows every event id before sending. */
export function eventIdOf(run: string, seq: number): string {
  const h = createHash('sha1').update(`${run}:${seq}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** The fate of one send. */
export type SendOutcome =
  | { state: 'pending'; sentAt: number }
  | { state: 'acked'; sentAt: number; at: number; partition: number; offset: string }
  | { state: 'rejected'; sentAt: number; at: number; error: string };

/** What to produce. */
export interface ProduceOptions {
  /** Number of events. */
  count: number;
  /** First seq (default: continues after the previous call). */
  from?: number;
  /** Events per second (default as fast as acknowledgements allow). */
  ratePerSec?: number;
  /** Sends in flight at once (default 100). */
  concurrency?: number;
  /** Distinct keys (default 64). */
  keys?: number;
  /** Handler mode of every event (default ok). */
  mode?: HandlerMode;
  /** Work per event (ms) passed in the payload. */
  workMs?: number;
  /** Padding characters per event. */
  padChars?: number;
  /** Stops producing when it returns true. */
  until?: () => boolean;
}

/**
 * Produces numbered witness events with the runtime's `EventProducer` (one `send` per event, so each has its own
 * fate) and records each acknowledgement in the witness `sent` table.
 */
export class NumberedProducer {
  readonly outcomes = new Map<number, SendOutcome>();
  readonly producer: EventProducer;
  readonly logger: Logger & { lines: string[] };
  private nextSeq = 0;
  private unrecorded: Array<{ seq: number; eventId: string; partition: number; offset: string; ackedMs: number }> = [];

  constructor(
    readonly options: { brokers: string; topic: string; run: string; witness: Witness; producer?: KafkaProducerOptions; clientId?: string },
  ) {
    const lines: string[] = [];
    this.logger = Object.assign(createLogger({ level: 'warn', write: (line) => void lines.push(line.slice(0, 2000)) }), { lines });
    const transport = createTransport({ config: kafkaConfig({ brokers: options.brokers, clientId: options.clientId ?? 'witness-driver' }), logger: this.logger, producer: options.producer ?? {} });
    this.producer = new EventProducer({ transport, source: 'witness-driver', logger: this.logger });
  }

  /** Sends one event; resolves with its outcome (never rejects). */
  async sendOne(seq: number, data: { mode?: HandlerMode; workMs?: number; pad?: string; key?: string } = {}): Promise<SendOutcome> {
    const { run, topic } = this.options;
    const sentAt = now();
    this.outcomes.set(seq, { state: 'pending', sentAt });
    const eventId = eventIdOf(run, seq);
    const payload = { run, seq, key: data.key ?? `k${seq % 64}`, mode: data.mode ?? 'ok', ...(data.workMs === undefined ? {} : { workMs: data.workMs }), ...(data.pad === undefined ? {} : { pad: data.pad }) };
    let outcome: SendOutcome;
    try {
      const m = await this.producer.send(topic, NumberedEvent, payload, { eventId });
      outcome = { state: 'acked', sentAt, at: now(), partition: m.partition, offset: m.offset };
      this.unrecorded.push({ seq, eventId, partition: m.partition, offset: m.offset, ackedMs: outcome.at });
    } catch (error) {
      outcome = { state: 'rejected', sentAt, at: now(), error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
    this.outcomes.set(seq, outcome);
    return outcome;
  }

  /** Produces `count` events at a rate with bounded concurrency; acknowledged ones are recorded in the witness. */
  async produce(o: ProduceOptions): Promise<{ acked: number; rejected: number; ms: number }> {
    const t0 = now();
    const from = o.from ?? this.nextSeq;
    this.nextSeq = Math.max(this.nextSeq, from + o.count);
    const concurrency = o.concurrency ?? 100;
    const keys = o.keys ?? 64;
    const pad = o.padChars === undefined ? undefined : 'x'.repeat(o.padChars);
    const inFlight = new Set<Promise<unknown>>();
    let acked = 0;
    let rejected = 0;
    const flusher = setInterval(() => void this.flush().catch(() => undefined), 500);
    try {
      for (let i = 0; i < o.count; i++) {
        if (o.until?.() === true) break;
        if (o.ratePerSec !== undefined) {
          const due = t0 + (i * 1000) / o.ratePerSec;
          if (due > now()) await sleep(due - now());
        }
        while (inFlight.size >= concurrency) await Promise.race(inFlight);
        const seq = from + i;
        const p = this.sendOne(seq, { mode: o.mode ?? 'ok', key: `k${seq % keys}`, ...(o.workMs === undefined ? {} : { workMs: o.workMs }), ...(pad === undefined ? {} : { pad }) }).then((r) => {
          if (r.state === 'acked') acked += 1;
          else rejected += 1;
          inFlight.delete(p);
        });
        inFlight.add(p);
      }
      await Promise.all(inFlight);
    } finally {
      clearInterval(flusher);
      await this.flush();
    }
    return { acked, rejected, ms: now() - t0 };
  }

  /** Writes acknowledged sends not yet recorded to the witness. */
  async flush(): Promise<void> {
    const rows = this.unrecorded;
    this.unrecorded = [];
    if (rows.length > 0) await this.options.witness.recordSent(this.options.run, rows);
  }

  /** Counts of outcomes. */
  tally(): { acked: number; rejected: number; pending: number } {
    const t = { acked: 0, rejected: 0, pending: 0 };
    for (const o of this.outcomes.values()) t[o.state] += 1;
    return t;
  }

  /** Flushes and disconnects (bounded: a producer stuck in an outage must not hang the test). */
  async close(timeoutMs = 15_000): Promise<void> {
    await this.flush();
    await Promise.race([this.producer.disconnect().catch(() => undefined), sleep(timeoutMs)]);
  }
}

/** A unique name for topics, groups and runs. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

/** Polls `check` until true; throws with `describe()` after `timeoutMs`. Resolves with the time taken. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string | Promise<string> = () => '', everyMs = 200): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await check()) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`Timed out after ${timeoutMs} ms: ${await describe()}`);
    await sleep(everyMs);
  }
}
