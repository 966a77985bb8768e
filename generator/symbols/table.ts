/**
 * The symbol table: every exported name of the generated tree, declared once with the module that declares it.
 * Built from the model (its base names, see `model/names.ts`) and the runtime's real exports. Emitters, re-exports
 * and barrels take names and files from here; they never compose them. Names that would meet in one scope (the
 * root `index.ts`, a consumer group's namespace, a tree's class names, the tree's file paths) are claimed there:
 * a taken name gets the next deterministic candidate (info `name-adjusted`) or, when none is left, a located
 * `name-collision` error.
 */
import type { Catalog, ConsumerGroup, Diagnostic, EventType, NamedSchema, Topic } from '../model/types.js';
import * as F from './files.js';
import { EVENTS_SYMBOLS, FIXED_ROOT_SYMBOLS, NEST_SYMBOLS, PRODUCERS_SYMBOLS, TOPICS_SYMBOLS, ZOD } from './fixed.js';
import type { RuntimeExport } from './runtime-exports.js';
import { claim, Scope, type Claimant } from './scope.js';
import { sym, type Sym } from './sym.js';

export interface EventSymbols {
  event: EventType;
  /** `schemas/<event>.ts`: declares `type`, `input` and `schema`. */
  file: string;
  /** Payload type after validation, e.g. `OrderCreated`. */
  type: Sym;
  /** What a producer passes, e.g. `OrderCreatedInput`. */
  input: Sym;
  /** The Zod schema, e.g. `OrderCreatedSchema`. */
  schema: Sym;
  /** The event definition in `events.ts`, e.g. `OrderCreatedEvent`. */
  definition: Sym;
  /** Producer method and handler key, e.g. `orderCreated`. */
  member: string;
}

export interface SchemaSymbols {
  schema: NamedSchema;
  /** `schemas/shared/<schema>.ts`. */
  file: string;
  type: Sym;
  input: Sym;
  zod: Sym;
}

export interface TopicSymbols {
  topic: Topic;
  /** The topic's settings in `topics.ts`, e.g. `ShopOrdersV1Topic`. */
  constant: Sym;
  /** The producer class, when some producer of the catalog sends to the topic. */
  producer?: Sym;
  /** Key of `createProducers()`'s result, e.g. `shopOrdersV1`. */
  member: string;
  /**
   * For an address with channel parameters (`orders.{region}`), in `topics.ts`: the type of the values
   * (`OrdersRegionParameters`) and the function that fills the address in (`ordersRegionTopicName()`).
   */
  parameters?: { type: Sym; topicName: Sym };
}

/** A group's subscription to one topic: the topic delegator and the handlers it routes to. */
export interface SubscriptionSymbols {
  topic: TopicSymbols;
  events: EventSymbols[];
  /** Event types of the topic the group does not receive (acknowledged without a handler). */
  ignored: string[];
  /** `consumers/<group>/topics/<topic>/<topic>.topic-handler.ts`. */
  file: string;
  handlerClass: Sym;
  /** The interface of the event handlers this topic routes to. */
  eventHandlers: Sym;
}

/** The user-owned handler of one event in one group (a scaffold). */
export interface StubSymbols {
  event: EventSymbols;
  /** The topic whose `events/` directory holds the stub (the first subscribed topic carrying the event). */
  home: TopicSymbols;
  /** Every subscribed topic of the group carrying the event. */
  topics: TopicSymbols[];
  file: string;
  cls: Sym;
}

