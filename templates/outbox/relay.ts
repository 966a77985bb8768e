/**
 * The outbox relay: publishes the rows the outbox writer committed, in per-key order, with any number of relay
 * processes (docs/outbox.md).
 *
 * Ordering: a relay claims only the *head* row of a key (no earlier pending row with the same ordering key) with
 * `FOR UPDATE SKIP LOCKED`, plus the pending rows of that key after it, sends them in one Kafka request, and marks
 * them published in the same transaction, after the ack. While the head is locked no other relay can claim any row
 * of that key (the later rows are not heads), so at most one relay publishes a key at a time and a key's rows go out
 * in id order. A killed relay's transaction rolls back: its rows are published again by another relay (at most one
 * claim batch of duplicates per kill, deduplicated by consumers through the unchanged event id).
 *
 * Wake-up: `LISTEN` on the channel the insert trigger NOTIFYs, with polling every `pollIntervalMs` as the fallback
 * (a dropped listener is reconnected; until then polling alone bounds the delay).
 */
import { toError } from '../runtime/errors.js';
import { defaultLogger, type Logger } from '../runtime/logger.js';
import { Metrics } from '../runtime/metrics.js';
import { sendErrorCode, type TopicMessages, type Transport, type TransportProducer } from '../runtime/transport.js';
import { outboxNames, quoteIdent, type OutboxTableOptions } from './table.js';

