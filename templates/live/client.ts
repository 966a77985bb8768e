/**
 * A small client of the live protocol (docs/live.md) for browsers and Node: the global `WebSocket` (browsers, Node ≥ 22)
 * or a `ws` constructor / socket passed in. No Node imports: it bundles for the browser as is. The generated
 * `live/index.ts` exports `createLiveClient`, this bound to the catalog's channels and envelope types.
 */

/** An event-handler property; bivariant like the DOM's, so both the browser's and `ws`'s sockets fit. */
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'] | null;

/** The part of a WebSocket (browser `WebSocket` or `ws`) the client uses. */
export interface LiveSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown>;
  onmessage: Handler<{ data: unknown }>;
  onclose: Handler<{ code: number; reason: string }>;
  onerror: Handler<unknown>;
}

/** A WebSocket constructor (the global one, or `ws`'s default export). */
export type LiveSocketConstructor = new (url: string) => LiveSocketLike;

/** Options of {@link connectLive}. */
export interface LiveClientOptions {
  /** Sent as the `token` query parameter (browsers cannot set an `Authorization` header on a WebSocket). */
  token?: string;
  /** The WebSocket constructor (default: the global `WebSocket`). */
  WebSocket?: LiveSocketConstructor;
  /** An already created socket (e.g. a `ws` instance with an `Authorization` header); `url` and `token` are then ignored. */
  socket?: LiveSocketLike;
  /** Called with error frames that answer no pending subscribe/unsubscribe, and on a lost connection. */
  onError?: (error: LiveClientError) => void;
  /** Called when the server dropped events because this client was too slow (`{ "type": "dropped", count }`). */
  onDropped?: (count: number) => void;
}

/** An error frame of the server (`code`), or `closed` when the socket closed (`closeCode`). */
export class LiveClientError extends Error {
  override name = 'LiveClientError';
  constructor(
    readonly code: string,
    message: string,
    readonly closeCode?: number,
  ) {
    super(message);
  }
}

/** One channel subscription. */
export interface LiveSubscription {
  /** Resolves once the server confirmed it (`subscribed`); rejects with its error frame (`forbidden`, ...). */
  readonly ready: Promise<void>;
  /** Removes this listener; the last one of a channel unsubscribes it on the server. */
  unsubscribe(): Promise<void>;
}

/** A live client; `M` maps channel names to the envelope type of their events. */
export interface LiveClient<M> {
  /** Resolves once the socket is open; rejects when it cannot open (e.g. 401). */
  readonly opened: Promise<void>;
  /** Calls `listener` with every event of `channel` this client may see. */
  subscribe<C extends keyof M & string>(channel: C, listener: (event: M[C]) => void): LiveSubscription;
  /** Closes the socket (1000). */
  close(): void;
}

const OPEN = 1;

/** Opens a live client on `url` (e.g. `ws://localhost:3001/ws`). */
export function connectLive<M>(url: string, options: LiveClientOptions = {}): LiveClient<M> {
  let socket = options.socket;
  if (socket === undefined) {
    const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: LiveSocketConstructor }).WebSocket;
    if (Ctor === undefined) throw new TypeError('connectLive: no global WebSocket here (Node < 22): pass `WebSocket` (e.g. the `ws` package) or `socket`');
    let target = url;
    if (options.token !== undefined) target += `${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(options.token)}`;
    socket = new Ctor(target);
  }
  const ws = socket;
  const listeners = new Map<string, Set<(event: never) => void>>();
  const pending = new Map<string, { resolve(): void; reject(error: Error): void }>();
  const outbox: string[] = [];
  let seq = 0;
  let closed = false;
  let resolveOpen!: () => void;
  let rejectOpen!: (error: Error) => void;
  const opened = new Promise<void>((resolve, reject) => {
    resolveOpen = resolve;
    rejectOpen = reject;
  });
  opened.catch(() => undefined);

  const send = (message: Record<string, unknown>): void => {
    const text = JSON.stringify(message);
    if (ws.readyState === OPEN) ws.send(text);
    else outbox.push(text);
  };
  const request = (op: 'subscribe' | 'unsubscribe', channel: string): Promise<void> => {
    if (closed) return Promise.reject(new LiveClientError('closed', 'The live connection is closed.'));
    const id = `c${++seq}`;
    const done = new Promise<void>((resolve, reject) => pending.set(id, { resolve, reject }));
    send({ op, channel, id });
    return done;
  };

  const onOpen = (): void => {
    for (const text of outbox.splice(0)) ws.send(text);
    resolveOpen();
  };
  if (ws.readyState === OPEN) queueMicrotask(onOpen);
  else ws.onopen = onOpen;
  ws.onmessage = (event) => {
    let frame: { type?: unknown; channel?: unknown; id?: unknown; code?: unknown; message?: unknown; count?: unknown; event?: unknown };
    try {
      frame = JSON.parse(typeof event.data === 'string' ? event.data : String(event.data)) as typeof frame;
    } catch {
      return;
    }
    const waiter = typeof frame.id === 'string' ? pending.get(frame.id) : undefined;
    if (waiter !== undefined) pending.delete(frame.id as string);
    switch (frame.type) {
      case 'event': {
        const set = typeof frame.channel === 'string' ? listeners.get(frame.channel) : undefined;
        for (const listener of set ?? []) {
          try {
            (listener as (e: unknown) => void)(frame.event);
          } catch (error) {
            queueMicrotask(() => {
              throw error;
            });
          }
        }
        return;
      }
      case 'subscribed':
      case 'unsubscribed':
        waiter?.resolve();
        return;
      case 'dropped':
        if (typeof frame.count === 'number') options.onDropped?.(frame.count);
        return;
      case 'error': {
        const error = new LiveClientError(String(frame.code), String(frame.message));
        if (waiter !== undefined) waiter.reject(error);
        else options.onError?.(error);
        return;
      }
      default:
        waiter?.resolve();
    }
  };
  ws.onclose = (event) => {
    closed = true;
    const error = new LiveClientError('closed', `The live connection closed (${event.code}${event.reason ? `: ${event.reason}` : ''}).`, event.code);
    rejectOpen(error);
    for (const w of pending.values()) w.reject(error);
    pending.clear();
    options.onError?.(error);
  };
  ws.onerror = () => rejectOpen(new LiveClientError('closed', 'The live connection could not be opened (refused, or 401 without a valid token).'));

  return {
    opened,
    subscribe<C extends keyof M & string>(channel: C, listener: (event: M[C]) => void): LiveSubscription {
      let set = listeners.get(channel);
      const first = set === undefined;
      if (set === undefined) listeners.set(channel, (set = new Set()));
      const fn = listener as (event: never) => void;
      set.add(fn);
      const ready = first ? request('subscribe', channel) : Promise.resolve();
      ready.catch(() => {
        if (listeners.get(channel)?.delete(fn) && listeners.get(channel)?.size === 0) listeners.delete(channel);
      });
      return {
        ready,
        async unsubscribe(): Promise<void> {
          const current = listeners.get(channel);
          if (current === undefined || !current.delete(fn)) return;
          if (current.size > 0) return;
          listeners.delete(channel);
          await request('unsubscribe', channel);
        },
      };
    },
    close(): void {
      closed = true;
      ws.close(1000, 'bye');
    },
  };
}