export interface GroupSymbols {
  group: ConsumerGroup;
  /** Namespace of the group in the root `index.ts`, e.g. `paymentService`. */
  namespace: string;
  dir: string;
  /** The group's managed `index.ts`. */
  index: string;
  /** The group's scaffolded `handlers.ts`. */
  handlersFile: string;
  /** `GROUP_ID`. */
  groupId: Sym;
  /** `Handlers`: the group's event handlers, by event. */
  handlers: Sym;
  /** `ConsumerOptions`. */
  consumerOptions: Sym;
  /** `createConsumer()`. */
  createConsumer: Sym;
  /** `createHandlers()` of the scaffolded `handlers.ts` (re-exported by the group's `index.ts`). */
  createHandlers: Sym;
  /** The names of eventgen 0.1, kept as deprecated aliases: `<Group>Handlers` (keyed by topic), ... */
  deprecated: { handlers: Sym; consumerOptions: Sym; createConsumer: Sym };
  /** NestJS: the group's module class. */
  module: Sym;
  subscriptions: SubscriptionSymbols[];
  /** One stub per event the group receives, in subscription order. */
  stubs: StubSymbols[];
}

export interface SymbolTableOptions {
  runtime: readonly RuntimeExport[];
}

const by = <T>(items: readonly T[], key: (t: T) => string): Map<string, T> => new Map(items.map((i) => [key(i), i]));

export class SymbolTable {
  readonly z = ZOD;
  readonly fixed = { ...EVENTS_SYMBOLS, ...TOPICS_SYMBOLS, ...PRODUCERS_SYMBOLS };
  readonly nest = NEST_SYMBOLS;
  readonly files = F;
  readonly events: EventSymbols[] = [];
  readonly schemas: SchemaSymbols[] = [];
  readonly topics: TopicSymbols[] = [];
  readonly groups: GroupSymbols[] = [];
  private readonly runtimeByName: Map<string, RuntimeExport>;
  private eventIndex = new Map<string, EventSymbols>();
  private schemaIndex = new Map<string, SchemaSymbols>();
  private topicIndex = new Map<string, TopicSymbols>();

  constructor(readonly catalog: Catalog, runtime: readonly RuntimeExport[]) {
    this.runtimeByName = by(runtime, (r) => r.name);
  }

  /** A runtime export, imported from `runtime/index.ts`. Throws when the runtime does not export it. */
  runtime(name: string): Sym {
    const r = this.runtimeByName.get(name);
    if (r === undefined) throw new Error(`internal: the runtime does not export "${name}"`);
    return sym(name, F.RUNTIME_INDEX, r.kind);
  }

  /** A runtime export, imported from the runtime file that declares it (scripts that must not load the whole runtime). */
  runtimeDirect(name: string): Sym {
    const r = this.runtimeByName.get(name);
    if (r === undefined) throw new Error(`internal: the runtime does not export "${name}"`);
    return sym(name, `${F.RUNTIME_DIR}/${r.file}`, r.kind);
  }

  /** The runtime's exports (names and kinds). */
  runtimeExports(): readonly RuntimeExport[] {
    return [...this.runtimeByName.values()];
  }

  event(e: EventType | string): EventSymbols {
    const s = this.eventIndex.get(typeof e === 'string' ? e : e.type);
    if (s === undefined) throw new Error(`internal: no symbols for event ${typeof e === 'string' ? e : e.type}`);
    return s;
  }

  /** The symbols of a shared schema, or undefined for any other id (e.g. an event's payload). */
  findSchema(id: string): SchemaSymbols | undefined {
    return this.schemaIndex.get(id);
  }

  schema(id: string): SchemaSymbols {
    const s = this.schemaIndex.get(id);
    if (s === undefined) throw new Error(`internal: no symbols for schema ${id}`);
    return s;
  }

  topic(t: Topic | string): TopicSymbols {
    const s = this.topicIndex.get(typeof t === 'string' ? t : t.id);
    if (s === undefined) throw new Error(`internal: no symbols for topic ${typeof t === 'string' ? t : t.id}`);
    return s;
  }

  group(g: ConsumerGroup): GroupSymbols {
    const s = this.groups.find((x) => x.group === g);
    if (s === undefined) throw new Error(`internal: no symbols for group ${g.groupId}`);
    return s;
  }

  /** Groups that receive at least one event (the ones with consumer code). */
  activeGroups(): GroupSymbols[] {
    return this.groups.filter((g) => g.subscriptions.length > 0);
  }

