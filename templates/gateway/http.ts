/**
 * HTTP plumbing of the event gateway, on `node:http` only: bounded body reading, RFC 9457 problem responses, JSON
 * pointers, CORS and request metrics. Everything a client sends is untrusted: sizes are bounded before parsing,
 * nesting is bounded before `JSON.parse`, and every failure is a problem+json answer, never a stack trace.
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatLabels } from '../runtime/index.js';

/** One invalid field: a JSON pointer into the request (`/data/amount`, `/headers/x-event-priority`) and why. */
export interface ProblemField {
  /** JSON pointer (RFC 6901) into the request: the body, or `/headers/<name>`. */
  pointer: string;
  /** What is wrong with it. */
  detail: string;
}

/** An RFC 9457 problem: thrown by the gateway's steps, answered as `application/problem+json`. */
export class HttpProblem extends Error {
  override name = 'HttpProblem';
  /**
   * @param status HTTP status.
   * @param slug the problem type's last segment (`urn:eventgen:problem:<slug>`).
   * @param title short, human-readable summary of the problem type.
   * @param detail this occurrence.
   * @param extra `errors` per field, response headers (`Retry-After`).
   */
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail?: string,
    readonly extra: { errors?: readonly ProblemField[]; headers?: Record<string, string> } = {},
  ) {
    super(detail ?? title);
  }

  /** The problem document. */
  body(instance?: string): Record<string, unknown> {
    const body: Record<string, unknown> = { type: `urn:eventgen:problem:${this.slug}`, title: this.title, status: this.status };
    if (this.detail !== undefined) body.detail = this.detail;
    if (instance !== undefined) body.instance = instance;
    if (this.extra.errors !== undefined) body.errors = this.extra.errors;
    return body;
  }
}

/** Escapes one JSON pointer reference token (RFC 6901: `~` → `~0`, `/` → `~1`). */
export function pointerToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** A JSON pointer from a base and a path (Zod issue paths). */
export function pointer(base: string, path: ReadonlyArray<PropertyKey>): string {
  return base + path.map((p) => `/${pointerToken(typeof p === 'symbol' ? p.toString() : p)}`).join('');
}

/** Limits of one request body. */
export interface BodyLimits {
  /** Largest body in bytes (larger → 413, read no further). */
  maxBytes: number;
  /** Deepest nesting of arrays and objects (deeper → 400, before parsing). */
  maxDepth: number;
}

/** A parsed request body. */
export interface JsonBody {
  /** The parsed value. */
  value: unknown;
  /** Whether the text could hold a `__proto__` key (literally or through `\u` escapes): only then is it searched for. */
  mayHoldProto: boolean;
}

/**
 * Reads and parses a JSON request body within `limits`: 415 for another content type or charset, 413 over the size
 * limit (checked on `Content-Length` first, then while reading), 400 for invalid UTF-8, too deep nesting or invalid
 * JSON (with the position).
 */
export async function readJsonBody(req: IncomingMessage, limits: BodyLimits): Promise<JsonBody> {
  const type = req.headers['content-type'];
  if (!isJsonContentType(type)) {
    throw new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', `Send the body as application/json (UTF-8)${type ? `, not ${clip(type, 100)}` : ''}.`);
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limits.maxBytes) throw tooLarge(limits.maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limits.maxBytes) throw tooLarge(limits.maxBytes);
    chunks.push(chunk);
  }
  const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
  if (bytes.length === 0) throw new HttpProblem(400, 'invalid-json', 'Invalid JSON', 'The request body is empty.');
  if (!isUtf8(bytes)) throw new HttpProblem(400, 'invalid-json', 'Invalid JSON', 'The request body is not valid UTF-8.');
  const text = bytes.toString('utf8');
  const depth = nestingDepth(text, limits.maxDepth);
  if (depth > limits.maxDepth) throw new HttpProblem(400, 'too-deep', 'Body nested too deeply', `JSON nesting deeper than ${limits.maxDepth} levels is refused.`);
  try {
    return { value: JSON.parse(text) as unknown, mayHoldProto: text.includes('__proto__') || text.includes('\\u') };
  } catch (error) {
    throw new HttpProblem(400, 'invalid-json', 'Invalid JSON', `The request body is not valid JSON: ${clip((error as Error).message, 200)}`);
  }
}

function tooLarge(max: number): HttpProblem {
  return new HttpProblem(413, 'payload-too-large', 'Payload too large', `The request body is larger than ${max} bytes.`);
}

/** `application/json`, optionally `; charset=utf-8`; any other type or charset is refused. */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const [type, ...params] = value.split(';').map((p) => p.trim().toLowerCase());
  if (type !== 'application/json' && !(type !== undefined && /^application\/[a-z0-9.+-]+\+json$/.test(type))) return false;
  return params.every((p) => !p.startsWith('charset=') || p === 'charset=utf-8' || p === 'charset="utf-8"');
}

