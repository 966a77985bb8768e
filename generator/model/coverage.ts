/**
 * Catalogs and operations that generate nothing say so (item 7 of issue 12): a tree with only the runtime, or
 * only schemas, is never produced silently.
 */
import type { At, ModelContext } from './context.js';
import type { ConsumerGroup, Topic } from './types.js';

/** Warn when no Kafka topic carries an event, or when no topic is produced or consumed. */
export function checkSomethingToGenerate(ctx: ModelContext, topics: readonly Topic[], groups: readonly ConsumerGroup[], channelsAt: At, hasOperations: boolean): void {
  if (!topics.some((t) => t.events.length > 0)) {
    const declared = ctx.read(channelsAt);
    const none = declared === undefined || declared === null || (typeof declared === 'object' && Object.keys(declared).length === 0);
    ctx.report(
      'warning',
      'nothing-to-generate',
      `${none ? 'the catalog declares no channels' : 'no Kafka channel of the catalog carries a message'}: the generated tree has only the runtime (no schemas, producers or consumers)`,
      declared === undefined ? ctx.main : channelsAt,
    );
    return;
  }
  if (hasOperations && !topics.some((t) => t.produced.length > 0) && !groups.some((g) => g.subscriptions.some((s) => s.events.length > 0))) {
    ctx.report(
      'warning',
      'nothing-to-generate',
      'no operation sends or receives a message on a Kafka channel: only schemas and event definitions are generated (a catalog without operations gets producers and a default group for every channel)',
      ctx.child(ctx.main, 'operations'),
    );
  }
}
