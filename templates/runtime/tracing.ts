import { headerText } from './headers.js';
import type { ConsumedRecord } from './transport.js';

/**
 * Tracing seam. The runtime never imports `@opentelemetry/api`: it talks to this small interface, and
 * {@link otelTracing} adapts the OpenTelemetry API module the application passes in
 * (`tracing: otelTracing(api)` with `import * as api from '@opentelemetry/api'`). A generated tree therefore compiles
 * and runs without the package; with no `tracing` option (or `otelTracing(api)` and no SDK) the engine makes one check per fetched batch and no tracing call per record.
 */
export interface Tracing {
  /**
   * A `send <topic>` span (kind PRODUCER) for one outgoing message, child of the active context (or of `traceparent`
   * when the send names one); its context is written into `headers` (W3C `traceparent`/`tracestate`).
   */
  send(topic: string, eventId: string, headers: Record<string, string>, traceparent: string | undefined): TraceSpan;
  /**
   * A `process <topic>` span (kind CONSUMER) for one record: child of the producer's context extracted from the
   * record's headers, with a link to it. `undefined` when there is nothing to record or carry (no SDK registered):
   * the engine then handles the record exactly as without tracing.
   */
  process(record: ConsumedRecord, groupId: string, eventId: string | undefined, batch?: TraceSpan): TraceSpan | undefined;
  /**
   * A `process <topic>` span for the records one `handleBatch` call takes: no parent, a link to each record's
   * producer context.
   */
  processBatch(records: readonly ConsumedRecord[], groupId: string): TraceSpan;
  /**
   * Optional (batch span mode): the span of one delivered batch, started when the consumer begins it (`undefined`:
   * per-record spans). The consumer then passes it to {@link process} for the batch's records, whose handlers run in
   * it, and ends it when it leaves the batch.
   */
  deliveredBatch?(records: readonly ConsumedRecord[], groupId: string): TraceSpan | undefined;
  /** A `send <topic>` span (kind PRODUCER) for a dead-letter write, child of `parent` (the record's process span). */
  deadLetter(parent: TraceSpan | undefined, topic: string, record: ConsumedRecord, eventId: string | undefined, reason: string, error: unknown): TraceSpan;
  /**
   * Optional: true when no span would be recorded or carried right now (e.g. no OpenTelemetry SDK registered). The
   * consumer asks once per fetched batch and, when true, makes no tracing call for that batch's records (it handles
   * them exactly as without tracing); an SDK registered later is picked up at the next batch. Without this method
   * every record is offered to {@link process}.
   */
  idle?(): boolean;
}

/** Attribute values of spans and span events. */
export type TraceAttributes = Record<string, string | number | boolean | undefined>;

/** A span started by the runtime. */
export interface TraceSpan {
  /** Runs `fn` with this span active: spans the handler starts become its children. */
  run<T>(fn: () => T): T;
  /** Adds a span event. */
  event(name: string, attributes: TraceAttributes): void;
  /** Sets attributes. */
  set(attributes: TraceAttributes): void;
  /** Records `error` as an exception event and sets the status to ERROR (`error.type` = its class). */
  fail(error: unknown): void;
  /** Ends the span (later calls are ignored). */
  end(): void;
}

// ---- The part of the OpenTelemetry API (1.x) the adapter uses, typed structurally (no import). ----

