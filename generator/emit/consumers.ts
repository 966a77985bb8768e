/**
 * Consumer groups in the topic-delegator layout: per group, one managed topic handler per topic that
 * routes by event type to one user-owned event handler per event, and a managed `index.ts` that wires
 * the group. The stubs and `handlers.ts` are scaffolds (see `stubs.ts`).
 */
import type { GroupSymbols, SubscriptionSymbols, SymbolTable } from '../symbols/table.js';
import { TsModule } from './printer.js';
import { fromTopicsText } from './stubs.js';
import { parameterCombinations } from '../model/parameters.js';
import { retryTopicNames, retryTopicsFor } from '../model/extensions.js';
import { parameterValue } from './topic-parameters.js';
import { jsdoc, propertyKey, tsString, tsValue } from './text.js';
import type { EmitOptions, GeneratedFile } from './types.js';

/**
 * The constructor's head and the dead-letter policy: a literal topic, or for an address with channel parameters the
 * topic (and its default dead-letter topic, `<topic>.dlq`) filled in from the values the group consumes.
 */
function constructorParts(mod: TsModule, sub: SubscriptionSymbols, handlers: string, codecs: Codecs): { head: string[]; deadLetter: string } {
  const topic = sub.topic.topic;
  const params = sub.topic.parameters;
  const dlq = topic.deadLetter;
  // Topics carrying Avro (or x-codec: json-schema) events take the wire codecs (Confluent wire format) as a last, optional argument.
  const members = [codecs.avro === undefined ? '' : `avro?: ${codecs.avro} | undefined`, codecs.jsonSchema === undefined ? '' : `jsonSchema?: ${codecs.jsonSchema} | undefined`].filter(Boolean);
  const avroParam = members.length === 0 ? '' : `, options?: { ${members.join('; ')} }`;
  const avroDoc = [
    ...(codecs.avro === undefined ? [] : ['@param options `avro`: decodes Avro records in the Confluent wire format (JSON envelopes are read either way).']),
    ...(codecs.jsonSchema === undefined ? [] : ['@param options `jsonSchema`: reads JSON records in the Confluent wire format (x-codec: json-schema; JSON envelopes are read either way).']),
  ];
  if (!params) {
    return {
      head: [...(avroDoc.length ? [jsdoc(undefined, '  ', avroDoc)] : []), `  constructor(handlers: ${handlers}${avroParam}) {`, '    super({', `      topic: ${tsString(topic.name)},`],
      deadLetter: `      deadLetter: ${tsValue({ enabled: dlq.enabled, topic: dlq.topic })},`,
    };
  }
  const perTopic = dlq.topic === `${topic.name}.dlq`;
  return {
    head: [
      jsdoc(undefined, '  ', [`@param parameters the values of the channel parameters of \`${topic.name}\`: which topic this handler reads.`, ...avroDoc]),
      `  constructor(handlers: ${handlers}, parameters: ${mod.type(params.type)}${avroParam}) {`,
      `    const topic = ${mod.use(params.topicName)}(parameters);`,
      '    super({',
      '      topic,',
    ],
    deadLetter: `      deadLetter: { enabled: ${dlq.enabled}, topic: ${perTopic ? '`${topic}.dlq`' : tsString(dlq.topic)} },`,
  };
}

