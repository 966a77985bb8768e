/**
 * `gen dlq` engine: bounded scans of dead-letter topics (list, show), replay with committed progress and a loop
 * guard, purge by `deleteRecords`. Reads records with the runtime's public `decodeDeadLetter`.
 */
import { createHash, randomUUID } from 'node:crypto';
import kafkajs, { type Admin, type Consumer, type IHeaders, type KafkaMessage, type Producer } from 'kafkajs';
import type { KafkaConfig } from '../../templates/runtime/config.js';
import { decodeDeadLetter, isDeadLetterReason, REPLAY_HEADERS, type DeadLetterRecord } from '../../templates/runtime/dead-letter-record.js';
import { toKafkaJsConfig } from '../../templates/runtime/kafka-transport.js';
import type { ConsumedRecord, RecordHeaders } from '../../templates/runtime/transport.js';

const { Kafka, logLevel } = kafkajs;

/** A bad flag or filter (exit 2). */
export class DlqUsageError extends Error {}

/** Which dead letters a command applies to. Empty lists match everything. */
export interface DlqFilter {
  eventTypes: string[];
  reasons: string[];
  groups: string[];
  eventIds: string[];
  since?: Date;
  until?: Date;
}

export function emptyFilter(f: DlqFilter): boolean {
  return !f.eventTypes.length && !f.reasons.length && !f.groups.length && !f.eventIds.length && !f.since && !f.until;
}

