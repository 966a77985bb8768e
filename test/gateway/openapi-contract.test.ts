/**
 * The OpenAPI document against the gateway server it describes (templates/gateway over real HTTP, in-memory Kafka),
 * for the bundled catalog and the hostile one: every documented typed path reaches its event; what the document's
 * schemas accept (payloads, `PublishRequest`, `BatchRequest`, metadata) the server accepts, and what they reject it
 * refuses; every answer (`Accepted`, `BatchAccepted`, `EventStatus`, `Health`, `Problem`, `Location`) validates
 * against the documented schema.
 */
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { synthesizeExample } from '../../generator/emit/docs/example.js';
import { buildOpenApi, eventPath } from '../../generator/emit/gateway/openapi.js';
import { gatewayRoutes, type GatewayRoute } from '../../generator/emit/gateway/routes.js';
import { generateFromString, type GenerateResult } from '../../generator/index.js';
import type { NamedSchema } from '../../generator/model/types.js';
import { createGateway, type EventGateway, type GatewayRoute as ServerRoute } from '../../templates/gateway/gateway.js';
import { defineEvent, EventProducer, InMemoryStatusStore, InMemoryTransport, Metrics, silentLogger } from '../../templates/runtime/index.js';
import { generateAt, ROOT, writeTree } from '../support/tree.js';

const require = createRequire(import.meta.url);
type Validator = ((data: unknown) => boolean) & { errors?: unknown };
interface AjvLike {
  addSchema(schema: object): AjvLike;
  getSchema(ref: string): Validator | undefined;
  compile(schema: object): Validator;
}
const Ajv2020 = require('ajv/dist/2020').default as new (o: object) => AjvLike;
const addFormats = require('ajv-formats').default as (a: AjvLike) => void;

interface ZodLike {
  safeParse(data: unknown): { success: boolean };
}

type Doc = {
  paths: Record<string, Record<string, { parameters?: Array<{ $ref?: string; name?: string; schema?: object }> }>>;
  components: { schemas: Record<string, unknown>; headers: Record<string, { schema: object }> };
};

const dirs: string[] = [];
const gateways: EventGateway[] = [];
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const HOSTILE = 'test/fixtures/gateway/hostile.asyncapi.yaml';
const CATALOGS: Array<{ name: string; load: () => Promise<GenerateResult> }> = [
  { name: 'shop', load: () => generateAt(path.join(ROOT, 'catalog/shop.asyncapi.yaml')) },
  { name: 'hostile-gateway', load: () => Promise.resolve(generateFromString(readFileSync(path.join(ROOT, HOSTILE), 'utf8'), { path: HOSTILE })) },
];

/** ajv over the document's components (`#/components/schemas/X` read as `doc#/$defs/X`). */
function schemasOf(doc: Doc): (name: string) => Validator {
  const defs = JSON.parse(JSON.stringify(doc.components.schemas).replaceAll('"#/components/schemas/', '"doc#/$defs/')) as object;
  const ajv = new Ajv2020({ strict: false, logger: false, ownProperties: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'doc', $defs: defs });
  return (ref) => {
    const v = ajv.getSchema(`doc#/$defs/${ref.replace('#/components/schemas/', '')}`);
    if (v === undefined) throw new Error(`no schema ${ref}`);
    return v;
  };
}

