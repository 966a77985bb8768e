/** Plain-text facts about topics, events and groups, shared by the Markdown and HTML renderers. */
import type { Catalog, ConsumerGroup, EventType, KeyRule, Topic } from '../../model/types.js';

export function keyText(key: KeyRule): string {
  switch (key.kind) {
    case 'field':
      return `field ${key.path.join('.')}`;
    case 'constant':
      return `constant "${key.value}"`;
    default:
      return 'none (spread)';
  }
}

/** The key rules of a topic's events: one line when they agree, else `type: rule` per event. */
export function topicKeyText(topic: Topic, events: ReadonlyMap<string, EventType>): string {
  const rules = topic.events.map((t) => events.get(t)).filter((e): e is EventType => e !== undefined).map((e) => [e.type, keyText(e.key)] as const);
  const distinct = [...new Set(rules.map((r) => r[1]))];
  if (distinct.length <= 1) return distinct[0] ?? '—';
  return rules.map(([t, r]) => `${t}: ${r}`).join('; ');
}

const DAY = 86_400_000;

export function durationText(ms: number): string {
  if (ms === -1) return 'forever';
  if (ms % DAY === 0) return `${ms / DAY} day${ms === DAY ? '' : 's'}`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms} ms`;
}

function configValue(v: string | number | boolean | string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(', ') : String(v);
}

export function retentionText(topic: Topic): string {
  const raw = topic.config['retention.ms'];
  if (raw === undefined) return 'broker default';
  const ms = Number(raw);
  return Number.isInteger(ms) ? durationText(ms) : String(raw);
}

export function cleanupText(topic: Topic): string {
  return configValue(topic.config['cleanup.policy']) ?? 'delete (default)';
}

export function dlqText(topic: Topic): string {
  return topic.deadLetter.enabled ? topic.deadLetter.topic : 'disabled';
}

export function countText(n: number | undefined): string {
  return n === undefined ? 'broker default' : String(n);
}

/** Every topic configuration entry, Kafka spelling, sorted. */
export function configEntries(config: Topic['config']): Array<[string, string]> {
  return Object.keys(config)
    .sort()
    .map((k) => [k, configValue(config[k]) ?? '']);
}

export function retryText(topic: Topic, groups: readonly ConsumerGroup[] = []): string {
  const own = topicRetryText(topic, topic.retryTopics);
  // Groups whose receive operation chose otherwise (operation x-retry).
  const overrides = groups.flatMap((g) => {
    const sub = g.subscriptions.find((s) => s.topic === topic.id);
    return sub?.retryTopics === undefined ? [] : [`group ${g.groupId}: ${topicRetryText(topic, sub.retryTopics ?? undefined)}`];
  });
  return overrides.length === 0 ? own : `${own}; ${overrides.join('; ')}`;
}

function topicRetryText(topic: Topic, rt: Topic['retryTopics']): string {
  if (rt !== undefined) {
    const names = rt.topicName.replaceAll('{topic}', topic.name).replaceAll('{group}', '<group>').replaceAll('{n}', rt.delaysMs.length === 1 ? '1' : `{1..${rt.delaysMs.length}}`);
    return `retry topics (non-blocking) after ${rt.delaysMs.map(durationText).join(', ')}: ${names} per consumer group, then the dead-letter topic`;
  }
  const r = topic.retry;
  if (r.maxRetries === 0) return 'no retries';
  return `${r.maxRetries} retries, ${r.initialDelayMs} ms → ${r.maxDelayMs} ms (×${r.multiplier}, jitter ${r.jitter})`;
}

/** Groups that receive `eventType` from `topicId`. */
export function consumersOf(catalog: Catalog, topicId: string, eventType?: string): ConsumerGroup[] {
  return catalog.groups.filter((g) => g.subscriptions.some((s) => s.topic === topicId && (eventType === undefined || s.events.includes(eventType))));
}

export function eventTitle(e: EventType): string | undefined {
  return e.summary ?? e.title;
}
