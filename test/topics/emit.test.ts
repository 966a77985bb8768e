/** Topology from the model, the dead-letter rules, and the three emitted artifacts (in memory). */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateFromString } from '../../generator/index.js';
import { catalogTopology, topicSpecs } from '../../generator/topics/topology.js';
import { javaProperties, shellQuote } from '../../generator/emit/topics/shell.js';
import { BANNER_MARKER, hasBanner } from '../../generator/write/banner.js';
import { FIXTURES, typecheck, writeTree } from '../support/tree.js';

const FIXTURE = readFileSync(path.join(FIXTURES, 'topics/asyncapi.yaml'), 'utf8');

function gen(text: string) {
  const result = generateFromString(text, { path: 'topics.asyncapi.yaml' });
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  return { ...result, errors };
}

function file(files: ReadonlyArray<{ path: string; content: string }>, p: string): string {
  const f = files.find((x) => x.path === p);
  if (!f) throw new Error(`${p} was not generated`);
  return f.content;
}

const channel = (id: string, extra: string): string => `
  ${id}:
    address: t.${id}
    messages:
      m${id}:
        name: ${id}.happened
        payload: { type: object }
${extra}`;
const catalogWith = (channels: string, root = ''): string =>
  `asyncapi: 3.0.0\ninfo: { title: T, version: 1.0.0 }\n${root}channels:${channels}`;

describe('topology from the catalog', () => {
  const { catalog, errors } = gen(FIXTURE);

  it('lists the channel topics, then one dead-letter topic per name (a shared one once, none when disabled)', () => {
    expect(errors).toEqual([]);
    const specs = topicSpecs(catalog!);
    expect(specs.map((s) => s.name)).toEqual([
      'egtopics.orders.v1',
      'egtopics.customers.v1',
      'egtopics.payments.v1',
      'egtopics.snapshots.v1',
      'egtopics.orders.v1.dlq',
      'egtopics.dead-letters.v1',
    ]);
    expect(specs[0]).toEqual({
      name: 'egtopics.orders.v1',
      partitions: 3,
      replicationFactor: 1,
      config: { 'cleanup.policy': 'delete', 'max.message.bytes': '1048576', 'retention.ms': '604800000' },
    });
    expect(specs[1]?.config['cleanup.policy']).toBe('compact,delete');
    expect(specs[4]).toEqual({ name: 'egtopics.orders.v1.dlq', partitions: 2, replicationFactor: 1, config: { 'retention.ms': '2592000000' }, deadLetterFor: ['egtopics.orders.v1'] });
    expect(specs[5]).toEqual({
      name: 'egtopics.dead-letters.v1',
      partitions: 1,
      replicationFactor: 1,
      config: { 'retention.ms': '1209600000' },
      deadLetterFor: ['egtopics.customers.v1', 'egtopics.payments.v1'],
    });
  });

  it('applies x-environments overrides per environment', () => {
    const topology = catalogTopology(catalog!);
    expect(Object.keys(topology.environments)).toEqual(['production']);
    const prod = topology.environments.production ?? [];
    expect(prod[0]).toMatchObject({ partitions: 6, replicationFactor: 1, config: { 'retention.ms': '1209600000', 'cleanup.policy': 'delete' } });
    expect(prod.slice(1, 4)).toEqual(topology.topics.slice(1, 4));
  });

  it('sizes a DLQ without its own settings like its source topics (max), following the environment', () => {
    const { catalog: c, errors: e } = gen(
      catalogWith(
        channel('a', '    bindings: { kafka: { partitions: 4, replicas: 2 } }\n    x-dead-letter: { topic: t.dlq }\n    x-environments: { prod: { partitions: 9 } }') +
          channel('b', '    bindings: { kafka: { partitions: 6, replicas: 1 } }\n    x-dead-letter: { topic: t.dlq }'),
      ),
    );
    expect(e).toEqual([]);
    expect(topicSpecs(c!).find((s) => s.name === 't.dlq')).toMatchObject({ partitions: 6, replicationFactor: 2, config: {} });
    expect(topicSpecs(c!, 'prod').find((s) => s.name === 't.dlq')).toMatchObject({ partitions: 9 });
  });

  it('refuses a shared DLQ with conflicting settings and a DLQ that is a channel topic, located', () => {
    const conflict = gen(
      catalogWith(
        channel('a', '    x-dead-letter: { topic: t.dlq, partitions: 2, config: { retention.ms: 1 } }') +
          channel('b', '    x-dead-letter: { topic: t.dlq, partitions: 3, config: { retention.ms: 2 } }'),
      ),
    );
    expect(conflict.errors).toHaveLength(1);
    expect(conflict.errors[0]).toMatchObject({ rule: 'topic-config-invalid' });
    expect(conflict.errors[0]?.message).toMatch(/shared dead-letter topic "t.dlq" of "t.b" and "t.a" is declared with different settings: partitions 3 vs 2, retention.ms 2 vs 1/);
    expect(conflict.errors[0]?.location?.line).toBeGreaterThan(1);
    const clash = gen(catalogWith(channel('a', '    x-dead-letter: { topic: t.b }') + channel('b', '')));
    expect(clash.errors.map((d) => d.message)).toEqual(['the dead-letter topic of "t.a" is "t.b", which is also a channel topic of the catalog']);
  });

  it('reports impossible settings where they are written (existing model checks)', () => {
    const bad = gen(catalogWith(channel('a', '    bindings: { kafka: { partitions: 0, topicConfiguration: { cleanup.policy: compacted, retention.ms: soon } } }')));
    expect(bad.errors.map((d) => d.message)).toEqual([
      'cleanup.policy must be a list of delete and/or compact, got "compacted"',
      'retention.ms must be an integer >= -1, got "soon"',
      'partitions must be a positive integer, got 0',
    ]);
  });
});

