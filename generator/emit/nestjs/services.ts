/**
 * `kafka/kafka-producer.service.ts` (one typed method per produced event), `kafka/kafka-consumer.service.ts`
 * (runs the runtime's GroupConsumer per group) and `kafka/kafka.module.ts`.
 */
import type { Catalog, EventType, Topic } from '../../model/types.js';
import { keyRuleText } from '../describe.js';
import { EVENTS, eventSchemaFile, RUNTIME } from '../paths.js';
import { TsModule } from '../printer.js';
import { jsdoc, tsString } from '../text.js';
import type { GeneratedFile } from '../types.js';
import {
  EVENT_HANDLER_REGISTRY,
  KAFKA_CONNECTION,
  KAFKA_CONSUMER,
  KAFKA_DISPATCHER,
  KAFKA_MODULE,
  KAFKA_OPTIONS,
  KAFKA_PRODUCER,
} from './paths.js';

/** Produced events with the topics they are sent to, in catalog order. */
function producedEvents(catalog: Catalog): Array<{ event: EventType; topics: Topic[] }> {
  return catalog.events
    .map((event) => ({ event, topics: catalog.topics.filter((t) => t.produced.includes(event.type)) }))
    .filter((p) => p.topics.length > 0);
}

function producerMethod(mod: TsModule, event: EventType, topics: Topic[]): string {
  const input = mod.type(`${event.names.typeName}Input`, eventSchemaFile(event));
  const def = mod.use(event.names.definitionName, EVENTS);
  const sendOptions = mod.type('SendOptions', RUNTIME);
  const metadata = mod.type('RecordMetadata', RUNTIME);
  const head = event.summary ?? event.title ?? `Publish \`${event.type}\`.`;
  const where = topics.map((t) => `\`${t.name}\``).join(' or ');
  const doc = jsdoc(
    [head, '', `Sends \`${event.type}\` v${event.version} to ${where}; Kafka key: ${keyRuleText(event.key)}.`, 'The payload is validated before anything is sent.'],
    '  ',
    event.deprecated ? ['@deprecated'] : [],
  );
  const [only] = topics;
  if (topics.length === 1 && only) {
    return [
      doc,
      `  ${event.names.memberName}(data: ${input}, options?: ${sendOptions}): Promise<${metadata}> {`,
      `    return this.producer.send(${tsString(only.name)}, ${def}, data, options);`,
      '  }',
    ].join('\n');
  }
  return [
    doc,
    `  ${event.names.memberName}(topic: ${topics.map((t) => tsString(t.name)).join(' | ')}, data: ${input}, options?: ${sendOptions}): Promise<${metadata}> {`,
    `    return this.producer.send(topic, ${def}, data, options);`,
    '  }',
  ].join('\n');
}

function producerService(catalog: Catalog): GeneratedFile {
  const mod = new TsModule(KAFKA_PRODUCER);
  const injectable = mod.use('Injectable', '@nestjs/common');
  const shutdown = mod.type('OnApplicationShutdown', '@nestjs/common');
  const eventProducer = mod.use('EventProducer', RUNTIME);
  const health = mod.type('ProducerHealth', RUNTIME);
  const connection = mod.use('KafkaConnection', KAFKA_CONNECTION);
  const methods = producedEvents(catalog).map((p) => producerMethod(mod, p.event, p.topics));
  const body = [
    jsdoc([
      `Publishes the events of ${catalog.title}: one typed method per event this catalog produces. Each payload is`,
      'validated with the event\'s Zod schema, wrapped in the envelope and keyed by the catalog\'s partition-key rule.',
      'With `KAFKA_ENABLED=false` payloads are still validated but nothing is sent. The producer is flushed and',
      'disconnected on application shutdown.',
    ]),
    `@${injectable}()`,
    `export class KafkaProducerService implements ${shutdown} {`,
    jsdoc('The runtime producer (batches: `producer.sendBatch()`).', '  '),
    `  readonly producer: ${eventProducer};`,
    '',
    `  constructor(connection: ${connection}) {`,
    `    this.producer = new ${eventProducer}({`,
    '      transport: connection.transport,',
    '      source: connection.settings.source,',
    '      logger: connection.logger,',
    '      metrics: connection.metrics,',
    '    });',
    '  }',
    '',
    ...(methods.length ? [methods.join('\n\n'), ''] : []),
    jsdoc('Connection state, messages sent, last error.', '  '),
    `  health(): ${health} {`,
    '    return this.producer.health();',
    '  }',
    '',
    jsdoc('Flushes and disconnects (after the consumers stopped, so handlers can still publish while draining).', '  '),
    '  async onApplicationShutdown(): Promise<void> {',
    '    await this.producer.disconnect();',
    '  }',
    '}',
  ].join('\n');
  return { path: mod.path, content: mod.render(body), ownership: 'managed' };
}

