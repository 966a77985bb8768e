/**
 * Topic rules: topics added/removed/renamed, partitions, replicas, cleanup.policy, retention, other
 * topic configuration, retry and dead-letter policies.
 */
import type { Topic } from '../model/types.js';
import { retryTopicsFor } from '../model/extensions.js';
import { locateIn, rootAt } from './locate.js';
import type { Change, ChangeSeverity, DiffSide } from './types.js';

/** Kafka's broker defaults, used when a side does not set the key. */
const KAFKA_DEFAULTS: Record<string, number> = { 'retention.ms': 604_800_000, 'retention.bytes': -1 };

type Add = (rule: string, severity: ChangeSeverity, subject: string, message: string, base?: Change['base'], head?: Change['head']) => void;

export function adder(out: Change[], kind: Change['kind']): Add {
  return (rule, severity, subject, message, base, head) => {
    const c: Change = { rule, severity, kind, subject, message };
    if (base) c.base = base;
    if (head) c.head = head;
    out.push(c);
  };
}

const sameEvents = (a: Topic, b: Topic): boolean => a.events.length > 0 && [...a.events].sort().join('\n') === [...b.events].sort().join('\n');

/** Diff the topics; returns base topic name → head topic name for every kept or renamed topic. */
export function diffTopics(base: DiffSide, head: DiffSide, out: Change[]): Map<string, string> {
  const add = adder(out, 'topic');
  const mapping = new Map<string, string>();
  const unmatchedHead = head.catalog.topics.filter((h) => !base.catalog.topics.some((b) => b.name === h.name));
  for (const b of base.catalog.topics) {
    let h = head.catalog.topics.find((t) => t.name === b.name);
    if (!h) {
      h = unmatchedHead.find((t) => t.id === b.id) ?? unmatchedHead.find((t) => sameEvents(t, b));
      if (h) {
        unmatchedHead.splice(unmatchedHead.indexOf(h), 1);
        add('topic-renamed', 'breaking', b.name, `topic renamed ${b.name} → ${h.name}: consumers subscribed to ${b.name} receive nothing new, and the new topic starts without the old records`, b.loc, h.loc);
      } else {
        add('topic-removed', 'breaking', b.name, `topic removed (it carried ${b.events.join(', ') || 'no events'})`, b.loc, rootAt(head, 'channels'));
        continue;
      }
    }
    mapping.set(b.name, h.name);
    compareTopic(base, head, b, h, add);
  }
  for (const h of unmatchedHead) add('topic-added', 'non-breaking', h.name, `topic added (carries ${h.events.join(', ') || 'no events'})`, rootAt(base, 'channels'), h.loc);
  return mapping;
}

const kafka = (side: DiffSide, t: Topic, ...segs: string[]): Change['base'] => locateIn(side, t.loc, 'bindings', 'kafka', ...segs);

