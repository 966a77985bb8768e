/**
 * Topic provisioning, the pure part: the catalog's desired topology against a described cluster → the
 * drift and the changes that would repair it. No I/O here; `topics-admin.ts` describes the cluster,
 * applies plans and runs the command line on top of it.
 */

/** One topic as the catalog wants it (a channel's topic or a dead-letter topic). */
export interface TopicSpec {
  readonly name: string;
  /** Undefined: the broker default on creation, never compared. */
  readonly partitions?: number;
  /** Undefined: the broker default on creation, never compared. */
  readonly replicationFactor?: number;
  /** Kafka topic configs as Kafka spells them (`retention.ms`), values as strings. */
  readonly config: Readonly<Record<string, string>>;
  /** For a dead-letter topic: the topics whose failed records it receives. */
  readonly deadLetterFor?: readonly string[];
}

/** The desired topology of a catalog: the default topics, and the topics of each environment. */
export interface TopicTopology {
  /** Catalog path, shown in messages. */
  readonly catalog: string;
  readonly topics: readonly TopicSpec[];
  /** Environment name (`x-environments`) → the complete topic list with that environment's overrides. */
  readonly environments: Readonly<Record<string, readonly TopicSpec[]>>;
}

/** A topic config entry as described by the cluster. */
export interface LiveConfigEntry {
  /** Null when the broker hides the value (sensitive). */
  readonly value: string | null;
  /** True when the value is a per-topic override (config source TOPIC_CONFIG). */
  readonly override: boolean;
}

/** A topic as it exists on the cluster. */
export interface LiveTopic {
  readonly name: string;
  readonly partitions: number;
  /** Replicas of partition 0 (Kafka keeps the factor per partition; they agree unless reassigned). */
  readonly replicationFactor: number;
  readonly config: Readonly<Record<string, LiveConfigEntry>>;
}

export type TopicDriftKind = 'missing' | 'partitions' | 'replication-factor' | 'config' | 'undeclared-config';
export type TopicDriftAction = 'create' | 'add-partitions' | 'set-config' | 'remove-config' | 'none';

/** One difference between the catalog and the cluster. */
export interface TopicDrift {
  readonly topic: string;
  readonly kind: TopicDriftKind;
  /** `topic`, `partitions`, `replication-factor` or the config name. */
  readonly subject: string;
  /** What the catalog declares (null: nothing). */
  readonly catalog: string | null;
  /** What the cluster has (null: nothing). */
  readonly cluster: string | null;
  /** What `apply` does about it. */
  readonly action: TopicDriftAction;
  /** `error`: apply cannot fix it (it makes the other changes and exits 1; `--all-or-nothing`: none); `warning`: reported only; `drift`: apply repairs it. */
  readonly severity: 'drift' | 'warning' | 'error';
  readonly message: string;
}

export interface TopicCreation {
  readonly topic: string;
  readonly partitions?: number;
  readonly replicationFactor?: number;
  readonly config: Readonly<Record<string, string>>;
}

/** A config change: the complete set of per-topic overrides after the change (what `alterConfigs` takes). */
export interface TopicConfigChange {
  readonly topic: string;
  readonly overrides: Readonly<Record<string, string>>;
  readonly set: readonly string[];
  readonly removed: readonly string[];
}

export interface TopicPlan {
  readonly drift: readonly TopicDrift[];
  readonly create: readonly TopicCreation[];
  readonly addPartitions: ReadonlyArray<{ readonly topic: string; readonly count: number }>;
  readonly alterConfigs: readonly TopicConfigChange[];
  /** Number of `error` findings: apply exits 1 after the other changes (with `allOrNothing`, changes nothing). */
  readonly errors: number;
}

export interface PlanTopicsOptions {
  /** Remove per-topic overrides that the catalog does not declare (default false: warn only). */
  readonly removeUndeclaredConfigs?: boolean;
}

