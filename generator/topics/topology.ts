/**
 * The catalog's desired topic topology: every channel topic and the dead-letter topics the catalog's
 * policies imply, for the defaults and for each `x-environments` name. Pure; the one source of what
 * `gen topics`, `scripts/topics.ts`, `scripts/topics.sh` and `topology.json` provision.
 */
import type { TopicSpec, TopicTopology } from '../../templates/runtime/topics-plan.js';
import { retryTopicNames, retryTopicsFor } from '../model/extensions.js';
import { fillTemplate, parameterCombinations } from '../model/parameters.js';
import type { Catalog, Topic } from '../model/types.js';

export type { TopicSpec, TopicTopology } from '../../templates/runtime/topics-plan.js';

type ConfigValue = string | number | boolean | string[];

/** A catalog config value as Kafka writes it: lists comma-joined, numbers and booleans as text. */
export function configString(v: ConfigValue): string {
  return Array.isArray(v) ? v.join(',') : String(v);
}

function configStrings(config: Readonly<Record<string, ConfigValue>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(config).sort()) {
    const v = config[k];
    if (v !== undefined) out[k] = configString(v);
  }
  return out;
}

/** Every environment name some channel declares in `x-environments`, sorted. */
export function environmentNames(catalog: Catalog): string[] {
  return [...new Set(catalog.topics.flatMap((t) => Object.keys(t.environments)))].sort();
}

/**
 * The concrete Kafka topics of a catalog topic in one environment: its name, or for an address with parameters one
 * topic per combination of the environment's values (`x-environments.<env>.parameters`, else the enumerated ones);
 * none when a parameter has no values there (the model warned: `topic-parameters-open`).
 */
export function topicInstances(t: Topic, environment?: string): Array<{ name: string; deadLetter: string }> {
  if (!t.parameters?.length) return [{ name: t.name, deadLetter: t.deadLetter.topic }];
  const o = environment !== undefined && Object.prototype.hasOwnProperty.call(t.environments, environment) ? t.environments[environment] : undefined;
  const combos = parameterCombinations(t.parameters, (p) => (o?.parameters && Object.hasOwn(o.parameters, p.name) ? o.parameters[p.name] : p.values)) ?? [];
  // A dead-letter topic written with the parameters (the default `<address>.dlq`) is one per topic; a literal one is shared.
  return combos.map((c) => ({ name: fillTemplate(t.name, c), deadLetter: fillTemplate(t.deadLetter.topic, c) }));
}

/** `retention.ms` of a retry topic when `x-retry.retentionMs` is not set: 7 days. */
export const DEFAULT_RETRY_RETENTION_MS = 604_800_000;

/** The topics to provision for one environment (undefined: the defaults). */
export function topicSpecs(catalog: Catalog, environment?: string): TopicSpec[] {
  const specs: TopicSpec[] = [];
  const resolved = new Map<string, { partitions?: number; replicas?: number }>();
  const dlqs = new Map<string, Array<{ topic: Topic; name: string }>>();
  for (const t of catalog.topics) {
    const o = environment !== undefined && Object.prototype.hasOwnProperty.call(t.environments, environment) ? t.environments[environment] : undefined;
    const partitions = o?.partitions ?? t.partitions;
    const replicas = o?.replicas ?? t.replicas;
    for (const instance of topicInstances(t, environment)) {
      resolved.set(instance.name, { ...(partitions !== undefined ? { partitions } : {}), ...(replicas !== undefined ? { replicas } : {}) });
      specs.push({
        name: instance.name,
        ...(partitions !== undefined ? { partitions } : {}),
        ...(replicas !== undefined ? { replicationFactor: replicas } : {}),
        config: configStrings({ ...t.config, ...(o?.config ?? {}) }),
      });
      if (!t.deadLetter.enabled) continue;
      const list = dlqs.get(instance.deadLetter) ?? [];
      list.push({ topic: t, name: instance.name });
      dlqs.set(instance.deadLetter, list);
    }
  }
  // Dead-letter topics: one per name (a shared DLQ once). Unset partitions/replicas: the maximum over
  // its source topics; config: the policies' own (never the source topic's: a DLQ is not compacted).
  for (const [name, sources] of dlqs) {
    const max = (values: Array<number | undefined>): number | undefined => {
      const defined = values.filter((v): v is number => v !== undefined);
      return defined.length ? Math.max(...defined) : undefined;
    };
    const partitions = max(sources.map((s) => s.topic.deadLetter.partitions)) ?? max(sources.map((s) => resolved.get(s.name)?.partitions));
    const replicas = max(sources.map((s) => s.topic.deadLetter.replicas)) ?? max(sources.map((s) => resolved.get(s.name)?.replicas));
    const config: Record<string, string> = {};
    for (const s of [...sources].reverse()) Object.assign(config, s.topic.deadLetter.config);
    specs.push({
      name,
      ...(partitions !== undefined ? { partitions } : {}),
      ...(replicas !== undefined ? { replicationFactor: replicas } : {}),
      config: configStrings(config),
      deadLetterFor: sources.map((s) => s.name),
    });
  }
  // Retry topics (x-retry mode topics): per consuming group, one per delay; partitions and replicas the topic's
  // unless x-retry says otherwise, retention x-retry.retentionMs or 7 days.
  for (const t of catalog.topics) {
    const main = resolved.get(t.name);
    const replicas = main?.replicas;
    for (const g of catalog.groups) {
      if (!g.subscriptions.some((s) => s.topic === t.id)) continue;
      const spec = retryTopicsFor(t, g);
      if (spec === undefined) continue;
      const partitions = spec.partitions ?? main?.partitions;
      for (const name of retryTopicNames(spec, t.name, g.groupId)) {
        specs.push({
          name,
          ...(partitions !== undefined ? { partitions } : {}),
          ...(replicas !== undefined ? { replicationFactor: replicas } : {}),
          config: { 'retention.ms': String(spec.retentionMs ?? DEFAULT_RETRY_RETENTION_MS) },
        });
      }
    }
  }
  return specs;
}

/** The whole topology: defaults and every environment. */
export function catalogTopology(catalog: Catalog): TopicTopology {
  const environments: Record<string, TopicSpec[]> = {};
  for (const env of environmentNames(catalog)) environments[env] = topicSpecs(catalog, env);
  return { catalog: catalog.sourcePath, topics: topicSpecs(catalog), environments };
}
