/**
 * Topic provisioning on a real broker (scripts/kafka): `gen topics` apply/check/plan from an empty cluster,
 * out-of-band drift, refused partition decreases, and the generated scripts/topics.sh with Kafka's own tools.
 * Every run uses its own topic prefix (a copy of test/fixtures/catalogs/topics in os.tmpdir()).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import kafkajs, { type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type Io } from '../../generator/cli.js';
import { generate } from '../../generator/index.js';
import { catalogTopology } from '../../generator/topics/topology.js';
import { sameTopicConfigValue, type TopicSpec, type TopicsReport } from '../../templates/runtime/topics-admin.js';
import { brokerStatus } from '../../scripts/kafka/lib.mjs';
import { kafkaBrokers, uniqueName } from '../support/kafka.js';
import { FIXTURES, ROOT } from '../support/tree.js';

const run = promisify(execFile);

/** The run's broker; outside the integration project, a local broker that `npm run kafka:start` left running. */
async function findBrokers(): Promise<string | undefined> {
  const given = await kafkaBrokers().catch(() => process.env.KAFKA_BROKERS?.trim() || undefined);
  if (given) return given;
  const local = await brokerStatus().catch(() => undefined);
  return local?.running && local.ready ? local.bootstrap : undefined;
}

const brokers = await findBrokers();
if (!brokers) {
  if (process.env.REQUIRE_KAFKA === '1') throw new Error('REQUIRE_KAFKA=1 but no Kafka broker is available for the topics integration tests');
  process.stderr.write('topics integration tests SKIPPED: no Kafka broker (run `npm run kafka:start` or set KAFKA_BROKERS=host:port)\n');
}

const FIXTURE = readFileSync(path.join(FIXTURES, 'topics/asyncapi.yaml'), 'utf8');
const temps: string[] = [];
const prefixes: string[] = [];

/** A copy of the fixture catalog with a unique topic prefix, optionally edited. */
function workspace(edit: (yaml: string) => string = (y) => y): { dir: string; prefix: string; write: (edit: (yaml: string) => string) => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'eventgen-topics-'));
  temps.push(dir);
  const prefix = uniqueName('egt');
  prefixes.push(prefix);
  const write = (e: (yaml: string) => string): void => writeFileSync(path.join(dir, 'asyncapi.yaml'), e(FIXTURE.replaceAll('egtopics', prefix)));
  write(edit);
  return { dir, prefix, write };
}

