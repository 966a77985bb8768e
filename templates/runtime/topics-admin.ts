/**
 * Topic provisioning against a live cluster (kafkajs admin): describe the catalog's topics, plan
 * (`topics-plan.ts`), apply, and the `plan | apply | check` command shared by `gen topics` and the
 * generated `scripts/topics.ts`. Connection settings are the runtime's (`config.ts`).
 */
import { Kafka, type Admin } from 'kafkajs';
import { kafkaConfigFromEnv, type KafkaConfig } from './config.js';
import { toKafkaJsConfig } from './kafka-transport.js';
import {
  formatTopicPlan,
  hasTopicDrift,
  planTopics,
  topicsForEnvironment,
  type LiveConfigEntry,
  type LiveTopic,
  type TopicPlan,
  type TopicSpec,
  type TopicTopology,
} from './topics-plan.js';

export * from './topics-plan.js';

/** The part of the kafkajs admin client provisioning uses (a fake one serves in tests). */
export type TopicsAdmin = Pick<Admin, 'listTopics' | 'fetchTopicMetadata' | 'describeConfigs' | 'createTopics' | 'createPartitions' | 'alterConfigs'>;

/** kafkajs `ConfigResourceTypes.TOPIC` and `ConfigSource.TOPIC_CONFIG` (numeric protocol values). */
const RESOURCE_TOPIC = 2;
const SOURCE_TOPIC_CONFIG = 1;

/** Describe the topics among `names` that exist: partitions, replication factor, configs. */
export async function describeLiveTopics(admin: TopicsAdmin, names: readonly string[]): Promise<Map<string, LiveTopic>> {
  const existing = new Set(await admin.listTopics());
  const wanted = [...new Set(names)].filter((n) => existing.has(n)).sort();
  const live = new Map<string, LiveTopic>();
  if (wanted.length === 0) return live;
  const { topics } = await admin.fetchTopicMetadata({ topics: wanted });
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: wanted.map((name) => ({ type: RESOURCE_TOPIC, name })),
  });
  const configs = new Map<string, Record<string, LiveConfigEntry>>();
  for (const r of described.resources) {
    if (r.errorCode !== 0) throw new Error(`describing the configs of ${r.resourceName} failed: ${r.errorMessage || `error code ${r.errorCode}`}`);
    const entries: Record<string, LiveConfigEntry> = {};
    for (const e of r.configEntries) {
      const value: unknown = e.configValue;
      entries[e.configName] = { value: typeof value === 'string' ? value : null, override: e.configSource === SOURCE_TOPIC_CONFIG };
    }
    configs.set(r.resourceName, entries);
  }
  for (const t of topics) {
    const first = [...t.partitions].sort((a, b) => a.partitionId - b.partitionId)[0];
    live.set(t.name, {
      name: t.name,
      partitions: t.partitions.length,
      replicationFactor: first ? first.replicas.length : 0,
      config: configs.get(t.name) ?? {},
    });
  }
  return live;
}

export interface ApplyTopicPlanOptions {
  /** Refuse (throw, change nothing) when the plan has an error, instead of applying the changes it can make. */
  readonly allOrNothing?: boolean;
}

/**
 * Carry out a plan: create topics, add partitions, alter configs. The plan's errors (a partition decrease,
 * a hidden sensitive override) have no change in it, so every change it holds is safe to make on its own;
 * with `allOrNothing` a plan with errors is refused and nothing is changed.
 */
export async function applyTopicPlan(admin: TopicsAdmin, plan: TopicPlan, options: ApplyTopicPlanOptions = {}): Promise<string[]> {
  if (options.allOrNothing && plan.errors > 0) throw new Error(`the plan has ${plan.errors} error${plan.errors === 1 ? '' : 's'}; nothing was changed`);
  const done: string[] = [];
  if (plan.create.length) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: plan.create.map((c) => ({
        topic: c.topic,
        ...(c.partitions !== undefined ? { numPartitions: c.partitions } : {}),
        ...(c.replicationFactor !== undefined ? { replicationFactor: c.replicationFactor } : {}),
        configEntries: Object.entries(c.config).map(([name, value]) => ({ name, value })),
      })),
    });
    for (const c of plan.create) done.push(`created ${c.topic}`);
  }
  if (plan.addPartitions.length) {
    await admin.createPartitions({ topicPartitions: plan.addPartitions.map((p) => ({ topic: p.topic, count: p.count })) });
    for (const p of plan.addPartitions) done.push(`${p.topic}: partitions increased to ${p.count}`);
  }
  if (plan.alterConfigs.length) {
    await admin.alterConfigs({
      validateOnly: false,
      resources: plan.alterConfigs.map((a) => ({
        type: RESOURCE_TOPIC,
        name: a.topic,
        configEntries: Object.entries(a.overrides).map(([name, value]) => ({ name, value })),
      })),
    });
    for (const a of plan.alterConfigs) {
      const parts = [...a.set.map((n) => `set ${n}=${a.overrides[n] ?? ''}`), ...a.removed.map((n) => `removed ${n}`)];
      done.push(`${a.topic}: ${parts.join(', ')}`);
    }
  }
  return done;
}

