/**
 * The outbox migration: one SQL template (tables, indexes, the NOTIFY trigger, the processed-events table) with
 * `{{...}}` placeholders for the configurable names. The emitter renders it with the default names into
 * `outbox/migration.sql`, and emits it with its renderer into `outbox/migration.ts` (`outboxMigration(options)`,
 * `OUTBOX_MIGRATION`) so users can run it from code with their own names. The two are pinned equal by a test.
 */

export const MIGRATION_TEMPLATE = `-- Transactional outbox of eventgen (docs/outbox.md). Idempotent: safe to run again.
CREATE SCHEMA IF NOT EXISTS {{schema}};

-- One row per event written by createOutboxProducers(client) in the caller's transaction; the relay publishes
-- pending rows in per-key order (ordering_key = the Kafka key, or a unique value for events without a key).
CREATE TABLE IF NOT EXISTS {{outbox}} (
  id bigserial PRIMARY KEY,
  event_id text NOT NULL,
  event_type text,
  topic text NOT NULL,
  key text,
  ordering_key text NOT NULL,
  kafka_partition integer,
  value text,
  headers jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'published', 'parked')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  available_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
CREATE INDEX IF NOT EXISTS {{ident:_pending}} ON {{outbox}} (id) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS {{ident:_pending_key}} ON {{outbox}} (ordering_key, id) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS {{ident:_published}} ON {{outbox}} (published_at) WHERE status = 'published';
CREATE INDEX IF NOT EXISTS {{ident:_parked}} ON {{outbox}} (id) WHERE status = 'parked';

-- Wakes the relays (LISTEN {{channel_ident}}): one notification per inserting statement, merged per transaction.
CREATE OR REPLACE FUNCTION {{schema}}.{{ident:_notify}}() RETURNS trigger LANGUAGE plpgsql AS $eventgen$
BEGIN
  PERFORM pg_notify({{channel}}, '');
  RETURN NULL;
END
$eventgen$;
DROP TRIGGER IF EXISTS {{ident:_notify}} ON {{outbox}};
CREATE TRIGGER {{ident:_notify}} AFTER INSERT ON {{outbox}} FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.{{ident:_notify}}();

-- Deduplication of consumers (PgProcessedStore): one row per (group, event id).
CREATE TABLE IF NOT EXISTS {{processed}} (
  group_id text NOT NULL,
  event_id text NOT NULL,
  done boolean NOT NULL DEFAULT false,
  owner text,
  lease_until timestamptz,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, event_id)
);
`;

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const quoteLiteral = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/** The migration for the given names (the same substitution `outbox/migration.ts` performs at run time). */
export function renderMigration(template: string, options: { schema?: string; table?: string; processedTable?: string } = {}): string {
  const schema = options.schema ?? 'public';
  const table = options.table ?? 'eventgen_outbox';
  const processed = options.processedTable ?? 'eventgen_processed';
  const values: Record<string, string> = {
    schema: quoteIdent(schema),
    outbox: `${quoteIdent(schema)}.${quoteIdent(table)}`,
    processed: `${quoteIdent(schema)}.${quoteIdent(processed)}`,
    channel: quoteLiteral(`${schema}.${table}`),
    channel_ident: quoteIdent(`${schema}.${table}`),
  };
  return template.replace(/\{\{(\w+)(?::(\w+))?\}\}/g, (_m, name: string, suffix: string | undefined) => (name === 'ident' ? quoteIdent(`${table}${suffix ?? ''}`) : (values[name] ?? '')));
}

/** The body of `outbox/migration.ts`. */
export function migrationModule(tsString: (s: string) => string, jsdoc: (lines: string | string[]) => string, n: { outboxNames: string; quoteIdent: string; options: string }): string {
  return [
    jsdoc('The SQL of the outbox migration with `{{...}}` placeholders for the names (see `outboxMigration`).'),
    `export const OUTBOX_MIGRATION_TEMPLATE = ${tsString(MIGRATION_TEMPLATE)};`,
    '',
    jsdoc([
      'The outbox migration for the given names (default schema `public`, tables `eventgen_outbox` and `eventgen_processed`):',
      'the outbox table and its indexes, the NOTIFY trigger, the processed-events table. Idempotent. Run it with any client:',
      '`await pool.query(outboxMigration({ schema: \'app\' }))`.',
    ]),
    `export function outboxMigration(options: ${n.options} = {}): string {`,
    `  const names = ${n.outboxNames}(options);`,
    "  const table = options.table ?? 'eventgen_outbox';",
    '  const values: Record<string, string> = {',
    '    schema: names.schema,',
    '    outbox: names.outbox,',
    '    processed: names.processed,',
    "    channel: `'${names.channel.replace(/'/g, \"''\")}'`,",
    `    channel_ident: ${n.quoteIdent}(names.channel),`,
    '  };',
    `  return OUTBOX_MIGRATION_TEMPLATE.replace(/\\{\\{(\\w+)(?::(\\w+))?\\}\\}/g, (_m: string, name: string, suffix: string | undefined) => (name === 'ident' ? ${n.quoteIdent}(\`\${table}\${suffix ?? ''}\`) : (values[name] ?? '')));`,
    '}',
    '',
    jsdoc('The outbox migration with the default names (the content of `outbox/migration.sql`).'),
    'export const OUTBOX_MIGRATION: string = outboxMigration();',
  ].join('\n');
}
