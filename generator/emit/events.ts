/** `events.ts` (event definitions, EventMap) and `topics.ts` (topic settings as data). */
import type { Catalog, EventType, Topic } from '../model/types.js';
import { eventDocLines } from './describe.js';
import { EVENTS, eventSchemaFile, RUNTIME, TOPICS } from './paths.js';
import { TsModule } from './printer.js';
import { jsdoc, propertyAccess, propertyKey, tsString, tsValue } from './text.js';
import type { EmitOptions, GeneratedFile } from './types.js';

function partitionKey(e: EventType): string {
  switch (e.key.kind) {
    case 'field':
      return `(data) => String(data${e.key.path.map(propertyAccess).join('')})`;
    case 'constant':
      return `() => ${tsString(e.key.value)}`;
    default:
      return '() => null';
  }
}

export function emitEvents(catalog: Catalog, _options: EmitOptions): GeneratedFile[] {
  const mod = new TsModule(EVENTS);
  const defineEvent = mod.use('defineEvent', RUNTIME);
  const parts: string[] = [];
  for (const e of catalog.events) {
    const schema = mod.use(e.names.schemaName, eventSchemaFile(e));
    const tags = e.deprecated ? ['@deprecated'] : [];
    parts.push(
      [
        jsdoc(eventDocLines(e), '', tags),
        `export const ${e.names.definitionName} = ${defineEvent}({`,
        `  eventType: ${tsString(e.type)},`,
        `  version: ${tsString(e.version)},`,
        `  topics: [${e.topics.map((t) => tsString(t)).join(', ')}],`,
        `  schema: ${schema},`,
        `  classification: ${tsString(e.classification)},`,
        `  partitionKey: ${partitionKey(e)},`,
        '});',
      ]
        .filter(Boolean)
        .join('\n'),
    );
  }
  const entries = catalog.events.map((e) => `  ${propertyKey(e.type)}: ${e.names.definitionName},`);
  parts.push(
    [
      jsdoc('Every event of the catalog, by event type.'),
      `export const events = {`,
      ...entries,
      '} as const;',
      '',
      jsdoc('The event types of the catalog.'),
      'export type EventType = keyof typeof events;',
      '',
      jsdoc('Payload type (after validation and defaults) by event type.'),
      'export interface EventMap {',
      ...catalog.events.map((e) => `  ${propertyKey(e.type)}: ${mod.type(e.names.typeName, eventSchemaFile(e))};`),
      '}',
    ].join('\n'),
  );
  const files: GeneratedFile[] = [{ path: EVENTS, content: mod.render(parts.join('\n\n')), ownership: 'managed' }];
  files.push({ path: TOPICS, content: emitTopicsData(catalog), ownership: 'managed' });
  return files;
}

function topicLiteral(t: Topic): string {
  const lines = [
    `  name: ${tsString(t.name)},`,
    t.partitions !== undefined ? `  partitions: ${t.partitions},` : '',
    t.replicas !== undefined ? `  replicas: ${t.replicas},` : '',
    `  config: ${tsValue(t.config)},`,
    `  events: [${t.events.map((e) => tsString(e)).join(', ')}],`,
    `  retry: ${tsValue(t.retry)},`,
    `  deadLetter: ${tsValue(t.deadLetter)},`,
  ].filter(Boolean);
  return `{\n${lines.join('\n')}\n}`;
}

function emitTopicsData(catalog: Catalog): string {
  const parts: string[] = [];
  for (const t of catalog.topics) {
    const doc = [t.title ?? `Kafka topic \`${t.name}\`.`, ...(t.description ? ['', t.description] : [])];
    parts.push(`${jsdoc(doc)}\nexport const ${t.names.typeName}Topic = ${topicLiteral(t)} as const;`);
  }
  parts.push(
    [
      jsdoc('Every topic of the catalog, by Kafka topic name (settings from the catalog\'s Kafka bindings).'),
      'export const topics = {',
      ...catalog.topics.map((t) => `  ${propertyKey(t.name)}: ${t.names.typeName}Topic,`),
      '} as const;',
    ].join('\n'),
  );
  return parts.join('\n\n') + '\n';
}
