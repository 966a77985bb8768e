/**
 * Validation of the `x-` extensions and Kafka bindings eventgen reads (documented in docs/catalog.md).
 * Every problem is a located diagnostic; a bad value falls back to the default so the rest of the
 * catalog is still checked in the same run.
 */
import type { At, ModelContext } from './context.js';
import { isRecord } from './context.js';
import { readEnvironmentParameters } from './parameters.js';
import { readTopicConfig } from './topic-config.js';
import type { CompatibilityMode, ConsumerGroup, DataClassification, DeadLetterPolicy, EventPriority, LiveSettings, RetryPolicy, RetryTopicsSpec, Topic, TopicEnvironment } from './types.js';

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 3, initialDelayMs: 200, maxDelayMs: 30_000, multiplier: 2, jitter: 0.2 };

const RETRY_RULES: Record<keyof RetryPolicy, { min: number; max?: number; integer: boolean; text: string }> = {
  maxRetries: { min: 0, max: 100, integer: true, text: 'an integer from 0 to 100' },
  initialDelayMs: { min: 1, integer: true, text: 'a positive integer (milliseconds)' },
  maxDelayMs: { min: 1, integer: true, text: 'a positive integer (milliseconds)' },
  multiplier: { min: 1, max: 100, integer: false, text: 'a number from 1 to 100' },
  jitter: { min: 0, max: 1, integer: false, text: 'a number from 0 to 1' },
};

function unknownKeys(ctx: ModelContext, value: Record<string, unknown>, allowed: string[], at: At, what: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      ctx.report('error', 'extension-invalid', `${what}: unknown property "${key}" (allowed: ${allowed.join(', ')})`, ctx.child(at, key));
    }
  }
}

/** `x-retry` (channel) or `x-eventgen.retry` (root), merged over `base`. */
export function readRetry(ctx: ModelContext, at: At, base: RetryPolicy, extraKeys: readonly string[] = []): RetryPolicy {
  const raw = ctx.read(at);
  if (raw === undefined) return base;
  if (!isRecord(raw)) {
    ctx.report('error', 'extension-invalid', 'x-retry must be an object', at);
    return base;
  }
  unknownKeys(ctx, raw, [...Object.keys(RETRY_RULES), ...extraKeys], at, 'x-retry');
  const out: RetryPolicy = { ...base };
  for (const key of Object.keys(RETRY_RULES) as Array<keyof RetryPolicy>) {
    const v = raw[key];
    if (v === undefined) continue;
    const rule = RETRY_RULES[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < rule.min || (rule.max !== undefined && v > rule.max) || (rule.integer && !Number.isInteger(v))) {
      ctx.report('error', 'extension-invalid', `x-retry.${key} must be ${rule.text}, got ${JSON.stringify(v)}`, ctx.child(at, key));
      continue;
    }
    out[key] = v;
  }
  if (out.maxDelayMs < out.initialDelayMs) {
    ctx.report('error', 'extension-invalid', `x-retry.maxDelayMs (${out.maxDelayMs}) is lower than initialDelayMs (${out.initialDelayMs})`, at);
  }
  return out;
}

/** Keys of a channel's `x-retry` that select and shape retry topics (read by {@link readRetryTopics}). */
export const RETRY_TOPIC_KEYS = ['mode', 'delays', 'topicName', 'partitions', 'retentionMs'] as const;

/** Default `x-retry.topicName`. */
export const DEFAULT_RETRY_TOPIC_NAME = '{topic}.retry.{group}.{n}';

