import { RedisTimeoutError } from './redis-store.js';
import {
  DEFAULT_STATUS_TTLS,
  EVENT_STATUSES,
  toGroupStatus,
  type EventStatusRecord,
  type GroupStatus,
  type IdempotencyReservation,
  type PendingEvent,
  type StatusStore,
  type StatusTtls,
  type StatusUpdate,
} from './status-store.js';

/**
 * The few Redis commands {@link RedisStatusStore} needs, shaped like ioredis (`new Redis(url)` fits as is), so the
 * runtime does not depend on a Redis client library.
 */
export interface RedisStatusClientLike {
  /** `EVAL script numKeys key... arg...`. */
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
  /** `HGETALL key` as an object (ioredis' answer). */
  hgetall(key: string): Promise<Record<string, string>>;
  /** `PING`. */
  ping(): Promise<unknown>;
}

/** Options of {@link RedisStatusStore}. */
export interface RedisStatusStoreOptions {
  /** A connected client, e.g. an ioredis instance (`maxRetriesPerRequest: 1` so calls fail fast when Redis is down). */
  client: RedisStatusClientLike;
  /**
   * Key prefix (default `eventgen:`): an event's statuses are the hash `<prefix>status:<eventId>`, an idempotency key
   * is `<prefix>idem:<key>`. On Redis Cluster put a hash tag in it (e.g. `eventgen:{status}:`): a batch of updates is
   * applied by one script over several events' keys, so they must share a slot.
   */
  keyPrefix?: string;
  /** TTLs per status (default {@link DEFAULT_STATUS_TTLS}). */
  ttls?: Partial<StatusTtls>;
  /**
   * How long a lapsed or released idempotency reservation is kept after its lease (default 24 h): a retry of the same
   * request within that time takes it over with the same event id.
   */
  lapsedReservationTtlMs?: number;
  /** Longest wait for one Redis call (default 2000 ms); a call that takes longer rejects with {@link RedisTimeoutError}. */
  operationTimeoutMs?: number;
}

// Same rule as isLaterStatus (status-store.ts), in Lua. A stored value that does not decode counts as absent.
const LATER = `local RANK = { PENDING = 0, PROCESSING = 1, RETRYING = 2, PROCESSED = 10, FAILED = 10, DEAD_LETTERED = 11 }
local function later(cur, st, attempts)
  if not cur then return true end
  local ok, c = pcall(cjson.decode, cur)
  if not ok or type(c) ~= 'table' or RANK[c.status] == nil then return true end
  local a = RANK[c.status]
  local b = RANK[st]
  if a >= 10 then return c.status == 'FAILED' and st == 'DEAD_LETTERED' end
  if b >= 10 then return true end
  local ca = tonumber(c.attempts) or 0
  if attempts ~= ca then return attempts > ca end
  return b > a
end
`;
// Same rule as statusTtl (status-store.ts): the TTL of a hash given its groups' statuses.
const TTL = `local function ttl(key, inFlight, processed, failed)
  local all = redis.call('HGETALL', key)
  local isFailed, isInFlight, any = false, false, false
  for i = 1, #all, 2 do
    if string.sub(all[i], 1, 2) == 'g:' then
      any = true
      local ok, g = pcall(cjson.decode, all[i + 1])
      local s = (ok and type(g) == 'table' and g.status) or 'PENDING'
      if s == 'FAILED' or s == 'DEAD_LETTERED' then isFailed = true
      elseif s ~= 'PROCESSED' then isInFlight = true end
    end
  end
  if isFailed then return failed end
  if isInFlight or not any then return inFlight end
  return processed
end
`;
// KEYS: the events' hashes. ARGV: inFlight, processed, failed TTLs, then per update: key index, field, status,
// attempts, stored JSON. Answers how many updates were applied.
const UPDATE = `${LATER}${TTL}
local touched = {}
local applied = 0
for i = 4, #ARGV, 5 do
  local key = KEYS[tonumber(ARGV[i])]
  local field = ARGV[i + 1]
  if later(redis.call('HGET', key, field), ARGV[i + 2], tonumber(ARGV[i + 3])) then
    redis.call('HSET', key, field, ARGV[i + 4])
    touched[key] = true
    applied = applied + 1
  end
end
for key in pairs(touched) do redis.call('PEXPIRE', key, ttl(key, ARGV[1], ARGV[2], ARGV[3])) end
return applied`;
// KEYS[1]: the event's hash. ARGV: event JSON, PENDING group JSON, 3 TTLs, group fields.
const PENDING = `${TTL}
redis.call('HSET', KEYS[1], 'event', ARGV[1])
for i = 6, #ARGV do redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[2]) end
redis.call('PEXPIRE', KEYS[1], ttl(KEYS[1], ARGV[3], ARGV[4], ARGV[5]))
return 1`;
// KEYS: event hashes. Each is deleted only while every group is still PENDING (nothing a consumer wrote is lost).
const DISCARD = `local removed = 0
for _, key in ipairs(KEYS) do
  local fields = redis.call('HGETALL', key)
  local untouched = #fields > 0
  for i = 1, #fields, 2 do
    if string.sub(fields[i], 1, 2) == 'g:' and cjson.decode(fields[i + 1]).status ~= 'PENDING' then untouched = false end
  end
  if untouched then
    redis.call('DEL', key)
    removed = removed + 1
  end
end
return removed`;
// Idempotency keys are hashes: h = request hash, e = event id, u = lease end (Redis time, ms), r = answer once done.
const NOW = `if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;
// KEYS[1]. ARGV: request hash, proposed event id, lease ms, lapsed retention ms.
const RESERVE = `${NOW}
local h = redis.call('HMGET', KEYS[1], 'h', 'e', 'u', 'r')
local id = ARGV[2]
if h[1] then
  if h[4] or (tonumber(h[3]) or 0) > now then
    if h[1] ~= ARGV[1] then return {'mismatch'} end
    if h[4] then return {'done', h[4]} end
    return {'in-progress'}
  end
  if h[1] == ARGV[1] and not h[4] and h[2] then id = h[2] end
