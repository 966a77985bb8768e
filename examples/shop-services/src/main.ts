/**
 * `npm run example`: the shop services on the in-memory transport, or on Kafka when KAFKA_BROKERS is set
 * (plus the other KAFKA_* settings of kafkaConfigFromEnv: SASL, TLS, client id).
 */
import { InMemoryTransport, TOPIC_PARTITIONS, createKafkaTransport, createLogger, type Transport } from './events/index.js';
import topology from './events/topology.json' with { type: 'json' };
import { runShop } from './app.js';

// Every topic of the catalog, dead-letter topics included (the runtime never auto-creates topics). A real deployment
// provisions them with `gen topics apply`; the demo broker has one node, so 3 partitions and replication factor 1.
const SHOP_TOPICS = topology.topics.map((t) => t.name);

async function main(): Promise<void> {
  const logger = createLogger({ level: process.env.LOG_LEVEL === 'debug' ? 'debug' : 'warn', fields: { service: 'shop-example' } });
  let transport: Transport;
  let mode: string;
  if (process.env.KAFKA_BROKERS) {
    const kafka = createKafkaTransport({ logger });
    const admin = kafka.kafka.admin();
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = SHOP_TOPICS.filter((topic) => !existing.has(topic));
    if (missing.length > 0) await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
    await admin.disconnect();
    transport = kafka;
    mode = `Kafka at ${process.env.KAFKA_BROKERS}`;
  } else {
    // The catalog's partition counts (shop.orders.v1: 12, ...), so records are keyed onto partitions as on Kafka.
    transport = new InMemoryTransport({ partitions: TOPIC_PARTITIONS });
    mode = 'the in-memory transport (set KAFKA_BROKERS to use Kafka)';
  }
  const result = await runShop({ transport, orders: Number(process.env.ORDERS ?? 8), logger, fromBeginning: true });
  process.stdout.write(`Shop example on ${mode}: ${result.orders.length} orders, ${result.declined.length} declined, ${result.notifications.length} notifications in ${result.ms} ms\n`);
  for (const n of result.notifications) process.stdout.write(`  ${n.kind.padEnd(18)} → ${n.to}: ${n.text}\n`);
  const healthy = result.health.payment.processed > 0 && result.health.notification.processed > 0;
  process.stdout.write(`health: payment-service processed ${result.health.payment.processed}, notification-service processed ${result.health.notification.processed}\n`);
  if (!healthy) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
