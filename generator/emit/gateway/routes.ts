/**
 * What the gateway publishes: one route per event type a producer of the catalog sends (the events
 * `createProducers()` covers), on its first such topic in catalog order. Events whose only topics take channel
 * parameters are left out (the gateway has no way to ask for the values yet; docs/gateway.md says so).
 */
import type { EventPriority } from '../../model/types.js';
import type { EventSymbols, SymbolTable, TopicSymbols } from '../../symbols/table.js';

export interface GatewayRoute {
  event: EventSymbols;
  /** The topic the gateway writes the event to. */
  topic: TopicSymbols;
  /** Consumer groups of the catalog receiving the event on that topic (their statuses start PENDING). */
  groups: string[];
  /**
   * Whether a client may choose the Kafka key (`X-Partition-Key`): only when the catalog declares no partition-key
   * rule for the event; a declared rule (field or constant) is what keeps one entity's events in order.
   */
  keyOverride: boolean;
  /** Default priority (`x-priority`, else `normal`). */
  priority: EventPriority;
}

export function gatewayRoutes(table: SymbolTable): { routes: GatewayRoute[] } {
  const routes: GatewayRoute[] = [];
  const seen = new Set<string>();
  for (const topic of table.topics) {
    if (topic.producer === undefined) continue;
    for (const type of topic.topic.produced) {
      if (seen.has(type)) continue;
      const event = table.event(type);
      if (topic.parameters !== undefined) continue;
      seen.add(type);
      const groups = table.catalog.groups
        .filter((g) => g.subscriptions.some((s) => s.topic === topic.topic.id && s.events.includes(type)))
        .map((g) => g.groupId)
        .sort();
      routes.push({ event, topic, groups, keyOverride: event.event.key.kind === 'none', priority: event.event.priority ?? 'normal' });
    }
  }
  return { routes };
}
