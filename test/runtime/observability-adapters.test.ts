/**
 * Issue #17 (metrics and logs that plug into a team's stack): the runtime's metrics registered in a real `prom-client`
 * registry (one exposition, parsed by a Prometheus text parser; registering twice fails clearly and registers
 * nothing), the `/metrics` handler on a real `node:http` server, and the pino logger adapter writing through real
 * pino with secrets redacted (the NestJS target's logger has its own tests).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import pino from 'pino';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Metrics, MetricsAlreadyRegisteredError, PROMETHEUS_CONTENT_TYPE, metricsHandler, pinoLogger, registerPromClient } from '../../templates/runtime/index.js';

type Family = { name: string; type: string; metrics: Array<{ value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }> };
const parse = (text: string): Family[] => (parsePrometheusTextFormat as unknown as (t: string) => Family[])(text);

function busyMetrics(): Metrics {
  const m = new Metrics();
  const labels = Object.freeze({ group: 'billing', topic: 'orders', event_type: 'order.created' });
  m.increment('received', labels, 3);
  m.increment('processed', labels, 2);
  m.increment('dead_lettered', labels);
  m.observeProcessingTime(0.02, labels);
  m.observeProcessingTime(3, labels);
  m.setGauge('lag', { group: 'billing', topic: 'orders', partition: '0' }, 42);
  return m;
}

describe('prom-client registry', () => {
  it('the runtime metrics appear in the service registry beside its own, and the exposition parses', async () => {
    const registry = new Registry();
    new Counter({ name: 'app_requests_total', help: 'the service\'s own metric', registers: [registry] }).inc(5);
    const metrics = busyMetrics();
    const unregister = registerPromClient(metrics, registry);
    const families = parse(await registry.metrics());
    const byName = new Map(families.map((f) => [f.name, f]));
    expect(byName.get('app_requests_total')?.metrics[0]?.value).toBe('5');
    const processed = byName.get('eventgen_events_processed_total');
    expect(processed?.type).toBe('COUNTER');
    expect(processed?.metrics).toEqual([{ labels: { group: 'billing', topic: 'orders', event_type: 'order.created' }, value: '2' }]);
    expect(byName.get('eventgen_consumer_lag')?.metrics[0]).toEqual({ labels: { group: 'billing', topic: 'orders', partition: '0' }, value: '42' });
    const histogram = byName.get('eventgen_processing_duration_seconds');
    expect(histogram?.type).toBe('HISTOGRAM');
    expect(histogram?.metrics[0]?.buckets?.['+Inf']).toBe('2');
    expect(histogram?.metrics[0]?.buckets?.['0.025']).toBe('1');
    expect(histogram?.metrics[0]?.buckets?.['5']).toBe('2');
    // Read at every scrape: later increments show up.
    metrics.increment('processed', Object.freeze({ group: 'billing', topic: 'orders', event_type: 'order.created' }));
    expect(parse(await registry.metrics()).find((f) => f.name === 'eventgen_events_processed_total')?.metrics[0]?.value).toBe('3');
    unregister();
    expect(parse(await registry.metrics()).map((f) => f.name)).toEqual(['app_requests_total']);
  });

  it('registering twice in one registry fails clearly and adds nothing; a second Metrics with its own prefix is fine', () => {
    const registry = new Registry();
    registerPromClient(busyMetrics(), registry);
    const before = registry.getMetricsAsArray().length;
    expect(() => registerPromClient(new Metrics(), registry)).toThrow(MetricsAlreadyRegisteredError);
    expect(() => registerPromClient(new Metrics(), registry)).toThrow(/already has a metric named 'eventgen_events_received_total'/);
    expect(registry.getMetricsAsArray().length).toBe(before);
    registerPromClient(new Metrics({ prefix: 'payments_' }), registry);
    expect(registry.getMetricsAsArray().length).toBe(before * 2);
  });

  it('an OpenMetrics registry names counter samples once with _total', async () => {
    const registry = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    registerPromClient(busyMetrics(), registry);
    const text = await registry.metrics();
    expect(text).toContain('eventgen_events_processed_total{group="billing",topic="orders",event_type="order.created"} 2');
    expect(text).not.toContain('_total_total');
    expect(text).toMatch(/\neventgen_processing_duration_seconds_bucket\{[^}]*le="\+Inf"[^}]*\} 2\n/);
  });

  it('our own exposition parses the same way, and metricsHandler serves it over real HTTP', async () => {
    const metrics = busyMetrics();
    expect(parse(metrics.toPrometheus()).find((f) => f.name === 'eventgen_events_received_total')?.metrics[0]?.value).toBe('3');
    const server = createServer(metricsHandler(metrics));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
      const names = parse(await res.text()).map((f) => f.name);
      expect(names).toContain('eventgen_events_dead_lettered_total');
      const registry = new Registry();
      registerPromClient(metrics, registry);
      server.removeAllListeners('request');
      server.on('request', metricsHandler(registry));
      const viaRegistry = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
      expect(viaRegistry.headers.get('content-type')).toBe(registry.contentType);
      expect(parse(await viaRegistry.text()).map((f) => f.name)).toContain('eventgen_consumer_lag');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('logger adapters', () => {
  it('pino: one JSON line per entry with the runtime fields, levels kept, secrets redacted (bound fields too)', () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({ write(chunk, _e, done) { lines.push(JSON.parse(String(chunk)) as Record<string, unknown>); done(); } });
    const logger = pinoLogger(pino({ level: 'debug' }, sink)).child({ group: 'billing', apiKey: 'k-123' });
    logger.warn('Handler failed; retrying', { topic: 'orders', partition: 0, offset: '7', eventId: 'e-1', correlationId: 'c-1', attempt: 2, password: 'hunter2' });
    logger.debug('debug line');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 40, msg: 'Handler failed; retrying', group: 'billing', topic: 'orders', partition: 0, offset: '7', eventId: 'e-1', correlationId: 'c-1', attempt: 2 });
    expect(lines[0]?.['password']).toBe('[REDACTED]');
    expect(lines[0]?.['apiKey']).toBe('[REDACTED]');
    expect(JSON.stringify(lines)).not.toMatch(/hunter2|k-123/);
    expect(lines[1]).toMatchObject({ level: 20, msg: 'debug line' });
  });
});
