/**
 * Kafka topic configuration from the channel binding's `topicConfiguration`: known keys are type-checked
 * (a typo such as `cleanup.policy: compacted` is an error where it is written); unknown keys are kept
 * and warned about, since brokers and vendors add their own.
 */
import type { At, ModelContext } from './context.js';
import { isRecord } from './context.js';

type Check = (v: unknown) => string | undefined;

const int = (min: number): Check => (v) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min ? undefined : `an integer >= ${min}`;
const oneOf = (...values: string[]): Check => (v) => (typeof v === 'string' && values.includes(v) ? undefined : `one of ${values.join(', ')}`);
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'true or false');
const str: Check = (v) => (typeof v === 'string' && v.length > 0 ? undefined : 'a non-empty string');
const cleanup: Check = (v) => {
  const list = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',').map((s) => s.trim()) : undefined;
  if (!list || list.length === 0) return 'a list of delete and/or compact';
  return list.every((x) => x === 'delete' || x === 'compact') ? undefined : 'a list of delete and/or compact';
};

export const TOPIC_CONFIGS: Record<string, Check> = {
  'cleanup.policy': cleanup,
  'retention.ms': int(-1),
  'retention.bytes': int(-1),
  'delete.retention.ms': int(0),
  'max.message.bytes': int(0),
  'min.insync.replicas': int(1),
  'segment.bytes': int(14),
  'segment.ms': int(1),
  'min.compaction.lag.ms': int(0),
  'max.compaction.lag.ms': int(1),
  'min.cleanable.dirty.ratio': (v) => (typeof v === 'number' && v >= 0 && v <= 1 ? undefined : 'a number from 0 to 1'),
  'compression.type': oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'),
  'message.timestamp.type': oneOf('CreateTime', 'LogAppendTime'),
  'unclean.leader.election.enable': bool,
  'local.retention.ms': int(-2),
  'local.retention.bytes': int(-2),
  'remote.storage.enable': bool,
  'confluent.key.schema.validation': bool,
  'confluent.value.schema.validation': bool,
  'confluent.key.subject.name.strategy': str,
  'confluent.value.subject.name.strategy': str,
};

export function readTopicConfig(ctx: ModelContext, at: At): Record<string, string | number | boolean | string[]> {
  const raw = ctx.read(at);
  const out: Record<string, string | number | boolean | string[]> = {};
  if (raw === undefined) return out;
  if (!isRecord(raw)) {
    ctx.report('error', 'topic-config-invalid', 'topicConfiguration must be a map of Kafka topic configs', at);
    return out;
  }
  for (const key of Object.keys(raw).sort()) {
    const v = raw[key];
    const check = Object.hasOwn(TOPIC_CONFIGS, key) ? TOPIC_CONFIGS[key] : undefined;
    const where = ctx.child(at, key);
    if (!check) {
      ctx.report('warning', 'topic-config-unknown', `"${key}" is not a Kafka topic config eventgen knows; it is passed through unchecked`, where);
    } else {
      const problem = check(v);
      if (problem) {
        ctx.report('error', 'topic-config-invalid', `${key} must be ${problem}, got ${JSON.stringify(v)}`, where);
        continue;
      }
    }
    // defineProperty: a key named `__proto__` is stored as written, never as the object's prototype.
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || (Array.isArray(v) && v.every((x): x is string => typeof x === 'string'))) {
      Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    } else ctx.report('error', 'topic-config-invalid', `${key} must be a string, number, boolean or list of strings`, where);
  }
  return out;
}
