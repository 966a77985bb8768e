/**
 * Style 1 per consumer group: one `@Injectable` topic handler per topic (managed) that registers one
 * `@Injectable` event handler per event (scaffold, user-owned), a module listing all of them as providers, and
 * an `index.ts` barrel.
 */
import { pkg } from '../../symbols/sym.js';
import type { GroupSymbols, StubSymbols, SubscriptionSymbols, SymbolTable } from '../../symbols/table.js';
import { withScaffoldHeader } from '../header.js';
import { TsModule } from '../printer.js';
import { deadLetterText, fromTopicsText } from '../stubs.js';
import { jsdoc, tsString } from '../text.js';
import type { GeneratedFile } from '../types.js';

const INJECTABLE = pkg('@nestjs/common', 'Injectable');

function topicHandler(table: SymbolTable, group: GroupSymbols, sub: SubscriptionSymbols): GeneratedFile {
  const topic = sub.topic.topic;
  const mod = new TsModule(sub.file);
  const cls = mod.declare(sub.handlerClass);
  const injectable = mod.use(INJECTABLE);
  const onInit = mod.type(pkg('@nestjs/common', 'OnModuleInit'));
  const base = mod.use(table.nest.BaseTopicHandler);
  const dispatcher = mod.use(table.nest.KafkaDispatcher);
  const stubs = new Map(group.stubs.map((s) => [s.event.event.type, s]));
  // Injected classes are value imports: an `import type` would erase the constructor parameter's metadata.
  const params = sub.events.map((e) => `    private readonly ${e.member}Handler: ${mod.use((stubs.get(e.event.type) as StubSymbols).cls)},`);
  const g = group.group;
  const body = [
    jsdoc([
      `Routes the records of \`${topic.name}\` for consumer group \`${g.groupId}\` by event type to the event handlers`,
      `in \`./events/\`, after the runtime validated the payload. Retry policy (${topic.retry.maxRetries} retries) and dead-letter topic`,
      `(${topic.deadLetter.enabled ? `\`${topic.deadLetter.topic}\`` : 'disabled'}) come from the catalog; override \`isRetriableError()\` to classify your errors.`,
      ...(sub.ignored.length ? ['', `Other events of this topic (${sub.ignored.map((e) => `\`${e}\``).join(', ')}) are not received by this group: acknowledged.`] : []),
    ]),
    `@${injectable}()`,
    `export class ${cls} extends ${base} implements ${onInit} {`,
    '  constructor(',
    `    private readonly dispatcher: ${dispatcher},`,
    ...params,
    '  ) {',
    `    super({ topic: ${tsString(topic.name)}, groupId: ${tsString(g.groupId)} });`,
    '  }',
    '',
    jsdoc('Registers the event handlers, then this topic handler with the dispatcher (before the consumers start).', '  '),
    '  onModuleInit(): void {',
    ...sub.events.map((e) => `    this.register(this.${e.member}Handler);`),
    '    this.dispatcher.addTopicHandler(this);',
    '  }',
    '}',
  ].join('\n');
  return { path: mod.path, content: mod.render(body), ownership: 'managed' };
}

function stub(table: SymbolTable, group: GroupSymbols, s: StubSymbols): GeneratedFile {
  const e = s.event.event;
  const mod = new TsModule(s.file);
  const cls = mod.declare(s.cls);
  const injectable = mod.use(INJECTABLE);
  const handler = mod.type(table.nest.KafkaEventHandler);
  const context = mod.type(table.runtime('EventContext'));
  const notImplemented = mod.use(table.runtime('NotImplementedError'));
  const data = mod.use(s.event.type);
  const dlq = deadLetterText(s.topics, 'the dead-letter path (disabled for this topic: the partition halts)');
  const g = group.group;
  const body = [
    jsdoc([
      `Handles \`${e.type}\` (v${e.version}) ${fromTopicsText(s.topics)} for consumer group \`${g.groupId}\`.`,
      ...(e.summary ? ['', e.summary] : []),
      '',
      'Keep it small and call into your application, e.g. a `CommandBus` from `@nestjs/cqrs`:',
      '`constructor(private readonly commandBus: CommandBus) {}` (a value import of `CommandBus`), then',
      '`await this.commandBus.execute(new SomeCommand(payload...))` in `handle()`.',
      '`context.logger` carries the correlation id, event id, topic, partition and offset on every line.',
      'Throw `RetriableError` for transient failures (retried with backoff) and `NonRetriableError` for',
      `failures that can never succeed (sent to ${dlq} at once).`,
      `Until this handler is implemented, every \`${e.type}\` record goes to ${dlq}.`,
    ]),
    `@${injectable}()`,
    `export class ${cls} implements ${handler}<${tsString(e.type)}> {`,
    `  readonly eventType = ${tsString(e.type)};`,
    '',
    `  async handle(_payload: ${data}, context: ${context}): Promise<void> {`,
    `    context.logger.debug(${tsString(`${e.type} received`)});`,
    `    throw new ${notImplemented}({ eventType: ${tsString(e.type)}, groupId: ${tsString(g.groupId)}, eventId: context.eventId });`,
    '  }',
    '}',
  ].join('\n');
  return { path: mod.path, content: withScaffoldHeader(table.catalog, mod.render(body)), ownership: 'scaffold' };
}

function groupModule(group: GroupSymbols): GeneratedFile {
  const mod = new TsModule(group.module.from);
  const cls = mod.declare(group.module);
  const moduleDecorator = mod.use(pkg('@nestjs/common', 'Module'));
  const providers = [...group.subscriptions.map((s) => mod.use(s.handlerClass)), ...group.stubs.map((s) => mod.use(s.cls))];
  const g = group.group;
  const body = [
    jsdoc([
      ...(g.description ? [g.description, ''] : []),
      `Consumer group \`${g.groupId}\` (style 1): its topic handlers and event handlers as providers.`,
      'Import it next to `KafkaModule.forRoot()`; the consumer starts when the application has bootstrapped.',
    ]),
    `@${moduleDecorator}({`,
    '  providers: [',
    ...providers.map((p) => `    ${p},`),
    '  ],',
    '})',
    `export class ${cls} {}`,
  ].join('\n');
  return { path: mod.path, content: mod.render(body), ownership: 'managed' };
}

function groupIndex(group: GroupSymbols): GeneratedFile {
  const mod = new TsModule(group.index);
  const groupId = mod.declare(group.groupId);
  mod.reexport(group.module);
  for (const s of group.subscriptions) mod.reexport(s.handlerClass);
  for (const s of group.stubs) mod.reexport(s.cls);
  const body = [jsdoc('The Kafka consumer group id.'), `export const ${groupId} = ${tsString(group.group.groupId)};`].join('\n');
  return { path: mod.path, content: mod.render(body), ownership: 'managed' };
}

export function emitNestConsumers(table: SymbolTable): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  for (const group of table.activeGroups()) {
    for (const sub of group.subscriptions) files.push(topicHandler(table, group, sub));
    for (const s of group.stubs) files.push(stub(table, group, s));
    files.push(groupModule(group), groupIndex(group));
  }
  return files;
}