function topicHandler(table: SymbolTable, group: GroupSymbols, sub: SubscriptionSymbols): GeneratedFile {
  const topic = sub.topic.topic;
  const retryTopics = retryTopicsFor(topic, group.group);
  const mod = new TsModule(sub.file);
  const cls = mod.declare(sub.handlerClass);
  const handlers = mod.declare(sub.eventHandlers);
  const delegator = mod.use(table.runtime('TopicDelegator'));
  const route = mod.use(table.runtime('route'));
  const handlerType = mod.type(table.runtime('EventHandler'));
  const members = sub.events.map((e) =>
    [jsdoc(`Handles \`${e.event.type}\` (v${e.event.version}).`, '  '), `  ${e.member}: ${handlerType}<${mod.use(e.type)}>;`].join('\n'),
  );
  const routes = sub.events.map((e) => `        ${route}(${mod.use(e.definition)}, handlers.${e.member}),`);
  const codecs = codecTypes(mod, table, [sub]);
  const ctor = constructorParts(mod, sub, handlers, codecs);
  const body = [
    jsdoc(`The event handlers consumer group \`${group.group.groupId}\` provides for topic \`${topic.name}\`.`),
    `export interface ${handlers} {`,
    members.join('\n'),
    '}',
    '',
    jsdoc([
      `Routes each record of \`${topic.name}\` by its event type to the matching event handler of`,
      `group \`${group.group.groupId}\`, after validating the payload. Retry and dead-letter policy come from the catalog.`,
    ]),
    `export class ${cls} extends ${delegator} {`,
    ...ctor.head,
    `      retry: ${tsValue(topic.retry)},`,
    ...(retryTopics
      ? [
          '      // x-retry mode topics: a failed record moves through these retry topics (its partition is not blocked), then to the dead-letter topic.',
          `      retryTopics: ${tsValue({ delaysMs: retryTopics.delaysMs, topics: retryTopicNames(retryTopics, topic.name, group.group.groupId) })},`,
        ]
      : []),
    ctor.deadLetter,
    '      routes: [',
    ...routes,
    '      ],',
    ...(sub.ignored.length
      ? ['      // Other event types of this topic, not received by this group: acknowledged without a handler.', `      ignore: [${sub.ignored.map((e) => tsString(e)).join(', ')}],`]
      : []),
    ...(topic.legacy ? ['      // x-legacy: records written before the envelope become envelopes before validation.', `      legacy: ${tsValue(topic.legacy)},`] : []),
    ...(codecs.avro !== undefined ? ['      avro: options?.avro,'] : []),
    ...(codecs.jsonSchema !== undefined ? ['      jsonSchema: options?.jsonSchema,'] : []),
    '    });',
    '  }',
    '}',
  ].join('\n');
  return { path: mod.path, content: mod.render(body), ownership: 'managed' };
}

/** Whether an event the group receives or ignores on this topic has an Avro payload (so records may be wire-format Avro). */
function carriesAvro(table: SymbolTable, sub: SubscriptionSymbols): boolean {
  if (sub.events.some((e) => e.event.payload.avroWire !== undefined)) return true;
  return sub.ignored.some((type) => table.catalog.events.find((e) => e.type === type)?.payload.avroWire !== undefined);
}

/** Whether an event the group receives or ignores on this topic has `x-codec: json-schema` (records may be wire-format JSON). */
function carriesJsonWire(table: SymbolTable, sub: SubscriptionSymbols): boolean {
  if (sub.events.some((e) => e.event.codec === 'json-schema')) return true;
  return sub.ignored.some((type) => table.catalog.events.find((e) => e.type === type)?.codec === 'json-schema');
}

/** The runtime codec types the topic handlers of `subs` take (undefined = none of their events needs that codec). */
interface Codecs {
  avro: string | undefined;
  jsonSchema: string | undefined;
}
function codecTypes(mod: TsModule, table: SymbolTable, subs: readonly SubscriptionSymbols[]): Codecs {
  return {
    avro: subs.some((s) => carriesAvro(table, s)) ? mod.type(table.runtime('AvroCodec')) : undefined,
    jsonSchema: subs.some((s) => carriesJsonWire(table, s)) ? mod.type(table.runtime('JsonSchemaCodec')) : undefined,
  };
}

/** Every combination of the catalog's values of a parameterised subscription, as a literal; undefined when one is open. */
function defaultParameterValues(sub: SubscriptionSymbols): string | undefined {
  const params = sub.topic.topic.parameters ?? [];
  const combos = parameterCombinations(params, (p) => p.values);
  if (combos === undefined) return undefined;
  const literal = (c: Record<string, string>): string => `{ ${params.map((p) => `${propertyKey(p.name)}: ${parameterValue(p, c[p.name] ?? '')}`).join(', ')} }`;
  return `[${combos.map(literal).join(', ')}]`;
}

