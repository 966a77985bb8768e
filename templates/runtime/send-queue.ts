import { partitionForKey } from './partitioner.js';
import { SendError, type OutgoingMessage, type RecordMetadata, type TopicMessages } from './transport.js';

/** Waits between re-reads of the metadata of a topic not known yet (ms). */
const UNKNOWN_TOPIC_RETRIES: readonly number[] = [100, 200, 400, 800];

/** Most records merged into one request from concurrent `send` calls. */
const MAX_MERGED_RECORDS = 500;

/** A record with the partition the producer chose for it, in the client's own message shape `M`. */
export interface Placed<M> {
  topic: string;
  partition: number;
  message: M;
}

interface Request<M> {
  placed: Placed<M>[];
  partitions: Set<string>;
  resolve: (metadata: RecordMetadata[]) => void;
  reject: (error: unknown) => void;
}

/**
 * What both Kafka producers (kafkajs, @platformatic/kafka) share: every record's partition is decided here
 * (explicit partition, murmur2 of the key as Java and kafkajs do, round-robin without key) from cached partition
 * counts, so sends are ordered **per partition only**. Concurrent sends to different partitions go out in parallel
 * (an unreachable leader delays only its own partitions); sends to one partition go out one request at a time, in
 * call order (which idempotence needs too: a client numbers a partition's records from a sequence advanced only
 * by acknowledged requests). Concurrent sends whose partitions are free are merged into one request; if it fails
 * for a reason that concerns single records (too large, unknown topic, invalid, not authorized), each send is tried
 * alone so only the guilty one fails. A client is swapped for a new one (`replaceBeforeNextSend`) only once no
 * request is in flight.
 *
 * A subclass converts messages (`encode`), sends one merged request (`sendNow`), reads a topic's partition count
 * (`readPartitionCount`, 0 = unknown topic) and maps its client's errors (`toSendError`).
 */
export abstract class PartitionOrderedSender<M> {
  /** True between `connect()` and `disconnect()`. */
  protected wanted = false;
  /** Set after a send without a certain outcome: the next send uses a new client (a new producer id). */
  protected replaceBeforeNextSend = false;
  /** Cached partition counts per topic. */
  protected readonly counts = new Map<string, { count: number; at: number }>();
  private readonly roundRobin = new Map<string, number>();
  private readonly queue: Request<M>[] = [];
  private readonly busy = new Set<string>();
  private inFlight = 0;
  private idle: Array<() => void> = [];

  /** @param metadataMaxAgeMs how long partition counts are cached (default 300 000 ms). */
  protected constructor(private readonly metadataMaxAgeMs: number | undefined) {}

  /** The client's message for a record placed on `partition`. */
  protected abstract encode(topic: string, partition: number, message: OutgoingMessage): M;
  /** Sends one (merged) request and returns one metadata per record, in order. */
  protected abstract sendNow(placed: Placed<M>[]): Promise<RecordMetadata[]>;
  /** Partitions of a topic per the cluster's metadata; 0 when the topic is unknown. */
  protected abstract readPartitionCount(topic: string): Promise<number>;
  /** The client's error as a {@link SendError}. */
  protected abstract toSendError(error: unknown): SendError;