/** The topics of `topology` for an environment (undefined: the defaults). Throws for an unknown name. */
export function topicsForEnvironment(topology: TopicTopology, environment?: string): readonly TopicSpec[] {
  if (environment === undefined) return topology.topics;
  const topics = Object.prototype.hasOwnProperty.call(topology.environments, environment) ? topology.environments[environment] : undefined;
  if (topics === undefined) {
    const known = Object.keys(topology.environments);
    throw new RangeError(
      `unknown environment "${environment}" (${known.length ? `the catalog declares ${known.join(', ')}` : 'the catalog declares no x-environments'})`,
    );
  }
  return topics;
}

/** Config values compared as Kafka means them: list-valued configs as sets, everything else trimmed. */
export function sameTopicConfigValue(name: string, a: string, b: string): boolean {
  if (name === 'cleanup.policy') return listKey(a) === listKey(b);
  return a.trim() === b.trim();
}

function listKey(v: string): string {
  return [...new Set(v.split(',').map((s) => s.trim()).filter(Boolean))].sort().join(',');
}

/** Desired vs live → drift and changes. Pure. */
export function planTopics(
  desired: readonly TopicSpec[],
  live: ReadonlyMap<string, LiveTopic>,
  options: PlanTopicsOptions = {},
): TopicPlan {
  const drift: TopicDrift[] = [];
  const create: TopicCreation[] = [];
  const addPartitions: Array<{ topic: string; count: number }> = [];
  const alterConfigs: TopicConfigChange[] = [];
  for (const spec of desired) {
    const current = live.get(spec.name);
    if (!current) {
      const creation: { -readonly [K in keyof TopicCreation]: TopicCreation[K] } = { topic: spec.name, config: { ...spec.config } };
      if (spec.partitions !== undefined) creation.partitions = spec.partitions;
      if (spec.replicationFactor !== undefined) creation.replicationFactor = spec.replicationFactor;
      create.push(creation);
      drift.push({
        topic: spec.name,
        kind: 'missing',
        subject: 'topic',
        catalog: describeSpec(spec),
        cluster: null,
        action: 'create',
        severity: 'drift',
        message: `${spec.name} does not exist`,
      });
      continue;
    }
    if (spec.partitions !== undefined && spec.partitions !== current.partitions) {
      const more = spec.partitions > current.partitions;
      if (more) addPartitions.push({ topic: spec.name, count: spec.partitions });
      drift.push({
        topic: spec.name,
        kind: 'partitions',
        subject: 'partitions',
        catalog: String(spec.partitions),
        cluster: String(current.partitions),
        action: more ? 'add-partitions' : 'none',
        severity: more ? 'drift' : 'error',
        message: more
          ? `${spec.name} has ${current.partitions} partitions, the catalog declares ${spec.partitions} (records with a key may move to another partition)`
          : `${spec.name} has ${current.partitions} partitions but the catalog declares ${spec.partitions}: Kafka cannot remove partitions. ` +
            `Fix: declare partitions: ${current.partitions} (or more) in the catalog, or create a new topic with fewer partitions and migrate to it.`,
      });
    }
    if (spec.replicationFactor !== undefined && spec.replicationFactor !== current.replicationFactor) {
      drift.push({
        topic: spec.name,
        kind: 'replication-factor',
        subject: 'replication-factor',
        catalog: String(spec.replicationFactor),
        cluster: String(current.replicationFactor),
        action: 'none',
        severity: 'drift',
        message:
          `${spec.name} has replication factor ${current.replicationFactor}, the catalog declares ${spec.replicationFactor}; ` +
          'apply does not change it: reassign replicas with kafka-reassign-partitions.sh',
      });
    }
    const set: string[] = [];
    const removed: string[] = [];
    for (const name of Object.keys(spec.config).sort()) {
      const want = spec.config[name] ?? '';
      const have = current.config[name];
      if (have && have.value !== null && sameTopicConfigValue(name, want, have.value)) continue;
      set.push(name);
      drift.push({
        topic: spec.name,
        kind: 'config',
        subject: name,
        catalog: want,
        cluster: have ? have.value : null,
        action: 'set-config',
        severity: 'drift',
        message: have ? `${spec.name}: ${name} is ${have.value ?? '(hidden)'}, the catalog declares ${want}` : `${spec.name}: the broker does not report ${name}`,
      });
    }
    for (const name of Object.keys(current.config).sort()) {
      const have = current.config[name];
      if (!have?.override || Object.prototype.hasOwnProperty.call(spec.config, name)) continue;
      if (options.removeUndeclaredConfigs) removed.push(name);
      drift.push({
        topic: spec.name,
        kind: 'undeclared-config',
        subject: name,
        catalog: null,
        cluster: have.value,
        action: options.removeUndeclaredConfigs ? 'remove-config' : 'none',
        severity: 'warning',
        message: options.removeUndeclaredConfigs
          ? `${spec.name}: ${name}=${have.value ?? '(hidden)'} is set on the cluster but not in the catalog; it is removed`
          : `${spec.name}: ${name}=${have.value ?? '(hidden)'} is set on the cluster but not in the catalog; kept (add it to the catalog, or remove it with --remove-undeclared-configs)`,
      });
    }
    if (set.length || removed.length) {
      // alterConfigs replaces every override of the topic: carry the ones we keep.
      const overrides: Record<string, string> = {};
      let hidden: string | undefined;
      for (const [name, entry] of Object.entries(current.config)) {
        if (!entry.override || removed.includes(name)) continue;
        if (entry.value === null) hidden ??= name;
        else overrides[name] = entry.value;
      }
      for (const name of set) overrides[name] = spec.config[name] ?? '';
      if (hidden !== undefined && !set.includes(hidden)) {
        drift.push({
          topic: spec.name,
          kind: 'config',
          subject: hidden,
          catalog: null,
          cluster: '(hidden)',
          action: 'none',
          severity: 'error',
          message: `${spec.name}: ${hidden} is a sensitive override whose value the broker hides, so the other configs cannot be altered without losing it; alter them with kafka-configs.sh`,
        });
      } else {
        alterConfigs.push({ topic: spec.name, overrides: sortRecord(overrides), set, removed });
      }
    }
  }
  return { drift, create, addPartitions, alterConfigs, errors: drift.filter((d) => d.severity === 'error').length };
}