const DURATION = /^(\d+)\s*(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A delay: a positive integer of milliseconds, or text `<n>ms|s|m|h` (`5s`, `30s`, `5m`). */
function readDuration(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 1 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = DURATION.exec(v.trim());
  if (m === null) return undefined;
  const ms = Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  return ms >= 1 && Number.isSafeInteger(ms) ? ms : undefined;
}

/**
 * A channel's `x-retry` retry-topic settings: `mode: topics` with `delays` (1 to 10 durations), optional `topicName`
 * (with `{n}`; `{topic}`, `{group}` available), `partitions`, `retentionMs`. Undefined for `mode: in-process` (the
 * default) or on errors (located; the topic then keeps in-process retries).
 */
export function readRetryTopics(ctx: ModelContext, at: At, parameterised: boolean): RetryTopicsSpec | undefined {
  const raw = ctx.read(at);
  if (!isRecord(raw)) return undefined;
  const mode = raw.mode;
  if (mode !== undefined && mode !== 'topics' && mode !== 'in-process') {
    ctx.report('error', 'extension-invalid', `x-retry.mode must be "topics" or "in-process", got ${JSON.stringify(mode)}`, ctx.child(at, 'mode'));
    return undefined;
  }
  if (mode !== 'topics') {
    for (const key of RETRY_TOPIC_KEYS) {
      if (key !== 'mode' && raw[key] !== undefined) ctx.report('error', 'extension-invalid', `x-retry.${key} applies to retry topics only: add mode: topics`, ctx.child(at, key));
    }
    return undefined;
  }
  let ok = true;
  const fail = (message: string, where: At): void => {
    ctx.report('error', 'extension-invalid', message, where);
    ok = false;
  };
  if (parameterised) fail('x-retry.mode: topics is not supported on a channel address with parameters yet', ctx.child(at, 'mode'));
  const delaysMs: number[] = [];
  const delays = raw.delays;
  if (!Array.isArray(delays) || delays.length === 0 || delays.length > 10) fail(`x-retry.delays must be a list of 1 to 10 delays (e.g. [5s, 30s, 5m]), got ${JSON.stringify(delays)}`, ctx.child(at, 'delays'));
  else
    delays.forEach((d, i) => {
      const ms = readDuration(d);
      if (ms === undefined) fail(`x-retry.delays[${i}] must be a positive integer of milliseconds or a duration like 5s, 30s, 5m, 1h, got ${JSON.stringify(d)}`, ctx.child(ctx.child(at, 'delays'), i));
      else delaysMs.push(ms);
    });
  const spec: RetryTopicsSpec = { delaysMs, topicName: DEFAULT_RETRY_TOPIC_NAME };
  const name = raw.topicName;
  if (name !== undefined) {
    if (typeof name !== 'string' || !name.includes('{n}') || /\{(?!topic\}|group\}|n\})[^}]*\}/.test(name) || !/^[A-Za-z0-9._{}-]+$/.test(name)) {
      fail(`x-retry.topicName must be a topic name template containing {n} (also {topic}, {group}; letters, digits, . _ -), got ${JSON.stringify(name)}`, ctx.child(at, 'topicName'));
    } else spec.topicName = name;
  }
  const partitions = positiveInt(ctx, raw.partitions, ctx.child(at, 'partitions'), 'x-retry.partitions');
  if (raw.partitions !== undefined && partitions === undefined) ok = false;
  if (partitions !== undefined) spec.partitions = partitions;
  const retentionMs = positiveInt(ctx, raw.retentionMs, ctx.child(at, 'retentionMs'), 'x-retry.retentionMs');
  if (raw.retentionMs !== undefined && retentionMs === undefined) ok = false;
  if (retentionMs !== undefined) spec.retentionMs = retentionMs;
  return ok ? spec : undefined;
}

/**
 * A receive operation's `x-retry`: its group's own choice on the channel — `mode: topics` with the retry-topic keys, or
 * `mode: in-process` (null) to opt out of the channel's retry topics. Undefined when absent or invalid (located).
 */
export function readOperationRetryTopics(ctx: ModelContext, at: At, parameterised: boolean): RetryTopicsSpec | null | undefined {
  const raw = ctx.read(at);
  if (raw === undefined) return undefined;
  if (!isRecord(raw)) {
    ctx.report('error', 'extension-invalid', 'x-retry must be an object', at);
    return undefined;
  }
  for (const key of Object.keys(raw)) {
    if (!(RETRY_TOPIC_KEYS as readonly string[]).includes(key)) ctx.report('error', 'extension-invalid', `x-retry on an operation chooses its group's retry topics only (${RETRY_TOPIC_KEYS.join(', ')}); "${key}" belongs in the channel's x-retry`, ctx.child(at, key));
  }
  if (raw.mode === undefined) {
    ctx.report('error', 'extension-invalid', 'x-retry on an operation needs mode: topics (with delays) or mode: in-process', at);
    return undefined;
  }
  const spec = readRetryTopics(ctx, at, parameterised);
  return raw.mode === 'in-process' ? null : spec;
}

/** The retry-topic settings group `group` uses on `topic`: its receive operation's `x-retry`, else the channel's (or the root's). */
export function retryTopicsFor(topic: Topic, group: ConsumerGroup): RetryTopicsSpec | undefined {
  const own = group.subscriptions.find((s) => s.topic === topic.id)?.retryTopics;
  return own === null ? undefined : (own ?? topic.retryTopics);
}

