/** Log levels, least to most severe. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Structured fields attached to a log entry. */
export type LogFields = Record<string, unknown>;

/** A structured logger; `child` returns one that adds fields (correlationId, eventId…) to every entry. */
export interface Logger {
  /** Verbose diagnostics. */
  debug(message: string, fields?: LogFields): void;
  /** Normal operation. */
  info(message: string, fields?: LogFields): void;
  /** Something unexpected that was handled. */
  warn(message: string, fields?: LogFields): void;
  /** A failure that needs attention. */
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every entry. */
  child(fields: LogFields): Logger;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Lowest level written (default: `LOG_LEVEL` from the environment, else `info`). */
  level?: LogLevel;
  /** Fields on every entry (e.g. `{ service: 'payments' }`). */
  fields?: LogFields;
  /** Where lines go (default: stdout). */
  write?: (line: string) => void;
  /** Extra key patterns to redact, on top of {@link DEFAULT_REDACT_PATTERN}. */
  redact?: readonly RegExp[];
  /** Clock (injectable for tests). */
  now?: () => Date;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Keys whose values are never logged. */
export const DEFAULT_REDACT_PATTERN = /passw(or)?d|passphrase|secret|token|sasl|authorization|api[-_]?key|credential|private[-_]?key|cookie/i;

/** Replacement for redacted values. */
export const REDACTED = '[REDACTED]';

/** Creates a JSON-lines logger: one `{"time","level","msg",...fields}` object per line, secrets redacted. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const envLevel = process.env['LOG_LEVEL'];
  const level = options.level ?? (isLevel(envLevel) ? envLevel : 'info');
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const patterns = [DEFAULT_REDACT_PATTERN, ...(options.redact ?? [])];
  const now = options.now ?? (() => new Date());
  const make = (base: LogFields): Logger => {
    const log = (entryLevel: LogLevel, message: string, fields?: LogFields): void => {
      if (LEVELS[entryLevel] < LEVELS[level]) return;
      const entry = { time: now().toISOString(), level: entryLevel, msg: message, ...base, ...fields };
      write(JSON.stringify(redact(entry, patterns)));
    };
    return {
      debug: (m, f) => log('debug', m, f),
      info: (m, f) => log('info', m, f),
      warn: (m, f) => log('warn', m, f),
      error: (m, f) => log('error', m, f),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return make(options.fields ?? {});
}

/**
 * The runtime's default logger when none is given: warnings and errors as JSON lines on stderr (`LOG_LEVEL`
 * changes the level), so a failing consumer is never silent. Pass `silentLogger` to silence it.
 */
export function defaultLogger(fields: LogFields = {}): Logger {
  const envLevel = process.env['LOG_LEVEL'];
  return createLogger({ level: isLevel(envLevel) ? envLevel : 'warn', fields, write: (line) => void process.stderr.write(`${line}\n`) });
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};

/**
 * Deep copy of `value` with the values of secret-looking keys replaced by {@link REDACTED}; Errors become
 * `{ name, message, stack }`, Buffers a length note, cycles `[Circular]`.
 */
export function redact(value: unknown, patterns: readonly RegExp[] = [DEFAULT_REDACT_PATTERN]): unknown {
  const seen = new WeakSet<object>();
  const walk = (v: unknown): unknown => {
    if (typeof v === 'bigint') return v.toString();
    if (typeof v !== 'object' || v === null) return v;
    if (Buffer.isBuffer(v)) return `<Buffer ${v.length} bytes>`;
    if (v instanceof Date) return v.toISOString();
    if (seen.has(v)) return '[Circular]';
    seen.add(v);
    if (Array.isArray(v)) return v.map(walk);
    const source: Record<string, unknown> =
      v instanceof Error ? errorFields(v) : (v as Record<string, unknown>);
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(source)) {
      out[key] = patterns.some((p) => p.test(key)) ? REDACTED : walk(inner);
    }
    return out;
  };
  return walk(value);
}

/** Errors keep name/message/stack (non-enumerable, so spread alone would lose them) and their cause. */
function errorFields(error: Error): Record<string, unknown> {
  const fields: Record<string, unknown> = { ...Object.fromEntries(Object.entries(error)), name: error.name, message: error.message, stack: error.stack };
  if (error.cause !== undefined) fields['cause'] = error.cause;
  return fields;
}

/**
 * The trace id of a W3C `traceparent` header value (`00-<32 hex>-<16 hex>-<2 hex>`; later versions may append
 * `-...`), for the `traceId` log field; undefined when absent or malformed (an all-zero id, upper-case hex, version
 * `ff`, wrong lengths), so a malformed header value never reaches a log line.
 */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  if (traceparent === undefined || traceparent.length < 55 || traceparent.length > 512) return undefined;
  const match = TRACEPARENT.exec(traceparent);
  if (match === null) return undefined;
  const [, version, traceId, parentId, rest] = match as unknown as [string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE_ID || parentId === ZERO_PARENT_ID) return undefined;
  return traceId;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-[\x21-\x7e]*)?$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_PARENT_ID = '0'.repeat(16);

/** `{ traceId }` from a record's decoded headers (their `traceparent`), or an empty object when it has none or a malformed one. */
export function traceFields(headers: Readonly<Record<string, string>>): LogFields {
  const traceId = traceIdOf(headers['traceparent']);
  return traceId === undefined ? {} : { traceId };
}

function isLevel(value: string | undefined): value is LogLevel {
  return value !== undefined && value in LEVELS;
}
