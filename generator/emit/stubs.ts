/**
 * Scaffolds: one event handler stub per (group, event) and one `handlers.ts` per group. They are the user's code:
 * created once, never overwritten. A stub compiles as generated and is safe until implemented: it throws
 * `NotImplementedError` (non-retriable), so the record goes to the dead-letter topic instead of being acknowledged
 * silently.
 */
import type { GroupSymbols, StubSymbols, SymbolTable, TopicSymbols } from '../symbols/table.js';
import { withScaffoldHeader } from './header.js';
import { TsModule } from './printer.js';
import { jsdoc, tsString } from './text.js';
import type { EmitOptions, GeneratedFile } from './types.js';

/** Where a record of a stub's event goes while the stub is not implemented. */
export function deadLetterText(topics: readonly TopicSymbols[], disabled: string): string {
  const dlq = [...new Set(topics.map((t) => (t.topic.deadLetter.enabled ? `the dead-letter topic \`${t.topic.deadLetter.topic}\`` : disabled)))];
  return dlq.join(' or ');
}

/** `from topic \`a\`` or `from topics \`a\`, \`b\``. */
export function fromTopicsText(topics: readonly TopicSymbols[]): string {
  return `from topic${topics.length > 1 ? 's' : ''} ${topics.map((t) => `\`${t.topic.name}\``).join(', ')}`;
}

function stub(table: SymbolTable, group: GroupSymbols, s: StubSymbols): GeneratedFile {
  const e = s.event.event;
  const mod = new TsModule(s.file);
  const cls = mod.declare(s.cls);
  const handler = mod.type(table.runtime('EventHandler'));
  const context = mod.type(table.runtime('EventContext'));
  const notImplemented = mod.use(table.runtime('NotImplementedError'));
  const data = mod.use(s.event.type);
  const dlq = deadLetterText(s.topics, 'the dead-letter path (disabled for this topic: the consumer stops)');
  const body = [
    jsdoc([
      `Handles \`${e.type}\` (v${e.version}) ${fromTopicsText(s.topics)} for consumer group \`${group.group.groupId}\`.`,
      ...(e.summary ? ['', e.summary] : []),
      '',
      'Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for',
      `failures that can never succeed (sent to ${dlq} at once).`,
      `Until this handler is implemented, every \`${e.type}\` record goes to ${dlq}.`,
    ]),
    `export class ${cls} implements ${handler}<${data}> {`,
    `  async handle(_data: ${data}, context: ${context}): Promise<void> {`,
    `    throw new ${notImplemented}({ eventType: ${tsString(e.type)}, groupId: ${tsString(group.group.groupId)}, eventId: context.eventId });`,
    '  }',
    '}',
  ].join('\n');
  return { path: mod.path, content: withScaffoldHeader(table.catalog, mod.render(body)), ownership: 'scaffold' };
}

function handlersFile(table: SymbolTable, group: GroupSymbols): GeneratedFile {
  const mod = new TsModule(group.handlersFile);
  const create = mod.declare(group.createHandlers);
  const handlers = mod.use(group.handlers);
  const members = group.stubs.map((s) => `    ${s.event.member}: new ${mod.use(s.cls)}(),`);
  const body = [
    jsdoc([
      `Builds the event handlers of consumer group \`${group.group.groupId}\`, one per event it receives.`,
      'Pass your dependencies in here. When the catalog adds an event, the compiler points at this',
      'function until you add the new handler (eventgen never edits this file).',
    ]),
    `export function ${create}(): ${handlers} {`,
    '  return {',
    ...members,
    '  };',
    '}',
  ].join('\n');
  return { path: mod.path, content: withScaffoldHeader(table.catalog, mod.render(body)), ownership: 'scaffold' };
}

export function emitStubs(table: SymbolTable, options: EmitOptions): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  const memo = options.memo;
  for (const group of table.activeGroups()) {
    for (const s of group.stubs) files.push(memo ? memo.units.get('stub', s.file, memo.event(s.event.event.type), () => stub(table, group, s)) : stub(table, group, s));
    // Lists the group's stubs by name only: everything it reads is in the memo's global key.
    files.push(memo ? memo.units.get('handlers', group.handlersFile, memo.global, () => handlersFile(table, group)) : handlersFile(table, group));
  }
  return files;
}