/** `2026-01-01T00:00:00Z`, `2026-01-01`, or a duration ago: `90s`, `30m`, `2h`, `7d`. */
export function parseTime(text: string, flag: string, now = Date.now()): Date {
  const rel = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (rel) return new Date(now - Number(rel[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[rel[2] as 's' | 'm' | 'h' | 'd']);
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new DlqUsageError(`${flag} "${text}" is not a time: use an ISO date (2026-01-31T12:00:00Z) or a duration ago (30m, 2h, 7d)`);
  return d;
}

export function makeFilter(input: { eventTypes?: string[]; reasons?: string[]; groups?: string[]; eventIds?: string[]; since?: string; until?: string }): DlqFilter {
  const reasons = input.reasons ?? [];
  for (const r of reasons) if (!isDeadLetterReason(r)) throw new DlqUsageError(`--reason "${r}" is not a dead-letter reason (decode, envelope, validation, unknown-event-type, version, handler-non-retriable, retries-exhausted)`);
  const f: DlqFilter = { eventTypes: input.eventTypes ?? [], reasons, groups: input.groups ?? [], eventIds: input.eventIds ?? [] };
  if (input.since !== undefined) f.since = parseTime(input.since, '--since');
  if (input.until !== undefined) f.until = parseTime(input.until, '--until');
  if (f.since && f.until && f.since > f.until) throw new DlqUsageError(`--since (${f.since.toISOString()}) is after --until (${f.until.toISOString()})`);
  return f;
}

function typeMatches(pattern: string, type: string | undefined): boolean {
  if (type === undefined) return false;
  return pattern.endsWith('*') ? type.startsWith(pattern.slice(0, -1)) : pattern === type;
}

/** The record's failure time: `dlq-failed-at`, else the dead-letter record's timestamp. */
export function failureTime(r: DeadLetterRecord): Date {
  return r.failure.failedAt ?? new Date(Number(r.timestamp));
}

export function matches(f: DlqFilter, r: DeadLetterRecord): boolean {
  if (f.eventTypes.length && !f.eventTypes.some((p) => typeMatches(p, r.eventType))) return false;
  if (f.reasons.length && !f.reasons.includes(r.failure.reasonText ?? '')) return false;
  if (f.groups.length && !f.groups.includes(r.failure.consumerGroup ?? '')) return false;
  if (f.eventIds.length && !f.eventIds.includes(r.eventId ?? '')) return false;
  if (f.since || f.until) {
    const t = failureTime(r).getTime();
    if (f.since && t < f.since.getTime()) return false;
    if (f.until && t >= f.until.getTime()) return false;
  }
  return true;
}

function toRecord(topic: string, partition: number, m: KafkaMessage): ConsumedRecord {
  const headers: RecordHeaders = Object.create(null) as RecordHeaders;
  const raw: IHeaders = m.headers ?? {};
  for (const name in raw) {
    const v = raw[name];
    if (v !== undefined) headers[name] = Array.isArray(v) ? v : v;
  }
  return { topic, partition, offset: m.offset, key: m.key, value: m.value, headers, timestamp: m.timestamp };
}

/* ------------------------------------------------------------------------------------------ */

/** A connection to the cluster for one command. */
export class DlqSession {
  readonly kafka: InstanceType<typeof Kafka>;
  readonly admin: Admin;
  /** Bytes per partition per fetch (default 8 MiB; tests lower it to force many fetches). */
  private readonly fetchBytes: number;
  private constructor(config: KafkaConfig, options: { fetchBytes?: number }) {
    this.fetchBytes = options.fetchBytes ?? 8 * 1024 * 1024;
    this.kafka = new Kafka({ ...toKafkaJsConfig(config), logLevel: logLevel.NOTHING, logCreator: () => () => undefined, retry: { retries: 3, initialRetryTime: 300 } });
    this.admin = this.kafka.admin();
  }
  static async connect(config: KafkaConfig, options: { fetchBytes?: number } = {}): Promise<DlqSession> {
    const s = new DlqSession(config, options);
    await s.admin.connect();
    return s;
  }
  async close(): Promise<void> {
    await this.admin.disconnect().catch(() => undefined);
  }

  /** Existing topics among `names`. */
  async existing(names: readonly string[]): Promise<Set<string>> {
    const all = new Set(await this.admin.listTopics());
    return new Set(names.filter((n) => all.has(n)));
  }

  /** Per partition: low and high watermark (as bigint). */
  async watermarks(topic: string): Promise<Map<number, { low: bigint; high: bigint }>> {
    const out = new Map<number, { low: bigint; high: bigint }>();
    for (const p of await this.admin.fetchTopicOffsets(topic)) out.set(p.partition, { low: BigInt(p.low), high: BigInt(p.high) });
    return out;
  }

  /** Committed offsets of `groupId` on `topic` (partitions without a commit are absent). */
  async committed(groupId: string, topic: string): Promise<Map<number, bigint>> {
    const out = new Map<number, bigint>();
    const res = await this.admin.fetchOffsets({ groupId, topics: [topic] });
    for (const t of res) for (const p of t.partitions) if (p.offset !== '-1' && p.offset !== '') out.set(p.partition, BigInt(p.offset));
    return out;
  }

  /**
   * Reads `topic` from each partition's start (`start`, else the low watermark) up to `end` (exclusive), calling
   * `onBatch` per fetched batch of one partition. With `groupId` the consumer joins that group (replay progress);
   * without, a throwaway group that never commits and is deleted afterwards. `onBatch` returning false stops the scan.
   */
  async scan(
    topic: string,
    options: { start?: Map<number, bigint>; end: Map<number, bigint>; groupId?: string; partitions?: number[]; idleMs?: number; signal?: AbortSignal },
    onBatch: (records: ConsumedRecord[], partition: number, next: bigint, commit: (to: bigint) => Promise<void>) => Promise<boolean | void>,
  ): Promise<{ complete: boolean }> {
    const marks = await this.watermarks(topic);
    const pos = new Map<number, bigint>();
    for (const [p, m] of marks) {
      if (options.partitions && !options.partitions.includes(p)) continue;
      const start = options.start?.get(p) ?? m.low;
      pos.set(p, start < m.low ? m.low : start);
    }
    const remaining = (): number[] => [...pos].filter(([p, o]) => o < (options.end.get(p) ?? 0n)).map(([p]) => p);
    if (!remaining().length) return { complete: true };
    const throwaway = options.groupId === undefined;
    const groupId = options.groupId ?? `eventgen-dlq-scan-${randomUUID()}`;
    const consumer: Consumer = this.kafka.consumer({ groupId, maxWaitTimeInMs: 200, maxBytesPerPartition: this.fetchBytes, maxBytes: Math.max(this.fetchBytes, 32 * 1024 * 1024) });
    let stopped = false;
    let complete = false;
    let failure: unknown;
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    let idle: NodeJS.Timeout | undefined;
    const touch = (): void => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => finish(), options.idleMs ?? 20_000);
    };
    // An abort stops the scan between batches: a batch in flight finishes (produce, ack, commit) first.
    let inFlight = false;
    const onAbort = (): void => {
      stopped = true;
      if (!inFlight) finish();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      touch();
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, isRunning, isStale, resolveOffset }) => {
          if (stopped || !isRunning() || isStale()) return;
          inFlight = true;
          try {
          touch();
          const p = batch.partition;
          const at = pos.get(p);
          const end = options.end.get(p) ?? 0n;
          if (at === undefined || at >= end) return;
          const records: ConsumedRecord[] = [];
          for (const m of batch.messages) {
            const o = BigInt(m.offset);
            if (o < at || o >= end) continue;
            records.push(toRecord(topic, p, m));
          }
          let next = BigInt(batch.lastOffset()) + 1n;
          if (next > end) next = end;
          if (records.length || next > at) {
            try {
              const commit = async (to: bigint): Promise<void> => {
                if (!throwaway) await consumer.commitOffsets([{ topic, partition: p, offset: to.toString() }]);
              };
              const go = await onBatch(records, p, next, commit);
              pos.set(p, next);
              // kafkajs fetches from the last resolved offset: resolve the batch or it is fetched again.
              if (go !== false) resolveOffset(batch.lastOffset());
              if (go === false) stopped = true;
            } catch (err) {
              failure = err;
              stopped = true;
            }
          }
          if (stopped || !remaining().length) {
            complete = !stopped && failure === undefined;
            stopped = true;
            finish();
          }
          } finally {
            inFlight = false;
            if (stopped) finish();
          }
        },
      });
      // Seek each partition to its start (applied when the partition is assigned).
      for (const [p, o] of pos) if (!options.partitions || options.partitions.includes(p)) consumer.seek({ topic, partition: p, offset: o.toString() });
      await done;
    } finally {
      if (idle) clearTimeout(idle);
      options.signal?.removeEventListener('abort', onAbort);
      await consumer.disconnect().catch(() => undefined);
      if (throwaway) await this.admin.deleteGroups([groupId]).catch(() => undefined);
    }
    if (failure !== undefined) throw failure;
    return { complete: complete || !remaining().length };
  }

  async producer(): Promise<Producer> {
    const p = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await p.connect();
    return p;
  }
}

