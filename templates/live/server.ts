/**
 * Live fan-out: a WebSocket server that pushes the catalog's events to browsers and services, each socket receiving
 * only what its principal may see. `node:http` + `ws` only. Protocol, channels, classification rules, backpressure
 * and metrics are described in `docs/live.md`; the generated `live/index.ts` binds this to the catalog and a consumer.
 *
 * Guarantees kept here:
 * - classification is enforced per socket when a frame is queued: `public` → anyone subscribed, `internal` → service
 *   principals, `confidential` → the user whose id is the event's user id (none when it has none), `restricted` →
 *   never serialized, never sent;
 * - a slow socket costs at most `maxBufferedBytes` of this process's memory and never delays the others: the fan-out
 *   loop never waits for a socket; each socket has its own bounded queue (drop-oldest or close 1013 when full);
 * - every input is bounded: frame size, subscriptions per connection, connections, channel names (catalog only).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { defaultLogger, formatLabels, type Logger } from '../runtime/index.js';

/** Data classification of an event (the catalog's `x-classification`). */
export type LiveClassification = 'public' | 'internal' | 'confidential' | 'restricted';

/** Who is on the other end of a socket: a user (sees public events and its own confidential ones) or a service (public and internal). */
export interface LivePrincipal {
  kind: 'user' | 'service';
  id: string;
}

/**
 * Authenticates a WebSocket upgrade request: a principal, or null to refuse it (HTTP 401 before any WebSocket opens).
 * Browsers cannot set headers on a WebSocket: read a `?token=` query parameter as well as `Authorization`.
 */
export type LiveAuthenticate = (req: IncomingMessage) => LivePrincipal | null | Promise<LivePrincipal | null>;

/** One event type the live server fans out (the generated `LIVE_EVENTS`). */
export interface LiveEventRoute {
  /** Event type, e.g. `order.created`. */
  eventType: string;
  /** Topic it is read from. */
  topic: string;
  /** Who may receive it (see the module comment). */
  classification: LiveClassification;
  /** Dotted path into `data` holding the user id of a confidential event (default `userId`, then `metadata.userId`). */
  userField?: string;
  /** Channels it is delivered on: its event channel, its topic channel, and every pattern channel it matches. */
  channels: readonly string[];
}

/** A channel clients subscribe to (the generated `LIVE_CHANNELS`). */
export interface LiveChannel {
  /** Channel name: an event type, a topic name or a pattern such as `order.*`. */
  name: string;
  kind: 'event' | 'topic' | 'pattern';
  description?: string;
  /** What happens when a subscriber's buffer is full (default `drop-oldest`). */
  overflow?: 'drop-oldest' | 'close';
}

/** Metadata fields the live server reads from an envelope (the runtime's `Envelope` fits). */
export interface LiveEnvelopeMetadata {
  eventId: string;
  eventType: string;
  userId?: string;
  dataClassification?: string;
  /** ISO-8601 creation time (for `live_event_age_seconds`). */
  timestamp?: string;
}

/** An event envelope as published to the live server. */
export interface LiveEnvelope {
  metadata: LiveEnvelopeMetadata;
  data: unknown;
}

