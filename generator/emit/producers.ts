/** `producers/<topic>.producer.ts`: one class per topic, one typed method per event sent to it. */
import type { Catalog, EventType, Topic } from '../model/types.js';
import { keyRuleText } from './describe.js';
import { EVENTS, eventSchemaFile, producerFile, RUNTIME } from './paths.js';
import { TsModule } from './printer.js';
import { jsdoc, tsString } from './text.js';
import type { EmitOptions, GeneratedFile } from './types.js';

function method(mod: TsModule, topic: Topic, e: EventType): string {
  const input = mod.type(`${e.names.typeName}Input`, eventSchemaFile(e));
  const def = mod.use(e.names.definitionName, EVENTS);
  const sendOptions = mod.type('SendOptions', RUNTIME);
  const metadata = mod.type('RecordMetadata', RUNTIME);
  const head = e.summary ?? e.title ?? `Publish \`${e.type}\`.`;
  const doc = jsdoc(
    [head, '', `Sends \`${e.type}\` v${e.version} to \`${topic.name}\`; Kafka key: ${keyRuleText(e.key)}.`, 'The payload is validated before anything is sent.'],
    '  ',
    e.deprecated ? ['@deprecated'] : [],
  );
  return [
    doc,
    `  ${e.names.memberName}(data: ${input}, options?: ${sendOptions}): Promise<${metadata}> {`,
    `    return this.producer.send(${tsString(topic.name)}, ${def}, data, options);`,
    '  }',
  ].join('\n');
}

function producerClass(topic: Topic, catalog: Catalog): GeneratedFile {
  const mod = new TsModule(producerFile(topic));
  const producer = mod.type('EventProducer', RUNTIME);
  const byType = new Map(catalog.events.map((e) => [e.type, e]));
  const methods = topic.produced.map((t) => byType.get(t)).filter((e): e is EventType => !!e).map((e) => method(mod, topic, e));
  const doc = jsdoc([`Publishes the events of Kafka topic \`${topic.name}\`.`, ...(topic.description ? ['', topic.description] : [])]);
  const body = [
    doc,
    `export class ${topic.names.producerClass} {`,
    jsdoc('The Kafka topic this producer writes to.', '  '),
    `  static readonly topic = ${tsString(topic.name)};`,
    '',
    `  private readonly producer: ${producer};`,
    '',
    `  constructor(options: { producer: ${producer} }) {`,
    '    this.producer = options.producer;',
    '  }',
    '',
    methods.join('\n\n'),
    '}',
  ].join('\n');
  return { path: mod.path, content: mod.render(body), ownership: 'managed' };
}

export function emitProducers(catalog: Catalog, _options: EmitOptions): GeneratedFile[] {
  const topics = catalog.topics.filter((t) => t.produced.length > 0);
  if (!topics.length) return [];
  const files = topics.map((t) => producerClass(t, catalog));
  const mod = new TsModule('producers/index.ts');
  const producer = mod.type('EventProducer', RUNTIME);
  const members = topics.map((t) => `    ${t.names.memberName}: new ${mod.use(t.names.producerClass, producerFile(t))}({ producer }),`);
  const body = [
    ...topics.map((t) => `export { ${t.names.producerClass} } from './${t.names.fileName}.producer.js';`),
    '',
    jsdoc('One typed producer per topic, sharing one `EventProducer` (one Kafka connection).'),
    `export function createProducers(producer: ${producer}) {`,
    '  return {',
    ...members,
    '  };',
    '}',
    '',
    jsdoc('The typed producers of the catalog, by topic.'),
    'export type Producers = ReturnType<typeof createProducers>;',
  ].join('\n');
  files.push({ path: mod.path, content: mod.render(body), ownership: 'managed' });
  return files;
}
