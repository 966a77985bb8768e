/**
 * Event status tracking: where an event is, per consumer group (PENDING → PROCESSING → RETRYING → PROCESSED, or
 * FAILED / DEAD_LETTERED). Written by the gateway (PENDING, on publish) and by every consumer given a `statusStore`;
 * read by the gateway's `GET /events/{eventId}`. Advisory: a status write never blocks or fails delivery.
 */

/** Where one event is in one consumer group. */
export type EventStatus = 'PENDING' | 'PROCESSING' | 'RETRYING' | 'PROCESSED' | 'FAILED' | 'DEAD_LETTERED';

/** The statuses in the order they may follow each other (see {@link isLaterStatus}). */
export const EVENT_STATUSES: readonly EventStatus[] = Object.freeze(['PENDING', 'PROCESSING', 'RETRYING', 'PROCESSED', 'FAILED', 'DEAD_LETTERED']);

/** Where a dead-letter record was written. */
export interface DeadLetterCoordinates {
  /** Dead-letter topic. */
  topic: string;
  /** Partition of the dead-letter record, when the broker reported it. */
  partition?: number;
  /** Offset of the dead-letter record, when the broker reported it. */
  offset?: string;
}

/** One status change of one event in one consumer group. */
export interface StatusUpdate {
  /** The event. */
  eventId: string;
  /** The consumer group. */
  groupId: string;
  /** The new status. */
  status: Exclude<EventStatus, 'PENDING'>;
  /** Attempt number (1 = first) of PROCESSING and RETRYING; attempts made for FAILED, DEAD_LETTERED and PROCESSED. */
  attempts: number;
  /** When it happened (ms since the epoch). */
  at: number;
  /** RETRYING: when the next attempt is due (ms since the epoch). */
  nextAttemptAt?: number;
  /** RETRYING, FAILED, DEAD_LETTERED: the last error's message (never its stack; may be truncated). */
  lastError?: string;
  /** FAILED, DEAD_LETTERED: why (`retries-exhausted`, `non-retriable`, ...). */
  reason?: string;
  /** DEAD_LETTERED: where the dead-letter record is. */
  deadLetter?: DeadLetterCoordinates;
}

/** What the publisher knew when it accepted the event. */
export interface PendingEvent {
  /** The event's id. */
  eventId: string;
  /** Its type. */
  eventType: string;
  /** The Kafka topic it was written to. */
  topic: string;
  /** The consumer groups expected to process it (from the catalog). */
  groups: readonly string[];
  /** When it was accepted (ms since the epoch). */
  acceptedAt: number;
  /** Where it was written, once the broker acknowledged it. */
  partition?: number;
  /** Offset of the record, once acknowledged. */
  offset?: string;
  /** Correlation id. */
  correlationId?: string;
  /** Priority it was published with. */
  priority?: string;
}

/** Status of one event in one group, as stored. */
export interface GroupStatus {
  /** Current status. */
  status: EventStatus;
  /** See {@link StatusUpdate.attempts}. */
  attempts: number;
  /** When the status was last changed (ms since the epoch). */
  updatedAt: number;
  /** RETRYING: when the next attempt is due. */
  nextAttemptAt?: number;
  /** Last error's message. */
  lastError?: string;
  /** FAILED / DEAD_LETTERED: why. */
  reason?: string;
  /** DEAD_LETTERED: the dead-letter record. */
  deadLetter?: DeadLetterCoordinates;
}

/** Everything known about one event. */
export interface EventStatusRecord {
  /** The event. */
  eventId: string;
  /** What the publisher recorded (absent when the event was not published through a status-tracking publisher). */
  event?: PendingEvent;
  /** Per consumer group: expected groups without news are PENDING. */
  groups: Record<string, GroupStatus>;
}

