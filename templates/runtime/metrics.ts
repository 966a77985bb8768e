/** Label values of a sample; consumers use `group`, `topic`, `event_type`. */
export type MetricLabels = Readonly<Record<string, string>>;

/** The counters the runtime maintains. */
export type CounterName = 'received' | 'processed' | 'failed' | 'retried' | 'dead_lettered' | 'duplicates_skipped' | 'ignored' | 'produced' | 'status_updates_dropped' | 'outbox_published' | 'outbox_publish_failed' | 'outbox_parked';

const COUNTERS: Record<CounterName, { name: string; help: string }> = {
  received: { name: 'events_received_total', help: 'Records received by the consumer.' },
  processed: { name: 'events_processed_total', help: 'Records whose handler succeeded.' },
  failed: { name: 'events_failed_total', help: 'Processing attempts that failed (any stage).' },
  retried: { name: 'events_retried_total', help: 'Retries scheduled after a retriable failure.' },
  dead_lettered: { name: 'events_dead_lettered_total', help: 'Records written to a dead-letter topic.' },
  duplicates_skipped: { name: 'events_duplicates_skipped_total', help: 'Records skipped because their eventId was already processed.' },
  ignored: { name: 'events_ignored_total', help: 'Records of event types this group does not receive, acknowledged without a handler.' },
  produced: { name: 'events_produced_total', help: 'Events sent by producers.' },
  status_updates_dropped: { name: 'status_updates_dropped_total', help: 'Event status updates not written to the status store (buffer full, store failing or slow); statuses are advisory.' },
  outbox_published: { name: 'outbox_published_total', help: 'Outbox rows published to Kafka (acknowledged) by the relay; its rate is the publish rate.' },
  outbox_publish_failed: { name: 'outbox_publish_failed_total', help: 'Outbox publish attempts that failed (the head row of its key backs off).' },
  outbox_parked: { name: 'outbox_parked_total', help: 'Outbox rows parked after too many failed publish attempts.' },
};

/** The gauges the runtime maintains (sampled when metrics are exported). */
export type GaugeName = 'records_in_flight' | 'partitions_assigned' | 'partitions_retrying' | 'partitions_failing' | 'partitions_halted' | 'lag' | 'fetch_lag' | 'lag_sampled' | 'partition_stuck' | 'dead_letter_records' | 'outbox_pending' | 'outbox_oldest_pending_age' | 'outbox_parked_rows';

const GAUGES: Record<GaugeName, { name: string; help: string }> = {
  records_in_flight: { name: 'consumer_records_in_flight', help: 'Handler calls running now per topic (at most one per owned partition, a handleBatch call counting once; attempts that outlived their partition or timeout count until they settle).' },
  partitions_assigned: { name: 'consumer_partitions_assigned', help: 'Partitions this member owns.' },
  partitions_retrying: { name: 'consumer_partitions_retrying', help: 'Partitions held by retries of one record (later records wait).' },
  partitions_failing: { name: 'consumer_partitions_failing', help: 'Partitions that cannot progress now (dead-letter write failing, processed store unavailable).' },
  partitions_halted: { name: 'consumer_partitions_halted', help: 'Partitions paused until resumed by hand.' },
  lag: { name: 'consumer_lag', help: "Records of each partition of the group's topics not committed yet (end offset - committed offset), sampled on an interval from the cluster." },
  fetch_lag: { name: 'consumer_fetch_lag', help: 'Records behind the end of each owned partition, as of its last fetch (high watermark - next offset to handle); no broker call of its own.' },
  lag_sampled: { name: 'consumer_lag_sampled_timestamp_seconds', help: 'When consumer_lag and dead_letter_topic_records were last sampled successfully (Unix time, seconds).' },
  partition_stuck: { name: 'consumer_partition_stuck_seconds', help: 'Seconds since an owned partition with pending records last advanced its committed offset (0 while it progresses or has nothing pending).' },
  dead_letter_records: { name: 'dead_letter_topic_records', help: 'Records in each dead-letter topic the group writes (end - earliest offset, all partitions), sampled with consumer_lag.' },
  outbox_pending: { name: 'outbox_pending_rows', help: 'Outbox rows not yet published (as of the relay\'s last sample).' },
  outbox_oldest_pending_age: { name: 'outbox_oldest_pending_age_seconds', help: 'Age of the oldest unpublished outbox row, in seconds (0 when none).' },
  outbox_parked_rows: { name: 'outbox_parked_rows', help: 'Outbox rows parked after too many failed publish attempts (need an operator).' },
};

