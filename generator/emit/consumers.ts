/**
 * Consumer groups in the topic-delegator layout: per group, one managed topic handler per topic that
 * routes by event type to one user-owned event handler per event, and a managed `index.ts` that wires
 * the group. The stubs and `handlers.ts` are scaffolds (see `stubs.ts`).
 */
import type { Catalog, ConsumerGroup, EventType, Topic } from '../model/types.js';
import { EVENTS, eventSchemaFile, groupIndexFile, RUNTIME, topicHandlerFile } from './paths.js';
import { TsModule } from './printer.js';
import { jsdoc, tsString, tsValue } from './text.js';
import type { EmitOptions, GeneratedFile } from './types.js';

export interface Subscription {
  topic: Topic;
  events: EventType[];
}

export function subscriptionsOf(catalog: Catalog, group: ConsumerGroup): Subscription[] {
  const topics = new Map(catalog.topics.map((t) => [t.id, t]));
  const events = new Map(catalog.events.map((e) => [e.type, e]));
  return group.subscriptions
    .map((s) => ({ topic: topics.get(s.topic), events: s.events.map((e) => events.get(e)).filter((e): e is EventType => !!e) }))
    .filter((s): s is Subscription => !!s.topic && s.events.length > 0);
}

function topicHandler(group: ConsumerGroup, sub: Subscription): GeneratedFile {
  const { topic } = sub;
  const mod = new TsModule(topicHandlerFile(group, topic));
  const delegator = mod.use('TopicDelegator', RUNTIME);
  const route = mod.use('route', RUNTIME);
  const handlerType = mod.type('EventHandler', RUNTIME);
  const members = sub.events.map((e) =>
    [jsdoc(`Handles \`${e.type}\` (v${e.version}).`, '  '), `  ${e.names.memberName}: ${handlerType}<${mod.type(e.names.typeName, eventSchemaFile(e))}>;`].join('\n'),
  );
  const handled = new Set(sub.events.map((e) => e.type));
  const ignored = topic.events.filter((e) => !handled.has(e));
  const routes = sub.events.map((e) => `        ${route}(${mod.use(e.names.definitionName, EVENTS)}, handlers.${e.names.memberName}),`);
  const body = [
    jsdoc(`The event handlers consumer group \`${group.groupId}\` provides for topic \`${topic.name}\`.`),
    `export interface ${topic.names.typeName}EventHandlers {`,
    members.join('\n'),
    '}',
    '',
    jsdoc([
      `Routes each record of \`${topic.name}\` by its event type to the matching event handler of`,
      `group \`${group.groupId}\`, after validating the payload. Retry and dead-letter policy come from the catalog.`,
    ]),
    `export class ${topic.names.topicHandlerClass} extends ${delegator} {`,
    `  constructor(handlers: ${topic.names.typeName}EventHandlers) {`,
    '    super({',
    `      topic: ${tsString(topic.name)},`,
    `      retry: ${tsValue(topic.retry)},`,
    `      deadLetter: ${tsValue({ enabled: topic.deadLetter.enabled, topic: topic.deadLetter.topic })},`,
    '      routes: [',
    ...routes,
    '      ],',
    ...(ignored.length
      ? ['      // Other event types of this topic, not received by this group: acknowledged without a handler.', `      ignore: [${ignored.map((e) => tsString(e)).join(', ')}],`]
      : []),
    '    });',
    '  }',
    '}',
  ].join('\n');
  return { path: mod.path, content: mod.render(body), ownership: 'managed' };
}

function groupIndex(group: ConsumerGroup, subs: Subscription[]): GeneratedFile {
  const mod = new TsModule(groupIndexFile(group));
  const consumer = mod.use('GroupConsumer', RUNTIME);
  const options = mod.type('GroupConsumerOptions', RUNTIME);
  const T = group.names.typeName;
  const handlerTypes = subs.map((s) => `  ${s.topic.names.memberName}: ${mod.type(`${s.topic.names.typeName}EventHandlers`, topicHandlerFile(group, s.topic))};`);
  const topicHandlers = subs.map((s) => `      new ${mod.use(s.topic.names.topicHandlerClass, topicHandlerFile(group, s.topic))}(handlers.${s.topic.names.memberName}),`);
  const body = [
    ...subs.map((s) => `export { ${s.topic.names.topicHandlerClass} } from './topics/${s.topic.names.fileName}/${s.topic.names.fileName}.topic-handler.js';`),
    '',
    jsdoc('The Kafka consumer group id.'),
    `export const GROUP_ID = ${tsString(group.groupId)};`,
    '',
    jsdoc(`The event handlers of consumer group \`${group.groupId}\`, by topic.`),
    `export interface ${T}Handlers {`,
    handlerTypes.join('\n'),
    '}',
    '',
    jsdoc('Options of the group consumer: everything `GroupConsumer` takes, plus the handlers.'),
    `export interface ${T}ConsumerOptions extends Omit<${options}, 'groupId' | 'topics'> {`,
    jsdoc('The event handlers; `create' + T + 'Handlers()` in `handlers.ts` builds the scaffolded ones.', '  '),
    `  handlers: ${T}Handlers;`,
    '}',
    '',
    jsdoc([
      ...(group.description ? [group.description, ''] : []),
      `Creates the consumer of group \`${group.groupId}\`: topics ${subs.map((s) => `\`${s.topic.name}\``).join(', ')}.`,
      'Call `start()` to join the group and `stop()` to leave it gracefully.',
    ]),
    `export function create${T}Consumer(options: ${T}ConsumerOptions): ${consumer} {`,
    '  const { handlers, ...rest } = options;',
    `  return new ${consumer}({`,
    '    ...rest,',
    '    groupId: GROUP_ID,',
    '    topics: [',
    ...topicHandlers,
    '    ],',
    '  });',
    '}',
  ].join('\n');
  return { path: mod.path, content: mod.render(body), ownership: 'managed' };
}

export function emitConsumers(catalog: Catalog, _options: EmitOptions): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  for (const group of catalog.groups) {
    const subs = subscriptionsOf(catalog, group);
    if (!subs.length) continue;
    for (const sub of subs) files.push(topicHandler(group, sub));
    files.push(groupIndex(group, subs));
  }
  return files;
}
