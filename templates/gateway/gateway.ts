/**
 * The event gateway: an HTTP publish API for the catalog's events, with status tracking. `node:http` only (no web
 * framework to install; `gateway.handle` mounts in any of them). Routes, metadata, errors and priorities are
 * described in `docs/gateway.md`; the generated `gateway/index.ts` binds this to the catalog's routes.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  defaultLogger,
  EventValidationError,
  InMemoryStatusStore,
  Metrics,
  overallStatus,
  parseEventData,
  parseEventDataSync,
  ProduceError,
  redactEventText,
  uuidV5,
  type BatchItem,
  type EventDefinition,
  type EventPriority,
  type EventProducer,
  type EventStatusRecord,
  type Logger,
  type PendingEvent,
  type RecordMetadata,
  type SendOptions,
  type StatusStore,
} from '../runtime/index.js';
import { applyCors, clip, HttpMetrics, HttpProblem, pointer, pointerToken, readJsonBody, sendJson, sendProblem, type CorsOptions, type JsonBody, type ProblemField } from './http.js';

/** One event type the gateway publishes (the generated `GATEWAY_ROUTES`). */
export interface GatewayRoute {
  /** Event type, e.g. `order.created`: `POST /events/order.created`. */
  eventType: string;
  /** Kafka topic it is written to. */
  topic: string;
  /** Its definition (schema, partition-key rule, version, classification). */
  definition: EventDefinition;
  /** Consumer groups of the catalog that receive it (their statuses start PENDING). */
  groups: readonly string[];
  /** Whether a client may choose the Kafka key (only events without a partition-key rule in the catalog). */
  keyOverride: boolean;
  /** Default priority (`x-priority` in the catalog, else `normal`). */
  priority: EventPriority;
}

/** Verifies a bearer token; `undefined` when the request has none. Return true to let the request in. */
export type TokenVerifier = (token: string | undefined, request: { method: string; path: string }) => boolean | Promise<boolean>;

/** A {@link TokenVerifier} accepting a fixed list of tokens (compared in constant time). */
export function staticTokens(tokens: readonly string[]): TokenVerifier {
  const digests = tokens.filter((t) => t.length > 0).map((t) => createHash('sha256').update(t).digest());
  return (token) => {
    if (token === undefined) return false;
    const d = createHash('sha256').update(token).digest();
    let ok = false;
    for (const known of digests) ok = timingSafeEqual(known, d) || ok;
    return ok;
  };
}

/** Options of {@link createGateway}. */
export interface EventGatewayOptions {
  /** The producer events are sent with (one Kafka connection; `createProducers` can share it). */
  producer: EventProducer;
  /** The event types published (the generated `GATEWAY_ROUTES`). */
  routes: readonly GatewayRoute[];
  /** Where statuses live (default an {@link InMemoryStatusStore}: single process only; use `RedisStatusStore` with consumers elsewhere). */
  statusStore?: StatusStore;
  /** The OpenAPI document served at `/openapi.json`. */
  openapi?: unknown;
  /** Bearer-token check for every route but `/health` and `/openapi.json` (default: no authentication). */
  authenticate?: TokenVerifier;
  /** Largest request body (default 1 MiB). */
  maxBodyBytes?: number;
  /** Deepest JSON nesting accepted (default 64). */
  maxDepth?: number;
  /** Most events in one batch (default 500). */
  maxBatchItems?: number;
  /**
   * Most events being published at once (default 2000). Admission is by priority: `low` while under 50 % of it,
   * `normal` under 80 %, `high` under 95 %, `critical` up to 100 %; beyond that the request is refused with 503 and
   * `Retry-After` (nothing is queued).
   */
  maxInFlight?: number;
  /** CORS (default: no CORS headers). */
  cors?: CorsOptions;
  /** How long an `Idempotency-Key`'s answer is kept (default 24 h). */
  idempotencyTtlMs?: number;
  /** How long a publish may hold an `Idempotency-Key` before another request may take it over (default 30 s). */
  idempotencyLeaseMs?: number;
  /** Longest wait for the status store per call (default 2000 ms): beyond it the request answers 503. */
  statusTimeoutMs?: number;
  /** Longest wait for Kafka per publish (default 10 000 ms): beyond it 503 (the record may still be written). */
  publishTimeoutMs?: number;
  /** `Retry-After` seconds of 503 answers (default 1 under load, 5 when Kafka or the status store is down). */
  retryAfterSeconds?: { overloaded: number; unavailable: number };
  /** How long `close()` waits for requests in flight (default 10 000 ms). */
  drainTimeoutMs?: number;
  /** Logger (default: warnings and errors on stderr). Bodies are never logged. */
  logger?: Logger;
  /** Runtime metrics (`produced`, ...), exported at `/metrics` with the HTTP metrics. */
  metrics?: Metrics;
  /**
   * Checks that Kafka answers, for `/health` (e.g. {@link kafkaAdminProbe}; `createEventGateway` uses it on a Kafka
   * transport). Without one, Kafka counts as healthy while the producer is connected and its last send did not fail
   * in the last 10 s.
   */
  kafkaProbe?: () => Promise<void>;
}

