/**
 * Remembers which events a consumer group has processed, for idempotency under at-least-once delivery.
 * Async so a shared store (Redis, a database) fits; a rejection means "unavailable" and the consumer fails
 * closed (waits and retries) rather than processing a record unchecked.
 */
export interface ProcessedStore {
  /** Whether `eventId` was already processed by `groupId`. */
  isProcessed(groupId: string, eventId: string): Promise<boolean>;
  /** Records that `groupId` processed `eventId` (called only after the handler succeeded). */
  markProcessed(groupId: string, eventId: string): Promise<void>;
}

/** Options of {@link InMemoryProcessedStore}. */
export interface InMemoryProcessedStoreOptions {
  /** Most entries kept; the least recently used is evicted first (default 100 000). */
  maxEntries?: number;
  /** How long an entry counts (default 24 h). */
  ttlMs?: number;
  /** Clock in epoch ms (injectable for tests). */
  now?: () => number;
}

/** A per-process {@link ProcessedStore}: LRU with TTL. Duplicates across restarts or instances need a shared store. */
export class InMemoryProcessedStore implements ProcessedStore {
  // A Map iterates in insertion order, so re-inserting on access makes the first key the least recently used.
  private readonly entries = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  /** @param options capacity, TTL and clock. */
  constructor(options: InMemoryProcessedStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.ttlMs = options.ttlMs ?? 24 * 60 * 60 * 1000;
    this.now = options.now ?? Date.now;
  }

  /** Number of live-or-not-yet-evicted entries. */
  get size(): number {
    return this.entries.size;
  }

  /** {@inheritDoc ProcessedStore.isProcessed} */
  async isProcessed(groupId: string, eventId: string): Promise<boolean> {
    const key = storeKey(groupId, eventId);
    const expiresAt = this.entries.get(key);
    if (expiresAt === undefined) return false;
    this.entries.delete(key);
    if (expiresAt <= this.now()) return false;
    this.entries.set(key, expiresAt);
    return true;
  }

  /** {@inheritDoc ProcessedStore.markProcessed} */
  async markProcessed(groupId: string, eventId: string): Promise<void> {
    const key = storeKey(groupId, eventId);
    this.entries.delete(key);
    this.entries.set(key, this.now() + this.ttlMs);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }

  /** Forgets everything. */
  clear(): void {
    this.entries.clear();
  }
}

function storeKey(groupId: string, eventId: string): string {
  return `${groupId}\u0000${eventId}`;
}