/** The retry topics of `topic` for consumer group `group`, in order (same filling as the runtime's `retryTopicName`). */
export function retryTopicNames(spec: RetryTopicsSpec, topic: string, group: string): string[] {
  return spec.delaysMs.map((_, i) => spec.topicName.replaceAll('{topic}', topic).replaceAll('{group}', group).replaceAll('{n}', String(i + 1)));
}

export interface DeadLetterDefaults {
  enabled: boolean;
  /** Shared topic for every channel, if set at the root. */
  topic?: string;
  partitions?: number;
  replicas?: number;
  config: Record<string, string>;
}

function positiveInt(ctx: ModelContext, v: unknown, at: At, what: string, rule = 'extension-invalid'): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    ctx.report('error', rule, `${what} must be a positive integer, got ${JSON.stringify(v)}`, at);
    return undefined;
  }
  return v;
}

function stringMap(ctx: ModelContext, v: unknown, at: At, what: string): Record<string, string> {
  if (v === undefined) return {};
  if (!isRecord(v)) {
    ctx.report('error', 'extension-invalid', `${what} must be a map of Kafka topic configs`, at);
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === 'string' || typeof val === 'number' || typeof val === 'boolean') Object.defineProperty(out, k, { value: String(val), enumerable: true, writable: true, configurable: true });
    else ctx.report('error', 'extension-invalid', `${what}.${k} must be a string, number or boolean`, ctx.child(at, k));
  }
  return out;
}

const DLQ_KEYS = ['enabled', 'topic', 'partitions', 'replicas', 'config'];

/** Root `x-eventgen.deadLetter`. */
export function readDeadLetterDefaults(ctx: ModelContext, at: At): DeadLetterDefaults {
  const raw = ctx.read(at);
  const out: DeadLetterDefaults = { enabled: true, config: {} };
  if (raw === undefined) return out;
  if (!isRecord(raw)) {
    ctx.report('error', 'extension-invalid', 'deadLetter must be an object', at);
    return out;
  }
  unknownKeys(ctx, raw, DLQ_KEYS, at, 'deadLetter');
  if (raw.enabled !== undefined) {
    if (typeof raw.enabled === 'boolean') out.enabled = raw.enabled;
    else ctx.report('error', 'extension-invalid', 'deadLetter.enabled must be true or false', ctx.child(at, 'enabled'));
  }
  if (raw.topic !== undefined) {
    const t = topicName(ctx, raw.topic, ctx.child(at, 'topic'));
    if (t) out.topic = t;
  }
  const partitions = positiveInt(ctx, raw.partitions, ctx.child(at, 'partitions'), 'deadLetter.partitions');
  if (partitions !== undefined) out.partitions = partitions;
  const replicas = positiveInt(ctx, raw.replicas, ctx.child(at, 'replicas'), 'deadLetter.replicas');
  if (replicas !== undefined) out.replicas = replicas;
  out.config = stringMap(ctx, raw.config, ctx.child(at, 'config'), 'deadLetter.config');
  return out;
}

/** Channel `x-dead-letter` over the root defaults, for topic `topic`. */
export function readDeadLetter(ctx: ModelContext, at: At, defaults: DeadLetterDefaults, topic: string): DeadLetterPolicy {
  const channel = readDeadLetterDefaults(ctx, at);
  const raw = ctx.read(at);
  const has = (k: string): boolean => isRecord(raw) && raw[k] !== undefined;
  const policy: DeadLetterPolicy = {
    enabled: has('enabled') ? channel.enabled : defaults.enabled,
    topic: channel.topic ?? defaults.topic ?? `${topic}.dlq`,
    config: { ...defaults.config, ...channel.config },
  };
  const partitions = channel.partitions ?? defaults.partitions;
  if (partitions !== undefined) policy.partitions = partitions;
  const replicas = channel.replicas ?? defaults.replicas;
  if (replicas !== undefined) policy.replicas = replicas;
  if (policy.enabled && policy.topic === topic) {
    ctx.report('error', 'extension-invalid', `the dead-letter topic of "${topic}" cannot be the topic itself`, at);
  }
  return policy;
}

const KAFKA_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

/** A literal Kafka topic name (`[a-zA-Z0-9._-]{1,249}`, not `.` or `..`). */
export function topicName(ctx: ModelContext, v: unknown, at: At): string | undefined {
  if (typeof v !== 'string' || !KAFKA_TOPIC.test(v) || v === '.' || v === '..') {
    const hint = typeof v === 'string' && /[{}]/.test(v) ? ' (channel parameters cannot name a Kafka topic: set bindings.kafka.topic to the literal topic name)' : '';
    ctx.report('error', 'topic-name-invalid', `${JSON.stringify(v)} is not a valid Kafka topic name: use 1-249 characters from [a-zA-Z0-9._-]${hint}`, at);
    return undefined;
  }
  return v;
}