/** Whether `check` fails: anything but warnings. */
export function hasTopicDrift(plan: TopicPlan): boolean {
  return plan.drift.some((d) => d.severity !== 'warning');
}

function describeSpec(spec: TopicSpec): string {
  const p = spec.partitions === undefined ? 'default' : String(spec.partitions);
  const rf = spec.replicationFactor === undefined ? 'default' : String(spec.replicationFactor);
  return `${p} partitions, rf ${rf}`;
}

function sortRecord(r: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k] ?? '';
  return out;
}

const ACTION_TEXT: Readonly<Record<TopicDriftAction, string>> = {
  create: 'create',
  'add-partitions': 'add partitions',
  'set-config': 'alter config',
  'remove-config': 'remove config',
  none: '-',
};

/** The drift as a plain-text table (one row per difference) followed by errors and warnings in full. */
export function formatTopicPlan(plan: TopicPlan): string {
  if (plan.drift.length === 0) return '';
  const rows = [['TOPIC', 'WHAT', 'CATALOG', 'CLUSTER', 'APPLY']];
  for (const d of plan.drift) {
    const action = d.severity === 'error' ? 'ERROR' : d.severity === 'warning' && d.action === 'none' ? 'warn (kept)' : ACTION_TEXT[d.action];
    const what = d.kind === 'config' || d.kind === 'undeclared-config' ? `config ${d.subject}` : d.subject;
    rows.push([d.topic, what, d.catalog ?? '-', d.cluster ?? '-', d.kind === 'replication-factor' ? 'report only' : action]);
  }
  const widths = (rows[0] ?? []).map((_, i) => Math.min(48, Math.max(...rows.map((r) => (r[i] ?? '').length))));
  const lines = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
  const notes = plan.drift.filter((d) => d.severity !== 'drift' || d.kind === 'replication-factor');
  if (notes.length) {
    lines.push('');
    for (const d of notes) lines.push(`${d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warning' : 'note'}: ${d.message}`);
  }
  return lines.join('\n');
}
