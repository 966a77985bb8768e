/**
 * `gateway/` (`--with gateway`): the HTTP publish API of the catalog. The server (`templates/gateway/`, copied
 * verbatim) is catalog-independent; this emitter adds the route table, the OpenAPI document and the entry points.
 */
import type { SymbolTable } from '../../symbols/table.js';
import { sym } from '../../symbols/sym.js';
import { clientOption } from '../kafka-client.js';
import { TsModule } from '../printer.js';
import { jsdoc, serviceMainTail, tsString, tsStringBody, tsValue } from '../text.js';
import type { EmitOptions, GeneratedFile } from '../types.js';
import { copyTemplates, type RuntimeSource } from '../runtime.js';
import { buildOpenApi, compactJson, emitOpenApiFiles } from './openapi.js';
import { gatewayRoutes } from './routes.js';

export const GATEWAY_DIR = 'gateway';
const ROUTES = `${GATEWAY_DIR}/routes.ts`;
const OPENAPI = `${GATEWAY_DIR}/openapi.ts`;
const INDEX = `${GATEWAY_DIR}/index.ts`;
const MAIN = `${GATEWAY_DIR}/main.ts`;
const SERVER = `${GATEWAY_DIR}/gateway.ts`;

export function emitGateway(table: SymbolTable, options: EmitOptions, sources: readonly RuntimeSource[]): GeneratedFile[] {
  const { routes } = gatewayRoutes(table);
  const files: GeneratedFile[] = copyTemplates(sources, GATEWAY_DIR);

  // routes.ts: the catalog's events as gateway routes.
  const rmod = new TsModule(ROUTES);
  const routeType = rmod.type(sym('GatewayRoute', SERVER, 'type'));
  const entries = routes.map((r) => {
    const def = rmod.use(r.event.definition);
    return `  { eventType: ${tsString(r.event.event.type)}, topic: ${tsString(r.topic.topic.name)}, definition: ${def}, groups: ${tsValue(r.groups)}, keyOverride: ${r.keyOverride}, priority: ${tsString(r.priority)} },`;
  });
  const routesBody = [
    jsdoc(['The event types this gateway publishes, one `POST /events/<eventType>` each: its topic, definition, the consumer groups', 'whose statuses start PENDING, whether clients may choose the key, and its default priority.']),
    `export const GATEWAY_ROUTES: readonly ${routeType}[] = Object.freeze([`,
    ...entries,
    ']);',
  ].join('\n');
  files.push({ path: ROUTES, content: rmod.render(routesBody), ownership: 'managed' });

  // openapi.ts: the document as data (JSON.parse of one string: a key such as `__proto__` stays a plain key).
  const doc = buildOpenApi(table, routes, options.memo);
  const omod = new TsModule(OPENAPI);
  const openapiBody = [
    jsdoc('The OpenAPI 3.1 document of this gateway, generated from the catalog (also written to `docs/openapi.json`); served at `/openapi.json`.'),
    `export const OPENAPI_DOCUMENT: Record<string, unknown> = JSON.parse(${options.memo ? `'${compactJson(doc, tsStringBody)}'` : tsString(JSON.stringify(doc))}) as Record<string, unknown>;`,
  ].join('\n');
  files.push({ path: OPENAPI, content: omod.render(openapiBody), ownership: 'managed' });

  // index.ts: createEventGateway bound to the catalog.
  const imod = new TsModule(INDEX);
  const producer = imod.use(table.runtime('EventProducer'));
  const metricsCls = imod.use(table.runtime('Metrics'));
  const transport = imod.type(table.runtime('Transport'));
  const kafkaTransport = imod.use(table.runtime('KafkaTransport'));
  const createGateway = imod.use(sym('createGateway', SERVER));
  const kafkaProbe = imod.use(sym('kafkaAdminProbe', SERVER));
  const gatewayOptions = imod.type(sym('EventGatewayOptions', SERVER, 'type'));
  const eventGateway = imod.type(sym('EventGateway', SERVER, 'type'));
  const routesConst = imod.use(sym('GATEWAY_ROUTES', ROUTES));
  const openapiConst = imod.use(sym('OPENAPI_DOCUMENT', OPENAPI));
  imod.reexportAll(SERVER);
  imod.reexportAll(`${GATEWAY_DIR}/http.ts`);
  imod.reexport(sym('GATEWAY_ROUTES', ROUTES));
  imod.reexport(sym('OPENAPI_DOCUMENT', OPENAPI));
  const indexBody = [
    jsdoc('Options of `createEventGateway`: those of `createGateway` without the catalog-bound ones, plus a transport or a producer.'),
    `export interface GatewayOptions extends Omit<${gatewayOptions}, 'producer' | 'routes' | 'openapi'> {`,
    `  /** The producer to publish with; default: a new one on \`transport\` with source \`${table.catalog.source.replace(/[*`\\]/g, '')}\`. */`,
    `  producer?: ${producer};`,
    '  /** The Kafka transport (when no producer is given). */',
    `  transport?: ${transport};`,
    '}',
    '',
    jsdoc([
      `The event gateway of \`${table.catalog.title.replace(/[*`\\]/g, '')}\`: \`POST /events/<eventType>\`, \`POST /events\`, \`POST /events:batch\`,`,
      '`GET /events/{eventId}`, `/health`, `/metrics`, `/openapi.json` (see docs/gateway.md). Call `listen(port)` or mount `handle`.',
    ]),
    `export function createEventGateway(options: GatewayOptions): ${eventGateway} {`,
    '  const { producer, transport, ...rest } = options;',
    `  const metrics = rest.metrics ?? new ${metricsCls}();`,
    '  let publisher = producer;',
    '  if (publisher === undefined) {',
    "    if (transport === undefined) throw new TypeError('createEventGateway: pass a producer or a transport');",
    `    publisher = new ${producer}({ transport, source: ${tsString(table.catalog.source)}, metrics, ...(rest.logger ? { logger: rest.logger } : {}) });`,
    '  }',
    `  const probe = rest.kafkaProbe ?? (transport instanceof ${kafkaTransport} ? ${kafkaProbe}(transport.kafka) : undefined);`,
    `  return ${createGateway}({ ...rest, metrics, ...(probe ? { kafkaProbe: probe } : {}), producer: publisher, routes: ${routesConst}, openapi: ${openapiConst} });`,
    '}',
  ].join('\n');
  files.push({ path: INDEX, content: imod.render(indexBody), ownership: 'managed' });

  // main.ts: the runnable service.
  const mmod = new TsModule(MAIN);
  const names = ['createTransport', 'InMemoryTransport', 'InMemoryStatusStore', 'RedisStatusStore', 'createLogger'].map((n) => mmod.use(table.runtime(n)));
  const [createTransport, inMemoryTransport, inMemoryStatusStore, redisStatusStore, createLogger] = names as [string, string, string, string, string];
  const statusStore = mmod.type(table.runtime('StatusStore'));
  const redisClient = mmod.type(table.runtime('RedisStatusClientLike'));
  const createEventGateway = mmod.use(sym('createEventGateway', INDEX));
  const staticTokens = mmod.use(sym('staticTokens', SERVER));
  const mainBody = [
    jsdoc([
      'Runs the event gateway: `node gateway/main.js` (after `tsc`) or `npx tsx gateway/main.ts`.',
      '',
      'Environment: `PORT` (3000), `HOST` (127.0.0.1; `0.0.0.0` in a container), `KAFKA_BROKERS` (else an in-memory',
      'transport, for trying it out), the other `KAFKA_*` settings of the runtime, `REDIS_URL` (statuses and idempotency',
      'keys in Redis, needs the `ioredis` package; else in memory), `GATEWAY_TOKENS` (comma-separated bearer tokens; unset =',
      'no authentication), `GATEWAY_CORS_ORIGINS` (comma-separated origins, or `*`), `GATEWAY_MAX_BODY_BYTES`.',
      'SIGTERM/SIGINT: stop accepting, drain requests in flight, flush the producer, exit.',
    ]),
    `const logger = ${createLogger}({ fields: { component: 'gateway' } });`,
    'const env = process.env;',
    '',
    `async function statusStore(): Promise<${statusStore}> {`,
    `  if (!env.REDIS_URL) return new ${inMemoryStatusStore}();`,
    "  const ioredis = 'ioredis'; // a variable: the gateway compiles without ioredis installed",
    `  const mod = (await import(ioredis)) as { Redis: new (url: string, options: object) => ${redisClient} };`,
    `  return new ${redisStatusStore}({ client: new mod.Redis(env.REDIS_URL, { maxRetriesPerRequest: 1, enableAutoPipelining: true }) });`,
    '}',
    '',
    'async function main(): Promise<void> {',
    `  const transport = env.KAFKA_BROKERS ? ${createTransport}({ logger${clientOption(table, mmod)} }) : new ${inMemoryTransport}();`,
    `  const gateway = ${createEventGateway}({`,
    '    transport,',
    '    statusStore: await statusStore(),',
    '    logger,',
    `    ...(env.GATEWAY_TOKENS ? { authenticate: ${staticTokens}(env.GATEWAY_TOKENS.split(',').map((t) => t.trim())) } : {}),`,
    "    ...(env.GATEWAY_CORS_ORIGINS ? { cors: { origins: env.GATEWAY_CORS_ORIGINS === '*' ? '*' : env.GATEWAY_CORS_ORIGINS.split(',').map((o) => o.trim()) } } : {}),",
    '    ...(env.GATEWAY_MAX_BODY_BYTES ? { maxBodyBytes: Number(env.GATEWAY_MAX_BODY_BYTES) } : {}),',
    '  });',
    "  const address = await gateway.listen(Number(env.PORT ?? 3000), env.HOST ?? '127.0.0.1');",
    "  logger.info('Event gateway listening', { url: `http://${address.address}:${address.port}`, kafka: env.KAFKA_BROKERS ? 'kafka' : 'in-memory', statuses: env.REDIS_URL ? 'redis' : 'in-memory' });",
    ...serviceMainTail('gateway', 'Event gateway'),
  ].join('\n');
  files.push({ path: MAIN, content: mmod.render(mainBody), ownership: 'managed' });

  // docs/openapi.json (with the docs); the gateway itself serves OPENAPI_DOCUMENT.
  files.push(...emitOpenApiFiles(table, routes, options, doc).filter((f) => f.path.startsWith('docs/')));
  return files;
}
