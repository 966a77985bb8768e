import type { MetricFamily, Metrics } from './metrics.js';

/**
 * The parts of a `prom-client` (v14–v15) `Registry` the bridge uses. The runtime never imports `prom-client`: pass
 * your registry (`register` or a `new Registry()`).
 */
export interface PromRegistryLike {
  registerMetric(metric: never): void;
  getSingleMetric(name: string): unknown;
  removeSingleMetric(name: string): void;
}

/** A metric object as `prom-client` registries read them (`get()` at every scrape). */
interface PromMetricLike {
  name: string;
  help: string;
  type: MetricFamily['type'];
  aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; aggregator: 'sum'; values: Array<{ value: number; labels: Record<string, string>; metricName?: string }> }>;
  reset(): void;
}

/** Thrown when a metric of the runtime is already in the registry (registered twice, or a name clash). */
export class MetricsAlreadyRegisteredError extends Error {
  constructor(readonly metricName: string) {
    super(`The registry already has a metric named '${metricName}': eventgen metrics were registered twice in it, or another metric uses the name (give Metrics a different prefix)`);
    this.name = 'MetricsAlreadyRegisteredError';
  }
}

/**
 * Registers the runtime's metrics in a `prom-client` registry, so a service that already serves `prom-client`'s
 * `/metrics` gets ours in the same exposition (no second endpoint). Values are read from `metrics` at every scrape
 * (collectors, e.g. consumer lag, run then). Every metric name is checked first: when one is already in the registry
 * nothing is registered and {@link MetricsAlreadyRegisteredError} is thrown. Returns a function that removes them.
 * Every counter, gauge and the histogram is registered (a gauge nobody set yet has no samples).
 */
export function registerPromClient(metrics: Metrics, registry: PromRegistryLike): () => void {
  const families = metrics.families({ includeEmptyGauges: true });
  for (const family of families) if (registry.getSingleMetric(family.name) !== undefined) throw new MetricsAlreadyRegisteredError(family.name);
  const names = families.map((f) => f.name);
  // One snapshot per scrape: the registry starts every metric's get() in one synchronous run.
  let snapshot: Map<string, MetricFamily> | undefined;
  const current = (): Map<string, MetricFamily> => {
    if (snapshot === undefined) {
      snapshot = new Map(metrics.families({ includeEmptyGauges: true }).map((f) => [f.name, f]));
      queueMicrotask(() => {
        snapshot = undefined;
      });
    }
    return snapshot;
  };
  for (const family of families) {
    const metric: PromMetricLike = {
      name: family.name,
      help: family.help,
      type: family.type,
      aggregator: 'sum',
      async get() {
        const now = current().get(family.name) ?? family;
        return {
          // prom-client renames counters in OpenMetrics mode (drops `_total`, appended again per sample).
          name: metric.name,
          help: family.help,
          type: family.type,
          aggregator: 'sum',
          // Counter samples keep the family name (prom-client appends `_total` itself in OpenMetrics mode).
          values: now.samples.map((s) => (s.suffix === undefined ? { value: s.value, labels: { ...s.labels } } : { value: s.value, labels: { ...s.labels }, metricName: family.name + s.suffix })),
        };
      },
      reset() {
        // The runtime's counters are cumulative for the process; a registry reset does not clear them.
      },
    };
    registry.registerMetric(metric as never);
  }
  return () => {
    for (const name of names) registry.removeSingleMetric(name);
  };
}

/** Content type of {@link Metrics.toPrometheus}'s text. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A `(req, res)` handler serving the metrics text (plain `node:http`, Express, or `reply.raw` in fastify). */
export function metricsHandler(source: Metrics | { metrics(): Promise<string>; contentType: string }): (req: unknown, res: { statusCode: number; setHeader(name: string, value: string): unknown; end(body: string): unknown }) => void {
  return (_req, res) => {
    const text = 'toPrometheus' in source ? Promise.resolve(source.toPrometheus()) : source.metrics();
    const type = 'toPrometheus' in source ? PROMETHEUS_CONTENT_TYPE : source.contentType;
    text.then(
      (body) => {
        res.statusCode = 200;
        res.setHeader('content-type', type);
        res.end(body);
      },
      () => {
        res.statusCode = 500;
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.end('metrics unavailable\n');
      },
    );
  };
}