/** Options of {@link createLiveServer}. */
export interface LiveServerOptions {
  /** The event types fanned out (the generated `LIVE_EVENTS`). Events of other types are not sent. */
  events: readonly LiveEventRoute[];
  /** The channels clients may subscribe to (the generated `LIVE_CHANNELS`); nothing else is accepted. */
  channels: readonly LiveChannel[];
  /** Authenticates every upgrade (see {@link LiveAuthenticate}); required unless `allowAnonymous` is true. */
  authenticate?: LiveAuthenticate;
  /**
   * Accept anonymous sockets (they receive `public` events only). Without `authenticate`, every socket is anonymous;
   * with it, a request carrying no credentials (no `Authorization` header, no `token` query parameter) is anonymous
   * and a request with credentials `authenticate` refuses still gets 401. Default false: fail closed.
   */
  allowAnonymous?: boolean;
  /** URL path of the WebSocket endpoint (default `/ws`). */
  path?: string;
  /** Bytes one socket may hold in this process (its queue + what `ws` buffers) before its overflow policy applies (default 256 KiB). */
  maxBufferedBytes?: number;
  /** Largest client frame accepted (default 4096 bytes; larger ones close the socket with 1009). */
  maxFrameBytes?: number;
  /** Ping interval; a socket that did not answer the previous ping is terminated (default 30 000 ms; 0 disables). */
  heartbeatMs?: number;
  /** A socket without any subscription for this long is closed with 1000 (default 60 000 ms; 0 disables). */
  idleTimeoutMs?: number;
  /** Most open sockets (default 10 000); beyond it upgrades get 503. */
  maxConnections?: number;
  /** Most channels one socket may subscribe to (default 64). */
  maxSubscriptionsPerConnection?: number;
  /** How long a socket closed for being slow (1013) or at shutdown (1001) may take to say goodbye before it is terminated (default 2000 ms). */
  closeGraceMs?: number;
  /** Guards `/metrics` (default: open; the metrics hold channel names and counts only). */
  metricsAuth?: (req: IncomingMessage) => boolean;
  /** Extra state for `/health` (e.g. the consumer's); `healthy: false` makes `/health` answer 503. */
  health?: () => { healthy: boolean; [key: string]: unknown };
  /** Extra Prometheus text appended to `/metrics` (e.g. the consumer's metrics). */
  metrics?: () => string;
  /** Logger (default: warnings and errors on stderr). Tokens, URLs with their query and event data are never logged. */
  logger?: Logger;
}

/** Counters and gauges of a live server. */
export interface LiveStats {
  connections: number;
  subscriptions: number;
  /** Events given to `publish`, and those that were `restricted` (never serialized). */
  published: number;
  restrictedSuppressed: number;
  framesSent: number;
  framesDropped: number;
  authFailures: number;
  slowCloses: number;
  heartbeatTerminations: number;
  /** Bytes held for all sockets right now (queues + `ws` buffers). */
  bufferedBytes: number;
  /** Highest number of bytes one socket ever held (stays ≤ `maxBufferedBytes` + one control frame). */
  peakConnectionBytes: number;
}

/** A live fan-out server. */
export interface LiveServer {
  /** Fans an envelope out to every subscribed socket allowed to see it; returns the number of sockets it was queued to. Never waits, never throws for a socket. */
  publish(envelope: LiveEnvelope): number;
  /** Handles WebSocket upgrades on `options.path` of an existing HTTP server. */
  attach(server: Server): void;
  /** Answers `/health` and `/metrics`; false when the request is not one of them. */
  handleHttp(req: IncomingMessage, res: ServerResponse): boolean;
  /** Starts an HTTP server of its own (`/ws`, `/health`, `/metrics`; 404 otherwise). Default host 127.0.0.1. */
  listen(port: number, host?: string): Promise<{ port: number; close(): Promise<void> }>;
  stats(): LiveStats;
  /** Closes every socket (1001) and the servers `listen` started. */
  close(): Promise<void>;
}

type ErrorCode = 'unknown-channel' | 'forbidden' | 'bad-request' | 'too-many-subscriptions';

interface Frame {
  buf: Buffer;
  /** The sent-frames counter of an event frame's channel (`live_frames_sent_total`); undefined for control frames. */
  sent: { n: number } | undefined;
}

/** Options of every `ws.send`: one object, not one per frame. */
const TEXT = { binary: false } as const;

interface Conn {
  ws: WebSocket;
  principal: LivePrincipal | null;
  subs: Set<string>;
  /** Frames waiting to be given to `ws` (head index: dropping the oldest is O(1)). */
  queue: Frame[];
  head: number;
  queuedBytes: number;
  /**
   * A write that took the socket's buffer past the window is in progress: later frames wait in `queue` (where the
   * oldest can still be dropped) until its completion callback pumps them. Writes below the window take no callback.
   */
  waiting: boolean;
  dropped: number;
  alive: boolean;
  closing: boolean;
  idleSince: number;
  /** Last publish sequence this socket was counted for (unique sockets per publish). */
  seq: number;
}

