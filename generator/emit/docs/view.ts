/**
 * The docs view model: plain data (raw, unescaped catalog strings) built once from the Catalog and read by
 * both the Markdown and the HTML templates. Page paths are relative to the docs root, without extension
 * (`events/order-created`), with every segment percent-encoded.
 */
import type { EmitMemo } from '../memo.js';
import type { Catalog, ConsumerGroup, EventType, JsonValue, NamedSchema, Schema, Topic } from '../../model/types.js';
import type { SymbolTable } from '../../symbols/table.js';
import { urlSegment } from './escape.js';
import { synthesizeExample } from './example.js';
import * as facts from './facts.js';
import { fieldRows, type FieldRow } from './fields.js';

export const topicPage = (t: Topic): string => `topics/${urlSegment(t.names.fileName)}`;
export const eventPage = (e: EventType): string => `events/${urlSegment(e.names.fileName)}`;
export const groupPage = (g: ConsumerGroup): string => `groups/${urlSegment(g.names.fileName)}`;
export const schemaPage = (s: NamedSchema): string => `schemas/${urlSegment(s.fileName)}`;

export interface RowView {
  path: string;
  parent: string;
  name: string;
  depth: number;
  type: string;
  typePage?: string;
  required: boolean;
  constraints: string;
  description?: string;
  variant?: string;
  deprecated: boolean;
}

export interface LinkView {
  text: string;
  page: string;
}

export interface ExampleView {
  title: string;
  summary?: string;
  json: string;
  synthesised: boolean;
}

export interface EventView {
  type: string;
  page: string;
  heading?: string;
  description?: string;
  version: string;
  classification: string;
  compatibility: string;
  deprecated: boolean;
  key: string;
  typeName: string;
  schemaName: string;
  topics: LinkView[];
  producers: Array<{ topic: LinkView; producerClass: string; call: string }>;
  consumers: Array<{ group: LinkView; topic: LinkView; handlerClass: string }>;
  headers: RowView[];
  fields: RowView[];
  examples: ExampleView[];
  /** Shared schemas the payload uses. */
  schemas: LinkView[];
  /** The event gateway's route for it (`POST /events/...`), when the gateway is generated and publishes it. */
  http?: string;
}

export interface TopicView {
  name: string;
  page: string;
  heading?: string;
  description?: string;
  partitions: string;
  replicas: string;
  retention: string;
  cleanup: string;
  key: string;
  dlq: string;
  retry: string;
  config: Array<{ key: string; value: string }>;
  environments: Array<{ name: string; settings: string }>;
  events: Array<{ link: LinkView; version: string; key: string; produced: boolean; classification: string }>;
  producerClass?: string;
  consumers: Array<{ group: LinkView; events: LinkView[] }>;
}

export interface GroupView {
  groupId: string;
  page: string;
  description?: string;
  isDefault: boolean;
  operations: string;
  topics: LinkView[];
  eventCount: number;
  subscriptions: Array<{ topic: LinkView; events: Array<{ link: LinkView; handlerClass: string }> }>;
}

export interface SchemaView {
  name: string;
  page: string;
  typeName: string;
  description?: string;
  recursive: boolean;
  fields: RowView[];
  usedBy: LinkView[];
}

export interface CatalogView {
  title: string;
  version: string;
  description?: string;
  asyncapiVersion: string;
  source: string;
  sourcePath: string;
  servers: Array<{ id: string; host: string; protocol: string; description?: string }>;
  topics: TopicView[];
  events: EventView[];
  groups: GroupView[];
  schemas: SchemaView[];
  /** Present when the event gateway is generated: its OpenAPI document is `docs/openapi.json`. */
  gateway?: GatewayView;
  /** Present when the live fan-out is generated (`--with live`): its channels. */
  live?: LiveView;
  /** The catalog's choreography sagas (`x-sagas`), one page each; absent when there are none. */
  sagas?: SagaView[];
}

