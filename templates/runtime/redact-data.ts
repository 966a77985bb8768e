import type { DataClassification, EventDefinition } from './definitions.js';
import type { LogFields, Logger } from './logger.js';

/**
 * Redaction of classified data in what the runtime writes about a record: log lines, dead-letter headers, health and
 * status texts. The Kafka record itself (value bytes, forwarded to the dead-letter topic) is never changed.
 *
 * An event is *sensitive* when it is classified `confidential` or `restricted`, or when the catalog marks some of its
 * fields so (`sensitiveFields`). Nothing is done for other events: callers ask {@link redactorFor} once and skip all
 * work when it answers `undefined`.
 */

/** The subset of an event definition redaction needs. */
export type RedactionInfo = Pick<EventDefinition, 'eventType' | 'classification' | 'sensitiveFields'>;

/** Replacement of a sensitive field's value in a redacted payload. */
export const REDACTED_FIELD = '[REDACTED]';

/** Shortest string (or number, as decimal text) removed from error texts; shorter values are left alone. */
export const MIN_SCRUBBED_LENGTH = 4;

/** Most distinct values removed from one text; past that every quoted span and every long digit run is masked instead. */
export const MAX_SCRUBBED_VALUES = 500;

const WHOLE: ReadonlySet<DataClassification> = new Set<DataClassification>(['confidential', 'restricted']);

/** Redacts one event's data; made once per event definition by {@link redactorFor}. */
export interface Redactor {
  /**
   * A copy of `data` safe to log: the whole payload as `[REDACTED:<classification>]` for a confidential/restricted
   * event (`[REDACTED]` when only the payload schema itself is marked), else each sensitive field as `[REDACTED]`.
   */
  data(data: unknown): unknown;
  /** The sensitive values of `data` (strings and numbers of at least {@link MIN_SCRUBBED_LENGTH} characters). */
  values(data: unknown): string[];
  /** `text` without any occurrence of the sensitive values of `data` (never longer than `text`). */
  text(text: string, data: unknown): string;
  /** {@link Redactor.text} for many texts about the same `data` (the values are collected once). */
  scrubber(data: unknown): (text: string) => string;
  /**
   * The error to log and dead-letter instead of `error`: a copy (same prototype, so `instanceof`, `name` and
   * `retriable` are kept) whose message, stack, cause and other own fields no longer contain the sensitive values
   * of `data`; `error` itself when it mentions none.
   */
  error(error: unknown, data: unknown): unknown;
}

const cache = new WeakMap<object, Redactor | null>();

/** The redactor of an event, `undefined` when the event has nothing sensitive (the no-op fast path). Cached per definition. */
export function redactorFor(definition: RedactionInfo | undefined): Redactor | undefined {
  if (definition === undefined) return undefined;
  const known = cache.get(definition);
  if (known !== undefined) return known ?? undefined;
  const made = isSensitiveEvent(definition) ? makeRedactor(definition) : null;
  cache.set(definition, made);
  return made ?? undefined;
}

/** Whether the event is classified `confidential`/`restricted` or has sensitive fields. */
export function isSensitiveEvent(definition: RedactionInfo): boolean {
  return WHOLE.has(definition.classification) || (definition.sensitiveFields?.length ?? 0) > 0;
}

/** A copy of an event's `data` safe to log (see {@link Redactor.data}); `data` itself for events with nothing sensitive. */
export function redactEventData(definition: RedactionInfo, data: unknown): unknown {
  const r = redactorFor(definition);
  return r === undefined ? data : r.data(data);
}

/** `text` without the sensitive values of the event's `data` (see {@link Redactor.text}). */
export function redactEventText(definition: RedactionInfo, data: unknown, text: string): string {
  const r = redactorFor(definition);
  return r === undefined ? text : r.text(text, data);
}

/** The error to log instead of `error` for a record of this event (see {@link Redactor.error}). */
export function redactEventError(definition: RedactionInfo | undefined, data: unknown, error: unknown): unknown {
  const r = redactorFor(definition);
  return r === undefined ? error : r.error(error, data);
}

/**
 * For a record that could not be decoded (no payload to take values from): a copy of `error` whose texts have the
 * span between their first and last double quote masked (where `JSON.parse` quotes the input it choked on, and where
 * most messages quote values); `error` when no text has one.
 */
export function redactUndecodedError(error: unknown): unknown {
  return scrubError(error, maskQuoted);
}

