/**
 * The gateway's OpenAPI 3.1 document: the HTTP contract the generated gateway (templates/gateway) implements, with
 * the catalog's event payloads as JSON Schema 2020-12 components (`json-schema.ts`). Served at `/openapi.json` and
 * written to `gateway/openapi.json` (and `docs/openapi.json` next to the docs).
 *
 * Catalog strings are untrusted. They only become JSON string values, except where OpenAPI makes them keys:
 * payload property names (`properties`) and event types (`discriminator.mapping`), both defined as own properties
 * (`record`), so a key `__proto__` stays a key. Paths are `/events/` + the percent-encoded event type, component
 * names are the symbol table's type names restricted to OpenAPI's `^[a-zA-Z0-9._-]+$`, tag names are topic names:
 * none of them can collide with the document's own structure. Output is deterministic.
 */
import { collectRefs } from '../../model/schema-graph.js';
import type { EventType } from '../../model/types.js';
import type { SymbolTable } from '../../symbols/table.js';
import { jsonBannerComment } from '../../write/banner.js';
import { mdCode } from '../docs/escape.js';
import type { EmitMemo } from '../memo.js';
import type { EmitOptions, GeneratedFile } from '../types.js';
import { cloneJson, record, toJsonSchema, type JsonSchema, type JsonSchemaContext } from './json-schema.js';
import { PRIORITIES } from '../../model/extensions.js';
import type { EventPriority } from '../../model/types.js';
import type { GatewayRoute } from './routes.js';

/** The document the gateway module serves. */
export const GATEWAY_OPENAPI_FILE = 'gateway/openapi.json';
/** The copy next to the docs (`docs/README.md` and the site link it). */
export const DOCS_OPENAPI_FILE = 'docs/openapi.json';
/** Top-level key carrying the managed-file banner (JSON has no comments; OpenAPI allows `x-` keys only). */
export const OPENAPI_BANNER_KEY = 'x-generated';
/** Most events in one `POST /events:batch` (the gateway's default `maxBatchItems`). */
export const MAX_BATCH_EVENTS = 500;

const STATUSES = ['PENDING', 'PROCESSING', 'RETRYING', 'PROCESSED', 'FAILED', 'DEAD_LETTERED'] as const;
const SOURCE_PATTERN = '^[A-Za-z0-9._:/-]{1,128}$';
const MAX_ID = 255;
const MAX_KEY = 1024;

/** Tags of the fixed operations (with spaces: never a Kafka topic name, the tags of the typed routes). */
const TAG_UNTYPED = 'Publish any event';
const TAG_STATUS = 'Event status';
const TAG_OPERATIONS = 'Gateway operations';

/* ------------------------------------------------------------------------------------------ */
/* Names                                                                                        */
/* ------------------------------------------------------------------------------------------ */

/** Characters RFC 3986 allows in a path segment besides percent-escapes (`pchar`). */
const PCHAR = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]$/;

/**
 * The typed route of an event type: `/events/` + the type with every character a path segment does not allow
 * percent-encoded as UTF-8 (so `/`, `?`, `#`, `%`, `{`, `}`, spaces and non-ASCII are escaped; `.` and `..` too, which
 * clients would otherwise resolve as dot-segments). The gateway decodes the segment with `decodeURIComponent`.
 */
export function eventPath(eventType: string): string {
  const bytes = new TextEncoder();
  let segment = '';
  for (const ch of eventType) {
    if (PCHAR.test(ch)) segment += ch;
    else for (const b of bytes.encode(ch)) segment += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (segment === '.' || segment === '..') segment = segment.replace(/\./g, '%2E');
  return `/events/${segment}`;
}

/** A name OpenAPI accepts as a component key (`^[a-zA-Z0-9._-]+$`). */
export function componentName(name: string): string {
  const ascii = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]/g, '_');
  return ascii === '' ? 'Schema' : ascii;
}

