/**
 * `docs/grafana-dashboard.json` and `docs/alerts.yaml` (#17): a Grafana dashboard with one row per consumer group and
 * topic it reads (lag, throughput, handler duration p99, errors and retries, dead-letter growth) and the Prometheus
 * alert rules a team should start with (lag growing, dead-letter topic growing, partition stuck, lag sampling
 * stale), plus `docs/observability.md` linking both. Both are built as objects and serialised (JSON.stringify, the
 * yaml library with double-quoted strings): catalog strings only ever appear as escaped values, and inside PromQL
 * only as escaped label matchers.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { retryTopicNames, retryTopicsFor } from '../../model/extensions.js';
import type { Catalog, Topic } from '../../model/types.js';
import { jsonBannerComment } from '../../write/banner.js';
import type { EmitOptions, GeneratedFile } from '../types.js';
import { escapeMarkdown, mdCell, mdCode } from './escape.js';

/** The runtime's default metric name prefix (`Metrics({ prefix })`). */
export const METRIC_PREFIX = 'eventgen_';

/** A PromQL double-quoted string literal. */
export function promString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

/** RE2 escape of a literal (for `=~` matchers). */
function re2(value: string): string {
  return value.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/** RE2 pattern of a topic name: literal, with each `{param}` matching one segment. */
function topicPattern(name: string): string {
  return name
    .split(/(\{[^}]+\})/)
    .map((part) => (/^\{[^}]+\}$/.test(part) ? '[^.]+' : re2(part)))
    .join('');
}

/** `topic="name"`, or `topic=~"..."` matching every value of a parameterised topic name (`{param}` → one segment). */
function topicMatcher(topic: Topic): string {
  if (!/\{[^}]+\}/.test(topic.name)) return `topic=${promString(topic.name)}`;
  return `topic=~${promString(topicPattern(topic.name))}`;
}

/** `topic=~"a|b|..."` matching any of the names (parameterised segments as in {@link topicMatcher}). */
function topicsMatcher(names: readonly string[]): string {
  return `topic=~${promString(names.map(topicPattern).join('|'))}`;
}

function groupsMatcher(groups: readonly string[]): string {
  return `group=~${promString(groups.map(re2).join('|'))}`;
}

const m = (name: string): string => METRIC_PREFIX + name;

interface Row {
  group: string;
  topic: Topic;
  /** The group's retry topics for this topic, in order (`x-retry: { mode: topics }`); empty: in-process retries. */
  retryTopics: string[];
}

function rows(catalog: Catalog): Row[] {
  const byId = new Map(catalog.topics.map((t) => [t.id, t]));
  const out: Row[] = [];
  for (const g of catalog.groups) {
    for (const s of g.subscriptions) {
      const topic = byId.get(s.topic);
      if (topic === undefined) continue;
      const spec = retryTopicsFor(topic, g);
      out.push({ group: g.groupId, topic, retryTopics: spec === undefined ? [] : retryTopicNames(spec, topic.name, g.groupId) });
    }
  }
  return out;
}

interface Target {
  expr: string;
  legendFormat: string;
  refId: string;
}