/** An OpenTelemetry `Context` (opaque here). */
export interface OtelContext {
  getValue(key: symbol): unknown;
}
/** An OpenTelemetry `SpanContext`. */
export interface OtelSpanContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
}
/** An OpenTelemetry `Span` (the methods used). */
export interface OtelSpan {
  spanContext(): OtelSpanContext;
  setAttributes(attributes: TraceAttributes): unknown;
  addEvent(name: string, attributes?: TraceAttributes): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  recordException(exception: Error | string): void;
  isRecording(): boolean;
  end(): void;
}
/** An OpenTelemetry `Tracer`. */
export interface OtelTracer {
  startSpan(name: string, options?: { kind?: number; attributes?: TraceAttributes; links?: Array<{ context: OtelSpanContext }>; root?: boolean }, context?: OtelContext): OtelSpan;
}
/** Reads a carrier's fields (`TextMapGetter`). */
export interface OtelGetter<C> {
  get(carrier: C, key: string): string | string[] | undefined;
  keys(carrier: C): string[];
}
/** The `@opentelemetry/api` module (1.x): pass `import * as api from '@opentelemetry/api'`. */
export interface OtelApi {
  trace: {
    getTracer(name: string, version?: string): OtelTracer;
    /** The global provider (a proxy whose `getDelegate()` is the SDK's provider once one is registered). */
    getTracerProvider?(): unknown;
    setSpan(context: OtelContext, span: OtelSpan): OtelContext;
    getSpanContext(context: OtelContext): OtelSpanContext | undefined;
  };
  context: {
    active(): OtelContext;
    with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: OtelContext, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F>;
  };
  propagation: {
    inject<C>(context: OtelContext, carrier: C): void;
    extract<C>(context: OtelContext, carrier: C, getter?: OtelGetter<C>): OtelContext;
    /** The header names the global propagator uses (none = the API's no-op propagator). */
    fields?(): string[];
  };
  ROOT_CONTEXT: OtelContext;
  /** The API's proxy provider class: a fresh one's delegate is the API's no-op provider (used to detect "no SDK"). */
  ProxyTracerProvider?: new () => { getDelegate(): unknown };
}

/** Options of {@link otelTracing}. */
export interface OtelTracingOptions {
  /** Tracer name (default `eventgen`). */
  tracerName?: string;
  /** Tracer version. */
  tracerVersion?: string;
  /** A tracer to use instead of `api.trace.getTracer(tracerName)`. */
  tracer?: OtelTracer;
  /**
   * Consumer spans (default `record`). `record`: one `process` span per record, child of (and linked to) its producer's
   * context; the handler's spans are its children. `batch`: one `process` span per delivered batch (per partition
   * fetch; per {@link maxLinks} records of a longer one) with `messaging.batch.message_count` and a link to each record's producer context; handlers run in it
   * (their spans are children of the batch span, not of a record's span). A record whose attempt fails gets its own
   * `process` span then (child of the batch span, linked to its producer context, with its message id and offset),
   * holding its failed attempts as events and parenting its retries and its dead-letter write. Much cheaper per
   * record (the OpenTelemetry messaging conventions for batch processing); the trade is that a successful record has
   * no span of its own, so its handler's spans are correlated with the producer only through the batch span's links.
   */
  spans?: 'record' | 'batch';
  /**
   * Batch span mode: the most records one `process` span covers (one link each). A delivered batch of more records
   * gets one span per this many, in order, each ended when the consumer moves on to the next, so no link is lost to
   * the SDK's limit (which otherwise drops the oldest links of a span beyond it and logs a warning). Default: the
   * SDK's own default, `OTEL_SPAN_LINK_COUNT_LIMIT` when set, else 128; raise both together.
   */
  maxLinks?: number;
  /**
   * Whether spans that cover several records (batch span mode's `process` spans, and `handleBatch` spans in either
   * mode) carry a link to each record's producer context (default `true`). `false`: no per-record links on them, the
   * cheapest tracing that still records every batch, every failure (a failed record's own span keeps its parent and
   * link to its producer), every retry and dead-letter write; the trade is that a successful record is then tied to its
   * producer's trace by nothing at all. Per-record `process` spans (record mode) keep their parent and link either way.
   */
  batchLinks?: boolean;
}

// SpanKind and SpanStatusCode values of the OpenTelemetry API.
const PRODUCER = 3;
const CONSUMER = 4;
const STATUS_ERROR = 2;

