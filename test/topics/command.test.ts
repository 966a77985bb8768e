/** The topics command (shared by `gen topics` and scripts/topics.ts) against an in-memory admin client. */
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main, type Io } from '../../generator/cli.js';
import type { KafkaConfig } from '../../templates/runtime/config.js';
import {
  applyTopicPlan,
  parseTopicsArgs,
  planTopics,
  runTopicsCli,
  runTopicsCommand,
  topicsConnectionFromEnv,
  type LiveTopic,
  type TopicsAdmin,
  type TopicsAdminSession,
  type TopicsIo,
  type TopicsReport,
  type TopicTopology,
} from '../../templates/runtime/topics-admin.js';
import { FIXTURES, ROOT } from '../support/tree.js';

interface FakeTopic {
  partitions: number;
  rf: number;
  overrides: Record<string, string>;
}

/** Just enough of a cluster: topics with partitions, replication factor and per-topic overrides. */
class FakeCluster {
  readonly topics = new Map<string, FakeTopic>();
  readonly calls: string[] = [];
  readonly defaults: Record<string, string> = { 'cleanup.policy': 'delete', 'retention.ms': '604800000', 'segment.bytes': '1073741824' };

  admin(): TopicsAdmin {
    const admin = {
      listTopics: async () => [...this.topics.keys()],
      fetchTopicMetadata: async ({ topics }: { topics: string[] }) => ({
        topics: topics.map((name) => {
          const t = this.topics.get(name)!;
          return { name, partitions: Array.from({ length: t.partitions }, (_, i) => ({ partitionId: i, leader: 0, replicas: Array.from({ length: t.rf }, (_, r) => r), isr: [], offlineReplicas: [], partitionErrorCode: 0 })) };
        }),
      }),
      describeConfigs: async ({ resources }: { resources: Array<{ name: string }> }) => ({
        throttleTime: 0,
        resources: resources.map(({ name }) => {
          const t = this.topics.get(name)!;
          const keys = new Set([...Object.keys(this.defaults), ...Object.keys(t.overrides)]);
          return {
            resourceName: name,
            resourceType: 2,
            errorCode: 0,
            errorMessage: '',
            configEntries: [...keys].map((k) => ({
              configName: k,
              configValue: t.overrides[k] ?? this.defaults[k] ?? '',
              isDefault: !(k in t.overrides),
              configSource: k in t.overrides ? 1 : 5,
              isSensitive: false,
              readOnly: false,
              configSynonyms: [],
            })),
          };
        }),
      }),
      createTopics: async ({ topics }: { topics: Array<{ topic: string; numPartitions?: number; replicationFactor?: number; configEntries?: Array<{ name: string; value: string }> }> }) => {
        for (const t of topics) {
          this.calls.push(`create ${t.topic}`);
          this.topics.set(t.topic, { partitions: t.numPartitions ?? 1, rf: t.replicationFactor ?? 1, overrides: Object.fromEntries((t.configEntries ?? []).map((e) => [e.name, e.value])) });
        }
        return true;
      },
      createPartitions: async ({ topicPartitions }: { topicPartitions: Array<{ topic: string; count: number }> }) => {
        for (const p of topicPartitions) {
          this.calls.push(`partitions ${p.topic} ${p.count}`);
          this.topics.get(p.topic)!.partitions = p.count;
        }
        return true;
      },
      alterConfigs: async ({ resources }: { resources: Array<{ name: string; configEntries: Array<{ name: string; value: string }> }> }) => {
        for (const r of resources) {
          this.calls.push(`alter ${r.name} ${r.configEntries.map((e) => `${e.name}=${e.value}`).join(',')}`);
          this.topics.get(r.name)!.overrides = Object.fromEntries(r.configEntries.map((e) => [e.name, e.value]));
        }
        return true;
      },
    };
    return admin as unknown as TopicsAdmin;
  }

  connect = async (_config: KafkaConfig): Promise<TopicsAdminSession> => ({ admin: this.admin(), close: async () => undefined });
}

const topology: TopicTopology = {
  catalog: 'c.yaml',
  topics: [
    { name: 'orders', partitions: 3, replicationFactor: 1, config: { 'retention.ms': '86400000' } },
    { name: 'orders.dlq', partitions: 1, replicationFactor: 1, config: {}, deadLetterFor: ['orders'] },
  ],
  environments: { prod: [{ name: 'orders', partitions: 6, replicationFactor: 1, config: { 'retention.ms': '86400000' } }] },
};

