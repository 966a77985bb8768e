/**
 * Where the NestJS target puts its files (the shared artifacts keep their plain-target paths, see `../paths.ts`).
 * Consumer groups keep the plain layout `consumers/<group>/topics/<topic>/...`, so one tree can hold several groups.
 */
import type { ConsumerGroup } from '../../model/types.js';
import { groupDir } from '../paths.js';

export const KAFKA_DIR = 'kafka';
export const KAFKA_INDEX = 'kafka/index.ts';
export const KAFKA_OPTIONS = 'kafka/kafka.options.ts';
export const KAFKA_LOGGER = 'kafka/kafka.logger.ts';
export const NOOP_TRANSPORT = 'kafka/noop.transport.ts';
export const KAFKA_CONNECTION = 'kafka/kafka.connection.ts';
export const KAFKA_DISPATCHER = 'kafka/kafka-dispatcher.ts';
export const KAFKA_PRODUCER = 'kafka/kafka-producer.service.ts';
export const KAFKA_CONSUMER = 'kafka/kafka-consumer.service.ts';
export const KAFKA_MODULE = 'kafka/kafka.module.ts';
export const KAFKA_HEALTH = 'kafka/kafka-health.indicator.ts';
export const EVENT_HANDLER_DECORATOR = 'kafka/event-handler.decorator.ts';
export const EVENT_HANDLER_REGISTRY = 'kafka/event-handler.registry.ts';
export const BASE_INDEX = 'base/index.ts';
export const BASE_INTERFACE = 'base/kafka-event-handler.interface.ts';
export const BASE_TOPIC_HANDLER = 'base/base-topic.handler.ts';

/** The NestJS module of a consumer group, e.g. `consumers/payment-service/payment-service.module.ts`. */
export const groupModuleFile = (g: ConsumerGroup): string => `${groupDir(g)}/${g.names.fileName}.module.ts`;
/** Class name of a group's module, e.g. `PaymentServiceEventsModule`. */
export const groupModuleClass = (g: ConsumerGroup): string => `${g.names.typeName}EventsModule`;