/** Each byte's value as a lower-case hex digit (0-15), -1 for any other byte. */
const HEX_DIGIT = new Int8Array(256).fill(-1);
for (let i = 0; i < 16; i++) HEX_DIGIT['0123456789abcdef'.charCodeAt(i)] = i;

/** The OR of the hex digits of `text[from, to)` (0: all zeros), or -1 when one of them is not a lower-case hex digit. */
function hexDigits(text: string, from: number, to: number): number {
  let or = 0;
  for (let i = from; i < to; i++) {
    const digit = HEX_DIGIT[text.charCodeAt(i)] ?? -1;
    if (digit < 0) return -1;
    or |= digit;
  }
  return or;
}

/**
 * The span context of a record's plain version-00 `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`, trace and span ids
 * not all zeros: what the W3C propagator extracts from it), or `undefined` when the record has none, has a `tracestate`
 * too, or the value is anything else (the caller then asks the propagator, which also handles whitespace, later
 * versions and invalid values). Read character by character (no regular expression, no match array): batch span mode
 * reads one per record.
 */
function traceparentLink(record: ConsumedRecord): OtelSpanContext | undefined {
  const headers = record.headers;
  if (!Object.prototype.hasOwnProperty.call(headers, 'traceparent') || Object.prototype.hasOwnProperty.call(headers, 'tracestate')) return undefined;
  const raw = headers.traceparent;
  const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  const text = typeof value === 'string' ? value : Buffer.isBuffer(value) && value.length === 55 ? value.toString('latin1') : undefined;
  if (text === undefined || text.length !== 55 || text.charCodeAt(0) !== 48 || text.charCodeAt(1) !== 48 || text.charCodeAt(2) !== 45 || text.charCodeAt(35) !== 45 || text.charCodeAt(52) !== 45) return undefined;
  if (hexDigits(text, 3, 35) <= 0 || hexDigits(text, 36, 52) <= 0 || hexDigits(text, 53, 55) < 0) return undefined;
  const flags = (HEX_DIGIT[text.charCodeAt(53)] as number) * 16 + (HEX_DIGIT[text.charCodeAt(54)] as number);
  return { traceId: text.substring(3, 35), spanId: text.substring(36, 52), traceFlags: flags, isRemote: true } as OtelSpanContext;
}

/** Reads a record's raw headers for a propagator (only the ones it asks for; the last of a repeated header, as `decodeHeaders`). */
const HEADER_GETTER: OtelGetter<ConsumedRecord> = {
  get: (record, key) => {
    const raw = Object.prototype.hasOwnProperty.call(record.headers, key) ? record.headers[key] : undefined;
    return headerText(Array.isArray(raw) ? raw[raw.length - 1] : raw);
  },
  keys: (record) => Object.keys(record.headers),
};

/**
 * Tracing with OpenTelemetry: spans follow the messaging semantic conventions (`messaging.system=kafka`), contexts go
 * through the API's global propagator (register W3C trace context, as `NodeSDK` and `NodeTracerProvider.register()`
 * do). With no SDK registered (the API's no-op tracer provider and no propagator) every call returns before touching
 * the API, and the consumer asks {@link Tracing.idle} once per fetched batch and then makes no tracing call for its
 * records: they are handled exactly as without tracing. An SDK registered later is picked up (the consumer: at its
 * next batch; producers: at their next send).
 */
export function otelTracing(api: OtelApi, options: OtelTracingOptions = {}): Tracing {
  const maxLinks = options.maxLinks ?? (Number(process.env.OTEL_SPAN_LINK_COUNT_LIMIT) || DEFAULT_MAX_LINKS);
  if (!Number.isInteger(maxLinks) || maxLinks < 1) throw new TypeError(`otelTracing: maxLinks must be a positive integer, got ${String(options.maxLinks)}`);
  if (options.batchLinks !== undefined && typeof options.batchLinks !== 'boolean') throw new TypeError(`otelTracing: batchLinks must be true or false, got ${String(options.batchLinks)}`);
  return new OtelTracing(api, options.tracer ?? api.trace.getTracer(options.tracerName ?? 'eventgen', options.tracerVersion), options.tracer !== undefined, options.spans === 'batch' ? maxLinks : 0, options.batchLinks ?? true);
}