/** Masks the span from the first to the last `"` of `text` (same length or shorter). */
export function maskQuoted(text: string): string {
  const a = text.indexOf('"');
  const b = text.lastIndexOf('"');
  if (a < 0 || b <= a) return text;
  return text.slice(0, a) + mask(b - a + 1) + text.slice(b + 1);
}

/** The replacement of a `length`-character value: `[REDACTED]` when it fits, else asterisks (a text never grows). */
function mask(length: number): string {
  return length >= REDACTED_FIELD.length ? REDACTED_FIELD : '*'.repeat(length);
}

/** Parses a JSON pointer into tokens (`~1` → `/`, `~0` → `~`); `""` = the root. */
function tokens(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` with what `path[i..]` reaches replaced by `marker`; copies only along the path. */
function replaceAt(value: unknown, path: readonly string[], i: number, marker: unknown): unknown {
  if (i === path.length) return marker;
  const t = path[i] as string;
  if (Array.isArray(value)) {
    if (t === '*') return value.map((v) => replaceAt(v, path, i + 1, marker));
    const n = Number(t);
    if (!Number.isInteger(n) || n < 0 || n >= value.length) return value;
    const copy = value.slice();
    copy[n] = replaceAt(value[n], path, i + 1, marker);
    return copy;
  }
  if (isPlainObject(value)) {
    if (t === '*') {
      const copy: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) copy[k] = replaceAt(v, path, i + 1, marker);
      return copy;
    }
    if (!Object.hasOwn(value, t)) return value;
    return { ...value, [t]: replaceAt(value[t], path, i + 1, marker) };
  }
  return value;
}

/** Calls `found` with every value `path[i..]` reaches. */
function visitAt(value: unknown, path: readonly string[], i: number, found: (v: unknown) => void): void {
  if (i === path.length) return found(value);
  const t = path[i] as string;
  if (Array.isArray(value)) {
    if (t === '*') for (const v of value) visitAt(v, path, i + 1, found);
    else visitAt(value[Number(t)], path, i + 1, found);
  } else if (isPlainObject(value)) {
    if (t === '*') for (const v of Object.values(value)) visitAt(v, path, i + 1, found);
    else if (Object.hasOwn(value, t)) visitAt(value[t], path, i + 1, found);
  }
}

/** Adds the scalar leaves of `value` (strings and finite numbers as text, long enough) to `out`. */
function leaves(value: unknown, out: Set<string>, depth = 0): void {
  if (out.size > MAX_SCRUBBED_VALUES || depth > 64) return;
  if (typeof value === 'string') {
    if (value.length >= MIN_SCRUBBED_LENGTH) {
      out.add(value);
      const escaped = JSON.stringify(value).slice(1, -1);
      if (escaped !== value) out.add(escaped);
    }
  } else if (typeof value === 'number' || typeof value === 'bigint') {
    const text = String(value);
    if (text.length >= MIN_SCRUBBED_LENGTH) out.add(text);
  } else if (Array.isArray(value)) {
    for (const v of value) leaves(v, out, depth + 1);
  } else if (isPlainObject(value)) {
    for (const v of Object.values(value)) leaves(v, out, depth + 1);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A text scrubber removing `values` (longest first, so a value containing another is removed whole). */
function scrubberOf(values: readonly string[]): (text: string) => string {
  if (values.length === 0) return (text) => text;
  if (values.length > MAX_SCRUBBED_VALUES) return (text) => maskQuoted(text).replace(/\d{4,}/g, (d) => '*'.repeat(d.length));
  const sorted = [...values].sort((a, b) => b.length - a.length);
  const pattern = new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
  return (text) => (text.length < MIN_SCRUBBED_LENGTH ? text : text.replace(pattern, (m) => mask(m.length)));
}

function makeRedactor(definition: RedactionInfo): Redactor {
  const whole = WHOLE.has(definition.classification) || (definition.sensitiveFields ?? []).includes('');
  // The payload itself marked sensitive (`""`) on an internal event: its level is not known here, so no suffix.
  const marker = WHOLE.has(definition.classification) ? `[REDACTED:${definition.classification}]` : REDACTED_FIELD;
  const paths = whole ? [] : (definition.sensitiveFields ?? []).map(tokens);
  const values = (data: unknown): string[] => {
    const out = new Set<string>();
    if (whole) leaves(data, out);
    else for (const p of paths) visitAt(data, p, 0, (v) => leaves(v, out));
    return [...out];
  };
  return {
    data: (data) => {
      if (whole) return marker;
      let out = data;
      for (const p of paths) out = replaceAt(out, p, 0, REDACTED_FIELD);
      return out;
    },
    values,
    text: (text, data) => scrubberOf(values(data))(text),
    scrubber: (data) => scrubberOf(values(data)),
    error: (error, data) => {
      const found = values(data);
      return found.length === 0 ? error : scrubError(error, scrubberOf(found));
    },
  };
}

/**
 * A logger whose lines (message and fields, errors included) have the sensitive values of an event's `data` removed;
 * `logger` itself for events with nothing sensitive. The runtime gives handlers such a `context.logger`.
 */
export function redactingLogger(logger: Logger, definition: RedactionInfo | undefined, data: unknown): Logger {
  const r = redactorFor(definition);
  if (r === undefined) return logger;
  let scrub: ((text: string) => string) | undefined;
  const get = (): ((text: string) => string) => (scrub ??= r.scrubber(data));
  const clean = (fields: LogFields | undefined): LogFields | undefined => (fields === undefined ? undefined : (scrubDeep(fields, get(), 0, new WeakMap()) as LogFields));
  const wrap = (inner: Logger): Logger => ({
    debug: (m, f) => inner.debug(get()(m), clean(f)),
    info: (m, f) => inner.info(get()(m), clean(f)),
    warn: (m, f) => inner.warn(get()(m), clean(f)),
    error: (m, f) => inner.error(get()(m), clean(f)),
    child: (f) => wrap(inner.child(clean(f) ?? {})),
  });
  return wrap(logger);
}

/** A scrubbed copy of `error` (see {@link Redactor.error}); `error` itself when no text changed. */
function scrubError(error: unknown, scrub: (text: string) => string): unknown {
  return scrubDeep(error, scrub, 0, new WeakMap());
}

/** Deep copy of `value` with every string scrubbed; objects untouched by scrubbing are returned as they are. */
function scrubDeep(value: unknown, scrub: (text: string) => string, depth: number, seen: WeakMap<object, unknown>): unknown {
  if (typeof value === 'string') return scrub(value);
  if (typeof value === 'number') {
    const text = String(value);
    const scrubbed = scrub(text);
    return scrubbed === text ? value : scrubbed;
  }
  if (typeof value !== 'object' || value === null || depth > 8) return value;
  if (seen.has(value)) return seen.get(value);
  if (Buffer.isBuffer(value) || value instanceof Date) return value;
  if (Array.isArray(value)) {
    seen.set(value, value);
    let changed = false;
    const out = value.map((v) => {
      const s = scrubDeep(v, scrub, depth + 1, seen);
      if (s !== v) changed = true;
      return s;
    });
    return changed ? out : value;
  }
  // Own properties (an Error's message and stack are own, non-enumerable); `input` (a Zod issue's copy of the
  // rejected value, when a schema reports it) is dropped.
  const copy = Object.create(Object.getPrototypeOf(value) as object | null) as Record<PropertyKey, unknown>;
  seen.set(value, copy);
  let changed = false;
  const keys = Reflect.ownKeys(value);
  if (value instanceof Error && !keys.includes('stack') && typeof value.stack === 'string') keys.push('stack');
  for (const key of keys) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (key === 'input' && !(value instanceof Error)) {
      changed = true;
      continue;
    }
    let v: unknown;
    try {
      v = (value as Record<PropertyKey, unknown>)[key];
    } catch {
      continue;
    }
    const s = scrubDeep(v, scrub, depth + 1, seen);
    if (s !== v) changed = true;
    Object.defineProperty(copy, key, { value: s, writable: true, configurable: true, enumerable: descriptor?.enumerable ?? false });
  }
  if (!changed) {
    seen.set(value, value);
    return value;
  }
  return copy;
}

/** What {@link redactUndecoded} needs of a topic delegator. */
export interface RedactionTopic {
  readonly eventTypes: readonly string[];
  resolve(eventType: string): { readonly kind: string } | undefined;
}

const topics = new WeakMap<object, boolean>();

/**
 * The error to log and dead-letter for a record of `topic` that could not be decoded: masked with
 * {@link redactUndecodedError} when any event the topic routes is sensitive (the record's event type is not known
 * for sure then), else `error` itself.
 */
export function redactUndecoded(topic: RedactionTopic, error: unknown): unknown {
  let sensitive = topics.get(topic);
  if (sensitive === undefined) {
    sensitive = topic.eventTypes.some((t) => {
      const definition = (topic.resolve(t) as { readonly definition?: RedactionInfo } | undefined)?.definition;
      return definition !== undefined && isSensitiveEvent(definition);
    });
    topics.set(topic, sensitive);
  }
  return sensitive ? redactUndecodedError(error) : error;
}