function groupIndex(table: SymbolTable, group: GroupSymbols): GeneratedFile {
  const mod = new TsModule(group.index);
  const groupId = mod.declare(group.groupId);
  const handlers = mod.declare(group.handlers);
  const options = mod.declare(group.consumerOptions);
  const create = mod.declare(group.createConsumer);
  const old = { handlers: mod.declare(group.deprecated.handlers), options: mod.declare(group.deprecated.consumerOptions), create: mod.declare(group.deprecated.createConsumer) };
  const consumer = mod.use(table.runtime('GroupConsumer'));
  const consumerOptions = mod.type(table.runtime('GroupConsumerOptions'));
  const handlerType = mod.type(table.runtime('EventHandler'));
  const subs = group.subscriptions;
  mod.reexportAll(group.handlersFile);
  for (const s of subs) mod.reexport(s.handlerClass);
  const members = group.stubs.map((s) =>
    [
      jsdoc(`Handles \`${s.event.event.type}\` (v${s.event.event.version}) ${fromTopicsText(s.topics)}.`, '  '),
      `  ${s.event.member}: ${handlerType}<${mod.use(s.event.type)}>;`,
    ].join('\n'),
  );
  const byTopic = subs.map((s) => `  ${s.topic.member}: ${mod.use(s.eventHandlers)};`);
  // The shape of eventgen 0.1 (keyed by topic) is told apart by what sits at the first topic's key: an object of
  // handlers, not a handler.
  const probe = (subs[0] as SubscriptionSymbols).topic.member;
  const avroSubs = new Set(subs.filter((s) => carriesAvro(table, s)));
  const jsonSubs = new Set(subs.filter((s) => carriesJsonWire(table, s)));
  const { avro: avroType, jsonSchema: jsonType } = codecTypes(mod, table, subs);
  const topicHandlers = subs.map((s) => {
    const own = `keyedByTopic ? handlers.${s.topic.member} : handlers`;
    const passed = [avroSubs.has(s) ? 'avro' : '', jsonSubs.has(s) ? 'jsonSchema' : ''].filter(Boolean);
    const codec = passed.length ? `, { ${passed.join(', ')} }` : '';
    if (!s.topic.parameters) return `      new ${mod.use(s.handlerClass)}(${own}${codec}),`;
    // One delegator per Kafka topic: per element of the values given, else every combination the catalog lists.
    const defaults = defaultParameterValues(s);
    const list = defaults === undefined ? `parameters.${s.topic.member}` : `(parameters?.${s.topic.member} ?? ${defaults})`;
    return `      ...${list}.map((values) => new ${mod.use(s.handlerClass)}(${own}, values${codec})),`;
  });
  const parameterised = subs.filter((s) => s.topic.parameters);
  const parametersRequired = parameterised.some((s) => defaultParameterValues(s) === undefined);
  const parameterMembers = parameterised.map((s) => {
    const optional = defaultParameterValues(s) !== undefined;
    const params = s.topic.parameters as NonNullable<typeof s.topic.parameters>;
    return `    ${s.topic.member}${optional ? '?' : ''}: readonly ${mod.type(params.type)}[];`;
  });
  const g = group.group;
  const body = [
    jsdoc('The Kafka consumer group id.'),
    `export const ${groupId} = ${tsString(g.groupId)};`,
    '',
    jsdoc(`The event handlers of consumer group \`${g.groupId}\`, one per event it receives; \`${group.createHandlers.name}()\` in \`handlers.ts\` builds the scaffolded ones.`),
    `export interface ${handlers} {`,
    members.join('\n'),
    '}',
    '',
    jsdoc(['The event handlers keyed by topic, as eventgen 0.1 generated them; still accepted.'], '', [`@deprecated Use \`${handlers}\` (keyed by event).`]),
    `export interface ${old.handlers} {`,
    byTopic.join('\n'),
    '}',
    '',
    jsdoc('Options of the group consumer: everything `GroupConsumer` takes, plus the handlers.'),
    `export interface ${options} extends Omit<${consumerOptions}, 'groupId' | 'topics'> {`,
    jsdoc(`The event handlers, by event (\`${handlers}\`; the deprecated \`${old.handlers}\` keyed by topic still works).`, '  '),
    `  handlers: ${handlers} | ${old.handlers};`,
    ...(avroType !== undefined
      ? [
          jsdoc(['Decodes Avro records in the Confluent wire format (schema registry) on the topics carrying Avro events; JSON envelopes are read either way.'], '  '),
          `  avro?: ${avroType} | undefined;`,
        ]
      : []),
    ...(jsonType !== undefined
      ? [
          jsdoc(['Reads JSON records in the Confluent wire format (schema registry) on the topics carrying events with `x-codec: json-schema`; JSON envelopes are read either way.'], '  '),
          `  jsonSchema?: ${jsonType} | undefined;`,
        ]
      : []),
    ...(parameterised.length
      ? [
          jsdoc(
            [
              'The channel parameter values to consume, per topic address with parameters: one Kafka topic per element.',
              'Addresses whose parameters all list values in the catalog default to every combination of them.',
            ],
            '  ',
          ),
          `  parameters${parametersRequired ? '' : '?'}: {`,
          ...parameterMembers,
          '  };',
        ]
      : []),
    '}',
    '',
    jsdoc(undefined, '', [`@deprecated Use \`${options}\`.`]),
    `export type ${old.options} = ${options};`,
    '',
    jsdoc([
      ...(g.description ? [g.description, ''] : []),
      `Creates the consumer of group \`${g.groupId}\`: topics ${subs.map((s) => `\`${s.topic.topic.name}\``).join(', ')}.`,
      'Call `start()` to join the group and `stop()` to leave it gracefully.',
      ...(g.exactlyOnce
        ? [
            '',
            'Exactly-once (`x-exactly-once`): what handlers produce through `context.outputs` or typed producers called with',
            '`{ causedBy: context }` commits with the consumed offsets in one Kafka transaction (needs `KafkaTransport`).',
          ]
        : []),
    ]),
    `export function ${create}(options: ${options}): ${consumer} {`,
    `  const { handlers, ${parameterised.length ? 'parameters, ' : ''}${avroType !== undefined ? 'avro, ' : ''}${jsonType !== undefined ? 'jsonSchema, ' : ''}...rest } = options;`,
    `  const keyedByTopic = isKeyedByTopic(handlers);`,
    `  return new ${consumer}({`,
    ...(g.exactlyOnce ? ['    exactlyOnce: true,'] : []),
    '    ...rest,',
    `    groupId: ${groupId},`,
    '    topics: [',
    ...topicHandlers,
    '    ],',
    '  });',
    '}',
    '',
    jsdoc(undefined, '', [`@deprecated Use \`${create}\`.`]),
    `export const ${old.create} = ${create};`,
    '',
    `function isKeyedByTopic(handlers: ${handlers} | ${old.handlers}): handlers is ${old.handlers} {`,
    `  const first: unknown = Reflect.get(handlers, ${tsString(probe)});`,
    "  return typeof first === 'object' && first !== null && typeof Reflect.get(first, 'handle') !== 'function';",
    '}',
  ].join('\n');
  return { path: mod.path, content: mod.render(body), ownership: 'managed' };
}

export function emitConsumers(table: SymbolTable, options: EmitOptions): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  const memo = options.memo;
  for (const group of table.activeGroups()) {
    for (const sub of group.subscriptions) {
      files.push(memo ? memo.units.get('topic-handler', sub.file, memo.events(sub.events.map((e) => e.event.type)), () => topicHandler(table, group, sub)) : topicHandler(table, group, sub));
    }
    files.push(memo ? memo.units.get('group-index', group.index, memo.events(group.stubs.map((s) => s.event.event.type)), () => groupIndex(table, group)) : groupIndex(table, group));
  }
  return files;
}