/** Span names and the attributes known before a record is seen, per topic (the SDK copies attributes: shared safely). */
interface TopicNames {
  send: string;
  process: string;
  sendAttributes: Readonly<TraceAttributes>;
}

class OtelTracing implements Tracing {
  private readonly names = new Map<string, TopicNames>();
  /** The API's no-op tracer provider (`undefined`: this API cannot tell, so never short-circuit). */
  private readonly noopProvider: unknown;

  constructor(
    private readonly api: OtelApi,
    private readonly tracer: OtelTracer,
    /** A tracer the application passed: always used. */
    private readonly explicit: boolean,
    /** Batch span mode ({@link OtelTracingOptions.spans}): the most records of one batch span; 0 = record mode. */
    private readonly maxLinks: number,
    /** {@link OtelTracingOptions.batchLinks}: spans of several records link each record's producer context. */
    private readonly batchLinks: boolean,
  ) {
    this.noopProvider = typeof api.ProxyTracerProvider === 'function' && typeof api.trace.getTracerProvider === 'function' && typeof api.propagation.fields === 'function' ? new api.ProxyTracerProvider().getDelegate() : undefined;
  }

  /**
   * True when nothing can come of a span: the global tracer provider is the API's no-op (no SDK) and no propagator is
   * registered (no context to carry from the record to the handler). A few property reads and calls: the consumer
   * asks once per batch, a producer once per send.
   */
  idle(): boolean {
    if (this.explicit || this.noopProvider === undefined) return false;
    const provider = (this.api.trace.getTracerProvider as () => { getDelegate?: () => unknown })();
    if (typeof provider.getDelegate !== 'function' || provider.getDelegate() !== this.noopProvider) return false;
    return (this.api.propagation.fields as () => string[])().length === 0;
  }

  send(topic: string, eventId: string, headers: Record<string, string>, traceparent: string | undefined): TraceSpan {
    if (this.idle()) return NOOP_SPAN;
    const api = this.api;
    const parent = traceparent === undefined ? api.context.active() : api.propagation.extract(api.ROOT_CONTEXT, { traceparent }, OBJECT_GETTER);
    const names = this.name(topic);
    const span = this.tracer.startSpan(names.send, { kind: PRODUCER, attributes: names.sendAttributes }, parent);
    if (!span.isRecording() && span.spanContext().traceId === INVALID_TRACE_ID) return NOOP_SPAN; // nothing to carry
    if (span.isRecording()) span.setAttributes({ 'messaging.message.id': eventId });
    const context = api.trace.setSpan(parent, span);
    api.propagation.inject(context, headers);
    return new OtelSpanHandle(api, span, context);
  }

  process(record: ConsumedRecord, groupId: string, eventId: string | undefined, batch?: TraceSpan): TraceSpan | undefined {
    // Batch mode: the handler runs in the batch span; the record's own span is started only if an attempt fails.
    if (batch instanceof BatchSpans) return new LazyRecordSpan(this, batch.of(record), record, groupId, eventId);
    if (this.idle()) return undefined;
    return this.recordSpan(record, groupId, eventId, undefined);
  }

  deliveredBatch(records: readonly ConsumedRecord[], groupId: string): TraceSpan | undefined {
    if (this.maxLinks === 0 || records.length === 0 || this.idle()) return undefined;
    // Without links a span may cover the whole batch (the SDK's link limit is what splits it).
    const spans = new BatchSpans(this, records, groupId, this.api.context.active(), this.batchLinks ? this.maxLinks : records.length);
    // The first span decides for all: not recording with an invalid context (a propagator, no SDK) = nothing to carry.
    const first = spans.of(records[0] as ConsumedRecord);
    if (!first.recording && first.traceId === INVALID_TRACE_ID) return undefined;
    return spans;
  }