async function gen(cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`), cwd, color: false };
  const code = await main(['topics', ...argv, '--catalog', 'asyncapi.yaml', '--brokers', brokers ?? ''], io);
  return { code, out, err };
}

async function report(cwd: string, ...argv: string[]): Promise<{ code: number; report: TopicsReport }> {
  const r = await gen(cwd, ...argv, '--json');
  return { code: r.code, report: JSON.parse(r.out) as TopicsReport };
}

async function desired(dir: string, env?: string): Promise<readonly TopicSpec[]> {
  const result = await generate('asyncapi.yaml', { cwd: dir, validate: false });
  const topology = catalogTopology(result.catalog!);
  return env ? (topology.environments[env] ?? []) : topology.topics;
}

let admin: Admin;

/** The cluster has exactly the declared partitions, replication factor and config values (admin API). */
async function expectOnCluster(specs: readonly TopicSpec[]): Promise<void> {
  const names = specs.map((s) => s.name);
  const { topics } = await admin.fetchTopicMetadata({ topics: names });
  const described = await admin.describeConfigs({ includeSynonyms: false, resources: names.map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name })) });
  for (const spec of specs) {
    const meta = topics.find((t) => t.name === spec.name);
    expect(meta, spec.name).toBeDefined();
    expect(meta?.partitions.length, `${spec.name} partitions`).toBe(spec.partitions);
    expect(meta?.partitions[0]?.replicas.length, `${spec.name} replication factor`).toBe(spec.replicationFactor);
    const entries = described.resources.find((r) => r.resourceName === spec.name)?.configEntries ?? [];
    for (const [key, value] of Object.entries(spec.config)) {
      const live = entries.find((e) => e.configName === key)?.configValue ?? '(absent)';
      expect(sameTopicConfigValue(key, value, live), `${spec.name} ${key}: ${live} ≠ ${value}`).toBe(true);
    }
  }
}

async function deleteAndWait(topic: string): Promise<void> {
  await admin.deleteTopics({ topics: [topic] });
  for (let i = 0; i < 50 && (await admin.listTopics()).includes(topic); i++) await new Promise((r) => setTimeout(r, 200));
}

describe.skipIf(!brokers)('gen topics and scripts/topics.sh on a real broker', () => {
  beforeAll(async () => {
    admin = new kafkajs.Kafka({ brokers: (brokers ?? '').split(','), clientId: 'eventgen-topics-test', logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
  });

  afterAll(async () => {
    if (admin) {
      const mine = (await admin.listTopics()).filter((t) => prefixes.some((p) => t.startsWith(`${p}.`)));
      if (mine.length) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
      await admin.disconnect();
    }
    for (const t of temps) rmSync(t, { recursive: true, force: true });
  });

  const ws = workspace();

  it('apply creates every topic and dead-letter topic with the declared settings; a second apply changes nothing', async () => {
    const specs = await desired(ws.dir);
    expect(specs).toHaveLength(6);
    const before = await report(ws.dir, 'check');
    expect(before.code).toBe(1);
    expect(before.report.drift.filter((d) => d.kind === 'missing')).toHaveLength(6);

    const first = await gen(ws.dir, 'apply');
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toContain(`created ${ws.prefix}.dead-letters.v1`);
    await expectOnCluster(specs);

    const second = await report(ws.dir, 'apply');
    expect(second.code).toBe(0);
    expect(second.report.applied).toEqual([]);
    expect(second.report.drift).toEqual([]);
    expect((await gen(ws.dir, 'check')).code).toBe(0);
  });

  it('reports out-of-band drift (config altered, topic deleted, undeclared override) with exit 1; apply repairs it', async () => {
    const orders = `${ws.prefix}.orders.v1`;
    const customers = `${ws.prefix}.customers.v1`;
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: kafkajs.ConfigResourceTypes.TOPIC,
          name: orders,
          configEntries: [
            { name: 'cleanup.policy', value: 'delete' },
            { name: 'max.message.bytes', value: '1048576' },
            { name: 'retention.ms', value: '1000' },
            { name: 'segment.ms', value: '3600000' },
          ],
        },
      ],
    });
    await deleteAndWait(customers);

    const check = await gen(ws.dir, 'check');
    expect(check.code).toBe(1);
    expect(check.out).toMatch(/^TOPIC\s+WHAT\s+CATALOG\s+CLUSTER\s+APPLY$/m);
    expect(check.out).toMatch(new RegExp(`^${orders.replaceAll('.', '\\.')}\\s+config retention\\.ms\\s+604800000\\s+1000\\s+alter config$`, 'm'));
    expect(check.out).toMatch(new RegExp(`^${customers.replaceAll('.', '\\.')}\\s+topic\\s+2 partitions, rf 1\\s+-\\s+create$`, 'm'));
    expect(check.out).toContain(`warning: ${orders}: segment.ms=3600000 is set on the cluster but not in the catalog; kept`);

    const apply = await gen(ws.dir, 'apply');
    expect(apply.code).toBe(0);
    await expectOnCluster(await desired(ws.dir));
    const after = await report(ws.dir, 'check');
    expect(after.code).toBe(0);
    expect(after.report.drift).toMatchObject([{ topic: orders, kind: 'undeclared-config', subject: 'segment.ms', severity: 'warning' }]);
  });

  it('adds partitions when the catalog (or an environment) declares more', async () => {
    const prod = await report(ws.dir, 'check', '--env', 'production');
    expect(prod.code).toBe(1);
    expect(prod.report.drift.map((d) => [d.kind, d.subject, d.catalog, d.cluster])).toEqual([
      ['partitions', 'partitions', '6', '3'],
      ['config', 'retention.ms', '1209600000', '604800000'],
      ['undeclared-config', 'segment.ms', null, '3600000'],
    ]);
    expect((await gen(ws.dir, 'apply', '--env', 'production')).code).toBe(0);
    await expectOnCluster(await desired(ws.dir, 'production'));
    expect((await gen(ws.dir, 'check', '--env', 'production')).code).toBe(0);
  });

  it('apply --all-or-nothing refuses a catalog that lowers partitions, and partitions added out of band, changing nothing', async () => {
    // orders now has 6 partitions (production); the default catalog declares 3.
    const lowered = await gen(ws.dir, 'apply', '--all-or-nothing');
    expect(lowered.code).toBe(1);
    expect(lowered.out).toContain(`error: ${ws.prefix}.orders.v1 has 6 partitions but the catalog declares 3: Kafka cannot remove partitions. Fix: declare partitions: 6 (or more)`);
    expect(lowered.out).toContain('nothing was changed (--all-or-nothing)');

    const payments = `${ws.prefix}.payments.v1`;
    await admin.createPartitions({ topicPartitions: [{ topic: payments, count: 2 }] });
    const check = await report(ws.dir, 'check', '--env', 'production');
    expect(check.code).toBe(1);
    expect(check.report.errors).toBe(1);
    expect(check.report.drift.find((d) => d.topic === payments)).toMatchObject({ kind: 'partitions', severity: 'error', catalog: '1', cluster: '2' });
    expect((await gen(ws.dir, 'apply', '--env', 'production', '--all-or-nothing')).code).toBe(1);
    const { topics } = await admin.fetchTopicMetadata({ topics: [payments, `${ws.prefix}.orders.v1`] });
    expect(topics.map((t) => t.partitions.length).sort()).toEqual([2, 6]);
  });

  it('#16: partitions raised out of band to 8 (catalog 6) and retention.ms=1000: apply fixes the retention, names the partitions, exits 1', async () => {
    const own = workspace();
    const orders = `${own.prefix}.orders.v1`;
    expect((await gen(own.dir, 'apply', '--env', 'production')).code).toBe(0);
    await admin.createPartitions({ topicPartitions: [{ topic: orders, count: 8 }] });
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: orders, configEntries: [{ name: 'cleanup.policy', value: 'delete' }, { name: 'max.message.bytes', value: '1048576' }, { name: 'retention.ms', value: '1000' }] }],
    });
    const retention = async (): Promise<string | undefined> => {
      const d = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: orders, configNames: ['retention.ms'] }] });
      return d.resources[0]?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue;
    };
    const partitions = async (): Promise<number | undefined> => (await admin.fetchTopicMetadata({ topics: [orders] })).topics[0]?.partitions.length;
    expect(await retention()).toBe('1000');

    // All or nothing (the old behaviour): one second of retention stays.
    const refused = await gen(own.dir, 'apply', '--env', 'production', '--all-or-nothing');
    expect(refused.code).toBe(1);
    expect(refused.out).toContain(`error: ${orders} has 8 partitions but the catalog declares 6: Kafka cannot remove partitions`);
    expect(refused.out).toContain(`1 error; nothing was changed (--all-or-nothing): cannot fix ${orders} partitions (catalog 6, cluster 8)`);
    expect(await retention()).toBe('1000');
    expect(await partitions()).toBe(8);

    // Default: the retention is repaired, the partitions are reported, exit 1.
    const repaired = await gen(own.dir, 'apply', '--env', 'production');
    expect(repaired.code).toBe(1);
    expect(repaired.err).toBe('');
    expect(repaired.out).toContain(`  ${orders}: set retention.ms=1209600000`);
    expect(repaired.out).toContain(`applied 1 change; 1 error: cannot fix ${orders} partitions (catalog 6, cluster 8)`);
    expect(await retention()).toBe('1209600000');
    expect(await partitions()).toBe(8);

    // What is left is the partition count only; apply again changes nothing and still exits 1.
    const left = await report(own.dir, 'apply', '--env', 'production');
    expect(left.code).toBe(1);
    expect(left.report.applied).toEqual([]);
    expect(left.report.unfixable).toMatchObject([{ topic: orders, kind: 'partitions', catalog: '6', cluster: '8' }]);
    expect(left.report.drift.filter((d) => d.severity !== 'warning').map((d) => [d.topic, d.kind])).toEqual([[orders, 'partitions']]);
  });

  it('scripts/topics.sh with Kafka\'s own tools (KAFKA_BIN) yields the same topics, and is idempotent', async () => {
    const sh = workspace();
    const result = await generate('asyncapi.yaml', { cwd: sh.dir });
    const script = result.files.find((f) => f.path === 'scripts/topics.sh');
    expect(script).toBeDefined();
    mkdirSync(path.join(sh.dir, 'scripts'));
    writeFileSync(path.join(sh.dir, 'scripts/topics.sh'), script?.content ?? '');
    const env = { ...process.env, KAFKA_BIN: path.join(ROOT, 'scripts/kafka/bin'), KAFKA_BROKERS: brokers ?? '' };

    const first = await run('bash', ['scripts/topics.sh'], { cwd: sh.dir, env });
    expect(first.stdout).toContain(`Created topic ${sh.prefix}.orders.v1.`);
    await expectOnCluster(await desired(sh.dir));
    expect((await gen(sh.dir, 'check')).code).toBe(0);

    // Again, on existing topics, with the production overrides: adds partitions, alters configs.
    await run('bash', ['scripts/topics.sh', '--env', 'production'], { cwd: sh.dir, env });
    await expectOnCluster(await desired(sh.dir, 'production'));
    const check = await gen(sh.dir, 'check', '--env', 'production');
    expect(check.out).toContain('6 topics match the cluster');
    expect(check.code).toBe(0);
  }, 240_000);
});