function panel(id: number, title: string, unit: string, x: number, y: number, targets: Target[], description: string, w = x === 20 ? 4 : 5): Record<string, unknown> {
  return {
    id,
    type: 'timeseries',
    title,
    description,
    datasource: { type: 'prometheus', uid: '${datasource}' },
    gridPos: { h: 8, w, x, y },
    fieldConfig: { defaults: { unit, min: 0 }, overrides: [] },
    options: { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
    targets: targets.map((t) => ({ ...t, datasource: { type: 'prometheus', uid: '${datasource}' } })),
  };
}

/** The Grafana dashboard model (schemaVersion 39) for the catalog. */
export function grafanaDashboard(catalog: Catalog, options: Pick<EmitOptions, 'version'>): Record<string, unknown> {
  const panels: Array<Record<string, unknown>> = [];
  let id = 1;
  let y = 0;
  for (const { group, topic, retryTopics } of rows(catalog)) {
    const sel = `group=${promString(group)},${topicMatcher(topic)}`;
    // With retry topics, a record is dead-lettered from the last retry topic: dead-letter series read them all.
    const dlqSel = retryTopics.length === 0 ? sel : `group=${promString(group)},${topicsMatcher([topic.name, ...retryTopics])}`;
    panels.push({ id: id++, type: 'row', title: `${group} ← ${topic.name}`, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    const dlq = topic.deadLetter.enabled ? [{ expr: `max by (topic) (${m('dead_letter_topic_records')}{group=${promString(group)},topic=${promString(topic.deadLetter.topic)}})`, legendFormat: 'records in {{topic}}', refId: 'B' }] : [];
    panels.push(
      panel(id++, 'Consumer lag', 'short', 0, y, [{ expr: `max by (partition) (${m('consumer_lag')}{${sel}})`, legendFormat: 'partition {{partition}}', refId: 'A' }], 'Records not committed yet per partition (end offset − committed offset, sampled every 15 s).'),
      panel(id++, 'Throughput', 'ops', 5, y, [
        { expr: `sum(rate(${m('events_processed_total')}{${sel}}[5m]))`, legendFormat: 'processed/s', refId: 'A' },
        { expr: `sum(rate(${m('events_received_total')}{${sel}}[5m]))`, legendFormat: 'received/s', refId: 'B' },
      ], 'Records handled successfully and received per second.'),
      panel(id++, 'Handler duration p99', 's', 10, y, [{ expr: `histogram_quantile(0.99, sum by (le, event_type) (rate(${m('processing_duration_seconds_bucket')}{${sel}}[5m])))`, legendFormat: '{{event_type}}', refId: 'A' }], '99th percentile of the time from receipt to commit decision, by event type.'),
      panel(id++, 'Errors and retries', 'ops', 15, y, [
        { expr: `sum(rate(${m('events_failed_total')}{${sel}}[5m]))`, legendFormat: 'failed attempts/s', refId: 'A' },
        { expr: `sum(rate(${m('events_retried_total')}{${sel}}[5m]))`, legendFormat: retryTopics.length === 0 ? 'retries/s' : 'moved to retry topics/s', refId: 'B' },
        { expr: `max(${m('consumer_partition_stuck_seconds')}{${sel}})`, legendFormat: 'longest stuck partition (s)', refId: 'C' },
      ], 'Failed handler attempts, scheduled retries, and the longest time a partition has made no progress.'),
      panel(id++, 'Dead-letter growth', 'short', 20, y, [{ expr: `sum(increase(${m('events_dead_lettered_total')}{${dlqSel}}[15m]))`, legendFormat: 'dead-lettered (15 min)', refId: 'A' }, ...dlq], topic.deadLetter.enabled ? `Records dead-lettered in the last 15 minutes${retryTopics.length === 0 ? '' : ' (from the topic and its retry topics)'}, and the size of ${topic.deadLetter.topic}.` : 'Dead-lettering is disabled for this topic: terminal failures halt the partition.'),
    );
    y += 8;
    if (retryTopics.length > 0) {
      // Non-blocking retries: what waits in each retry topic, what moves on from each stage, what a retry saves.
      const rt = `group=${promString(group)},${topicsMatcher(retryTopics)}`;
      const all = `group=${promString(group)},${topicsMatcher([topic.name, ...retryTopics])}`;
      panels.push(
        panel(id++, 'Retry topics: records waiting', 'short', 0, y, [{ expr: `sum by (topic) (max by (topic, partition) (${m('consumer_lag')}{${rt}}))`, legendFormat: '{{topic}}', refId: 'A' }], `Records in each retry topic of ${group} not handled yet (consumer lag summed over partitions): ${retryTopics.join(', ')}.`, 8),
        panel(id++, 'Retry topics: records moved on', 'ops', 8, y, [
          { expr: `sum by (topic) (rate(${m('events_retried_total')}{${all}}[5m]))`, legendFormat: 'from {{topic}} to the next retry topic/s', refId: 'A' },
          { expr: `sum by (topic) (rate(${m('events_dead_lettered_total')}{${rt}}[5m]))`, legendFormat: 'from {{topic}} to the dead-letter topic/s', refId: 'B' },
        ], 'Records moved per second from the topic (or a retry topic) to the next retry topic, and from a retry topic to the dead-letter topic.', 8),
        panel(id++, 'Retry topics: handled', 'ops', 16, y, [
          { expr: `sum by (topic) (rate(${m('events_received_total')}{${rt}}[5m]))`, legendFormat: 'received from {{topic}}/s', refId: 'A' },
          { expr: `sum by (topic) (rate(${m('events_processed_total')}{${rt}}[5m]))`, legendFormat: 'succeeded from {{topic}}/s', refId: 'B' },
        ], 'Retry records received and retries that succeeded, per retry topic.', 8),
      );
      y += 8;
    }
  }
  return {
    $comment: jsonBannerComment(options.version, catalog.sourcePath),
    uid: `eventgen-${createHash('sha256').update(catalog.title).digest('hex').slice(0, 12)}`,
    title: `${catalog.title}: consumers`,
    tags: ['eventgen', 'kafka'],
    schemaVersion: 39,
    version: 1,
    editable: true,
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    templating: { list: [{ name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', current: {}, hide: 0 }] },
    annotations: { list: [] },
    panels,
  };
}

/** The Prometheus alerting rules for the catalog's consumer groups (a rule file: `groups: [{ name, rules }]`). */
export function alertRules(catalog: Catalog): Record<string, unknown> {
  const groups = [...new Set(catalog.groups.map((g) => g.groupId))];
  const sel = groupsMatcher(groups);
  const rules = [
    {
      alert: 'EventgenConsumerLagGrowing',
      expr: `max by (group, topic, partition) (deriv(${m('consumer_lag')}{${sel}}[10m])) > 0 and max by (group, topic, partition) (${m('consumer_lag')}{${sel}}) > 0`,
      for: '15m',
      labels: { severity: 'warning' },
      annotations: { summary: 'Consumer lag of {{ $labels.group }} on {{ $labels.topic }}[{{ $labels.partition }}] keeps growing', description: 'The group commits more slowly than records arrive (or not at all: paused, halted or stuck) for 15 minutes; lag is {{ $value }}.' },
    },
    {
      alert: 'EventgenDeadLetterTopicGrowing',
      expr: `max by (group, topic) (delta(${m('dead_letter_topic_records')}{${sel}}[15m])) > 0`,
      for: '0m',
      labels: { severity: 'warning' },
      annotations: { summary: 'Dead-letter topic {{ $labels.topic }} of {{ $labels.group }} is growing', description: 'Records were dead-lettered in the last 15 minutes: inspect them with `gen dlq list` and replay once fixed.' },
    },
    {
      alert: 'EventgenPartitionStuck',
      expr: `max by (group, topic, partition) (${m('consumer_partition_stuck_seconds')}{${sel}}) > 300`,
      for: '1m',
      labels: { severity: 'critical' },
      annotations: { summary: '{{ $labels.group }} makes no progress on {{ $labels.topic }}[{{ $labels.partition }}]', description: 'Records are pending and the committed offset has not advanced for more than 5 minutes (hanging handler, retries that keep failing, a halted partition): see the consumer health.' },
    },
    {
      alert: 'EventgenLagSamplingStale',
      expr: `time() - max by (group) (${m('consumer_lag_sampled_timestamp_seconds')}{${sel}}) > 120`,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: { summary: 'Consumer lag of {{ $labels.group }} is not sampled any more', description: 'The lag sampler could not read offsets from the cluster for over 2 minutes: the lag metrics are stale.' },
    },
  ];
  return { groups: [{ name: `eventgen: ${catalog.title}`, rules }] };
}

/** The metric names (with prefix, without histogram suffixes) an expression reads. */
export function metricNamesIn(expr: string): string[] {
  return [...new Set([...expr.matchAll(new RegExp(`\\b${METRIC_PREFIX}[a-z0-9_]+`, 'g'))].map((x) => x[0].replace(/_(bucket|sum|count)$/, '')))];
}

function page(catalog: Catalog): string {
  const lines = [
    '# Observability',
    '',
    `Generated from ${escapeMarkdown(catalog.title)}: dashboards and alerts over the runtime's Prometheus metrics (default prefix ${mdCode(METRIC_PREFIX)}; see the runtime documentation, *Operations*).`,
    '',
    '- [grafana-dashboard.json](grafana-dashboard.json): import into Grafana (Dashboards → Import) and pick the Prometheus data source. One row per consumer group and topic: consumer lag per partition, throughput, handler duration p99 by event type, errors and retries (and the longest stuck partition), dead-letter growth; with retry topics (`x-retry: { mode: topics }`) a second line per row: records waiting in each retry topic, records moved on to the next retry topic or the dead-letter topic, retries received and succeeded.',
    '- [alerts.yaml](alerts.yaml): a Prometheus rule file (`rule_files:`) with the alerts to start with: lag growing for 15 minutes, dead-letter topic growing, a partition stuck for 5 minutes, lag sampling stale.',
    '',
    'Every member of a group reports the lag of all its partitions: the queries aggregate with `max`. A service with its own `prefix` replaces the prefix in both files.',
    '',
    '| group | topic | dead-letter topic |',
    '| --- | --- | --- |',
    ...rows(catalog).map(({ group, topic }) => `| ${mdCell(group)} | ${mdCell(topic.name)} | ${topic.deadLetter.enabled ? mdCell(topic.deadLetter.topic) : 'none (halts)'} |`),
  ];
  return `${lines.join('\n')}\n`;
}

/** The files, paths relative to `docs/`. */
export function emitObservability(catalog: Catalog, options: EmitOptions): GeneratedFile[] {
  if (catalog.groups.length === 0) return [];
  const yaml = stringify(alertRules(catalog), { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0 });
  return [
    { path: 'grafana-dashboard.json', content: `${JSON.stringify(grafanaDashboard(catalog, options), null, 2)}\n`, ownership: 'managed' },
    { path: 'alerts.yaml', content: yaml, ownership: 'managed' },
    { path: 'observability.md', content: page(catalog), ownership: 'managed' },
  ];
}
