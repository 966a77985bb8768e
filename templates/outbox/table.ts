/**
 * Where the outbox lives: the table names (configurable, default `public.eventgen_outbox` and
 * `public.eventgen_processed`), quoted for SQL, and the NOTIFY channel. Shared by the writer, the relay and the
 * PostgreSQL processed store; `migration.ts` creates the tables.
 */

/** Names of the outbox tables; the defaults match `outbox/migration.sql`. */
export interface OutboxTableOptions {
  /** Schema of the tables (default `public`). */
  schema?: string;
  /** Outbox table (default `eventgen_outbox`). */
  table?: string;
  /** Processed-events table of `PgProcessedStore` (default `eventgen_processed`). */
  processedTable?: string;
}

/** The resolved, quoted names. */
export interface OutboxNames {
  schema: string;
  /** `"schema"."table"`. */
  outbox: string;
  /** `"schema"."processed_table"`. */
  processed: string;
  /** NOTIFY channel written by the insert trigger: `<schema>.<table>`. */
  channel: string;
  /** Prefix of index, function and trigger names: `<table>`. */
  prefix: string;
}

/** Double-quotes an SQL identifier. */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.length > 63 || name.includes('\u0000')) throw new Error(`Invalid SQL identifier: ${JSON.stringify(name)}`);
  return `"${name.replace(/"/g, '""')}"`;
}

/** The quoted names for `options`. */
export function outboxNames(options: OutboxTableOptions = {}): OutboxNames {
  const schema = options.schema ?? 'public';
  const table = options.table ?? 'eventgen_outbox';
  const processed = options.processedTable ?? 'eventgen_processed';
  return {
    schema: quoteIdent(schema),
    outbox: `${quoteIdent(schema)}.${quoteIdent(table)}`,
    processed: `${quoteIdent(schema)}.${quoteIdent(processed)}`,
    channel: `${schema}.${table}`,
    prefix: table,
  };
}

/**
 * The minimal client the outbox writes with: `pg`'s `Client` and `PoolClient` fit as they are; Prisma, Drizzle and
 * Knex through their raw-SQL escape hatch (docs/outbox.md). Values use `$1`, `$2`, ... placeholders.
 */
export interface OutboxClient {
  query(text: string, values?: unknown[]): Promise<unknown>;
}