/** How long statuses are kept (ms), per the most advanced status of the event. */
export interface StatusTtls {
  /** PENDING / PROCESSING / RETRYING (default 24 h). */
  inFlightMs: number;
  /** Every group PROCESSED (default 1 h). */
  processedMs: number;
  /** Some group FAILED or DEAD_LETTERED (default 24 h). */
  failedMs: number;
}

/** Default {@link StatusTtls}: processed ~1 h, failed ~24 h, in flight 24 h. */
export const DEFAULT_STATUS_TTLS: StatusTtls = Object.freeze({ inFlightMs: 24 * 3_600_000, processedMs: 3_600_000, failedMs: 24 * 3_600_000 });

/** Result of {@link StatusStore.reserveIdempotencyKey}. */
export type IdempotencyReservation =
  /** First use of the key: publish with `eventId`, then call `completeIdempotencyKey`. */
  | { kind: 'new'; eventId: string }
  /** Used before with the same request: answer `result` again, publish nothing. */
  | { kind: 'done'; result: string }
  /** Another request with this key is being published right now. */
  | { kind: 'in-progress' }
  /** Used before with a different request body. */
  | { kind: 'mismatch' };

/**
 * Where statuses live. Transitions are monotonic per group ({@link isLaterStatus}): a late PROCESSING never
 * overwrites PROCESSED, a PENDING never overwrites anything.
 */
export interface StatusStore {
  /** Records a published event (its expected groups start PENDING); never downgrades statuses already recorded. */
  pending(event: PendingEvent): Promise<void>;
  /** Applies status changes (each only if later than what is stored). */
  update(updates: readonly StatusUpdate[]): Promise<void>;
  /** Everything known about an event, or `undefined`. */
  get(eventId: string): Promise<EventStatusRecord | undefined>;
  /**
   * Reserves an idempotency key for a request whose body hashes to `requestHash`. A reservation not completed
   * within `leaseMs` (the publisher died) can be taken over: the new holder gets the same `eventId` (so consumers
   * deduplicate a record the first holder may have written).
   */
  reserveIdempotencyKey(key: string, requestHash: string, eventId: string, leaseMs: number): Promise<IdempotencyReservation>;
  /** Stores the answer for a reserved key, kept `ttlMs`. */
  completeIdempotencyKey(key: string, requestHash: string, result: string, ttlMs: number): Promise<void>;
  /**
   * Ends a reservation whose publish failed, so the client may retry with the same key at once: the retry (same
   * request) takes it over with the same event id, so a record the failed attempt may have written is deduplicated.
   */
  releaseIdempotencyKey(key: string, requestHash: string): Promise<void>;
  /** Throws when the store is unreachable. */
  ping(): Promise<void>;
  /**
   * Forgets events a publisher recorded but certainly did not write (the broker refused them): only records whose
   * groups are all still PENDING are removed, so nothing a consumer reported is lost. Optional for custom stores.
   */
  discard?(eventIds: readonly string[]): Promise<void>;
}

const RANK: Record<EventStatus, number> = { PENDING: 0, PROCESSING: 1, RETRYING: 2, PROCESSED: 10, FAILED: 10, DEAD_LETTERED: 11 };

/**
 * Whether `next` may replace `current` in one group: terminal statuses (PROCESSED, FAILED, DEAD_LETTERED) are final
 * except FAILED → DEAD_LETTERED; between attempts a later attempt wins, and in one attempt PROCESSING → RETRYING.
 */
export function isLaterStatus(current: { status: EventStatus; attempts: number } | undefined, next: { status: EventStatus; attempts: number }): boolean {
  if (current === undefined) return true;
  const a = RANK[current.status];
  const b = RANK[next.status];
  if (a >= 10) return current.status === 'FAILED' && next.status === 'DEAD_LETTERED';
  if (b >= 10) return true;
  if (next.attempts !== current.attempts) return next.attempts > current.attempts;
  return b > a;
}

