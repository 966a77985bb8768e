/** Consumer-group rules: groups added, removed or renamed (offsets start over), subscriptions changed. */
import type { Catalog, ConsumerGroup } from '../model/types.js';
import { rootAt } from './locate.js';
import { adder } from './topics.js';
import type { Change, DiffSide } from './types.js';

/** Subscriptions by Kafka topic name (base names mapped through topic renames). */
function subscriptions(catalog: Catalog, g: ConsumerGroup, topicMap?: Map<string, string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of g.subscriptions) {
    const name = catalog.topics.find((t) => t.id === s.topic)?.name ?? s.topic;
    out.set(topicMap?.get(name) ?? name, [...s.events].sort());
  }
  return out;
}

const signature = (subs: Map<string, string[]>): string => JSON.stringify([...subs.entries()].sort());

export function diffGroups(base: DiffSide, head: DiffSide, topicMap: Map<string, string>, out: Change[]): void {
  const add = adder(out, 'group');
  const unmatchedHead = head.catalog.groups.filter((h) => !base.catalog.groups.some((b) => b.groupId === h.groupId));
  for (const b of base.catalog.groups) {
    const bs = subscriptions(base.catalog, b, topicMap);
    let h = head.catalog.groups.find((g) => g.groupId === b.groupId);
    if (!h) {
      h = unmatchedHead.find((g) => signature(subscriptions(head.catalog, g)) === signature(bs));
      if (h) {
        unmatchedHead.splice(unmatchedHead.indexOf(h), 1);
        add('group-renamed', 'breaking', b.groupId, `consumer group renamed ${b.groupId} → ${h.groupId}: the new group has no committed offsets and starts over (auto.offset.reset), re-processing or skipping records`, b.loc, h.loc);
      } else {
        add('group-removed', 'breaking', b.groupId, `consumer group removed: its handlers are no longer generated and its committed offsets are abandoned`, b.loc, rootAt(head, 'operations'));
        continue;
      }
    }
    const hs = subscriptions(head.catalog, h);
    for (const [topic, events] of bs) {
      const now = hs.get(topic);
      if (!now) add('group-topic-removed', 'info', b.groupId, `no longer reads ${topic}`, b.loc, h.loc);
      else if (events.join() !== now.join()) {
        const gone = events.filter((e) => !now.includes(e));
        const fresh = now.filter((e) => !events.includes(e));
        const parts = [gone.length ? `stops handling ${gone.join(', ')}` : '', fresh.length ? `now handles ${fresh.join(', ')}` : ''].filter(Boolean);
        add('group-events-changed', 'info', b.groupId, `on ${topic}: ${parts.join('; ')}`, b.loc, h.loc);
      }
    }
    for (const topic of hs.keys()) if (!bs.has(topic)) add('group-topic-added', 'info', b.groupId, `now reads ${topic}`, b.loc, h.loc);
  }
  for (const h of unmatchedHead) add('group-added', 'info', h.groupId, 'consumer group added: it starts from auto.offset.reset (no committed offsets)', rootAt(base, 'operations'), h.loc);
}
