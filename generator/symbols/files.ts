/**
 * Where each artifact lives in the output tree (DESIGN §2), from the model's file names. Only the symbol table uses
 * these; emitters take a symbol's or a group's file from the table.
 */
import type { ConsumerGroup, EventType, NamedSchema, Topic } from '../model/types.js';

export const RUNTIME_DIR = 'runtime';
export const RUNTIME_INDEX = 'runtime/index.ts';
export const EVENTS = 'events.ts';
export const TOPICS = 'topics.ts';
export const ROOT_INDEX = 'index.ts';
export const SCHEMAS_INDEX = 'schemas/index.ts';
export const PRODUCERS_INDEX = 'producers/index.ts';

export const eventSchemaFile = (e: EventType): string => `schemas/${e.names.fileName}.ts`;
export const sharedSchemaFile = (s: NamedSchema): string => `schemas/shared/${s.fileName}.ts`;
export const producerFile = (t: Topic): string => `producers/${t.names.fileName}.producer.ts`;
export const groupDir = (g: ConsumerGroup): string => `consumers/${g.names.fileName}`;
export const groupIndexFile = (g: ConsumerGroup): string => `${groupDir(g)}/index.ts`;
export const groupHandlersFile = (g: ConsumerGroup): string => `${groupDir(g)}/handlers.ts`;
export const groupModuleFile = (g: ConsumerGroup): string => `${groupDir(g)}/${g.names.fileName}.module.ts`;
export const topicHandlerFile = (g: ConsumerGroup, t: Topic): string => `${groupDir(g)}/topics/${t.names.fileName}/${t.names.fileName}.topic-handler.ts`;
export const stubFile = (g: ConsumerGroup, t: Topic, e: EventType): string => `${groupDir(g)}/topics/${t.names.fileName}/events/${e.names.fileName}.event-handler.ts`;

/** The NestJS layer's fixed files. */
export const NEST = {
  kafkaIndex: 'kafka/index.ts',
  options: 'kafka/kafka.options.ts',
  logger: 'kafka/kafka.logger.ts',
  noopTransport: 'kafka/noop.transport.ts',
  connection: 'kafka/kafka.connection.ts',
  dispatcher: 'kafka/kafka-dispatcher.ts',
  producer: 'kafka/kafka-producer.service.ts',
  consumer: 'kafka/kafka-consumer.service.ts',
  module: 'kafka/kafka.module.ts',
  health: 'kafka/kafka-health.indicator.ts',
  decorator: 'kafka/event-handler.decorator.ts',
  registry: 'kafka/event-handler.registry.ts',
  baseIndex: 'base/index.ts',
  baseInterface: 'base/kafka-event-handler.interface.ts',
  baseTopicHandler: 'base/base-topic.handler.ts',
} as const;