function consumerService(): GeneratedFile {
  const mod = new TsModule(KAFKA_CONSUMER);
  const injectable = mod.use('Injectable', '@nestjs/common');
  const bootstrap = mod.type('OnApplicationBootstrap', '@nestjs/common');
  const destroy = mod.type('OnModuleDestroy', '@nestjs/common');
  const groupConsumer = mod.use('GroupConsumer', RUNTIME);
  const health = mod.type('ConsumerHealth', RUNTIME);
  const options = mod.type('GroupConsumerOptions', RUNTIME);
  const connection = mod.use('KafkaConnection', KAFKA_CONNECTION);
  const dispatcher = mod.use('KafkaDispatcher', KAFKA_DISPATCHER);
  const body = `
/**
 * Runs one runtime \`GroupConsumer\` per consumer group that has handlers (either style): started in
 * \`onApplicationBootstrap\`, after every module registered its handlers in \`onModuleInit\` (kafkajs cannot subscribe
 * after \`run()\`), and stopped in \`onModuleDestroy\`: in-flight records finish, offsets are committed, the group is
 * left. Call \`app.enableShutdownHooks()\` so SIGTERM/SIGINT run this. Retries, dead-lettering, de-duplication and
 * commits are the runtime's.
 */
@${injectable}()
export class KafkaConsumerService implements ${bootstrap}, ${destroy} {
  private consumers: ${groupConsumer}[] = [];
  private stopped: ${groupConsumer}[] = [];

  constructor(
    private readonly connection: ${connection},
    private readonly dispatcher: ${dispatcher},
  ) {}

  /** Starts the consumers (with \`KAFKA_ENABLED=false\` only checks the registrations). */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.connection.settings.enabled) {
      const groups = this.dispatcher.plan();
      this.connection.logger.info('Kafka is disabled: no consumer started', { groups: groups.map((g) => g.groupId) });
      return;
    }
    await this.start();
  }

  /** Joins every group with handlers; resolves once all run. */
  async start(): Promise<void> {
    if (this.consumers.length > 0) return;
    const { settings, options, transport, logger, metrics } = this.connection;
    this.consumers = this.dispatcher.plan().map((plan) => {
      const consumerOptions: ${options} = {
        groupId: plan.groupId,
        transport,
        topics: plan.topics,
        logger,
        metrics,
        fromBeginning: plan.fromBeginning || settings.fromBeginning,
      };
      if (options.store !== undefined) consumerOptions.store = options.store;
      if (options.migrateEnvelope !== undefined) consumerOptions.migrateEnvelope = options.migrateEnvelope;
      return new ${groupConsumer}(consumerOptions);
    });
    try {
      await Promise.all(this.consumers.map((consumer) => consumer.start()));
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Drains and stops every consumer: commits what was handled and leaves the groups. */
  async stop(): Promise<void> {
    const consumers = this.consumers;
    this.consumers = [];
    this.stopped = consumers;
    await Promise.all(consumers.map((consumer) => consumer.stop()));
  }

  /** Stops the consumers before the application's other providers are destroyed. */
  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /** The running group consumers (metrics, \`resumePartition()\`). */
  get groups(): readonly ${groupConsumer}[] {
    return this.consumers;
  }

  /** Health of every group consumer (of the last ones run, after a stop). */
  health(): ${health}[] {
    return (this.consumers.length > 0 ? this.consumers : this.stopped).map((consumer) => consumer.health());
  }
}
`;
  return { path: mod.path, content: mod.render(body), ownership: 'managed' };
}

function kafkaModule(): GeneratedFile {
  const mod = new TsModule(KAFKA_MODULE);
  const global = mod.use('Global', '@nestjs/common');
  const moduleDecorator = mod.use('Module', '@nestjs/common');
  const dynamicModule = mod.type('DynamicModule', '@nestjs/common');
  const provider = mod.type('Provider', '@nestjs/common');
  const moduleMetadata = mod.type('ModuleMetadata', '@nestjs/common');
  const discoveryModule = mod.use('DiscoveryModule', '@nestjs/core');
  const token = mod.use('KAFKA_MODULE_OPTIONS', KAFKA_OPTIONS);
  const optionsType = mod.type('KafkaModuleOptions', KAFKA_OPTIONS);
  const asyncType = mod.type('KafkaModuleAsyncOptions', KAFKA_OPTIONS);
  const connection = mod.use('KafkaConnection', KAFKA_CONNECTION);
  const dispatcher = mod.use('KafkaDispatcher', KAFKA_DISPATCHER);
  const producer = mod.use('KafkaProducerService', KAFKA_PRODUCER);
  const consumer = mod.use('KafkaConsumerService', KAFKA_CONSUMER);
  const registry = mod.use('EventHandlerRegistry', EVENT_HANDLER_REGISTRY);
  const body = `
/**
 * Kafka for the whole application (global): \`KafkaProducerService\`, \`KafkaConsumerService\`, the dispatcher both
 * handler styles register with, and discovery of \`@EventHandler()\` methods. Import it once, in the root module.
 */
@${global}()
@${moduleDecorator}({})
export class KafkaModule {
  /** Options in code; anything not given comes from the environment (\`KAFKA_BROKERS\`, \`KAFKA_ENABLED\`, ...). */
  static forRoot(options: ${optionsType} = {}): ${dynamicModule} {
    return KafkaModule.create([], { provide: ${token}, useValue: options });
  }

  /** Options from a factory, e.g. \`{ imports: [ConfigModule], inject: [ConfigService], useFactory: (c) => ({ ... }) }\`. */
  static forRootAsync(options: ${asyncType}): ${dynamicModule} {
    return KafkaModule.create(options.imports ?? [], { provide: ${token}, useFactory: options.useFactory, inject: options.inject ?? [] });
  }

  private static create(imports: NonNullable<${moduleMetadata}['imports']>, optionsProvider: ${provider}): ${dynamicModule} {
    return {
      module: KafkaModule,
      global: true,
      imports: [${discoveryModule}, ...imports],
      providers: [optionsProvider, ${connection}, ${dispatcher}, ${producer}, ${consumer}, ${registry}],
      exports: [${token}, ${connection}, ${dispatcher}, ${producer}, ${consumer}],
    };
  }
}
`;
  return { path: mod.path, content: mod.render(body), ownership: 'managed' };
}

export function emitNestServices(catalog: Catalog): GeneratedFile[] {
  return [producerService(catalog), consumerService(), kafkaModule()];
}
