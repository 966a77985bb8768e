/** Human descriptions of model facts, shared by JSDoc and docs. Plain text: escape at the use site. */
import type { EventType, KeyRule } from '../model/types.js';

export function keyRuleText(key: KeyRule): string {
  switch (key.kind) {
    case 'field':
      return `payload field \`${key.path.join('.')}\``;
    case 'constant':
      return `the constant \`${key.value}\``;
    default:
      return 'none (records are spread over partitions)';
  }
}

/** Summary, description and facts of an event, as JSDoc lines. */
export function eventDocLines(e: EventType): string[] {
  const lines: string[] = [];
  const head = e.summary ?? e.title;
  if (head) lines.push(head);
  if (e.description && e.description !== head) lines.push('', e.description);
  if (lines.length) lines.push('');
  lines.push(`Event type \`${e.type}\`, version ${e.version}, classification ${e.classification}.`);
  lines.push(`Kafka key: ${keyRuleText(e.key)}.`);
  return lines;
}