/** Default processing-time histogram buckets, in seconds. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Default producer send-latency buckets, in seconds (an acknowledged send takes milliseconds). */
export const DEFAULT_SEND_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * How the processing of a record ended, the `outcome` label of `processing_duration_seconds` (a fixed set, so the
 * label multiplies the series by at most five):
 * - `success`: the handler succeeded (after in-process retries, if any);
 * - `retry`: the handler failed retriably and the record will be tried again later (partition paused for a long
 *   backoff, or the record moved to its retry topic);
 * - `dead_letter`: the record was written to its dead-letter topic (handler failures, undecodable records, unknown
 *   event types);
 * - `skipped`: no handler ran (duplicate event id, event type ignored by the group);
 * - `interrupted`: left unfinished and handled again later (stop, partition revoked, halted, processed store or
 *   dead-letter writes failing).
 */
export type HandlerOutcome = 'success' | 'retry' | 'dead_letter' | 'skipped' | 'interrupted';

/** Every {@link HandlerOutcome}. */
export const HANDLER_OUTCOMES: readonly HandlerOutcome[] = ['success', 'retry', 'dead_letter', 'skipped', 'interrupted'];

/** How a producer send call ended, the `outcome` label of `producer_send_duration_seconds`. */
export type SendOutcome = 'ok' | 'error';

/** The histograms the runtime maintains. */
export type HistogramName = 'processing' | 'producer_send';

const HISTOGRAMS: Record<HistogramName, { name: string; help: string }> = {
  processing: { name: 'processing_duration_seconds', help: 'Time to process a record, from receipt to commit decision, by outcome (success, retry, dead_letter, skipped, interrupted).' },
  producer_send: { name: 'producer_send_duration_seconds', help: 'Time of each producer send call, from handing the records to the client to their acknowledgement or failure, per topic in the call and outcome (ok, error).' },
};

interface HistogramSeries {
  labels: MetricLabels;
  counts: number[];
  sum: number;
  count: number;
}

/** Options of {@link Metrics}. */
export interface MetricsOptions {
  /** Metric name prefix (default `eventgen_`). */
  prefix?: string;
  /** Processing-time histogram bucket upper bounds in seconds, ascending. */
  buckets?: readonly number[];
  /** Producer send-latency histogram bucket upper bounds in seconds (default {@link DEFAULT_SEND_BUCKETS}). */
  sendBuckets?: readonly number[];
}

/** In-process counters, gauges and the processing-time and send-latency histograms, exportable as Prometheus text. */
export class Metrics {
  private readonly counters = new Map<CounterName, Map<string, { labels: MetricLabels; value: number }>>();
  private readonly histogram = new Map<string, HistogramSeries>();
  private readonly sendHistogram = new Map<string, HistogramSeries>();
  // Frozen `{ topic, outcome }` label sets of the send histogram, one pair per topic (topics are the producer's own).
  private readonly sendLabels = new Map<string, Record<SendOutcome, MetricLabels>>();
  private readonly gauges = new Map<GaugeName, Map<string, { labels: MetricLabels; value: number }>>();
  private readonly collectors = new Set<() => void>();
  // Label sets the runtime reuses (one object per topic and event type) are keyed once, not per record.
  private readonly keys = new WeakMap<MetricLabels, string>();
  private readonly prefix: string;
  private readonly buckets: readonly number[];
  private readonly sendBuckets: readonly number[];

  /** @param options name prefix and buckets. */
  constructor(options: MetricsOptions = {}) {
    this.prefix = options.prefix ?? 'eventgen_';
    this.buckets = [...(options.buckets ?? DEFAULT_BUCKETS)].sort((a, b) => a - b);
    this.sendBuckets = [...(options.sendBuckets ?? DEFAULT_SEND_BUCKETS)].sort((a, b) => a - b);
  }

  /** Adds `by` (default 1) to a counter. */
  increment(counter: CounterName, labels: MetricLabels, by = 1): void {
    let series = this.counters.get(counter);
    if (series === undefined) this.counters.set(counter, (series = new Map()));
    const key = this.key(labels);
    const current = series.get(key);
    if (current === undefined) series.set(key, { labels: { ...labels }, value: by });
    else current.value += by;
  }

  /** Records one processing time, in seconds (the engine's labels: `group`, `topic`, `event_type`, `outcome`). */
  observeProcessingTime(seconds: number, labels: MetricLabels): void {
    observe(this.histogram, this.buckets, this.key(labels), labels, seconds);
  }