end
local lease = tonumber(ARGV[3])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'h', ARGV[1], 'e', id, 'u', tostring(now + lease))
redis.call('PEXPIRE', KEYS[1], lease + tonumber(ARGV[4]))
return {'new', id}`;
// KEYS[1]. ARGV: request hash, answer, ttl ms.
const COMPLETE = `if redis.call('HGET', KEYS[1], 'h') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'r', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;
// KEYS[1]. ARGV: request hash, lapsed retention ms.
const RELEASE = `${NOW}
if redis.call('HGET', KEYS[1], 'h') ~= ARGV[1] or redis.call('HEXISTS', KEYS[1], 'r') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'u', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

const STATUSES = new Set<string>(EVENT_STATUSES);

/**
 * A {@link StatusStore} in Redis, shared by gateways and consumers: one hash per event (`event` = the
 * {@link PendingEvent} as JSON, `g:<groupId>` = that group's {@link GroupStatus} as JSON) expiring per
 * {@link statusTtl}, one hash per idempotency key. Every read-modify-write is one Lua script (atomic): a batch of
 * updates is applied by one call, each only when later than what is stored ({@link isLaterStatus}). Any failure
 * (connection refused, timeout) rejects; callers treat statuses as advisory.
 */
export class RedisStatusStore implements StatusStore {
  private readonly client: RedisStatusClientLike;
  private readonly prefix: string;
  private readonly ttls: StatusTtls;
  private readonly lapsedMs: number;
  private readonly timeoutMs: number;

  /** @param options client, key prefix, TTLs and call timeout. */
  constructor(options: RedisStatusStoreOptions) {
    this.client = options.client;
    this.prefix = options.keyPrefix ?? 'eventgen:';
    this.ttls = { ...DEFAULT_STATUS_TTLS, ...options.ttls };
    this.lapsedMs = Math.round(options.lapsedReservationTtlMs ?? 24 * 3_600_000);
    this.timeoutMs = options.operationTimeoutMs ?? 2_000;
    for (const [name, ms] of Object.entries(this.ttls)) if (!(ms >= 1)) throw new RangeError(`ttls.${name} must be >= 1 ms`);
    if (!(this.lapsedMs >= 1)) throw new RangeError('lapsedReservationTtlMs must be >= 1 ms');
  }

  /** The Redis key of an event's statuses. */
  statusKey(eventId: string): string {
    return `${this.prefix}status:${eventId}`;
  }

  /** The Redis key of an idempotency key. */
  idempotencyKey(key: string): string {
    return `${this.prefix}idem:${key}`;
  }

  /** {@inheritDoc StatusStore.pending} */
  async pending(event: PendingEvent): Promise<void> {
    const stored = JSON.stringify({ ...event, groups: [...event.groups] });
    const pendingGroup = JSON.stringify({ status: 'PENDING', attempts: 0, updatedAt: event.acceptedAt } satisfies GroupStatus);
    const groups = [...new Set(event.groups)].map((g) => `g:${g}`);
    await this.call('EVAL pending', this.client.eval(PENDING, 1, this.statusKey(event.eventId), stored, pendingGroup, ...this.ttlArgs(), ...groups));
  }

  /** {@inheritDoc StatusStore.update} */
  async update(updates: readonly StatusUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    const keys: string[] = [];
    const index = new Map<string, number>();
    const args: Array<string | number> = [...this.ttlArgs()];
    for (const u of updates) {
      const key = this.statusKey(u.eventId);
      let i = index.get(key);
      if (i === undefined) {
        keys.push(key);
        index.set(key, (i = keys.length));
      }
      args.push(i, `g:${u.groupId}`, u.status, u.attempts, JSON.stringify(toGroupStatus(u)));
    }
    await this.call('EVAL update', this.client.eval(UPDATE, keys.length, ...keys, ...args));
  }

  /** {@inheritDoc StatusStore.get} */
  async discard(eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 0) return;
    const keys = eventIds.map((id) => this.statusKey(id));
    await this.call('EVAL discard', this.client.eval(DISCARD, keys.length, ...keys));
  }

  async get(eventId: string): Promise<EventStatusRecord | undefined> {
    const hash = await this.call('HGETALL', this.client.hgetall(this.statusKey(eventId)));
    if (hash === null || typeof hash !== 'object') return undefined;
    const fields = Object.keys(hash);
    if (fields.length === 0) return undefined;
    const record: EventStatusRecord = { eventId, groups: {} };
    const event = parse(hash['event']);
    if (event !== undefined && typeof event === 'object' && event !== null && Array.isArray((event as PendingEvent).groups)) record.event = event as PendingEvent;
    for (const field of fields.filter((f) => f.startsWith('g:')).sort()) {
      const g = parse(hash[field]) as GroupStatus | undefined;
      if (g === undefined || typeof g !== 'object' || g === null || !STATUSES.has(g.status)) continue;
      Object.defineProperty(record.groups, field.slice(2), { value: g, enumerable: true, writable: true, configurable: true });
    }
    return record;
  }

  /** {@inheritDoc StatusStore.reserveIdempotencyKey} */
  async reserveIdempotencyKey(key: string, requestHash: string, eventId: string, leaseMs: number): Promise<IdempotencyReservation> {
    const answer = await this.call('EVAL reserve', this.client.eval(RESERVE, 1, this.idempotencyKey(key), requestHash, eventId, Math.max(1, Math.round(leaseMs)), this.lapsedMs));
    if (!Array.isArray(answer)) throw new Error('Unexpected answer from Redis to the reserve script');
    const [kind, value] = answer as unknown[];
    if (kind === 'new' && typeof value === 'string') return { kind: 'new', eventId: value };
    if (kind === 'done' && typeof value === 'string') return { kind: 'done', result: value };
    if (kind === 'in-progress') return { kind: 'in-progress' };
    if (kind === 'mismatch') return { kind: 'mismatch' };
    throw new Error('Unexpected answer from Redis to the reserve script');
  }

  /** {@inheritDoc StatusStore.completeIdempotencyKey} */
  async completeIdempotencyKey(key: string, requestHash: string, result: string, ttlMs: number): Promise<void> {
    await this.call('EVAL complete', this.client.eval(COMPLETE, 1, this.idempotencyKey(key), requestHash, result, Math.max(1, Math.round(ttlMs))));
  }

  /** {@inheritDoc StatusStore.releaseIdempotencyKey} */
  async releaseIdempotencyKey(key: string, requestHash: string): Promise<void> {
    await this.call('EVAL release', this.client.eval(RELEASE, 1, this.idempotencyKey(key), requestHash, this.lapsedMs));
  }

  /** {@inheritDoc StatusStore.ping} */
  async ping(): Promise<void> {
    await this.call('PING', this.client.ping());
  }

  private ttlArgs(): [number, number, number] {
    return [Math.round(this.ttls.inFlightMs), Math.round(this.ttls.processedMs), Math.round(this.ttls.failedMs)];
  }

  // Status calls are few (a flush every ~100 ms per consumer, a few per gateway request): a timer per call is fine.
  private call<T>(command: string, call: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new RedisTimeoutError(`Redis ${command} did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      timer.unref?.();
      call.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}

function parse(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
