/**
 * A consumer process for the retry-topics SIGKILL test (bundled by the test): one GroupConsumer with retry topics
 * and the Redis processed store; every handler attempt writes a row to PostgreSQL first (the witness), then fails on
 * attempts 1 and 2 (retriable) and succeeds on attempt 3 (all records, or every `failEvery`-th; the others succeed at once). Config: RETRY_CHILD (JSON). stdout: `READY` once running.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { z } from 'zod';
import { GroupConsumer, createTransport, RedisProcessedStore, TopicDelegator, createLogger, defineEvent, kafkaConfig, retryTopicsPolicy, route } from '../../../templates/runtime/index.js';

const config = JSON.parse(process.env.RETRY_CHILD ?? '{}') as { brokers: string; topic: string; groupId: string; pg: string; table: string; redis: string; delaysMs: number[]; failEvery?: number };
const Tick = defineEvent({ eventType: 'test.tick', version: '1.0.0', topics: [], schema: z.object({ key: z.string(), seq: z.number().int() }), classification: 'internal', partitionKey: (d) => d.key });
const db = new pg.Client({ connectionString: config.pg });
await db.connect();
const redis = new Redis(config.redis, { maxRetriesPerRequest: 1 });
const logger = createLogger({ level: 'warn', write: (line) => process.stderr.write(`${line}\n`) });
const transport = createTransport({ config: kafkaConfig({ brokers: config.brokers, clientId: 'retry-child' }), logger, consumer: { heartbeatIntervalMs: 500, sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 10_000 } });
const consumer = new GroupConsumer({
  groupId: config.groupId,
  transport,
  logger,
  store: new RedisProcessedStore({ client: redis, keyPrefix: `retry-it:${config.groupId}:` }),
  topics: [
    new TopicDelegator({
      topic: config.topic,
      retryTopics: retryTopicsPolicy(config.topic, config.groupId, config.delaysMs),
      routes: [
        route(Tick, {
          async handle(data, ctx) {
            await db.query(`insert into ${config.table} (event_id, seq, attempt, topic, pid, at_ms) values ($1, $2, $3, $4, $5, $6)`, [ctx.eventId, data.seq, ctx.attempt, ctx.topic, process.pid, Date.now()]);
            // failEvery: only every n-th record takes the chain (the others succeed at once), else every record does.
            if (config.failEvery !== undefined && data.seq % config.failEvery !== 0) return;
            if (ctx.attempt < 3) throw new Error(`planned failure of attempt ${ctx.attempt}`);
          },
        }),
      ],
    }),
  ],
});
await consumer.start();
process.stdout.write('READY\n');
