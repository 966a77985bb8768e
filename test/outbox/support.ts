/** PostgreSQL access for the outbox tests: a schema of their own per test file, migrated with the generated migration. */
import pg from 'pg';
import { MIGRATION_TEMPLATE, renderMigration } from '../../generator/emit/outbox/migration.js';
import { PG_URL, pgProblem } from '../integration/witness/witness-db.js';

export { PG_URL, pgProblem };

/** A fresh schema name (the machine's PostgreSQL is shared). */
export function uniqueSchema(prefix = 'eg_outbox'): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
}

/** Creates the schema's outbox tables; returns a pool and a drop function. */
export async function migratedPool(schema: string, max = 10): Promise<{ pool: pg.Pool; drop(): Promise<void> }> {
  const pool = new pg.Pool({ connectionString: PG_URL, max });
  pool.on('error', () => undefined); // a terminated idle client (LISTEN test) must not crash the run
  await pool.query(renderMigration(MIGRATION_TEMPLATE, { schema }));
  return {
    pool,
    async drop() {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await pool.end();
    },
  };
}