const CLASSIFICATIONS: DataClassification[] = ['public', 'internal', 'confidential', 'restricted'];

export function readClassification(ctx: ModelContext, at: At): DataClassification {
  const raw = ctx.read(at);
  if (raw === undefined) return 'internal';
  if (typeof raw === 'string' && (CLASSIFICATIONS as string[]).includes(raw)) return raw as DataClassification;
  ctx.report('error', 'extension-invalid', `x-data-classification must be one of ${CLASSIFICATIONS.join(', ')}, got ${JSON.stringify(raw)}`, at);
  return 'internal';
}

/** Publishing priorities, most urgent first (`x-priority` on a message; the gateway's `X-Event-Priority`). */
export const PRIORITIES: readonly EventPriority[] = ['critical', 'high', 'normal', 'low'];

/** `x-priority` (message): the event's default priority when published through the gateway (default `normal`). */
export function readPriority(ctx: ModelContext, at: At): EventPriority | undefined {
  const raw = ctx.read(at);
  if (raw === undefined) return undefined;
  if (typeof raw === 'string' && (PRIORITIES as readonly string[]).includes(raw)) return raw as EventPriority;
  ctx.report('error', 'extension-invalid', `x-priority must be one of ${PRIORITIES.join(', ')}, got ${JSON.stringify(raw)}`, at);
  return undefined;
}

const LIVE_USER_FIELD = /^[A-Za-z_$][A-Za-z0-9_$-]{0,63}(\.[A-Za-z_$][A-Za-z0-9_$-]{0,63}){0,7}$/;
const LIVE_OVERFLOW = ['drop-oldest', 'close'] as const;

/** `x-live` (message): `{ userField, overflow }` for the live fan-out (docs/live.md); undefined when absent or invalid. */
export function readLive(ctx: ModelContext, at: At): LiveSettings | undefined {
  const raw = ctx.read(at);
  if (raw === undefined) return undefined;
  if (!isRecord(raw)) {
    ctx.report('error', 'extension-invalid', 'x-live must be an object such as { userField: customer.id, overflow: close }', at);
    return undefined;
  }
  unknownKeys(ctx, raw, ['userField', 'overflow'], at, 'x-live');
  const out: LiveSettings = {};
  if (raw.userField !== undefined) {
    if (typeof raw.userField === 'string' && LIVE_USER_FIELD.test(raw.userField) && !raw.userField.split('.').some((p) => p === '__proto__' || p === 'constructor' || p === 'prototype')) out.userField = raw.userField;
    else ctx.report('error', 'extension-invalid', `x-live.userField must be a dotted path of property names into the payload (e.g. customer.id), got ${JSON.stringify(raw.userField)}`, ctx.child(at, 'userField'));
  }
  if (raw.overflow !== undefined) {
    if (typeof raw.overflow === 'string' && (LIVE_OVERFLOW as readonly string[]).includes(raw.overflow)) out.overflow = raw.overflow as LiveSettings['overflow'];
    else ctx.report('error', 'extension-invalid', `x-live.overflow must be one of ${LIVE_OVERFLOW.join(', ')}, got ${JSON.stringify(raw.overflow)}`, ctx.child(at, 'overflow'));
  }
  return out.userField === undefined && out.overflow === undefined ? undefined : out;
}

export function readVersion(ctx: ModelContext, at: At): string {
  const raw = ctx.read(at);
  if (raw === undefined) return '1.0.0';
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  if (typeof raw === 'string' && /^[0-9A-Za-z.+-]{1,64}$/.test(raw)) return raw;
  ctx.report('error', 'extension-invalid', `x-event-version must be a version string such as "1.2.0", got ${JSON.stringify(raw)}`, at);
  return '1.0.0';
}

/** A Kafka binding value that may be a plain string or a Schema Object with `const`/single `enum`. */
export function bindingString(ctx: ModelContext, at: At, what: string, rule = 'binding-invalid'): string | undefined {
  const raw = ctx.read(at);
  if (raw === undefined) return undefined;
  if (typeof raw === 'string' && raw) return raw;
  if (isRecord(raw)) {
    if (typeof raw.const === 'string') return raw.const;
    if (Array.isArray(raw.enum) && raw.enum.length === 1 && typeof raw.enum[0] === 'string') return raw.enum[0];
    if (Array.isArray(raw.enum) && raw.enum.length > 1) {
      ctx.report('error', rule, `${what} lists ${raw.enum.length} values; eventgen needs exactly one`, at);
      return undefined;
    }
  }
  ctx.report('error', rule, `${what} must be a string or a schema with a single const/enum value`, at);
  return undefined;
}