/** The TTL of an event's status record given its groups' statuses. */
export function statusTtl(groups: Iterable<GroupStatus>, ttls: StatusTtls): number {
  let failed = false;
  let inFlight = false;
  let any = false;
  for (const g of groups) {
    any = true;
    if (g.status === 'FAILED' || g.status === 'DEAD_LETTERED') failed = true;
    else if (g.status !== 'PROCESSED') inFlight = true;
  }
  if (failed) return ttls.failedMs;
  if (inFlight || !any) return ttls.inFlightMs;
  return ttls.processedMs;
}

/** The overall status of an event: FAILED/DEAD_LETTERED if any group is, PROCESSED when all are, else the least advanced. */
export function overallStatus(record: EventStatusRecord): EventStatus {
  const statuses = Object.values(record.groups).map((g) => g.status);
  if (statuses.length === 0) return 'PENDING';
  if (statuses.includes('DEAD_LETTERED')) return 'DEAD_LETTERED';
  if (statuses.includes('FAILED')) return 'FAILED';
  if (statuses.every((s) => s === 'PROCESSED')) return 'PROCESSED';
  if (statuses.includes('RETRYING')) return 'RETRYING';
  if (statuses.includes('PROCESSING') || statuses.includes('PROCESSED')) return 'PROCESSING';
  return 'PENDING';
}

/** Longest `lastError` stored (longer messages are cut, ending in `…`). */
export const MAX_STATUS_ERROR_LENGTH = 1000;
/** Longest `reason` stored. */
const MAX_REASON_LENGTH = 200;