  /** @internal */
  index(): void {
    this.eventIndex = by(this.events, (e) => e.event.type);
    this.schemaIndex = by(this.schemas, (s) => s.schema.id);
    this.topicIndex = by(this.topics, (t) => t.topic.id);
  }
}

const located = (owner: string, loc: Claimant['loc']): Claimant => (loc ? { owner, loc } : { owner });

/**
 * Builds the table. Naming is target-independent (the NestJS layer's names are reserved in every tree), so the
 * shared files are identical for both targets.
 */
export function buildSymbolTable(catalog: Catalog, options: SymbolTableOptions): { table: SymbolTable; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const table = new SymbolTable(catalog, options.runtime);
  const root = new Scope('the root index.ts');
  const files = new Scope('the output tree', true);
  for (const r of options.runtime) root.reserve(r.name, 'the runtime (runtime/index.ts)');
  for (const s of FIXED_ROOT_SYMBOLS) root.reserve(s.name, `generated code (${s.from})`);
  for (const f of [F.ROOT_INDEX, F.EVENTS, F.TOPICS, F.SCHEMAS_INDEX, F.PRODUCERS_INDEX, ...Object.values(F.NEST)]) files.reserve(f, 'a generated file');

  const claimFile = (candidates: string[], who: Claimant): string | undefined => claim([files], candidates, (f) => [f], who, diagnostics);

  for (const e of catalog.events) {
    const who = located(`event "${e.type}"`, e.loc);
    const t = e.names.typeName;
    const base = claim([root], [t, `Event${t}`], (b) => [b, `${b}Schema`, `${b}Input`, `${b}Event`], who, diagnostics);
    const f = e.names.fileName;
    const file = claimFile([`schemas/${f}.ts`, `schemas/${f}-event.ts`], who);
    if (base === undefined || file === undefined) continue;
    table.events.push({
      event: e,
      file,
      type: sym(base, file, 'type'),
      input: sym(`${base}Input`, file, 'type'),
      schema: sym(`${base}Schema`, file),
      definition: sym(`${base}Event`, F.EVENTS),
      member: e.names.memberName,
    });
  }

  for (const s of catalog.schemas) {
    const who = located(`schema "${s.id}"`, s.loc);
    const t = s.typeName;
    const base = claim([root], [t, `${t}Data`, `Shared${t}`], (b) => [b, `${b}Schema`, `${b}Input`], who, diagnostics);
    const file = claimFile([`schemas/shared/${s.fileName}.ts`, `schemas/shared/${s.fileName}-schema.ts`], who);
    if (base === undefined || file === undefined) continue;
    table.schemas.push({ schema: s, file, type: sym(base, file, 'type'), input: sym(`${base}Input`, file, 'type'), zod: sym(`${base}Schema`, file) });
  }

  for (const t of catalog.topics) {
    const who = located(`topic "${t.name}"`, t.loc);
    const n = t.names.typeName;
    const parameterised = (t.parameters?.length ?? 0) > 0;
    const topicNameOf = (b: string): string => `${b.charAt(0).toLowerCase()}${b.slice(1)}TopicName`;
    const base = claim([root], [n, `Topic${n}`], (b) => [`${b}Topic`, `${b}Producer`, ...(parameterised ? [`${b}Parameters`, topicNameOf(b)] : [])], who, diagnostics);
    const producerPath = claimFile([`producers/${t.names.fileName}.producer.ts`], who);
    if (base === undefined || producerPath === undefined) continue;
    const ts: TopicSymbols = { topic: t, constant: sym(`${base}Topic`, F.TOPICS), member: t.names.memberName };
    if (parameterised) ts.parameters = { type: sym(`${base}Parameters`, F.TOPICS, 'type'), topicName: sym(topicNameOf(base), F.TOPICS) };
    if (t.produced.length > 0) ts.producer = sym(`${base}Producer`, producerPath);
    table.topics.push(ts);
  }
  table.index();

  const classes = new Scope('the class names of the tree');
  for (const g of catalog.groups) {
    const group = buildGroup(table, g, root, classes, claimFile, diagnostics);
    if (group !== undefined) table.groups.push(group);
  }
  return { table, diagnostics };
}