  /** Records the duration of one producer send call for a topic in it, in seconds. */
  observeSendTime(seconds: number, topic: string, outcome: SendOutcome): void {
    let pair = this.sendLabels.get(topic);
    if (pair === undefined) this.sendLabels.set(topic, (pair = { ok: Object.freeze({ topic, outcome: 'ok' }), error: Object.freeze({ topic, outcome: 'error' }) }));
    const labels = pair[outcome];
    observe(this.sendHistogram, this.sendBuckets, this.key(labels), labels, seconds);
  }

  /** Sets a gauge's value for a label set. */
  setGauge(gauge: GaugeName, labels: MetricLabels, value: number): void {
    let series = this.gauges.get(gauge);
    if (series === undefined) this.gauges.set(gauge, (series = new Map()));
    series.set(this.key(labels), { labels: { ...labels }, value });
  }

  /** Removes every series of a gauge whose labels include `filter` (e.g. partitions this member no longer owns). */
  clearGauge(gauge: GaugeName, filter: MetricLabels = {}): void {
    const series = this.gauges.get(gauge);
    if (series === undefined) return;
    for (const [key, s] of series) if (Object.entries(filter).every(([k, v]) => s.labels[k] === v)) series.delete(key);
  }

  /** Current value of a gauge for exactly these labels (undefined when never set). */
  gauge(gauge: GaugeName, labels: MetricLabels): number | undefined {
    return this.gauges.get(gauge)?.get(this.key(labels))?.value;
  }

  /** Registers a function that updates gauges right before every export; returns a function that removes it. */
  addCollector(collect: () => void): () => void {
    this.collectors.add(collect);
    return () => this.collectors.delete(collect);
  }

  /** Sum of a counter over all series whose labels include `filter` (all series when omitted). */
  get(counter: CounterName, filter: MetricLabels = {}): number {
    let total = 0;
    for (const { labels, value } of this.counters.get(counter)?.values() ?? []) {
      if (Object.entries(filter).every(([k, v]) => labels[k] === v)) total += value;
    }
    return total;
  }

  /** Number of processing-time observations matching `filter`. */
  processingCount(filter: MetricLabels = {}): number {
    return countOf(this.histogram, filter);
  }

  /** Number of producer send-time observations matching `filter` (`topic`, `outcome`). */
  sendCount(filter: MetricLabels = {}): number {
    return countOf(this.sendHistogram, filter);
  }

  /** Clears all series. */
  reset(): void {
    this.counters.clear();
    this.histogram.clear();
    this.sendHistogram.clear();
    this.gauges.clear();
  }

  private key(labels: MetricLabels): string {
    let key = this.keys.get(labels);
    if (key === undefined) {
      key = labelKey(labels);
      if (Object.isFrozen(labels)) this.keys.set(labels, key);
    }
    return key;
  }

  /**
   * Every metric as a family (name with prefix, help, type) and its samples, collectors run first: what
   * {@link toPrometheus} prints and what `registerPromClient` hands to a `prom-client` registry. Gauges never set are
   * left out unless `includeEmptyGauges`.
   */
  families(options: { includeEmptyGauges?: boolean } = {}): MetricFamily[] {
    for (const collect of this.collectors) collect();
    const out: MetricFamily[] = [];
    for (const [counter, meta] of Object.entries(COUNTERS) as Array<[CounterName, { name: string; help: string }]>) {
      const samples = [...(this.counters.get(counter)?.values() ?? [])].map(({ labels, value }) => ({ labels, value }));
      out.push({ name: this.prefix + meta.name, help: meta.help, type: 'counter', samples });
    }
    for (const [gauge, meta] of Object.entries(GAUGES) as Array<[GaugeName, { name: string; help: string }]>) {
      const series = this.gauges.get(gauge);
      if (series === undefined && options.includeEmptyGauges !== true) continue;
      out.push({ name: this.prefix + meta.name, help: meta.help, type: 'gauge', samples: [...(series?.values() ?? [])].map(({ labels, value }) => ({ labels, value })) });
    }
    const histograms: Array<[HistogramName, Map<string, HistogramSeries>, readonly number[]]> = [
      ['processing', this.histogram, this.buckets],
      ['producer_send', this.sendHistogram, this.sendBuckets],
    ];
    for (const [histogram, series, buckets] of histograms) {
      const samples: MetricSample[] = [];
      for (const s of series.values()) {
        buckets.forEach((bound, i) => samples.push({ suffix: '_bucket', labels: { ...s.labels, le: String(bound) }, value: s.counts[i] ?? 0 }));
        samples.push({ suffix: '_bucket', labels: { ...s.labels, le: '+Inf' }, value: s.count }, { suffix: '_sum', labels: s.labels, value: s.sum }, { suffix: '_count', labels: s.labels, value: s.count });
      }
      out.push({ name: this.prefix + HISTOGRAMS[histogram].name, help: HISTOGRAMS[histogram].help, type: 'histogram', samples });
    }
    return out;
  }