/** End offsets (high watermarks) captured now. */
export async function endOffsets(session: DlqSession, topic: string): Promise<Map<number, bigint>> {
  const out = new Map<number, bigint>();
  for (const [p, m] of await session.watermarks(topic)) out.set(p, m.high);
  return out;
}

/* ------------------------------------------------------------------------------------------ */
/* list                                                                                        */
/* ------------------------------------------------------------------------------------------ */

export const AGE_BUCKETS = ['< 1h', '1h-24h', '1d-7d', '>= 7d'] as const;

export interface DlqTopicSummary {
  topic: string;
  total: number;
  /** Records that are not dead letters (no dlq-* headers). */
  foreign: number;
  byEventType: Record<string, number>;
  byReason: Record<string, number>;
  byGroup: Record<string, number>;
  byAge: Record<(typeof AGE_BUCKETS)[number], number>;
  oldest: string | null;
  newest: string | null;
  partitions: Array<{ partition: number; low: string; high: string }>;
  complete: boolean;
}

function bump(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

export async function summarize(session: DlqSession, topic: string, filter: DlqFilter, now = Date.now()): Promise<DlqTopicSummary> {
  const marks = await session.watermarks(topic);
  const end = new Map([...marks].map(([p, m]) => [p, m.high]));
  const s: DlqTopicSummary = {
    topic,
    total: 0,
    foreign: 0,
    byEventType: Object.create(null) as Record<string, number>,
    byReason: Object.create(null) as Record<string, number>,
    byGroup: Object.create(null) as Record<string, number>,
    byAge: { '< 1h': 0, '1h-24h': 0, '1d-7d': 0, '>= 7d': 0 },
    oldest: null,
    newest: null,
    partitions: [...marks].sort((a, b) => a[0] - b[0]).map(([partition, m]) => ({ partition, low: m.low.toString(), high: m.high.toString() })),
    complete: true,
  };
  let oldest = Infinity;
  let newest = -Infinity;
  const needEnvelope = (r: DeadLetterRecord): boolean => r.eventType === undefined || r.eventId === undefined;
  const { complete } = await session.scan(topic, { end }, async (records) => {
    for (const rec of records) {
      let r = decodeDeadLetter(rec, { envelope: false });
      if (needEnvelope(r)) r = decodeDeadLetter(rec);
      if (!matches(filter, r)) continue;
      s.total++;
      if (!r.isDeadLetter) s.foreign++;
      bump(s.byEventType, r.eventType ?? '(unknown)');
      bump(s.byReason, r.failure.reasonText ?? '(none)');
      bump(s.byGroup, r.failure.consumerGroup ?? '(none)');
      const t = failureTime(r).getTime();
      const age = now - t;
      s.byAge[age < 3600e3 ? '< 1h' : age < 86400e3 ? '1h-24h' : age < 7 * 86400e3 ? '1d-7d' : '>= 7d']++;
      if (t < oldest) oldest = t;
      if (t > newest) newest = t;
    }
  });
  s.complete = complete;
  if (Number.isFinite(oldest)) s.oldest = new Date(oldest).toISOString();
  if (Number.isFinite(newest)) s.newest = new Date(newest).toISOString();
  return s;
}

export function formatSummary(s: DlqTopicSummary): string {
  const lines = [`${s.topic}: ${s.total} dead letter${s.total === 1 ? '' : 's'}${s.oldest ? ` (failed ${s.oldest} .. ${s.newest})` : ''}${s.complete ? '' : ' (scan incomplete: the topic stopped answering)'}`];
  if (s.foreign) lines.push(`  ${s.foreign} record${s.foreign === 1 ? ' has' : 's have'} no dlq-* headers`);
  const section = (title: string, map: Record<string, number>): void => {
    const rows = Object.entries(map).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    if (!rows.length) return;
    const width = Math.max(title.length, ...rows.map(([k]) => k.length));
    lines.push(`  ${title.padEnd(width)}  count`);
    for (const [k, n] of rows) lines.push(`  ${k.padEnd(width)}  ${String(n).padStart(5)}`);
  };
  section('event type', s.byEventType);
  section('reason', s.byReason);
  section('consumer group', s.byGroup);
  section('age', s.byAge);
  return lines.join('\n');
}

/* ------------------------------------------------------------------------------------------ */
/* show                                                                                        */
/* ------------------------------------------------------------------------------------------ */

export async function fetchOne(session: DlqSession, topic: string, partition: number, offset: bigint): Promise<ConsumedRecord> {
  const marks = await session.watermarks(topic);
  const m = marks.get(partition);
  if (!m) throw new DlqUsageError(`${topic} has no partition ${partition} (partitions 0..${marks.size - 1})`);
  if (offset < m.low || offset >= m.high) throw new DlqUsageError(`${topic} partition ${partition} has no record at offset ${offset} (offsets ${m.low}..${m.high - 1n}${m.low === m.high ? ': empty' : ''})`);
  let found: ConsumedRecord | undefined;
  await session.scan(topic, { start: new Map([[partition, offset]]), end: new Map([[partition, offset + 1n]]), partitions: [partition] }, async (records) => {
    found = records.find((r) => BigInt(r.offset) === offset);
    return false;
  });
  if (!found) throw new Error(`${topic} partition ${partition} offset ${offset} could not be read (deleted or compacted?)`);
  return found;
}

/** A JSON-able view of a decoded dead letter. */
export function describeRecord(r: DeadLetterRecord): Record<string, unknown> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.text)) if (!k.startsWith('dlq-')) headers[k] = v;
  let payload: unknown;
  if (r.envelope) payload = r.envelope.data;
  else if (r.value) payload = r.value.toString('utf8');
  return {
    position: { topic: r.topic, partition: r.partition, offset: r.offset, timestamp: new Date(Number(r.timestamp)).toISOString() },
    original: r.original ?? null,
    failure: {
      reason: r.failure.reasonText ?? null,
      consumerGroup: r.failure.consumerGroup ?? null,
      errorClass: r.failure.errorClass ?? null,
      errorMessage: r.failure.errorMessage ?? null,
      attempts: r.failure.attempts ?? null,
      failedAt: r.failure.failedAt?.toISOString() ?? null,
      correlationId: r.failure.correlationId ?? null,
      ...(r.failure.valueOmittedBytes !== undefined ? { valueOmittedBytes: r.failure.valueOmittedBytes } : {}),
      ...(r.failure.eventVersion !== undefined ? { eventVersion: r.failure.eventVersion, supportedVersion: r.failure.supportedVersion ?? null } : {}),
    },
    eventType: r.eventType ?? null,
    eventId: r.eventId ?? null,
    replayCount: r.replayCount,
    key: r.key ? r.key.toString('utf8') : null,
    headers,
    metadata: r.envelope?.metadata ?? null,
    envelopeError: r.envelopeError ?? null,
    payload: payload ?? null,
    stack: r.failure.errorStack ?? null,
  };
}