function buildGroup(
  table: SymbolTable,
  g: ConsumerGroup,
  root: Scope,
  classes: Scope,
  claimFile: (candidates: string[], who: Claimant) => string | undefined,
  diagnostics: Diagnostic[],
): GroupSymbols | undefined {
  const who = located(`consumer group "${g.groupId}"`, g.loc);
  const m = g.names.memberName;
  const namespace = claim([root], [m, `${m}Group`], (b) => [b], who, diagnostics);
  const dir = claimFile([`consumers/${g.names.fileName}`], who);
  if (namespace === undefined || dir === undefined) return undefined;
  const G = g.names.typeName;
  const index = `${dir}/index.ts`;
  const handlersFile = `${dir}/handlers.ts`;
  const scope = new Scope(`the namespace of group "${g.groupId}"`);
  // Inside the group's namespace the names need no group prefix: `paymentService.createConsumer()`.
  const fixed = {
    groupId: sym('GROUP_ID', index),
    handlers: sym('Handlers', index, 'type'),
    consumerOptions: sym('ConsumerOptions', index, 'type'),
    createConsumer: sym('createConsumer', index),
    createHandlers: sym('createHandlers', handlersFile),
    module: sym(`${G}EventsModule`, `${dir}/${g.names.fileName}.module.ts`),
  };
  const deprecated = {
    handlers: sym(`${G}Handlers`, index, 'type'),
    consumerOptions: sym(`${G}ConsumerOptions`, index, 'type'),
    createConsumer: sym(`create${G}Consumer`, index),
  };
  for (const s of [...Object.values(fixed), ...Object.values(deprecated)]) scope.reserve(s.name, `generated code (${s.from})`);
  classes.reserve(fixed.module.name, `consumer group "${g.groupId}"`);

  const events = new Map(table.events.map((e) => [e.event.type, e]));
  const subscriptions: SubscriptionSymbols[] = [];
  const stubs = new Map<string, StubSymbols>();
  for (const s of g.subscriptions) {
    const topic = table.topics.find((t) => t.topic.id === s.topic);
    const received = s.events.map((e) => events.get(e)).filter((e): e is EventSymbols => e !== undefined);
    if (topic === undefined || received.length === 0) continue;
    const T = topic.topic.names.typeName;
    const owner = located(`topic "${topic.topic.name}" of group "${g.groupId}"`, topic.topic.loc);
    const base = claim([scope], [T, `Topic${T}`], (b) => [`${b}TopicHandler`, `${b}EventHandlers`], owner, diagnostics);
    if (base === undefined) continue;
    const file = `${dir}/topics/${topic.topic.names.fileName}/${topic.topic.names.fileName}.topic-handler.ts`;
    const handled = new Set(received.map((e) => e.event.type));
    subscriptions.push({
      topic,
      events: received,
      ignored: topic.topic.events.filter((e) => !handled.has(e)),
      file,
      handlerClass: sym(`${base}TopicHandler`, file),
      eventHandlers: sym(`${base}EventHandlers`, file, 'type'),
    });
    for (const e of received) {
      const known = stubs.get(e.event.type);
      if (known !== undefined) {
        known.topics.push(topic);
        continue;
      }
      const E = e.type.name;
      const stubOwner = located(`the handler of "${e.event.type}" in group "${g.groupId}"`, e.event.loc);
      const cls = claim([scope, classes], [`${G}${E}`, `${G}${E}Event`], (b) => [`${b}Handler`], stubOwner, diagnostics);
      if (cls === undefined) continue;
      const stubPath = `${dir}/topics/${topic.topic.names.fileName}/events/${e.event.names.fileName}.event-handler.ts`;
      stubs.set(e.event.type, { event: e, home: topic, topics: [topic], file: stubPath, cls: sym(`${cls}Handler`, stubPath) });
    }
  }
  return { group: g, namespace, dir, index, handlersFile, ...fixed, deprecated, subscriptions, stubs: [...stubs.values()] };
}