export interface SagaStepView {
  name: string;
  kind: 'step' | 'compensation';
  group: string;
  on: LinkView;
  emits: LinkView[];
  failure?: LinkView;
  description?: string;
}

export interface SagaView {
  name: string;
  page: string;
  description?: string;
  steps: SagaStepView[];
  compensations: SagaStepView[];
}

export interface LiveView {
  channels: Array<{ name: string; kind: 'event' | 'topic' | 'pattern'; description?: string; overflow: string; events: Array<LinkView & { classification: string }> }>;
  /** Events that are never sent to a client (`restricted`). */
  restricted: LinkView[];
}

export interface GatewayView {
  /** How many event types it publishes. */
  routes: number;
}

function rowViews(rows: readonly FieldRow[]): RowView[] {
  return rows.map((r) => {
    const v: RowView = {
      path: r.path,
      parent: r.parent,
      name: r.name,
      depth: Math.min(r.depth, 6),
      type: r.type.text,
      required: r.required,
      constraints: r.constraints.join('; '),
      deprecated: r.deprecated,
    };
    if (r.type.schema) v.typePage = schemaPage(r.type.schema);
    if (r.description !== undefined) v.description = r.description;
    if (r.variant !== undefined) v.variant = r.variant;
    return v;
  });
}

/** Shared schema ids reachable from a schema (through other shared schemas), memoised per named schema. */
function refsOf(schema: Schema, byId: ReadonlyMap<string, NamedSchema>, memo: Map<string, Set<string>>): Set<string> {
  const out = new Set<string>();
  const visit = (s: Schema): void => {
    switch (s.kind) {
      case 'ref': {
        if (out.has(s.target)) return;
        out.add(s.target);
        const cached = memo.get(s.target);
        if (cached) for (const c of cached) out.add(c);
        else {
          const named = byId.get(s.target);
          if (named) {
            memo.set(s.target, new Set()); // recursion guard while computing
            const inner = refsOf(named.schema, byId, memo);
            memo.set(s.target, inner);
            for (const c of inner) out.add(c);
          }
        }
        return;
      }
      case 'object':
        s.properties.forEach((p) => visit(p.schema));
        if (typeof s.additionalProperties === 'object') visit(s.additionalProperties);
        return;
      case 'array':
        return visit(s.items);
      case 'record':
        return visit(s.values);
      case 'tuple':
        s.items.forEach(visit);
        if (s.rest) visit(s.rest);
        return;
      case 'allOf':
      case 'union':
        return s.members.forEach(visit);
      default:
        return;
    }
  };
  visit(schema);
  return out;
}