const MODES: CompatibilityMode[] = ['BACKWARD', 'FORWARD', 'FULL', 'NONE'];

/** Message `x-compatibility`: BACKWARD (default), FORWARD, FULL or NONE. */
export function readCompatibility(ctx: ModelContext, at: At, fallback: CompatibilityMode = 'BACKWARD'): CompatibilityMode {
  const raw = ctx.read(at);
  if (raw === undefined) return fallback;
  if (typeof raw === 'string' && (MODES as string[]).includes(raw.toUpperCase())) return raw.toUpperCase() as CompatibilityMode;
  ctx.report('error', 'extension-invalid', `x-compatibility must be one of ${MODES.join(', ')}, got ${JSON.stringify(raw)}`, at);
  return fallback;
}

const ENV_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Channel `x-environments`: `{ <env>: { partitions?, replicas?, topicConfiguration?, parameters? } }`. */
export function readEnvironments(ctx: ModelContext, at: At): Record<string, TopicEnvironment> {
  const raw = ctx.read(at);
  const out: Record<string, TopicEnvironment> = {};
  if (raw === undefined) return out;
  if (!isRecord(raw)) {
    ctx.report('error', 'extension-invalid', 'x-environments must map environment names to overrides', at);
    return out;
  }
  for (const [name, value] of Object.entries(raw)) {
    const envAt = ctx.child(at, name);
    if (!ENV_NAME.test(name)) {
      ctx.report('error', 'extension-invalid', `x-environments: "${name}" is not a valid environment name (letters, digits, _ . -)`, envAt);
      continue;
    }
    if (!isRecord(value)) {
      ctx.report('error', 'extension-invalid', `x-environments.${name} must be an object`, envAt);
      continue;
    }
    unknownKeys(ctx, value, ['partitions', 'replicas', 'topicConfiguration', 'parameters'], envAt, `x-environments.${name}`);
    const env: TopicEnvironment = { config: readTopicConfig(ctx, ctx.child(envAt, 'topicConfiguration')) };
    const parameters = readEnvironmentParameters(ctx, ctx.child(envAt, 'parameters'));
    if (parameters) env.parameters = parameters;
    const partitions = positiveInt(ctx, value.partitions, ctx.child(envAt, 'partitions'), `x-environments.${name}.partitions`, 'topic-config-invalid');
    if (partitions !== undefined) env.partitions = partitions;
    const replicas = positiveInt(ctx, value.replicas, ctx.child(envAt, 'replicas'), `x-environments.${name}.replicas`, 'topic-config-invalid');
    if (replicas !== undefined) env.replicas = replicas;
    out[name] = env;
  }
  return out;
}

/**
 * Dead-letter topics across channels: a DLQ topic cannot be one of the catalog's channel topics, and the
 * channels sharing one DLQ topic must agree on its partitions, replicas and config.
 */
export function checkDeadLetterTopics(ctx: ModelContext, topics: readonly Topic[], atOf: (t: Topic) => At): void {
  const names = new Set(topics.map((t) => t.name));
  const first = new Map<string, Topic>();
  for (const t of topics) {
    const p = t.deadLetter;
    if (!p.enabled) continue;
    const at = ctx.child(atOf(t), 'x-dead-letter');
    if (names.has(p.topic)) {
      ctx.report('error', 'topic-config-invalid', `the dead-letter topic of "${t.name}" is "${p.topic}", which is also a channel topic of the catalog`, at);
      continue;
    }
    const other = first.get(p.topic);
    if (!other) {
      first.set(p.topic, t);
      continue;
    }
    const q = other.deadLetter;
    const conflicts: string[] = [];
    if (p.partitions !== undefined && q.partitions !== undefined && p.partitions !== q.partitions) conflicts.push(`partitions ${p.partitions} vs ${q.partitions}`);
    if (p.replicas !== undefined && q.replicas !== undefined && p.replicas !== q.replicas) conflicts.push(`replicas ${p.replicas} vs ${q.replicas}`);
    for (const [k, v] of Object.entries(p.config)) {
      const w = q.config[k];
      if (w !== undefined && w !== v) conflicts.push(`${k} ${v} vs ${w}`);
    }
    if (conflicts.length) {
      ctx.report('error', 'topic-config-invalid', `the shared dead-letter topic "${p.topic}" of "${t.name}" and "${other.name}" is declared with different settings: ${conflicts.join(', ')}`, at);
    }
  }
}
