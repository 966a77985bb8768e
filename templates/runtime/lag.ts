import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { tpKey, type OffsetReader, type TopicPartition } from './transport.js';

/** Default interval between two lag samples (ms). */
export const DEFAULT_LAG_SAMPLE_INTERVAL_MS = 15_000;

/** One partition of a lag sample. */
export interface PartitionLag extends TopicPartition {
  /** The group's committed offset (undefined: none committed yet). */
  committed: string | undefined;
  /** End offset (high watermark) of the partition. */
  end: string;
  /** Records not committed yet: `end - max(committed, earliest)`; without a commit `end - earliest` (fromBeginning) or 0. */
  lag: number;
}

/** What one sample read. */
export interface LagSample {
  /** When it was taken (epoch ms). */
  at: number;
  /** Every partition of the sampled topics. */
  partitions: PartitionLag[];
  /** Records in each dead-letter topic (end - earliest offset, summed over its partitions). */
  deadLetterTopics: Array<{ topic: string; records: number }>;
}

/** Options of {@link LagSampler}. */
export interface LagSamplerOptions {
  /** Consumer group whose committed offsets are read. */
  groupId: string;
  /** Admin access to the cluster. */
  reader: OffsetReader;
  /** Topics the group reads (its subscriptions, retry topics included). */
  topics: readonly string[];
  /** Dead-letter topics the group writes. */
  deadLetterTopics: readonly string[];
  /** Where `consumer_lag`, `dead_letter_topic_records` and `consumer_lag_sampled_timestamp_seconds` go. */
  metrics: Metrics;
  /** Logger (a failing sample is logged once per streak of failures). */
  logger: Logger;
  /** Interval between samples (ms, > 0). */
  intervalMs: number;
  /** Lag of a partition without committed offset: everything retained (true, the consumer's default) or 0. */
  fromBeginning: boolean;
  /** Called after every successful sample (health uses it for "stuck since"). */
  onSample?: (sample: LagSample) => void;
}

/**
 * Samples consumer lag from the cluster every `intervalMs`: the group's committed offsets against the end offsets of
 * its topics (two admin requests per sample, never a broker call per record). It does not depend on this member
 * fetching, so the lag of a paused, halted or stuck partition keeps growing in the metric. Every member of a group
 * reports the lag of all the group's partitions (aggregate with `max by (group, topic, partition)`).
 */
export class LagSampler {
  /** The last successful sample. */
  latest: LagSample | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<LagSample | undefined> | undefined;
  private stopped = true;
  private failing = false;
  private readonly gauges = new Set<string>();
  private readonly missing = new Set<string>();
  private deadLetterRead: Promise<void> | undefined;
  /** Set by stop(): a sample finishing later publishes nothing. */
  private closed = false;
  private deadLetterSizes: Array<{ topic: string; records: number }> = [];

  constructor(private readonly options: LagSamplerOptions) {
    if (!(options.intervalMs > 0)) throw new Error(`Lag sample interval must be > 0 ms (got ${options.intervalMs}); 0 disables the sampler`);
  }