/** `emitMemo` (`gen events --watch`): an event's view is the previous run's when its inputs are the same (`EmitMemo`). */
export function buildView(table: SymbolTable, emitMemo?: EmitMemo): CatalogView {
  const catalog = table.catalog;
  const byId = new Map(catalog.schemas.map((s) => [s.id, s]));
  const events = new Map(catalog.events.map((e) => [e.type, e]));
  const topics = new Map(catalog.topics.map((t) => [t.id, t]));
  // EventType.topics holds Kafka topic names (the model's doc says ids): accept either.
  const topicByRef = new Map([...catalog.topics.map((t) => [t.name, t] as const), ...catalog.topics.map((t) => [t.id, t] as const)]);
  const ctx = { schemas: byId };
  const memo = new Map<string, Set<string>>();
  const topicLink = (t: Topic): LinkView => ({ text: t.name, page: topicPage(t) });
  const eventLink = (e: EventType): LinkView => ({ text: e.type, page: eventPage(e) });
  const groupLink = (g: ConsumerGroup): LinkView => ({ text: g.groupId, page: groupPage(g) });
  const usedBy = new Map<string, LinkView[]>();
  let handlerClasses: Map<ConsumerGroup, Map<EventType, string>> | undefined;
  const handlerClass = (g: ConsumerGroup, e: EventType): string => {
    handlerClasses ??= new Map(table.groups.map((x) => [x.group, new Map(x.stubs.map((s) => [s.event.event, s.cls.name]))] as const));
    return handlerClasses.get(g)?.get(e) ?? '';
  };

  const eventViews = catalog.events.map((e): EventView => {
    const carried = e.topics.map((ref) => topicByRef.get(ref)).filter((t): t is Topic => t !== undefined);
    // The shared schemas an event's payload reaches: a function of its payload (the event's key) and of the shared
    // schemas (the global key), so the previous run's ids serve when both are the same.
    const ids = emitMemo ? emitMemo.units.get('docs-refs', e.type, emitMemo.event(e.type), () => [...refsOf(e.payload, byId, memo)]) : refsOf(e.payload, byId, memo);
    const refs = [...ids].map((id) => byId.get(id)).filter((s): s is NamedSchema => s !== undefined);
    for (const s of refs) {
      const list = usedBy.get(s.id) ?? [];
      list.push(eventLink(e));
      usedBy.set(s.id, list);
    }
    return emitMemo ? emitMemo.units.get('docs-view', e.type, emitMemo.event(e.type), () => eventView(e, carried, refs)) : eventView(e, carried, refs);
  });

  function eventView(e: EventType, carried: Topic[], refs: NamedSchema[]): EventView {
    const examples: ExampleView[] = e.examples.map((x, i) => {
      const ex: ExampleView = { title: x.name ?? (e.examples.length > 1 ? `Example ${i + 1}` : 'Example'), json: pretty(x.payload), synthesised: false };
      if (x.summary !== undefined) ex.summary = x.summary;
      return ex;
    });
    if (examples.length === 0) {
      const synthesised = synthesizeExample(e.payload, byId);
      if (synthesised !== undefined) examples.push({ title: 'Example (synthesised from the schema)', json: pretty(synthesised), synthesised: true });
    }
    const view: EventView = {
      type: e.type,
      page: eventPage(e),
      version: e.version,
      classification: e.classification,
      compatibility: e.compatibility,
      deprecated: e.deprecated,
      key: facts.keyText(e.key),
      typeName: table.event(e).type.name,
      schemaName: table.event(e).schema.name,
      topics: carried.map(topicLink),
      producers: carried
        .filter((t) => t.produced.includes(e.type))
        .map((t) => ({ topic: topicLink(t), producerClass: table.topic(t).producer?.name ?? '', call: `producers.${table.topic(t).member}.${table.event(e).member}(data)` })),
      consumers: catalog.groups.flatMap((g) =>
        g.subscriptions
          .filter((s) => s.events.includes(e.type))
          .map((s) => topics.get(s.topic))
          .filter((t): t is Topic => t !== undefined)
          .map((t) => ({ group: groupLink(g), topic: topicLink(t), handlerClass: handlerClass(g, e) })),
      ),
      headers: e.headers ? rowViews(fieldRows(e.headers, ctx)) : [],
      fields: rowViews(fieldRows(e.payload, ctx)),
      examples,
      schemas: refs.map((s) => ({ text: s.originalName, page: schemaPage(s) })),
    };
    const heading = facts.eventTitle(e);
    if (heading !== undefined) view.heading = heading;
    if (e.description !== undefined && e.description !== heading) view.description = e.description;
    return view;
  }

  // A topic's view reads the topic, its groups and its events' versions, keys and classifications; a group's, names only.
  const topicViews = catalog.topics.map((t) => (emitMemo ? emitMemo.units.get('docs-topic-view', t.id, emitMemo.events(t.events), () => topicView(t)) : topicView(t)));
  const groupViews = catalog.groups.map((g) => (emitMemo ? emitMemo.units.get('docs-group-view', g.groupId, emitMemo.global, () => groupView(g)) : groupView(g)));

  function topicView(t: Topic): TopicView {
    const view: TopicView = {
      name: t.name,
      page: topicPage(t),
      partitions: facts.countText(t.partitions),
      replicas: facts.countText(t.replicas),
      retention: facts.retentionText(t),
      cleanup: facts.cleanupText(t),
      key: facts.topicKeyText(t, events),
      dlq: facts.dlqText(t),
      retry: facts.retryText(t, catalog.groups),
      config: facts.configEntries(t.config).map(([key, value]) => ({ key, value })),
      environments: Object.keys(t.environments)
        .sort()
        .map((name) => {
          const env = t.environments[name] as Topic['environments'][string];
          const parts: string[] = [];
          if (env.partitions !== undefined) parts.push(`partitions ${env.partitions}`);
          if (env.replicas !== undefined) parts.push(`replicas ${env.replicas}`);
          for (const [k, v] of facts.configEntries(env.config)) parts.push(`${k} ${v}`);
          return { name, settings: parts.join(', ') };
        }),
      events: t.events
        .map((type) => events.get(type))
        .filter((e): e is EventType => e !== undefined)
        .map((e) => ({ link: eventLink(e), version: e.version, key: facts.keyText(e.key), produced: t.produced.includes(e.type), classification: e.classification })),
      consumers: facts.consumersOf(catalog, t.id).map((g) => ({
        group: groupLink(g),
        events: (g.subscriptions.find((s) => s.topic === t.id)?.events ?? []).map((type) => events.get(type)).filter((e): e is EventType => e !== undefined).map(eventLink),
      })),
    };
    const producer = table.topic(t).producer;
    if (producer !== undefined) view.producerClass = producer.name;
    if (t.title !== undefined && t.title !== t.name) view.heading = t.title;
    if (t.description !== undefined) view.description = t.description;
    return view;
  }

  function groupView(g: ConsumerGroup): GroupView {
    const subscriptions = g.subscriptions
      .map((s) => ({ t: topics.get(s.topic), events: s.events }))
      .filter((s): s is { t: Topic; events: string[] } => s.t !== undefined)
      .map((s) => ({
        topic: topicLink(s.t),
        events: s.events
          .map((type) => events.get(type))
          .filter((e): e is EventType => e !== undefined)
          .map((e) => ({ link: eventLink(e), handlerClass: handlerClass(g, e) })),
      }));
    const view: GroupView = {
      groupId: g.groupId,
      page: groupPage(g),
      isDefault: g.isDefault,
      operations: g.operations.join(', '),
      topics: subscriptions.map((s) => s.topic),
      eventCount: subscriptions.reduce((n, s) => n + s.events.length, 0),
      subscriptions,
    };
    if (g.description !== undefined) view.description = g.description;
    return view;
  }

  const schemaViews = catalog.schemas.map((s): SchemaView => {
    const view: SchemaView = {
      name: s.originalName,
      page: schemaPage(s),
      typeName: s.typeName,
      recursive: s.recursive,
      fields: rowViews(fieldRows(s.schema, ctx)),
      usedBy: usedBy.get(s.id) ?? [],
    };
    const description = s.schema.description ?? s.schema.title;
    if (description !== undefined) view.description = description;
    return view;
  });

  const view: CatalogView = {
    title: catalog.title,
    version: catalog.version,
    asyncapiVersion: catalog.asyncapiVersion,
    source: catalog.source,
    sourcePath: catalog.sourcePath,
    servers: catalog.servers.map((s) => ({ id: s.id, host: s.host, protocol: s.protocol, ...(s.description !== undefined ? { description: s.description } : {}) })),
    topics: topicViews,
    events: eventViews,
    groups: groupViews,
    schemas: schemaViews,
  };
  if (catalog.description !== undefined) view.description = catalog.description;
  return view;
}

function pretty(v: JsonValue): string {
  return JSON.stringify(v, null, 2);
}