const CLASS_RANK: Record<LiveClassification, number> = { public: 0, internal: 1, confidential: 2, restricted: 3 };
const OPS = new Set(['subscribe', 'unsubscribe', 'ping']);
const MAX_ID_LENGTH = 128;
const MAX_CHANNEL_LENGTH = 256;

/** Creates a live fan-out server. Throws when neither `authenticate` nor `allowAnonymous: true` is given (fail closed). */
export function createLiveServer(options: LiveServerOptions): LiveServer {
  if (options.authenticate === undefined && options.allowAnonymous !== true) {
    throw new TypeError('createLiveServer: pass `authenticate`, or `allowAnonymous: true` to serve public events to anyone');
  }
  const logger = options.logger ?? defaultLogger();
  const path = options.path ?? '/ws';
  const maxBuffered = positive(options.maxBufferedBytes, 256 * 1024);
  const window = Math.max(1024, Math.min(64 * 1024, Math.floor(maxBuffered / 2)));
  const maxFrame = positive(options.maxFrameBytes, 4096);
  const heartbeatMs = options.heartbeatMs ?? 30_000;
  const idleMs = options.idleTimeoutMs ?? 60_000;
  const maxConnections = positive(options.maxConnections, 10_000);
  const maxSubs = positive(options.maxSubscriptionsPerConnection, 64);
  const closeGraceMs = options.closeGraceMs ?? 2_000;

  const channels = new Map<string, LiveChannel>();
  for (const c of options.channels) channels.set(c.name, c);
  const routes = new Map<string, LiveEventRoute>();
  // Which classifications each channel carries: a subscription that can never receive anything is refused.
  const channelClasses = new Map<string, Set<LiveClassification>>();
  for (const r of options.events) {
    routes.set(r.eventType, r);
    for (const ch of r.channels) {
      if (!channels.has(ch)) throw new TypeError(`createLiveServer: event '${r.eventType}' names unknown channel '${ch}'`);
      let set = channelClasses.get(ch);
      if (set === undefined) channelClasses.set(ch, (set = new Set()));
      set.add(r.classification);
    }
  }
  const subscribers = new Map<string, Set<Conn>>();
  for (const name of channels.keys()) subscribers.set(name, new Set());
  const framesSent = new Map<string, { n: number }>();
  for (const name of channels.keys()) framesSent.set(name, { n: 0 });

  const conns = new Set<Conn>();
  let upgrading = 0;
  let seq = 0;
  let closed = false;
  const counters = { published: 0, restrictedSuppressed: 0, framesSent: 0, framesDropped: 0, authFailures: 0, slowCloses: 0, heartbeatTerminations: 0, peakConnectionBytes: 0 };
  let lastEventAge: number | undefined;
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxFrame, perMessageDeflate: false, clientTracking: false });
  const ownServers = new Set<Server>();

  // ---- sending ---------------------------------------------------------------------------------------------------

  /** Bytes this process holds for a socket: what `ws` has not handed to the kernel yet, plus its own queue. */
  const held = (c: Conn): number => c.ws.bufferedAmount + c.queuedBytes;

  function pump(c: Conn): void {
    while (c.head < c.queue.length && !c.waiting && !c.closing) {
      const frame = c.queue[c.head] as Frame;
      c.queue[c.head++] = undefined as unknown as Frame;
      c.queuedBytes -= frame.buf.length;
      write(c, frame.buf, frame.sent);
    }
    if (c.head === c.queue.length) {
      c.queue.length = 0;
      c.head = 0;
    } else if (c.head > 1024 && c.head * 2 > c.queue.length) {
      c.queue = c.queue.slice(c.head);
      c.head = 0;
    }
    if (c.dropped > 0 && c.head === c.queue.length && !c.waiting && !c.closing) {
      const count = c.dropped;
      c.dropped = 0;
      write(c, Buffer.from(`{"type":"dropped","count":${count}}`), undefined);
    }
  }

  /**
   * Hands a frame to `ws`. Below the window it is a plain send (no callback: the common case costs what a broadcast
   * costs); the write that takes the socket's buffer past the window gets a completion callback, and until it fires
   * further frames wait in the connection's queue.
   */
  function write(c: Conn, buf: Buffer, sent: { n: number } | undefined): void {
    if (sent !== undefined) {
      counters.framesSent++;
      sent.n++;
    }
    const buffered = c.ws.bufferedAmount + buf.length;
    if (buffered + c.queuedBytes > counters.peakConnectionBytes) counters.peakConnectionBytes = buffered + c.queuedBytes;
    try {
      if (buffered <= window) c.ws.send(buf, TEXT);
      else {
        c.waiting = true;
        c.ws.send(buf, TEXT, () => {
          c.waiting = false;
          pump(c);
        });
      }
    } catch {
      c.waiting = false;
    }
  }

  /** Queues a frame for one socket within its byte bound; never waits. */
  function enqueue(c: Conn, frame: Frame, overflow: 'drop-oldest' | 'close'): boolean {
    if (c.closing) return false;
    const size = frame.buf.length;
    if (!c.waiting && c.head === c.queue.length && c.ws.bufferedAmount + size <= maxBuffered) {
      write(c, frame.buf, frame.sent); // nothing queued: straight to the socket
      return true;
    }
    if (held(c) + size > maxBuffered) {
      if (overflow === 'close') {
        counters.slowCloses++;
        counters.framesDropped++;
        closeConn(c, 1013, 'slow consumer');
        return false;
      }
      while (c.head < c.queue.length && held(c) + size > maxBuffered) {
        const old = c.queue[c.head] as Frame;
        c.queue[c.head++] = undefined as unknown as Frame;
        c.queuedBytes -= old.buf.length;
        c.dropped++;
        counters.framesDropped++;
      }
      if (held(c) + size > maxBuffered) {
        c.dropped++;
        counters.framesDropped++;
        return false;
      }
    }
    c.queue.push(frame);
    c.queuedBytes += size;
    const now = held(c);
    if (now > counters.peakConnectionBytes) counters.peakConnectionBytes = now;
    pump(c);
    return true;
  }

  /** A control frame (`subscribed`, `error`, ...): small, queued like events so a stalled socket still holds bounded memory. */
  function reply(c: Conn, message: Record<string, unknown>): void {
    if (c.closing) return;
    const buf = Buffer.from(JSON.stringify(message));
    if (held(c) + buf.length > maxBuffered + 1024) {
      c.dropped++;
      counters.framesDropped++;
      return;
    }
    if (c.head === c.queue.length && !c.waiting) write(c, buf, undefined);
    else {
      c.queue.push({ buf, sent: undefined });
      c.queuedBytes += buf.length;
    }
  }

  function closeConn(c: Conn, code: number, reason: string): void {
    if (c.closing) return;
    c.closing = true;
    c.queue = [];
    c.head = 0;
    c.queuedBytes = 0;
    unsubscribeAll(c);
    try {
      c.ws.close(code, reason);
    } catch {
      c.ws.terminate();
    }
    // A stalled peer never reads the close frame: terminate it after the grace period.
    setTimeout(() => c.ws.terminate(), closeGraceMs).unref();
  }

  function unsubscribeAll(c: Conn): void {
    for (const ch of c.subs) subscribers.get(ch)?.delete(c);
    c.subs.clear();
  }

  // ---- publishing ------------------------------------------------------------------------------------------------

  function publish(envelope: LiveEnvelope): number {
    counters.published++;
    const meta = envelope?.metadata;
    if (meta === undefined || meta === null || typeof meta.eventType !== 'string') return 0;
    const route = routes.get(meta.eventType);
    if (route === undefined) return 0;
    // The stricter of the catalog's classification and the one the envelope carries.
    let cls = route.classification;
    const carried = meta.dataClassification;
    if (typeof carried === 'string' && Object.hasOwn(CLASS_RANK, carried) && CLASS_RANK[carried as LiveClassification] > CLASS_RANK[cls]) cls = carried as LiveClassification;
    if (cls === 'restricted') {
      counters.restrictedSuppressed++;
      return 0;
    }
    if (typeof meta.timestamp === 'string') {
      const t = Date.parse(meta.timestamp);
      if (Number.isFinite(t)) lastEventAge = Math.max(0, (Date.now() - t) / 1000);
    }
    const userId = cls === 'confidential' ? eventUserId(envelope, route.userField) : undefined;
    if (cls === 'confidential' && userId === undefined) return 0;
    const mySeq = ++seq;
    let body: string | undefined;
    let count = 0;
    for (const channel of route.channels) {
      const subs = subscribers.get(channel);
      if (subs === undefined || subs.size === 0) continue;
      let frame: Frame | undefined;
      const overflow = channels.get(channel)?.overflow ?? 'drop-oldest';
      for (const c of subs) {
        if (!allowed(c.principal, cls, userId)) continue;
        if (frame === undefined) {
          if (body === undefined) {
            try {
              body = JSON.stringify(envelope);
            } catch (error) {
              logger.warn('Live event not serializable; not sent', { eventType: meta.eventType, eventId: String(meta.eventId), error });
              return 0;
            }
          }
          frame = { buf: Buffer.from(`{"type":"event","channel":${JSON.stringify(channel)},"event":${body}}`), sent: framesSent.get(channel) };
        }
        if (enqueue(c, frame, overflow) && c.seq !== mySeq) {
          c.seq = mySeq;
          count++;
        }
      }
    }
    return count;
  }

  // ---- client frames ---------------------------------------------------------------------------------------------

  function onMessage(c: Conn, data: RawData, isBinary: boolean): void {
    if (isBinary) return reply(c, { type: 'error', code: 'bad-request', message: 'Text frames with JSON only.' });
    let msg: unknown;
    try {
      msg = JSON.parse(rawText(data));
    } catch {
      return reply(c, { type: 'error', code: 'bad-request', message: 'Not JSON.' });
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return reply(c, { type: 'error', code: 'bad-request', message: 'Expected a JSON object.' });
    const m = msg as Record<string, unknown>;
    const id = typeof m.id === 'string' && m.id.length <= MAX_ID_LENGTH ? m.id : undefined;
    const withId = (o: Record<string, unknown>): Record<string, unknown> => (id === undefined ? o : { ...o, id });
    if (m.id !== undefined && id === undefined) return reply(c, { type: 'error', code: 'bad-request', message: `"id" must be a string of at most ${MAX_ID_LENGTH} characters.` });
    if (typeof m.op !== 'string' || !OPS.has(m.op)) return reply(c, withId({ type: 'error', code: 'bad-request', message: '"op" must be subscribe, unsubscribe or ping.' }));
    if (m.op === 'ping') return reply(c, withId({ type: 'pong' }));
    if (typeof m.channel !== 'string' || m.channel.length === 0 || m.channel.length > MAX_CHANNEL_LENGTH) {
      return reply(c, withId({ type: 'error', code: 'bad-request', message: '"channel" must be a non-empty string.' }));
    }
    const name = m.channel;
    const channel = channels.get(name);
    const error = (code: ErrorCode, message: string): void => reply(c, withId({ type: 'error', code, channel: channel ? name : undefined, message }));
    if (channel === undefined) return error('unknown-channel', 'No such channel (channels come from the catalog; see docs/live.md).');
    if (m.op === 'unsubscribe') {
      if (c.subs.delete(name)) subscribers.get(name)?.delete(c);
      if (c.subs.size === 0) c.idleSince = Date.now();
      return reply(c, withId({ type: 'unsubscribed', channel: name }));
    }
    if (!c.subs.has(name)) {
      const classes = channelClasses.get(name);
      if (classes === undefined || ![...classes].some((cls) => visibleTo(c.principal, cls))) return error('forbidden', 'Nothing on this channel may be sent to you.');
      if (c.subs.size >= maxSubs) return error('too-many-subscriptions', `At most ${maxSubs} subscriptions per connection.`);
      c.subs.add(name);
      subscribers.get(name)?.add(c);
    }
    reply(c, withId({ type: 'subscribed', channel: name }));
  }

  // ---- connections -----------------------------------------------------------------------------------------------

  function onConnection(ws: WebSocket, principal: LivePrincipal | null): void {
    const c: Conn = { ws, principal, subs: new Set(), queue: [], head: 0, queuedBytes: 0, waiting: false, dropped: 0, alive: true, closing: false, idleSince: Date.now(), seq: 0 };
    conns.add(c);
    ws.on('message', (data, isBinary) => {
      try {
        onMessage(c, data, isBinary);
      } catch (error) {
        logger.error('Live client frame failed', { error });
      }
    });
    ws.on('pong', () => {
      c.alive = true;
    });
    ws.on('error', () => undefined); // e.g. 1009 frame too large: ws closes the socket itself
    ws.on('close', () => {
      c.closing = true;
      c.queue = [];
      c.head = 0;
      c.queuedBytes = 0;
      unsubscribeAll(c);
      conns.delete(c);
    });
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, server: Server): Promise<void> {
    socket.on('error', () => undefined);
    if (pathOf(req) !== path) {
      // Another upgrade handler on the same server may own it.
      if (server.listenerCount('upgrade') <= 1) rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    if (closed) return rejectUpgrade(socket, 503, 'Service Unavailable');
    if (conns.size + upgrading >= maxConnections) return rejectUpgrade(socket, 503, 'Service Unavailable');
    upgrading++;
    let principal: LivePrincipal | null | undefined;
    try {
      principal = await authenticateRequest(req);
    } catch (error) {
      logger.warn('Live authentication failed', { error: error instanceof Error ? error.name : 'error' });
      principal = undefined;
    } finally {
      upgrading--;
    }
    if (principal === undefined || (principal === null && !anonymousAllowed(req))) {
      counters.authFailures++;
      return rejectUpgrade(socket, 401, 'Unauthorized', { 'WWW-Authenticate': 'Bearer' });
    }
    if (socket.destroyed || closed) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, principal ?? null));
  }

  async function authenticateRequest(req: IncomingMessage): Promise<LivePrincipal | null | undefined> {
    if (options.authenticate === undefined) return null; // allowAnonymous (checked at creation)
    if (options.allowAnonymous === true && !hasCredentials(req)) return null;
    const p = await options.authenticate(req);
    if (p === null || p === undefined) return undefined; // refused
    if ((p.kind !== 'user' && p.kind !== 'service') || typeof p.id !== 'string' || p.id.length === 0) return undefined;
    return { kind: p.kind, id: p.id };
  }

  function anonymousAllowed(req: IncomingMessage): boolean {
    return options.allowAnonymous === true && (options.authenticate === undefined || !hasCredentials(req));
  }

  // ---- timers ----------------------------------------------------------------------------------------------------

  const timers: NodeJS.Timeout[] = [];
  if (heartbeatMs > 0) {
    timers.push(
      setInterval(() => {
        for (const c of conns) {
          if (!c.alive) {
            counters.heartbeatTerminations++;
            c.ws.terminate();
            continue;
          }
          c.alive = false;
          try {
            c.ws.ping();
          } catch {
            c.ws.terminate();
          }
        }
      }, heartbeatMs),
    );
  }
  if (idleMs > 0) {
    timers.push(
      setInterval(() => {
        const now = Date.now();
        for (const c of conns) if (c.subs.size === 0 && now - c.idleSince >= idleMs) closeConn(c, 1000, 'idle');
      }, Math.max(50, Math.min(idleMs / 2, 10_000))),
    );
  }
  for (const t of timers) t.unref();

  // ---- HTTP ------------------------------------------------------------------------------------------------------

  function stats(): LiveStats {
    let subscriptions = 0;
    let bufferedBytes = 0;
    for (const c of conns) {
      subscriptions += c.subs.size;
      bufferedBytes += held(c);
    }
    return { connections: conns.size, subscriptions, ...counters, bufferedBytes };
  }

  function metricsText(): string {
    const s = stats();
    const lines: string[] = [];
    const metric = (name: string, type: 'counter' | 'gauge', help: string, series: Array<[Record<string, string>, number]>): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of series) lines.push(`${name}${formatLabels(labels)} ${value}`);
    };
    metric('live_connections', 'gauge', 'Open WebSocket connections.', [[{}, s.connections]]);
    metric('live_subscriptions', 'gauge', 'Subscriptions per channel.', [...subscribers].map(([ch, set]) => [{ channel: ch }, set.size]));
    metric('live_frames_sent_total', 'counter', 'Event frames given to sockets, per channel.', [...framesSent].map(([ch, counter]) => [{ channel: ch }, counter.n]));
    metric('live_frames_dropped_total', 'counter', 'Frames dropped because a socket was too slow (drop-oldest or closed).', [[{}, s.framesDropped]]);
    metric('live_auth_failures_total', 'counter', 'Upgrades refused with 401.', [[{}, s.authFailures]]);
    metric('live_slow_closes_total', 'counter', 'Sockets closed with 1013 for being too slow.', [[{}, s.slowCloses]]);
    metric('live_heartbeat_terminations_total', 'counter', 'Sockets terminated for not answering a ping.', [[{}, s.heartbeatTerminations]]);
    metric('live_events_published_total', 'counter', 'Envelopes given to publish.', [[{}, s.published]]);
    metric('live_events_restricted_total', 'counter', 'Restricted envelopes, never sent.', [[{}, s.restrictedSuppressed]]);
    metric('live_buffered_bytes', 'gauge', 'Bytes held for all sockets.', [[{}, s.bufferedBytes]]);
    if (lastEventAge !== undefined) metric('live_event_age_seconds', 'gauge', 'Age of the last published event (now - metadata.timestamp) when it was published.', [[{}, lastEventAge]]);
    let text = `${lines.join('\n')}\n`;
    if (options.metrics) {
      try {
        text += options.metrics();
      } catch (error) {
        logger.warn('Live extra metrics failed', { error });
      }
    }
    return text;
  }

  function handleHttp(req: IncomingMessage, res: ServerResponse): boolean {
    const p = pathOf(req);
    if (p === '/health') {
      let extra: { healthy: boolean; [key: string]: unknown } | undefined;
      try {
        extra = options.health?.();
      } catch (error) {
        extra = { healthy: false, error: error instanceof Error ? error.message : 'health check failed' };
      }
      const healthy = !closed && (extra?.healthy ?? true);
      const body = JSON.stringify({ status: closed ? 'closing' : healthy ? 'ok' : 'degraded', connections: conns.size, ...(extra ? { consumer: extra } : {}) });
      res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body);
      return true;
    }
    if (p === '/metrics') {
      if (options.metricsAuth && !options.metricsAuth(req)) {
        res.writeHead(401, { 'content-type': 'text/plain' }).end('unauthorized\n');
        return true;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metricsText());
      return true;
    }
    return false;
  }

  function attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      onUpgrade(req, socket, head, server).catch((error: unknown) => {
        logger.error('Live upgrade failed', { error });
        socket.destroy();
      });
    });
  }

  let closing: Promise<void> | undefined;
  return {
    publish,
    attach,
    handleHttp,
    stats,
    async listen(port: number, host = '127.0.0.1') {
      const server = createServer((req, res) => {
        if (!handleHttp(req, res)) res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not-found"}');
      });
      server.headersTimeout = 10_000;
      server.requestTimeout = 15_000;
      attach(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      ownServers.add(server);
      const stop = (): Promise<void> =>
        new Promise<void>((resolve) => {
          ownServers.delete(server);
          server.close(() => resolve());
          server.closeAllConnections();
        });
      return { port: (server.address() as AddressInfo).port, close: stop };
    },
    close(): Promise<void> {
      closing ??= (async () => {
        closed = true;
        for (const t of timers) clearInterval(t);
        const gone = [...conns].map((c) => new Promise<void>((resolve) => (c.ws.readyState === c.ws.CLOSED ? resolve() : c.ws.once('close', () => resolve()))));
        for (const c of conns) closeConn(c, 1001, 'going away');
        await Promise.all(gone);
        await Promise.all(
          [...ownServers].map(
            (server) =>
              new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
              }),
          ),
        );
        ownServers.clear();
      })();
      return closing;
    },
  };
}

