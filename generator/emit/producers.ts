/** `producers/<topic>.producer.ts`: one class per topic, one typed method per event sent to it. */
import type { EventSymbols, SymbolTable, TopicSymbols } from '../symbols/table.js';
import type { Sym } from '../symbols/sym.js';
import { keyRuleText } from './describe.js';
import { TsModule } from './printer.js';
import { jsdoc, tsString } from './text.js';
import type { EmitOptions, GeneratedFile } from './types.js';

function method(table: SymbolTable, mod: TsModule, topic: TopicSymbols, sy: EventSymbols): string {
  const e = sy.event;
  const input = mod.use(sy.input);
  const def = mod.use(sy.definition);
  const sendOptions = mod.type(table.runtime('SendOptions'));
  const metadata = mod.type(table.runtime('RecordMetadata'));
  const head = e.summary ?? e.title ?? `Publish \`${e.type}\`.`;
  const params = topic.parameters;
  const doc = jsdoc(
    [
      head,
      '',
      `Sends \`${e.type}\` v${e.version} to \`${topic.topic.name}\`${params ? ' (the topic its parameters choose)' : ''}; Kafka key: ${keyRuleText(e.key)}.`,
      'The payload is validated before anything is sent.',
    ],
    '  ',
    e.deprecated ? ['@deprecated'] : [],
  );
  // An address with channel parameters: the caller gives the values, the topic is filled in (and checked) per record.
  const first = params ? `parameters: ${mod.type(params.type)}, ` : '';
  const target = params ? `${mod.use(params.topicName)}(parameters)` : tsString(topic.topic.name);
  return [
    doc,
    // async: a value that cannot be part of a topic name rejects the promise like any other send failure.
    `  ${params ? 'async ' : ''}${sy.member}(${first}data: ${input}, options?: ${sendOptions}): Promise<${metadata}> {`,
    `    return this.producer.send(${target}, ${def}, data, options);`,
    '  }',
  ].join('\n');
}

function producerClass(table: SymbolTable, topic: TopicSymbols, cls: Sym): GeneratedFile {
  const mod = new TsModule(cls.from);
  mod.declare(cls);
  const producer = mod.type(table.runtime('EventProducer'));
  const methods = topic.topic.produced.map((t) => method(table, mod, topic, table.event(t)));
  const doc = jsdoc([`Publishes the events of Kafka topic \`${topic.topic.name}\`.`, ...(topic.topic.description ? ['', topic.topic.description] : [])]);
  const body = [
    doc,
    `export class ${cls.name} {`,
    jsdoc(topic.parameters ? 'The Kafka topic address this producer writes to; its channel parameters choose the topic of each record.' : 'The Kafka topic this producer writes to.', '  '),
    `  static readonly topic = ${tsString(topic.topic.name)};`,
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

export function emitProducers(table: SymbolTable, emitOptions: EmitOptions): GeneratedFile[] {
  const topics = table.topics.filter((t): t is TopicSymbols & { producer: Sym } => t.producer !== undefined);
  if (!topics.length) return [];
  const memo = emitOptions.memo;
  const files = topics.map((t) => (memo ? memo.units.get('producer', t.producer.from, memo.events(t.topic.produced), () => producerClass(table, t, t.producer)) : producerClass(table, t, t.producer)));
  const mod = new TsModule(table.files.PRODUCERS_INDEX);
  const { createProducers, Producers } = table.fixed;
  mod.declare(createProducers);
  mod.declare(Producers);
  const eventProducer = mod.use(table.runtime('EventProducer'));
  const options = mod.type(table.runtime('EventProducerOptions'));
  for (const t of topics) mod.reexport(t.producer);
  const members = topics.map((t) => `    ${t.member}: new ${mod.use(t.producer)}({ producer }),`);
  const body = [
    jsdoc([
      'One typed producer per topic, sharing one `EventProducer` (one Kafka connection).',
      `Pass an \`EventProducer\`, or its options: \`source\` then defaults to the catalog's, \`${table.catalog.source}\`.`,
    ]),
    `export function ${createProducers.name}(from: ${eventProducer} | (Omit<${options}, 'source'> & { source?: string })) {`,
    `  const producer = from instanceof ${eventProducer} ? from : new ${eventProducer}({ source: ${tsString(table.catalog.source)}, ...from });`,
    '  return {',
    ...members,
    '  };',
    '}',
    '',
    jsdoc('The typed producers of the catalog, by topic.'),
    `export type ${Producers.name} = ReturnType<typeof ${createProducers.name}>;`,
  ].join('\n');
  files.push({ path: mod.path, content: mod.render(body), ownership: 'managed' });
  return files;
}