/** Claims names in one namespace: the first free candidate, else the first one numbered. */
class Namespace {
  private readonly taken = new Set<string>();
  claim(...candidates: string[]): string {
    for (const c of candidates) {
      if (!this.taken.has(c)) {
        this.taken.add(c);
        return c;
      }
    }
    const base = candidates[0] as string;
    for (let n = 2; ; n++) {
      if (!this.taken.has(`${base}${n}`)) {
        this.taken.add(`${base}${n}`);
        return `${base}${n}`;
      }
    }
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Small builders                                                                               */
/* ------------------------------------------------------------------------------------------ */

type Entry = readonly [string, unknown];
const obj = (...entries: Entry[]): JsonSchema => record(entries);
const ref = (kind: 'schemas' | 'parameters' | 'responses' | 'headers', name: string): JsonSchema => ({ $ref: `#/components/${kind}/${name}` });
const str = (min?: number, max?: number, extra: Entry[] = []): JsonSchema => obj(['type', 'string'], ['minLength', min], ['maxLength', max], ...extra);
const closed = (properties: Entry[], required: string[], extra: Entry[] = []): JsonSchema =>
  obj(...extra, ['type', 'object'], ['properties', record(properties)], ['required', required], ['additionalProperties', false]);
const open = (properties: Entry[], required: string[], extra: Entry[] = []): JsonSchema =>
  obj(...extra, ['type', 'object'], ['properties', record(properties)], ['required', required.length > 0 ? required : undefined]);
const json = (schema: JsonSchema, extra: Entry[] = []): JsonSchema => obj(['application/json', obj(['schema', schema], ...extra)]);
const problemContent = (F: Names['fixed']): JsonSchema => obj(['application/problem+json', obj(['schema', ref('schemas', F.Problem)])]);
const code = (s: string): string => mdCode(s);
/** Catalog prose (Markdown, passed through) without trailing blank lines; `undefined` when empty. */
const prose = (s: string | undefined): string | undefined => {
  const t = s?.replace(/\s+$/, '');
  return t === undefined || t === '' ? undefined : t;
};

const prioritySchema = (description?: string, fallback?: EventPriority): JsonSchema =>
  obj(['description', description], ['type', 'string'], ['enum', [...PRIORITIES]], ['default', fallback]);

/** What each event type's metadata means, for headers (typed route) and body fields (untyped routes). */
const META = {
  correlationId: 'Correlation id written into the envelope (`metadata.correlationId`) and the `correlation-id` Kafka header; default: a new id.',
  priority: 'Publishing priority: under load the gateway refuses lower priorities first (503 with `Retry-After`); written as `metadata.priority` and the `event-priority` header.',
  source: "The envelope's `metadata.source`; default: the catalog's source.",
  userId: "The envelope's `metadata.userId`.",
  key: 'The Kafka record key (only for events whose catalog declares no partition-key rule).',
};

/* ------------------------------------------------------------------------------------------ */
/* The document                                                                                 */
/* ------------------------------------------------------------------------------------------ */

interface Names {
  /** Component name of each shared schema id reachable from a routed payload. */
  shared: Map<string, string>;
  /** Component name of each routed event's payload, by event type. */
  payload: Map<string, string>;
  /** Component name of each routed event's `POST /events` request, by event type. */
  request: Map<string, string>;
  /** Fixed components, by their preferred name. */
  fixed: Record<(typeof FIXED_SCHEMAS)[number], string>;
  /** operationId of each typed route, by event type. */
  operation: Map<string, string>;
}

const FIXED_SCHEMAS = ['Accepted', 'BatchAccepted', 'BatchRequest', 'EventStatus', 'GroupStatus', 'Health', 'Problem', 'PublishRequest'] as const;
const FIXED_OPERATIONS = { untyped: 'publishEvent', batch: 'publishEventBatch', status: 'getEventStatus', health: 'getHealth', metrics: 'getMetrics', openapi: 'getOpenApiDocument' };

/** Shared schemas reachable from the routed payloads, in catalog order. */
function reachableSchemas(table: SymbolTable, routes: readonly GatewayRoute[]): string[] {
  const seen = new Set<string>();
  const queue = routes.flatMap((r) => collectRefs(r.event.event.payload));
  while (queue.length > 0) {
    const id = queue.shift() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    const named = table.findSchema(id);
    if (named !== undefined) queue.push(...collectRefs(named.schema.schema));
  }
  return table.schemas.map((s) => s.schema.id).filter((id) => seen.has(id));
}

function allocateNames(table: SymbolTable, routes: readonly GatewayRoute[]): Names {
  const components = new Namespace();
  const payload = new Map<string, string>();
  for (const r of routes) payload.set(r.event.event.type, components.claim(componentName(r.event.type.name)));
  const shared = new Map<string, string>();
  for (const id of reachableSchemas(table, routes)) shared.set(id, components.claim(componentName(table.schema(id).type.name)));
  // The gateway's own schemas give way to the catalog's names.
  const fixed = Object.fromEntries(FIXED_SCHEMAS.map((n) => [n, components.claim(n, `Gateway${n}`)])) as Names['fixed'];
  const request = new Map<string, string>();
  for (const r of routes) {
    const base = payload.get(r.event.event.type) as string;
    request.set(r.event.event.type, components.claim(`${base}PublishRequest`, `${base}GatewayRequest`));
  }
  const operations = new Namespace();
  for (const id of Object.values(FIXED_OPERATIONS)) operations.claim(id);
  const operation = new Map<string, string>();
  for (const r of routes) operation.set(r.event.event.type, operations.claim(`publish${r.event.type.name}`, `publish${r.event.type.name}Event`));
  return { shared, payload, request, fixed, operation };
}

/**
 * The OpenAPI 3.1.0 document of the gateway publishing `routes` (see `gatewayRoutes(table)`): one literal
 * `POST /events/<type>` per route, `POST /events` and `POST /events:batch` for untyped clients, event statuses,
 * health, metrics and the document itself.
 */
export function buildOpenApi(table: SymbolTable, routes: readonly GatewayRoute[], memo?: EmitMemo): Record<string, unknown> {
  const catalog = table.catalog;
  const names = allocateNames(table, routes);
  const F = names.fixed;
  // `--watch`: an event's parts (payload schema, request item, operation) are reused while its inputs are the same. They
  // read the event, its route and the component names (which shift when other events or shared schemas come and go).
  const namesKey = memo === undefined ? '' : memo.token('openapi-names', JSON.stringify([[...names.shared], [...names.payload], [...names.request], names.fixed, [...names.operation]]));
  const part = <T>(kind: string, r: GatewayRoute, make: () => T): T => {
    if (memo === undefined) return make();
    const event = memo.event(r.event.event.type);
    const key = event === undefined ? undefined : `${event}\u0000${JSON.stringify([r.topic.topic.name, r.groups, r.keyOverride, r.priority])}\u0000${namesKey}`;
    return memo.units.get(kind, r.event.event.type, key, () => keepSerialized(make()));
  };
  const ctx: JsonSchemaContext = {
    ref: (id) => {
      const name = names.shared.get(id);
      if (name === undefined) throw new Error(`internal: no component for schema ${id}`);
      return `#/components/schemas/${name}`;
    },
    lookup: (id) => table.findSchema(id)?.schema.schema,
  };

  const schemas: Entry[] = [];
  for (const r of routes) schemas.push([names.payload.get(r.event.event.type) as string, part('openapi-payload', r, () => toJsonSchema(r.event.event.payload, ctx))]);
  for (const [id, name] of names.shared) schemas.push([name, toJsonSchema(table.schema(id).schema.schema, ctx)]);
  for (const r of routes) schemas.push([names.request.get(r.event.event.type) as string, part('openapi-request', r, () => publishRequestItem(r, names))]);
  // The gateway's own schemas read the routes' event types and request names only (all in the names' token).
  const fixed = memo === undefined ? fixedSchemas(routes, names) : memo.units.get('openapi-fixed', '', namesKey, () => fixedSchemas(routes, names).map(([n, v]) => [n, keepSerialized(v)] as const));
  schemas.push(...fixed);
  schemas.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  const paths: Entry[] = [
    ['/events', obj(['post', untypedOperation(F)])],
    ['/events:batch', obj(['post', batchOperation(F)])],
    ...routes.map((r): Entry => [eventPath(r.event.event.type), obj(['post', part('openapi-operation', r, () => typedOperation(r, names))])]),
    ['/events/{eventId}', obj(['get', statusOperation(F)])],
    ['/health', obj(['get', healthOperation(F)])],
    ['/metrics', obj(['get', metricsOperation()])],
    ['/openapi.json', obj(['get', openApiOperation()])],
  ];

  const tags = new Map<string, string | undefined>([
    [TAG_UNTYPED, 'Publishing for clients that pick the event type at run time, one event or a batch.'],
    [TAG_STATUS, 'Where a published event is: per consumer group of the catalog.'],
    [TAG_OPERATIONS, 'Health, metrics and this document.'],
  ]);
  for (const r of routes) {
    const t = r.topic.topic;
    if (!tags.has(t.name)) tags.set(t.name, prose(t.description) ?? prose(t.title) ?? `Events written to the Kafka topic ${code(t.name)}.`);
  }

  return record([
    ['openapi', '3.1.0'],
    [
      'info',
      obj(
        ['title', `${catalog.title} — event gateway`],
        ['version', catalog.version],
        ['description', [prose(catalog.description), gatewayDescription(routes.length)].filter((d) => d !== undefined).join('\n\n')],
      ),
    ],
    ['security', [{ bearerAuth: [] }, {}]],
    ['tags', [...tags].map(([name, description]) => obj(['name', name], ['description', description]))],
    ['paths', record(paths)],
    [
      'components',
      obj(
        ['schemas', record(schemas)],
        ['parameters', parameters()],
        ['headers', headers()],
        ['responses', responses(F)],
        ['securitySchemes', obj(['bearerAuth', obj(['type', 'http'], ['scheme', 'bearer'], ['description', 'Bearer token, when the gateway is configured with `authenticate` (otherwise no authentication).'])])],
      ),
    ],
  ]);
}

function gatewayDescription(routes: number): string {
  return [
    `Publishes the catalog's events to Kafka over HTTP (${routes} event type${routes === 1 ? '' : 's'}). Each event type has its own route, \`POST /events/{eventType}\`, whose body is the event payload and whose metadata travels in headers; \`POST /events\` and \`POST /events:batch\` take \`{ eventType, data, ... }\` objects instead.`,
    'Payloads are validated against the catalog schema before anything is sent: an invalid request gets a 422 `application/problem+json` whose `errors` locate every invalid field by JSON pointer into the request (`/data/amount`, `/events/3/data/sku`, `/headers/x-event-priority`); nothing is published. Property names `__proto__` are refused anywhere in a payload.',
    "A 202 answer means the event is written to Kafka (`acks=all`); its `statusUrl` (`GET /events/{eventId}`) reports its status per consumer group of the catalog. With an `Idempotency-Key`, a retry of the same request returns the first answer (`Idempotent-Replayed: true`) and a retry after a failure publishes the same event ids, which consumers deduplicate.",
    'Under load, events are admitted by priority (`X-Event-Priority`, else the catalog default): lower priorities are refused first with 503 and `Retry-After`; nothing is queued.',
  ].join('\n\n');
}

/* ------------------------------------------------------------------------------------------ */
/* Operations                                                                                   */
/* ------------------------------------------------------------------------------------------ */

const PUBLISH_ERRORS = ['400', '401', '409', '413', '415', '422', '503'] as const;
const ERROR_RESPONSE: Record<string, string> = {
  '400': 'BadRequest',
  '401': 'Unauthorized',
  '404': 'UnknownEventType',
  '409': 'Conflict',
  '413': 'PayloadTooLarge',
  '415': 'UnsupportedMediaType',
  '422': 'InvalidEvent',
  '503': 'Unavailable',
};
const errorResponses = (statuses: readonly string[]): Entry[] => statuses.map((s) => [s, ref('responses', ERROR_RESPONSE[s] as string)]);

function keySentence(e: EventType, keyOverride: boolean): string {
  if (keyOverride) return 'The catalog declares no partition-key rule for this event: `X-Partition-Key` may set the Kafka key (without it the record has no key).';
  const rule = e.key.kind === 'field' ? `the payload field ${code(e.key.path.join('.'))}` : e.key.kind === 'constant' ? `the constant ${code(e.key.value)}` : 'none';
  return `Kafka key: ${rule} (the catalog's partition-key rule; it cannot be overridden).`;
}

function typedOperation(route: GatewayRoute, names: Names): JsonSchema {
  const e = route.event.event;
  const topic = route.topic.topic.name;
  const groups =
    route.groups.length > 0
      ? `Status tracked for the consumer group${route.groups.length === 1 ? '' : 's'} ${route.groups.map(code).join(', ')}.`
      : 'No consumer group of the catalog receives it on this topic.';
  const description = [
    `Publishes ${code(e.type)} (version ${code(e.version)}, classification ${code(e.classification)}) to the Kafka topic ${code(topic)}. ${groups} ${keySentence(e, route.keyOverride)} Default priority: ${code(route.priority)}.`,
    prose(e.description),
  ]
    .filter((d) => d !== undefined)
    .join('\n\n');
  const examples = e.examples.map((x, i): Entry => [
    `example${i + 1}`,
    obj(['summary', x.name ?? x.summary], ['description', x.name !== undefined ? x.summary : undefined], ['value', cloneJson(x.payload)]),
  ]);
  const parameters = [
    ref('parameters', 'IdempotencyKey'),
    ref('parameters', 'CorrelationId'),
    obj(
      ['name', 'X-Event-Priority'],
      ['in', 'header'],
      ['required', false],
      ['description', `${META.priority} Default for this event: ${code(route.priority)}${e.priority !== undefined ? " (the catalog's `x-priority`)" : ''}.`],
      ['schema', prioritySchema(undefined, route.priority)],
    ),
    ref('parameters', 'EventSource'),
    ref('parameters', 'UserId'),
    ...(route.keyOverride ? [ref('parameters', 'PartitionKey')] : []),
  ];
  return obj(
    ['tags', [topic]],
    ['summary', prose(e.summary) ?? prose(e.title) ?? `Publish ${e.type}`],
    ['description', description],
    ['operationId', names.operation.get(e.type)],
    ['parameters', parameters],
    [
      'requestBody',
      obj(
        ['description', `The ${code(e.type)} payload.`],
        ['required', true],
        ['content', json(ref('schemas', names.payload.get(e.type) as string), examples.length > 0 ? [['examples', record(examples)]] : [])],
      ),
    ],
    ['responses', record([['202', ref('responses', 'Accepted')], ...errorResponses(PUBLISH_ERRORS)])],
    ['deprecated', e.deprecated ? true : undefined],
  );
}

function untypedOperation(F: Names['fixed']): JsonSchema {
  return obj(
    ['tags', [TAG_UNTYPED]],
    ['summary', 'Publish one event of any type'],
    [
      'description',
      'The body names the event type and carries the payload (`data`) and metadata (the same as the headers of the typed routes). An event type this gateway does not publish gets a 404.',
    ],
    ['operationId', FIXED_OPERATIONS.untyped],
    ['parameters', [ref('parameters', 'IdempotencyKey')]],
    ['requestBody', obj(['required', true], ['content', json(ref('schemas', F.PublishRequest))])],
    ['responses', record([['202', ref('responses', 'Accepted')], ...errorResponses(['400', '401', '404', '409', '413', '415', '422', '503'])])],
  );
}

function batchOperation(F: Names['fixed']): JsonSchema {
  return obj(
    ['tags', [TAG_UNTYPED]],
    ['summary', 'Publish a batch of events'],
    [
      'description',
      [
        `Up to ${MAX_BATCH_EVENTS} events of any types, all or nothing.`,
        'Validation comes first: one invalid item (or an unknown event type) fails the whole batch with a 422 whose `errors` list every invalid item by JSON pointer (`/events/<i>/...`); nothing is sent.',
        'A valid batch is sent in one producer call. If that send fails the whole batch fails (503); a retry with the same `Idempotency-Key` publishes the same event ids, so consumers deduplicate what was written before the failure.',
        'The `results` are in request order.',
      ].join(' '),
    ],
    ['operationId', FIXED_OPERATIONS.batch],
    ['parameters', [ref('parameters', 'IdempotencyKey')]],
    ['requestBody', obj(['required', true], ['content', json(ref('schemas', F.BatchRequest))])],
    ['responses', record([['202', ref('responses', 'BatchAccepted')], ...errorResponses(PUBLISH_ERRORS)])],
  );
}

function statusOperation(F: Names['fixed']): JsonSchema {
  return obj(
    ['tags', [TAG_STATUS]],
    ['summary', 'Status of a published event'],
    ['description', 'Overall and per consumer group; statuses expire after a while (then 404).'],
    ['operationId', FIXED_OPERATIONS.status],
    ['parameters', [ref('parameters', 'EventId')]],
    [
      'responses',
      record([
        ['200', obj(['description', 'The status.'], ['content', json(ref('schemas', F.EventStatus))])],
        ...errorResponses(['401']),
        ['404', obj(['description', 'No status is known for this event id (never published here, or expired).'], ['content', problemContent(F)])],
        ...errorResponses(['503']),
      ]),
    ],
  );
}

function healthOperation(F: Names['fixed']): JsonSchema {
  return obj(
    ['tags', [TAG_OPERATIONS]],
    ['summary', 'Health'],
    ['description', 'Kafka and the status store. No authentication.'],
    ['operationId', FIXED_OPERATIONS.health],
    ['security', []],
    [
      'responses',
      obj(
        ['200', obj(['description', 'Healthy.'], ['content', json(ref('schemas', F.Health))])],
        ['503', obj(['description', 'Unhealthy (or shutting down).'], ['headers', obj(['Retry-After', ref('headers', 'RetryAfter')])], ['content', json(ref('schemas', F.Health))])],
      ),
    ],
  );
}

function metricsOperation(): JsonSchema {
  return obj(
    ['tags', [TAG_OPERATIONS]],
    ['summary', 'Prometheus metrics'],
    ['description', 'Runtime metrics (events produced, ...) and HTTP metrics by route template, in the Prometheus text exposition format.'],
    ['operationId', FIXED_OPERATIONS.metrics],
    [
      'responses',
      record([['200', obj(['description', 'Prometheus text exposition format 0.0.4.'], ['content', obj(['text/plain', obj(['schema', { type: 'string' }])])])], ...errorResponses(['401'])]),
    ],
  );
}

function openApiOperation(): JsonSchema {
  return obj(
    ['tags', [TAG_OPERATIONS]],
    ['summary', 'This document'],
    ['description', 'The OpenAPI 3.1 document of this gateway. No authentication.'],
    ['operationId', FIXED_OPERATIONS.openapi],
    ['security', []],
    ['responses', obj(['200', obj(['description', 'The OpenAPI document.'], ['content', json({ type: 'object' })])])],
  );
}

/* ------------------------------------------------------------------------------------------ */
/* Components                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/** One `{ eventType, data, ... }` object of `POST /events` and batches, for one event type. */
function publishRequestItem(route: GatewayRoute, names: Names): JsonSchema {
  const e = route.event.event;
  const properties: Entry[] = [
    ['eventType', obj(['const', e.type])],
    ['data', ref('schemas', names.payload.get(e.type) as string)],
    ['correlationId', str(1, MAX_ID, [['description', META.correlationId]])],
    ['priority', prioritySchema(`${META.priority} Default for this event: ${code(route.priority)}.`, route.priority)],
    ['source', obj(['description', META.source], ['type', 'string'], ['pattern', SOURCE_PATTERN])],
    ['userId', str(1, MAX_ID, [['description', META.userId]])],
  ];
  if (route.keyOverride) properties.push(['key', str(1, MAX_KEY, [['description', META.key]])]);
  return closed(properties, ['eventType', 'data'], [
    ['description', `Publishes ${code(e.type)} to ${code(route.topic.topic.name)}.`],
    ['deprecated', e.deprecated ? true : undefined],
  ]);
}

function fixedSchemas(routes: readonly GatewayRoute[], names: Names): Entry[] {
  const F = names.fixed;
  const status = (description: string): JsonSchema => obj(['description', description], ['type', 'string'], ['enum', [...STATUSES]]);
  const dateTime = (description: string): JsonSchema => obj(['description', description], ['type', 'string'], ['format', 'date-time']);
  const integer = (description: string): JsonSchema => obj(['description', description], ['type', 'integer'], ['minimum', 0]);
  const text = (description: string): JsonSchema => obj(['description', description], ['type', 'string']);
  const publishRequest =
    routes.length === 0
      ? obj(['description', 'This gateway publishes no event types.'], ['not', {}])
      : obj(
          ['description', 'One event: its type, its payload (`data`) and optional metadata.'],
          ['oneOf', routes.map((r) => ref('schemas', names.request.get(r.event.event.type) as string))],
          [
            'discriminator',
            obj(
              ['propertyName', 'eventType'],
              ['mapping', record(routes.map((r) => [r.event.event.type, `#/components/schemas/${names.request.get(r.event.event.type) as string}`]))],
            ),
          ],
        );
  return [
    [
      F.Accepted,
      open(
        [
          ['eventId', obj(['description', 'The event id (`metadata.eventId`, the `event-id` Kafka header).'], ['type', 'string'], ['format', 'uuid'])],
          ['eventType', text('The event type.')],
          ['status', obj(['description', 'Written to Kafka; no consumer has finished it yet.'], ['type', 'string'], ['const', 'PENDING'])],
          ['topic', text('The Kafka topic it was written to.')],
          ['partition', integer('Its partition.')],
          ['offset', text('Its offset (a decimal string: offsets exceed the safe integer range).')],
          ['statusUrl', text('Where its status is (`GET /events/{eventId}`), relative to the gateway.')],
        ],
        ['eventId', 'eventType', 'status', 'topic', 'partition', 'offset', 'statusUrl'],
        [['description', 'A published event.']],
      ),
    ],
    [F.BatchAccepted, open([['results', obj(['type', 'array'], ['items', ref('schemas', F.Accepted)], ['description', 'One per event, in request order.'])]], ['results'])],
    [
      F.BatchRequest,
      closed(
        [['events', obj(['type', 'array'], ['items', ref('schemas', F.PublishRequest)], ['minItems', 1], ['maxItems', MAX_BATCH_EVENTS])]],
        ['events'],
        [['description', 'Events to publish together, all or nothing.']],
      ),
    ],
    [
      F.EventStatus,
      open(
        [
          ['eventId', text('The event id.')],
          ['status', status('Overall: the least advanced status among the consumer groups.')],
          ['eventType', text('The event type.')],
          ['topic', text('The Kafka topic.')],
          ['partition', integer('The partition, once known.')],
          ['offset', text('The offset, once known.')],
          ['acceptedAt', dateTime('When the gateway accepted it.')],
          ['correlationId', text('Its correlation id.')],
          ['priority', prioritySchema('Its publishing priority.')],
          ['groups', obj(['description', 'Status per consumer group id.'], ['type', 'object'], ['additionalProperties', ref('schemas', F.GroupStatus)])],
        ],
        ['eventId', 'status', 'groups'],
      ),
    ],
    [
      F.GroupStatus,
      open(
        [
          ['status', status('Where this group is with the event.')],
          ['attempts', integer('Handler attempts so far.')],
          ['updatedAt', dateTime('Last change.')],
          ['nextAttemptAt', dateTime('When a retry is due (status `RETRYING`).')],
          ['lastError', text('The last handler error.')],
          ['reason', text('Why it failed or was dead-lettered.')],
          [
            'deadLetter',
            open(
              [
                ['topic', text('Dead-letter topic.')],
                ['partition', integer('Partition of the dead-letter record, when known.')],
                ['offset', text('Offset of the dead-letter record, when known.')],
              ],
              ['topic'],
              [['description', 'Where the dead-letter record is (status `DEAD_LETTERED`).']],
            ),
          ],
        ],
        ['status', 'attempts', 'updatedAt'],
      ),
    ],
    [
      F.Health,
      open(
        [
          ['status', obj(['type', 'string'], ['enum', ['ok', 'unavailable']])],
          [
            'checks',
            open(
              [
                ['kafka', open([['healthy', { type: 'boolean' }], ['status', text('Producer connection status.')], ['error', text('Why it is unhealthy.')]], ['healthy'])],
                ['statusStore', open([['healthy', { type: 'boolean' }], ['error', text('Why it is unhealthy.')]], ['healthy'])],
              ],
              ['kafka', 'statusStore'],
            ),
          ],
        ],
        ['status', 'checks'],
      ),
    ],
    [
      F.Problem,
      open(
        [
          ['type', obj(['description', 'The problem type, `urn:eventgen:problem:<slug>` (e.g. `validation`, `overloaded`).'], ['type', 'string'], ['format', 'uri-reference'])],
          ['title', text('Short summary of the problem type.')],
          ['status', obj(['description', 'The HTTP status.'], ['type', 'integer'], ['minimum', 400], ['maximum', 599])],
          ['detail', text('This occurrence.')],
          ['instance', obj(['type', 'string'], ['format', 'uri-reference'])],
          [
            'errors',
            obj(
              ['description', 'Every invalid field (at most 100), in request order.'],
              ['type', 'array'],
              ['maxItems', 100],
              [
                'items',
                open(
                  [
                    ['pointer', obj(['description', 'JSON pointer into the request: the body (`/data/amount`, `/events/2/data`) or a header (`/headers/x-event-priority`).'], ['type', 'string'], ['format', 'json-pointer'])],
                    ['detail', text('What is wrong with it.')],
                  ],
                  ['pointer', 'detail'],
                ),
              ],
            ),
          ],
        ],
        ['type', 'title', 'status'],
        [['description', 'An RFC 9457 problem.']],
      ),
    ],
    [F.PublishRequest, publishRequest],
  ];
}

function parameters(): JsonSchema {
  const header = (name: string, description: string, schema: JsonSchema): JsonSchema =>
    obj(['name', name], ['in', 'header'], ['required', false], ['description', description], ['schema', schema]);
  return obj(
    [
      'IdempotencyKey',
      header(
        'Idempotency-Key',
        'Makes the request safe to retry: the same key with the same request returns the first answer (`Idempotent-Replayed: true`), and a retry after a failed send publishes the same event ids. The same key with a different request is a 422; while the first request is in progress, a 409.',
        str(1, MAX_ID),
      ),
    ],
    ['CorrelationId', header('X-Correlation-Id', META.correlationId, str(1, MAX_ID))],
    ['EventSource', header('X-Event-Source', META.source, obj(['type', 'string'], ['pattern', SOURCE_PATTERN]))],
    ['UserId', header('X-User-Id', META.userId, str(1, MAX_ID))],
    ['PartitionKey', header('X-Partition-Key', META.key, str(1, MAX_KEY))],
    ['EventId', obj(['name', 'eventId'], ['in', 'path'], ['required', true], ['description', 'The `eventId` of a 202 answer.'], ['schema', str(1, MAX_ID)])],
  );
}

function headers(): JsonSchema {
  return obj(
    ['RetryAfter', obj(['description', 'Seconds to wait before retrying.'], ['schema', obj(['type', 'integer'], ['minimum', 0])])],
    ['Location', obj(['description', 'The status URL of the event (`GET /events/{eventId}`).'], ['schema', obj(['type', 'string'], ['format', 'uri-reference'])])],
    ['IdempotentReplayed', obj(['description', 'Present on the replayed answer of an earlier request with the same `Idempotency-Key`.'], ['schema', obj(['type', 'string'], ['enum', ['true']])])],
    ['WWWAuthenticate', obj(['description', 'The authentication scheme (`Bearer`).'], ['schema', { type: 'string' }])],
  );
}

function responses(F: Names['fixed']): JsonSchema {
  const problem = (description: string, headerEntries: Entry[] = []): JsonSchema =>
    obj(['description', description], ['headers', headerEntries.length > 0 ? record(headerEntries) : undefined], ['content', problemContent(F)]);
  const retryAfter: Entry = ['Retry-After', ref('headers', 'RetryAfter')];
  return obj(
    [
      'Accepted',
      obj(
        ['description', 'Written to Kafka; its status starts `PENDING` for every consumer group that receives it.'],
        ['headers', obj(['Location', ref('headers', 'Location')], ['Idempotent-Replayed', ref('headers', 'IdempotentReplayed')])],
        ['content', json(ref('schemas', F.Accepted))],
      ),
    ],
    [
      'BatchAccepted',
      obj(['description', 'Every event written to Kafka.'], ['headers', obj(['Idempotent-Replayed', ref('headers', 'IdempotentReplayed')])], ['content', json(ref('schemas', F.BatchAccepted))]),
    ],
    ['BadRequest', problem('The body is not JSON: empty, invalid UTF-8, invalid JSON, or nested too deeply.')],
    ['Unauthorized', problem('A valid bearer token is required.', [['WWW-Authenticate', ref('headers', 'WWWAuthenticate')]])],
    ['UnknownEventType', problem('The body names an event type this gateway does not publish.')],
    ['Conflict', problem('A request with this `Idempotency-Key` is in progress; retry shortly.', [retryAfter])],
    ['PayloadTooLarge', problem('The body, the batch or a Kafka record is too large; nothing was published.')],
    ['UnsupportedMediaType', problem('The body must be `application/json` (UTF-8).')],
    ['InvalidEvent', problem('Invalid payload or metadata (`errors` locates every invalid field), or an `Idempotency-Key` reused with a different request; nothing was published.')],
    [
      'Unavailable',
      problem('Overloaded for this priority, shutting down, or Kafka or the status store unavailable. Retry after `Retry-After` seconds (with the same `Idempotency-Key`).', [retryAfter]),
    ],
  );
}

/* ------------------------------------------------------------------------------------------ */
/* Serialization under --watch                                                                  */
/* ------------------------------------------------------------------------------------------ */

/**
 * `--watch`: the document's memoised parts (an event's payload schema, request item and operation) are the same objects
 * run after run; their serialized forms are kept with them, so that an edit of one event serializes that event's parts
 * and the document's frame, not the whole multi-megabyte document again. Byte for byte what `JSON.stringify` writes
 * (`test/gateway/openapi.test.ts` compares them on random values; the watch property test on whole trees).
 */
const serializedParts = new WeakSet<object>();
const compactOf = new WeakMap<object, string>();
const prettyOf = new WeakMap<object, Map<number, string>>();

/** Marks `value` (a memoised part) as worth keeping serialized. */
export function keepSerialized<T>(value: T): T {
  if (typeof value === 'object' && value !== null) serializedParts.add(value);
  return value;
}

/**
 * `JSON.stringify(value)` for JSON data (no `toJSON`), reusing the serialized forms of memoised parts; with `escape`
 * (a per-character escape, such as the body of a string literal), every string and key token passes through it, so the
 * result is `escape(JSON.stringify(value))` (the structural characters need no escaping, and no token is split).
 */
export function compactJson(value: unknown, escape?: (text: string) => string): string {
  if (typeof value !== 'object' || value === null) {
    const text = JSON.stringify(value) ?? 'null';
    return escape === undefined ? text : escape(text);
  }
  const kept = serializedParts.has(value);
  const cache = escape === undefined ? compactOf : escapedCompactOf(escape);
  if (kept) {
    const done = cache.get(value);
    if (done !== undefined) return done;
  }
  let out: string;
  if (Array.isArray(value)) {
    out = `[${value.map((v) => (v === undefined || typeof v === 'function' || typeof v === 'symbol' ? 'null' : compactJson(v, escape))).join(',')}]`;
  } else {
    const parts: string[] = [];
    for (const k of Object.keys(value)) {
      const v = (value as Record<string, unknown>)[k];
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      const key = JSON.stringify(k);
      parts.push(`${escape === undefined ? key : escape(key)}:${compactJson(v, escape)}`);
    }
    out = `{${parts.join(',')}}`;
  }
  if (kept) cache.set(value, out);
  return out;
}

const escapedCompact = new WeakMap<(text: string) => string, WeakMap<object, string>>();
function escapedCompactOf(escape: (text: string) => string): WeakMap<object, string> {
  let cache = escapedCompact.get(escape);
  if (cache === undefined) escapedCompact.set(escape, (cache = new WeakMap()));
  return cache;
}

/** `JSON.stringify(value, null, 2)` at nesting depth `depth`, reusing the serialized forms of memoised parts. */
export function prettyJson(value: unknown, depth = 0): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null';
  const kept = serializedParts.has(value);
  if (kept) {
    const done = prettyOf.get(value)?.get(depth);
    if (done !== undefined) return done;
  }
  const inner = '\n' + '  '.repeat(depth + 1);
  let out: string;
  if (Array.isArray(value)) {
    out = value.length === 0 ? '[]' : `[${inner}${value.map((v) => (v === undefined || typeof v === 'function' || typeof v === 'symbol' ? 'null' : prettyJson(v, depth + 1))).join(`,${inner}`)}\n${'  '.repeat(depth)}]`;
  } else {
    const parts: string[] = [];
    for (const k of Object.keys(value)) {
      const v = (value as Record<string, unknown>)[k];
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      parts.push(`${JSON.stringify(k)}: ${prettyJson(v, depth + 1)}`);
    }
    out = parts.length === 0 ? '{}' : `{${inner}${parts.join(`,${inner}`)}\n${'  '.repeat(depth)}}`;
  }
  if (kept) {
    let byDepth = prettyOf.get(value);
    if (byDepth === undefined) prettyOf.set(value, (byDepth = new Map()));
    byDepth.set(depth, out);
  }
  return out;
}

/* ------------------------------------------------------------------------------------------ */
/* Files                                                                                        */
/* ------------------------------------------------------------------------------------------ */

/**
 * The document as a managed JSON file: `openapi` first, then the banner in `x-generated` (JSON has no comments and
 * OpenAPI allows only `x-` keys besides its own, so not topology.json's `$comment`), within the first 300 characters
 * where the writer looks for it.
 */
export function openApiJson(doc: Record<string, unknown>, version: string, catalogPath: string, watching = false): string {
  const entries: Entry[] = Object.keys(doc).map((k) => [k, doc[k]]);
  const [first, ...rest] = entries;
  const ordered = first !== undefined && first[0] === 'openapi' ? [first, [OPENAPI_BANNER_KEY, jsonBannerComment(version, catalogPath)] as Entry, ...rest] : entries;
  return `${watching ? prettyJson(record(ordered)) : JSON.stringify(record(ordered), null, 2)}\n`;
}

/** `gateway/openapi.json` and, unless docs are off, `docs/openapi.json` (both managed, same content). */
export function emitOpenApiFiles(table: SymbolTable, routes: readonly GatewayRoute[], options: EmitOptions, doc = buildOpenApi(table, routes, options.memo)): GeneratedFile[] {
  const content = openApiJson(doc, options.version, table.catalog.sourcePath, options.memo !== undefined);
  const files: GeneratedFile[] = [{ path: GATEWAY_OPENAPI_FILE, content, ownership: 'managed' }];
  if (options.docs !== false) files.push({ path: DOCS_OPENAPI_FILE, content, ownership: 'managed' });
  return files;
}