describe('emitted artifacts', () => {
  const { files, errors } = gen(FIXTURE);

  it('emits scripts/topics.ts, scripts/topics.sh and topology.json as managed files', () => {
    expect(errors).toEqual([]);
    const wanted = ['scripts/topics.sh', 'scripts/topics.ts', 'topics.ts', 'topology.json'];
    const paths = files.filter((f) => wanted.includes(f.path)).map((f) => [f.path, f.ownership]);
    expect(paths).toEqual([
      ['scripts/topics.sh', 'managed'],
      ['scripts/topics.ts', 'managed'],
      ['topics.ts', 'managed'],
      ['topology.json', 'managed'],
    ]);
    expect(files.map((f) => f.path)).toContain('runtime/topics-admin.ts');
  });

  it('topology.json carries the banner in "$comment" and the same topology as the model', () => {
    const text = file(files, 'topology.json');
    expect(hasBanner(text, 'topology.json')).toBe(true);
    const doc = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(doc)[0]).toBe('$comment');
    expect(String(doc.$comment)).toContain(BANNER_MARKER);
    const topology = catalogTopology(gen(FIXTURE).catalog!);
    expect(doc.topics).toEqual(topology.topics);
    expect(doc.environments).toEqual(topology.environments);
  });

  it('scripts/topics.ts hands the topology to the runtime and type-checks under strict NodeNext', () => {
    const text = file(files, 'scripts/topics.ts');
    // From the runtime files that declare them (not runtime/index.ts: the script loads no consumer code).
    expect(text).toContain("import { runTopicsCli } from '../runtime/topics-admin.js';\nimport type { TopicTopology } from '../runtime/topics-plan.js';");
    expect(text).toContain("deadLetterFor: ['egtopics.customers.v1', 'egtopics.payments.v1'],");
    expect(text).toMatch(/environments: \{\n {4}production: \[/);
    const dir = writeTree('topics-fixture', files);
    expect(typecheck([dir])).toEqual([]);
  });

  it('scripts/topics.sh is valid bash, with the banner after the shebang', () => {
    const text = file(files, 'scripts/topics.sh');
    const lines = text.split('\n');
    expect(lines[0]).toBe('#!/usr/bin/env bash');
    expect(lines[1]).toContain(BANNER_MARKER);
    execFileSync('bash', ['-n', '-c', text]);
    expect(text).toContain("ensure_topic 'egtopics.orders.v1' 3 1 'cleanup.policy=delete\nmax.message.bytes=1048576\nretention.ms=604800000' yes 'cleanup.policy=delete' 'max.message.bytes=1048576' 'retention.ms=604800000'");
  });
});

describe('scripts/topics.sh with hostile config values (run against recording stand-ins for the Kafka tools)', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'eventgen-topics-sh-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const evil = ["it's", '$(touch pwned)', '`touch pwned`', 'a=b', 'line1\nline2', ' lead', 'x;y|z&', '\\back', 'ünï'];
  const config = evil.map((v, i) => `          x.custom.${i}: ${JSON.stringify(v)}`).join('\n');
  const { files, errors } = gen(
    catalogWith(channel('evil', `    bindings:\n      kafka:\n        partitions: 2\n        topicConfiguration:\n${config}\n    x-dead-letter: { enabled: false }`)),
  );

  it('passes every value through unchanged and executes nothing', () => {
    expect(errors).toEqual([]);
    const bin = path.join(tmp, 'bin');
    mkdirSync(bin);
    const log = path.join(tmp, 'calls.log');
    // kafka-topics.sh: --describe prints nothing (topic missing); kafka-configs.sh keeps the properties file.
    writeFileSync(path.join(bin, 'kafka-topics.sh'), `#!/usr/bin/env bash\nprintf '%s\\0' topics "$@" >> '${log}'\nprintf '\\n' >> '${log}'\n`);
    writeFileSync(path.join(bin, 'kafka-configs.sh'), `#!/usr/bin/env bash\nprintf '%s\\0' configs "$@" >> '${log}'\nprintf '\\n' >> '${log}'\ncp "\${@: -1}" '${tmp}/seen.properties'\n`);
    chmodSync(path.join(bin, 'kafka-topics.sh'), 0o755);
    chmodSync(path.join(bin, 'kafka-configs.sh'), 0o755);
    const script = path.join(tmp, 'topics.sh');
    writeFileSync(script, file(files, 'scripts/topics.sh'));
    execFileSync('bash', [script], { cwd: tmp, env: { ...process.env, KAFKA_BIN: bin, KAFKA_BROKERS: 'localhost:1' } });
    const calls = readFileSync(log, 'utf8').split('\0\n').filter(Boolean).map((l) => l.split('\0'));
    expect(calls.map((c) => c.slice(0, 4))).toEqual([
      ['topics', '--bootstrap-server', 'localhost:1', '--describe'],
      ['topics', '--bootstrap-server', 'localhost:1', '--create'],
      ['configs', '--bootstrap-server', 'localhost:1', '--alter'],
    ]);
    const create = calls[1] ?? [];
    const created = create.flatMap((a, i) => (create[i - 1] === '--config' ? [a] : []));
    // Values kafka-topics.sh cannot carry (`=`, line breaks) are left to the alter step.
    expect(created).toEqual(evil.flatMap((v, i) => (/[=\n]/.test(v) ? [] : [`x.custom.${i}=${v}`])).sort());
    const seen = readFileSync(path.join(tmp, 'seen.properties'), 'utf8');
    expect(seen).toBe(`${javaProperties(Object.fromEntries(evil.map((v, i) => [`x.custom.${i}`, v])))}\n`);
    expect(seen).toContain('x.custom.3=a=b');
    expect(seen).toContain('x.custom.4=line1\\nline2');
    expect(seen).toContain('x.custom.5=\\ lead');
    expect(seen).toContain('x.custom.8=\\u00fcn\\u00ef');
    expect(() => readFileSync(path.join(tmp, 'pwned'))).toThrow();
  });

  it('refuses unknown arguments and environments with exit 2', () => {
    const script = path.join(tmp, 'topics.sh');
    for (const args of [['--nope'], ['--env', 'staging']]) {
      let status = 0;
      try {
        execFileSync('bash', [script, ...args], { env: { ...process.env, KAFKA_BIN: path.join(tmp, 'bin'), KAFKA_BROKERS: 'localhost:1' }, stdio: 'pipe' });
      } catch (err) {
        status = (err as { status: number }).status;
      }
      expect(status, args.join(' ')).toBe(2);
    }
  });

  it('quotes any string for the shell', () => {
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
    expect(execFileSync('bash', ['-c', `printf %s ${shellQuote("it's $(x) `y` \\ \n")}`]).toString()).toBe("it's $(x) `y` \\ \n");
  });
});
