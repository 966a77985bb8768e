/**
 * `kafka/kafka.options.ts` (module options, environment), `kafka/kafka.logger.ts` (runtime logger on Nest's
 * Logger), `kafka/noop.transport.ts` (KAFKA_ENABLED=false) and `kafka/kafka.connection.ts` (the one transport).
 */
import type { Catalog } from '../../model/types.js';
import { NEST } from '../../symbols/files.js';
import { pkg } from '../../symbols/sym.js';
import type { SymbolTable } from '../../symbols/table.js';
import { TsModule } from '../printer.js';
import { tsString } from '../text.js';
import type { GeneratedFile } from '../types.js';

/** The group `@EventHandler` methods join when they name none: the catalog's default group, else its source. */
export function defaultGroupId(catalog: Catalog): string {
  return catalog.groups.find((g) => g.isDefault)?.groupId ?? catalog.source;
}

function options(table: SymbolTable): GeneratedFile {
  const catalog = table.catalog;
  const N = table.nest;
  const mod = new TsModule(NEST.options);
  for (const s of [N.KAFKA_MODULE_OPTIONS, N.CATALOG_SOURCE, N.CATALOG_KAFKA_CLIENT, N.DEFAULT_GROUP_ID, N.KAFKA_MODULE_ENV, N.KafkaModuleOptions, N.KafkaModuleAsyncOptions, N.KafkaSettings, N.resolveKafkaSettings]) mod.declare(s);
  const fromEnv = mod.use(table.runtime('kafkaConfigFromEnv'));
  const clientFromEnv = mod.use(table.runtime('kafkaClientFromEnv'));
  const t = (name: string): string => mod.type(table.runtime(name));
  const moduleMetadata = mod.type(pkg('@nestjs/common', 'ModuleMetadata'));
  const injectionToken = mod.type(pkg('@nestjs/common', 'InjectionToken'));
  const optionalDep = mod.type(pkg('@nestjs/common', 'OptionalFactoryDependency'));
  // Only catalogs with Avro payloads take an Avro codec (other trees stay as they were).
  const avro = table.catalog.events.some((e) => e.payload.avroWire !== undefined)
    ? `\n  /** Avro events as Confluent wire-format Avro through a schema registry (docs/schema-registry.md); default: JSON envelopes. */\n  avro?: ${t('AvroCodec')};`
    : '';
  const jsonWire = table.catalog.events.some((e) => e.codec === 'json-schema')
    ? `\n  /** Events with \`x-codec: json-schema\` as Confluent wire-format JSON through a schema registry (docs/schema-registry.md); default: JSON envelopes. */\n  jsonSchema?: ${t('JsonSchemaCodec')};`
    : '';
  const body = `
/** Injection token of {@link KafkaModuleOptions}. */
export const KAFKA_MODULE_OPTIONS = Symbol('KAFKA_MODULE_OPTIONS');

/** \`metadata.source\` of the events this service produces, unless \`source\` is given. */
export const CATALOG_SOURCE = ${tsString(catalog.source)};

/** The Kafka client library (catalog \`x-eventgen.kafkaClient\`), unless \`client\` or \`KAFKA_CLIENT\` is given. */
export const CATALOG_KAFKA_CLIENT: ${t('KafkaClientName')} = ${tsString(catalog.kafkaClient ?? 'kafkajs')};

/** Consumer group of \`@EventHandler\` methods that name none, unless \`groupId\` or \`KAFKA_GROUP_ID\` is given. */
export const DEFAULT_GROUP_ID = ${tsString(defaultGroupId(catalog))};

/** Environment variables read by {@link resolveKafkaSettings} (plus the runtime's \`KAFKA_ENV\`: SASL, TLS, timeouts). */
export const KAFKA_MODULE_ENV = {
  enabled: 'KAFKA_ENABLED',
  brokers: 'KAFKA_BROKERS',
  clientId: 'KAFKA_CLIENT_ID',
  groupId: 'KAFKA_GROUP_ID',
  deadLetterTopic: 'KAFKA_DLQ_TOPIC',
} as const;

/** Options of \`KafkaModule.forRoot()\`; anything not given comes from the environment. */
export interface KafkaModuleOptions {
  /**
   * Connect to Kafka (default \`KAFKA_ENABLED\`, else true). When false every service is a no-op: producer methods
   * still validate the payload but send nothing, no consumer starts, handlers are still discovered and checked.
   */
  enabled?: boolean;
  /** Bootstrap servers (default \`KAFKA_BROKERS\`, comma-separated). */
  brokers?: string | readonly string[];
  /** Client id (default \`KAFKA_CLIENT_ID\`, else \`eventgen\`). */
  clientId?: string;
  /**
   * The Kafka client library: \`kafkajs\` or \`platformatic\` (@platformatic/kafka, installed by the application)
   * (default \`KAFKA_CLIENT\`, else {@link CATALOG_KAFKA_CLIENT}).
   */
  client?: ${t('KafkaClientName')};
  /** SASL (default \`KAFKA_SASL_MECHANISM\`, \`KAFKA_SASL_USERNAME\`, \`KAFKA_SASL_PASSWORD\`). */
  sasl?: { mechanism: ${t('SaslMechanism')}; username: string; password: string | ${t('Secret')} };
  /** TLS with certificate verification (default \`KAFKA_SSL\`, \`KAFKA_SSL_CA_FILE\`). */
  tls?: boolean | { ca?: string | readonly string[]; caFile?: string };
  /** Consumer group of \`@EventHandler\` methods without \`groupId\` (default \`KAFKA_GROUP_ID\`, else {@link DEFAULT_GROUP_ID}). */
  groupId?: string;
  /** One dead-letter topic for every topic (default \`KAFKA_DLQ_TOPIC\`, else each topic's from the catalog). */
  deadLetterTopic?: string;
  /**
   * Channel parameter values to consume, by topic address (\`'orders.{region}': [{ region: 'eu' }]\`): one Kafka topic
   * per element. Default: every combination of the values the catalog lists; required for parameters it lists none for.
   */
  topicParameters?: Readonly<Record<string, ReadonlyArray<Readonly<Record<string, string | number>>>>>;
  /** \`metadata.source\` of produced events (default {@link CATALOG_SOURCE}). */
  source?: string;
  /** Groups without committed offsets start at the beginning of their topics (default false). */
  fromBeginning?: boolean;
  /** Another transport, e.g. \`new InMemoryTransport()\` in tests (brokers, SASL and TLS are then ignored). */
  transport?: ${t('Transport')};
  /** Logger of the runtime (default: Nest's \`Logger\` with context \`Kafka\`). */
  logger?: ${t('Logger')};
  /** Idempotency store (default in-memory per consumer; \`null\` disables de-duplication). */
  store?: ${t('ProcessedStore')} | null;
  /** Hook turning legacy/flat record values into envelopes. */
  migrateEnvelope?: ${t('EnvelopeMigration')};${avro}${jsonWire}
  /** Producer settings (both clients). */
  producer?: ${t('KafkaProducerOptions')};
  /** Consumer settings (both clients). */
  consumer?: ${t('KafkaConsumerOptions')};
  /** Environment to read (default \`process.env\`). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Options of \`KafkaModule.forRootAsync()\`: a factory (e.g. from \`ConfigService\`) and what it needs. */
export interface KafkaModuleAsyncOptions extends Pick<${moduleMetadata}, 'imports'> {
  /** Builds the options; receives the \`inject\` providers in order. */
  useFactory: (...args: never[]) => KafkaModuleOptions | Promise<KafkaModuleOptions>;
  /** Providers passed to \`useFactory\`. */
  inject?: Array<${injectionToken} | ${optionalDep}>;
}

/** The options after defaults and environment. */
export interface KafkaSettings {
  /** False when \`KAFKA_ENABLED=false\`: no-op services. */
  enabled: boolean;
  /** Validated connection settings; undefined when disabled or when a transport was given. */
  config: ${t('KafkaConfig')} | undefined;
  /** The Kafka client library of the transport. */
  client: ${t('KafkaClientName')};
  /** Default consumer group of \`@EventHandler\` methods. */
  groupId: string;
  /** Shared dead-letter topic, if set. */
  deadLetterTopic: string | undefined;
  /** Channel parameter values to consume, by topic address. */
  topicParameters: Readonly<Record<string, ReadonlyArray<Readonly<Record<string, string | number>>>>>;
  /** \`metadata.source\` of produced events. */
  source: string;
  /** Start groups without committed offsets at the beginning. */
  fromBeginning: boolean;
}

/** Resolves options and environment; throws \`KafkaConfigError\` (never showing a secret) on invalid settings. */
export function resolveKafkaSettings(options: KafkaModuleOptions = {}): KafkaSettings {
  const env = options.env ?? process.env;
  const text = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const enabled = options.enabled ?? flag(text(KAFKA_MODULE_ENV.enabled)) ?? true;
  let config: ${t('KafkaConfig')} | undefined;
  if (enabled && options.transport === undefined) {
    const overrides: Partial<${t('KafkaConfigInput')}> = {};
    if (options.brokers !== undefined) overrides.brokers = options.brokers;
    if (options.clientId !== undefined) overrides.clientId = options.clientId;
    if (options.sasl !== undefined) overrides.sasl = options.sasl;
    if (options.tls !== undefined) overrides.tls = options.tls;
    config = ${fromEnv}(env, overrides);
  }
  return {
    enabled,
    config,
    client: options.client ?? ${clientFromEnv}(env, CATALOG_KAFKA_CLIENT),
    groupId: options.groupId ?? text(KAFKA_MODULE_ENV.groupId) ?? DEFAULT_GROUP_ID,
    deadLetterTopic: options.deadLetterTopic ?? text(KAFKA_MODULE_ENV.deadLetterTopic),
    topicParameters: options.topicParameters ?? {},
    source: options.source ?? CATALOG_SOURCE,
    fromBeginning: options.fromBeginning ?? false,
  };
}

function flag(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (v === 'true' || v === '1' || v === 'yes') return true;
  if (v === 'false' || v === '0' || v === 'no') return false;
  throw new Error(KAFKA_MODULE_ENV.enabled + " must be true or false, got '" + value + "'");
}
`;
  return { path: mod.path, content: mod.render(body), ownership: 'managed' };
}

