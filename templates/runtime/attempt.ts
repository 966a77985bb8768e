import type { EventContext, Route } from './delegator.js';
import type { Envelope, EnvelopeMetadata } from './envelope.js';
import type { EventOutputs, ExactlyOnce } from './exactly-once.js';
import type { EventHeaders } from './headers.js';
import { traceFields, type LogFields, type Logger } from './logger.js';
import { redactingLogger } from './redact-data.js';
import type { ConsumedRecord } from './transport.js';

/**
 * The {@link EventContext} of one handler attempt. Its `signal` and `logger` are created on first use (most
 * handlers use neither; a child logger and an AbortController per record are measurable on the hot path).
 */
export class AttemptContext implements EventContext {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly correlationId: string;
  readonly causationId: string | undefined;
  /** This attempt's outputs in an exactly-once group (undefined otherwise). */
  readonly outputs: EventOutputs | undefined;
  private controller: AbortController | undefined;
  private abortReason: unknown;
  private log: Logger | undefined;

  /** @param source where the decoded headers come from (decoded on first use). */
  constructor(
    readonly record: ConsumedRecord,
    private readonly source: { readonly headers: EventHeaders; readonly target?: Route | undefined; readonly envelope?: Envelope | undefined },
    readonly metadata: EnvelopeMetadata,
    readonly attempt: number,
    private readonly baseLogger: Logger,
    exactlyOnce?: ExactlyOnce,
  ) {
    if (exactlyOnce !== undefined) this.outputs = exactlyOnce.begin(record);
    this.topic = record.topic;
    this.partition = record.partition;
    this.offset = record.offset;
    this.eventId = metadata.eventId;
    this.eventType = metadata.eventType;
    this.correlationId = metadata.correlationId;
    this.causationId = metadata.causationId;
  }

  /** Decoded record headers. */
  get headers(): EventHeaders {
    return this.source.headers;
  }

  /** Aborted when the attempt should end early (stop, timeout, rebalance). */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /**
   * Logger with the record's coordinates, ids and `traceId` (from its `traceparent` header, when well-formed);
   * classified values of the record are redacted (redact-data.ts). The child logger is built, and the header parsed,
   * on the first line logged (or `child()` call), not when a handler merely reads `context.logger`.
   */
  get logger(): Logger {
    this.log ??= deferredLogger(() => {
      const target = this.source.target;
      return redactingLogger(this.baseLogger.child({ ...contextFields(this), ...traceFields(this.source.headers) }), target?.kind === 'exact' ? target.definition : undefined, this.source.envelope?.data);
    });
    return this.log;
  }

  /** Ends the attempt's signal (first reason wins). */
  abort(reason: unknown): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }
}

/** Log fields of a record being handled. */
export function contextFields(ctx: Pick<EventContext, 'topic' | 'partition' | 'offset' | 'eventId' | 'eventType' | 'correlationId'>): LogFields {
  return { topic: ctx.topic, partition: ctx.partition, offset: ctx.offset, eventId: ctx.eventId, eventType: ctx.eventType, correlationId: ctx.correlationId };
}

/** A logger made by `make` on its first use. */
function deferredLogger(make: () => Logger): Logger {
  let made: Logger | undefined;
  const real = (): Logger => (made ??= make());
  return {
    debug: (m, f) => real().debug(m, f),
    info: (m, f) => real().info(m, f),
    warn: (m, f) => real().warn(m, f),
    error: (m, f) => real().error(m, f),
    child: (f) => real().child(f),
  };
}

/** How a handler attempt ended. */
export type AttemptResult =
  | { kind: 'ok' }
  | { kind: 'failed'; error: unknown }
  /** Did not settle within the handler timeout (the handler may still be running). */
  | { kind: 'timeout' }
  /** The partition was taken away (the handler may still be running). */
  | { kind: 'revoked' }
  /** The stop deadline passed (the handler may still be running). */
  | { kind: 'abandoned' };

/** An attempt being watched by the engine's ticker. */
export interface Watch {
  /** Epoch ms after which the attempt times out. */
  readonly deadline: number;
  /** The attempt's context (aborted on timeout, revoke, stop). */
  readonly context: AttemptContext;
  /** Ends the wait with a result (first call wins). */
  settle(result: AttemptResult): void;
  /** When the engine first saw the partition revoked during this attempt (epoch ms). */
  revokedAt?: number;
}

/** The attempt's result once its promise settles. */
export const OK: AttemptResult = Object.freeze({ kind: 'ok' });
