/**
 * Event rules: events added/removed/renamed/moved, partition key, classification, compatibility mode,
 * version bumps, and the payload and header schemas (compared under the head's compatibility mode).
 */
import type { DataClassification, EventType, KeyRule, Schema } from '../model/types.js';
import { locateIn, rootAt } from './locate.js';
import { diffSchemas } from './schema-diff.js';
import { adder } from './topics.js';
import type { Change, DiffSide } from './types.js';

const CLASSIFICATION_RANK: Record<DataClassification, number> = { public: 0, internal: 1, confidential: 2, restricted: 3 };
const NOISE = new Set(['loc', 'title', 'description', 'examples']);

/** The payload's shape without locations and prose: two events with the same one were renamed. */
function shape(s: Schema): string {
  return JSON.stringify(s, (k, v: unknown) => (NOISE.has(k) ? undefined : v));
}

function describeKey(k: KeyRule): string {
  return k.kind === 'field' ? `field ${k.path.join('.')}` : k.kind === 'constant' ? `constant ${JSON.stringify(k.value)}` : 'no key';
}

export function diffEvents(base: DiffSide, head: DiffSide, topicMap: Map<string, string>, out: Change[]): void {
  const add = adder(out, 'event');
  const unmatchedHead = head.catalog.events.filter((h) => !base.catalog.events.some((b) => b.type === h.type));
  for (const b of base.catalog.events) {
    let h = head.catalog.events.find((e) => e.type === b.type);
    if (!h) {
      h = unmatchedHead.find((e) => shape(e.payload) === shape(b.payload)) ?? unmatchedHead.find((e) => e.messageId === b.messageId);
      if (!h) {
        const topic = head.catalog.topics.find((t) => b.topics.some((n) => topicMap.get(n) === t.name));
        add('event-removed', 'breaking', b.type, `event removed (was on ${b.topics.join(', ')}): producers and handlers of it no longer compile, consumers stop receiving it`, b.loc, topic ? locateIn(head, topic.loc, 'messages') : rootAt(head, 'components', 'messages'));
        continue;
      }
      unmatchedHead.splice(unmatchedHead.indexOf(h), 1);
      add('event-renamed', 'breaking', b.type, `event type renamed ${b.type} → ${h.type}: consumers route by event type, so existing handlers no longer match`, locateIn(base, b.loc, 'x-event-type'), locateIn(head, h.loc, 'x-event-type'));
    }
    compareEvent(base, head, b, h, topicMap, out);
  }
  for (const h of unmatchedHead) {
    const topic = base.catalog.topics.find((t) => h.topics.some((n) => topicMap.get(t.name) === n));
    add('event-added', 'non-breaking', h.type, `event added on ${h.topics.join(', ')}`, topic ? locateIn(base, topic.loc, 'messages') : rootAt(base, 'components', 'messages'), h.loc);
  }
}