function logger(table: SymbolTable): GeneratedFile {
  const mod = new TsModule(NEST.logger);
  mod.declare(table.nest.nestLogger);
  const nestLogger = mod.use(pkg('@nestjs/common', 'Logger'));
  const redact = mod.use(table.runtime('redact'));
  const toError = mod.use(table.runtime('toError'));
  const loggerType = mod.type(table.runtime('Logger'));
  const fieldsType = mod.type(table.runtime('LogFields'));
  const body = `
/**
 * A runtime logger that writes through Nest's \`Logger\` (so the application's logger and levels apply). Fields
 * such as the correlation id, event id, topic, partition and offset follow the message as JSON; secrets are
 * redacted and errors keep their name, message and stack.
 */
export function nestLogger(context: string, fields: ${fieldsType} = {}): ${loggerType} {
  const nest = new ${nestLogger}(context);
  const line = (message: string, extra?: ${fieldsType}): string => {
    const all: ${fieldsType} = { ...fields, ...extra };
    for (const [key, value] of Object.entries(all)) {
      if (value instanceof Error) {
        const error = ${toError}(value);
        all[key] = { name: error.name, message: error.message, stack: error.stack };
      }
    }
    return Object.keys(all).length === 0 ? message : message + ' ' + JSON.stringify(${redact}(all));
  };
  return {
    debug: (message, extra) => nest.debug(line(message, extra)),
    info: (message, extra) => nest.log(line(message, extra)),
    warn: (message, extra) => nest.warn(line(message, extra)),
    error: (message, extra) => nest.error(line(message, extra)),
    child: (more) => nestLogger(context, { ...fields, ...more }),
  };
}
`;
  return { path: mod.path, content: mod.render(body), ownership: 'managed' };
}

