/**
 * Style 1 per consumer group: one `@Injectable` topic handler per topic (managed) that registers one
 * `@Injectable` event handler per event (scaffold, user-owned), a module listing all of them as providers, and
 * an `index.ts` barrel.
 */
import type { Catalog, ConsumerGroup, EventType } from '../../model/types.js';
import { subscriptionsOf, type Subscription } from '../consumers.js';
import { withScaffoldHeader } from '../header.js';
import { eventSchemaFile, groupDir, groupIndexFile, RUNTIME, stubFile, topicHandlerFile } from '../paths.js';
import { TsModule } from '../printer.js';
import { jsdoc, tsString } from '../text.js';
import type { GeneratedFile } from '../types.js';
import { BASE_INTERFACE, BASE_TOPIC_HANDLER, groupModuleClass, groupModuleFile, KAFKA_DISPATCHER } from './paths.js';

function topicHandler(group: ConsumerGroup, sub: Subscription): GeneratedFile {
  const { topic } = sub;
  const mod = new TsModule(topicHandlerFile(group, topic));
  const injectable = mod.use('Injectable', '@nestjs/common');
  const onInit = mod.type('OnModuleInit', '@nestjs/common');
  const base = mod.use('BaseTopicHandler', BASE_TOPIC_HANDLER);
  const dispatcher = mod.use('KafkaDispatcher', KAFKA_DISPATCHER);
  // Injected classes are value imports: an `import type` would erase the constructor parameter's metadata.
  const params = sub.events.map((e) => `    private readonly ${e.names.memberName}Handler: ${mod.use(e.names.handlerClass, stubFile(group, topic, e))},`);
  const handled = new Set(sub.events.map((e) => e.type));
  const ignored = topic.events.filter((e) => !handled.has(e));
  const body = [
    jsdoc([
      `Routes the records of \`${topic.name}\` for consumer group \`${group.groupId}\` by event name to the event handlers`,
      `in \`./events/\`, after the runtime validated the payload. Retry policy (${topic.retry.maxRetries} retries) and dead-letter topic`,
      `(${topic.deadLetter.enabled ? `\`${topic.deadLetter.topic}\`` : 'disabled'}) come from the catalog; override \`isRetriableError()\` to classify your errors.`,
      ...(ignored.length ? ['', `Other events of this topic (${ignored.map((e) => `\`${e}\``).join(', ')}) are not received by this group: acknowledged.`] : []),
    ]),
    `@${injectable}()`,
    `export class ${topic.names.topicHandlerClass} extends ${base} implements ${onInit} {`,
    '  constructor(',
    `    private readonly dispatcher: ${dispatcher},`,
    ...params,
    '  ) {',
    `    super({ topic: ${tsString(topic.name)}, groupId: ${tsString(group.groupId)} });`,
    '  }',
    '',
    jsdoc('Registers the event handlers, then this topic handler with the dispatcher (before the consumers start).', '  '),
    '  onModuleInit(): void {',
    ...sub.events.map((e) => `    this.register(this.${e.names.memberName}Handler);`),
    '    this.dispatcher.addTopicHandler(this);',
    '  }',
    '}',
  ].join('\n');
  return { path: mod.path, content: mod.render(body), ownership: 'managed' };
}

function stub(catalog: Catalog, group: ConsumerGroup, sub: Subscription, e: EventType): GeneratedFile {
  const mod = new TsModule(stubFile(group, sub.topic, e));
  const injectable = mod.use('Injectable', '@nestjs/common');
  const handler = mod.type('KafkaEventHandler', BASE_INTERFACE);
  const context = mod.type('EventContext', RUNTIME);
  const notImplemented = mod.use('NotImplementedError', RUNTIME);
  const data = mod.type(e.names.typeName, eventSchemaFile(e));
  const dlq = sub.topic.deadLetter.enabled ? `the dead-letter topic \`${sub.topic.deadLetter.topic}\`` : 'the dead-letter path (disabled for this topic: the partition halts)';
  const body = [
    jsdoc([
      `Handles \`${e.type}\` (v${e.version}) from topic \`${sub.topic.name}\` for consumer group \`${group.groupId}\`.`,
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
    `export class ${e.names.handlerClass} implements ${handler}<${tsString(e.type)}> {`,
    `  readonly eventName = ${tsString(e.type)};`,
    '',
    `  async handle(_payload: ${data}, context: ${context}): Promise<void> {`,
    `    context.logger.debug(${tsString(`${e.type} received`)});`,
    `    throw new ${notImplemented}(${tsString(`${group.groupId}: no handler for ${e.type} yet (eventId `)} + context.eventId + ')');`,
    '  }',
    '}',
  ].join('\n');
  return { path: mod.path, content: withScaffoldHeader(catalog, mod.render(body)), ownership: 'scaffold' };
}

function groupModule(group: ConsumerGroup, subs: Subscription[]): GeneratedFile {
  const mod = new TsModule(groupModuleFile(group));
  const moduleDecorator = mod.use('Module', '@nestjs/common');
  const providers = subs.flatMap((s) => [
    mod.use(s.topic.names.topicHandlerClass, topicHandlerFile(group, s.topic)),
    ...s.events.map((e) => mod.use(e.names.handlerClass, stubFile(group, s.topic, e))),
  ]);
  const body = [
    jsdoc([
      ...(group.description ? [group.description, ''] : []),
      `Consumer group \`${group.groupId}\` (style 1): its topic handlers and event handlers as providers.`,
      'Import it next to `KafkaModule.forRoot()`; the consumer starts when the application has bootstrapped.',
    ]),
    `@${moduleDecorator}({`,
    '  providers: [',
    ...providers.map((p) => `    ${p},`),
    '  ],',
    '})',
    `export class ${groupModuleClass(group)} {}`,
  ].join('\n');
  return { path: mod.path, content: mod.render(body), ownership: 'managed' };
}

function groupIndex(group: ConsumerGroup, subs: Subscription[]): GeneratedFile {
  const dir = groupDir(group);
  const rel = (file: string): string => './' + file.slice(dir.length + 1).replace(/\.ts$/, '.js');
  const lines = [
    `export { ${groupModuleClass(group)} } from '${rel(groupModuleFile(group))}';`,
    ...subs.flatMap((s) => [
      `export { ${s.topic.names.topicHandlerClass} } from '${rel(topicHandlerFile(group, s.topic))}';`,
      ...s.events.map((e) => `export { ${e.names.handlerClass} } from '${rel(stubFile(group, s.topic, e))}';`),
    ]),
    '',
    jsdoc('The Kafka consumer group id.'),
    `export const GROUP_ID = ${tsString(group.groupId)};`,
  ];
  return { path: groupIndexFile(group), content: lines.join('\n') + '\n', ownership: 'managed' };
}

export function emitNestConsumers(catalog: Catalog): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  for (const group of catalog.groups) {
    const subs = subscriptionsOf(catalog, group);
    if (!subs.length) continue;
    for (const sub of subs) {
      files.push(topicHandler(group, sub));
      for (const e of sub.events) files.push(stub(catalog, group, sub, e));
    }
    files.push(groupModule(group, subs), groupIndex(group, subs));
  }
  return files;
}
