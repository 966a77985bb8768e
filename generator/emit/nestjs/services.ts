/**
 * `kafka/kafka-producer.service.ts` (one typed method per produced event), `kafka/kafka-consumer.service.ts`
 * (runs the runtime's GroupConsumer per group) and `kafka/kafka.module.ts`.
 */
import { NEST } from '../../symbols/files.js';
import { pkg } from '../../symbols/sym.js';
import type { EventSymbols, SymbolTable, TopicSymbols } from '../../symbols/table.js';
import { keyRuleText } from '../describe.js';
import { TsModule } from '../printer.js';
import { jsdoc, tsString } from '../text.js';
import type { GeneratedFile } from '../types.js';

/** Produced events with the topics they are sent to, in catalog order. */
function producedEvents(table: SymbolTable): Array<{ sy: EventSymbols; topics: TopicSymbols[] }> {
  return table.events
    .map((sy) => ({ sy, topics: table.topics.filter((t) => t.topic.produced.includes(sy.event.type)) }))
    .filter((p) => p.topics.length > 0);
}

function producerMethod(table: SymbolTable, mod: TsModule, sy: EventSymbols, topicSyms: TopicSymbols[]): string {
  const event = sy.event;
  const topics = topicSyms.map((t) => t.topic);
  const input = mod.use(sy.input);
  const def = mod.use(sy.definition);
  const sendOptions = mod.type(table.runtime('SendOptions'));
  const metadata = mod.type(table.runtime('RecordMetadata'));
  const head = event.summary ?? event.title ?? `Publish \`${event.type}\`.`;
  const where = topics.map((t) => `\`${t.name}\``).join(' or ');
  const doc = jsdoc(
    [head, '', `Sends \`${event.type}\` v${event.version} to ${where}; Kafka key: ${keyRuleText(event.key)}.`, 'The payload is validated before anything is sent.'],
    '  ',
    event.deprecated ? ['@deprecated'] : [],
  );
  const [only] = topics;
  const onlySyms = topicSyms[0];
  if (topics.length === 1 && only && onlySyms?.parameters) {
    // An address with channel parameters: the caller gives the values, the topic is filled in (and checked) per record.
    return [
      doc,
      `  async ${sy.member}(parameters: ${mod.type(onlySyms.parameters.type)}, data: ${input}, options?: ${sendOptions}): Promise<${metadata}> {`,
      `    return this.producer.send(${mod.use(onlySyms.parameters.topicName)}(parameters), ${def}, data, options);`,
      '  }',
    ].join('\n');
  }
  if (topics.length === 1 && only) {
    return [
      doc,
      `  ${sy.member}(data: ${input}, options?: ${sendOptions}): Promise<${metadata}> {`,
      `    return this.producer.send(${tsString(only.name)}, ${def}, data, options);`,
      '  }',
    ].join('\n');
  }
  // Several topics: a literal name, or (for an address with parameters) the name its `...TopicName()` function gives.
  const choices = topicSyms.some((t) => t.parameters) ? 'string' : topics.map((t) => tsString(t.name)).join(' | ');
  return [
    doc,
    `  ${sy.member}(topic: ${choices}, data: ${input}, options?: ${sendOptions}): Promise<${metadata}> {`,
    `    return this.producer.send(topic, ${def}, data, options);`,
    '  }',
  ].join('\n');
}