function io(env: Record<string, string> = { KAFKA_BROKERS: 'b1:9092' }): TopicsIo & { text: () => string; stdout: string[] } {
  const stdout: string[] = [];
  const lines: string[] = [];
  return {
    stdout,
    text: () => lines.join('\n'),
    out: (s) => {
      stdout.push(s);
      lines.push(s);
    },
    err: (s) => lines.push(s),
    env,
  };
}

describe('runTopicsCommand', () => {
  it('plan changes nothing; apply creates; a second apply and check find nothing', async () => {
    const cluster = new FakeCluster();
    const plan = io();
    expect(await runTopicsCommand(topology, { action: 'plan' }, plan, cluster.connect)).toBe(0);
    expect(cluster.calls).toEqual([]);
    expect(plan.text()).toMatch(/^orders\s+topic\s+3 partitions, rf 1\s+-\s+create$/m);
    expect(plan.text()).toMatch(/2 differences, 2 changes for apply \(brokers b1:9092\)/);

    const check = io();
    expect(await runTopicsCommand(topology, { action: 'check' }, check, cluster.connect)).toBe(1);

    expect(await runTopicsCommand(topology, { action: 'apply' }, io(), cluster.connect)).toBe(0);
    expect(cluster.calls).toEqual(['create orders', 'create orders.dlq']);
    expect(cluster.topics.get('orders')).toEqual({ partitions: 3, rf: 1, overrides: { 'retention.ms': '86400000' } });

    const again = io();
    expect(await runTopicsCommand(topology, { action: 'apply' }, again, cluster.connect)).toBe(0);
    expect(cluster.calls).toHaveLength(2);
    expect(again.text()).toContain('nothing to change, 2 topics match');
    expect(await runTopicsCommand(topology, { action: 'check' }, io(), cluster.connect)).toBe(0);
  });

  it('repairs drift while keeping undeclared overrides, and reports them as warnings (check still passes)', async () => {
    const cluster = new FakeCluster();
    cluster.topics.set('orders', { partitions: 2, rf: 1, overrides: { 'retention.ms': '1', 'segment.bytes': '1048576' } });
    cluster.topics.set('orders.dlq', { partitions: 1, rf: 1, overrides: {} });
    const out = io();
    expect(await runTopicsCommand(topology, { action: 'apply' }, out, cluster.connect)).toBe(0);
    expect(cluster.calls).toEqual(['partitions orders 3', 'alter orders retention.ms=86400000,segment.bytes=1048576']);
    expect(out.text()).toContain('warning: orders: segment.bytes=1048576 is set on the cluster but not in the catalog; kept');
    expect(await runTopicsCommand(topology, { action: 'check' }, io(), cluster.connect)).toBe(0);
    await runTopicsCommand(topology, { action: 'apply', removeUndeclaredConfigs: true }, io(), cluster.connect);
    expect(cluster.topics.get('orders')?.overrides).toEqual({ 'retention.ms': '86400000' });
  });

  it('apply makes every fixable change when one cannot be fixed (fewer partitions), then exits 1 naming it', async () => {
    const cluster = new FakeCluster();
    cluster.topics.set('orders', { partitions: 5, rf: 1, overrides: { 'retention.ms': '1' } });
    const out = io();
    expect(await runTopicsCommand(topology, { action: 'apply' }, out, cluster.connect)).toBe(1);
    // The missing dead-letter topic is created and the retention repaired; the partitions are left alone.
    expect(cluster.calls).toEqual(['create orders.dlq', 'alter orders retention.ms=86400000']);
    expect(cluster.topics.get('orders')).toEqual({ partitions: 5, rf: 1, overrides: { 'retention.ms': '86400000' } });
    expect(out.text()).toContain('error: orders has 5 partitions but the catalog declares 3: Kafka cannot remove partitions');
    expect(out.text()).toContain('  created orders.dlq\n  orders: set retention.ms=86400000\n');
    expect(out.text()).toContain('topics: c.yaml: applied 2 changes; 1 error: cannot fix orders partitions (catalog 3, cluster 5) (see above) (brokers b1:9092)');
    expect(out.text()).not.toContain('nothing was changed');

    // Nothing left to fix: apply changes nothing more and still exits 1 on the partitions; check too.
    const again = io();
    expect(await runTopicsCommand(topology, { action: 'apply' }, again, cluster.connect)).toBe(1);
    expect(cluster.calls).toHaveLength(2);
    expect(again.text()).toContain('applied 0 changes; 1 error: cannot fix orders partitions (catalog 3, cluster 5)');
    expect(await runTopicsCommand(topology, { action: 'check' }, io(), cluster.connect)).toBe(1);
  });

  it('apply --all-or-nothing refuses the whole plan when one difference cannot be fixed', async () => {
    const cluster = new FakeCluster();
    cluster.topics.set('orders', { partitions: 5, rf: 1, overrides: { 'retention.ms': '1' } });
    const out = io();
    expect(await runTopicsCommand(topology, { action: 'apply', allOrNothing: true }, out, cluster.connect)).toBe(1);
    expect(cluster.calls).toEqual([]);
    expect(out.text()).toContain('error: orders has 5 partitions but the catalog declares 3: Kafka cannot remove partitions');
    expect(out.text()).toContain('1 error; nothing was changed (--all-or-nothing): cannot fix orders partitions (catalog 3, cluster 5)');

    // Without an error the flag changes nothing: the plan is applied whole.
    const fine = new FakeCluster();
    expect(await runTopicsCommand(topology, { action: 'apply', allOrNothing: true }, io(), fine.connect)).toBe(0);
    expect(fine.calls).toEqual(['create orders', 'create orders.dlq']);
  });

  it('plan and check name what apply cannot fix and what it would still change', async () => {
    const cluster = new FakeCluster();
    cluster.topics.set('orders', { partitions: 5, rf: 1, overrides: { 'retention.ms': '1' } });
    const out = io();
    expect(await runTopicsCommand(topology, { action: 'plan' }, out, cluster.connect)).toBe(1);
    expect(cluster.calls).toEqual([]);
    expect(out.text()).toContain('1 error; apply cannot fix orders partitions (catalog 3, cluster 5) (see above); it would make the other 2 changes (none with --all-or-nothing)');
  });

  it('apply --json lists the applied changes and the unfixable differences', async () => {
    const cluster = new FakeCluster();
    cluster.topics.set('orders', { partitions: 5, rf: 1, overrides: { 'retention.ms': '1' } });
    cluster.topics.set('orders.dlq', { partitions: 1, rf: 1, overrides: {} });
    const out = io();
    expect(await runTopicsCommand(topology, { action: 'apply', json: true }, out, cluster.connect)).toBe(1);
    const report = JSON.parse(out.stdout.join('\n')) as TopicsReport;
    expect(report).toMatchObject({ ok: false, errors: 1, applied: ['orders: set retention.ms=86400000'] });
    expect(report.unfixable).toMatchObject([{ topic: 'orders', kind: 'partitions', severity: 'error', catalog: '3', cluster: '5' }]);
    expect(report.remaining.map((d) => d.kind)).toEqual(['partitions']);

    const refused = io();
    cluster.topics.get('orders')!.overrides = { 'retention.ms': '1' };
    expect(await runTopicsCommand(topology, { action: 'apply', json: true, allOrNothing: true }, refused, cluster.connect)).toBe(1);
    expect(JSON.parse(refused.stdout.join('\n'))).toMatchObject({ ok: false, applied: [], unfixable: [{ kind: 'partitions' }] });
    expect(cluster.topics.get('orders')?.overrides).toEqual({ 'retention.ms': '1' });
  });

  it('a hidden sensitive override blocks only its own topic\'s configs; other topics are repaired', async () => {
    const plan = planTopics(
      [
        { name: 'a', partitions: 1, config: { 'retention.ms': '5' } },
        { name: 'b', partitions: 1, config: { 'retention.ms': '5' } },
      ],
      new Map<string, LiveTopic>([
        ['a', { name: 'a', partitions: 1, replicationFactor: 1, config: { 'retention.ms': { value: '1', override: true }, secret: { value: null, override: true } } }],
        ['b', { name: 'b', partitions: 1, replicationFactor: 1, config: { 'retention.ms': { value: '1', override: true } } }],
      ]),
    );
    expect(plan.errors).toBe(1);
    const cluster = new FakeCluster();
    cluster.topics.set('a', { partitions: 1, rf: 1, overrides: {} });
    cluster.topics.set('b', { partitions: 1, rf: 1, overrides: { 'retention.ms': '1' } });
    expect(await applyTopicPlan(cluster.admin(), plan)).toEqual(['b: set retention.ms=5']);
    expect(cluster.calls).toEqual(['alter b retention.ms=5']);
    await expect(applyTopicPlan(cluster.admin(), plan, { allOrNothing: true })).rejects.toThrow('the plan has 1 error; nothing was changed');
    expect(cluster.calls).toHaveLength(1);
  });

  it('--json prints one parseable report; --env selects the environment', async () => {
    const cluster = new FakeCluster();
    await runTopicsCommand(topology, { action: 'apply' }, io(), cluster.connect);
    const out = io();
    expect(await runTopicsCommand(topology, { action: 'check', environment: 'prod', json: true }, out, cluster.connect)).toBe(1);
    expect(out.stdout).toHaveLength(1);
    const report = JSON.parse(out.stdout[0] ?? '') as TopicsReport;
    expect(report).toMatchObject({ command: 'check', environment: 'prod', ok: false, errors: 0, topics: 1 });
    expect(report.drift).toMatchObject([{ topic: 'orders', kind: 'partitions', catalog: '6', cluster: '3', action: 'add-partitions' }]);
  });

  it('usage problems exit 2: no brokers, unknown environment', async () => {
    const cluster = new FakeCluster();
    const none = io({});
    expect(await runTopicsCommand(topology, { action: 'plan' }, none, cluster.connect)).toBe(2);
    expect(none.text()).toContain('Kafka brokers are required (KAFKA_BROKERS=host:port[,host:port])');
    const env = io();
    expect(await runTopicsCommand(topology, { action: 'plan', environment: 'staging' }, env, cluster.connect)).toBe(2);
    expect(env.text()).toContain('unknown environment "staging" (the catalog declares prod)');
  });

  it('never prints the SASL password, also when the cluster cannot be reached', async () => {
    const env = { KAFKA_BROKERS: 'b1:9093', KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'svc', KAFKA_SASL_PASSWORD: 'hunter2-secret' };
    let seen: KafkaConfig | undefined;
    const out = io(env);
    const code = await runTopicsCommand(topology, { action: 'check', json: true }, out, async (config) => {
      seen = config;
      throw new Error('Connection error: connect ECONNREFUSED b1:9093');
    });
    expect(code).toBe(1);
    expect(seen?.sasl?.password.reveal()).toBe('hunter2-secret');
    expect(seen?.tls).toEqual({});
    expect(out.text()).toContain('check failed against brokers b1:9093, SASL scram-sha-512 as svc, TLS: Connection error');
    expect(out.text()).not.toContain('hunter2');
    expect(JSON.parse(out.stdout[0] ?? '')).toMatchObject({ ok: false });
  });
});