/** The part of a kafkajs client {@link kafkaAdminProbe} uses. */
export interface KafkaAdminLike {
  admin(): { connect(): Promise<void>; describeCluster(): Promise<unknown>; disconnect(): Promise<void> };
}

/** A Kafka probe: one admin connection (opened on first use, reopened after a failure) asking for the cluster's brokers. */
export function kafkaAdminProbe(kafka: KafkaAdminLike): () => Promise<void> {
  let admin: ReturnType<KafkaAdminLike['admin']> | undefined;
  let connecting: Promise<void> | undefined;
  return async () => {
    if (admin === undefined) {
      const a = kafka.admin();
      connecting ??= a.connect().then(() => {
        admin = a;
      }).finally(() => {
        connecting = undefined;
      });
      await connecting;
    }
    try {
      await (admin as NonNullable<typeof admin>).describeCluster();
    } catch (error) {
      const a = admin;
      admin = undefined;
      await a?.disconnect().catch(() => undefined);
      throw error;
    }
  };
}

/** A running gateway. */
export interface EventGateway {
  /** The `node:http` server (not listening until `listen`). */
  readonly server: Server;
  /** The request handler: mount it in another server or framework instead of calling `listen`. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
  /** HTTP request metrics. */
  readonly httpMetrics: HttpMetrics;
  /** Connects the producer, then listens. */
  listen(port: number, host?: string): Promise<AddressInfo>;
  /** Stops accepting, waits for requests in flight (bounded), then flushes and disconnects the producer. */
  close(): Promise<void>;
}

const PRIORITY_SHARE: Record<EventPriority, number> = { critical: 1, high: 0.95, normal: 0.8, low: 0.5 };
const PRIORITIES = Object.keys(PRIORITY_SHARE) as EventPriority[];
const SOURCE = /^[A-Za-z0-9._:/-]{1,128}$/;
const MAX_ID = 255;

interface Meta {
  correlationId?: string;
  priority?: EventPriority;
  source?: string;
  userId?: string;
  key?: string;
}

interface Publish {
  route: GatewayRoute;
  data: unknown;
  meta: Meta;
  /** JSON pointer of this item's payload in the request. */
  at: string;
  /** Whether the body could hold a `__proto__` key (see {@link JsonBody}). */
  mayHoldProto: boolean;
}

/** Validates a payload with its event's (compiled) schema; problems are appended to `errors` (located by `at`). */
async function validatePayload(p: Publish, errors: ProblemField[]): Promise<unknown> {
  const protoAt = p.mayHoldProto ? protoKey(p.data, p.at) : undefined;
  if (protoAt !== undefined) {
    // Zod (like any JS object) cannot carry such a key: it would be dropped silently. Refuse it instead.
    errors.push({ pointer: protoAt, detail: 'the property name "__proto__" is not accepted' });
    return undefined;
  }
  const schema = p.route.definition.schema;
  const result = parseEventDataSync(schema, p.data) ?? (await parseEventData(schema, p.data));
  if (result.success) return result.data;
  // A rule's message may quote the value: classified values are not echoed (redact-data.ts; a no-op for other events).
  for (const issue of result.error.issues) errors.push({ pointer: pointer(p.at, issue.path), detail: redactEventText(p.route.definition, p.data, issue.message) });
  return undefined;
}

