import type { Logger } from './logger.js';
import type { ClaimState, ProcessedStore } from './processed-store.js';

/** Records claimed per store call: a member killed mid-batch blocks at most this many records for a lease's time. */
export const CLAIM_CHUNK = 64;

/**
 * The dedup leases this member holds: renewed together on one timer while their events are processed, released when
 * a record is given up, dropped once its event is completed.
 */
export class Leases {
  private readonly held = new Set<string>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private deferred: string[] = [];

  constructor(
    readonly store: ProcessedStore,
    private readonly groupId: string,
    readonly owner: string,
    readonly leaseMs: number,
    private readonly logger: Logger,
  ) {}

  /** Claims events (one store call); acquired ones are held and renewed from now on. */
  async claim(eventIds: readonly string[]): Promise<ClaimState[]> {
    const states = await this.store.claim(this.groupId, eventIds, this.owner, this.leaseMs);
    eventIds.forEach((id, i) => {
      if (states[i] === 'acquired') this.hold(id);
    });
    return states;
  }

  /** Marks an event done (its outcome is final) and stops renewing it. */
  async complete(eventId: string): Promise<void> {
    await this.store.complete(this.groupId, [eventId]);
    this.held.delete(eventId);
  }

  /** True when completions may wait for the end of the batch (a store that dies with the process). */
  get deferrable(): boolean {
    return this.store.local === true;
  }

  /** Marks an event done with the next {@link flushDeferred} (local stores only). */
  completeLater(eventId: string): void {
    this.deferred.push(eventId);
    this.held.delete(eventId);
  }

  /** Marks the deferred events done in one store call. */
  async flushDeferred(): Promise<void> {
    if (this.deferred.length === 0) return;
    const ids = this.deferred;
    this.deferred = [];
    await this.store.complete(this.groupId, ids);
  }

  /** Marks several events done in one store call. */
  async completeAll(eventIds: readonly string[]): Promise<void> {
    await this.store.complete(this.groupId, eventIds);
    for (const id of eventIds) this.held.delete(id);
  }

  /** Gives up leases (best effort: they expire on their own otherwise). */
  async release(eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 0) return;
    for (const id of eventIds) this.held.delete(id);
    await this.store.release(this.groupId, eventIds, this.owner).catch((error: unknown) => this.logger.warn('Releasing dedup leases failed; they expire on their own', { error }));
  }

  /** Stops renewing an event without touching the store. */
  forget(eventId: string): void {
    this.held.delete(eventId);
  }

  /** Stops the renewal timer. */
  dispose(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.held.clear();
  }

  private hold(eventId: string): void {
    this.held.add(eventId);
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      const ids = [...this.held];
      if (ids.length === 0) return;
      this.store.renew(this.groupId, ids, this.owner, this.leaseMs).catch((error: unknown) => this.logger.warn('Renewing dedup leases failed', { error }));
    }, Math.max(10, Math.floor(this.leaseMs / 3)));
    this.timer.unref?.();
  }
}

/**
 * The claims of one batch, made chunk by chunk as the engine reaches the records (a claim of records far ahead
 * would block them for every other member if this one died).
 */
export class BatchClaims {
  private readonly states: Array<ClaimState | undefined>;
  private claimedUpTo = 0;

  /**
   * @param ids the event id of each record to claim (undefined: not claimed, e.g. ignored or undecodable).
   * @param leases the member's leases.
   * @param call runs a store call until it answers (fail closed); undefined when cut short.
   */
  constructor(
    private readonly ids: ReadonlyArray<string | undefined>,
    private readonly leases: Leases,
    private readonly call: <T>(operation: () => Promise<T>) => Promise<{ value: T } | undefined>,
  ) {
    this.states = new Array<ClaimState | undefined>(ids.length);
  }

  /** The claim state of record `i`. */
  state(i: number): ClaimState | undefined {
    return this.states[i];
  }

  /** True when record `i`'s chunk was claimed already ({@link ensure} would answer true without a store call). */
  claimed(i: number): boolean {
    return i < this.claimedUpTo;
  }

  /** Claims the chunk starting at record `i` when not claimed yet; false when the store call was cut short. */
  async ensure(i: number): Promise<boolean> {
    if (i < this.claimedUpTo) return true;
    const to = Math.min(this.ids.length, i + CLAIM_CHUNK);
    const ok = await this.claim(i, to, () => true);
    if (ok) this.claimedUpTo = to;
    return ok;
  }

  /** Claims again the records from `i` on that were held by another member; false when cut short. */
  async refresh(i: number): Promise<boolean> {
    return this.claim(i, this.claimedUpTo, (k) => this.states[k] === 'held');
  }

  /** Event ids acquired by this batch from record `from` on (to release when the batch is left). */
  acquiredFrom(from: number): string[] {
    const out: string[] = [];
    for (let k = from; k < this.claimedUpTo; k++) {
      const id = this.ids[k];
      if (id !== undefined && this.states[k] === 'acquired') out.push(id);
    }
    return out;
  }

  private async claim(from: number, to: number, wanted: (k: number) => boolean): Promise<boolean> {
    const at: number[] = [];
    const ids: string[] = [];
    for (let k = from; k < to; k++) {
      const id = this.ids[k];
      if (id !== undefined && wanted(k)) {
        at.push(k);
        ids.push(id);
      }
    }
    if (ids.length === 0) return true;
    const answer = await this.call(() => this.leases.claim(ids));
    if (answer === undefined) return false;
    at.forEach((k, n) => (this.states[k] = answer.value[n]));
    return true;
  }
}