/** The part of a `pg` client the relay uses (a `pg.PoolClient` fits). */
export interface RelayClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  release(error?: Error | boolean): void;
  on(event: 'notification', listener: (message: { channel: string; payload?: string | undefined }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** The part of a `pg.Pool` the relay uses. */
export interface RelayPool {
  connect(): Promise<RelayClient>;
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** Options of {@link createOutboxRelay}. */
export interface OutboxRelayOptions extends OutboxTableOptions {
  /** PostgreSQL pool (`new pg.Pool(...)`): one connection per claim, one for LISTEN, one for the advisory lock. */
  pool: RelayPool;
  /** Kafka transport (`createKafkaTransport()`); or pass `producer`. */
  transport?: Transport;
  /** A transport producer to publish with (default `transport.producer()`). */
  producer?: TransportProducer;
  /** Logger (default: warnings and errors on stderr). */
  logger?: Logger;
  /** Metrics registry (default a new one): `outbox_*` counters and gauges. */
  metrics?: Metrics;
  /**
   * `concurrent` (default): every relay process claims head rows (`FOR UPDATE SKIP LOCKED`); `single-active`: only
   * the holder of a session advisory lock publishes, the others stand by (see docs/outbox.md for the measurements).
   */
  mode?: 'concurrent' | 'single-active';
  /** Keys claimed per cycle (default 200). */
  batchKeys?: number;
  /** Rows of one key sent per cycle (default 50). Duplicates after a crash are bounded by batchKeys × rowsPerKey. */
  rowsPerKey?: number;
  /** Polling interval, the fallback of LISTEN/NOTIFY (default 1000 ms). */
  pollIntervalMs?: number;
  /** Listen for the insert trigger's NOTIFY (default true). */
  listen?: boolean;
  /** Delay before a dropped LISTEN connection is re-opened (default 1000 ms). */
  listenReconnectMs?: number;
  /** Failed publish attempts of a head row before it is parked (default 10). */
  maxAttempts?: number;
  /** Backoff of a failing head row: initial and maximum delay (default 500 ms, 60 s; doubling). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** How long published rows are kept (default 24 h); `0` deletes them at the next cleanup. */
  retentionMs?: number;
  /** Cleanup interval (default 60 s) and rows deleted per statement (default 1000). */
  cleanup?: { intervalMs?: number; batchSize?: number };
  /** Interval of the pending / oldest-age / parked sample (default 5 s). */
  statsIntervalMs?: number;
}

/** State of a relay. */
export interface OutboxRelayHealth {
  /** Running, and its last database and Kafka interaction succeeded. */
  healthy: boolean;
  status: 'stopped' | 'running' | 'standby';
  /** The LISTEN connection is open (else polling alone wakes the relay). */
  listening: boolean;
  /** Rows waiting to be published (last sample). */
  pending: number;
  /** Age of the oldest pending row in seconds (last sample). */
  oldestPendingAgeSeconds: number;
  /** Parked rows: failed `maxAttempts` times, need an operator (`status = 'parked'`). */
  parked: number;
  /** Rows this relay published. */
  published: number;
  /** Last failure. */
  lastError?: { message: string; at: string };
}

/** A running relay. */
export interface OutboxRelay {
  /** Connects the producer, starts listening, polling and cleanup. */
  start(): Promise<void>;
  /** Stops after the current claim (its transaction commits or rolls back), disconnects the producer. */
  stop(): Promise<void>;
  /** Claims and publishes until nothing is claimable; returns the number of rows published (for tests and scripts). */
  drain(): Promise<number>;
  /** Deletes published rows older than the retention (batched); returns the number deleted. */
  cleanup(): Promise<number>;
  /** Samples pending, oldest age and parked into the metrics and health. */
  sample(): Promise<void>;
  health(): OutboxRelayHealth;
  readonly metrics: Metrics;
}

interface Row {
  id: string;
  event_id: string;
  topic: string;
  key: string | null;
  ordering_key: string;
  kafka_partition: number | null;
  value: string | null;
  headers: Record<string, string>;
}

/** Creates a relay (call `start()`). */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const names = outboxNames(options);
  const logger = (options.logger ?? defaultLogger()).child({ component: 'outbox-relay' });
  const metrics = options.metrics ?? new Metrics();
  const given = options.producer ?? options.transport?.producer();
  if (given === undefined) throw new Error('createOutboxRelay: pass transport or producer');
  const producer: TransportProducer = given;
  const pool = options.pool;
  const mode = options.mode ?? 'concurrent';
  const batchKeys = options.batchKeys ?? 200;
  const rowsPerKey = options.rowsPerKey ?? 50;
  /** Pending rows one claim looks at (oldest first) before falling back to the complete scan. */
  const windowRows = Math.max(1_000, batchKeys * 10);
  const pollMs = options.pollIntervalMs ?? 1000;
  const maxAttempts = options.maxAttempts ?? 10;
  const backoffInitial = options.backoff?.initialMs ?? 500;
  const backoffMax = options.backoff?.maxMs ?? 60_000;
  const retentionMs = options.retentionMs ?? 24 * 3600_000;
  const cleanupEvery = options.cleanup?.intervalMs ?? 60_000;
  const cleanupBatch = options.cleanup?.batchSize ?? 1000;
  const statsEvery = options.statsIntervalMs ?? 5000;
  const labels = Object.freeze({ table: names.channel });

  // Head rows of keys (no earlier pending row of the same key), oldest first, locked with SKIP LOCKED. Two forms:
  // - WINDOW: only the oldest `$3` pending rows are looked at (the first row of each key there is that key's head:
  //   an earlier pending row of the key would be in the window too). Cost bounded by the window, whatever the backlog.
  // - CLAIM: every pending row (the complete form). Without a window, a backlog with fewer keys than `batchKeys` made
  //   every claim scan the whole backlog (50,000 pending rows over 100 keys: 370 ms per claim). It runs only when the
  //   window yields nothing while more rows wait beyond it (see `claim`), so a blocked key never stalls the others.
  const ROWS =
    'SELECT r.id::text AS id, r.event_id, r.topic, r.key, r.ordering_key, r.kafka_partition, r.value, r.headers FROM heads h ' +
    `CROSS JOIN LATERAL (SELECT * FROM ${names.outbox} x WHERE x.ordering_key = h.ordering_key AND x.status = 'pending' AND x.id >= h.id ORDER BY x.id LIMIT $2) r ` +
    'ORDER BY r.id';
  const NO_EARLIER = `NOT EXISTS (SELECT 1 FROM ${names.outbox} p WHERE p.ordering_key = o.ordering_key AND p.status = 'pending' AND p.id < o.id)`;
  const windowFirsts = (limit: string): string =>
    `WITH win AS (SELECT id, ordering_key, available_at FROM ${names.outbox} WHERE status = 'pending' ORDER BY id LIMIT ${limit}), ` +
    'firsts AS (SELECT DISTINCT ON (ordering_key) id, available_at FROM win ORDER BY ordering_key, id)';
  const WINDOW =
    `${windowFirsts('$3')}, heads AS (SELECT o.id, o.ordering_key FROM ${names.outbox} o ` +
    "WHERE o.id IN (SELECT id FROM firsts WHERE available_at <= now()) AND o.status = 'pending' AND o.available_at <= now() " +
    `AND ${NO_EARLIER} ORDER BY o.id LIMIT $1 FOR UPDATE SKIP LOCKED) ${ROWS}`;
  /** Whether the window was full and none of its heads is due (only then may the complete scan find more). */
  const WINDOW_BLOCKED = `${windowFirsts('$1')} SELECT (SELECT count(*) FROM win)::int AS rows, (SELECT count(*) FROM firsts WHERE available_at <= now())::int AS due`;
  const CLAIM =
    `WITH heads AS (SELECT o.id, o.ordering_key FROM ${names.outbox} o ` +
    "WHERE o.status = 'pending' AND o.available_at <= now() " +
    `AND ${NO_EARLIER} ORDER BY o.id LIMIT $1 FOR UPDATE SKIP LOCKED) ${ROWS}`;
  const MARK = `UPDATE ${names.outbox} SET status = 'published', published_at = clock_timestamp(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])`;
  const FAIL =
    `UPDATE ${names.outbox} t SET attempts = t.attempts + 1, last_error = f.err, ` +
    "status = CASE WHEN t.attempts + 1 >= $3 THEN 'parked' ELSE 'pending' END, " +
    "available_at = now() + least($5::float8, $4::float8 * power(2, t.attempts)) * interval '1 millisecond' " +
    'FROM unnest($1::bigint[], $2::text[]) AS f(id, err) WHERE t.id = f.id RETURNING t.id::text AS id, t.event_id, t.ordering_key, t.status, t.attempts';
  const CLEANUP = `DELETE FROM ${names.outbox} WHERE id IN (SELECT id FROM ${names.outbox} WHERE status = 'published' AND published_at < now() - $1::float8 * interval '1 millisecond' ORDER BY published_at LIMIT $2)`;
  const STATS =
    "SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'parked')::int AS parked, " +
    "coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending')), 0)::float8 AS age " +
    `FROM ${names.outbox} WHERE status <> 'published'`;

  let status: OutboxRelayHealth['status'] = 'stopped';
  let stopping = false;
  let listening = false;
  let listener: RelayClient | undefined;
  let lockClient: RelayClient | undefined;
  let published = 0;
  let pending = 0;
  let parked = 0;
  let oldestAge = 0;
  let lastError: OutboxRelayHealth['lastError'];
  let failing = false;
  let loop: Promise<void> | undefined;
  let woken = false;
  let wakeUp: (() => void) | undefined;
  const timers = new Set<NodeJS.Timeout>();

  const fail = (message: string, error: unknown): void => {
    failing = true;
    lastError = { message: toError(error).message, at: new Date().toISOString() };
    logger.error(message, { error });
  };
  const wake = (): void => {
    woken = true;
    wakeUp?.();
  };
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (woken || stopping) {
        woken = false;
        resolve();
        return;
      }
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wakeUp = undefined;
        woken = false;
        resolve();
      }
      wakeUp = done;
    });
  const every = (ms: number, task: () => Promise<unknown>): void => {
    const run = (): void => {
      const t = setTimeout(() => {
        timers.delete(t);
        task()
          .catch((error: unknown) => fail('Outbox relay: periodic task failed', error))
          .finally(() => {
            if (!stopping) run();
          });
      }, ms);
      timers.add(t);
    };
    run();
  };

  /** One claim → send → mark cycle; returns the rows claimed. */
  /** Claims head rows and the rows of their keys behind them (see WINDOW and CLAIM). */
  let lastCompleteScan = 0;
  async function claim(client: RelayClient): Promise<Row[]> {
    const rows = (await client.query(WINDOW, [batchKeys, rowsPerKey, windowRows])).rows as Row[];
    if (rows.length > 0) return rows;
    // Nothing claimed from the window. If it held every pending row, there is nothing else. If every head in it backs
    // off, keys beyond it may be due: scan them all. If other relays hold its due heads, keys beyond it may still be
    // free (one hot key filling the window): look at most every 5 s, so idle relays do not keep scanning the whole
    // backlog while another relay works through it.
    const seen = (await client.query(WINDOW_BLOCKED, [windowRows])).rows[0] as { rows: number; due: number } | undefined;
    if (seen === undefined || seen.rows < windowRows) return [];
    if (seen.due > 0 && Date.now() - lastCompleteScan < 5_000) return [];
    lastCompleteScan = Date.now();
    return (await client.query(CLAIM, [batchKeys, rowsPerKey])).rows as Row[];
  }

  async function cycle(): Promise<number> {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const rows = await claim(client);
      if (rows.length === 0) {
        await client.query('COMMIT');
        return 0;
      }
      const byKey = new Map<string, Row[]>();
      for (const r of rows) byKey.set(r.ordering_key, [...(byKey.get(r.ordering_key) ?? []), r]);
      const ok: string[] = [];
      const failed: Array<{ head: Row; error: unknown }> = [];
      try {
        await producer.send(toBatch(rows));
        for (const r of rows) ok.push(r.id);
      } catch (error) {
        // Isolate the failing keys: send each key's rows on its own, in order.
        const groups = [...byKey.values()];
        const results = groups.length === 1 ? [{ status: 'rejected' as const, reason: error }] : await Promise.allSettled(groups.map((g) => producer.send(toBatch(g))));
        results.forEach((result, i) => {
          const g = groups[i] as Row[];
          if (result.status === 'fulfilled') for (const r of g) ok.push(r.id);
          else failed.push({ head: g[0] as Row, error: result.reason });
        });
      }
      if (ok.length > 0) await client.query(MARK, [ok]);
      if (failed.length > 0) {
        metrics.increment('outbox_publish_failed', labels, failed.length);
        // A refused record counts against its row; a transport failure that hit every key counts against nobody.
        const counted = failed.filter((f) => ok.length > 0 || sendErrorCode(f.error) !== 'UNCERTAIN');
        if (counted.length > 0) {
          const res = (await client.query(FAIL, [counted.map((f) => f.head.id), counted.map((f) => toError(f.error).message.slice(0, 2000)), maxAttempts, backoffInitial, backoffMax])).rows as Array<{ id: string; event_id: string; ordering_key: string; status: string; attempts: number }>;
          for (const r of res) {
            if (r.status === 'parked') {
              metrics.increment('outbox_parked', labels);
              parked += 1;
              logger.error('Outbox relay: row parked after too many failed publish attempts; the key continues with its next row', { outboxId: r.id, eventId: r.event_id, attempts: r.attempts });
            } else logger.warn('Outbox relay: publish failed; the key backs off', { outboxId: r.id, eventId: r.event_id, attempts: r.attempts });
          }
        }
        if (counted.length < failed.length) fail('Outbox relay: publish failed for every key (Kafka unavailable?)', failed[0]?.error);
      }
      await client.query('COMMIT');
      if (ok.length > 0) {
        published += ok.length;
        metrics.increment('outbox_published', labels, ok.length);
        failing = failed.length > 0 && ok.length === 0;
      }
      if (ok.length === 0 && failed.length > 0) {
        // Nothing moved: let the backoff pass instead of spinning on the other (blocked) heads.
        return 0;
      }
      return rows.length;
    } catch (error) {
      broken = toError(error);
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release(broken);
    }
  }

  function toBatch(rows: readonly Row[]): TopicMessages[] {
    const byTopic = new Map<string, TopicMessages>();
    for (const r of rows) {
      let t = byTopic.get(r.topic);
      if (t === undefined) byTopic.set(r.topic, (t = { topic: r.topic, messages: [] }));
      (t.messages as Array<TopicMessages['messages'][number]>).push({ key: r.key, value: r.value, headers: r.headers, ...(r.kafka_partition === null ? {} : { partition: r.kafka_partition }) });
    }
    return [...byTopic.values()];
  }

  async function drain(): Promise<number> {
    let total = 0;
    for (;;) {
      if (stopping) return total;
      const n = await cycle();
      if (n === 0) return total;
      total += n;
    }
  }

  async function listen(): Promise<void> {
    if (stopping || options.listen === false) return;
    let client: RelayClient;
    try {
      client = await pool.connect();
    } catch (error) {
      logger.warn('Outbox relay: LISTEN connection failed; polling meanwhile', { error });
      later(options.listenReconnectMs ?? 1000, listen);
      return;
    }
    listener = client;
    client.on('notification', () => wake());
    client.on('error', (error) => {
      if (listener !== client) return;
      listener = undefined;
      listening = false;
      client.release(error);
      if (stopping) return;
      logger.warn('Outbox relay: LISTEN connection lost; polling until it is back', { error });
      wake(); // notifications may have been missed
      later(options.listenReconnectMs ?? 1000, listen);
    });
    try {
      await client.query(`LISTEN ${quoteIdent(names.channel)}`);
      listening = true;
    } catch (error) {
      if (listener === client) {
        listener = undefined;
        client.release(toError(error));
        logger.warn('Outbox relay: LISTEN failed; polling meanwhile', { error });
        later(options.listenReconnectMs ?? 1000, listen);
      }
    }
  }

  function later(ms: number, task: () => Promise<void>): void {
    if (stopping) return;
    const t = setTimeout(() => {
      timers.delete(t);
      void task();
    }, ms);
    timers.add(t);
  }

  /** single-active: holds a session advisory lock on a dedicated connection; false while another relay holds it. */
  async function leader(): Promise<boolean> {
    if (mode !== 'single-active') return true;
    if (lockClient !== undefined) return true;
    const client = await pool.connect();
    const { rows } = await client.query('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [names.channel]);
    if ((rows[0] as { ok: boolean } | undefined)?.ok === true) {
      lockClient = client;
      client.on('error', (error) => {
        if (lockClient !== client) return;
        lockClient = undefined; // the lock went with the session
        client.release(error);
        logger.warn('Outbox relay: advisory-lock connection lost; standing by', { error });
      });
      logger.info('Outbox relay: active (advisory lock held)');
      return true;
    }
    client.release();
    return false;
  }

  async function run(): Promise<void> {
    while (!stopping) {
      try {
        if (!(await leader())) {
          status = 'standby';
          await sleep(pollMs);
          continue;
        }
        status = 'running';
        const before = published;
        await drain();
        if (published > before) failing = false;
        await sleep(failing ? Math.min(backoffMax, Math.max(pollMs, backoffInitial)) : pollMs);
      } catch (error) {
        fail('Outbox relay: claim cycle failed', error);
        await sleep(Math.max(pollMs, backoffInitial));
      }
    }
  }

  async function sample(): Promise<void> {
    const row = (await pool.query(STATS)).rows[0] as { pending: number; parked: number; age: number } | undefined;
    pending = row?.pending ?? 0;
    parked = row?.parked ?? 0;
    oldestAge = row?.age ?? 0;
    metrics.setGauge('outbox_pending', labels, pending);
    metrics.setGauge('outbox_parked_rows', labels, parked);
    metrics.setGauge('outbox_oldest_pending_age', labels, oldestAge);
  }

  async function cleanup(): Promise<number> {
    let total = 0;
    for (;;) {
      const res = (await pool.query(CLEANUP, [retentionMs, cleanupBatch])) as { rowCount?: number | null };
      const n = res.rowCount ?? 0;
      total += n;
      if (n < cleanupBatch || stopping) return total;
    }
  }

  return {
    metrics,
    drain,
    cleanup,
    sample,
    async start() {
      if (loop !== undefined) return;
      stopping = false;
      await producer.connect();
      await listen();
      await sample().catch((error: unknown) => fail('Outbox relay: sampling failed', error));
      every(statsEvery, sample);
      every(cleanupEvery, cleanup);
      status = 'running';
      loop = run();
    },
    async stop() {
      stopping = true;
      wake();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await loop;
      loop = undefined;
      if (listener !== undefined) {
        const l = listener;
        listener = undefined;
        listening = false;
        await l.query(`UNLISTEN ${quoteIdent(names.channel)}`).catch(() => undefined);
        l.release();
      }
      if (lockClient !== undefined) {
        const c = lockClient;
        lockClient = undefined;
        await c.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
        c.release();
      }
      await producer.disconnect();
      status = 'stopped';
    },
    health() {
      const h: OutboxRelayHealth = { healthy: status !== 'stopped' && !failing, status, listening, pending, oldestPendingAgeSeconds: oldestAge, parked, published };
      if (lastError !== undefined) h.lastError = lastError;
      return h;
    },
  };
}