/** The pointer of the first own `__proto__` key in a parsed JSON value (iterative; bodies are depth-bounded). */
function protoKey(value: unknown, at: string): string | undefined {
  const stack: Array<[unknown, string]> = [[value, at]];
  while (stack.length) {
    const [v, where] = stack.pop() as [unknown, string];
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push([item, `${where}/${i}`]));
      continue;
    }
    for (const k of Object.keys(v)) {
      if (k === '__proto__') return `${where}/__proto__`;
      stack.push([(v as Record<string, unknown>)[k], `${where}/${pointerToken(k)}`]);
    }
  }
  return undefined;
}

/** Builds the gateway. */
export function createGateway(options: EventGatewayOptions): EventGateway {
  const routes = new Map<string, GatewayRoute>();
  for (const r of options.routes) routes.set(r.eventType, r);
  const store = options.statusStore ?? new InMemoryStatusStore();
  const logger = options.logger ?? defaultLogger({ component: 'gateway' });
  const metrics = options.metrics ?? new Metrics();
  const httpMetrics = new HttpMetrics();
  const limits = { maxBytes: options.maxBodyBytes ?? 1_048_576, maxDepth: options.maxDepth ?? 64 };
  const maxBatch = options.maxBatchItems ?? 500;
  const maxInFlight = Math.max(1, options.maxInFlight ?? 2000);
  const retryAfter = options.retryAfterSeconds ?? { overloaded: 1, unavailable: 5 };
  const statusTimeoutMs = options.statusTimeoutMs ?? 2000;
  const publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
  const idempotencyTtlMs = options.idempotencyTtlMs ?? 24 * 3_600_000;
  const leaseMs = options.idempotencyLeaseMs ?? 30_000;
  let inFlight = 0;
  let requests = 0;
  let closing: Promise<void> | undefined;
  const drained = new Set<() => void>();

  const unavailable = (what: string, detail: string): HttpProblem =>
    new HttpProblem(503, 'unavailable', `${what} unavailable`, detail, { headers: { 'retry-after': String(retryAfter.unavailable) } });

  const withTimeout = async <T>(what: string, ms: number, work: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new TimeoutError(`${what} did not answer within ${ms} ms`)), ms)))]);
    } finally {
      clearTimeout(timer);
    }
  };
  const storeCall = <T>(work: () => Promise<T>): Promise<T> =>
    withTimeout('the status store', statusTimeoutMs, Promise.resolve().then(work)).catch((error: unknown) => {
      logger.warn('Status store call failed', { error });
      throw unavailable('Status store', 'Event statuses cannot be recorded right now; nothing was published. Retry later.');
    });

  /** Admission by priority: nothing waits in a queue. */
  const admit = (priority: EventPriority, events: number): void => {
    if (closing !== undefined) throw new HttpProblem(503, 'shutting-down', 'Shutting down', 'The gateway is stopping; retry on another instance.', { headers: { 'retry-after': String(retryAfter.overloaded), connection: 'close' } });
    if (inFlight + events > maxInFlight * PRIORITY_SHARE[priority]) throw overloaded[priority];
  };

  /**
   * Before the body is read: refuses at once when even one more event of `priority` would not be admitted (a cheap
   * answer under overload, so refusing does not cost as much as publishing). The exact check follows validation.
   */
  const admitEarly = (priority: EventPriority): void => {
    if (closing === undefined && inFlight + 1 > maxInFlight * PRIORITY_SHARE[priority]) throw overloaded[priority];
  };
  // Prebuilt: a refusal under overload allocates no error (and captures no stack trace).
  const overloaded = Object.fromEntries(
    PRIORITIES.map((p) => [p, new HttpProblem(503, 'overloaded', 'Overloaded', `Too many events in flight for priority ${p}; retry shortly.`, { headers: { 'retry-after': String(retryAfter.overloaded) } })]),
  ) as Record<EventPriority, HttpProblem>;

  const readHeader = (req: IncomingMessage, name: string): string | undefined => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };

  /** Checks the metadata of one event (from headers or body fields); `base` locates it in problems. */
  const checkMeta = (raw: Record<string, unknown>, route: GatewayRoute, where: (field: string) => string, errors: ProblemField[]): Meta => {
    const meta: Meta = {};
    const str = (field: keyof Meta, max: number, pattern?: RegExp): string | undefined => {
      const v = raw[field];
      if (v === undefined) return undefined;
      if (typeof v !== 'string' || v.length === 0 || v.length > max || (pattern !== undefined && !pattern.test(v))) {
        errors.push({ pointer: where(field), detail: pattern === SOURCE ? 'must be 1-128 characters of letters, digits and . _ : / -' : `must be a string of 1-${max} characters` });
        return undefined;
      }
      return v;
    };
    const correlationId = str('correlationId', MAX_ID);
    if (correlationId !== undefined) meta.correlationId = correlationId;
    const source = str('source', 128, SOURCE);
    if (source !== undefined) meta.source = source;
    const userId = str('userId', MAX_ID);
    if (userId !== undefined) meta.userId = userId;
    const priority = raw.priority;
    if (priority !== undefined) {
      if (typeof priority === 'string' && (PRIORITIES as string[]).includes(priority)) meta.priority = priority as EventPriority;
      else errors.push({ pointer: where('priority'), detail: `must be one of ${PRIORITIES.join(', ')}` });
    }
    const key = str('key', 1024);
    if (key !== undefined) {
      if (route.keyOverride) meta.key = key;
      else errors.push({ pointer: where('key'), detail: `the catalog fixes the Kafka key of '${route.eventType}' (its partition-key rule keeps one entity's events in order); no key may be given` });
    }
    return meta;
  };

  const HEADER_OF: Record<keyof Meta, string> = { correlationId: 'x-correlation-id', priority: 'x-event-priority', source: 'x-event-source', userId: 'x-user-id', key: 'x-partition-key' };

  /** `POST /events/{eventType}`: the body is the payload, metadata in headers. */
  const typedRequest = (req: IncomingMessage, route: GatewayRoute, body: unknown): Publish[] => {
    const errors: ProblemField[] = [];
    const raw: Record<string, unknown> = {};
    for (const [field, header] of Object.entries(HEADER_OF) as Array<[keyof Meta, string]>) {
      const v = readHeader(req, header);
      if (v !== undefined) raw[field] = v;
    }
    const meta = checkMeta(raw, route, (field) => `/headers/${HEADER_OF[field as keyof Meta]}`, errors);
    if (errors.length) throw invalid(errors);
    return [{ route, data: body, meta, at: '', mayHoldProto: true }];
  };

  const ENVELOPE_FIELDS = new Set(['eventType', 'data', 'correlationId', 'priority', 'source', 'userId', 'key']);

  /** One `{ eventType, data, ... }` object of `POST /events` or a batch. */
  const untypedItem = (item: unknown, at: string, errors: ProblemField[], unknownType: (type: string) => void): Publish | undefined => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      errors.push({ pointer: at, detail: 'must be an object { eventType, data, ... }' });
      return undefined;
    }
    const o = item as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!ENVELOPE_FIELDS.has(k)) errors.push({ pointer: `${at}/${pointerToken(k)}`, detail: 'unknown field' });
    if (typeof o.eventType !== 'string') {
      errors.push({ pointer: `${at}/eventType`, detail: 'is required: the event type, e.g. one of the paths under /events/' });
      return undefined;
    }
    const route = routes.get(o.eventType);
    if (route === undefined) {
      unknownType(o.eventType);
      return undefined;
    }
    if (!Object.prototype.hasOwnProperty.call(o, 'data')) {
      errors.push({ pointer: `${at}/data`, detail: 'is required: the event payload' });
      return undefined;
    }
    const meta = checkMeta(o, route, (field) => `${at}/${field}`, errors);
    return { route, data: o.data, meta, at: `${at}/data`, mayHoldProto: true };
  };

  const untypedRequest = (body: unknown): Publish[] => {
    const errors: ProblemField[] = [];
    let unknown: string | undefined;
    const p = untypedItem(body, '', errors, (t) => (unknown = t));
    if (unknown !== undefined) throw unknownEventType(unknown);
    if (errors.length || p === undefined) throw invalid(errors);
    return [p];
  };

  const batchRequest = (body: unknown, errors: ProblemField[]): Publish[] => {
    if (body === null || typeof body !== 'object' || Array.isArray(body) || !Array.isArray((body as { events?: unknown }).events)) {
      throw invalid([{ pointer: '/events', detail: 'is required: an array of { eventType, data, ... }' }]);
    }
    for (const k of Object.keys(body)) if (k !== 'events') errors.push({ pointer: `/${pointerToken(k)}`, detail: 'unknown field' });
    const events = (body as { events: unknown[] }).events;
    if (events.length === 0) throw invalid([{ pointer: '/events', detail: 'must hold at least one event' }]);
    if (events.length > maxBatch) throw new HttpProblem(413, 'batch-too-large', 'Batch too large', `A batch holds at most ${maxBatch} events; this one has ${events.length}.`);
    const out: Publish[] = [];
    events.forEach((item, i) => {
      const p = untypedItem(item, `/events/${i}`, errors, (t) => errors.push({ pointer: `/events/${i}/eventType`, detail: `unknown event type '${clip(t, 100)}'` }));
      if (p !== undefined) out.push(p);
    });
    return out;
  };

  /** Validates every payload (all or nothing, every problem located), then sends them in one producer call. */
  const publish = async (items: Publish[], idempotencyKey: string | undefined, requestHash: string, earlier: ProblemField[] = []): Promise<{ status: number; body: unknown; headers: Record<string, string> }> => {
    const priority = items.reduce<EventPriority>((best, p) => {
      const pr = p.meta.priority ?? p.route.priority;
      return PRIORITY_SHARE[pr] > PRIORITY_SHARE[best] ? pr : best;
    }, 'low');
    // Payload validation before anything else: a bad body costs no store or broker call.
    const errors: ProblemField[] = [...earlier];
    const parsed: unknown[] = [];
    for (const p of items) parsed.push(await validatePayload(p, errors));
    if (errors.length) throw invalid(errors.sort(byItem));
    admit(priority, items.length);
    inFlight += items.length;
    try {
      let baseId: string = randomUUID();
      if (idempotencyKey !== undefined) {
        const r = await storeCall(() => store.reserveIdempotencyKey(idempotencyKey, requestHash, baseId, leaseMs));
        if (r.kind === 'done') {
          const first = JSON.parse(r.result) as { status: number; body: unknown; headers: Record<string, string> };
          return { ...first, headers: { ...first.headers, 'idempotent-replayed': 'true' } };
        }
        if (r.kind === 'in-progress') throw new HttpProblem(409, 'idempotency-key-in-use', 'Request in progress', 'A request with this Idempotency-Key is being processed; retry shortly.', { headers: { 'retry-after': '1' } });
        if (r.kind === 'mismatch') throw new HttpProblem(422, 'idempotency-key-reused', 'Idempotency-Key reused', 'This Idempotency-Key was used with a different request.');
        baseId = r.eventId;
      }
      // Event ids: a retry under the same Idempotency-Key (after a failure) sends the same ids, so consumers deduplicate.
      const ids = items.length === 1 ? [baseId] : items.map((_, i) => uuidV5(`gateway-batch:${baseId}:${i}`));
      const acceptedAt = Date.now();
      const pending = items.map((p, i): PendingEvent => {
        const e: PendingEvent = { eventId: ids[i] as string, eventType: p.route.eventType, topic: p.route.topic, groups: p.route.groups, acceptedAt, priority: p.meta.priority ?? p.route.priority };
        if (p.meta.correlationId !== undefined) e.correlationId = p.meta.correlationId;
        return e;
      });
      // PENDING first: with the store down nothing is sent (503), so no event exists that nobody can track.
      await storeCall(() => Promise.all(pending.map((e) => store.pending(e))));
      const batch: BatchItem[] = items.map((p, i) => {
        const send: SendOptions = { eventId: ids[i] as string, priority: p.meta.priority ?? p.route.priority };
        if (p.meta.correlationId !== undefined) send.correlationId = p.meta.correlationId;
        if (p.meta.userId !== undefined) send.userId = p.meta.userId;
        if (p.meta.source !== undefined) send.source = p.meta.source;
        if (p.meta.key !== undefined) send.key = p.meta.key;
        return { topic: p.route.topic, definition: p.route.definition, data: parsed[i], options: send };
      });
      let written: RecordMetadata[];
      try {
        written = await withTimeout('Kafka', publishTimeoutMs, options.producer.sendBatch(batch));
      } catch (error) {
        if (idempotencyKey !== undefined) await store.releaseIdempotencyKey(idempotencyKey, requestHash).catch(() => undefined);
        // Refused for certain: nothing was written, so no PENDING status may promise it. Uncertain: keep it.
        if (!isUncertain(error)) await store.discard?.(ids).catch(() => undefined);
        throw publishProblem(error);
      }
      const results = written.map((m, i) => ({
        eventId: ids[i] as string,
        eventType: (items[i] as Publish).route.eventType,
        status: 'PENDING' as const,
        topic: m.topic,
        partition: m.partition,
        offset: m.offset,
        statusUrl: `/events/${ids[i] as string}`,
      }));
      // The broker's coordinates, for the status answer; advisory (the events are written).
      await storeCall(() => Promise.all(pending.map((e, i) => store.pending({ ...e, partition: (written[i] as RecordMetadata).partition, offset: (written[i] as RecordMetadata).offset })))).catch(() => undefined);
      const single = items.length === 1 && requestHash.startsWith('single:');
      const answer: { status: number; body: unknown; headers: Record<string, string> } = single
        ? { status: 202, body: results[0], headers: { location: (results[0] as { statusUrl: string }).statusUrl } }
        : { status: 202, body: { results }, headers: {} };
      if (idempotencyKey !== undefined) await storeCall(() => store.completeIdempotencyKey(idempotencyKey, requestHash, JSON.stringify(answer), idempotencyTtlMs)).catch(() => undefined);
      return answer;
    } finally {
      inFlight -= items.length;
    }
  };

  const statusOf = (record: EventStatusRecord): Record<string, unknown> => {
    const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
    const groups: Record<string, unknown> = {};
    for (const [g, s] of Object.entries(record.groups)) {
      const out: Record<string, unknown> = { status: s.status, attempts: s.attempts, updatedAt: iso(s.updatedAt) };
      if (s.nextAttemptAt !== undefined) out.nextAttemptAt = iso(s.nextAttemptAt);
      if (s.lastError !== undefined) out.lastError = s.lastError;
      if (s.reason !== undefined) out.reason = s.reason;
      if (s.deadLetter !== undefined) out.deadLetter = s.deadLetter;
      Object.defineProperty(groups, g, { value: out, enumerable: true, writable: true, configurable: true });
    }
    const body: Record<string, unknown> = { eventId: record.eventId, status: overallStatus(record) };
    const e = record.event;
    if (e !== undefined) {
      body.eventType = e.eventType;
      body.topic = e.topic;
      if (e.partition !== undefined) body.partition = e.partition;
      if (e.offset !== undefined) body.offset = e.offset;
      body.acceptedAt = iso(e.acceptedAt);
      if (e.correlationId !== undefined) body.correlationId = e.correlationId;
      if (e.priority !== undefined) body.priority = e.priority;
    }
    body.groups = groups;
    return body;
  };

  const health = async (): Promise<{ healthy: boolean; body: Record<string, unknown> }> => {
    const kafka = options.producer.health();
    const kafkaCheck: Record<string, unknown> = { healthy: true, status: kafka.status };
    if (options.kafkaProbe !== undefined) {
      try {
        await withTimeout('Kafka', statusTimeoutMs, options.kafkaProbe());
      } catch (error) {
        kafkaCheck.healthy = false;
        kafkaCheck.error = clip(error instanceof Error ? error.message : String(error), 300);
      }
    } else {
      const recentFailure = !kafka.healthy && kafka.lastError !== undefined && Date.now() - Date.parse(kafka.lastError.at) < 10_000;
      kafkaCheck.healthy = kafka.status === 'connected' && !recentFailure;
      if (!kafkaCheck.healthy && kafka.lastError !== undefined) kafkaCheck.error = clip(kafka.lastError.message, 300);
    }
    const storeCheck: Record<string, unknown> = { healthy: true };
    try {
      await withTimeout('the status store', statusTimeoutMs, store.ping());
    } catch (error) {
      storeCheck.healthy = false;
      storeCheck.error = clip(error instanceof Error ? error.message : String(error), 300);
    }
    const healthy = kafkaCheck.healthy === true && storeCheck.healthy === true && closing === undefined;
    return { healthy, body: { status: healthy ? 'ok' : 'unavailable', checks: { kafka: kafkaCheck, statusStore: storeCheck } } };
  };

  const authorize = async (req: IncomingMessage, path: string): Promise<void> => {
    if (options.authenticate === undefined) return;
    const header = readHeader(req, 'authorization');
    const token = header !== undefined && /^Bearer [^\s]+$/i.test(header) ? header.slice(7) : undefined;
    let ok = false;
    try {
      ok = await options.authenticate(token, { method: req.method ?? 'GET', path });
    } catch (error) {
      logger.error('Token verifier failed', { error: error instanceof Error ? error.message : String(error) });
    }
    if (!ok) throw new HttpProblem(401, 'unauthorized', 'Unauthorized', 'A valid bearer token is required.', { headers: { 'www-authenticate': 'Bearer' } });
  };

  const route = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<string> => {
    const method = req.method ?? 'GET';
    if (path === '/health') {
      allow(method, 'GET');
      const h = await health();
      sendJson(res, h.healthy ? 200 : 503, h.body, h.healthy ? {} : { 'retry-after': String(retryAfter.unavailable) });
      return '/health';
    }
    if (path === '/openapi.json' && options.openapi !== undefined) {
      allow(method, 'GET');
      sendJson(res, 200, options.openapi);
      return '/openapi.json';
    }
    await authorize(req, path);
    if (path === '/metrics') {
      allow(method, 'GET');
      const text = metrics.toPrometheus() + httpMetrics.toPrometheus();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' }).end(text);
      return '/metrics';
    }
    if (path === '/events' || path === '/events:batch') {
      allow(method, 'POST');
      admitEarly('critical');
      const body = await readJsonBody(req, limits);
      const structural: ProblemField[] = [];
      const items = withProtoHint(path === '/events' ? untypedRequest(body.value) : batchRequest(body.value, structural), body);
      await answer(req, res, items, `${path === '/events' ? 'single' : 'batch'}:${path}`, body.value, false, structural);
      return path;
    }
    if (path.startsWith('/events/')) {
      const segment = decodeSegment(path.slice('/events/'.length));
      if (method === 'POST') {
        const r = segment === undefined ? undefined : routes.get(segment);
        if (r === undefined) throw unknownEventType(segment ?? path.slice(8));
        const headerPriority = readHeader(req, 'x-event-priority');
        admitEarly(headerPriority !== undefined && headerPriority in PRIORITY_SHARE ? (headerPriority as EventPriority) : r.priority);
        const body = await readJsonBody(req, limits);
        await answer(req, res, withProtoHint(typedRequest(req, r, body.value), body), `single:/events/${r.eventType}`, body.value, true);
        return '/events/{eventType}';
      }
      allow(method, 'GET');
      const record = segment === undefined || segment.length > MAX_ID ? undefined : await storeCall(() => store.get(segment));
      if (record === undefined) throw new HttpProblem(404, 'unknown-event', 'Unknown event', 'No status is known for this event id (never published here, or expired).');
      sendJson(res, 200, statusOf(record));
      return '/events/{eventId}';
    }
    throw new HttpProblem(404, 'not-found', 'Not found', `No route ${method} ${clip(path, 200)}.`);
  };

  const answer = async (req: IncomingMessage, res: ServerResponse, items: Publish[], scope: string, body: unknown, typed = false, earlier: ProblemField[] = []): Promise<void> => {
    const key = readHeader(req, 'idempotency-key');
    if (key !== undefined && (key.length === 0 || key.length > MAX_ID)) throw invalid([{ pointer: '/headers/idempotency-key', detail: `must be 1-${MAX_ID} characters` }]);
    // The request hash covers the route, the body and (typed route) the metadata headers.
    const hash = key === undefined ? scope : `${scope}:${createHash('sha256').update(scope).update('\0').update(JSON.stringify(body)).update('\0').update(typed ? JSON.stringify(items[0]?.meta ?? {}) : '').digest('hex')}`;
    const result = await publish(items, key, hash, earlier);
    sendJson(res, result.status, result.body, result.headers);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    requests++;
    let routeName = 'unmatched';
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    res.on('close', () => {
      requests--;
      httpMetrics.observe(routeName, req.method ?? 'GET', res.statusCode, (performance.now() - started) / 1000);
      if (requests === 0) for (const d of drained) d();
    });
    if (closing !== undefined) res.setHeader('connection', 'close');
    if (applyCors(options.cors, req, res)) {
      routeName = 'preflight';
      return;
    }
    route(req, res, path).then(
      (name) => {
        routeName = name;
      },
      (error: unknown) => {
        const problem = error instanceof HttpProblem ? error : internal(error, logger);
        if (problem.status >= 500 && problem.slug !== 'overloaded') logger.warn('Request failed', { method: req.method, path: clip(path, 200), status: problem.status, detail: problem.detail });
        if (res.headersSent) {
          res.destroy();
          return;
        }
        // A body too large is not read to its end: close the connection after answering.
        const headers: Record<string, string> = problem.status === 413 ? { connection: 'close' } : {};
        sendProblem(res, problem, undefined, headers);
        if (problem.status === 413) req.resume();
      },
    );
  };

  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, handle);

  return {
    server,
    handle,
    httpMetrics,
    async listen(port: number, host = '127.0.0.1'): Promise<AddressInfo> {
      await options.producer.connect().catch((error: unknown) => logger.warn('Kafka not reachable at start; publishing answers 503 until it is', { error }));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return server.address() as AddressInfo;
    },
    close(): Promise<void> {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        if (requests > 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, options.drainTimeoutMs ?? 10_000);
            drained.add(() => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
        server.closeAllConnections();
        await stopped;
        await options.producer.disconnect();
      })();
      return closing;
    },
  };
}

