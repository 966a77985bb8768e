/**
 * `npm run example:gateway`: the generated event gateway of the shop catalog on `PORT` (default 3000), with the
 * payment and notification services of this example consuming what it publishes and reporting their statuses.
 * In memory by default; on Kafka when KAFKA_BROKERS is set, with statuses in Redis when REDIS_URL is set (any
 * number of gateway and consumer processes then share them). See README.md for curl calls.
 */
import { Redis } from 'ioredis';
import { createEventGateway } from './events/gateway/index.js';
import {
  createKafkaTransport,
  createLogger,
  createProducers,
  EventProducer,
  InMemoryStatusStore,
  InMemoryTransport,
  notificationService,
  paymentService,
  RedisStatusStore,
  TOPIC_PARTITIONS,
  type StatusStore,
  type Transport,
} from './events/index.js';
import topology from './events/topology.json' with { type: 'json' };
import type { Notification } from './deps.js';

async function main(): Promise<void> {
  const logger = createLogger({ level: process.env.LOG_LEVEL === 'debug' ? 'debug' : 'info', fields: { service: 'shop-gateway' } });
  let transport: Transport;
  if (process.env.KAFKA_BROKERS) {
    const kafka = createKafkaTransport({ logger });
    const admin = kafka.kafka.admin();
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = topology.topics.map((t) => t.name).filter((topic) => !existing.has(topic));
    if (missing.length > 0) await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
    await admin.disconnect();
    transport = kafka;
  } else {
    transport = new InMemoryTransport({ partitions: TOPIC_PARTITIONS });
  }
  let redis: Redis | undefined;
  let statusStore: StatusStore;
  if (process.env.REDIS_URL) {
    redis = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 1, enableAutoPipelining: true });
    statusStore = new RedisStatusStore({ client: redis });
  } else statusStore = new InMemoryStatusStore();

  // The consumers of this example report statuses to the same store the gateway reads.
  const common = { transport, statusStore, logger, fromBeginning: true };
  const paymentProducer = new EventProducer({ transport, source: 'payment-service', logger });
  const outbox: Notification[] = [];
  const consumers = [
    paymentService.createConsumer({ ...common, handlers: paymentService.createHandlers({ producers: createProducers(paymentProducer), cancelled: new Set() }) }),
    notificationService.createConsumer({ ...common, handlers: notificationService.createHandlers({ outbox, customers: new Map() }) }),
  ];
  await Promise.all(consumers.map((c) => c.start()));

  const gateway = createEventGateway({ transport, statusStore, logger });
  const port = Number(process.env.PORT ?? 3000);
  const address = await gateway.listen(port, process.env.HOST ?? '127.0.0.1');
  logger.info('Shop gateway listening', {
    url: `http://${address.address}:${address.port}`,
    kafka: process.env.KAFKA_BROKERS ? 'kafka' : 'in-memory',
    statuses: process.env.REDIS_URL ? 'redis' : 'in-memory',
    consumers: consumers.map((c) => c.groupId),
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void (async () => {
        await gateway.close();
        await Promise.all(consumers.map((c) => c.stop()));
        await paymentProducer.disconnect();
        redis?.disconnect();
        logger.info('Shop gateway stopped', { notificationsSent: outbox.length });
        process.exit(0);
      })();
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
