/** `events.ts` (event definitions, EventMap) and `topics.ts` (topic settings as data). */
import type { EventType } from '../model/types.js';
import type { SymbolTable, TopicSymbols } from '../symbols/table.js';
import { topicSpecs } from '../topics/topology.js';
import { eventDocLines } from './describe.js';
import { TsModule } from './printer.js';
import { topicParameterDeclarations, topicSegmentHelper } from './topic-parameters.js';
import { jsonSchemaWire } from './json-schema-wire.js';
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

export function emitEvents(table: SymbolTable, options: EmitOptions): GeneratedFile[] {
  const memo = options.memo;
  const mod = new TsModule(table.files.EVENTS);
  const { events, EventType, EventMap } = table.fixed;
  for (const s of [events, EventType, EventMap, ...table.events.map((e) => e.definition)]) mod.declare(s);
  const defineEvent = mod.use(table.runtime('defineEvent'));
  const parts: string[] = [];
  for (const sy of table.events) {
    const e = sy.event;
    // Imports are recorded on every run; the text of an unchanged event is the previous run's.
    const schema = mod.use(sy.schema);
    const tags = e.deprecated ? ['@deprecated'] : [];
    const part = (): string =>
      [
        jsdoc(eventDocLines(e), '', tags),
        `export const ${sy.definition.name} = ${defineEvent}({`,
        `  eventType: ${tsString(e.type)},`,
        `  version: ${tsString(e.version)},`,
        `  topics: [${e.topics.map((t) => tsString(t)).join(', ')}],`,
        `  schema: ${schema},`,
        `  classification: ${tsString(e.classification)},`,
        e.sensitiveFields?.length ? `  sensitiveFields: [${e.sensitiveFields.map((f) => tsString(f)).join(', ')}],` : '',
        `  partitionKey: ${partitionKey(e)},`,
        // Avro payloads: the registry schema, for the Avro codec (Confluent wire format) when the application uses one.
        e.payload.avroWire !== undefined ? `  avro: { schema: ${tsString(e.payload.avroWire)} },` : '',
        // x-codec: json-schema: the registry JSON Schema, for the JSON Schema codec (Confluent wire format) when used.
        e.codec === 'json-schema' ? `  jsonSchema: { schema: ${tsString(jsonSchemaWire(table.catalog, e))} },` : '',
        ...(e.previousVersions ? ['  // x-previous-versions: consumed payloads of older versions are upcast with these steps, in order.', '  upcasters: [', ...e.previousVersions.map((step) => `    ${tsValue(step)},`), '  ],'] : []),
        '});',
      ]
        .filter(Boolean)
        .join('\n');
    parts.push(memo ? memo.units.get('events.ts', e.type, memo.event(e.type), part) : part());
  }
  const entries = table.events.map((e) => `  ${propertyKey(e.event.type)}: ${e.definition.name},`);
  parts.push(
    [
      jsdoc('Every event of the catalog, by event type.'),
      `export const ${events.name} = {`,
      ...entries,
      '} as const;',
      '',
      jsdoc('The event types of the catalog.'),
      `export type ${EventType.name} = keyof typeof ${events.name};`,
      '',
      jsdoc('Payload type (after validation and defaults) by event type.'),
      `export interface ${EventMap.name} {`,
      ...table.events.map((e) => `  ${propertyKey(e.event.type)}: ${mod.use(e.type)};`),
      '}',
    ].join('\n'),
  );
  const files: GeneratedFile[] = [{ path: mod.path, content: mod.render(parts.join('\n\n')), ownership: 'managed' }];
  // topics.ts reads no event definition: it changes only with what the memo's global key covers.
  files.push({ path: table.files.TOPICS, content: memo ? memo.units.get('topics.ts', '', memo.global, () => emitTopicsData(table)) : emitTopicsData(table), ownership: 'managed' });
  return files;
}

function topicLiteral(ts: TopicSymbols): string {
  const t = ts.topic;
  const lines = [
    `  name: ${tsString(t.name)},`,
    t.partitions !== undefined ? `  partitions: ${t.partitions},` : '',
    t.replicas !== undefined ? `  replicas: ${t.replicas},` : '',
    `  config: ${tsValue(t.config)},`,
    `  events: [${t.events.map((e) => tsString(e)).join(', ')}],`,
    t.parameters?.length ? `  parameters: [${t.parameters.map((p) => `{ name: ${tsString(p.name)}${p.values ? `, values: [${p.values.map((v) => tsString(v)).join(', ')}]` : ''} }`).join(', ')}],` : '',
    `  retry: ${tsValue(t.retry)},`,
    `  deadLetter: ${tsValue(t.deadLetter)},`,
    t.legacy ? `  legacy: ${tsValue(t.legacy)},` : '',
  ].filter(Boolean);
  return `{\n${lines.join('\n')}\n}`;
}

/**
 * `TOPIC_PARTITIONS`: the partition count of every topic the catalog sizes, dead-letter topics included (from the
 * same topology `gen topics` provisions), for `new InMemoryTransport({ partitions: TOPIC_PARTITIONS })`.
 */
function partitionsLiteral(table: SymbolTable): string {
  const counts = topicSpecs(table.catalog).filter((s) => s.partitions !== undefined);
  const lines = counts.map((s) => `  ${propertyKey(s.name)}: ${s.partitions},`);
  return [
    jsdoc([
      'Partitions of each topic as the catalog sizes it (dead-letter topics included), for the in-memory transport:',
      '`new InMemoryTransport({ partitions: TOPIC_PARTITIONS })` partitions records by key like the real topics.',
    ]),
    `export const ${table.fixed.TOPIC_PARTITIONS.name}: Readonly<Record<string, number>> = {`,
    ...lines,
    '};',
  ].join('\n');
}

function emitTopicsData(table: SymbolTable): string {
  const mod = new TsModule(table.files.TOPICS);
  const { topics, TOPIC_PARTITIONS } = table.fixed;
  for (const s of [topics, TOPIC_PARTITIONS, ...table.topics.map((t) => t.constant)]) mod.declare(s);
  const parts: string[] = [];
  for (const ts of table.topics) {
    const t = ts.topic;
    const doc = [t.title ?? `Kafka topic \`${t.name}\`.`, ...(t.description ? ['', t.description] : [])];
    parts.push(`${jsdoc(doc)}\nexport const ${ts.constant.name} = ${topicLiteral(ts)} as const;`);
    if (ts.parameters) parts.push(topicParameterDeclarations(mod, { ...ts, parameters: ts.parameters }));
  }
  if (table.topics.some((ts) => ts.parameters)) parts.push(topicSegmentHelper());
  parts.push(
    [
      jsdoc('Every topic of the catalog, by Kafka topic name (settings from the catalog\'s Kafka bindings).'),
      `export const ${topics.name} = {`,
      ...table.topics.map((t) => `  ${propertyKey(t.topic.name)}: ${t.constant.name},`),
      '} as const;',
    ].join('\n'),
  );
  parts.push(partitionsLiteral(table));
  return mod.render(parts.join('\n\n'));
}
