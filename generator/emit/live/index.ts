/**
 * `live/` (`--with live`): WebSocket fan-out of the catalog's events (docs/live.md). The server and the client
 * (`templates/live/`, copied verbatim) are catalog-independent; this emitter adds the channel table, the entry points
 * (`createLiveGateway`: a consumer group of its own feeding the server; `createLiveClient`: the typed client) and
 * `main.ts`.
 *
 * Channels: one per event type, one per topic, and one pattern `<prefix>.*` per dotted prefix shared by at least two
 * event types (the runtime's glob: `*` is one segment). Restricted events get no channel (they are never sent); a name
 * taken by an earlier channel (a topic named like an event type) is not declared twice. Topics whose address takes
 * channel parameters are left out (the consumer cannot subscribe to a template). `x-live` on a message sets the
 * event's user field (confidential events) and the overflow policy of its event channel.
 */
import type { DataClassification } from '../../model/types.js';
import type { EventSymbols, SymbolTable, TopicSymbols } from '../../symbols/table.js';
import { sym } from '../../symbols/sym.js';
import { clientOption } from '../kafka-client.js';
import { TsModule } from '../printer.js';
import { copyTemplates, type RuntimeSource } from '../runtime.js';
import { jsdoc, serviceMainTail, tsString } from '../text.js';
import type { EmitOptions, GeneratedFile } from '../types.js';

export const LIVE_DIR = 'live';
const CHANNELS = `${LIVE_DIR}/channels.ts`;
const INDEX = `${LIVE_DIR}/index.ts`;
const MAIN = `${LIVE_DIR}/main.ts`;
const SERVER = `${LIVE_DIR}/server.ts`;
const CLIENT = `${LIVE_DIR}/client.ts`;

export interface LiveEventPlan {
  event: EventSymbols;
  /** The first live topic carrying it. */
  topic: TopicSymbols;
  classification: DataClassification;
  channels: string[];
}

export interface LiveChannelPlan {
  name: string;
  kind: 'event' | 'topic' | 'pattern';
  description?: string;
  /** `x-live.overflow` of the event, on its event channel. */
  overflow?: 'drop-oldest' | 'close';
  /** Non-restricted events delivered on it. */
  events: EventSymbols[];
}

export interface LivePlan {
  events: LiveEventPlan[];
  channels: LiveChannelPlan[];
  /** Topics the live consumer reads by default (those carrying a non-restricted event). */
  topics: TopicSymbols[];
}

/** The live channels and event routes of a catalog. */
export function livePlan(table: SymbolTable): LivePlan {
  const topics = table.topics.filter((t) => t.parameters === undefined && t.topic.events.length > 0);
  const channels = new Map<string, LiveChannelPlan>();
  const add = (c: LiveChannelPlan): LiveChannelPlan | undefined => {
    if (channels.has(c.name)) return undefined;
    channels.set(c.name, c);
    return c;
  };
  const visible = (type: string): boolean => table.event(type).event.classification !== 'restricted';
  const eventTypes: string[] = [];
  for (const t of topics) for (const type of t.topic.events) if (!eventTypes.includes(type)) eventTypes.push(type);
  const eventChannels = new Map<string, LiveChannelPlan>();
  for (const type of eventTypes.filter(visible)) {
    const e = table.event(type);
    const c = add({ name: type, kind: 'event', ...(e.event.summary ? { description: e.event.summary } : {}), ...(e.event.live?.overflow ? { overflow: e.event.live.overflow } : {}), events: [e] });
    if (c) eventChannels.set(type, c);
  }
  const topicChannels = new Map<string, LiveChannelPlan>();
  for (const t of topics) {
    const events = t.topic.events.filter(visible).map((type) => table.event(type));
    if (events.length === 0) continue;
    const c = add({ name: t.topic.name, kind: 'topic', ...(t.topic.description ? { description: t.topic.description } : {}), events });
    if (c) topicChannels.set(t.topic.id, c);
  }
  const prefixes = new Map<string, string[]>();
  for (const type of eventTypes.filter(visible)) {
    const dot = type.lastIndexOf('.');
    if (dot <= 0 || type.includes('*')) continue;
    const prefix = type.slice(0, dot);
    prefixes.set(prefix, [...(prefixes.get(prefix) ?? []), type]);
  }
  const patternChannels = new Map<string, LiveChannelPlan>();
  for (const prefix of [...prefixes.keys()].sort()) {
    const types = prefixes.get(prefix) as string[];
    if (types.length < 2) continue;
    const c = add({ name: `${prefix}.*`, kind: 'pattern', description: `Every \`${prefix}.<name>\` event`, events: types.map((t) => table.event(t)) });
    if (c) for (const type of types) patternChannels.set(type, c);
  }
  const events: LiveEventPlan[] = [];
  for (const type of eventTypes) {
    const e = table.event(type);
    const carriers = topics.filter((t) => t.topic.events.includes(type));
    const names: string[] = [];
    if (visible(type)) {
      const ec = eventChannels.get(type);
      if (ec) names.push(ec.name);
      for (const t of carriers) {
        const tc = topicChannels.get(t.topic.id);
        if (tc && !names.includes(tc.name)) names.push(tc.name);
      }
      const pc = patternChannels.get(type);
      if (pc) names.push(pc.name);
    }
    events.push({ event: e, topic: carriers[0] as TopicSymbols, classification: e.event.classification, channels: names });
  }
  const liveTopics = topics.filter((t) => t.topic.events.some(visible));
  return { events, channels: [...channels.values()], topics: liveTopics };
}