describe('connection settings and arguments', () => {
  it('reads brokers, SASL and TLS like the rest of the runtime; the flag wins over KAFKA_BROKERS', () => {
    expect(topicsConnectionFromEnv({ KAFKA_BROKERS: 'a:1, b:2' }).config).toMatchObject({ brokers: ['a:1', 'b:2'], clientId: 'eventgen-topics' });
    expect(topicsConnectionFromEnv({ KAFKA_BROKERS: 'a:1', KAFKA_CLIENT_ID: 'ops' }).config.clientId).toBe('ops');
    expect(topicsConnectionFromEnv({ KAFKA_BROKERS: 'a:1' }, 'c:3').config.brokers).toEqual(['c:3']);
    expect(topicsConnectionFromEnv({ KAFKA_BROKERS: 'a:1' }).config.tls).toBeUndefined();
    expect(topicsConnectionFromEnv({ KAFKA_BROKERS: 'a:1', KAFKA_SSL: 'true' }).summary).toBe('brokers a:1, TLS');
    const plain = topicsConnectionFromEnv({ KAFKA_BROKERS: 'a:1', KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'pw-secret' });
    expect(plain.summary).toBe('brokers a:1, SASL plain as u');
    expect(JSON.stringify(plain)).not.toContain('pw-secret');
    expect(() => topicsConnectionFromEnv({ KAFKA_BROKERS: 'a:1', KAFKA_SASL_MECHANISM: 'gssapi' })).toThrow(/Unsupported SASL mechanism/);
    expect(() => topicsConnectionFromEnv({ KAFKA_BROKERS: 'a:1', KAFKA_SASL_MECHANISM: 'plain' })).toThrow(/SASL username is required/);
  });

  it('parses plan|apply|check and flags; refuses the rest', () => {
    expect(parseTopicsArgs([])).toEqual({ action: 'plan', json: false, removeUndeclaredConfigs: false, allOrNothing: false });
    expect(parseTopicsArgs(['check', '--env=prod', '--brokers', 'x:1', '--json'])).toEqual({ action: 'check', environment: 'prod', brokers: 'x:1', json: true, removeUndeclaredConfigs: false, allOrNothing: false });
    expect(parseTopicsArgs(['apply', '--all-or-nothing'])).toMatchObject({ action: 'apply', allOrNothing: true });
    expect(parseTopicsArgs(['--help'])).toBeUndefined();
    expect(() => parseTopicsArgs(['drop'])).toThrow(/unknown command: drop/);
    expect(() => parseTopicsArgs(['--force'])).toThrow(/unknown option: --force/);
    expect(() => parseTopicsArgs(['--env'])).toThrow(/--env needs a value/);
    expect(() => parseTopicsArgs(['plan', 'apply'])).toThrow(/unexpected argument: apply/);
  });

  it('runTopicsCli reports usage errors with exit 2', async () => {
    const out = io();
    expect(await runTopicsCli(topology, ['--bogus'], out)).toBe(2);
    expect(out.text()).toContain('unknown option: --bogus');
    expect(out.text()).toContain('usage: topics [plan|apply|check]');
  });
});