/** Whether a principal may receive an event of this classification (and user id, for confidential ones). */
function allowed(principal: LivePrincipal | null, cls: LiveClassification, userId: string | undefined): boolean {
  switch (cls) {
    case 'public':
      return true;
    case 'internal':
      return principal !== null && principal.kind === 'service';
    case 'confidential':
      return principal !== null && principal.kind === 'user' && userId !== undefined && principal.id === userId;
    default:
      return false;
  }
}

/** Whether a principal could receive some event of this classification (decides `forbidden` at subscribe). */
function visibleTo(principal: LivePrincipal | null, cls: LiveClassification): boolean {
  if (cls === 'public') return true;
  if (principal === null) return false;
  return cls === 'internal' ? principal.kind === 'service' : cls === 'confidential' ? principal.kind === 'user' : false;
}

/** The user id of a confidential event: `userField` in `data`, else `data.userId`, else `metadata.userId`. */
function eventUserId(envelope: LiveEnvelope, userField: string | undefined): string | undefined {
  const fromData = (field: string): unknown => {
    let v: unknown = envelope.data;
    for (const part of field.split('.')) {
      if (typeof v !== 'object' || v === null || !Object.prototype.hasOwnProperty.call(v, part)) return undefined;
      v = (v as Record<string, unknown>)[part];
    }
    return v;
  };
  const candidates = userField !== undefined ? [fromData(userField)] : [fromData('userId'), envelope.metadata.userId];
  for (const v of candidates) {
    if (typeof v === 'string' && v.length > 0) return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    if (v !== undefined && v !== null) return undefined; // a user id of another type: nobody
  }
  return undefined;
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function hasCredentials(req: IncomingMessage): boolean {
  return req.headers.authorization !== undefined || tokenFromQuery(req) !== undefined;
}

function rejectUpgrade(socket: Duplex, status: number, text: string, headers: Record<string, string> = {}): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: text.toLowerCase().replace(/ /g, '-') });
  const head = [`HTTP/1.1 ${status} ${text}`, 'Connection: close', 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  setTimeout(() => socket.destroy(), 1000).unref();
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? Math.floor(value) : fallback;
}

