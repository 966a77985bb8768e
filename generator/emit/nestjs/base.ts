/**
 * Style 1 (topic delegator) building blocks: `base/kafka-event-handler.interface.ts` (what an event handler
 * implements) and `base/base-topic.handler.ts` (registers event handlers, routes by event name, classifies errors).
 */
import { NEST } from '../../symbols/files.js';
import type { SymbolTable } from '../../symbols/table.js';
import { TsModule } from '../printer.js';
import type { GeneratedFile } from '../types.js';

function handlerInterface(table: SymbolTable): GeneratedFile {
  const N = table.nest;
  const mod = new TsModule(NEST.baseInterface);
  const name = mod.declare(N.KafkaEventHandler);
  const eventMap = mod.type(table.fixed.EventMap);
  const eventType = mod.type(table.fixed.EventType);
  const context = mod.type(table.runtime('EventContext'));
  const body = `
/**
 * A style-1 event handler: declares the catalog event it handles and handles its validated, typed payload.
 * \`context.eventId\` is the message id (the idempotency key); \`context.logger\` carries the correlation id,
 * event id, topic, partition and offset on every line.
 */
export interface ${name}<K extends ${eventType} = ${eventType}> {
  /** The catalog event type handled, e.g. \`order.created\` (the envelope's \`metadata.eventType\`). */
  readonly eventType?: K;
  /**
   * The catalog event type handled, as eventgen 0.1 named it; still read when \`eventType\` is not set.
   * @deprecated Use \`eventType\`.
   */
  readonly eventName?: K;
  /**
   * Resolve = done (the offset is committed). Throw \`RetriableError\` (or any unknown error) to retry with backoff,
   * \`NonRetriableError\` to send the record to the dead-letter topic at once.
   */
  handle(payload: ${eventMap}[K], context: ${context}): Promise<void>;
}
`;
  return { path: mod.path, content: mod.render(body), ownership: 'managed' };
}

function baseTopicHandler(table: SymbolTable): GeneratedFile {
  const N = table.nest;
  const mod = new TsModule(NEST.baseTopicHandler);
  const options = mod.declare(N.TopicHandlerOptions);
  const cls = mod.declare(N.BaseTopicHandler);
  const isRetriable = mod.use(table.runtime('isRetriable'));
  const unknownType = mod.use(table.runtime('UnknownEventTypeError'));
  const context = mod.type(table.runtime('EventContext'));
  const handler = mod.type(N.KafkaEventHandler);
  const body = `
/** Where a topic handler reads and which consumer group it belongs to. */
export interface ${options} {
  /** Kafka topic name. */
  topic: string;
  /** Kafka consumer group id. */
  groupId: string;
}

/**
 * Base class of the generated \`<topic>.topic-handler.ts\` classes: holds one event handler per event type and
 * routes each validated payload to it. Records are decoded, de-duplicated, validated, retried and dead-lettered
 * by the runtime's \`GroupConsumer\`; this class only decides which handler runs and how errors are classified.
 */
export abstract class ${cls} {
  /** Kafka topic name. */
  readonly topic: string;
  /** Kafka consumer group id. */
  readonly groupId: string;
  private readonly handlers = new Map<string, ${handler}>();

  protected constructor(options: ${options}) {
    this.topic = options.topic;
    this.groupId = options.groupId;
  }

  /** Registers an event handler; one per event type. */
  protected register(handler: ${handler}): void {
    const eventType = handler.eventType ?? handler.eventName;
    const name = handler.constructor.name;
    if (eventType === undefined) throw new Error(name + " declares no eventType on topic '" + this.topic + "' in group '" + this.groupId + "'");
    if (handler.eventName !== undefined && handler.eventName !== eventType) {
      throw new Error(name + " declares eventType '" + eventType + "' but eventName '" + handler.eventName + "'");
    }
    if (this.handlers.has(eventType)) {
      throw new Error("Two handlers for event '" + eventType + "' on topic '" + this.topic + "' in group '" + this.groupId + "'");
    }
    this.handlers.set(eventType, handler);
  }

  /** The event types with a registered handler. */
  get eventTypes(): string[] {
    return [...this.handlers.keys()];
  }

  /** @deprecated Use \`eventTypes\`. */
  get eventNames(): string[] {
    return this.eventTypes;
  }

  /** Calls the handler of \`eventType\` with a payload the dispatcher has already validated against the catalog. */
  async handle(eventType: string, payload: unknown, context: ${context}): Promise<void> {
    const handler = this.handlers.get(eventType);
    if (handler === undefined) throw new ${unknownType}(eventType, this.topic);
    await handler.handle(payload as never, context);
  }

  /**
   * Whether an error that is not one of the runtime's classified errors (\`RetriableError\`, \`NonRetriableError\`,
   * validation, decode, ...) should be retried. Default: retriable unless it has \`retriable === false\`.
   * Override it to classify your own errors, e.g. a constraint violation as non-retriable.
   */
  isRetriableError(error: unknown): boolean {
    return ${isRetriable}(error);
  }
}
`;
  return { path: mod.path, content: mod.render(body), ownership: 'managed' };
}

export function emitNestBase(table: SymbolTable): GeneratedFile[] {
  const N = table.nest;
  const index = new TsModule(NEST.baseIndex);
  for (const s of [N.BaseTopicHandler, N.TopicHandlerOptions, N.KafkaEventHandler]) index.reexport(s);
  return [handlerInterface(table), baseTopicHandler(table), { path: index.path, content: index.render(''), ownership: 'managed' }];
}
