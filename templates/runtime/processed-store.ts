/**
 * Idempotent consumption under at-least-once delivery. Before a record's handler runs, the consumer *claims* its
 * event id with a lease (so no other member runs the same event at the same time, e.g. after a rebalance took the
 * partition away from a slow member); once the outcome is final (handled, or dead-lettered) it *completes* the id,
 * so a redelivery is skipped as a duplicate. Async so a shared store (Redis, a database) fits; a rejection means
 * "unavailable" and the consumer fails closed (waits and retries) rather than processing a record unchecked.
 */
export interface ProcessedStore {
  /**
   * Claims each event for `owner`: `acquired` (a lease for `leaseMs`; also when `owner` already holds it), `done`
   * (its outcome is final: skip it) or `held` (another owner's lease is live: wait). One call per batch.
   */
  claim(groupId: string, eventIds: readonly string[], owner: string, leaseMs: number): Promise<ClaimState[]>;
  /** Extends `owner`'s leases on these events (ignores ids it does not hold). */
  renew(groupId: string, eventIds: readonly string[], owner: string, leaseMs: number): Promise<void>;
  /** Marks events done (their outcome is final), whoever holds them. */
  complete(groupId: string, eventIds: readonly string[]): Promise<void>;
  /** Gives up `owner`'s leases (no outcome: the next owner processes them at once). */
  release(groupId: string, eventIds: readonly string[], owner: string): Promise<void>;
  /**
   * True for a store that lives and dies with the process (no other member sees it, a crash loses it): the consumer
   * then marks a batch's events done together at the end of the batch instead of one call per event.
   */
  readonly local?: boolean;
}

/** What {@link ProcessedStore.claim} found for one event id. */
export type ClaimState = 'acquired' | 'done' | 'held';

/**
 * The store interface of eventgen 0.1 (check, then mark): still accepted by the consumer, without leases — two
 * members holding the same record at once can both run its handler. Implement {@link ProcessedStore} instead.
 */
export interface LegacyProcessedStore {
  /** Whether `eventId` was already processed by `groupId`. */
  isProcessed(groupId: string, eventId: string): Promise<boolean>;
  /** Records that `groupId` processed `eventId`. */
  markProcessed(groupId: string, eventId: string): Promise<void>;
}

/** A {@link ProcessedStore} from a store of either shape. */
export function toProcessedStore(store: ProcessedStore | LegacyProcessedStore): ProcessedStore {
  if ('claim' in store) return store;
  return {
    claim: async (groupId, eventIds) => Promise.all(eventIds.map(async (id) => ((await store.isProcessed(groupId, id)) ? 'done' : 'acquired'))),
    renew: async () => undefined,
    complete: async (groupId, eventIds) => {
      for (const id of eventIds) await store.markProcessed(groupId, id);
    },
    release: async () => undefined,
  };
}

/** Options of {@link InMemoryProcessedStore}. */
export interface InMemoryProcessedStoreOptions {
  /** Most entries kept; the least recently used is evicted first (default 100 000). */
  maxEntries?: number;
  /** How long a done entry counts (default 24 h). */
  ttlMs?: number;
  /** Clock in epoch ms (injectable for tests). */
  now?: () => number;
}

interface Entry {
  /** Lease owner, or undefined when done. */
  owner: string | undefined;
  expiresAt: number;
}

/**
 * A per-process {@link ProcessedStore}: LRU with TTL. Leases only protect against concurrency inside this process;
 * duplicates across restarts or instances need a shared store (`RedisProcessedStore`).
 */
export class InMemoryProcessedStore implements ProcessedStore {
  /** In-process: completions are marked per batch. */
  readonly local = true;
  // A Map iterates in insertion order, so re-inserting on access makes the first key the least recently used.
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  /** @param options capacity, TTL and clock. */
  constructor(options: InMemoryProcessedStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.ttlMs = options.ttlMs ?? 24 * 60 * 60 * 1000;
    this.now = options.now ?? Date.now;
  }

  /** Number of entries (leases and done), expired ones included until evicted. */
  get size(): number {
    return this.entries.size;
  }

  /** {@inheritDoc ProcessedStore.claim} */
  async claim(groupId: string, eventIds: readonly string[], owner: string, leaseMs: number): Promise<ClaimState[]> {
    const now = this.now();
    return eventIds.map((id) => {
      const key = storeKey(groupId, id);
      const entry = this.live(key, now);
      if (entry === undefined) {
        this.put(key, { owner, expiresAt: now + leaseMs });
        return 'acquired';
      }
      if (entry.owner === owner) {
        entry.expiresAt = now + leaseMs; // live() already made it the most recently used
        return 'acquired';
      }
      return entry.owner === undefined ? 'done' : 'held';
    });
  }

  /** {@inheritDoc ProcessedStore.renew} */
  async renew(groupId: string, eventIds: readonly string[], owner: string, leaseMs: number): Promise<void> {
    const now = this.now();
    for (const id of eventIds) {
      const entry = this.entries.get(storeKey(groupId, id));
      if (entry !== undefined && entry.owner === owner) entry.expiresAt = now + leaseMs;
    }
  }

  /** {@inheritDoc ProcessedStore.complete} */
  async complete(groupId: string, eventIds: readonly string[]): Promise<void> {
    const expiresAt = this.now() + this.ttlMs;
    for (const id of eventIds) this.put(storeKey(groupId, id), { owner: undefined, expiresAt });
  }

  /** {@inheritDoc ProcessedStore.release} */
  async release(groupId: string, eventIds: readonly string[], owner: string): Promise<void> {
    for (const id of eventIds) {
      const key = storeKey(groupId, id);
      if (this.entries.get(key)?.owner === owner) this.entries.delete(key);
    }
  }

  /** Whether `eventId` is done for `groupId` (the {@link LegacyProcessedStore} check, for tests and tools). */
  async isProcessed(groupId: string, eventId: string): Promise<boolean> {
    const entry = this.live(storeKey(groupId, eventId), this.now());
    return entry !== undefined && entry.owner === undefined;
  }

  /** Marks `eventId` done for `groupId`. */
  async markProcessed(groupId: string, eventId: string): Promise<void> {
    await this.complete(groupId, [eventId]);
  }

  /** Forgets everything. */
  clear(): void {
    this.entries.clear();
  }

  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= now) return undefined;
    this.entries.set(key, entry); // most recently used
    return entry;
  }

  private put(key: string, entry: Entry): void {
    // Re-inserting moves the key to the end (most recently used); a new key needs no delete.
    const existing = this.entries.get(key);
    if (existing !== undefined) {
      existing.owner = entry.owner;
      existing.expiresAt = entry.expiresAt;
      this.entries.delete(key);
      this.entries.set(key, existing);
      return;
    }
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }
}

function storeKey(groupId: string, eventId: string): string {
  return `${groupId}\u0000${eventId}`;
}