/** Maximal nesting depth of `[`/`{` outside strings, stopping early once over `limit` (linear, no recursion). */
export function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return max;
}

/** Cuts a client-supplied string for an error message. */
export function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** Sends a JSON answer. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': `${contentType}; charset=utf-8`, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/** Sends a problem answer. */
export function sendProblem(res: ServerResponse, problem: HttpProblem, instance?: string, headers: Record<string, string> = {}): void {
  sendJson(res, problem.status, problem.body(instance), { ...headers, ...problem.extra.headers }, 'application/problem+json');
}

/** CORS settings. */
export interface CorsOptions {
  /** Allowed origins (exact match), or `*` for any. */
  origins: readonly string[] | '*';
  /** `Access-Control-Max-Age` of preflight answers (default 600 s). */
  maxAgeSeconds?: number;
}

/** Request headers the gateway reads, allowed in CORS requests. */
export const GATEWAY_REQUEST_HEADERS = ['authorization', 'content-type', 'idempotency-key', 'x-correlation-id', 'x-event-priority', 'x-event-source', 'x-user-id', 'x-partition-key'] as const;

/** Adds CORS headers for an allowed origin; answers a preflight. Returns true when the request was answered. */
export function applyCors(cors: CorsOptions | undefined, req: IncomingMessage, res: ServerResponse): boolean {
  if (cors === undefined) return false;
  const origin = req.headers.origin;
  const allowed = origin !== undefined && (cors.origins === '*' || cors.origins.includes(origin));
  if (allowed) {
    res.setHeader('access-control-allow-origin', cors.origins === '*' ? '*' : origin);
    if (cors.origins !== '*') res.setHeader('vary', 'Origin');
    res.setHeader('access-control-expose-headers', 'Location, Retry-After, Idempotent-Replayed');
  }
  if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
    if (allowed) {
      res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
      res.setHeader('access-control-allow-headers', GATEWAY_REQUEST_HEADERS.join(', '));
      res.setHeader('access-control-max-age', String(cors.maxAgeSeconds ?? 600));
    }
    res.writeHead(204).end();
    return true;
  }
  return false;
}

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** HTTP request counters and latency histogram, by route template (never by raw path: bounded label sets). */
export class HttpMetrics {
  private readonly requests = new Map<string, { route: string; method: string; status: number; count: number }>();
  private readonly durations = new Map<string, { route: string; counts: number[]; sum: number; count: number }>();

  /** @param prefix metric name prefix (default `eventgen_`). */
  constructor(private readonly prefix = 'eventgen_') {}

  /** Records one answered request. */
  observe(route: string, method: string, status: number, seconds: number): void {
    const key = `${route} ${method} ${status}`;
    const r = this.requests.get(key);
    if (r === undefined) this.requests.set(key, { route, method, status, count: 1 });
    else r.count++;
    let d = this.durations.get(route);
    if (d === undefined) this.durations.set(route, (d = { route, counts: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 }));
    d.count++;
    d.sum += seconds;
    for (let i = 0; i < DURATION_BUCKETS.length; i++) if (seconds <= (DURATION_BUCKETS[i] as number)) (d.counts[i] as number)++;
  }

  /** Requests answered with `status` (all routes and methods). */
  count(status?: number): number {
    let n = 0;
    for (const r of this.requests.values()) if (status === undefined || r.status === status) n += r.count;
    return n;
  }

  /** Prometheus text. */
  toPrometheus(): string {
    const total = `${this.prefix}http_requests_total`;
    const duration = `${this.prefix}http_request_duration_seconds`;
    const lines = [`# HELP ${total} HTTP requests answered by the gateway.`, `# TYPE ${total} counter`];
    for (const r of this.requests.values()) lines.push(`${total}${formatLabels({ route: r.route, method: r.method, status: String(r.status) })} ${r.count}`);
    lines.push(`# HELP ${duration} Time to answer a request.`, `# TYPE ${duration} histogram`);
    for (const d of this.durations.values()) {
      DURATION_BUCKETS.forEach((b, i) => lines.push(`${duration}_bucket${formatLabels({ route: d.route, le: String(b) })} ${d.counts[i] ?? 0}`));
      const route = formatLabels({ route: d.route });
      lines.push(`${duration}_bucket${formatLabels({ route: d.route, le: '+Inf' })} ${d.count}`, `${duration}_sum${route} ${d.sum}`, `${duration}_count${route} ${d.count}`);
    }
    return `${lines.join('\n')}\n`;
  }
}