function producerService(table: SymbolTable): GeneratedFile {
  const catalog = table.catalog;
  const mod = new TsModule(NEST.producer);
  mod.declare(table.nest.KafkaProducerService);
  const injectable = mod.use(pkg('@nestjs/common', 'Injectable'));
  const shutdown = mod.type(pkg('@nestjs/common', 'OnApplicationShutdown'));
  const eventProducer = mod.use(table.runtime('EventProducer'));
  const health = mod.type(table.runtime('ProducerHealth'));
  const connection = mod.use(table.nest.KafkaConnection);
  const methods = producedEvents(table).map((p) => producerMethod(table, mod, p.sy, p.topics));
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
    ...(catalog.events.some((e) => e.payload.avroWire !== undefined) ? ['      ...(connection.options.avro === undefined ? {} : { avro: connection.options.avro }),'] : []),
    ...(catalog.events.some((e) => e.codec === 'json-schema') ? ['      ...(connection.options.jsonSchema === undefined ? {} : { jsonSchema: connection.options.jsonSchema }),'] : []),
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

function consumerService(table: SymbolTable): GeneratedFile {
  const N = table.nest;
  const mod = new TsModule(NEST.consumer);
  mod.declare(N.KafkaConsumerService);
  const injectable = mod.use(pkg('@nestjs/common', 'Injectable'));
  const bootstrap = mod.type(pkg('@nestjs/common', 'OnApplicationBootstrap'));
  const destroy = mod.type(pkg('@nestjs/common', 'OnModuleDestroy'));
  const groupConsumer = mod.use(table.runtime('GroupConsumer'));
  const health = mod.type(table.runtime('ConsumerHealth'));
  const options = mod.type(table.runtime('GroupConsumerOptions'));
  const connection = mod.use(table.nest.KafkaConnection);
  const dispatcher = mod.use(table.nest.KafkaDispatcher);
  const eos = table.groups.some((g) => g.group.exactlyOnce === true);
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
      if (options.store !== undefined${eos ? ' && !plan.exactlyOnce' : ''}) consumerOptions.store = options.store;
      if (options.migrateEnvelope !== undefined) consumerOptions.migrateEnvelope = options.migrateEnvelope;${eos ? '\n      // Catalog x-exactly-once: outputs and offsets commit in one Kafka transaction, without a processed store (docs/runtime.md).\n      if (plan.exactlyOnce) consumerOptions.exactlyOnce = true;' : ''}
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

function kafkaModule(table: SymbolTable): GeneratedFile {
  const N = table.nest;
  const mod = new TsModule(NEST.module);
  mod.declare(N.KafkaModule);
  const global = mod.use(pkg('@nestjs/common', 'Global'));
  const moduleDecorator = mod.use(pkg('@nestjs/common', 'Module'));
  const dynamicModule = mod.type(pkg('@nestjs/common', 'DynamicModule'));
  const provider = mod.type(pkg('@nestjs/common', 'Provider'));
  const moduleMetadata = mod.type(pkg('@nestjs/common', 'ModuleMetadata'));
  const discoveryModule = mod.use(pkg('@nestjs/core', 'DiscoveryModule'));
  const token = mod.use(table.nest.KAFKA_MODULE_OPTIONS);
  const optionsType = mod.type(table.nest.KafkaModuleOptions);
  const asyncType = mod.type(table.nest.KafkaModuleAsyncOptions);
  const connection = mod.use(table.nest.KafkaConnection);
  const dispatcher = mod.use(table.nest.KafkaDispatcher);
  const producer = mod.use(table.nest.KafkaProducerService);
  const consumer = mod.use(table.nest.KafkaConsumerService);
  const registry = mod.use(table.nest.EventHandlerRegistry);
  const health = mod.use(table.nest.KafkaHealthIndicator);
  const body = `
/**
 * Kafka for the whole application (global): \`KafkaProducerService\`, \`KafkaConsumerService\`, \`KafkaHealthIndicator\`,
 * the dispatcher both handler styles register with, and discovery of \`@EventHandler()\` methods. Import it once, in
 * the root module.
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
      providers: [optionsProvider, ${connection}, ${dispatcher}, ${producer}, ${consumer}, ${registry}, ${health}],
      exports: [${token}, ${connection}, ${dispatcher}, ${producer}, ${consumer}, ${health}],
    };
  }
}
`;
  return { path: mod.path, content: mod.render(body), ownership: 'managed' };
}

export function emitNestServices(table: SymbolTable): GeneratedFile[] {
  return [producerService(table), consumerService(table), kafkaModule(table)];
}