  /** Sends the messages (acks=all) and returns one metadata per message, in input order. */
  async send(batch: readonly TopicMessages[]): Promise<RecordMetadata[]> {
    if (!this.wanted) throw new SendError('The producer is disconnected: call connect() first', 'OTHER');
    const placed: Placed<M>[] = [];
    for (const { topic, messages } of batch) {
      const count = await this.partitionCount(topic);
      for (const m of messages) {
        const partition = this.place(topic, m, count);
        placed.push({ topic, partition, message: this.encode(topic, partition, m) });
      }
    }
    if (placed.length === 0) return [];
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      this.queue.push({ placed, partitions: new Set(placed.map((p) => `${p.topic}\u0000${p.partition}`)), resolve, reject });
      this.pump();
    });
  }

  /** Resolves once no send is queued or in flight. */
  protected async drained(): Promise<void> {
    while (this.inFlight > 0 || this.queue.length > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  /**
   * Awaits `sending` for at most `timeoutMs`. A failure is mapped to a {@link SendError}; when its outcome is
   * uncertain the next send uses a new client, and the partition counts of `topics` are read again (also after
   * `UNKNOWN_TOPIC`), after `forget()` let the client drop its own metadata.
   */
  protected async settle<T>(sending: Promise<T>, timeoutMs: number, topics: Iterable<string>, forget?: () => void): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SendError(`Send did not settle within ${timeoutMs} ms (sendTimeoutMs); the records may or may not have been written`, 'UNCERTAIN')), timeoutMs);
    });
    try {
      return await Promise.race([sending, timeout]);
    } catch (error) {
      sending.catch(() => undefined);
      const failure = this.toSendError(error);
      if (!failure.certain) this.replaceBeforeNextSend = true;
      if (failure.code === 'UNKNOWN_TOPIC' || !failure.certain) {
        for (const topic of topics) this.counts.delete(topic);
        forget?.();
      }
      throw failure;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * One metadata per placed record from the first offset of each topic-partition in the answer (key
   * `topic\0partition`): both clients keep a partition's records in input order within one request.
   */
  protected static offsets<M>(placed: readonly Placed<M>[], base: ReadonlyMap<string, bigint>): RecordMetadata[] {
    const position = new Map<string, bigint>();
    return placed.map(({ topic, partition }) => {
      const key = `${topic}\u0000${partition}`;
      const first = base.get(key);
      if (first === undefined) throw new SendError(`Kafka returned no offset for a record sent to '${topic}' partition ${partition}`, 'UNCERTAIN');
      const index = position.get(key) ?? 0n;
      position.set(key, index + 1n);
      return { topic, partition, offset: (first + index).toString() };
    });
  }

  private place(topic: string, message: OutgoingMessage, count: number): number {
    if (message.partition !== undefined) {
      // A client would silently take the partition modulo the count (or fail vaguely): refuse it here instead.
      if (!Number.isInteger(message.partition) || message.partition < 0 || message.partition >= count) {
        throw new SendError(`Topic '${topic}' has no partition ${message.partition} (it has ${count})`, 'UNKNOWN_TOPIC');
      }
      return message.partition;
    }
    if (message.key !== null) return partitionForKey(message.key, count);
    const next = this.roundRobin.get(topic) ?? 0;
    this.roundRobin.set(topic, next + 1);
    return next % count;
  }

  /** Starts every queued request whose partitions are free, merging them; per-partition order is queue order. */
  private pump(): void {
    if (this.replaceBeforeNextSend && this.inFlight > 0) return; // the replacement waits for the old client's sends
    // Partitions in flight, or of a request left in the queue: later requests of those partitions wait their turn.
    const blocked = new Set<string>(this.busy);
    const merged: Request<M>[] = [];
    let records = 0;
    for (let i = 0; i < this.queue.length; ) {
      const request = this.queue[i] as Request<M>;
      const free = [...request.partitions].every((p) => !blocked.has(p));
      if (!free || (merged.length > 0 && records + request.placed.length > MAX_MERGED_RECORDS)) {
        for (const p of request.partitions) blocked.add(p);
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      merged.push(request);
      records += request.placed.length;
    }
    if (merged.length === 0) return;
    for (const r of merged) for (const p of r.partitions) this.busy.add(p);
    this.inFlight += 1;
    void this.dispatch(merged).finally(() => {
      for (const r of merged) for (const p of r.partitions) this.busy.delete(p);
      this.inFlight -= 1;
      if (this.inFlight === 0 && this.queue.length === 0) for (const wake of this.idle.splice(0)) wake();
      this.pump();
    });
    if (this.queue.length > 0) this.pump();
  }

  private async dispatch(requests: Request<M>[]): Promise<void> {
    try {
      const metadata = await this.sendNow(requests.flatMap((r) => r.placed));
      let at = 0;
      for (const r of requests) {
        r.resolve(metadata.slice(at, at + r.placed.length));
        at += r.placed.length;
      }
    } catch (error) {
      const failure = this.toSendError(error);
      if (failure.certain && requests.length > 1) {
        // Something about single records: try each send alone, so only the guilty one fails.
        for (const r of requests) {
          try {
            r.resolve(await this.sendNow(r.placed));
          } catch (alone) {
            r.reject(this.toSendError(alone));
          }
        }
        return;
      }
      for (const r of requests) r.reject(failure);
    }
  }

  /**
   * The topic's partition count (cached). A topic the metadata does not know fails with `UNKNOWN_TOPIC` after a few
   * quick re-reads (about 1.5 s: a topic created a moment ago may not have reached every broker's metadata yet).
   */
  private async partitionCount(topic: string): Promise<number> {
    const cached = this.counts.get(topic);
    if (cached !== undefined && Date.now() - cached.at < (this.metadataMaxAgeMs ?? 300_000)) return cached.count;
    for (let attempt = 0; ; attempt++) {
      const count = await this.readPartitionCount(topic);
      if (count > 0) {
        this.counts.set(topic, { count, at: Date.now() });
        return count;
      }
      if (attempt >= UNKNOWN_TOPIC_RETRIES.length) throw new SendError(`Topic '${topic}' does not exist (producers never create topics: provision them with gen topics)`, 'UNKNOWN_TOPIC');
      await new Promise((resolve) => setTimeout(resolve, UNKNOWN_TOPIC_RETRIES[attempt]));
    }
  }
}
