/** Label values of a sample; consumers use `group`, `topic`, `event_type`. */
export type MetricLabels = Readonly<Record<string, string>>;

/** The counters the runtime maintains. */
export type CounterName = 'received' | 'processed' | 'failed' | 'retried' | 'dead_lettered' | 'duplicates_skipped' | 'ignored' | 'produced';

const COUNTERS: Record<CounterName, { name: string; help: string }> = {
  received: { name: 'events_received_total', help: 'Records received by the consumer.' },
  processed: { name: 'events_processed_total', help: 'Records whose handler succeeded.' },
  failed: { name: 'events_failed_total', help: 'Processing attempts that failed (any stage).' },
  retried: { name: 'events_retried_total', help: 'Retries scheduled after a retriable failure.' },
  dead_lettered: { name: 'events_dead_lettered_total', help: 'Records written to a dead-letter topic.' },
  duplicates_skipped: { name: 'events_duplicates_skipped_total', help: 'Records skipped because their eventId was already processed.' },
  ignored: { name: 'events_ignored_total', help: 'Records of event types this group does not receive, acknowledged without a handler.' },
  produced: { name: 'events_produced_total', help: 'Events sent by producers.' },
};

/** Default processing-time histogram buckets, in seconds. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

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
  /** Histogram bucket upper bounds in seconds, ascending. */
  buckets?: readonly number[];
}

/** In-process counters and a processing-time histogram, exportable as Prometheus text. */
export class Metrics {
  private readonly counters = new Map<CounterName, Map<string, { labels: MetricLabels; value: number }>>();
  private readonly histogram = new Map<string, HistogramSeries>();
  private readonly prefix: string;
  private readonly buckets: readonly number[];

  /** @param options name prefix and buckets. */
  constructor(options: MetricsOptions = {}) {
    this.prefix = options.prefix ?? 'eventgen_';
    this.buckets = [...(options.buckets ?? DEFAULT_BUCKETS)].sort((a, b) => a - b);
  }

  /** Adds `by` (default 1) to a counter. */
  increment(counter: CounterName, labels: MetricLabels, by = 1): void {
    let series = this.counters.get(counter);
    if (series === undefined) this.counters.set(counter, (series = new Map()));
    const key = labelKey(labels);
    const current = series.get(key);
    if (current === undefined) series.set(key, { labels: { ...labels }, value: by });
    else current.value += by;
  }

  /** Records one processing time, in seconds. */
  observeProcessingTime(seconds: number, labels: MetricLabels): void {
    const key = labelKey(labels);
    let series = this.histogram.get(key);
    if (series === undefined) {
      series = { labels: { ...labels }, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.histogram.set(key, series);
    }
    this.buckets.forEach((bound, i) => {
      if (seconds <= bound && series !== undefined) series.counts[i] = (series.counts[i] ?? 0) + 1;
    });
    series.sum += seconds;
    series.count += 1;
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
    let total = 0;
    for (const s of this.histogram.values()) if (Object.entries(filter).every(([k, v]) => s.labels[k] === v)) total += s.count;
    return total;
  }

  /** Clears all series. */
  reset(): void {
    this.counters.clear();
    this.histogram.clear();
  }

  /** Prometheus text exposition format (version 0.0.4), with HELP and TYPE lines for every metric. */
  toPrometheus(): string {
    const lines: string[] = [];
    for (const [counter, meta] of Object.entries(COUNTERS) as Array<[CounterName, { name: string; help: string }]>) {
      const name = this.prefix + meta.name;
      lines.push(`# HELP ${name} ${meta.help}`, `# TYPE ${name} counter`);
      for (const { labels, value } of this.counters.get(counter)?.values() ?? []) lines.push(`${name}${formatLabels(labels)} ${value}`);
    }
    const name = `${this.prefix}processing_duration_seconds`;
    lines.push(`# HELP ${name} Time to process a record, from receipt to commit decision.`, `# TYPE ${name} histogram`);
    for (const s of this.histogram.values()) {
      this.buckets.forEach((bound, i) => {
        lines.push(`${name}_bucket${formatLabels({ ...s.labels, le: String(bound) })} ${s.counts[i] ?? 0}`);
      });
      lines.push(`${name}_bucket${formatLabels({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`${name}_sum${formatLabels(s.labels)} ${s.sum}`, `${name}_count${formatLabels(s.labels)} ${s.count}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

/** Series key: the labels sorted by name, each part JSON-quoted so distinct label sets never collide (hot path). */
function labelKey(labels: MetricLabels): string {
  const names = Object.keys(labels);
  if (names.length > 1) names.sort();
  let key = '';
  for (const name of names) key += `${JSON.stringify(name)}:${JSON.stringify(labels[name])},`;
  return key;
}

function formatLabels(labels: MetricLabels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}
