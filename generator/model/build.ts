/**
 * `buildCatalog`: the pure function from the loaded catalog files to the `Catalog` model.
 * Reads AsyncAPI 2.6/3.x structure, Kafka bindings and eventgen extensions; normalises schemas;
 * decides every name; reports every problem as a located diagnostic.
 */
import type { LoadedCatalog } from '../load/index.js';
import { isRecord, ModelContext, type At } from './context.js';
import { sensitiveFields } from './sensitive-fields.js';
import { bindingString, checkDeadLetterTopics, DEFAULT_RETRY, readClassification, readCompatibility, readDeadLetter, readDeadLetterDefaults, readEnvironments, readLive, readPriority, readOperationRetryTopics, readRetry, readRetryTopics, readVersion, RETRY_TOPIC_KEYS, retryTopicsFor, topicName } from './extensions.js';
import { readAddressSlash, topicForAddress, type AddressOptions } from './addresses.js';
import { checkSomethingToGenerate } from './coverage.js';
import { checkParameters, readParameters, templateParameters } from './parameters.js';
import { readTopicConfig } from './topic-config.js';
import { checkPartitionKey, readPartitionKey } from './partition-key.js';
import { nameEverything } from './names.js';
import { reportUnguardedCycles, resolveInheritanceCycles } from './schema-cycles.js';
import { pinnedString } from './senders.js';
import { readPayload, SchemaRegistry } from './payloads.js';
import { readStructure, type RawChannel } from './structure.js';
import type { Catalog, ConsumerGroup, KafkaClientName, Diagnostic, EventExample, EventType, JsonValue, RetryTopicsSpec, ServerInfo, SourceLocation, Topic } from './types.js';
import { kebabCase } from './naming.js';
import { readLegacy, readPreviousVersions } from './legacy.js';
import { exampleProblem } from './validate.js';
import { readSagas } from './sagas.js';
import { checkCodec, readCodec } from './codec.js';

const KAFKA_PROTOCOLS = new Set(['kafka', 'kafka-secure']);
const X_EVENTGEN_KEYS = ['source', 'defaultGroup', 'retry', 'deadLetter', 'addressSlash', 'kafkaClient'];
const KAFKA_CLIENTS = ['kafkajs', 'platformatic'] as const;

export interface BuildOptions {
  /** Catalog path as shown in banners (relative, forward slashes). */
  sourcePath: string;
  /** `gen events --watch`: reuse what reading an unchanged message definition gave in an earlier run (`EventRead`). */
  incremental?: boolean;
}

/**
 * `gen events --watch`: what reading one message definition gave (the event before the catalog-wide passes, the
 * diagnostics it reported, the `$ref` targets it registered), by the identity of the message's data. After a spliced
 * edit (`load/source.ts`) every message but the edited ones is the same object, and everything else in the catalog is
 * too unless the edit reached it; a read is reused only when all of that is the same (`context`) and the message sits
 * where it did (its diagnostics are located). Avro and other schema formats, and messages that point into other
 * messages, are always read again.
 */
interface EventRead {
  context: readonly unknown[];
  mid: string;
  key: string;
  loc: SourceLocation;
  event: EventType;
  diagnostics: Diagnostic[];
  refs: Array<{ file: string; pointer: string }>;
  /**
   * What the catalog-wide pass found for this payload (sensitive fields, each example's problem), when the payload was
   * not replaced by an inlined shared schema: it reads the payload and the shared schemas it reaches, whose definitions
   * are in `context`.
   */
  checks?: { sensitive: string[]; problems: Array<string | undefined> };
}
const eventReads = new WeakMap<object, EventRead>();

/** The data a message's reading may depend on besides the message itself, as identities (see `EventRead`). */
function readContext(loaded: LoadedCatalog): unknown[] {
  const out: unknown[] = [loaded.lenient === true];
  const main = loaded.main.data;
  if (isRecord(main)) {
    for (const [k, v] of Object.entries(main)) {
      if (k !== 'components' || !isRecord(v)) out.push(k, v);
      else for (const [ck, cv] of Object.entries(v)) out.push(`components.${ck}`, ck === 'messages' ? undefined : cv);
    }
  } else out.push(main);
  for (const f of new Set(loaded.files.values())) if (f !== loaded.main) out.push(f.absPath, f.data);
  return out;
}

