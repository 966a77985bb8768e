/**
 * One outbox relay process for test/integration/outbox.test.ts: `node --import tsx test/integration/outbox/relay-process.ts`.
 * Environment: PG_URL, OUTBOX_SCHEMA, KAFKA_BROKERS, RELAY_MODE (concurrent | single-active), BATCH_KEYS, ROWS_PER_KEY.
 * Prints `ready` once started; SIGTERM stops it cleanly.
 */
import pg from 'pg';
import { createOutboxRelay } from '../../../templates/outbox/relay.js';
import { createLogger } from '../../../templates/runtime/index.js';
import { transport } from '../helpers.js';

const env = process.env;
const pool = new pg.Pool({ connectionString: env.PG_URL, max: 4 });
pool.on('error', () => undefined);
const logger = createLogger({ level: 'warn', write: (line) => process.stderr.write(`[relay ${process.pid}] ${line}\n`) });
const relay = createOutboxRelay({
  pool,
  transport: transport(env.KAFKA_BROKERS ?? '127.0.0.1:19092', { logger }),
  schema: env.OUTBOX_SCHEMA ?? 'public',
  mode: env.RELAY_MODE === 'single-active' ? 'single-active' : 'concurrent',
  batchKeys: Number(env.BATCH_KEYS ?? 200),
  rowsPerKey: Number(env.ROWS_PER_KEY ?? 50),
  pollIntervalMs: Number(env.POLL_MS ?? 500),
  logger,
});
await relay.start();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  relay
    .stop()
    .then(() => pool.end())
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
});