  /** The `process` span of `records[from, to)` of a delivered batch (batch span mode), child of `parent`. */
  chunkSpan(records: readonly ConsumedRecord[], from: number, to: number, groupId: string, parent: OtelContext): OtelSpanHandle {
    return new OtelSpanHandle(this.api, this.batchSpan(records, groupId, from, to, parent).span, undefined, parent);
  }

  /**
   * A `process` span for several records (`records[from, to)` of a delivered batch, or one `handleBatch` call), child
   * of `parent` (default: the active context), with a link to each record's producer context (none with `batchLinks`
   * off).
   */
  private batchSpan(records: readonly ConsumedRecord[], groupId: string, from = 0, to = records.length, parent = this.api.context.active()): { span: OtelSpan; parent: OtelContext } {
    const api = this.api;
    const first = records[from] as ConsumedRecord;
    const links: Array<{ context: OtelSpanContext }> = [];
    if (this.batchLinks) {
      // The links need only each record's span context: with the W3C propagator (alone or with baggage) a plain
      // `traceparent` is read directly, without a context per record; anything else goes through the propagator.
      const fields = api.propagation.fields?.();
      const direct = fields !== undefined && fields.includes('traceparent') && fields.every((f) => f === 'traceparent' || f === 'tracestate' || f === 'baggage');
      for (let i = from; i < to; i++) {
        const record = records[i] as ConsumedRecord;
        const creation = (direct ? traceparentLink(record) : undefined) ?? api.trace.getSpanContext(api.propagation.extract(api.ROOT_CONTEXT, record, HEADER_GETTER));
        if (creation !== undefined) links.push({ context: creation });
      }
    }
    const span = this.tracer.startSpan(
      this.name(first.topic).process,
      {
        kind: CONSUMER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.operation.name': 'process',
          'messaging.destination.name': first.topic,
          'messaging.destination.partition.id': String(first.partition),
          'messaging.consumer.group.name': groupId,
          'messaging.batch.message_count': to - from,
        },
        links,
      },
      parent,
    );
    return { span, parent };
  }

  /**
   * A record's `process` span, linked to its producer's context (extracted from its headers) and child of it, or of
   * `batch` (batch mode: a record whose attempt failed).
   */
  recordSpan(record: ConsumedRecord, groupId: string, eventId: string | undefined, batch: OtelContext | undefined): OtelSpanHandle | undefined {
    const api = this.api;
    const extracted = api.propagation.extract(api.ROOT_CONTEXT, record, HEADER_GETTER);
    const creation = api.trace.getSpanContext(extracted);
    const parent = batch ?? extracted;
    // Every attribute in the one options object: the SDK copies it once (and a sampler sees them all).
    const attributes: TraceAttributes = {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': record.topic,
      'messaging.consumer.group.name': groupId,
      'messaging.destination.partition.id': String(record.partition),
      'messaging.kafka.offset': Number(record.offset),
    };
    if (eventId !== undefined) attributes['messaging.message.id'] = eventId;
    const span = this.tracer.startSpan(this.name(record.topic).process, creation === undefined ? { kind: CONSUMER, attributes } : { kind: CONSUMER, attributes, links: [{ context: creation }] }, parent);
    // Not recording with an invalid context (a propagator but no SDK, and no context in the record): nothing to carry.
    if (!span.isRecording() && span.spanContext().traceId === INVALID_TRACE_ID) return undefined;
    // Recording, or sampled out with the producer's context: the handler runs in it either way.
    return new OtelSpanHandle(api, span, undefined, parent);
  }

  processBatch(records: readonly ConsumedRecord[], groupId: string): TraceSpan {
    if (this.idle()) return NOOP_SPAN;
    const { span, parent } = this.batchSpan(records, groupId);
    return new OtelSpanHandle(this.api, span, undefined, parent);
  }

  deadLetter(parent: TraceSpan | undefined, topic: string, record: ConsumedRecord, eventId: string | undefined, reason: string, error: unknown): TraceSpan {
    if (parent === undefined && this.idle()) return NOOP_SPAN;
    const api = this.api;
    const context = parent instanceof OtelSpanHandle ? parent.context : parent instanceof LazyRecordSpan ? parent.context : api.context.active();
    const span = this.tracer.startSpan(
      this.name(topic).send,
      {
        kind: PRODUCER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'send',
          'messaging.operation.name': 'send',
          'messaging.destination.name': topic,
          'messaging.message.id': eventId,
          'eventgen.dead_letter.reason': reason,
          'eventgen.dead_letter.original_topic': record.topic,
          'eventgen.dead_letter.original_partition': record.partition,
          'eventgen.dead_letter.original_offset': Number(record.offset),
          'error.type': errorType(error),
        },
      },
      context,
    );
    const handle = new OtelSpanHandle(api, span, undefined, context);
    handle.fail(error);
    return handle;
  }

  private name(topic: string): TopicNames {
    let names = this.names.get(topic);
    if (names === undefined) {
      names = { send: `send ${topic}`, process: `process ${topic}`, sendAttributes: Object.freeze({ ...SEND_ATTRIBUTES, 'messaging.destination.name': topic }) };
      if (this.names.size < 10_000) this.names.set(topic, names);
    }
    return names;
  }
}

