/**
 * A PostgreSQL {@link ProcessedStore}: the third deduplication option besides memory and Redis. One row per
 * (group, eventId) under a unique constraint. The consumer uses it through the `ProcessedStore` interface (claim with
 * a lease, complete, release); a handler that writes its effects to the same database can also mark the event inside
 * its own transaction with {@link PgProcessedStore.markProcessedIn}, so the effect and the mark commit or roll back
 * together (exactly-once effects in that database).
 *
 * It lives in `outbox/` rather than `runtime/` so that only trees generated `--with outbox` reference PostgreSQL.
 */
import type { ClaimState, ProcessedStore } from '../runtime/processed-store.js';
import { outboxNames, type OutboxClient, type OutboxTableOptions } from './table.js';

/** The part of a `pg.Pool` (or `Client`) the store uses. */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** Options of {@link PgProcessedStore}. */
export interface PgProcessedStoreOptions extends OutboxTableOptions {
  /** Pool the consumer's claims go through. */
  pool: PgQueryable;
}

/** Deduplication store on PostgreSQL (table `eventgen_processed` of `outbox/migration.sql`). */
export class PgProcessedStore implements ProcessedStore {
  private readonly pool: PgQueryable;
  private readonly table: string;

  /** @param options pool and table names. */
  constructor(options: PgProcessedStoreOptions) {
    this.pool = options.pool;
    this.table = outboxNames(options).processed;
  }

  /** {@inheritDoc ProcessedStore.claim} */
  async claim(groupId: string, eventIds: readonly string[], owner: string, leaseMs: number): Promise<ClaimState[]> {
    if (eventIds.length === 0) return [];
    const t = this.table;
    const { rows } = await this.pool.query(
      `WITH ids AS (SELECT DISTINCT unnest($2::text[]) AS event_id), ` +
        `ins AS (INSERT INTO ${t} AS t (group_id, event_id, owner, lease_until, done) ` +
        `SELECT $1, event_id, $3, now() + $4::float8 * interval '1 millisecond', false FROM ids ` +
        'ON CONFLICT (group_id, event_id) DO UPDATE SET owner = EXCLUDED.owner, lease_until = EXCLUDED.lease_until ' +
        'WHERE t.done = false AND (t.owner = EXCLUDED.owner OR t.lease_until IS NULL OR t.lease_until <= now()) RETURNING t.event_id) ' +
        `SELECT i.event_id, (ins.event_id IS NOT NULL) AS acquired, coalesce(p.done, false) AS done FROM ids i ` +
        `LEFT JOIN ins ON ins.event_id = i.event_id LEFT JOIN ${t} p ON p.group_id = $1 AND p.event_id = i.event_id`,
      [groupId, eventIds, owner, leaseMs],
    );
    const state = new Map<string, ClaimState>();
    for (const r of rows as Array<{ event_id: string; acquired: boolean; done: boolean }>) state.set(r.event_id, r.acquired ? 'acquired' : r.done ? 'done' : 'held');
    return eventIds.map((id) => state.get(id) ?? 'held');
  }

  /** {@inheritDoc ProcessedStore.renew} */
  async renew(groupId: string, eventIds: readonly string[], owner: string, leaseMs: number): Promise<void> {
    if (eventIds.length === 0) return;
    await this.pool.query(`UPDATE ${this.table} SET lease_until = now() + $4::float8 * interval '1 millisecond' WHERE group_id = $1 AND event_id = ANY($2::text[]) AND owner = $3 AND done = false`, [groupId, eventIds, owner, leaseMs]);
  }

  /** {@inheritDoc ProcessedStore.complete} */
  async complete(groupId: string, eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 0) return;
    await this.pool.query(
      `INSERT INTO ${this.table} AS t (group_id, event_id, done) SELECT $1, unnest($2::text[]), true ` +
        'ON CONFLICT (group_id, event_id) DO UPDATE SET done = true, owner = NULL, lease_until = NULL, processed_at = now()',
      [groupId, [...new Set(eventIds)]],
    );
  }

  /** {@inheritDoc ProcessedStore.release} */
  async release(groupId: string, eventIds: readonly string[], owner: string): Promise<void> {
    if (eventIds.length === 0) return;
    await this.pool.query(`DELETE FROM ${this.table} WHERE group_id = $1 AND event_id = ANY($2::text[]) AND owner = $3 AND done = false`, [groupId, eventIds, owner]);
  }

  /** Whether `eventId` is done for `groupId`. */
  async isProcessed(groupId: string, eventId: string): Promise<boolean> {
    const { rows } = await this.pool.query(`SELECT 1 FROM ${this.table} WHERE group_id = $1 AND event_id = $2 AND done`, [groupId, eventId]);
    return rows.length > 0;
  }

  /**
   * Marks `eventId` done for `groupId` with the handler's own client, inside its transaction: `true` when this call
   * marked it (first time: apply the effects), `false` when it was already done (a duplicate: skip the effects). A
   * rollback undoes the mark with the effects. Blocks while another transaction marks the same id (unique key).
   */
  async markProcessedIn(client: OutboxClient, groupId: string, eventId: string): Promise<boolean> {
    const result = (await client.query(
      `INSERT INTO ${this.table} AS t (group_id, event_id, done) VALUES ($1, $2, true) ` +
        'ON CONFLICT (group_id, event_id) DO UPDATE SET done = true, owner = NULL, lease_until = NULL, processed_at = now() WHERE t.done = false RETURNING 1 AS marked',
      [groupId, eventId],
    )) as { rows?: unknown[] } | unknown[] | number;
    // pg: `{ rows }`; raw clients may answer with the rows or the affected-row count.
    if (typeof result === 'number') return result > 0;
    const rows = Array.isArray(result) ? result : result.rows;
    return (rows?.length ?? 0) > 0;
  }

  /** Deletes done entries older than `olderThanMs` (batched); returns how many. */
  async purge(olderThanMs: number, batchSize = 1000): Promise<number> {
    let total = 0;
    for (;;) {
      const res = (await this.pool.query(
        `DELETE FROM ${this.table} WHERE ctid IN (SELECT ctid FROM ${this.table} WHERE done AND processed_at < now() - $1::float8 * interval '1 millisecond' LIMIT $2)`,
        [olderThanMs, batchSize],
      )) as { rowCount?: number | null };
      const n = res.rowCount ?? 0;
      total += n;
      if (n < batchSize) return total;
    }
  }
}
