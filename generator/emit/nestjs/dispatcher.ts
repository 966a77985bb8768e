/**
 * `kafka/kafka-dispatcher.ts`: the one dispatcher. Both styles register here (topic handlers in their
 * `onModuleInit`, `@EventHandler` methods through the registry); at start-up it builds one runtime
 * `TopicDelegator` per (group, topic), so the runtime's `GroupConsumer` parses, de-duplicates and validates each
 * record once and retries or dead-letters it, whichever style handles it.
 */
import { NEST } from '../../symbols/files.js';
import { pkg } from '../../symbols/sym.js';
import type { SymbolTable } from '../../symbols/table.js';
import { TsModule } from '../printer.js';
import { tsString } from '../text.js';
import type { GeneratedFile } from '../types.js';

export function emitNestDispatcher(table: SymbolTable): GeneratedFile {
  const N = table.nest;
  const mod = new TsModule(NEST.dispatcher);
  for (const s of [N.HandlerRegistration, N.GroupPlan, N.matchEventTypes, N.KafkaDispatcher]) mod.declare(s);
  const injectable = mod.use(pkg('@nestjs/common', 'Injectable'));
  const events = mod.use(table.fixed.events);
  const eventType = mod.type(table.fixed.EventType);
  const topics = mod.use(table.fixed.topics);
  const route = mod.use(table.runtime('route'));
  const delegator = mod.use(table.runtime('TopicDelegator'));
  const glob = mod.use(table.runtime('globToRegExp'));
  const defaultDlq = mod.use(table.runtime('defaultDeadLetterPolicy'));
  const t = (name: string): string => mod.type(table.runtime(name));
  const baseTopicHandler = mod.type(N.BaseTopicHandler);
  const connection = mod.use(N.KafkaConnection);
  // Only catalogs with an \`x-legacy\` channel carry the legacy format (other trees stay as they were).
  const legacy = table.topics.some((ts) => ts.topic.legacy !== undefined);
  const avro = table.catalog.events.some((e) => e.payload.avroWire !== undefined);
  const jsonWire = table.catalog.events.some((e) => e.codec === 'json-schema');
  // Only catalogs with an \`x-exactly-once\` group carry the flag (other trees stay as they were).
  const exactlyOnce = table.groups.filter((g) => g.group.exactlyOnce === true).map((g) => g.group.groupId);
  const body = `
/** A handler registered by an \`@EventHandler()\` method (style 2). */
export interface HandlerRegistration {
  /** Catalog event type or glob (\`order.*\`, \`*.status_changed\`, \`**\`). */
  eventType: string;
  /** Consumer group. */
  groupId: string;
  /** Topics; default: the catalog topics carrying a matching event. */
  topics?: readonly string[];
  /** Start the group at the beginning when it has no committed offsets. */
  fromBeginning?: boolean;
  /** \`Class.method\`, for logs and errors. */
  source: string;
  /** The bound method. */
  handle(event: { eventType: string; eventName: string; data: unknown; metadata: ${t('EnvelopeMetadata')} }, context: ${t('EventContext')}): unknown;
}

/** What one consumer group runs: one delegator per topic. */
export interface GroupPlan {
  /** Consumer group id. */
  groupId: string;
  /** One delegator per subscribed topic. */
  topics: ${t('TopicDelegator')}[];
  /** Whether a registration asked to start at the beginning. */
  fromBeginning: boolean;${exactlyOnce.length > 0 ? `
  /** Exactly-once consume → produce (catalog \`x-exactly-once\`): outputs and offsets in one Kafka transaction. */
  exactlyOnce: boolean;` : ''}
}

type Invoke = (data: unknown, context: ${t('EventContext')}) => Promise<void>;

interface TopicRoutes {
  invokers: Map<string, Invoke[]>;
  isRetriable?: (error: unknown) => boolean;
}

interface CatalogTopic {
  readonly name: string;
  readonly events: readonly string[];
  readonly retry: ${t('RetryPolicy')};
  readonly deadLetter: { readonly enabled: boolean; readonly topic: string };
  /** Channel parameters of an address such as \`orders.{region}\`, with the values the catalog lists. */
  readonly parameters?: ReadonlyArray<{ readonly name: string; readonly values?: readonly string[] }>;${legacy ? `
  /** Records written before the envelope (catalog \`x-legacy\`). */
  readonly legacy?: ${t('LegacyFormat')};` : ''}
}

const CATALOG_EVENTS: Readonly<Record<string, ${t('EventDefinition')} | undefined>> = ${events};
const CATALOG_TOPICS: Readonly<Record<string, CatalogTopic | undefined>> = ${topics};${exactlyOnce.length > 0 ? `
/** Consumer groups the catalog declares exactly-once (\`x-exactly-once: true\`). */
const EXACTLY_ONCE_GROUPS: ReadonlySet<string> = new Set<string>([${exactlyOnce.map((g) => tsString(g)).join(', ')}]);` : ''}

/**
 * The catalog event types an event name or glob matches: an exact name, or a glob where \`*\` matches one
 * dot-separated segment (\`order.*\` matches \`order.created\`, not \`order.item.added\`; \`*\` alone matches only
 * names without a dot) and \`**\` matches anything, dots included (\`**\` = every event).
 */
export function matchEventTypes(eventType: string): ${eventType}[] {
  if (Object.hasOwn(CATALOG_EVENTS, eventType)) return [eventType as ${eventType}];
  if (!eventType.includes('*')) return [];
  const pattern = ${glob}(eventType);
  return (Object.keys(CATALOG_EVENTS) as ${eventType}[]).filter((type) => pattern.test(type));
}

/** An address with its channel parameters filled in; each value must be usable in a Kafka topic name. */
function fillTopic(address: string, values: Readonly<Record<string, string | number>>): string {
  return address.replace(/\\{([^{}]*)\\}/g, (_, name: string) => {
    const value = Object.hasOwn(values, name) ? values[name] : undefined;
    const text = value === undefined ? '' : String(value);
    if (!/^[a-zA-Z0-9._-]+$/.test(text)) throw new RangeError("topic '" + address + "': parameter {" + name + '} = ' + JSON.stringify(value ?? null) + ' cannot be part of a Kafka topic name');
    return text;
  });
}

function definitionOf(eventType: string): ${t('EventDefinition')} {
  const definition = Object.hasOwn(CATALOG_EVENTS, eventType) ? CATALOG_EVENTS[eventType] : undefined;
  if (definition === undefined) throw new Error("'" + eventType + "' is not an event of the catalog");
  return definition;
}

/**
 * Collects the handlers of both styles and turns them into one delegator per (group, topic). Several handlers of
 * one event in one group run one after the other on the same validated payload; if one throws, the record is
 * retried or dead-lettered as a whole (so handlers must be idempotent, as with any at-least-once consumer).
 */
@${injectable}()
export class KafkaDispatcher {
  private readonly topicHandlers: ${baseTopicHandler}[] = [];
  private readonly registrations: HandlerRegistration[] = [];
  private planned = false;

  constructor(private readonly connection: ${connection}) {}

  /** Registers a style-1 topic handler (generated topic handlers call this in \`onModuleInit\`). */
  addTopicHandler(handler: ${baseTopicHandler}): void {
    this.assertOpen(handler.constructor.name);
    for (const eventType of handler.eventTypes) definitionOf(eventType);
    this.topicHandlers.push(handler);
  }

  /** Registers a style-2 handler (the registry calls this for every \`@EventHandler()\` method). */
  addHandler(registration: HandlerRegistration): void {
    this.assertOpen(registration.source);
    if (matchEventTypes(registration.eventType).length === 0) {
      throw new Error(
        registration.source + ": @EventHandler eventType '" + registration.eventType + "' matches no event of the catalog" +
          (registration.eventType.includes('*') ? " ('*' matches one dot-separated segment; '**' matches every event)" : ''),
      );
    }
    this.registrations.push(registration);
  }

  /** Registered style-2 handlers. */
  get handlers(): readonly HandlerRegistration[] {
    return this.registrations;
  }

  /** Registered style-1 topic handlers. */
  get topics(): readonly ${baseTopicHandler}[] {
    return this.topicHandlers;
  }

  /** Builds the delegators of every group (registrations are closed from now on: Kafka cannot subscribe later). */
  plan(): GroupPlan[] {
    this.planned = true;
    const groups = new Map<string, { fromBeginning: boolean; topics: Map<string, TopicRoutes> }>();
    const group = (groupId: string) => {
      let g = groups.get(groupId);
      if (g === undefined) groups.set(groupId, (g = { fromBeginning: false, topics: new Map() }));
      return g;
    };
    const topicOf = (groupId: string, topic: string): TopicRoutes => {
      const g = group(groupId);
      let routes = g.topics.get(topic);
      if (routes === undefined) g.topics.set(topic, (routes = { invokers: new Map() }));
      return routes;
    };
    const add = (routes: TopicRoutes, eventType: string, invoke: Invoke): void => {
      const list = routes.invokers.get(eventType);
      if (list === undefined) routes.invokers.set(eventType, [invoke]);
      else list.push(invoke);
    };
    for (const handler of this.topicHandlers) {
      const routes = topicOf(handler.groupId, handler.topic);
      if (routes.isRetriable !== undefined) throw new Error("Two topic handlers for topic '" + handler.topic + "' in group '" + handler.groupId + "'");
      routes.isRetriable = (error) => handler.isRetriableError(error);
      for (const eventType of handler.eventTypes) add(routes, eventType, (data, context) => handler.handle(eventType, data, context));
    }
    for (const registration of this.registrations) {
      const types = matchEventTypes(registration.eventType);
      const declared = (type: string): readonly string[] => definitionOf(type).topics;
      const names = registration.topics ?? [...new Set(types.flatMap(declared))];
      if (registration.fromBeginning === true) group(registration.groupId).fromBeginning = true;
      for (const topic of names) {
        for (const type of types) {
          if (registration.topics === undefined && !declared(type).includes(topic)) continue;
          add(topicOf(registration.groupId, topic), type, async (data, context) => {
            await registration.handle({ eventType: type, eventName: type, data, metadata: context.metadata }, context);
          });
        }
      }
    }
    return [...groups].map(([groupId, g]) => ({
      groupId,
      fromBeginning: g.fromBeginning,${exactlyOnce.length > 0 ? `
      exactlyOnce: EXACTLY_ONCE_GROUPS.has(groupId),` : ''}
      topics: [...g.topics].flatMap(([topic, routes]) => this.instances(topic).map((instance) => this.delegator(topic, instance, routes))),
    }));
  }

  /**
   * The Kafka topics of a catalog topic: its name, or for an address with channel parameters one topic per element
   * of \`topicParameters[address]\` (default: every combination of the catalog's values).
   */
  private instances(address: string): string[] {
    const catalog = Object.hasOwn(CATALOG_TOPICS, address) ? CATALOG_TOPICS[address] : undefined;
    const params = catalog?.parameters;
    if (params === undefined || params.length === 0) return [address];
    const configured = this.connection.settings.topicParameters;
    let combos: ReadonlyArray<Readonly<Record<string, string | number>>> | undefined = Object.hasOwn(configured, address) ? configured[address] : undefined;
    if (combos === undefined) {
      if (params.some((p) => p.values === undefined)) {
        throw new Error("topic '" + address + "' has channel parameters without values in the catalog: list the ones to consume in KafkaModule.forRoot({ topicParameters: { '" + address + "': [...] } })");
      }
      combos = params.reduce<Array<Record<string, string>>>((acc, p) => acc.flatMap((c) => (p.values ?? []).map((v) => ({ ...c, [p.name]: v }))), [{}]);
    }
    return combos.map((values) => fillTopic(address, values));
  }

  private delegator(address: string, topic: string, routes: TopicRoutes): ${t('TopicDelegator')} {
    const catalog = Object.hasOwn(CATALOG_TOPICS, address) ? CATALOG_TOPICS[address] : undefined;
    const fromCatalog = catalog?.deadLetter;
    // The default dead-letter topic of an address with parameters is per Kafka topic: \`<topic>.dlq\`.
    const deadLetter = fromCatalog === undefined || (topic !== address && fromCatalog.topic === address + '.dlq') ? { enabled: fromCatalog?.enabled ?? true, topic: ${defaultDlq}(topic).topic } : fromCatalog;
    const options: ${t('TopicDelegatorOptions')} = {
      topic,
      routes: [...routes.invokers].map(([eventType, invokers]) =>
        ${route}(definitionOf(eventType), {
          handle: async (data, context) => {
            for (const invoke of invokers) await invoke(data, context);
          },
        }),
      ),
      deadLetter: { enabled: deadLetter.enabled, topic: this.connection.settings.deadLetterTopic ?? deadLetter.topic },
      // Events the catalog declares on this topic that nobody here handles are acknowledged, not dead-lettered.
      ignore: (catalog?.events ?? []).filter((type) => !routes.invokers.has(type)),
    };
    if (catalog !== undefined) options.retry = { ...catalog.retry };${legacy ? '\n    if (catalog?.legacy !== undefined) options.legacy = catalog.legacy;' : ''}
    if (routes.isRetriable !== undefined) options.isRetriable = routes.isRetriable;${avro ? '\n    if (this.connection.options.avro !== undefined) options.avro = this.connection.options.avro;' : ''}${jsonWire ? '\n    if (this.connection.options.jsonSchema !== undefined) options.jsonSchema = this.connection.options.jsonSchema;' : ''}
    return new ${delegator}(options);
  }

  private assertOpen(source: string): void {
    if (this.planned) {
      throw new Error(source + ': Kafka handlers must be registered before the consumers start (in onModuleInit at the latest)');
    }
  }
}
`;
  return { path: mod.path, content: mod.render(body), ownership: 'managed' };
}