/** `text` cut to at most `max` characters (ending in `…` when cut, never splitting a surrogate pair). */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}\u2026`;
}

/** The stored form of an update: only the fields it carries, texts bounded ({@link MAX_STATUS_ERROR_LENGTH}). */
export function toGroupStatus(u: StatusUpdate): GroupStatus {
  const g: GroupStatus = { status: u.status, attempts: u.attempts, updatedAt: u.at };
  if (u.nextAttemptAt !== undefined) g.nextAttemptAt = u.nextAttemptAt;
  if (u.lastError !== undefined) g.lastError = clipText(u.lastError, MAX_STATUS_ERROR_LENGTH);
  if (u.reason !== undefined) g.reason = clipText(u.reason, MAX_REASON_LENGTH);
  if (u.deadLetter !== undefined) {
    const d: DeadLetterCoordinates = { topic: u.deadLetter.topic };
    if (u.deadLetter.partition !== undefined) d.partition = u.deadLetter.partition;
    if (u.deadLetter.offset !== undefined) d.offset = u.deadLetter.offset;
    g.deadLetter = d;
  }
  return g;
}

/** Options of {@link InMemoryStatusStore}. */
export interface InMemoryStatusStoreOptions {
  /** Most events kept (default 100 000; the oldest are evicted first). */
  maxEvents?: number;
  /** TTLs (default {@link DEFAULT_STATUS_TTLS}). */
  ttls?: Partial<StatusTtls>;
  /** Clock (ms), injectable for tests. */
  now?: () => number;
}

interface Entry {
  event?: PendingEvent;
  groups: Map<string, GroupStatus>;
  expiresAt: number;
}

/** A {@link StatusStore} in this process (single-process services, tests): bounded, with the same TTLs and rules as Redis. */
export class InMemoryStatusStore implements StatusStore {
  private readonly entries = new Map<string, Entry>();
  private readonly keys = new Map<string, { requestHash: string; eventId: string; result?: string; expiresAt: number }>();
  private readonly maxEvents: number;
  private readonly ttls: StatusTtls;
  private readonly now: () => number;

  /** @param options bound, TTLs, clock. */
  constructor(options: InMemoryStatusStoreOptions = {}) {
    this.maxEvents = Math.max(1, options.maxEvents ?? 100_000);
    this.ttls = { ...DEFAULT_STATUS_TTLS, ...options.ttls };
    this.now = options.now ?? Date.now;
  }

  async pending(event: PendingEvent): Promise<void> {
    const entry = this.entry(event.eventId, true) as Entry;
    entry.event = { ...event, groups: [...event.groups] };
    for (const g of event.groups) if (!entry.groups.has(g)) entry.groups.set(g, { status: 'PENDING', attempts: 0, updatedAt: event.acceptedAt });
    entry.expiresAt = this.now() + statusTtl(entry.groups.values(), this.ttls);
  }

  async update(updates: readonly StatusUpdate[]): Promise<void> {
    for (const u of updates) {
      const entry = this.entry(u.eventId, true) as Entry;
      if (!isLaterStatus(entry.groups.get(u.groupId), u)) continue;
      entry.groups.set(u.groupId, toGroupStatus(u));
      entry.expiresAt = this.now() + statusTtl(entry.groups.values(), this.ttls);
    }
  }

  async get(eventId: string): Promise<EventStatusRecord | undefined> {
    const entry = this.entry(eventId, false);
    if (entry === undefined) return undefined;
    const record: EventStatusRecord = { eventId, groups: {} };
    if (entry.event !== undefined) record.event = { ...entry.event, groups: [...entry.event.groups] };
    for (const [g, s] of [...entry.groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      Object.defineProperty(record.groups, g, { value: { ...s }, enumerable: true, writable: true, configurable: true });
    }
    return record;
  }

  async reserveIdempotencyKey(key: string, requestHash: string, eventId: string, leaseMs: number): Promise<IdempotencyReservation> {
    const now = this.now();
    const held = this.keys.get(key);
    if (held !== undefined && held.expiresAt > now) {
      if (held.requestHash !== requestHash) return { kind: 'mismatch' };
      if (held.result !== undefined) return { kind: 'done', result: held.result };
      return { kind: 'in-progress' };
    }
    // A lapsed reservation keeps its event id for the next holder.
    const id = held !== undefined && held.result === undefined && held.requestHash === requestHash ? held.eventId : eventId;
    this.keys.delete(key);
    this.keys.set(key, { requestHash, eventId: id, expiresAt: now + leaseMs });
    this.trimKeys(now);
    return { kind: 'new', eventId: id };
  }

  async completeIdempotencyKey(key: string, requestHash: string, result: string, ttlMs: number): Promise<void> {
    const held = this.keys.get(key);
    if (held === undefined || held.requestHash !== requestHash) return;
    held.result = result;
    held.expiresAt = this.now() + ttlMs;
  }

  async releaseIdempotencyKey(key: string, requestHash: string): Promise<void> {
    const held = this.keys.get(key);
    if (held !== undefined && held.requestHash === requestHash && held.result === undefined) held.expiresAt = this.now();
  }

  async ping(): Promise<void> {}

  async discard(eventIds: readonly string[]): Promise<void> {
    for (const id of eventIds) {
      const entry = this.entries.get(id);
      if (entry !== undefined && [...entry.groups.values()].every((g) => g.status === 'PENDING')) this.entries.delete(id);
    }
  }

  private entry(eventId: string, create: boolean): Entry | undefined {
    const now = this.now();
    let entry = this.entries.get(eventId);
    if (entry !== undefined && entry.expiresAt <= now) {
      this.entries.delete(eventId);
      entry = undefined;
    }
    if (entry === undefined && create) {
      entry = { groups: new Map(), expiresAt: now + this.ttls.inFlightMs };
      this.entries.set(eventId, entry);
      while (this.entries.size > this.maxEvents) {
        const oldest = this.entries.keys().next().value as string;
        this.entries.delete(oldest);
      }
    }
    return entry;
  }

  // Over the bound: expired keys go first, then the oldest.
  private trimKeys(now: number): void {
    if (this.keys.size <= this.maxEvents) return;
    for (const [k, v] of this.keys) if (v.expiresAt <= now && v.result !== undefined) this.keys.delete(k);
    for (const k of this.keys.keys()) {
      if (this.keys.size <= this.maxEvents) break;
      this.keys.delete(k);
    }
  }
}