function compareTopic(base: DiffSide, head: DiffSide, b: Topic, h: Topic, add: Add): void {
  const s = h.name;
  const keyed = h.events.filter((e) => head.catalog.events.find((x) => x.type === e)?.key.kind !== 'none');
  if (b.partitions !== h.partitions) {
    const bl = kafka(base, b, 'partitions');
    const hl = kafka(head, h, 'partitions');
    const from = `partitions ${b.partitions ?? 'broker default'} → ${h.partitions ?? 'broker default'}`;
    if (b.partitions === undefined || h.partitions === undefined) add('partitions-changed', 'info', s, `${from}: check the actual topic`, bl, hl);
    else if (h.partitions < b.partitions) add('partitions-decreased', 'breaking', s, `${from}: Kafka cannot remove partitions; the topic must be recreated (data and offsets lost)`, bl, hl);
    else if (keyed.length) {
      const compacted = JSON.stringify(h.config['cleanup.policy'] ?? '').includes('compact') ? '; compaction no longer sees old and new records of a key together' : '';
      add('partitions-increased-keyed', 'breaking', s, `${from}: keyed events (${keyed.join(', ')}) hash to other partitions, so per-key ordering breaks across the change${compacted}`, bl, hl);
    }
    else add('partitions-increased', 'non-breaking', s, `${from} (no keyed events on the topic)`, bl, hl);
  }
  if (b.replicas !== h.replicas) add('replicas-changed', 'info', s, `replicas ${b.replicas ?? 'broker default'} → ${h.replicas ?? 'broker default'}`, kafka(base, b, 'replicas'), kafka(head, h, 'replicas'));
  const keys = [...new Set([...Object.keys(b.config), ...Object.keys(h.config)])].sort();
  for (const key of keys) {
    const bv = b.config[key];
    const hv = h.config[key];
    if (JSON.stringify(bv) === JSON.stringify(hv)) continue;
    const bl = kafka(base, b, 'topicConfiguration', key);
    const hl = kafka(head, h, 'topicConfiguration', key);
    if (key === 'cleanup.policy') {
      const norm = (v: unknown): string => (v === undefined ? 'delete' : (Array.isArray(v) ? v.map(String) : String(v).split(',')).map((x) => x.trim()).sort().join(','));
      if (norm(bv) !== norm(hv)) add('cleanup-policy-changed', 'breaking', s, `cleanup.policy ${norm(bv)} → ${norm(hv)}: records consumers rely on may be deleted (compaction keeps only the latest per key)`, bl, hl);
      continue;
    }
    if (key in KAFKA_DEFAULTS) {
      const num = (v: unknown): number => {
        const n = v === undefined ? (KAFKA_DEFAULTS[key] as number) : Number(v);
        return n < 0 ? Infinity : n;
      };
      const [bn, hn] = [num(bv), num(hv)];
      const show = (v: unknown): string => (v === undefined ? `default (${KAFKA_DEFAULTS[key]})` : String(v));
      if (hn < bn) add('retention-lowered', 'breaking', s, `${key} ${show(bv)} → ${show(hv)}: records are deleted sooner; lagging consumers and replays lose data`, bl, hl);
      else if (hn > bn) add('retention-raised', 'info', s, `${key} ${show(bv)} → ${show(hv)}`, bl, hl);
      continue;
    }
    add('topic-config-changed', 'info', s, `${key} ${bv === undefined ? 'unset' : JSON.stringify(bv)} → ${hv === undefined ? 'unset' : JSON.stringify(hv)}`, bl, hl);
  }
  const retry = (Object.keys(b.retry) as Array<keyof Topic['retry']>).filter((k) => b.retry[k] !== h.retry[k]);
  if (retry.length) add('retry-policy-changed', 'info', s, retry.map((k) => `${k} ${b.retry[k]} → ${h.retry[k]}`).join(', '), locateIn(base, b.loc, 'x-retry'), locateIn(head, h.loc, 'x-retry'));
  compareDeadLetter(base, head, b, h, add);
  compareRetryTopics(base, head, b, h, add);
}

/** `x-retry.mode: topics`: retry topics added, removed or changed (records waiting in a dropped retry topic are stranded). */
function compareRetryTopics(base: DiffSide, head: DiffSide, b: Topic, h: Topic, add: Add): void {
  compareRetrySpecs(h.name, b.retryTopics, h.retryTopics, locateIn(base, b.loc, 'x-retry'), locateIn(head, h.loc, 'x-retry'), add);
  // Groups whose receive operation chooses its own retry topics (operation x-retry), on either side: their effective settings.
  for (const hg of head.catalog.groups) {
    const bg = base.catalog.groups.find((g) => g.groupId === hg.groupId);
    const hs = hg.subscriptions.find((x) => x.topic === h.id);
    const bs = bg?.subscriptions.find((x) => x.topic === b.id);
    if (bg === undefined || hs === undefined || bs === undefined || (hs.retryTopics === undefined && bs.retryTopics === undefined)) continue;
    compareRetrySpecs(`${h.name} (group ${hg.groupId})`, retryTopicsFor(b, bg), retryTopicsFor(h, hg), locateIn(base, bg.loc), locateIn(head, hg.loc), add);
  }
}

