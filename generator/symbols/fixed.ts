/**
 * The generated tree's fixed symbols (the same for every catalog): what `events.ts`, `topics.ts`, the producers'
 * index and the NestJS layer (`kafka/`, `base/`) export. Declared here once; the emitters declare and import them
 * through these objects, and the root scope reserves their names so no catalog name can shadow them.
 */
import { EVENTS, NEST, PRODUCERS_INDEX, TOPICS } from './files.js';
import { pkg, sym, type Sym } from './sym.js';

/**
 * Zod, imported by schemas, the runtime and generated code alike, from `zod/v4`: the Zod 4 API under the same
 * path in zod 3.25.x and zod 4.x ("will remain available forever", zod.dev/v4/versioning), so the generated code
 * works in projects pinned to either.
 */
export const ZOD = pkg('zod/v4', 'z');

export const EVENTS_SYMBOLS = {
  events: sym('events', EVENTS),
  EventType: sym('EventType', EVENTS, 'type'),
  EventMap: sym('EventMap', EVENTS, 'type'),
} as const;

export const TOPICS_SYMBOLS = {
  topics: sym('topics', TOPICS),
  TOPIC_PARTITIONS: sym('TOPIC_PARTITIONS', TOPICS),
} as const;

export const PRODUCERS_SYMBOLS = {
  createProducers: sym('createProducers', PRODUCERS_INDEX),
  Producers: sym('Producers', PRODUCERS_INDEX, 'type'),
} as const;

/** The NestJS layer: `kafka/*` and `base/*`. */
export const NEST_SYMBOLS = {
  // kafka/kafka.options.ts
  KAFKA_MODULE_OPTIONS: sym('KAFKA_MODULE_OPTIONS', NEST.options),
  CATALOG_SOURCE: sym('CATALOG_SOURCE', NEST.options),
  CATALOG_KAFKA_CLIENT: sym('CATALOG_KAFKA_CLIENT', NEST.options),
  DEFAULT_GROUP_ID: sym('DEFAULT_GROUP_ID', NEST.options),
  KAFKA_MODULE_ENV: sym('KAFKA_MODULE_ENV', NEST.options),
  KafkaModuleOptions: sym('KafkaModuleOptions', NEST.options, 'type'),
  KafkaModuleAsyncOptions: sym('KafkaModuleAsyncOptions', NEST.options, 'type'),
  KafkaSettings: sym('KafkaSettings', NEST.options, 'type'),
  resolveKafkaSettings: sym('resolveKafkaSettings', NEST.options),
  // kafka/kafka.logger.ts, kafka/noop.transport.ts, kafka/kafka.connection.ts
  nestLogger: sym('nestLogger', NEST.logger),
  NoopTransport: sym('NoopTransport', NEST.noopTransport),
  BrokerPing: sym('BrokerPing', NEST.connection, 'type'),
  KafkaConnection: sym('KafkaConnection', NEST.connection),
  // kafka/kafka-dispatcher.ts
  HandlerRegistration: sym('HandlerRegistration', NEST.dispatcher, 'type'),
  GroupPlan: sym('GroupPlan', NEST.dispatcher, 'type'),
  matchEventTypes: sym('matchEventTypes', NEST.dispatcher),
  KafkaDispatcher: sym('KafkaDispatcher', NEST.dispatcher),
  // services, module, health
  KafkaProducerService: sym('KafkaProducerService', NEST.producer),
  KafkaConsumerService: sym('KafkaConsumerService', NEST.consumer),
  KafkaModule: sym('KafkaModule', NEST.module),
  KafkaHealthIndicator: sym('KafkaHealthIndicator', NEST.health),
  KafkaHealthResult: sym('KafkaHealthResult', NEST.health, 'type'),
  // kafka/event-handler.decorator.ts, kafka/event-handler.registry.ts
  MatchingEventType: sym('MatchingEventType', NEST.decorator, 'type'),
  KafkaEvent: sym('KafkaEvent', NEST.decorator, 'type'),
  KafkaEventContext: sym('KafkaEventContext', NEST.decorator, 'type'),
  EventHandlerSelector: sym('EventHandlerSelector', NEST.decorator, 'type'),
  EventHandlerOptions: sym('EventHandlerOptions', NEST.decorator, 'type'),
  EventHandlerSettings: sym('EventHandlerSettings', NEST.decorator, 'type'),
  EventHandler: sym('EventHandler', NEST.decorator),
  eventHandlerOptions: sym('eventHandlerOptions', NEST.decorator),
  EventHandlerRegistry: sym('EventHandlerRegistry', NEST.registry),
  // base/
  TopicHandlerOptions: sym('TopicHandlerOptions', NEST.baseTopicHandler, 'type'),
  BaseTopicHandler: sym('BaseTopicHandler', NEST.baseTopicHandler),
  KafkaEventHandler: sym('KafkaEventHandler', NEST.baseInterface, 'type'),
} as const satisfies Record<string, Sym>;

export type NestSymbols = typeof NEST_SYMBOLS;

/** Every fixed symbol that some barrel re-exports into the root scope. */
export const FIXED_ROOT_SYMBOLS: readonly Sym[] = [
  ...Object.values(EVENTS_SYMBOLS),
  ...Object.values(TOPICS_SYMBOLS),
  ...Object.values(PRODUCERS_SYMBOLS),
  ...Object.values(NEST_SYMBOLS),
];