const INVALID_TRACE_ID = '00000000000000000000000000000000';
/** The SDK's default `linkCountLimit`. */
const DEFAULT_MAX_LINKS = 128;
const SEND_ATTRIBUTES: TraceAttributes = { 'messaging.system': 'kafka', 'messaging.operation.type': 'send', 'messaging.operation.name': 'send' };

/** The span handed out when no SDK is registered: runs functions as they are, records nothing. */
const NOOP_SPAN: TraceSpan = Object.freeze({
  run: <T>(fn: () => T): T => fn(),
  event: () => undefined,
  set: () => undefined,
  fail: () => undefined,
  end: () => undefined,
});

const OBJECT_GETTER: OtelGetter<Record<string, string>> = {
  get: (carrier, key) => carrier[key],
  keys: (carrier) => Object.keys(carrier),
};

class OtelSpanHandle implements TraceSpan {
  private ended = false;

  constructor(
    private readonly api: OtelApi,
    private readonly span: OtelSpan,
    private ctx: OtelContext | undefined,
    private readonly parent?: OtelContext,
  ) {}

  /** Whether the SDK records this span. */
  get recording(): boolean {
    return this.span.isRecording();
  }

  /** Its trace id (all zeros: an invalid context, nothing to carry). */
  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  /** The context with this span active. */
  get context(): OtelContext {
    this.ctx ??= this.api.trace.setSpan(this.parent ?? this.api.ROOT_CONTEXT, this.span);
    return this.ctx;
  }

  run<T>(fn: () => T): T {
    return this.api.context.with(this.context, fn);
  }

  event(name: string, attributes: TraceAttributes): void {
    if (this.span.isRecording()) this.span.addEvent(name, attributes);
  }

  set(attributes: TraceAttributes): void {
    if (this.span.isRecording()) this.span.setAttributes(attributes);
  }

  fail(error: unknown): void {
    if (!this.span.isRecording()) return;
    const e = error instanceof Error ? error : new Error(String(error));
    this.span.recordException(e);
    this.span.setAttributes({ 'error.type': errorType(error) });
    this.span.setStatus({ code: STATUS_ERROR, message: e.message });
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.span.end();
  }
}

/**
 * The spans of one delivered batch in batch span mode: one per `maxLinks` records in order (one for most batches),
 * started when the consumer reaches its first record and ended when it reaches the next span's first record or leaves
 * the batch.
 */