function compareEvent(base: DiffSide, head: DiffSide, b: EventType, h: EventType, topicMap: Map<string, string>, out: Change[]): void {
  const add = adder(out, 'event');
  const s = b.type;
  // Topics, seen through topic renames (a renamed topic is reported once, on the topic).
  const was = b.topics.map((n) => topicMap.get(n) ?? `(removed) ${n}`);
  const removed = was.filter((n) => !h.topics.includes(n));
  const added = h.topics.filter((n) => !was.includes(n));
  const liveRemoved = removed.filter((n) => !n.startsWith('(removed)'));
  if (liveRemoved.length && added.length) add('event-moved', 'breaking', s, `moved from ${liveRemoved.join(', ')} to ${added.join(', ')}: consumers of the old topic stop receiving it`, b.loc, h.loc);
  else if (liveRemoved.length) add('event-topic-removed', 'breaking', s, `no longer carried on ${liveRemoved.join(', ')}`, b.loc, h.loc);
  else if (added.length) add('event-topic-added', 'non-breaking', s, `now also carried on ${added.join(', ')}`, b.loc, h.loc);

  const bk = describeKey(b.key);
  const hk = describeKey(h.key);
  if (bk !== hk) {
    const bl = b.key.kind === 'none' ? locateIn(base, b.loc, 'x-partition-key') : b.key.loc;
    const hl = h.key.kind === 'none' ? locateIn(head, h.loc, 'x-partition-key') : h.key.loc;
    if (b.key.kind === 'none') add('partition-key-added', 'non-breaking', s, `partition key ${bk} → ${hk}: records of one key are now ordered`, bl, hl);
    else if (h.key.kind === 'none') add('partition-key-removed', 'breaking', s, `partition key ${bk} → ${hk}: records are spread round robin, per-key ordering is lost`, bl, hl);
    else add('partition-key-changed', 'breaking', s, `partition key ${bk} → ${hk}: records of one entity land on other partitions, per-key ordering breaks across the change`, bl, hl);
  }

  if (b.classification !== h.classification) {
    const lowered = CLASSIFICATION_RANK[h.classification] < CLASSIFICATION_RANK[b.classification];
    const msg = `x-data-classification ${b.classification} → ${h.classification}`;
    const bl = locateIn(base, b.loc, 'x-data-classification');
    const hl = locateIn(head, h.loc, 'x-data-classification');
    if (lowered) add('classification-lowered', 'breaking', s, `${msg}: data handled as ${b.classification} may now be logged or shared as ${h.classification}; needs a data-protection review`, bl, hl);
    else add('classification-raised', 'non-breaking', s, `${msg}: consumers must handle the data more strictly`, bl, hl);
  }
  compareSensitiveFields(b, h, (rule, severity, message) => add(rule, severity, s, message, b.loc, h.loc));
  if (b.compatibility !== h.compatibility) {
    add('compatibility-changed', 'info', s, `x-compatibility ${b.compatibility} → ${h.compatibility} (payload changes are judged under ${h.compatibility})`, locateIn(base, b.loc, 'x-compatibility'), locateIn(head, h.loc, 'x-compatibility'));
  }
  if (!b.deprecated && h.deprecated) add('event-deprecated', 'info', s, 'event marked deprecated', locateIn(base, b.loc, 'deprecated'), locateIn(head, h.loc, 'deprecated'));

  const schemaChanges: Change[] = [];
  const input = { base, head, subject: s, mode: h.compatibility, out: schemaChanges };
  diffSchemas(input, b.payload, h.payload, 'payload');
  if (b.headers && h.headers) diffSchemas(input, b.headers, h.headers, 'headers');
  else if (b.headers || h.headers) {
    add('headers-changed', 'info', s, h.headers ? 'application headers declared' : 'application headers no longer declared', locateIn(base, b.loc, 'headers'), locateIn(head, h.loc, 'headers'));
  }
  out.push(...schemaChanges);
  checkVersion(base, head, b, h, schemaChanges, out);
}

/** Whether `pointer` is redacted under `list` (listed, or under a listed object, or the whole payload). */
const coveredBy = (pointer: string, list: readonly string[]): boolean => list.some((q) => q === '' || q === pointer || pointer.startsWith(`${q}/`));

/**
 * Field-level `x-data-classification`: a field that stops being confidential/restricted (while the event as a whole
 * is not) may now be logged — breaking, like a lowered event classification; a newly sensitive field is not.
 */
function compareSensitiveFields(b: EventType, h: EventType, add: (rule: string, severity: 'breaking' | 'non-breaking', message: string) => void): void {
  const whole = (e: EventType): boolean => CLASSIFICATION_RANK[e.classification] >= CLASSIFICATION_RANK.confidential;
  const bf = whole(b) ? [''] : (b.sensitiveFields ?? []);
  const hf = whole(h) ? [''] : (h.sensitiveFields ?? []);
  const lowered = (b.sensitiveFields ?? []).filter((p) => !coveredBy(p, hf));
  const raised = (h.sensitiveFields ?? []).filter((p) => !coveredBy(p, bf));
  if (lowered.length) add('field-classification-lowered', 'breaking', `fields no longer confidential/restricted (or removed): ${lowered.join(', ')}; their values may now be logged or shared, needs a data-protection review`);
  if (raised.length) add('field-classification-raised', 'non-breaking', `fields now confidential/restricted: ${raised.join(', ')}`);
}

const major = (v: string): number => Number.parseInt(v.replace(/^v/, ''), 10);

function checkVersion(base: DiffSide, head: DiffSide, b: EventType, h: EventType, schemaChanges: Change[], out: Change[]): void {
  const add = adder(out, 'event');
  const relevant = schemaChanges.filter((c) => c.rule !== 'default-changed' && c.rule !== 'field-deprecated');
  if (!relevant.length) return;
  const bl = locateIn(base, b.loc, 'x-event-version');
  const hl = locateIn(head, h.loc, 'x-event-version');
  const breaking = relevant.some((c) => c.severity === 'breaking');
  if (b.version === h.version) {
    add('version-not-bumped', 'non-breaking', b.type, `the payload changed (${relevant.length} change${relevant.length === 1 ? '' : 's'}) but x-event-version is still ${h.version}: bump the ${breaking ? 'major' : 'minor'} version`, bl, hl);
  } else if (breaking && !(major(h.version) > major(b.version))) {
    add('version-major-not-bumped', 'non-breaking', b.type, `breaking payload changes but x-event-version ${b.version} → ${h.version} keeps the major version`, bl, hl);
  }
}