  /** Prometheus text exposition format (version 0.0.4), with HELP and TYPE lines for every metric. */
  toPrometheus(): string {
    const lines: string[] = [];
    for (const family of this.families()) {
      lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`);
      for (const sample of family.samples) lines.push(`${family.name}${sample.suffix ?? ''}${formatLabels(sample.labels)} ${sample.value}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

/** Adds one observation to the series `key` of a histogram. */
function observe(histogram: Map<string, HistogramSeries>, buckets: readonly number[], key: string, labels: MetricLabels, seconds: number): void {
  let series = histogram.get(key);
  if (series === undefined) {
    series = { labels: { ...labels }, counts: buckets.map(() => 0), sum: 0, count: 0 };
    histogram.set(key, series);
  }
  const { counts } = series;
  for (let i = buckets.length - 1; i >= 0 && seconds <= (buckets[i] as number); i--) counts[i] = (counts[i] as number) + 1;
  series.sum += seconds;
  series.count += 1;
}

/** Observations of a histogram whose labels include `filter`. */
function countOf(histogram: Map<string, HistogramSeries>, filter: MetricLabels): number {
  let total = 0;
  for (const s of histogram.values()) if (Object.entries(filter).every(([k, v]) => s.labels[k] === v)) total += s.count;
  return total;
}

/** One sample of a {@link MetricFamily}: `suffix` is `_bucket`, `_sum` or `_count` for histogram samples. */
export interface MetricSample {
  suffix?: '_bucket' | '_sum' | '_count';
  labels: MetricLabels;
  value: number;
}

/** A metric with its samples, as {@link Metrics.families} returns them. */
export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  samples: MetricSample[];
}

/** Series key: the labels sorted by name, each part JSON-quoted so distinct label sets never collide (hot path). */
function labelKey(labels: MetricLabels): string {
  const names = Object.keys(labels);
  if (names.length > 1) names.sort();
  let key = '';
  for (const name of names) key += `${JSON.stringify(name)}:${JSON.stringify(labels[name])},`;
  return key;
}

/** A Prometheus label set, `{a="x",b="y"}` (values escaped), or `''` for none. */
export function formatLabels(labels: MetricLabels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

/**
 * One frozen label set per topic and event type for a consumer group, so the hot path neither builds label objects
 * nor series keys per record; at most `maxEventTypes` distinct event types, the rest counted as `other` (records
 * with garbage event types cannot explode the number of series).
 */
export class LabelSets {
  private readonly byTopic = new Map<string, Map<string, MetricLabels>>();
  private readonly outcomes = new WeakMap<MetricLabels, Partial<Record<HandlerOutcome, MetricLabels>>>();
  private count = 0;

  constructor(
    private readonly group: string,
    private readonly maxEventTypes = 1000,
  ) {}

  /** The labels of `topic` and `eventType`. */
  for(topic: string, eventType: string): MetricLabels {
    let byType = this.byTopic.get(topic);
    if (byType === undefined) this.byTopic.set(topic, (byType = new Map()));
    let labels = byType.get(eventType);
    if (labels !== undefined) return labels;
    if (this.count >= this.maxEventTypes) {
      labels = byType.get('\u0000other') ?? Object.freeze({ group: this.group, topic, event_type: 'other' });
      byType.set('\u0000other', labels);
      return labels;
    }
    labels = Object.freeze({ group: this.group, topic, event_type: eventType });
    byType.set(eventType, labels);
    this.count += 1;
    return labels;
  }

  /** `labels` (from {@link LabelSets.for}) plus `outcome`, one frozen set per outcome (for the processing-time histogram). */
  withOutcome(labels: MetricLabels, outcome: HandlerOutcome): MetricLabels {
    let byOutcome = this.outcomes.get(labels);
    if (byOutcome === undefined) this.outcomes.set(labels, (byOutcome = {}));
    return (byOutcome[outcome] ??= Object.freeze({ ...labels, outcome }));
  }
}