function noopTransport(table: SymbolTable): GeneratedFile {
  const mod = new TsModule(NEST.noopTransport);
  mod.declare(table.nest.NoopTransport);
  const t = (name: string): string => mod.type(table.runtime(name));
  const body = `
/**
 * The transport of \`KAFKA_ENABLED=false\`: sends nothing (each message gets partition -1, offset '-1') and never
 * delivers, so an application and its unit tests run without a broker.
 */
export class NoopTransport implements ${t('Transport')} {
  /** A producer that sends nothing. */
  producer(): ${t('TransportProducer')} {
    return {
      connect: async () => undefined,
      disconnect: async () => undefined,
      send: async (batch: readonly ${t('TopicMessages')}[]): Promise<${t('RecordMetadata')}[]> =>
        batch.flatMap(({ topic, messages }) => messages.map(() => ({ topic, partition: -1, offset: '-1' }))),
    };
  }

  /** A consumer that never delivers. */
  consumer(): ${t('TransportConsumer')} {
    return {
      connect: async () => undefined,
      subscribe: async () => undefined,
      run: async () => undefined,
      commit: async () => undefined,
      stop: async () => undefined,
      disconnect: async () => undefined,
      pause: () => undefined,
      resume: () => undefined,
    };
  }
}
`;
  return { path: mod.path, content: mod.render(body), ownership: 'managed' };
}