describe('gen topics', () => {
  afterEach(() => vi.unstubAllEnvs());

  async function gen(...argv: string[]): Promise<{ code: number; text: string }> {
    let text = '';
    const cli: Io = { out: (s) => (text += `${s}\n`), err: (s) => (text += `${s}\n`), cwd: ROOT, color: false };
    return { code: await main(argv, cli), text };
  }

  it('refuses an unknown action and a missing broker with exit 2', async () => {
    vi.stubEnv('KAFKA_BROKERS', '');
    const catalog = path.relative(ROOT, path.join(FIXTURES, 'topics/asyncapi.yaml'));
    expect(await gen('topics', 'destroy', '--catalog', catalog)).toMatchObject({ code: 2, text: expect.stringContaining('unknown topics action "destroy"') });
    expect(await gen('topics', 'check', '--catalog', catalog)).toMatchObject({ code: 2, text: expect.stringContaining('Kafka brokers are required') });
    expect(await gen('topics', 'check', '--catalog', catalog, '--env', 'nope', '--brokers', 'x:1')).toMatchObject({ code: 2, text: expect.stringContaining('unknown environment "nope"') });
  });

  it('refuses an invalid catalog with located errors and exit 1', async () => {
    const bad = path.relative(ROOT, path.join(FIXTURES, 'invalid/bad-topic-config.yaml'));
    const r = await gen('topics', 'plan', '--catalog', bad, '--brokers', 'x:1');
    expect(r.code).toBe(1);
    expect(r.text).toMatch(/bad-topic-config\.yaml:\d+:\d+ {2}error {2}topic-config-invalid/);
  });
});

describe('apply with differences it does not change', () => {
  it('says so instead of "nothing to change" (replication factor)', async () => {
    const cluster = new FakeCluster();
    cluster.topics.set('orders', { partitions: 3, rf: 2, overrides: { 'retention.ms': '86400000' } });
    cluster.topics.set('orders.dlq', { partitions: 1, rf: 1, overrides: {} });
    const out = io();
    expect(await runTopicsCommand(topology, { action: 'apply' }, out, cluster.connect)).toBe(0);
    expect(cluster.calls).toEqual([]);
    expect(out.text()).toMatch(/^orders\s+replication-factor\s+1\s+2\s+report only$/m);
    expect(out.text()).toContain('nothing apply can change; 1 difference remains (see above)');
    expect(await runTopicsCommand(topology, { action: 'check' }, io(), cluster.connect)).toBe(1);
  });
});