class BatchSpans implements TraceSpan {
  private current: OtelSpanHandle | undefined;
  /** Index of the current span's first record. */
  private from = -1;
  /** Index of the record last asked for (records are handled in order: the next one is found from here). */
  private cursor = 0;

  constructor(
    private readonly tracing: OtelTracing,
    private readonly records: readonly ConsumedRecord[],
    private readonly groupId: string,
    private readonly parent: OtelContext,
    private readonly size: number,
  ) {}

  /** The span of `record` (one of this batch's), started (and the one before ended) when it is the first of its span. */
  of(record: ConsumedRecord): OtelSpanHandle {
    const records = this.records;
    let i = this.cursor;
    while (i < records.length && records[i] !== record) i++;
    if (i === records.length) {
      i = records.indexOf(record);
      if (i < 0) i = Math.max(this.from, 0); // not one of this batch's: the current span
    }
    this.cursor = i;
    const from = i - (i % this.size);
    if (this.current === undefined || from !== this.from) {
      this.current?.end();
      this.from = from;
      this.current = this.tracing.chunkSpan(records, from, Math.min(from + this.size, records.length), this.groupId, this.parent);
    }
    return this.current;
  }

  run<T>(fn: () => T): T {
    return this.current === undefined ? fn() : this.current.run(fn);
  }

  event(name: string, attributes: TraceAttributes): void {
    this.current?.event(name, attributes);
  }

  set(attributes: TraceAttributes): void {
    this.current?.set(attributes);
  }

  fail(error: unknown): void {
    this.current?.fail(error);
  }

  end(): void {
    this.current?.end();
  }
}

/**
 * A record's span in batch mode: its handler runs in the batch span, and the record's own `process` span (linked to
 * its producer context, child of the batch span) is started only when something happens to it besides success (a
 * failed attempt, a retry-topic write, a dead-letter write). Successful records cost one small object.
 */
class LazyRecordSpan implements TraceSpan {
  private own: OtelSpanHandle | undefined;
  private ended = false;

  constructor(
    private readonly tracing: OtelTracing,
    private readonly batch: OtelSpanHandle,
    private readonly record: ConsumedRecord,
    private readonly groupId: string,
    private readonly eventId: string | undefined,
  ) {}

  /** The record's own span, started on first need. */
  private ensure(): OtelSpanHandle | undefined {
    if (this.own === undefined && !this.ended) this.own = this.tracing.recordSpan(this.record, this.groupId, this.eventId, this.batch.context);
    return this.own;
  }

  /** The context later spans of this record (its dead-letter write) are children of: its own span's. */
  get context(): OtelContext {
    return (this.ensure() ?? this.batch).context;
  }

  run<T>(fn: () => T): T {
    return (this.own ?? this.batch).run(fn);
  }

  event(name: string, attributes: TraceAttributes): void {
    if (!this.ended) this.ensure()?.event(name, attributes);
  }

  set(attributes: TraceAttributes): void {
    if (!this.ended) this.ensure()?.set(attributes);
  }

  fail(error: unknown): void {
    if (!this.ended) this.ensure()?.fail(error);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.own?.end();
  }
}

/** `tracing` for the records of one delivered batch in batch span mode: their spans belong to `batch`. */
export function inBatch(tracing: Tracing, batch: TraceSpan): Tracing {
  return {
    send: (topic, eventId, headers, traceparent) => tracing.send(topic, eventId, headers, traceparent),
    process: (record, groupId, eventId) => tracing.process(record, groupId, eventId, batch),
    processBatch: (records, groupId) => tracing.processBatch(records, groupId),
    deadLetter: (parent, topic, record, eventId, reason, error) => tracing.deadLetter(parent, topic, record, eventId, reason, error),
  };
}

/** `error.type` of an error: its class name. */
export function errorType(error: unknown): string {
  return error instanceof Error ? error.name || error.constructor.name : typeof error === 'string' ? 'Error' : '_OTHER';
}