function compareRetrySpecs(s: string, br: Topic['retryTopics'], hr: Topic['retryTopics'], bl: Change['base'], hl: Change['head'], add: Add): void {
  if (br === undefined && hr === undefined) return;
  if (JSON.stringify(br) === JSON.stringify(hr)) return;
  const delays = (r: NonNullable<Topic['retryTopics']>): string => `[${r.delaysMs.map((d) => `${d} ms`).join(', ')}]`;
  if (br === undefined && hr !== undefined) {
    add('retry-topics-added', 'non-breaking', s, `retries now go through retry topics (${hr.topicName}, delays ${delays(hr)}): provision them (gen topics) before deploying the consumers; retried records are handled after later records of their key`, bl, hl);
    return;
  }
  if (br !== undefined && hr === undefined) {
    add('retry-topics-removed', 'breaking', s, `retry topics (${br.topicName}) no longer read: records waiting in them are stranded unless drained before the consumers are redeployed`, bl, hl);
    return;
  }
  if (br === undefined || hr === undefined) return;
  if (br.topicName !== hr.topicName) add('retry-topics-renamed', 'breaking', s, `retry topic names ${br.topicName} → ${hr.topicName}: records waiting in the old retry topics are stranded`, bl, hl);
  else if (hr.delaysMs.length < br.delaysMs.length) add('retry-topics-removed', 'breaking', s, `retry stages ${br.delaysMs.length} → ${hr.delaysMs.length}: records waiting in the dropped retry topics are stranded`, bl, hl);
  else if (delays(br) !== delays(hr)) add('retry-topics-changed', hr.delaysMs.length > br.delaysMs.length ? 'non-breaking' : 'info', s, `retry delays ${delays(br)} → ${delays(hr)}`, bl, hl);
  const cfg = (['partitions', 'retentionMs'] as const).filter((k) => br[k] !== hr[k]);
  if (cfg.length) add('retry-topics-changed', 'info', s, `retry topic settings: ${cfg.map((k) => `${k} ${br[k] ?? 'default'} → ${hr[k] ?? 'default'}`).join(', ')}`, bl, hl);
}

function compareDeadLetter(base: DiffSide, head: DiffSide, b: Topic, h: Topic, add: Add): void {
  const s = h.name;
  const bd = b.deadLetter;
  const hd = h.deadLetter;
  const at = (side: DiffSide, t: Topic, key: string): Change['base'] => locateIn(side, t.loc, 'x-dead-letter', key);
  if (bd.enabled && !hd.enabled) {
    add('dead-letter-disabled', 'breaking', s, 'dead-letter topic disabled: a failing record now stops its partition instead of going to the DLQ', at(base, b, 'enabled'), at(head, h, 'enabled'));
  } else if (!bd.enabled && hd.enabled) {
    add('dead-letter-enabled', 'non-breaking', s, `dead-letter topic enabled (${hd.topic}): failing records no longer stop the partition`, at(base, b, 'enabled'), at(head, h, 'enabled'));
  }
  if (!bd.enabled || !hd.enabled) return;
  if (bd.topic !== hd.topic) {
    add('dead-letter-topic-changed', 'breaking', s, `dead-letter topic ${bd.topic} → ${hd.topic}: DLQ monitors and replay tools must follow`, at(base, b, 'topic'), at(head, h, 'topic'));
  }
  const diffs: string[] = [];
  for (const k of ['partitions', 'replicas'] as const) if (bd[k] !== hd[k]) diffs.push(`${k} ${bd[k] ?? 'default'} → ${hd[k] ?? 'default'}`);
  for (const k of [...new Set([...Object.keys(bd.config), ...Object.keys(hd.config)])].sort()) {
    if (bd.config[k] !== hd.config[k]) diffs.push(`${k} ${bd.config[k] ?? 'unset'} → ${hd.config[k] ?? 'unset'}`);
  }
  if (diffs.length) add('dead-letter-config-changed', 'info', s, `dead-letter topic settings: ${diffs.join(', ')}`, locateIn(base, b.loc, 'x-dead-letter'), locateIn(head, h.loc, 'x-dead-letter'));
}
