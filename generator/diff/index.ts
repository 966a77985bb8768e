/**
 * `gen diff` core: a pure function from two catalogs to classified changes. Loading (files, git refs)
 * lives in `sources.ts`, output formats in `format-*.ts`; the command is `commands/diff.ts`.
 */
import { diffEvents } from './events.js';
import { diffGroups } from './groups.js';
import { diffTopics } from './topics.js';
import { SEVERITIES, type Change, type DiffResult, type DiffSide } from './types.js';

export type { Change, ChangeSeverity, DiffResult, DiffSide } from './types.js';
export { SEVERITIES } from './types.js';

const KIND_ORDER: Record<Change['kind'], number> = { catalog: 0, topic: 1, event: 2, group: 3 };

export function diffCatalogs(base: DiffSide, head: DiffSide): DiffResult {
  const changes: Change[] = [];
  const topicMap = diffTopics(base, head, changes);
  diffEvents(base, head, topicMap, changes);
  diffGroups(base, head, topicMap, changes);
  // Stable: by subject, keeping each subject's changes in walk order.
  const sorted = changes
    .map((c, i) => ({ c, i }))
    .sort((a, b) => KIND_ORDER[a.c.kind] - KIND_ORDER[b.c.kind] || (a.c.subject < b.c.subject ? -1 : a.c.subject > b.c.subject ? 1 : 0) || a.i - b.i)
    .map((x) => x.c);
  const summary = { breaking: 0, 'non-breaking': 0, info: 0 };
  for (const c of sorted) summary[c.severity]++;
  return { changes: sorted, summary };
}

/** Does any change reach the `--fail-on` threshold? */
export function failsOn(result: DiffResult, threshold: Change['severity']): boolean {
  const limit = SEVERITIES.indexOf(threshold);
  return result.changes.some((c) => SEVERITIES.indexOf(c.severity) <= limit);
}