  /** Takes a sample now, then one every `intervalMs` (until {@link stop}; a stopped sampler does not start again). */
  start(): void {
    if (!this.stopped || this.closed) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Takes one sample now and updates the gauges (a sample already running is awaited instead). */
  sample(): Promise<LagSample | undefined> {
    this.running ??= this.read().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops sampling, waits for a sample in flight, closes the reader and removes this group's lag gauges. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    // A sample stuck in the client's retries (broker down) must not hold up a stop: closing the reader ends it.
    if (this.running !== undefined) await waitAtMost(this.running, STOP_WAIT_MS);
    if (this.deadLetterRead !== undefined) await waitAtMost(this.deadLetterRead, STOP_WAIT_MS);
    this.closed = true;
    await this.options.reader.close().catch(() => undefined);
    const group = { group: this.options.groupId };
    this.options.metrics.clearGauge('lag', group);
    this.options.metrics.clearGauge('dead_letter_records', group);
    this.options.metrics.clearGauge('lag_sampled', group);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sample().finally(() => this.schedule(this.options.intervalMs));
    }, delayMs);
    this.timer.unref?.();
  }

  private async read(): Promise<LagSample | undefined> {
    const o = this.options;
    const deadLetter = this.readDeadLetter();
    try {
      const [ends, committed] = await Promise.all([o.topics.length === 0 ? [] : o.reader.topicOffsets(o.topics), o.topics.length === 0 ? [] : o.reader.groupOffsets(o.groupId, o.topics)]);
      const at = Date.now();
      const byPartition = new Map(committed.map((c) => [tpKey(c.topic, c.partition), c.offset]));
      const partitions: PartitionLag[] = [];
      for (const p of ends) {
        const offset = byPartition.get(tpKey(p.topic, p.partition));
        const end = BigInt(p.end);
        const start = BigInt(p.start);
        const lag = offset === undefined ? (o.fromBeginning ? end - start : 0n) : end - (BigInt(offset) > start ? BigInt(offset) : start);
        partitions.push({ topic: p.topic, partition: p.partition, committed: offset, end: p.end, lag: Number(positive(lag)) });
      }
      const sample: LagSample = { at, partitions, deadLetterTopics: this.deadLetterSizes };
      if (this.closed) return undefined;
      this.publish(sample);
      if (this.failing) o.logger.info('Consumer lag sampling works again');
      this.failing = false;
      this.latest = sample;
      o.onSample?.(sample);
      // The sample reports the dead-letter sizes read with it when they arrive soon (they are published regardless).
      await waitAtMost(deadLetter, DEAD_LETTER_WAIT_MS);
      sample.deadLetterTopics = this.deadLetterSizes;
      return sample;
    } catch (error) {
      if (this.closed) return undefined;
      if (!this.failing) o.logger.warn('Consumer lag sample failed; the lag gauges keep their last values (see consumer_lag_sampled_timestamp_seconds)', { error });
      else o.logger.debug('Consumer lag sample failed again', { error });
      this.failing = true;
      return undefined;
    }
  }

  /**
   * Reads the dead-letter topics' sizes on their own requests, apart from the lag: a topic that does not exist (yet)
   * costs the client's metadata retries (seconds) and fails alone, without delaying or failing the lag. At most one
   * read at a time; a sample while one runs reuses it.
   */
  private readDeadLetter(): Promise<void> {
    const o = this.options;
    if (this.deadLetterRead !== undefined || o.deadLetterTopics.length === 0) return this.deadLetterRead ?? Promise.resolve();
    const read = Promise.all(
      o.deadLetterTopics.map((topic) =>
        o.reader.topicOffsets([topic]).then(
          (ends) => {
            if (ends.length > 0) return { topic, records: Number(ends.reduce((n, p) => n + positive(BigInt(p.end) - BigInt(p.start)), 0n)) };
            if (!this.missing.has(topic)) o.logger.debug('Dead-letter topic does not exist (yet); its size is not reported', { topic });
            this.missing.add(topic);
            return undefined;
          },
          (error: unknown) => {
            if (!this.missing.has(topic)) o.logger.debug('Dead-letter topic size not readable', { topic, error });
            this.missing.add(topic);
            return undefined;
          },
        ),
      ),
    ).then((results) => {
      const group = { group: o.groupId };
      const sizes = results.filter((d): d is { topic: string; records: number } => d !== undefined);
      this.deadLetterSizes = sizes;
      if (this.closed) return;
      for (const d of sizes) {
        this.missing.delete(d.topic);
        o.metrics.setGauge('dead_letter_records', { ...group, topic: d.topic }, d.records);
      }
      for (const topic of this.missing) o.metrics.clearGauge('dead_letter_records', { ...group, topic });
    });
    this.deadLetterRead = read.finally(() => (this.deadLetterRead = undefined));
    return this.deadLetterRead;
  }

  private publish(sample: LagSample): void {
    const { metrics, groupId: group } = this.options;
    const seen = new Set<string>();
    for (const p of sample.partitions) {
      const labels = { group, topic: p.topic, partition: String(p.partition) };
      metrics.setGauge('lag', labels, p.lag);
      seen.add(tpKey(p.topic, p.partition));
    }
    // Partitions that disappeared (a deleted topic) must not keep their last value.
    for (const key of this.gauges) {
      if (seen.has(key)) continue;
      const [topic, partition] = key.split('\u0000') as [string, string];
      metrics.clearGauge('lag', { group, topic, partition });
    }
    this.gauges.clear();
    for (const key of seen) this.gauges.add(key);
    metrics.setGauge('lag_sampled', { group }, Math.floor(sample.at / 1000));
  }
}

/** How long a sample waits for the dead-letter sizes read with it before resolving without them. */
const DEAD_LETTER_WAIT_MS = 2_000;
/** How long `stop()` waits for a sample in flight before closing the reader under it. */
const STOP_WAIT_MS = 1_000;

async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise.catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function positive(n: bigint): bigint {
  return n > 0n ? n : 0n;
}
