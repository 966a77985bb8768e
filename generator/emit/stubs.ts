/**
 * Scaffolds: one event handler stub per (group, topic, event) and one `handlers.ts` per group. They are
 * the user's code: created once, never overwritten. A stub compiles as generated and is safe until
 * implemented: it throws `NotImplementedError` (non-retriable), so the record goes to the dead-letter
 * topic instead of being acknowledged silently.
 */
import type { Catalog, ConsumerGroup, EventType } from '../model/types.js';
import { subscriptionsOf, type Subscription } from './consumers.js';
import { withScaffoldHeader } from './header.js';
import { eventSchemaFile, groupHandlersFile, groupIndexFile, RUNTIME, stubFile } from './paths.js';
import { TsModule } from './printer.js';
import { jsdoc, tsString } from './text.js';
import type { EmitOptions, GeneratedFile } from './types.js';

function stub(catalog: Catalog, group: ConsumerGroup, sub: Subscription, e: EventType): GeneratedFile {
  const mod = new TsModule(stubFile(group, sub.topic, e));
  const handler = mod.type('EventHandler', RUNTIME);
  const context = mod.type('EventContext', RUNTIME);
  const notImplemented = mod.use('NotImplementedError', RUNTIME);
  const data = mod.type(e.names.typeName, eventSchemaFile(e));
  const dlq = sub.topic.deadLetter.enabled ? `the dead-letter topic \`${sub.topic.deadLetter.topic}\`` : 'the dead-letter path (disabled for this topic: the consumer stops)';
  const body = [
    jsdoc([
      `Handles \`${e.type}\` (v${e.version}) from topic \`${sub.topic.name}\` for consumer group \`${group.groupId}\`.`,
      ...(e.summary ? ['', e.summary] : []),
      '',
      'Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for',
      `failures that can never succeed (sent to ${dlq} at once).`,
      `Until this handler is implemented, every \`${e.type}\` record goes to ${dlq}.`,
    ]),
    `export class ${e.names.handlerClass} implements ${handler}<${data}> {`,
    `  async handle(_data: ${data}, context: ${context}): Promise<void> {`,
    `    throw new ${notImplemented}(${tsString(`${group.groupId}: no handler for ${e.type} yet`)} + \` (eventId \${context.eventId})\`);`,
    '  }',
    '}',
  ].join('\n');
  return { path: mod.path, content: withScaffoldHeader(catalog, mod.render(body)), ownership: 'scaffold' };
}

function handlersFile(catalog: Catalog, group: ConsumerGroup, subs: Subscription[]): GeneratedFile {
  const mod = new TsModule(groupHandlersFile(group));
  const T = group.names.typeName;
  const handlers = mod.type(`${T}Handlers`, groupIndexFile(group));
  const topics = subs.map((s) =>
    [
      `    ${s.topic.names.memberName}: {`,
      ...s.events.map((e) => `      ${e.names.memberName}: new ${mod.use(e.names.handlerClass, stubFile(group, s.topic, e))}(),`),
      '    },',
    ].join('\n'),
  );
  const body = [
    jsdoc([
      `Builds the event handlers of consumer group \`${group.groupId}\`.`,
      'Pass your dependencies in here. When the catalog adds an event, the compiler points at this',
      'function until you add the new handler (eventgen never edits this file).',
    ]),
    `export function create${T}Handlers(): ${handlers} {`,
    '  return {',
    ...topics,
    '  };',
    '}',
  ].join('\n');
  return { path: mod.path, content: withScaffoldHeader(catalog, mod.render(body)), ownership: 'scaffold' };
}

export function emitStubs(catalog: Catalog, _options: EmitOptions): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  for (const group of catalog.groups) {
    const subs = subscriptionsOf(catalog, group);
    if (!subs.length) continue;
    for (const sub of subs) for (const e of sub.events) files.push(stub(catalog, group, sub, e));
    files.push(handlersFile(catalog, group, subs));
  }
  return files;
}