export function formatRecord(r: DeadLetterRecord): string {
  const d = describeRecord(r);
  const f = d.failure as Record<string, unknown>;
  const o = r.original;
  const lines = [
    `${r.topic} partition ${r.partition} offset ${r.offset}`,
    `  original      ${o ? `${o.topic} partition ${o.partition} offset ${o.offset}` : '(unknown: no dlq-original-* headers)'}`,
    `  event         ${r.eventType ?? '(unknown type)'} ${r.eventId ?? '(no event id)'}`,
    `  reason        ${String(f.reason ?? '(none)')}`,
    `  group         ${String(f.consumerGroup ?? '(none)')}`,
    `  error         ${String(f.errorClass ?? '?')}: ${String(f.errorMessage ?? '')}`,
    `  attempts      ${String(f.attempts ?? '?')}`,
    `  failed at     ${String(f.failedAt ?? '?')}`,
    `  correlation   ${String(f.correlationId ?? '(none)')}`,
    `  replay count  ${r.replayCount}`,
    `  key           ${String(d.key ?? '(null)')}`,
    '  headers',
    ...Object.entries(d.headers as Record<string, string>).map(([k, v]) => `    ${k}: ${v}`),
  ];
  if (r.envelope) lines.push('  metadata', ...JSON.stringify(r.envelope.metadata, null, 2).split('\n').map((l) => `    ${l}`));
  else lines.push(`  envelope      not decodable: ${r.envelopeError ?? 'no value'}`);
  lines.push('  payload', ...(typeof d.payload === 'string' ? [d.payload] : JSON.stringify(d.payload, null, 2).split('\n')).map((l) => `    ${l}`));
  if (r.failure.errorStack) lines.push('  stack', ...r.failure.errorStack.split('\n').map((l) => `    ${l}`));
  return lines.join('\n');
}

