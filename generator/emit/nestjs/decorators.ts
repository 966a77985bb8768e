/**
 * Style 2: `kafka/event-handler.decorator.ts` (`@EventHandler()`, payload types inferred from the catalog's event
 * names and globs) and `kafka/event-handler.registry.ts` (finds decorated methods with Nest's DiscoveryService).
 */
import { NEST } from '../../symbols/files.js';
import { pkg } from '../../symbols/sym.js';
import type { SymbolTable } from '../../symbols/table.js';
import { TsModule } from '../printer.js';
import type { GeneratedFile } from '../types.js';

function decorator(table: SymbolTable): GeneratedFile {
  const N = table.nest;
  const mod = new TsModule(NEST.decorator);
  for (const s of [N.MatchingEventType, N.KafkaEvent, N.KafkaEventContext, N.EventHandlerSelector, N.EventHandlerOptions, N.EventHandlerSettings, N.EventHandler, N.eventHandlerOptions]) mod.declare(s);
  const eventMap = mod.type(table.fixed.EventMap);
  const eventType = mod.type(table.fixed.EventType);
  const metadata = mod.type(table.runtime('EnvelopeMetadata'));
  const context = mod.type(table.runtime('EventContext'));
  const body = `
type Segments<S extends string> = S extends \`\${infer Head}.\${infer Rest}\` ? [Head, ...Segments<Rest>] : [S];
type SegmentGlob<P extends string> = P extends \`\${infer Head}*\${infer Rest}\` ? \`\${Head}\${string}\${SegmentGlob<Rest>}\` : P;
type MatchSegments<P extends readonly string[], K extends readonly string[]> = P extends [infer PH extends string, ...infer PR extends string[]]
  ? PH extends \`\${string}**\${string}\`
    ? true
    : K extends [infer KH extends string, ...infer KR extends string[]]
      ? KH extends SegmentGlob<PH>
        ? MatchSegments<PR, KR>
        : false
      : false
  : K extends []
    ? true
    : false;

/**
 * The catalog event types an event name or glob matches, as a type: \`MatchingEventType<'order.*'>\` is
 * \`'order.created' | 'order.updated' | ...\`. \`*\` matches one dot-separated segment, \`**\` the rest.
 */
export type MatchingEventType<P extends string> = P extends ${eventType}
  ? P
  : { [K in ${eventType}]: MatchSegments<Segments<P>, Segments<K>> extends true ? K : never }[${eventType}];

/**
 * What an \`@EventHandler()\` method receives first: the validated payload (\`data\`) with its event name and the
 * envelope metadata. For a glob it is a union over the matching events, discriminated by \`eventType\`.
 */
export type KafkaEvent<P extends string = ${eventType}> = {
  [K in MatchingEventType<P>]: {
    /** Catalog event type, e.g. \`order.created\`. */
    readonly eventType: K;
    /** @deprecated Use \`eventType\`. */
    readonly eventName: K;
    /** The payload, validated against the catalog's schema (defaults applied). */
    readonly data: ${eventMap}[K & keyof ${eventMap}];
    /** Envelope metadata: eventId, correlationId, causationId, timestamp, source, ... */
    readonly metadata: ${metadata};
  };
}[MatchingEventType<P>];

/** What an \`@EventHandler()\` method receives second: topic, partition, offset, headers, ids, attempt, logger, signal. */
export type KafkaEventContext = ${context};

/** Which events an {@link EventHandler} handles: \`eventType\`, or the deprecated \`eventName\` (eventgen 0.1). */
export type EventHandlerSelector<P extends string = string> =
  | {
      /**
       * A catalog event type (\`order.created\`) or a glob over them: \`*\` matches exactly one dot-separated segment
       * (\`order.*\`, \`*.status_changed\`; \`*\` alone matches only names without a dot), \`**\` matches anything,
       * dots included (\`**\` = every event of the catalog). A type or glob that matches no catalog event is an error
       * at start-up.
       */
      eventType: P;
      eventName?: never;
    }
  | {
      /** @deprecated Use \`eventType\`. */
      eventName: P;
      eventType?: never;
    };

/** Options of {@link EventHandler}. */
export type EventHandlerOptions<P extends string = string> = EventHandlerSelector<P> & EventHandlerSettings;

/** Where and how an {@link EventHandler} consumes. */
export interface EventHandlerSettings {
  /** Topics to consume (default: the catalog topics that carry a matching event). */
  topics?: readonly string[];
  /** Consumer group (default \`KafkaModuleOptions.groupId\`, \`KAFKA_GROUP_ID\`, else the catalog's default group). */
  groupId?: string;
  /** Start the group at the beginning of its topics when it has no committed offsets (default false). */
  fromBeginning?: boolean;
  /**
   * Offsets are always committed by the runtime after the handler succeeded or the record was dead-lettered
   * (at-least-once); \`true\` is the only accepted value, \`false\` is refused at start-up.
   */
  autoCommit?: boolean;
}

const HANDLERS = new WeakMap<object, EventHandlerOptions[]>();

/**
 * Marks a method of any (singleton) provider as the handler of a catalog event or of every event matching a glob.
 * The method is called as \`(event, { topic, headers, partition, offset, ... })\`; resolve = done, throw = retry
 * or dead-letter (see \`RetriableError\`, \`NonRetriableError\`). A method may carry several \`@EventHandler()\`.
 *
 * @example
 * \\@EventHandler({ eventType: 'order.*' })
 * async onOrder(event: KafkaEvent<'order.*'>, { topic, partition, offset }: KafkaEventContext): Promise<void> {}
 */
export function EventHandler<const P extends string>(options: EventHandlerOptions<P>) {
  return <M extends (event: KafkaEvent<P>, context: KafkaEventContext) => unknown>(
    _target: object,
    _key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    const method = descriptor.value;
    if (typeof method !== 'function') throw new TypeError('@EventHandler() decorates methods');
    HANDLERS.set(method, [...(HANDLERS.get(method) ?? []), { ...options }]);
  };
}

/** The \`@EventHandler()\` options of a method (empty when it has none). */
export function eventHandlerOptions(method: unknown): readonly EventHandlerOptions[] {
  return typeof method === 'function' ? (HANDLERS.get(method) ?? []) : [];
}
`;
  return { path: mod.path, content: mod.render(body), ownership: 'managed' };
}