function compileLoose(schema: object): Validator {
  const ajv = new Ajv2020({ strict: false, logger: false });
  addFormats(ajv);
  return ajv.compile(schema);
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

for (const c of CATALOGS) {
  describe(`contract: ${c.name}`, () => {
    it('the gateway serves what the document describes', async () => {
      const result = await c.load();
      const table = result.symbols;
      if (table === undefined) throw new Error(result.diagnostics.map((d) => d.message).join('; '));
      const { routes } = gatewayRoutes(table);
      const doc = buildOpenApi(table, routes);
      const d = JSON.parse(JSON.stringify(doc)) as Doc;
      const schema = schemasOf(d);
      const dir = writeTree(`gateway-contract-${c.name}-${process.pid}`, result.files);
      dirs.push(dir);
      const byId = new Map<string, NamedSchema>(table.schemas.map((s) => [s.schema.id, s.schema]));

      // The server bound to the same routes, with the generated Zod schemas.
      const zodOf = new Map<string, ZodLike>();
      const serverRoutes: ServerRoute[] = [];
      for (const r of routes) {
        const mod = (await import(pathToFileURL(path.join(dir, r.event.file)).href)) as Record<string, ZodLike>;
        const zod = mod[r.event.schema.name] as ZodLike;
        zodOf.set(r.event.event.type, zod);
        const definition = defineEvent({
          eventType: r.event.event.type,
          version: r.event.event.version,
          topics: [r.topic.topic.name],
          schema: zod as never,
          classification: r.event.event.classification,
          partitionKey: () => null,
        });
        serverRoutes.push({ eventType: r.event.event.type, topic: r.topic.topic.name, definition, groups: r.groups, keyOverride: r.keyOverride, priority: r.priority });
      }
      const transport = new InMemoryTransport();
      const metrics = new Metrics();
      const producer = new EventProducer({ transport, source: 'contract-test', logger: silentLogger, metrics });
      const gateway = createGateway({ producer, routes: serverRoutes, statusStore: new InMemoryStatusStore(), logger: silentLogger, metrics, openapi: doc });
      gateways.push(gateway);
      const base = `http://127.0.0.1:${(await gateway.listen(0)).port}`;

      // The gateway's own components are found through the document (their names give way to the catalog's).
      const at = (...keys: string[]): string => {
        let v: unknown = doc;
        for (const k of keys) v = (v as Record<string, unknown>)[k];
        return (v as { $ref: string }).$ref;
      };
      const body = (...keys: string[]): string => at(...keys, 'content', 'application/json', 'schema');
      const accepted = schema(body('components', 'responses', 'Accepted'));
      const batchAccepted = schema(body('components', 'responses', 'BatchAccepted'));
      const problem = schema(at('components', 'responses', 'InvalidEvent', 'content', 'application/problem+json', 'schema'));
      const publishRequest = schema(body('paths', '/events', 'post', 'requestBody'));
      const batchRequest = schema(body('paths', '/events:batch', 'post', 'requestBody'));
      const statusSchema = schema(body('paths', '/events/{eventId}', 'get', 'responses', '200'));
      const healthSchema = schema(body('paths', '/health', 'get', 'responses', '200'));
      const location = compileLoose(d.components.headers['Location']?.schema ?? {});
      const priorityHeader = (r: GatewayRoute): Validator => compileLoose(d.paths[eventPath(r.event.event.type)]?.['post']?.parameters?.find((p) => p.name === 'X-Event-Priority')?.schema ?? {});

      const valid: Array<{ route: GatewayRoute; data: unknown }> = [];
      let typedChecked = 0;
      for (const r of routes) {
        const type = r.event.event.type;
        const zod = zodOf.get(type) as ZodLike;
        const candidates: unknown[] = [...r.event.event.examples.map((x) => x.payload), synthesizeExample(r.event.event.payload, byId), {}, 'x', 1, true, []];
        const data = candidates.find((x) => x !== undefined && zod.safeParse(x).success);
        if (data === undefined) continue;
        valid.push({ route: r, data });
        const where = `${c.name} ${type}`;

        // Typed route: documented path, documented headers.
        const headers: Record<string, string> = { 'x-correlation-id': 'corr-1', 'x-event-priority': 'high', 'x-event-source': 'contract/test:1', 'x-user-id': 'u-1' };
        if (r.keyOverride) headers['x-partition-key'] = 'k-1';
        const res = await post(`${base}${eventPath(type)}`, data, headers);
        const answer = (await res.json()) as { statusUrl: string; eventType: string };
        expect(res.status, `${where}: ${JSON.stringify(answer)}`).toBe(202);
        expect(accepted(answer), `${where}: Accepted ${JSON.stringify(accepted.errors)}`).toBe(true);
        expect(answer.eventType).toBe(type);
        expect(location(res.headers.get('location'))).toBe(true);
        typedChecked++;

        // Its status.
        const status = await fetch(`${base}${answer.statusUrl}`);
        const statusBody = (await status.json()) as unknown;
        expect(status.status).toBe(200);
        expect(statusSchema(statusBody), `${where}: EventStatus ${JSON.stringify(statusSchema.errors)}`).toBe(true);

        // A priority the document refuses, the server refuses (located in the header).
        expect(priorityHeader(r)('urgent')).toBe(false);
        const badPriority = await post(`${base}${eventPath(type)}`, data, { 'x-event-priority': 'urgent' });
        const badBody = (await badPriority.json()) as { errors: Array<{ pointer: string }> };
        expect(badPriority.status).toBe(422);
        expect(problem(badBody)).toBe(true);
        expect(badBody.errors.map((e) => e.pointer)).toEqual(['/headers/x-event-priority']);

        // Untyped: what PublishRequest accepts is accepted; a key only where the document allows one.
        const item = { eventType: type, data, correlationId: 'c', priority: 'low', source: 's', userId: 'u', key: 'k' };
        expect(publishRequest(item), `${where}: PublishRequest with key`).toBe(r.keyOverride);
        const untyped = await post(`${base}/events`, item);
        expect(untyped.status, where).toBe(r.keyOverride ? 202 : 422);
        const { key: _key, ...withoutKey } = item;
        expect(publishRequest(withoutKey), `${where}: PublishRequest ${JSON.stringify(publishRequest.errors)}`).toBe(true);
        const untyped2 = await post(`${base}/events`, withoutKey);
        expect(untyped2.status, where).toBe(202);
        expect(accepted(await untyped2.json())).toBe(true);

        // An invalid payload (rejected by the documented schema) is refused with a located problem.
        const invalid = [null, 'x', 12345, [], {}].find((x) => !zod.safeParse(x).success);
        if (invalid !== undefined) {
          expect(publishRequest({ eventType: type, data: invalid })).toBe(false);
          const refused = await post(`${base}${eventPath(type)}`, invalid);
          const p = (await refused.json()) as unknown;
          expect(refused.status, where).toBe(422);
          expect(problem(p), `${where}: Problem ${JSON.stringify(problem.errors)}`).toBe(true);
        }
      }
      expect(typedChecked).toBeGreaterThan(routes.length / 2);

      // Batches: all valid -> 202 BatchAccepted; one invalid item -> 422 located at /events/<i>.
      const batch = { events: valid.map((v) => ({ eventType: v.route.event.event.type, data: v.data })) };
      expect(batchRequest(batch)).toBe(true);
      const ok = await post(`${base}/events:batch`, batch);
      const okBody = (await ok.json()) as { results: unknown[] };
      expect(ok.status).toBe(202);
      expect(batchAccepted(okBody)).toBe(true);
      expect(okBody.results).toHaveLength(valid.length);
      const bad = { events: [...batch.events, { eventType: batch.events[0]?.eventType }] };
      expect(batchRequest(bad)).toBe(false);
      const refused = await post(`${base}/events:batch`, bad);
      const refusedBody = (await refused.json()) as { errors: Array<{ pointer: string }> };
      expect(refused.status).toBe(422);
      expect(problem(refusedBody)).toBe(true);
      expect(refusedBody.errors.map((e) => e.pointer)).toEqual([`/events/${batch.events.length}/data`]);
      expect(batchRequest({ events: [] })).toBe(false);

      // Unknown event type: the document has no such member, the server answers 404.
      const unknown = { eventType: 'no.such.event', data: {} };
      expect(publishRequest(unknown)).toBe(false);
      const notFound = await post(`${base}/events`, unknown);
      expect(notFound.status).toBe(404);
      expect(problem(await notFound.json())).toBe(true);

      // Operations.
      const health = await fetch(`${base}/health`);
      expect(healthSchema(await health.json())).toBe(true);
      const served = await fetch(`${base}/openapi.json`);
      expect(await served.json()).toEqual(JSON.parse(JSON.stringify(doc)));
      const prom = await fetch(`${base}/metrics`);
      expect(prom.status).toBe(200);
      expect(prom.headers.get('content-type')).toMatch(/^text\/plain/);
    });
  });
}
