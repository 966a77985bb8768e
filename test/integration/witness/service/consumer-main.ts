/**
 * One witness consumer process, built only on the runtime's public API (as a user would): a `GroupConsumer` with a
 * `TopicDelegator` routing `witness.numbered` to a handler whose side effect is a row in PostgreSQL (event id,
 * group, pid, partition, offset, attempt, handler start and end time). The driver (../driver.ts) bundles this
 * file, starts several of these processes and kills them.
 *
 * Config: WITNESS_CONFIG (JSON, {@link ConsumerConfig}). Signals are left to the runtime (`handleSignals: true`):
 * this file installs no SIGTERM listener of its own, so what a SIGTERM does is what the runtime does.
 * stdout: one `WITNESS {json}` line per lifecycle step (starting, ready, handling of non-ok events, exit).
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  GroupConsumer,
  createTransport,
  NonRetriableError,
  RedisProcessedStore,
  RetriableError,
  TopicDelegator,
  createLogger,
  kafkaConfig,
  route,
  type GroupConsumerOptions,
  type KafkaConsumerOptions,
  type KafkaProducerOptions,
  type RetryPolicy,
} from '../../../../templates/runtime/index.js';
import { NumberedEvent, type ConsumerConfig } from './events.js';

const config = JSON.parse(process.env.WITNESS_CONFIG ?? '{}') as ConsumerConfig;
const now = (): number => performance.timeOrigin + performance.now();
const say = (event: string, fields: Record<string, unknown> = {}): void => void process.stdout.write(`WITNESS ${JSON.stringify({ event, pid: process.pid, at: now(), ...fields })}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const db = new pg.Client({ connectionString: config.pg, application_name: `witness-${process.pid}` });
await db.connect();
const insert = `insert into ${config.schema}.effects (run, event_id, seq, grp, pid, topic, partition, "offset", attempt, started_ms, ended_ms) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`;

const redis = config.redis === undefined ? undefined : new Redis(config.redis, { maxRetriesPerRequest: 1 });
const logger = createLogger({ level: 'warn', write: (line) => process.stderr.write(`${line}\n`) });
const transport = createTransport({
  config: kafkaConfig({ brokers: config.brokers, clientId: config.clientId ?? 'witness' }),
  logger,
  consumer: { heartbeatIntervalMs: 1000, sessionTimeoutMs: 10_000, ...(config.consumer as KafkaConsumerOptions | undefined) },
  producer: { ...(config.producer as KafkaProducerOptions | undefined) },
});

const delegatorOptions: ConstructorParameters<typeof TopicDelegator>[0] = {
  topic: config.topic,
  routes: [
    route(NumberedEvent, {
      async handle(data, ctx) {
        const started = now();
        if (data.mode !== 'ok') say('handling', { seq: data.seq, mode: data.mode, attempt: ctx.attempt, partition: ctx.partition, offset: ctx.offset });
        if (data.mode === 'retry') throw new RetriableError(`witness: event ${data.seq} fails retriably (attempt ${ctx.attempt})`);
        if (data.mode === 'fail') throw new NonRetriableError(`witness: event ${data.seq} fails for good`);
        const workMs = data.workMs ?? config.handleMs ?? 0;
        if (workMs > 0) await sleep(workMs); // the work; deliberately not cut short by ctx.signal (a slow dependency)
        await db.query(insert, [data.run, ctx.eventId, data.seq, config.groupId, process.pid, ctx.topic, ctx.partition, ctx.offset, ctx.attempt, started, now()]);
      },
    }),
  ],
};
if (config.retry !== undefined) delegatorOptions.retry = { ...delegatorOptions.retry, ...config.retry } as RetryPolicy;
if (config.deadLetter !== undefined) delegatorOptions.deadLetter = config.deadLetter === false ? { enabled: false, topic: `${config.topic}.dlq` } : { enabled: true, topic: config.deadLetter };

const options: GroupConsumerOptions = {
  groupId: config.groupId,
  transport,
  topics: [new TopicDelegator(delegatorOptions)],
  store: redis === undefined ? null : new RedisProcessedStore({ client: redis, keyPrefix: config.redisKeyPrefix ?? `witness:${config.groupId}:` }),
  fromBeginning: true,
  handleSignals: true,
  logger,
  ...(config.group as Partial<GroupConsumerOptions> | undefined),
};
const consumer = new GroupConsumer(options);

// Once the consumer stopped (by the runtime's own signal handling), close the witness' connections so the process
// can end; a poll rather than a signal listener, which would change what SIGTERM does.
let closing = false;
let started = false;
const watch = setInterval(() => {
  const { status } = consumer.health();
  if (closing || (status !== 'stopped' && status !== 'crashed')) return;
  if (!started) return;
  closing = true;
  clearInterval(watch);
  redis?.disconnect();
  void db.end().catch(() => undefined);
}, 20);
watch.unref();
process.once('exit', (code) => say('exit', { code, health: consumer.health() }));

say('starting');
started = true;
try {
  await consumer.start();
} catch (error) {
  say('start-failed', { error: String(error) });
  throw error;
}
say('ready');
