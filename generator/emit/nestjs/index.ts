/**
 * The NestJS target (`gen events --target nestjs`): the shared artifacts (runtime, schemas, events, topics,
 * producers) plus a Nest layer on the same runtime: `kafka/` (KafkaModule, producer and consumer services, the one
 * dispatcher, `@EventHandler()` discovery, health indicator), `base/` and per consumer group the topic-delegator
 * layout with `@Injectable` handlers and a module. See docs/nestjs.md.
 */
import type { Catalog } from '../../model/types.js';
import { jsdoc } from '../text.js';
import type { EmitOptions, GeneratedFile } from '../types.js';
import { emitNestBase } from './base.js';
import { emitNestConsumers } from './consumers.js';
import { emitNestDecorators } from './decorators.js';
import { emitNestDispatcher } from './dispatcher.js';
import { emitNestHealth } from './health.js';
import { KAFKA_INDEX } from './paths.js';
import { emitNestServices } from './services.js';
import { emitNestSetup } from './setup.js';

function kafkaIndex(): GeneratedFile {
  const lines = [
    jsdoc(['The NestJS layer. `KafkaHealthIndicator` is exported from `./kafka-health.indicator.js` only, so that', '`@nestjs/terminus` stays optional.']),
    "export { EventHandler, eventHandlerOptions, type EventHandlerOptions, type KafkaEvent, type KafkaEventContext, type MatchingEventType } from './event-handler.decorator.js';",
    "export { EventHandlerRegistry } from './event-handler.registry.js';",
    "export { KafkaConnection, type BrokerPing } from './kafka.connection.js';",
    "export { KafkaConsumerService } from './kafka-consumer.service.js';",
    "export { KafkaDispatcher, matchEventTypes, type GroupPlan, type HandlerRegistration } from './kafka-dispatcher.js';",
    "export { nestLogger } from './kafka.logger.js';",
    "export { KafkaModule } from './kafka.module.js';",
    'export {',
    '  CATALOG_SOURCE,',
    '  DEFAULT_GROUP_ID,',
    '  KAFKA_MODULE_ENV,',
    '  KAFKA_MODULE_OPTIONS,',
    '  resolveKafkaSettings,',
    '  type KafkaModuleAsyncOptions,',
    '  type KafkaModuleOptions,',
    '  type KafkaSettings,',
    "} from './kafka.options.js';",
    "export { KafkaProducerService } from './kafka-producer.service.js';",
    "export { NoopTransport } from './noop.transport.js';",
  ];
  return { path: KAFKA_INDEX, content: lines.join('\n') + '\n', ownership: 'managed' };
}

/** The NestJS-specific files (everything but the shared artifacts and the root barrel). */
export function emitNestjs(catalog: Catalog, _options: EmitOptions): GeneratedFile[] {
  return [
    ...emitNestBase(),
    ...emitNestSetup(catalog),
    emitNestDispatcher(),
    ...emitNestDecorators(),
    ...emitNestServices(catalog),
    emitNestHealth(),
    kafkaIndex(),
    ...emitNestConsumers(catalog),
  ];
}

/** The root `index.ts` of the NestJS tree; consumer groups as namespaces. */
export function emitNestBarrel(catalog: Catalog, present: ReadonlySet<string>): GeneratedFile {
  const lines = [
    jsdoc([`${catalog.title} ${catalog.version}: generated Kafka code for NestJS.`, '', 'Consumer groups are exported as namespaces (one per group).']),
    "export * from './runtime/index.js';",
  ];
  if (present.has('schemas/index.ts')) lines.push("export * from './schemas/index.js';");
  lines.push("export * from './events.js';", "export * from './topics.js';");
  if (present.has('producers/index.ts')) lines.push("export * from './producers/index.js';");
  lines.push(
    "export * from './base/index.js';",
    "export * from './kafka/index.js';",
    '// `EventHandler` here is the decorator; the runtime\'s `EventHandler` interface stays in `./runtime/index.js`.',
    "export { EventHandler } from './kafka/index.js';",
  );
  for (const g of catalog.groups) {
    const file = `consumers/${g.names.fileName}/index.ts`;
    if (present.has(file)) lines.push(`export * as ${g.names.memberName} from './consumers/${g.names.fileName}/index.js';`);
  }
  return { path: 'index.ts', content: lines.join('\n') + '\n', ownership: 'managed' };
}

/** The NestJS target's entries of `emitAll`'s target table. */
export const nestjsTarget = { emit: emitNestjs, barrel: emitNestBarrel };