function connection(table: SymbolTable): GeneratedFile {
  const N = table.nest;
  const mod = new TsModule(NEST.connection);
  mod.declare(N.BrokerPing);
  mod.declare(N.KafkaConnection);
  const injectable = mod.use(pkg('@nestjs/common', 'Injectable'));
  const inject = mod.use(pkg('@nestjs/common', 'Inject'));
  const shutdown = mod.type(pkg('@nestjs/common', 'OnApplicationShutdown'));
  const admin = mod.type(pkg('kafkajs', 'Admin'));
  const kafka = mod.use(pkg('kafkajs', 'Kafka'));
  const kafkaTransport = mod.use(table.runtime('KafkaTransport'));
  const createTransport = mod.use(table.runtime('createTransport'));
  const toKafkaJsConfig = mod.use(table.runtime('toKafkaJsConfig'));
  const metrics = mod.use(table.runtime('Metrics'));
  const toError = mod.use(table.runtime('toError'));
  const t = (name: string): string => mod.type(table.runtime(name));
  const token = mod.use(N.KAFKA_MODULE_OPTIONS);
  const resolve = mod.use(N.resolveKafkaSettings);
  const optionsType = mod.type(N.KafkaModuleOptions);
  const settingsType = mod.type(N.KafkaSettings);
  const nestLogger = mod.use(N.nestLogger);
  const noop = mod.use(N.NoopTransport);
  const body = `
/** Result of {@link KafkaConnection.ping}. */
export interface BrokerPing {
  /** True when a broker answered a metadata request in time (always true without a Kafka transport). */
  reachable: boolean;
  /** Why not, when unreachable. */
  error?: string;
}

/**
 * The application's one Kafka transport, with its settings, logger and metrics; shared by the producer and
 * consumer services. \`ping()\` asks a broker for cluster metadata (used by the health indicator).
 */
@${injectable}()
export class KafkaConnection implements ${shutdown} {
  /** Options after defaults and environment. */
  readonly settings: ${settingsType};
  /** The transport: kafkajs or @platformatic/kafka (\`settings.client\`), the one given in the options, or a no-op one when disabled. */
  readonly transport: ${t('Transport')};
  /** Logger of the runtime. */
  readonly logger: ${t('Logger')};
  /** Metrics of every consumer and the producer (\`metrics.toPrometheus()\`). */
  readonly metrics = new ${metrics}();
  private admin: ${admin} | undefined;

  constructor(@${inject}(${token}) readonly options: ${optionsType}) {
    this.settings = ${resolve}(options);
    this.logger = options.logger ?? ${nestLogger}('Kafka');
    if (!this.settings.enabled) this.transport = new ${noop}();
    else if (options.transport !== undefined) this.transport = options.transport;
    else {
      const config = this.settings.config;
      if (config === undefined) throw new Error('Kafka settings were not resolved');
      this.transport = ${createTransport}({
        client: this.settings.client,
        config,
        logger: this.logger,
        ...(options.producer === undefined ? {} : { producer: options.producer }),
        ...(options.consumer === undefined ? {} : { consumer: options.consumer }),
      });
    }
  }

  /** Asks a broker for cluster metadata within \`timeoutMs\` (through a kafkajs admin, whichever client the transport uses). */
  async ping(timeoutMs = 3_000): Promise<BrokerPing> {
    const config = this.settings.config;
    const own = this.transport instanceof ${kafkaTransport} ? this.transport.kafka : undefined;
    // No broker to ask: disabled, or a transport given in the options that is not a kafkajs one.
    if (own === undefined && (!this.settings.enabled || this.options.transport !== undefined || config === undefined)) return { reachable: true };
    const admin = (this.admin ??= (own ?? new ${kafka}(${toKafkaJsConfig}(config!, this.logger))).admin({ retry: { retries: 0 } }));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer from the Kafka brokers within ' + timeoutMs + ' ms')), timeoutMs);
    });
    try {
      await Promise.race([admin.connect().then(() => admin.describeCluster()), timeout]);
      return { reachable: true };
    } catch (error) {
      this.admin = undefined;
      admin.disconnect().catch(() => undefined);
      return { reachable: false, error: ${toError}(error).message };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the health-check connection. */
  async onApplicationShutdown(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect();
  }
}
`;
  return { path: mod.path, content: mod.render(body), ownership: 'managed' };
}

export function emitNestSetup(table: SymbolTable): GeneratedFile[] {
  return [options(table), logger(table), noopTransport(table), connection(table)];
}
