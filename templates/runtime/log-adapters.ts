import { DEFAULT_REDACT_PATTERN, redact, type LogFields, type Logger } from './logger.js';

/**
 * Adapters that send the runtime's log lines to the logger a service already uses, so it has one log format. The
 * runtime never imports pino: you pass your logger. Fields are redacted as the JSON-lines default
 * does (secret-looking keys; classified event fields are already removed by the runtime before they reach any
 * logger), bound fields included. The NestJS target logs through Nest's `Logger` already (`kafka/kafka.logger.ts`).
 */

/** The part of a pino logger the adapter uses (`pino()` or a child of it). */
export interface PinoLike {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  child(bindings: object): PinoLike;
}

/** A {@link Logger} writing through pino: `pinoLogger(pino())`; levels map one to one, fields become the merge object. */
export function pinoLogger(pino: PinoLike, options: { redact?: readonly RegExp[] } = {}): Logger {
  const patterns = [DEFAULT_REDACT_PATTERN, ...(options.redact ?? [])];
  const clean = (fields: LogFields | undefined): object => (fields === undefined ? {} : (redact(fields, patterns) as object));
  const make = (p: PinoLike): Logger => ({
    debug: (m, f) => p.debug(clean(f), m),
    info: (m, f) => p.info(clean(f), m),
    warn: (m, f) => p.warn(clean(f), m),
    error: (m, f) => p.error(clean(f), m),
    child: (fields) => make(p.child(clean(fields))),
  });
  return make(pino);
}