/** The bearer token of a request: `Authorization: Bearer <token>`, else the `token` query parameter. */
export function requestToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1] : undefined;
  }
  return tokenFromQuery(req);
}

function tokenFromQuery(req: IncomingMessage): string | undefined {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  if (q === -1) return undefined;
  const t = new URLSearchParams(url.slice(q + 1)).get('token');
  return t === null || t.length === 0 ? undefined : t;
}

const DEMO_ID = /^[A-Za-z0-9._@-]{1,128}$/;

/**
 * DEMO ONLY — NEVER IN PRODUCTION: anyone can claim to be anyone. `Authorization: Bearer demo:<userId>` or
 * `?token=demo:<userId>` authenticates as user `<userId>` (`demo-service:<id>` as a service), with no secret at all.
 * For trying the protocol out and for examples; use {@link staticLiveTokens} or your own verifier (JWT, session) otherwise.
 */
export function demoTokens(): LiveAuthenticate {
  return (req) => {
    const token = requestToken(req);
    if (token === undefined) return null;
    const m = /^(demo|demo-service):(.+)$/.exec(token);
    if (m === null || !DEMO_ID.test(m[2] as string)) return null;
    return { kind: m[1] === 'demo' ? 'user' : 'service', id: m[2] as string };
  };
}

/**
 * A fixed map of bearer tokens to principals (e.g. from the `LIVE_TOKENS` environment variable). The token comes
 * from `Authorization: Bearer <token>` or the `token` query parameter; tokens are looked up by their SHA-256 digest.
 */
export function staticLiveTokens(map: Record<string, LivePrincipal>): LiveAuthenticate {
  const byDigest = new Map<string, LivePrincipal>();
  for (const [token, p] of Object.entries(map)) {
    if (token.length === 0) continue;
    if ((p?.kind !== 'user' && p?.kind !== 'service') || typeof p.id !== 'string' || p.id.length === 0) throw new TypeError('staticLiveTokens: every principal needs kind "user" or "service" and an id');
    byDigest.set(digest(token), { kind: p.kind, id: p.id });
  }
  return (req) => {
    const token = requestToken(req);
    return token === undefined ? null : (byDigest.get(digest(token)) ?? null);
  };
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