class TimeoutError extends Error {
  override name = 'TimeoutError';
}

function withProtoHint(items: Publish[], body: JsonBody): Publish[] {
  for (const item of items) item.mayHoldProto = body.mayHoldProto;
  return items;
}

function allow(method: string, expected: string): void {
  if (method !== expected) throw new HttpProblem(405, 'method-not-allowed', 'Method not allowed', `Use ${expected}.`, { headers: { allow: expected } });
}

/** Orders problems by batch item (`/events/<i>/...`), keeping their order within an item. */
function byItem(a: ProblemField, b: ProblemField): number {
  const item = (p: string): number => (p.startsWith('/events/') ? Number.parseInt(p.slice(8), 10) || 0 : -1);
  return item(a.pointer) - item(b.pointer);
}

function invalid(errors: readonly ProblemField[]): HttpProblem {
  return new HttpProblem(422, 'validation', 'Invalid event', `${errors.length} invalid field${errors.length === 1 ? '' : 's'}; see errors.`, { errors: errors.slice(0, 100) });
}

function unknownEventType(type: string): HttpProblem {
  return new HttpProblem(404, 'unknown-event-type', 'Unknown event type', `'${clip(type, 100)}' is not an event type this gateway publishes (see /openapi.json).`);
}

function decodeSegment(s: string): string | undefined {
  if (s.length === 0 || s.includes('/')) return undefined;
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** A send that may or may not have been written (timeout, connection lost), as opposed to one the broker refused. */
function isUncertain(error: unknown): boolean {
  return !(error instanceof EventValidationError || (error instanceof ProduceError && REFUSED.has(error.code)));
}

/** Send failures where the broker refused the records themselves: certainly not written. */
const REFUSED = new Set(['MESSAGE_TOO_LARGE', 'UNKNOWN_TOPIC', 'NOT_AUTHORIZED', 'INVALID_RECORD']);

/** What a failed send means for the client: 413 for a record Kafka refuses as too large, else 503 (retry). */
function publishProblem(error: unknown): HttpProblem {
  if (error instanceof EventValidationError) return invalid(error.issues.map((i) => ({ pointer: pointer('', i.path), detail: i.message })));
  if (error instanceof ProduceError && error.code === 'MESSAGE_TOO_LARGE') {
    return new HttpProblem(413, 'record-too-large', 'Event too large for Kafka', 'The broker refused the record as too large; nothing was written.');
  }
  return new HttpProblem(503, 'kafka-unavailable', 'Kafka unavailable', isUncertain(error) ? 'Kafka did not confirm the write; it may or may not be written. Retry with the same Idempotency-Key to publish it exactly once.' : 'Kafka refused or could not take the write; nothing was written. Retry later.', {
    headers: { 'retry-after': '5' },
  });
}

function internal(error: unknown, logger: Logger): HttpProblem {
  logger.error('Unexpected gateway error', { error });
  return new HttpProblem(500, 'internal', 'Internal error', 'The gateway failed unexpectedly; the error is logged.');
}
