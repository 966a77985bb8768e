/** `scripts/topics.ts`: the catalog's topology as data, handed to the runtime's topics command. */
import type { SymbolTable } from '../../symbols/table.js';
import type { TopicSpec, TopicTopology } from '../../topics/topology.js';
import { TsModule } from '../printer.js';
import { jsdoc, propertyKey, tsString, tsValue } from '../text.js';

function specLiteral(t: TopicSpec, indent: string): string {
  const i = `${indent}  `;
  const lines = [
    `${i}name: ${tsString(t.name)},`,
    t.partitions !== undefined ? `${i}partitions: ${t.partitions},` : '',
    t.replicationFactor !== undefined ? `${i}replicationFactor: ${t.replicationFactor},` : '',
    `${i}config: ${tsValue(t.config)},`,
    t.deadLetterFor ? `${i}deadLetterFor: [${t.deadLetterFor.map((s) => tsString(s)).join(', ')}],` : '',
  ].filter(Boolean);
  return `${indent}{\n${lines.join('\n')}\n${indent}},`;
}

function specList(specs: readonly TopicSpec[], indent: string): string {
  return specs.length ? `[\n${specs.map((s) => specLiteral(s, `${indent}  `)).join('\n')}\n${indent}]` : '[]';
}

export function topicsScript(table: SymbolTable, topology: TopicTopology, path: string): string {
  const catalog = table.catalog;
  const mod = new TsModule(path);
  // Imported from the declaring runtime files, not runtime/index.ts: the script must not load the consumer side.
  const run = mod.use(table.runtimeDirect('runTopicsCli'));
  const type = mod.type(table.runtimeDirect('TopicTopology'));
  const envs = Object.keys(topology.environments);
  const doc = jsdoc([
    `Kafka topics of ${catalog.title} ${catalog.version}: compares the cluster with the catalog and repairs it.`,
    '',
    '  plan   (default) show the differences; changes nothing',
    '  apply  create missing topics (and dead-letter topics), add partitions, set declared configs; what it cannot',
    '         fix (fewer partitions, ...) is named and exits 1 after the rest is applied (--all-or-nothing: change nothing)',
    '  check  exit 1 when the cluster differs (CI); add --json for a machine-readable report',
    '',
    'Flags: --env <name>, --brokers <host:port,...>, --json, --remove-undeclared-configs, --all-or-nothing.',
    'Connection: KAFKA_BROKERS, KAFKA_CLIENT_ID, KAFKA_SASL_MECHANISM/USERNAME/PASSWORD, KAFKA_SSL, KAFKA_SSL_CA_FILE.',
    ...(envs.length ? [`Environments (x-environments): ${envs.join(', ')}.`] : []),
    'Run with `node <build dir>/scripts/topics.js check` or `npx tsx scripts/topics.ts plan`.',
  ]);
  const envLines = envs.map((e) => `    ${propertyKey(e)}: ${specList(topology.environments[e] ?? [], '    ')},`);
  const body = [
    doc,
    `const topology: ${type} = {`,
    `  catalog: ${tsString(topology.catalog)},`,
    `  topics: ${specList(topology.topics, '  ')},`,
    envLines.length ? `  environments: {\n${envLines.join('\n')}\n  },` : '  environments: {},',
    '};',
    '',
    `void ${run}(topology, process.argv.slice(2)).then((code) => {`,
    '  process.exitCode = code;',
    '});',
  ].join('\n');
  return mod.render(body);
}
