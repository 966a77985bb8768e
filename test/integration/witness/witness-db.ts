/**
 * The witness: PostgreSQL tables the code under test does not control. Consumer processes write one `effects`
 * row per handled event; the driver writes one `sent` row per acknowledged send. The counts of a scenario come
 * from SQL over both.
 */
import pg from 'pg';

/** Connection string of the witness database (WITNESS_PG_URL, default the machine's PostgreSQL, db `test`). */
export const PG_URL = process.env.WITNESS_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** Schema of the witness tables (its own, so it collides with nobody). */
export const SCHEMA = process.env.WITNESS_PG_SCHEMA ?? 'eventgen_witness';

/** Why PostgreSQL cannot serve as the witness ('' when it can). */
export async function pgProblem(url = PG_URL): Promise<string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return '';
  } catch (error) {
    return `PostgreSQL at ${url.replace(/:[^:@/]*@/, ':***@')} does not answer: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Counts of one run. */
export interface WitnessCounts {
  /** Acknowledged sends. */
  acked: number;
  /** Distinct events with an effect. */
  effected: number;
  /** Acknowledged events without an effect. */
  lost: number;
  /** Effects beyond the first per event (sum of count - 1). */
  duplicates: number;
  /** Events with more than one effect. */
  duplicatedEvents: number;
  /** Events whose effects were written by two processes with overlapping [start, end]. */
  concurrent: number;
}

/** One effect row. */
export interface Effect {
  eventId: string;
  seq: number;
  pid: number;
  partition: number;
  offset: number;
  attempt: number;
  startedMs: number;
  endedMs: number;
}

/** Access to the witness tables of one schema. */
export class Witness {
  private constructor(
    readonly pool: pg.Pool,
    readonly schema: string,
  ) {}

  /** Connects and creates the schema and tables when missing. */
  static async open(url = PG_URL, schema = SCHEMA): Promise<Witness> {
    const pool = new pg.Pool({ connectionString: url, max: 3 });
    const w = new Witness(pool, schema);
    const client = await pool.connect();
    try {
      // Several test files may start at once on a fresh database: serialise the DDL.
      await client.query('select pg_advisory_lock(hashtext($1))', [schema]);
      await client.query(`create schema if not exists ${schema}`);
      await client.query(`create table if not exists ${schema}.effects (
        run text not null, event_id text not null, seq integer not null, grp text not null, pid integer not null,
        topic text not null, partition integer not null, "offset" bigint not null, attempt integer not null,
        started_ms double precision not null, ended_ms double precision not null)`);
      await client.query(`create index if not exists effects_run_event on ${schema}.effects (run, event_id)`);
      await client.query(`create table if not exists ${schema}.sent (
        run text not null, seq integer not null, event_id text not null, partition integer not null, "offset" bigint not null,
        acked_ms double precision not null, primary key (run, seq))`);
      await client.query('select pg_advisory_unlock(hashtext($1))', [schema]);
    } finally {
      client.release();
    }
    return w;
  }

  /** Records acknowledged sends. */
  async recordSent(run: string, rows: ReadonlyArray<{ seq: number; eventId: string; partition: number; offset: string; ackedMs: number }>): Promise<void> {
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows.slice(i, i + 1000);
      const values: unknown[] = [];
      const tuples = chunk.map((r, j) => {
        values.push(run, r.seq, r.eventId, r.partition, r.offset, r.ackedMs);
        const b = j * 6;
        return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6})`;
      });
      await this.pool.query(`insert into ${this.schema}.sent (run, seq, event_id, partition, "offset", acked_ms) values ${tuples.join(', ')} on conflict do nothing`, values);
    }
  }

  /** Number of distinct events with an effect. */
  async effected(run: string): Promise<number> {
    const r = await this.pool.query<{ n: string }>(`select count(distinct event_id) as n from ${this.schema}.effects where run = $1`, [run]);
    return Number(r.rows[0]?.n ?? 0);
  }

  /** Acknowledged events that have no effect yet. */
  async missing(run: string): Promise<number> {
    const r = await this.pool.query<{ n: string }>(
      `select count(*) as n from ${this.schema}.sent s where s.run = $1 and not exists (select 1 from ${this.schema}.effects e where e.run = $1 and e.event_id = s.event_id)`,
      [run],
    );
    return Number(r.rows[0]?.n ?? 0);
  }

  /** The counts of a run (see {@link WitnessCounts}). */
  async counts(run: string): Promise<WitnessCounts> {
    const q = async (sql: string): Promise<number> => Number((await this.pool.query<{ n: string | null }>(sql, [run])).rows[0]?.n ?? 0);
    const e = `${this.schema}.effects`;
    const [acked, effected, lost, duplicates, duplicatedEvents, concurrent] = await Promise.all([
      q(`select count(*) as n from ${this.schema}.sent where run = $1`),
      q(`select count(distinct event_id) as n from ${e} where run = $1`),
      q(`select count(*) as n from ${this.schema}.sent s where s.run = $1 and not exists (select 1 from ${e} x where x.run = $1 and x.event_id = s.event_id)`),
      q(`select coalesce(sum(c - 1), 0) as n from (select count(*) as c from ${e} where run = $1 group by event_id) t`),
      q(`select count(*) as n from (select event_id from ${e} where run = $1 group by event_id having count(*) > 1) t`),
      q(`select count(distinct a.event_id) as n from ${e} a join ${e} b on b.run = a.run and b.event_id = a.event_id and b.pid <> a.pid
         and a.started_ms < b.ended_ms and b.started_ms < a.ended_ms where a.run = $1`),
    ]);
    return { acked, effected, lost, duplicates, duplicatedEvents, concurrent };
  }

  /** Every effect of a run, in the order written. */
  async effects(run: string): Promise<Effect[]> {
    const r = await this.pool.query<{ event_id: string; seq: number; pid: number; partition: number; offset: string; attempt: number; started_ms: number; ended_ms: number }>(
      `select event_id, seq, pid, partition, "offset", attempt, started_ms, ended_ms from ${this.schema}.effects where run = $1 order by ended_ms`,
      [run],
    );
    return r.rows.map((x) => ({ eventId: x.event_id, seq: x.seq, pid: x.pid, partition: x.partition, offset: Number(x.offset), attempt: x.attempt, startedMs: x.started_ms, endedMs: x.ended_ms }));
  }

  /**
   * Acknowledged events below a committed offset that have no effect: a commit of unfinished work. `committed`
   * maps partition to the group's committed offset (the next offset to read; -1 = none).
   */
  async committedWithoutEffect(run: string, committed: ReadonlyMap<number, string>): Promise<number> {
    let n = 0;
    for (const [partition, offset] of committed) {
      if (Number(offset) <= 0) continue;
      const r = await this.pool.query<{ n: string }>(
        `select count(*) as n from ${this.schema}.sent s where s.run = $1 and s.partition = $2 and s."offset" < $3
         and not exists (select 1 from ${this.schema}.effects e where e.run = $1 and e.event_id = s.event_id)`,
        [run, partition, offset],
      );
      n += Number(r.rows[0]?.n ?? 0);
    }
    return n;
  }

  /** Deletes the rows of a run. */
  async forget(run: string): Promise<void> {
    await this.pool.query(`delete from ${this.schema}.effects where run = $1`, [run]);
    await this.pool.query(`delete from ${this.schema}.sent where run = $1`, [run]);
  }

  /** Closes the pool. */
  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Longest time without any effect between `from` and `to` (ms since epoch), from the effects' end times. */
export function longestGap(effects: readonly Effect[], from: number, to: number): { ms: number; at: number } {
  let last = from;
  let gap = { ms: 0, at: from };
  for (const e of effects) {
    if (e.endedMs < from || e.endedMs > to) continue;
    if (e.endedMs - last > gap.ms) gap = { ms: e.endedMs - last, at: last };
    last = e.endedMs;
  }
  if (to - last > gap.ms) gap = { ms: to - last, at: last };
  return gap;
}