/* ------------------------------------------------------------------------------------------ */
/* Connection                                                                                  */
/* ------------------------------------------------------------------------------------------ */

/** Thrown for bad flags (exit code 2). */
export class TopicsUsageError extends Error {
  override readonly name = 'TopicsUsageError';
}

export interface TopicsConnection {
  readonly config: KafkaConfig;
  /** For messages: brokers, TLS, SASL mechanism and user; never a secret. */
  readonly summary: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Connection settings from `--brokers` and the environment, read like every other runtime client
 * (`kafkaConfigFromEnv`: `KAFKA_BROKERS`, `KAFKA_CLIENT_ID`, `KAFKA_SASL_*`, `KAFKA_SSL`, `KAFKA_SSL_CA_FILE`).
 * Throws `KafkaConfigError` for invalid settings (its messages never contain a secret).
 */
export function topicsConnectionFromEnv(env: Env, brokersFlag?: string): TopicsConnection {
  const config = kafkaConfigFromEnv(env, {
    ...(brokersFlag !== undefined ? { brokers: brokersFlag } : {}),
    ...(env['KAFKA_CLIENT_ID'] ? {} : { clientId: 'eventgen-topics' }),
  });
  const summary = [`brokers ${config.brokers.join(',')}`];
  if (config.sasl) summary.push(`SASL ${config.sasl.mechanism} as ${config.sasl.username}`);
  if (config.tls) summary.push('TLS');
  return { config, summary: summary.join(', ') };
}

/** A connected admin client and how to close it. */
export interface TopicsAdminSession {
  readonly admin: TopicsAdmin;
  close(): Promise<void>;
}

/** Connect a kafkajs admin client (quiet; a few retries so an unreachable cluster fails in seconds). */
export async function connectTopicsAdmin(config: KafkaConfig): Promise<TopicsAdminSession> {
  const admin = new Kafka({ ...toKafkaJsConfig(config), retry: { retries: 3, initialRetryTime: 300 } }).admin();
  await admin.connect();
  return { admin, close: () => admin.disconnect() };
}

/* ------------------------------------------------------------------------------------------ */
/* The command: plan | apply | check                                                           */
/* ------------------------------------------------------------------------------------------ */

export type TopicsAction = 'plan' | 'apply' | 'check';

export interface TopicsCommandOptions {
  readonly action: TopicsAction;
  /** An `x-environments` name. */
  readonly environment?: string;
  /** Overrides `KAFKA_BROKERS`. */
  readonly brokers?: string;
  /** Machine-readable output on stdout. */
  readonly json?: boolean;
  /** Remove per-topic overrides the catalog does not declare (apply). */
  readonly removeUndeclaredConfigs?: boolean;
  /** apply: change nothing when any difference cannot be fixed (default: apply the rest, exit 1). */
  readonly allOrNothing?: boolean;
}

export interface TopicsIo {
  out(line: string): void;
  err(line: string): void;
  readonly env: Env;
}

export type ConnectTopicsAdmin = (config: KafkaConfig) => Promise<TopicsAdminSession>;

/** The JSON document `--json` prints. */
export interface TopicsReport {
  readonly command: TopicsAction;
  readonly catalog: string;
  readonly environment: string | null;
  readonly ok: boolean;
  readonly topics: number;
  readonly errors: number;
  readonly warnings: number;
  readonly drift: TopicPlan['drift'];
  readonly applied: readonly string[];
  /** The errors: differences apply cannot fix (it applies the rest, or nothing with --all-or-nothing). */
  readonly unfixable: TopicPlan['drift'];
  /** Drift left after apply (e.g. a replication factor apply does not change). */
  readonly remaining: TopicPlan['drift'];
}

/**
 * Run `plan` (show the drift, change nothing), `apply` (repair it) or `check` (exit 1 on drift).
 * Exit codes: 0 ok, 1 drift / refused / cluster error, 2 usage error.
 */
export async function runTopicsCommand(
  topology: TopicTopology,
  options: TopicsCommandOptions,
  io: TopicsIo,
  connect: ConnectTopicsAdmin = connectTopicsAdmin,
): Promise<number> {
  let desired: readonly TopicSpec[];
  let connection: TopicsConnection;
  try {
    desired = topicsForEnvironment(topology, options.environment);
    connection = topicsConnectionFromEnv(io.env, options.brokers);
  } catch (err) {
    io.err(`topics: ${errorMessage(err)}`);
    return 2;
  }
  const env = options.environment ?? null;
  const where = `${topology.catalog}${env ? ` (environment ${env})` : ''}`;
  const planOptions = { removeUndeclaredConfigs: options.removeUndeclaredConfigs === true };
  let session: TopicsAdminSession | undefined;
  try {
    session = await connect(connection.config);
    const names = desired.map((t) => t.name);
    const plan = planTopics(desired, await describeLiveTopics(session.admin, names), planOptions);
    let applied: string[] = [];
    let remaining: TopicPlan['drift'] = [];
    const allOrNothing = options.allOrNothing === true;
    if (options.action === 'apply' && (plan.errors === 0 || !allOrNothing)) {
      applied = await applyTopicPlan(session.admin, plan, { allOrNothing });
      if (applied.length) remaining = (await settle(session.admin, desired, names, planOptions)).drift.filter((d) => d.severity !== 'warning');
    }
    const warnings = plan.drift.filter((d) => d.severity === 'warning').length;
    const failed = plan.errors > 0 || (options.action === 'check' && hasTopicDrift(plan)) || remaining.some((d) => d.kind !== 'replication-factor');
    if (options.json) {
      const report: TopicsReport = {
        command: options.action,
        catalog: topology.catalog,
        environment: env,
        ok: !failed,
        topics: desired.length,
        errors: plan.errors,
        warnings,
        drift: plan.drift,
        applied,
        unfixable: plan.drift.filter((d) => d.severity === 'error'),
        remaining,
      };
      io.out(JSON.stringify(report, null, 2));
      return failed ? 1 : 0;
    }
    const table = formatTopicPlan(plan);
    if (table) io.out(table);
    io.out(summaryLine(options.action, plan, applied, remaining, desired.length, where, connection.summary, allOrNothing));
    return failed ? 1 : 0;
  } catch (err) {
    const message = `topics: ${options.action} failed against ${connection.summary}: ${errorMessage(err)}`;
    if (options.json) io.out(JSON.stringify({ command: options.action, catalog: topology.catalog, environment: env, ok: false, error: message }, null, 2));
    io.err(message);
    return 1;
  } finally {
    await session?.close().catch(() => undefined);
  }
}

/** Re-plan after apply until the cluster's metadata shows the changes (it may lag a moment). */
async function settle(admin: TopicsAdmin, desired: readonly TopicSpec[], names: readonly string[], options: { removeUndeclaredConfigs: boolean }): Promise<TopicPlan> {
  let plan = planTopics(desired, await describeLiveTopics(admin, names), options);
  for (let i = 0; i < 10 && plan.drift.some((d) => d.action !== 'none'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    plan = planTopics(desired, await describeLiveTopics(admin, names), options);
  }
  return plan;
}

function summaryLine(
  action: TopicsAction,
  plan: TopicPlan,
  applied: readonly string[],
  remaining: TopicPlan['drift'],
  total: number,
  where: string,
  conn: string,
  allOrNothing: boolean,
): string {
  const changes = plan.drift.filter((d) => d.action !== 'none').length;
  const warnings = plan.drift.filter((d) => d.severity === 'warning').length;
  const tail = `${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''} (${conn})`;
  if (plan.errors > 0) {
    const errors = `${plan.errors} error${plan.errors === 1 ? '' : 's'}`;
    const named = `cannot fix ${plan.drift.filter((d) => d.severity === 'error').map(unfixableName).join(', ')} (see above)`;
    if (action !== 'apply') {
      return `topics: ${where}: ${errors}; apply ${named}; it would make the other ${changes} change${changes === 1 ? '' : 's'} (none with --all-or-nothing)${tail}`;
    }
    if (allOrNothing) return `topics: ${where}: ${errors}; nothing was changed (--all-or-nothing): ${named}${tail}`;
    const lines = applied.map((a) => `  ${a}`);
    const left = remaining.filter((d) => d.severity !== 'error');
    const more = left.length ? `; ${left.length} other difference${left.length === 1 ? ' remains' : 's remain'}` : '';
    return [...lines, `topics: ${where}: applied ${applied.length} change${applied.length === 1 ? '' : 's'}; ${errors}: ${named}${more}${tail}`].join('\n');
  }
  if (action === 'apply') {
    const lines = applied.map((a) => `  ${a}`);
    const left = remaining.length ? `; ${remaining.length} difference${remaining.length === 1 ? ' remains' : 's remain'} (see above)` : '';
    const unfixable = plan.drift.filter((d) => d.severity === 'drift').length;
    const head = applied.length
      ? `topics: ${where}: applied ${applied.length} change${applied.length === 1 ? '' : 's'}${left}${tail}`
      : unfixable
        ? `topics: ${where}: nothing apply can change; ${unfixable} difference${unfixable === 1 ? ' remains' : 's remain'} (see above)${tail}`
        : `topics: ${where}: nothing to change, ${total} topics match${tail}`;
    return [...lines, head].join('\n');
  }
  if (plan.drift.length === 0 || (!hasTopicDrift(plan) && changes === 0)) return `topics: ${where}: ${total} topics match the cluster${tail}`;
  return `topics: ${where}: ${plan.drift.length - warnings} difference${plan.drift.length - warnings === 1 ? '' : 's'}, ${changes} change${changes === 1 ? '' : 's'} for apply${tail}`;
}

/** An error finding in a few words for the summary line: `orders partitions (catalog 6, cluster 8)`. */
function unfixableName(d: TopicPlan['drift'][number]): string {
  const what = d.kind === 'config' || d.kind === 'undeclared-config' ? `config ${d.subject}` : d.subject;
  return `${d.topic} ${what} (catalog ${d.catalog ?? '-'}, cluster ${d.cluster ?? '-'})`;
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause: unknown = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error && !err.message.includes(cause.message) ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}

export const TOPICS_USAGE = `usage: topics [plan|apply|check] [--env <name>] [--brokers <host:port,...>] [--json] [--remove-undeclared-configs] [--all-or-nothing]

  plan    show how the cluster differs from the catalog (default; changes nothing)
  apply   create missing topics, add partitions, set declared configs; a difference it cannot fix
          (fewer partitions than the cluster has, a hidden sensitive override) is reported and exits 1
          after the other changes are made, or with --all-or-nothing nothing is changed
  check   exit 1 when the cluster differs from the catalog (for CI)

Connection: --brokers or KAFKA_BROKERS; KAFKA_CLIENT_ID; KAFKA_SASL_MECHANISM (plain, scram-sha-256,
scram-sha-512) with KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD; KAFKA_SSL=true with KAFKA_SSL_CA_FILE.`;

/** Parse `plan|apply|check` and flags (throws TopicsUsageError). Returns undefined for --help. */
export function parseTopicsArgs(argv: readonly string[]): TopicsCommandOptions | undefined {
  let action: TopicsAction | undefined;
  let environment: string | undefined;
  let brokers: string | undefined;
  let json = false;
  let remove = false;
  let allOrNothing = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '' || (inline === undefined && v.startsWith('--'))) throw new TopicsUsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--help':
      case '-h':
        return undefined;
      case '--env':
        environment = value();
        break;
      case '--brokers':
        brokers = value();
        break;
      case '--json':
        json = true;
        break;
      case '--remove-undeclared-configs':
        remove = true;
        break;
      case '--all-or-nothing':
        allOrNothing = true;
        break;
      case 'plan':
      case 'apply':
      case 'check':
        if (action) throw new TopicsUsageError(`unexpected argument: ${arg}`);
        action = flag;
        break;
      default:
        throw new TopicsUsageError(arg.startsWith('-') ? `unknown option: ${arg}` : `unknown command: ${arg} (plan, apply or check)`);
    }
  }
  return {
    action: action ?? 'plan',
    json,
    removeUndeclaredConfigs: remove,
    allOrNothing,
    ...(environment !== undefined ? { environment } : {}),
    ...(brokers !== undefined ? { brokers } : {}),
  };
}

/** Entry point of a generated `scripts/topics.ts`: parse `argv`, run, resolve to the exit code. */
export async function runTopicsCli(topology: TopicTopology, argv: readonly string[], io?: TopicsIo): Promise<number> {
  const out: TopicsIo = io ?? {
    out: (s) => process.stdout.write(`${s}\n`),
    err: (s) => process.stderr.write(`${s}\n`),
    env: process.env,
  };
  let options: TopicsCommandOptions | undefined;
  try {
    options = parseTopicsArgs(argv);
  } catch (err) {
    out.err(`topics: ${errorMessage(err)}\n\n${TOPICS_USAGE}`);
    return 2;
  }
  if (!options) {
    out.out(TOPICS_USAGE);
    return 0;
  }
  return runTopicsCommand(topology, options, out);
}