/* ------------------------------------------------------------------------------------------ */
/* replay                                                                                      */
/* ------------------------------------------------------------------------------------------ */

export interface ReplayOptions {
  filter: DlqFilter;
  to?: string;
  replayGroup?: string;
  maxReplays: number;
  /** Records per second (0: unlimited). */
  rate: number;
  /** Records per produced batch (a commit follows each). */
  batch: number;
  /** Stop (gracefully, progress committed) after this many replayed records. */
  limit?: number;
  dryRun: boolean;
  signal?: AbortSignal;
  onRecord?: (r: DeadLetterRecord, action: 'replay' | 'loop-guard' | 'no-target', target: string | undefined) => void;
}

export interface ReplayReport {
  topic: string;
  replayGroup: string;
  dryRun: boolean;
  scanned: number;
  matched: number;
  replayed: number;
  byTarget: Record<string, number>;
  loopGuard: Array<{ partition: number; offset: string; eventId: string | null; replayCount: number }>;
  noTarget: Array<{ partition: number; offset: string }>;
  stopped: 'done' | 'limit' | 'interrupted' | 'idle';
}

/** The default progress group: one per DLQ topic, filter and target, so another filter starts from the beginning. */
export function defaultReplayGroup(topic: string, filter: DlqFilter, to: string | undefined): string {
  if (emptyFilter(filter) && to === undefined) return `eventgen-dlq-replay-${topic}`;
  const key = JSON.stringify({ ...filter, since: filter.since?.toISOString(), until: filter.until?.toISOString(), to: to ?? null });
  return `eventgen-dlq-replay-${topic}-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function replay(session: DlqSession, topic: string, o: ReplayOptions): Promise<ReplayReport> {
  const replayGroup = o.replayGroup ?? defaultReplayGroup(topic, o.filter, o.to);
  const report: ReplayReport = { topic, replayGroup, dryRun: o.dryRun, scanned: 0, matched: 0, replayed: 0, byTarget: {}, loopGuard: [], noTarget: [], stopped: 'done' };
  if (o.to !== undefined && !(await session.existing([o.to])).has(o.to)) throw new DlqUsageError(`--to ${o.to}: no such topic on the cluster`);
  const end = await endOffsets(session, topic);
  const start = await session.committed(replayGroup, topic);
  const producer = o.dryRun ? undefined : await session.producer();
  const started = Date.now();
  let scanComplete = true;
  const knownTopics = new Map<string, boolean>();
  const targetExists = async (t: string): Promise<boolean> => {
    let ok = knownTopics.get(t);
    if (ok === undefined) knownTopics.set(t, (ok = (await session.existing([t])).has(t)));
    return ok;
  };
  try {
    scanComplete = (await session.scan(topic, { start, end, ...(o.dryRun ? {} : { groupId: replayGroup }), ...(o.signal ? { signal: o.signal } : {}) }, async (records, partition, next, commit) => {
      let pending: Array<{ topic: string; key: Buffer | null; value: Buffer | null; headers: IHeaders }> = [];
      // Produce the pending records, wait for the acks (acks=all), then commit the DLQ position `to` in the replay
      // group. A crash between the acks and the commit repeats at most this batch (same eventIds: consumer dedup).
      const flush = async (to: bigint): Promise<void> => {
        if (pending.length && producer) {
          if (o.rate > 0) {
            const due = started + ((report.replayed + pending.length) / o.rate) * 1000;
            if (due > Date.now()) await sleep(due - Date.now());
          }
          const byTopic = new Map<string, Array<{ key: Buffer | null; value: Buffer | null; headers: IHeaders }>>();
          for (const p of pending) {
            const list = byTopic.get(p.topic) ?? [];
            list.push({ key: p.key, value: p.value, headers: p.headers });
            byTopic.set(p.topic, list);
          }
          await producer.sendBatch({ topicMessages: [...byTopic].map(([t, messages]) => ({ topic: t, messages })), acks: -1 });
        }
        for (const p of pending) report.byTarget[p.topic] = (report.byTarget[p.topic] ?? 0) + 1;
        report.replayed += pending.length;
        pending = [];
        if (!o.dryRun) await commit(to);
      };
      const perBatch = o.rate > 0 ? Math.max(1, Math.min(o.batch, Math.floor(o.rate))) : o.batch;
      for (const rec of records) {
        if (o.signal?.aborted || (o.limit !== undefined && report.replayed + pending.length >= o.limit)) {
          await flush(BigInt(rec.offset)); // everything before this record is decided
          report.stopped = o.signal?.aborted ? 'interrupted' : 'limit';
          return false;
        }
        report.scanned++;
        const r = decodeDeadLetter(rec);
        if (!matches(o.filter, r)) continue;
        report.matched++;
        const target = o.to ?? r.original?.topic;
        if (target === undefined || !(await targetExists(target))) {
          report.noTarget.push({ partition, offset: rec.offset });
          o.onRecord?.(r, 'no-target', target);
          continue;
        }
        if (r.replayCount >= o.maxReplays) {
          report.loopGuard.push({ partition, offset: rec.offset, eventId: r.eventId ?? null, replayCount: r.replayCount });
          o.onRecord?.(r, 'loop-guard', target);
          continue;
        }
        o.onRecord?.(r, 'replay', target);
        const headers = r.originalHeaders as IHeaders;
        headers[REPLAY_HEADERS.count] = String(r.replayCount + 1);
        headers[REPLAY_HEADERS.from] = `${topic}:${partition}:${rec.offset}`;
        pending.push({ topic: target, key: r.key, value: r.value, headers });
        if (pending.length >= perBatch) await flush(BigInt(rec.offset) + 1n);
      }
      if (o.limit !== undefined && report.replayed + pending.length >= o.limit && pending.length) {
        await flush(next);
        report.stopped = 'limit';
        return false;
      }
      await flush(next);
      return undefined;
    })).complete;
  } finally {
    await producer?.disconnect().catch(() => undefined);
  }
  if (o.signal?.aborted && report.stopped === 'done') report.stopped = 'interrupted';
  else if (!scanComplete && report.stopped === 'done') report.stopped = 'idle';
  return report;
}

/* ------------------------------------------------------------------------------------------ */
/* purge                                                                                       */
/* ------------------------------------------------------------------------------------------ */

export interface PurgePlan {
  topic: string;
  partitions: Array<{ partition: number; low: string; to: string; records: string }>;
  records: bigint;
}

/** Delete everything (no filter) or everything written before `until` (by the dead-letter record's timestamp). */
export async function planPurge(session: DlqSession, topic: string, until: Date | undefined): Promise<PurgePlan> {
  const marks = await session.watermarks(topic);
  const to = new Map<number, bigint>();
  if (until === undefined) for (const [p, m] of marks) to.set(p, m.high);
  else
    for (const e of await session.admin.fetchTopicOffsetsByTimestamp(topic, until.getTime())) {
      // -1: no record at or after the time: everything is before it.
      const off = BigInt(e.offset);
      to.set(e.partition, off < 0n ? (marks.get(e.partition)?.high ?? 0n) : off);
    }
  const plan: PurgePlan = { topic, partitions: [], records: 0n };
  for (const [p, m] of [...marks].sort((a, b) => a[0] - b[0])) {
    const t = to.get(p) ?? m.low;
    const n = t > m.low ? t - m.low : 0n;
    plan.partitions.push({ partition: p, low: m.low.toString(), to: (t > m.low ? t : m.low).toString(), records: n.toString() });
    plan.records += n;
  }
  return plan;
}

export async function applyPurge(session: DlqSession, plan: PurgePlan): Promise<void> {
  const partitions = plan.partitions.filter((p) => BigInt(p.records) > 0n).map((p) => ({ partition: p.partition, offset: p.to }));
  if (partitions.length) await session.admin.deleteTopicRecords({ topic: plan.topic, partitions });
}
