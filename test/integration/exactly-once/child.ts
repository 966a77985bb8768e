/**
 * A consume → produce process for the exactly-once SIGKILL test (bundled by the test): one exactly-once GroupConsumer
 * that turns every input tick into one output tick (same seq) through a typed producer called with
 * `{ causedBy: context }`. Config: EOS_CHILD (JSON): `abortFirst` = how many transactions fail at commit (after
 * their messages were sent) to exercise the abort path. stdout: `READY` once running.
 */
import { Kafka, logLevel, type Producer, type ProducerConfig } from 'kafkajs';
import { z } from 'zod';
import { EventProducer, GroupConsumer, KafkaTransport, TopicDelegator, createLogger, defineEvent, kafkaConfig, route, type KafkaClient, type Transport } from '../../../templates/runtime/index.js';
import { PlatformaticTransport, loadPlatformaticKafka, type PlatformaticModule } from '../../../templates/runtime/platformatic-transport.js';
import type { PltProducer, PltTransaction } from '../../../templates/runtime/platformatic-client.js';

const config = JSON.parse(process.env.EOS_CHILD ?? '{}') as { brokers: string; input: string; output: string; groupId: string; prefix: string; abortFirst?: number; delayEvery?: number };
const Tick = defineEvent({ eventType: 'test.tick', version: '1.0.0', topics: [], schema: z.object({ key: z.string(), seq: z.number().int() }), classification: 'internal', partitionKey: (d) => d.key });
const logger = createLogger({ level: 'warn', write: (line) => process.stderr.write(`${line}\n`) });
const kafka = new Kafka({ clientId: 'eos-child', brokers: config.brokers.split(','), logLevel: logLevel.NOTHING });
let aborts = config.abortFirst ?? 0;
/** Makes the transaction's commit fail while `aborts` lasts (after its sends): the runtime must abort it. */
function failingCommit<T extends { commit(): Promise<unknown> }>(txn: T): T {
  const commit = txn.commit.bind(txn);
  txn.commit = async () => {
    if (aborts > 0) {
      aborts -= 1;
      throw new Error('injected failure before the commit');
    }
    return commit();
  };
  return txn;
}
// Injects failures between a transaction's sends and its commit: the runtime must abort it.
const client: KafkaClient = {
  consumer: (c) => kafka.consumer(c),
  admin: (c) => kafka.admin(c),
  producer: (c?: ProducerConfig): Producer => {
    const producer = kafka.producer(c);
    if (c?.transactionalId === undefined) return producer;
    const transaction = producer.transaction.bind(producer);
    producer.transaction = async () => failingCommit(await transaction());
    return producer;
  },
};
/** The same injection on @platformatic/kafka (KAFKA_CLIENT=platformatic, inherited from the test): a transaction's commit fails after its sends. */
async function platformaticModule(): Promise<PlatformaticModule> {
  const real = await loadPlatformaticKafka();
  const Producer = class {
    constructor(options: Record<string, unknown>) {
      const producer = new real.Producer(options) as PltProducer;
      const begin = producer.beginTransaction?.bind(producer);
      if (options['transactionalId'] === undefined || begin === undefined) return producer;
      producer.beginTransaction = async (): Promise<PltTransaction> => failingCommit(await begin());
      return producer;
    }
  } as unknown as PlatformaticModule['Producer'];
  return { ...real, Producer };
}
const consumerOptions = { heartbeatIntervalMs: 500, sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 10_000 };
const kafkaCfg = kafkaConfig({ brokers: config.brokers, clientId: 'eos-child' });
const transport: Transport =
  process.env.KAFKA_CLIENT === 'platformatic'
    ? new PlatformaticTransport({ config: kafkaCfg, logger, module: platformaticModule(), consumer: consumerOptions })
    : new KafkaTransport({ config: kafkaCfg, logger, client, consumer: consumerOptions });
const out = new EventProducer({ transport, source: 'eos-child' });
const consumer = new GroupConsumer({
  groupId: config.groupId,
  transport,
  logger,
  exactlyOnce: { transactionalIdPrefix: config.prefix },
  topics: [
    new TopicDelegator({
      topic: config.input,
      routes: [
        route(Tick, {
          async handle(data, ctx) {
            await out.send(config.output, Tick, { key: data.key, seq: data.seq }, { causedBy: ctx });
            if (config.delayEvery !== undefined && data.seq % config.delayEvery === 0) await new Promise((r) => setTimeout(r, 1));
          },
        }),
      ],
    }),
  ],
});
await consumer.start();
process.stdout.write('READY\n');