export function emitLive(table: SymbolTable, _options: EmitOptions, sources: readonly RuntimeSource[]): GeneratedFile[] {
  const plan = livePlan(table);
  const files: GeneratedFile[] = copyTemplates(sources, LIVE_DIR);
  const source = table.catalog.source;

  // channels.ts: the channel table and its types.
  const cmod = new TsModule(CHANNELS);
  const liveEvents = cmod.declare(sym('LIVE_EVENTS', CHANNELS));
  const liveChannels = cmod.declare(sym('LIVE_CHANNELS', CHANNELS));
  const liveTopics = cmod.declare(sym('LIVE_TOPICS', CHANNELS));
  const topicName = cmod.declare(sym('LiveTopicName', CHANNELS, 'type'));
  const channelName = cmod.declare(sym('LiveChannelName', CHANNELS, 'type'));
  const eventMap = cmod.declare(sym('LiveEventMap', CHANNELS, 'type'));
  const envelopeOf = cmod.declare(sym('LiveEnvelopeOf', CHANNELS, 'type'));
  const routeType = cmod.type(sym('LiveEventRoute', SERVER, 'type'));
  const channelType = cmod.type(sym('LiveChannel', SERVER, 'type'));
  const envelope = cmod.type(table.runtime('Envelope'));
  const envelopeType = (e: EventSymbols): string => `${envelopeOf}<${tsString(e.event.type)}, ${cmod.type(e.type)}>`;
  const channelsBody = [
    jsdoc('An envelope of event type `T` with payload `D` (what a live client receives as `event`).'),
    `export type ${envelopeOf}<T extends string, D> = ${envelope}<D> & { metadata: { eventType: T } };`,
    '',
    jsdoc([
      'The event types the live server fans out: topic, classification (who may receive it, see docs/live.md) and the',
      'channels it is delivered on. Restricted events have no channel: they are never sent.',
    ]),
    `export const ${liveEvents}: readonly ${routeType}[] = Object.freeze([`,
    ...plan.events.map(
      (e) =>
        `  { eventType: ${tsString(e.event.event.type)}, topic: ${tsString(e.topic.topic.name)}, classification: ${tsString(e.classification)}${e.event.event.live?.userField ? `, userField: ${tsString(e.event.event.live.userField)}` : ''}, channels: [${e.channels.map(tsString).join(', ')}] },`,
    ),
    ']);',
    '',
    jsdoc('The channels clients may subscribe to: one per event type, one per topic, and `<prefix>.*` patterns.'),
    `export const ${liveChannels}: readonly ${channelType}[] = Object.freeze([`,
    ...plan.channels.map((c) => `  { name: ${tsString(c.name)}, kind: ${tsString(c.kind)}${c.description ? `, description: ${tsString(c.description)}` : ''}${c.overflow ? `, overflow: ${tsString(c.overflow)}` : ''} },`),
    ']);',
    '',
    jsdoc('The topics the live gateway consumes by default (those carrying an event it may send).'),
    `export const ${liveTopics} = [${plan.topics.map((t) => tsString(t.topic.name)).join(', ')}] as const;`,
    '',
    jsdoc('A topic the live gateway can consume.'),
    `export type ${topicName} = (typeof ${liveTopics})[number];`,
    '',
    jsdoc('A channel name.'),
    `export type ${channelName} = ${plan.channels.length === 0 ? 'never' : plan.channels.map((c) => tsString(c.name)).join(' | ')};`,
    '',
    jsdoc('Channel name → the envelope type of its events.'),
    `export interface ${eventMap} {`,
    ...plan.channels.map((c) => `  ${tsString(c.name)}: ${c.events.map(envelopeType).join(' | ')};`),
    '}',
  ].join('\n');
  files.push({ path: CHANNELS, content: cmod.render(channelsBody), ownership: 'managed' });

  // index.ts: createLiveGateway (consumer group → server) and createLiveClient, bound to the catalog.
  const imod = new TsModule(INDEX);
  const gatewayOptions = imod.declare(sym('LiveGatewayOptions', INDEX, 'type'));
  const gatewayType = imod.declare(sym('LiveGateway', INDEX, 'type'));
  const createGateway = imod.declare(sym('createLiveGateway', INDEX));
  const createClient = imod.declare(sym('createLiveClient', INDEX));
  const definitions = imod.declare(sym('LIVE_DEFINITIONS', INDEX));
  const createServer = imod.use(sym('createLiveServer', SERVER));
  const serverType = imod.type(sym('LiveServer', SERVER, 'type'));
  const serverOptions = imod.type(sym('LiveServerOptions', SERVER, 'type'));
  const connectLive = imod.use(sym('connectLive', CLIENT));
  const clientType = imod.type(sym('LiveClient', CLIENT, 'type'));
  const clientOptions = imod.type(sym('LiveClientOptions', CLIENT, 'type'));
  const cEvents = imod.use(sym('LIVE_EVENTS', CHANNELS));
  const cChannels = imod.use(sym('LIVE_CHANNELS', CHANNELS));
  const cTopics = imod.use(sym('LIVE_TOPICS', CHANNELS));
  const cTopicName = imod.type(sym('LiveTopicName', CHANNELS, 'type'));
  const cEventMap = imod.type(sym('LiveEventMap', CHANNELS, 'type'));
  const groupConsumer = imod.use(table.runtime('GroupConsumer'));
  const topicDelegator = imod.use(table.runtime('TopicDelegator'));
  const route = imod.use(table.runtime('route'));
  const parseEventData = imod.use(table.runtime('parseEventData'));
  const defaultLogger = imod.use(table.runtime('defaultLogger'));
  const eventDefinition = imod.type(table.runtime('EventDefinition'));
  const eventContext = imod.type(table.runtime('EventContext'));
  const transport = imod.type(table.runtime('Transport'));
  const consumerHealth = imod.type(table.runtime('ConsumerHealth'));
  const processedStore = imod.type(table.runtime('ProcessedStore'));
  imod.reexportAll(SERVER);
  imod.reexportAll(CLIENT);
  for (const n of ['LIVE_EVENTS', 'LIVE_CHANNELS', 'LIVE_TOPICS']) imod.reexport(sym(n, CHANNELS));
  for (const n of ['LiveTopicName', 'LiveChannelName', 'LiveEventMap', 'LiveEnvelopeOf']) imod.reexport(sym(n, CHANNELS, 'type'));
  const sendable = plan.events.filter((e) => e.classification !== 'restricted' && e.channels.length > 0);
  const defaultGroup = `${source}-live`;
  const indexBody = [
    jsdoc('Definitions of the events the live gateway may send: payloads are validated (and stripped to their schema) before fan-out.'),
    `export const ${definitions}: ReadonlyMap<string, ${eventDefinition}> = new Map<string, ${eventDefinition}>([`,
    ...sendable.map((e) => `  [${tsString(e.event.event.type)}, ${imod.use(e.event.definition)}],`),
    ']);',
    '',
    jsdoc('Options of `createLiveGateway`: those of `createLiveServer` without the catalog-bound ones, plus the consumer.'),
    `export interface ${gatewayOptions} extends Omit<${serverOptions}, 'events' | 'channels' | 'health' | 'metrics'> {`,
    '  /** The Kafka transport (or an `InMemoryTransport`). */',
    `  transport: ${transport};`,
    `  /** Consumer group of the live gateway (default \`${defaultGroup.replace(/[*`\\]/g, '')}\`): its own, so it never takes records from the services' groups. */`,
    '  groupId?: string;',
    '  /** Topics to consume (default `LIVE_TOPICS`: every topic carrying an event it may send). */',
    `  topics?: readonly ${cTopicName}[];`,
    '  /** Start from the earliest record when the group has no committed offset (default false: only new events go live). */',
    '  fromBeginning?: boolean;',
    '  /** Deduplication store of the consumer (default in memory; `null` disables). */',
    `  store?: ${processedStore} | null;`,
    '}',
    '',
    jsdoc('A running live gateway.'),
    `export interface ${gatewayType} {`,
    '  /** The WebSocket server (publish, attach, handleHttp, stats). */',
    `  readonly server: ${serverType};`,
    '  /** The consumer group member feeding it. */',
    `  readonly consumer: ${groupConsumer};`,
    '  /** Starts the consumer (joins the group). */',
    '  start(): Promise<void>;',
    '  /** Serves `/ws`, `/health` and `/metrics` on a port of its own (default host 127.0.0.1). */',
    '  listen(port: number, host?: string): Promise<{ port: number; close(): Promise<void> }>;',
    '  /** Sockets and the consumer\'s state. */',
    `  health(): { healthy: boolean; connections: number; consumer: ${consumerHealth} };`,
    '  /** Closes every socket (1001), then stops the consumer (commits, leaves the group). */',
    '  close(): Promise<void>;',
    '}',
    '',
    jsdoc([
      `The live gateway of \`${table.catalog.title.replace(/[*`\\]/g, '')}\`: consumes the chosen topics with a consumer group of its own and`,
      'fans every event out to the WebSocket clients allowed to see it (docs/live.md). A slow socket never fails, retries',
      'or delays a record: the server queues per socket within a byte bound, and the offset is committed after publish.',
    ]),
    `export function ${createGateway}(options: ${gatewayOptions}): ${gatewayType} {`,
    '  const { transport, groupId, topics, fromBeginning, store, ...serverOptions } = options;',
    `  const logger = serverOptions.logger ?? ${defaultLogger}();`,
    '  const warned = new Set<string>();',
    `  let consumer: ${groupConsumer} | undefined;`,
    `  const server = ${createServer}({`,
    '    ...serverOptions,',
    `    events: ${cEvents},`,
    `    channels: ${cChannels},`,
    '    health: () => {',
    '      const h = consumer?.health();',
    "      return h === undefined ? { healthy: false, status: 'stopped' } : { healthy: h.healthy, status: h.status, groupId: h.groupId, assignedPartitions: h.assignedPartitions, processed: h.processed, partitions: h.partitions };",
    '    },',
    "    metrics: () => consumer?.metrics.toPrometheus() ?? '',",
    '  });',
    '  const fanOut = {',
    `    async handle(data: unknown, context: ${eventContext}): Promise<void> {`,
    `      const definition = ${definitions}.get(context.eventType);`,
    '      if (definition === undefined) return; // restricted, or not an event of the catalog: never sent',
    '      try {',
    `        const parsed = await ${parseEventData}(definition.schema, data);`,
    '        if (!parsed.success) {',
    '          if (!warned.has(context.eventType)) {',
    '            warned.add(context.eventType);',
    "            logger.warn('Live: an event failed validation and was not sent (logged once per event type)', { eventType: context.eventType, eventId: context.eventId });",
    '          }',
    '          return;',
    '        }',
    '        server.publish({ metadata: context.metadata, data: parsed.data });',
    '      } catch (error) {',
    "        logger.error('Live: fan-out failed; the record is not retried', { eventType: context.eventType, eventId: context.eventId, error });",
    '      }',
    '    },',
    '  };',
    `  const member = new ${groupConsumer}({`,
    `    groupId: groupId ?? ${tsString(defaultGroup)},`,
    '    transport,',
    '    logger,',
    '    fromBeginning: fromBeginning ?? false,',
    "    unknownEventTypes: 'ignore',",
    '    ...(store === undefined ? {} : { store }),',
    `    topics: (topics ?? ${cTopics}).map(`,
    `      (topic) => new ${topicDelegator}({ topic, routes: [${route}.pattern('**', fanOut)], deadLetter: { enabled: false, topic: \`\${topic}.dlq\` }, unknownEventTypes: 'ignore' }),`,
    '    ),',
    '  });',
    '  consumer = member;',
    '  return {',
    '    server,',
    '    consumer: member,',
    '    start: () => member.start(),',
    '    listen: (port, host) => server.listen(port, host),',
    '    health() {',
    '      const h = member.health();',
    '      return { healthy: h.healthy, connections: server.stats().connections, consumer: h };',
    '    },',
    '    async close() {',
    '      await server.close();',
    '      await member.stop();',
    '    },',
    '  };',
    '}',
    '',
    jsdoc([
      'A typed live client: `createLiveClient(\'ws://localhost:3001/ws\', { token }).subscribe(\'<channel>\', (event) => ...)`.',
      'Uses the global `WebSocket` (browsers, Node ≥ 22), or pass `WebSocket` (the `ws` package) or a ready `socket`.',
    ]),
    `export function ${createClient}(url: string, options: ${clientOptions} = {}): ${clientType}<${cEventMap}> {`,
    `  return ${connectLive}<${cEventMap}>(url, options);`,
    '}',
  ].join('\n');
  files.push({ path: INDEX, content: imod.render(indexBody), ownership: 'managed' });

  // main.ts: the runnable service.
  const mmod = new TsModule(MAIN);
  const createTransport = mmod.use(table.runtime('createTransport'));
  const inMemoryTransport = mmod.use(table.runtime('InMemoryTransport'));
  const createLogger = mmod.use(table.runtime('createLogger'));
  const mCreateGateway = mmod.use(sym('createLiveGateway', INDEX));
  const mOptions = mmod.type(sym('LiveGatewayOptions', INDEX, 'type'));
  const demoTokens = mmod.use(sym('demoTokens', SERVER));
  const staticTokens = mmod.use(sym('staticLiveTokens', SERVER));
  const principal = mmod.type(sym('LivePrincipal', SERVER, 'type'));
  const mainBody = [
    jsdoc([
      'Runs the live gateway: `node live/main.js` (after `tsc`) or `npx tsx live/main.ts`. Needs the `ws` package.',
      '',
      'Environment: `PORT` (3001), `HOST` (127.0.0.1; `0.0.0.0` in a container), `KAFKA_BROKERS` (else an in-memory',
      'transport, for trying it out), the other `KAFKA_*` settings of the runtime, `LIVE_GROUP_ID`, and authentication — at',
      'least one of: `LIVE_TOKENS` (JSON: `{"<token>": {"kind": "user", "id": "u1"}}`), `LIVE_DEMO_TOKENS=1` (DEMO ONLY:',
      '`demo:<userId>` tokens, anyone can be anyone), `LIVE_ALLOW_ANONYMOUS=1` (public events to anyone).',
      'WebSocket at `/ws`; `/health`, `/metrics`. SIGTERM/SIGINT: close the sockets, stop the consumer, exit.',
    ]),
    `const logger = ${createLogger}({ fields: { component: 'live' } });`,
    'const env = process.env;',
    '',
    `function authentication(): Pick<${mOptions}, 'authenticate' | 'allowAnonymous'> {`,
    "  const allowAnonymous = env.LIVE_ALLOW_ANONYMOUS === '1';",
    '  if (env.LIVE_TOKENS) {',
    '    let map: unknown;',
    '    try {',
    '      map = JSON.parse(env.LIVE_TOKENS);',
    '    } catch {',
    "      throw new Error('LIVE_TOKENS is not JSON (expected {\"<token>\": {\"kind\": \"user\", \"id\": \"u1\"}})');",
    '    }',
    "    if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new Error('LIVE_TOKENS must be a JSON object');",
    `    return { authenticate: ${staticTokens}(map as Record<string, ${principal}>), allowAnonymous };`,
    '  }',
    "  if (env.LIVE_DEMO_TOKENS === '1') {",
    "    logger.warn('LIVE_DEMO_TOKENS=1: demo tokens let anyone claim any user id. Never use them in production.');",
    `    return { authenticate: ${demoTokens}(), allowAnonymous };`,
    '  }',
    '  return { allowAnonymous };',
    '}',
    '',
    'async function main(): Promise<void> {',
    `  const transport = env.KAFKA_BROKERS ? ${createTransport}({ logger${clientOption(table, mmod)} }) : new ${inMemoryTransport}();`,
    `  const live = ${mCreateGateway}({ transport, logger, ...authentication(), ...(env.LIVE_GROUP_ID ? { groupId: env.LIVE_GROUP_ID } : {}) });`,
    '  await live.start();',
    "  const host = env.HOST ?? '127.0.0.1';",
    '  const { port } = await live.listen(Number(env.PORT ?? 3001), host);',
    "  logger.info('Live gateway listening', { url: `ws://${host}:${port}/ws`, kafka: env.KAFKA_BROKERS ? 'kafka' : 'in-memory' });",
    ...serviceMainTail('live', 'Live gateway', 'Live gateway failed to start (authentication: set LIVE_TOKENS, LIVE_DEMO_TOKENS=1 or LIVE_ALLOW_ANONYMOUS=1)'),
  ].join('\n');
  files.push({ path: MAIN, content: mmod.render(mainBody), ownership: 'managed' });
  return files;
}
