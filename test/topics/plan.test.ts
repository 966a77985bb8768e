/** The pure plan/diff engine: desired topics vs a described cluster → drift and changes. */
import { describe, expect, it } from 'vitest';
import {
  formatTopicPlan,
  hasTopicDrift,
  planTopics,
  sameTopicConfigValue,
  topicsForEnvironment,
  type LiveConfigEntry,
  type LiveTopic,
  type TopicSpec,
} from '../../templates/runtime/topics-plan.js';

const orders: TopicSpec = { name: 'orders', partitions: 6, replicationFactor: 3, config: { 'cleanup.policy': 'delete', 'retention.ms': '604800000' } };

function live(name: string, partitions: number, rf: number, config: Record<string, [string | null, boolean]> = {}): [string, LiveTopic] {
  const entries: Record<string, LiveConfigEntry> = {};
  for (const [k, [value, override]] of Object.entries(config)) entries[k] = { value, override };
  return [name, { name, partitions, replicationFactor: rf, config: entries }];
}

const matching = live('orders', 6, 3, { 'cleanup.policy': ['delete', false], 'retention.ms': ['604800000', true], 'segment.ms': ['604800000', false] });

describe('planTopics', () => {
  it('creates a missing topic with partitions, replication factor and every config', () => {
    const plan = planTopics([orders], new Map());
    expect(plan.create).toEqual([{ topic: 'orders', partitions: 6, replicationFactor: 3, config: orders.config }]);
    expect(plan.drift).toMatchObject([{ topic: 'orders', kind: 'missing', action: 'create', severity: 'drift' }]);
    expect(hasTopicDrift(plan)).toBe(true);
  });

  it('leaves unset partitions/replication factor to the broker and never compares them', () => {
    const plan = planTopics([{ name: 't', config: {} }], new Map([live('t', 7, 2)]));
    expect(plan.drift).toEqual([]);
    expect(planTopics([{ name: 't', config: {} }], new Map()).create).toEqual([{ topic: 't', config: {} }]);
  });

  it('finds nothing when the cluster matches (a default value equal to the declared one counts)', () => {
    const plan = planTopics([orders], new Map([matching]));
    expect(plan.drift).toEqual([]);
    expect(hasTopicDrift(plan)).toBe(false);
    expect(formatTopicPlan(plan)).toBe('');
  });

  it('adds partitions when the catalog declares more', () => {
    const plan = planTopics([orders], new Map([live('orders', 3, 3, { 'cleanup.policy': ['delete', false], 'retention.ms': ['604800000', true] })]));
    expect(plan.addPartitions).toEqual([{ topic: 'orders', count: 6 }]);
    expect(plan.drift).toMatchObject([{ kind: 'partitions', catalog: '6', cluster: '3', action: 'add-partitions', severity: 'drift' }]);
    expect(plan.errors).toBe(0);
  });

  it('refuses fewer partitions than the topic has, with the fix', () => {
    const plan = planTopics([{ ...orders, partitions: 2 }], new Map([matching]));
    expect(plan.errors).toBe(1);
    expect(plan.addPartitions).toEqual([]);
    const [d] = plan.drift;
    expect(d).toMatchObject({ kind: 'partitions', severity: 'error', action: 'none', catalog: '2', cluster: '6' });
    expect(d?.message).toMatch(/Kafka cannot remove partitions/);
    expect(d?.message).toMatch(/declare partitions: 6/);
    expect(formatTopicPlan(plan)).toMatch(/^error: orders has 6 partitions but the catalog declares 2/m);
  });

  it('reports a different replication factor without changing it', () => {
    const plan = planTopics([{ ...orders, replicationFactor: 1 }], new Map([matching]));
    expect(plan.drift).toMatchObject([{ kind: 'replication-factor', action: 'none', severity: 'drift', catalog: '1', cluster: '3' }]);
    expect(plan.create.length + plan.addPartitions.length + plan.alterConfigs.length).toBe(0);
    expect(hasTopicDrift(plan)).toBe(true);
    expect(formatTopicPlan(plan)).toContain('report only');
  });

  it('alters declared configs that differ and keeps every other override', () => {
    const plan = planTopics(
      [orders],
      new Map([live('orders', 6, 3, { 'cleanup.policy': ['delete', false], 'retention.ms': ['1000', true], 'segment.bytes': ['1048576', true] })]),
    );
    expect(plan.alterConfigs).toEqual([
      { topic: 'orders', set: ['retention.ms'], removed: [], overrides: { 'retention.ms': '604800000', 'segment.bytes': '1048576' } },
    ]);
    expect(plan.drift.map((d) => [d.kind, d.subject, d.severity, d.action])).toEqual([
      ['config', 'retention.ms', 'drift', 'set-config'],
      ['undeclared-config', 'segment.bytes', 'warning', 'none'],
    ]);
  });

  it('warns about undeclared overrides (check passes) and removes them only when asked', () => {
    const cluster = new Map([live('orders', 6, 3, { 'cleanup.policy': ['delete', false], 'retention.ms': ['604800000', true], 'segment.bytes': ['1048576', true] })]);
    const kept = planTopics([orders], cluster);
    expect(kept.alterConfigs).toEqual([]);
    expect(hasTopicDrift(kept)).toBe(false);
    expect(formatTopicPlan(kept)).toMatch(/warning: orders: segment.bytes=1048576 is set on the cluster but not in the catalog; kept/);
    const removed = planTopics([orders], cluster, { removeUndeclaredConfigs: true });
    expect(removed.alterConfigs).toEqual([{ topic: 'orders', set: [], removed: ['segment.bytes'], overrides: { 'retention.ms': '604800000' } }]);
    expect(removed.drift[0]).toMatchObject({ action: 'remove-config', severity: 'warning' });
  });

  it('refuses to rewrite configs when a hidden (sensitive) override would be lost', () => {
    const plan = planTopics([orders], new Map([live('orders', 6, 3, { 'retention.ms': ['1', true], secret: [null, true] })]));
    expect(plan.alterConfigs).toEqual([]);
    expect(plan.errors).toBe(1);
  });

  it('compares cleanup.policy as a set', () => {
    expect(sameTopicConfigValue('cleanup.policy', 'compact,delete', 'delete, compact')).toBe(true);
    expect(sameTopicConfigValue('cleanup.policy', 'compact', 'delete')).toBe(false);
    expect(sameTopicConfigValue('retention.ms', ' 5 ', '5')).toBe(true);
  });

  it('renders one table row per difference', () => {
    const plan = planTopics([orders, { name: 'new', partitions: 1, config: {} }], new Map([live('orders', 3, 3, {})]));
    const text = formatTopicPlan(plan);
    expect(text.split('\n')[0]).toMatch(/^TOPIC\s+WHAT\s+CATALOG\s+CLUSTER\s+APPLY$/);
    expect(text).toMatch(/^orders\s+partitions\s+6\s+3\s+add partitions$/m);
    expect(text).toMatch(/^orders\s+config cleanup.policy\s+delete\s+-\s+alter config$/m);
    expect(text).toMatch(/^new\s+topic\s+1 partitions, rf default\s+-\s+create$/m);
  });
});

describe('topicsForEnvironment', () => {
  const topology = { catalog: 'c.yaml', topics: [orders], environments: { prod: [{ ...orders, partitions: 12 }] } };
  it('selects the defaults or an environment, and refuses unknown names', () => {
    expect(topicsForEnvironment(topology)).toEqual([orders]);
    expect(topicsForEnvironment(topology, 'prod')[0]?.partitions).toBe(12);
    expect(() => topicsForEnvironment(topology, 'staging')).toThrow(/unknown environment "staging" \(the catalog declares prod\)/);
    expect(() => topicsForEnvironment(topology, 'toString')).toThrow(/unknown environment/);
  });
});