const sameList = (a: readonly unknown[], b: readonly unknown[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** A message that can be read once and reused: JSON Schema payload, no `$ref` into another message. */
function reusable(raw: Record<string, unknown>): boolean {
  if (raw.schemaFormat !== undefined || (isRecord(raw.payload) && raw.payload.schemaFormat !== undefined)) return false;
  const stack: unknown[] = [raw];
  while (stack.length) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null) continue;
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && /^#\/components\/messages\//.test(v)) return false;
      if (typeof v === 'object' && v !== null) stack.push(v);
    }
  }
  return true;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v : undefined);

/** `x-eventgen.kafkaClient`: the Kafka client generated services use unless `KAFKA_CLIENT` says otherwise. */
function readKafkaClient(ctx: ModelContext, at: At): KafkaClientName | undefined {
  const raw = ctx.read(at);
  if (raw === undefined) return undefined;
  if (typeof raw === 'string' && (KAFKA_CLIENTS as readonly string[]).includes(raw)) return raw as KafkaClientName;
  ctx.report('error', 'extension-invalid', `x-eventgen.kafkaClient must be one of ${KAFKA_CLIENTS.map((s) => JSON.stringify(s)).join(', ')}, got ${JSON.stringify(raw)}`, at);
  return undefined;
}

export function buildCatalog(loaded: LoadedCatalog, options: BuildOptions): { catalog?: Catalog; diagnostics: Diagnostic[] } {
  const ctx = new ModelContext(loaded);
  const root = loaded.main.data;
  if (!isRecord(root)) {
    ctx.report('error', 'asyncapi-schema', 'the catalog must be a YAML/JSON object', ctx.main);
    return { diagnostics: ctx.diagnostics };
  }
  const asyncapi = String(root.asyncapi ?? '');
  // One model for 2.0-2.6 and 3.0-3.1 (`structure.ts` reads both shapes; traits are applied by the loader).
  const major = /^3\.[01]\.\d+$/.test(asyncapi) ? 3 : /^2\.[0-6]\.\d+$/.test(asyncapi) ? 2 : undefined;
  if (!major) {
    ctx.report('error', 'asyncapi-version', `AsyncAPI ${asyncapi || '(missing)'} is not supported: use 2.0-2.6 or 3.0-3.1`, ctx.child(ctx.main, 'asyncapi'));
    return { diagnostics: ctx.diagnostics };
  }
  const info = isRecord(root.info) ? root.info : {};
  const title = str(info.title) ?? 'events';

  // Catalog-wide eventgen settings.
  const extAt = ctx.child(ctx.main, 'x-eventgen');
  const ext = ctx.read(extAt);
  if (ext !== undefined && !isRecord(ext)) ctx.report('error', 'extension-invalid', 'x-eventgen must be an object', extAt);
  const extObj = isRecord(ext) ? ext : {};
  for (const key of Object.keys(extObj)) {
    if (!X_EVENTGEN_KEYS.includes(key)) {
      ctx.report('error', 'extension-invalid', `x-eventgen: unknown property "${key}" (allowed: ${X_EVENTGEN_KEYS.join(', ')})`, ctx.child(extAt, key));
    }
  }
  const source = str(extObj.source) ?? (kebabCase(title) || 'events');
  const defaultGroup = str(extObj.defaultGroup) ?? (kebabCase(title) || 'events');
  const retryDefault = readRetry(ctx, ctx.child(extAt, 'retry'), DEFAULT_RETRY, RETRY_TOPIC_KEYS);
  // x-eventgen.retry with mode: topics: the default of every channel whose own x-retry sets no mode.
  const retryTopicsDefault = readRetryTopics(ctx, ctx.child(extAt, 'retry'), false);
  const dlqDefaults = readDeadLetterDefaults(ctx, ctx.child(extAt, 'deadLetter'));
  const lenient = loaded.lenient === true;
  const addressSlash = readAddressSlash(ctx, ctx.child(extAt, 'addressSlash'));
  const addressOptions: AddressOptions = addressSlash ? { slash: addressSlash, lenient } : { lenient };
  const kafkaClient = readKafkaClient(ctx, ctx.child(extAt, 'kafkaClient'));

  // Servers: Kafka only; other protocols are named precisely.
  const servers: ServerInfo[] = [];
  const nonKafka = new Set<string>();
  const serversAt = ctx.child(ctx.main, 'servers');
  for (const id of Object.keys(isRecord(root.servers) ? root.servers : {})) {
    const s = ctx.deref(ctx.child(serversAt, id));
    if (!s || !isRecord(s.value)) continue;
    const protocol = String(s.value.protocol ?? '');
    const host = str(s.value.host) ?? str(s.value.url) ?? '';
    const server: ServerInfo = { id, host, protocol };
    const d = str(s.value.description);
    if (d) server.description = d;
    servers.push(server);
    if (!KAFKA_PROTOCOLS.has(protocol)) nonKafka.add(id);
  }
  if (servers.length > 0 && nonKafka.size === servers.length) {
    const first = servers[0];
    ctx.report(
      'error',
      'unsupported-protocol',
      `no Kafka server: "${first?.id}" uses protocol "${first?.protocol}"; eventgen generates Kafka code only (protocol kafka or kafka-secure)`,
      ctx.child(serversAt, first?.id ?? '', 'protocol'),
    );
    return { diagnostics: ctx.diagnostics };
  }
  for (const id of [...nonKafka].sort()) {
    const s = servers.find((x) => x.id === id);
    ctx.report('warning', 'unsupported-protocol', `server "${id}" uses protocol "${s?.protocol}": ignored (Kafka only)`, ctx.child(serversAt, id, 'protocol'));
  }

  const structure = readStructure(ctx, root, major);
  const kafkaChannels: RawChannel[] = [];
  for (const ch of structure.channels) {
    if (ch.servers && ch.servers.length && ch.servers.every((s) => nonKafka.has(s))) {
      ctx.report('warning', 'unsupported-protocol', `channel "${ch.id}" is only on non-Kafka servers (${ch.servers.join(', ')}): skipped`, ch.at);
      continue;
    }
    const bindings = ctx.deref(ctx.child(ch.at, 'bindings'));
    if (bindings && isRecord(bindings.value)) {
      const kinds = Object.keys(bindings.value).filter((k) => k !== 'kafka');
      if (bindings.value.kafka === undefined && kinds.length) {
        if (lenient) ctx.report('warning', 'unsupported-protocol', `channel "${ch.id}" has ${kinds.join('/')} bindings but no kafka binding: read as a channel of another broker and skipped (--lenient)`, bindings.at);
        else ctx.report('error', 'unsupported-protocol', `channel "${ch.id}" has ${kinds.join('/')} bindings but no kafka binding; eventgen generates Kafka code only (--lenient skips such channels)`, bindings.at);
        continue;
      }
    }
    kafkaChannels.push(ch);
  }

  // Events: one per distinct message definition; the event type string is the identity on the wire.
  const registry = new SchemaRegistry(ctx);
  const context = options.incremental ? readContext(loaded) : undefined;
  /** This build's reads (reused or new) by event, when they are kept for the next build. */
  const readOf = new Map<EventType, EventRead>();
  const events = new Map<string, EventType>();
  const eventByMessage = new Map<string, EventType>();
  const eventAt = new Map<EventType, At>();
  const eventFor = (m: { at: At; key: string }): EventType | undefined => {
    const mid = ctx.idOf(m.at);
    const known = eventByMessage.get(mid);
    if (known) return known;
    const raw = ctx.read(m.at);
    if (!isRecord(raw)) return undefined;
    const explicitType = ctx.read(ctx.child(m.at, 'x-event-type'));
    if (explicitType !== undefined && !str(explicitType)) ctx.report('error', 'extension-invalid', 'x-event-type must be a non-empty string', ctx.child(m.at, 'x-event-type'));
    const type = str(explicitType) ?? str(raw.name) ?? m.key;
    const dup = events.get(type);
    if (dup) {
      const first = dup.loc ? `${dup.loc.file}:${dup.loc.line}:${dup.loc.column}` : 'elsewhere';
      ctx.report('error', 'event-type-duplicate', `event type "${type}" is defined twice (first at ${first}); reference one message definition instead`, m.at);
      eventByMessage.set(mid, dup);
      return dup;
    }
    const loc = ctx.loc(m.at);
    const reuse = context ? eventReads.get(raw) : undefined;
    if (reuse && context && reuse.mid === mid && reuse.key === m.key && reuse.loc.line === loc.line && reuse.loc.column === loc.column && reuse.loc.file === loc.file && sameList(reuse.context, context)) {
      const event: EventType = { ...reuse.event, topics: [], names: { typeName: '', schemaName: '', fileName: '', memberName: '', handlerClass: '', definitionName: '' } };
      ctx.diagnostics.push(...reuse.diagnostics);
      registry.replay(reuse.refs);
      readOf.set(event, reuse);
      events.set(type, event);
      eventByMessage.set(mid, event);
      eventAt.set(event, m.at);
      return event;
    }
    const from = ctx.diagnostics.length;
    if (context) registry.recording = [];
    const payload = readPayload(ctx, registry, m.at);
    const examples: EventExample[] = [];
    if (Array.isArray(raw.examples)) {
      for (const ex of raw.examples) {
        if (!isRecord(ex)) continue;
        const e: EventExample = { payload: (ex.payload ?? null) as JsonValue };
        if (str(ex.name)) e.name = String(ex.name);
        if (str(ex.summary)) e.summary = String(ex.summary);
        if (ex.headers !== undefined) e.headers = ex.headers as JsonValue;
        examples.push(e);
      }
    }
    const event: EventType = {
      type,
      messageId: m.key,
      version: readVersion(ctx, ctx.child(m.at, 'x-event-version')),
      classification: readClassification(ctx, ctx.child(m.at, 'x-data-classification')),
      key: readPartitionKey(ctx, m.at),
      payload,
      examples,
      deprecated: raw.deprecated === true,
      compatibility: readCompatibility(ctx, ctx.child(m.at, 'x-compatibility')),
      topics: [],
      names: { typeName: '', schemaName: '', fileName: '', memberName: '', handlerClass: '', definitionName: '' },
      loc,
    };
    for (const k of ['title', 'summary', 'description'] as const) {
      const v = str(raw[k]);
      if (v) event[k] = v;
    }
    const previousVersions = readPreviousVersions(ctx, ctx.child(m.at, 'x-previous-versions'), event.version);
    if (previousVersions !== undefined) event.previousVersions = previousVersions;
    const priority = readPriority(ctx, ctx.child(m.at, 'x-priority'));
    if (priority !== undefined) event.priority = priority;
    const codec = readCodec(ctx, ctx.child(m.at, 'x-codec'));
    if (codec === 'json-schema') event.codec = codec;
    const live = readLive(ctx, ctx.child(m.at, 'x-live'));
    if (live !== undefined) event.live = live;
    const headers = ctx.read(ctx.child(m.at, 'headers'));
    if (headers !== undefined) event.headers = registry.normalize(ctx.child(m.at, 'headers'));
    if (context) {
      const refs = registry.recording ?? [];
      registry.recording = undefined;
      // A copy: the catalog-wide passes below set this event's topics, names, payload and sensitive fields.
      if (reusable(raw)) {
        const read: EventRead = { context, mid, key: m.key, loc, event: { ...event, topics: [] }, diagnostics: ctx.diagnostics.slice(from), refs };
        eventReads.set(raw, read);
        readOf.set(event, read);
      }
    }
    events.set(type, event);
    eventByMessage.set(mid, event);
    eventAt.set(event, m.at);
    return event;
  };

  // Topics.
  const topics: Topic[] = [];
  const topicByChannel = new Map<string, Topic>();
  const topicAt = new Map<Topic, At>();
  for (const ch of kafkaChannels) {
    const kafkaAt = ctx.child(ch.at, 'bindings', 'kafka');
    const kb = ctx.deref(kafkaAt);
    const binding = kb && isRecord(kb.value) ? kb.value : {};
    const bAt = kb?.at ?? kafkaAt;
    const nameAt = binding.topic !== undefined ? ctx.child(bAt, 'topic') : ch.address !== undefined ? ctx.child(ch.at, 'address') : ch.at;
    const name = binding.topic !== undefined ? topicName(ctx, binding.topic, nameAt) : topicForAddress(ctx, ch.address ?? ch.id, nameAt, addressOptions);
    if (!name) continue;
    const raw = ctx.read(ch.at);
    const chObj = isRecord(raw) ? raw : {};
    const topic: Topic = {
      id: ch.id,
      name,
      config: readTopicConfig(ctx, ctx.child(bAt, 'topicConfiguration')),
      events: [],
      produced: [],
      retry: readRetry(ctx, ctx.child(ch.at, 'x-retry'), retryDefault, RETRY_TOPIC_KEYS),
      deadLetter: readDeadLetter(ctx, ctx.child(ch.at, 'x-dead-letter'), dlqDefaults, name),
      environments: readEnvironments(ctx, ctx.child(ch.at, 'x-environments')),
      names: { typeName: '', fileName: '', memberName: '', producerClass: '', topicHandlerClass: '' },
      loc: ctx.loc(ch.at),
    };
    const partitions = binding.partitions === undefined ? undefined : positive(ctx, binding.partitions, ctx.child(bAt, 'partitions'), 'partitions');
    if (partitions !== undefined) topic.partitions = partitions;
    const replicas = binding.replicas === undefined ? undefined : positive(ctx, binding.replicas, ctx.child(bAt, 'replicas'), 'replicas');
    if (replicas !== undefined) topic.replicas = replicas;
    for (const k of ['title', 'description'] as const) {
      const v = str(chObj[k]) ?? (k === 'description' ? str(chObj.summary) : undefined);
      if (v) topic[k] = v;
    }
    if (templateParameters(name).length) {
      topic.parameters = readParameters(ctx, ch.at, name, nameAt);
      checkParameters(ctx, topic, ch.at);
    }
    const ownRetry = ctx.read(ctx.child(ch.at, 'x-retry'));
    const ownMode = isRecord(ownRetry) && ownRetry.mode !== undefined;
    // A channel's own mode wins; a parameterised channel does not inherit the root's retry topics (not supported there yet).
    const retryTopics = readRetryTopics(ctx, ctx.child(ch.at, 'x-retry'), topic.parameters !== undefined) ?? (ownMode || topic.parameters !== undefined ? undefined : retryTopicsDefault);
    if (retryTopics !== undefined) topic.retryTopics = retryTopics;
    if (topics.some((t) => t.name === name)) {
      ctx.report('error', 'topic-duplicate', `Kafka topic "${name}" is declared by two channels; declare it once`, nameAt);
      continue;
    }
    for (const m of ch.messages) {
      const e = eventFor(m);
      if (e && !topic.events.includes(e.type)) {
        topic.events.push(e.type);
        e.topics.push(name);
      }
    }
    const legacy = readLegacy(ctx, ctx.child(ch.at, 'x-legacy'), topic.events);
    if (legacy !== undefined) topic.legacy = legacy;
    if (topic.retryTopics !== undefined) {
      const keyed = topic.events.filter((type) => [...events.values()].some((e) => e.type === type && e.key.kind !== 'none'));
      if (keyed.length > 0) {
        ctx.report('warning', 'retry-topics-ordering', `channel "${ch.id}" uses x-retry mode: topics on keyed events (${keyed.join(', ')}): a record that is retried is handled after later records of the same key (per-key order is not kept for retried records; see docs/catalog.md)`, ctx.child(ch.at, 'x-retry'));
      }
    }
    if (topic.events.length === 0) ctx.report('warning', 'channel-no-messages', `channel "${ch.id}" declares no messages: no code is generated for it`, ch.at);
    topics.push(topic);
    topicByChannel.set(ch.id, topic);
    topicAt.set(topic, ch.at);
  }

  checkDeadLetterTopics(ctx, topics, (t) => topicAt.get(t) ?? ctx.main);

  // Producers and consumer groups from operations.
  const groups = new Map<string, ConsumerGroup>();
  const subscribe = (groupId: string, isDefault: boolean, topic: Topic, evts: string[], opId: string | undefined, at: At, retryTopics?: RetryTopicsSpec | null): void => {
    let g = groups.get(groupId);
    if (!g) {
      g = { groupId, isDefault, subscriptions: [], operations: [], names: { typeName: '', fileName: '', memberName: '' }, loc: ctx.loc(at) };
      groups.set(groupId, g);
    }
    if (opId && !g.operations.includes(opId)) g.operations.push(opId);
    let sub = g.subscriptions.find((s) => s.topic === topic.id);
    if (!sub) {
      sub = { topic: topic.id, events: [] };
      g.subscriptions.push(sub);
    }
    for (const e of evts) if (!sub.events.includes(e)) sub.events.push(e);
    if (retryTopics !== undefined) {
      if (sub.retryTopics !== undefined && JSON.stringify(sub.retryTopics) !== JSON.stringify(retryTopics)) {
        ctx.report('error', 'extension-invalid', `group "${groupId}" receives channel "${topic.id}" through several operations with different x-retry settings; declare them once`, ctx.child(at, 'x-retry'));
      } else sub.retryTopics = retryTopics;
    }
  };
  /** A receive operation's `x-retry`: its group's own retry topics on the channel (warned like a channel's when keyed). */
  const groupRetryTopics = (opAt: At, topic: Topic): RetryTopicsSpec | null | undefined => {
    const spec = readOperationRetryTopics(ctx, ctx.child(opAt, 'x-retry'), topic.parameters !== undefined);
    if (spec && topic.retryTopics === undefined) {
      const keyed = topic.events.filter((type) => [...events.values()].some((e) => e.type === type && e.key.kind !== 'none'));
      if (keyed.length > 0) ctx.report('warning', 'retry-topics-ordering', `an operation on channel "${topic.id}" uses x-retry mode: topics on keyed events (${keyed.join(', ')}): a record that is retried is handled after later records of the same key (per-key order is not kept for retried records; see docs/catalog.md)`, ctx.child(opAt, 'x-retry'));
    }
    return spec;
  };
  /** A receive operation's `x-exactly-once` (boolean): true makes its group exactly-once; an explicit false contradicts a true elsewhere. */
  const exactlyOnceAt = new Map<string, { on?: At; off?: At }>();
  const exactlyOnceOf = (groupId: string, opAt: At): void => {
    const at = ctx.child(opAt, 'x-exactly-once');
    const raw = ctx.read(at);
    if (raw === undefined) return;
    if (typeof raw !== 'boolean') {
      ctx.report('error', 'extension-invalid', `x-exactly-once must be true or false, got ${JSON.stringify(raw)}`, at);
      return;
    }
    const seen = exactlyOnceAt.get(groupId) ?? {};
    if (raw) seen.on ??= at;
    else seen.off ??= at;
    exactlyOnceAt.set(groupId, seen);
    if (seen.on !== undefined && seen.off !== undefined) ctx.report('error', 'extension-invalid', `group "${groupId}" is declared exactly-once by one receive operation and not by another (x-exactly-once: false); a group is exactly-once as a whole`, raw ? at : seen.off);
    const g = groups.get(groupId);
    if (raw && g !== undefined) g.exactlyOnce = true;
  };
  const opsOnKafka = structure.operations.filter((o) => topicByChannel.has(o.channelId));
  if (structure.operations.length === 0) {
    // An organisation-wide catalog: every channel produced, one default group receives everything.
    for (const t of topics) {
      t.produced = [...t.events];
      if (t.events.length) subscribe(defaultGroup, true, t, t.events, undefined, ctx.main);
    }
  }
  for (const op of opsOnKafka) {
    const topic = topicByChannel.get(op.channelId);
    if (!topic) continue;
    let evts = topic.events;
    if (op.messages) {
      evts = [];
      for (const m of op.messages) {
        const e = eventByMessage.get(ctx.idOf(m.at));
        if (!e || !topic.events.includes(e.type)) {
          ctx.report('error', 'operation-message', `operation "${op.id}" lists a message that channel "${op.channelId}" does not carry`, m.at);
        } else evts.push(e.type);
      }
    }
    if (op.action === 'send') {
      if (ctx.read(ctx.child(op.at, 'x-exactly-once')) !== undefined) ctx.report('error', 'extension-invalid', 'x-exactly-once belongs on a receive operation (the consuming group commits its outputs with its offsets)', ctx.child(op.at, 'x-exactly-once'));
      if (ctx.read(ctx.child(op.at, 'x-retry')) !== undefined) ctx.report('error', 'extension-invalid', 'x-retry belongs on a receive operation (retries are the consuming group\'s) or on the channel', ctx.child(op.at, 'x-retry'));
      for (const e of evts) if (!topic.produced.includes(e)) topic.produced.push(e);
      const clientId = op.kafkaBindingAt ? pinnedString(ctx.read(ctx.child(op.kafkaBindingAt, 'clientId'))) : undefined;
      (topic.senders ??= []).push({ operation: op.id, events: evts, ...(clientId ? { clientId } : {}) });
      continue;
    }
    const groupId = op.kafkaBindingAt ? bindingString(ctx, ctx.child(op.kafkaBindingAt, 'groupId'), 'groupId', 'group-id-invalid') : undefined;
    subscribe(groupId ?? defaultGroup, !groupId, topic, evts, op.id, op.at, groupRetryTopics(op.at, topic));
    exactlyOnceOf(groupId ?? defaultGroup, op.at);
  }
  checkExactlyOnce(ctx, [...groups.values()], topics, exactlyOnceAt);
  for (const t of topics) t.produced = t.events.filter((e) => t.produced.includes(e));
  if (structure.operations.length > 0) {
    const used = new Set(structure.operations.map((o) => o.channelId));
    for (const ch of kafkaChannels) {
      if (!used.has(ch.id) && topicByChannel.has(ch.id)) {
        ctx.report('warning', 'channel-unused', `channel "${ch.id}" is used by no operation: no producer or consumer is generated for it`, ch.at);
      }
    }
  }
  for (const g of groups.values()) {
    g.subscriptions.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
    for (const s of g.subscriptions) {
      const order = topicByChannel.get(s.topic)?.events ?? [];
      s.events.sort((a, b) => order.indexOf(a) - order.indexOf(b));
    }
  }

  checkSomethingToGenerate(ctx, topics, [...groups.values()], ctx.child(ctx.main, 'channels'), structure.operations.length > 0);

  registry.drain();
  const eventList = [...events.values()];
  for (const t of topics) {
    const policy = t.config['cleanup.policy'];
    const compacted = Array.isArray(policy) ? policy.includes('compact') : typeof policy === 'string' && policy.includes('compact');
    const unkeyed = t.events.filter((e) => events.get(e)?.key.kind === 'none');
    if (compacted && unkeyed.length) {
      ctx.report('warning', 'topic-compaction-key', `topic "${t.name}" is compacted but ${unkeyed.join(', ')} has no partition key: compaction keeps the latest record per key, so unkeyed records are removed`, topicAt.get(t) ?? ctx.main);
    }
    const isr = t.config['min.insync.replicas'];
    if (typeof isr === 'number' && t.replicas !== undefined && isr > t.replicas) {
      ctx.report('error', 'topic-config-invalid', `min.insync.replicas (${isr}) is greater than replicas (${t.replicas}): no write with acks=all could succeed`, topicAt.get(t) ?? ctx.main);
    }
  }
  for (const e of eventList) {
    e.topics.sort();
    const at = eventAt.get(e);
    if (at) checkPartitionKey(ctx, registry, e, at);
  }

  const catalog: Catalog = {
    sourcePath: options.sourcePath,
    asyncapiVersion: asyncapi,
    title,
    version: str(info.version) ?? '0.0.0',
    source,
    servers,
    topics,
    events: eventList,
    schemas: [],
    groups: [...groups.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0)),
    diagnostics: ctx.diagnostics,
  };
  if (kafkaClient !== undefined) catalog.kafkaClient = kafkaClient;
  const description = str(info.description);
  if (description) catalog.description = description;
  const sagas = readSagas(ctx, ctx.child(ctx.main, 'x-sagas'), { events, topics, groups: catalog.groups });
  if (sagas.length > 0) catalog.sagas = sagas;
  registry.finish(catalog);
  const named = new Map(catalog.schemas.map((n) => [n.id, n]));
  for (const e of catalog.events) {
    const read = readOf.get(e);
    const own = read !== undefined && read.event.payload === e.payload;
    const checks = (own ? read.checks : undefined) ?? { sensitive: sensitiveFields(e.payload, named), problems: e.examples.map((ex) => exampleProblem(e.payload, ex.payload, named)) };
    if (own) read.checks = checks;
    if (checks.sensitive.length > 0) e.sensitiveFields = checks.sensitive;
    const at = eventAt.get(e);
    if (at) checkCodec(ctx, e, at);
    e.examples.forEach((ex, i) => {
      const problem = checks.problems[i];
      if (problem && at) ctx.report('warning', 'example-invalid', `example ${ex.name ? `"${ex.name}" ` : ''}of ${e.type} does not match the payload schema: ${problem}`, ctx.child(at, 'examples', i, 'payload'));
    });
  }
  resolveInheritanceCycles(catalog.schemas, ctx.diagnostics);
  reportUnguardedCycles(catalog.schemas, ctx.diagnostics);
  nameEverything(ctx, catalog, eventAt);
  if (ctx.diagnostics.some((d) => d.severity === 'error')) return { diagnostics: ctx.diagnostics };
  return { catalog, diagnostics: ctx.diagnostics };
}

function positive(ctx: ModelContext, v: unknown, at: At, what: string): number | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    ctx.report('error', 'topic-config-invalid', `${what} must be a positive integer, got ${JSON.stringify(v)}`, at);
    return undefined;
  }
  return v;
}

/**
 * Exactly-once groups: retry topics are refused (the move to a retry topic and the offset would need the same
 * transaction, and the retry record is consumed again by the group; retries of exactly-once groups happen in place).
 */
function checkExactlyOnce(ctx: ModelContext, groups: readonly ConsumerGroup[], topics: readonly Topic[], declared: ReadonlyMap<string, { on?: At; off?: At }>): void {
  for (const g of groups) {
    if (g.exactlyOnce !== true) continue;
    const at = declared.get(g.groupId)?.on;
    for (const s of g.subscriptions) {
      const topic = topics.find((t) => t.id === s.topic);
      if (topic !== undefined && retryTopicsFor(topic, g) !== undefined) {
        ctx.report('error', 'extension-invalid', `group "${g.groupId}" is exactly-once (x-exactly-once: true) but channel "${topic.id}" uses retry topics (x-retry mode: topics) for it: exactly-once groups retry in place; set x-retry: { mode: in-process } on the receive operation`, at ?? ctx.main);
      }
    }
  }
}