function registry(table: SymbolTable): GeneratedFile {
  const N = table.nest;
  const mod = new TsModule(NEST.registry);
  mod.declare(N.EventHandlerRegistry);
  const injectable = mod.use(pkg('@nestjs/common', 'Injectable'));
  const nestLogger = mod.use(pkg('@nestjs/common', 'Logger'));
  const onInit = mod.type(pkg('@nestjs/common', 'OnModuleInit'));
  const discovery = mod.use(pkg('@nestjs/core', 'DiscoveryService'));
  const scanner = mod.use(pkg('@nestjs/core', 'MetadataScanner'));
  const options = mod.use(N.eventHandlerOptions);
  const dispatcher = mod.use(N.KafkaDispatcher);
  const connection = mod.use(N.KafkaConnection);
  const body = `
type Method = (this: object, ...args: unknown[]) => unknown;

/**
 * Finds every \`@EventHandler()\` method of every provider when the application initialises and registers it, bound
 * to its instance, with the dispatcher. Request-scoped (and other non-static) providers cannot consume events: they
 * are skipped with a warning.
 */
@${injectable}()
export class EventHandlerRegistry implements ${onInit} {
  private readonly logger = new ${nestLogger}('EventHandlerRegistry');

  constructor(
    private readonly discovery: ${discovery},
    private readonly scanner: ${scanner},
    private readonly dispatcher: ${dispatcher},
    private readonly connection: ${connection},
  ) {}

  /** Discovers and registers the decorated methods. */
  onModuleInit(): void {
    const seen = new Set<object>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      const prototype: unknown =
        typeof wrapper.metatype === 'function' && wrapper.inject === undefined ? wrapper.metatype.prototype : instance === null || typeof instance !== 'object' ? undefined : Object.getPrototypeOf(instance);
      if (prototype === null || typeof prototype !== 'object') continue;
      const methods = this.scanner.getAllMethodNames(prototype).filter((name) => eventHandlerOptionsOf(prototype, name).length > 0);
      if (methods.length === 0) continue;
      const className = typeof wrapper.metatype === 'function' ? wrapper.metatype.name : String(wrapper.name);
      if (!wrapper.isDependencyTreeStatic()) {
        this.logger.warn(className + ' has @EventHandler() methods but is not a singleton (request-scoped or transient): skipped');
        continue;
      }
      if (instance === null || typeof instance !== 'object' || seen.has(instance)) continue;
      seen.add(instance);
      for (const name of methods) {
        const method = Reflect.get(prototype, name) as Method;
        for (const options of eventHandlerOptionsOf(prototype, name)) {
          const source = className + '.' + name;
          const eventType = options.eventType ?? options.eventName;
          if (eventType === undefined) throw new Error(source + ': @EventHandler() needs an eventType');
          if (options.autoCommit === false) {
            throw new Error(source + ': autoCommit: false is not supported; offsets are committed after the handler succeeded or the record was dead-lettered');
          }
          this.dispatcher.addHandler({
            eventType,
            groupId: options.groupId ?? this.connection.settings.groupId,
            ...(options.topics === undefined ? {} : { topics: options.topics }),
            ...(options.fromBeginning === undefined ? {} : { fromBeginning: options.fromBeginning }),
            source,
            handle: method.bind(instance),
          });
          this.logger.log(source + ' handles ' + eventType);
        }
      }
    }
  }
}

function eventHandlerOptionsOf(prototype: object, name: string) {
  return ${options}(Reflect.get(prototype, name));
}
`;
  return { path: mod.path, content: mod.render(body), ownership: 'managed' };
}

export function emitNestDecorators(table: SymbolTable): GeneratedFile[] {
  return [decorator(table), registry(table)];
}
