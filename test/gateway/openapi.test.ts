/**
 * The gateway's OpenAPI 3.1 document (generator/emit/gateway/openapi.ts), for the bundled catalog, the fixture
 * catalogs and a hostile one (test/fixtures/gateway/hostile.asyncapi.yaml: event types with `/`, `__proto__`, quotes,
 * braces, `%`, unicode, and names colliding with the gateway's own components and operation ids):
 *
 * - it validates with @readme/openapi-parser;
 * - its paths and operations are exactly the routes (one POST per route, decoding back to the event type) plus the
 *   fixed ones, with unique operationIds and the right headers;
 * - semantically: for every routed event, the payload's JSON Schema (ajv 2020-12 + ajv-formats) accepts and rejects
 *   exactly what the generated Zod schema does, on the catalog's examples, a synthesised example and mutations of
 *   them (missing, wrong-typed, extra and out-of-range values at every depth);
 * - output is deterministic and carries the managed banner.
 */
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileErrors, validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeExample } from '../../generator/emit/docs/example.js';
import { tsStringBody } from '../../generator/emit/text.js';
import { emitDocs } from '../../generator/emit/docs/index.js';
import { buildOpenApi, compactJson, componentName, keepSerialized, prettyJson, DOCS_OPENAPI_FILE, emitOpenApiFiles, eventPath, GATEWAY_OPENAPI_FILE, openApiJson } from '../../generator/emit/gateway/openapi.js';
import { gatewayRoutes, type GatewayRoute } from '../../generator/emit/gateway/routes.js';
import { generateFromString, type GenerateResult } from '../../generator/index.js';
import type { JsonValue, NamedSchema } from '../../generator/model/types.js';
import type { SymbolTable } from '../../generator/symbols/table.js';
import { hasBanner } from '../../generator/write/banner.js';
import { fixturePath, generateAt, ROOT, writeTree } from '../support/tree.js';

const require = createRequire(import.meta.url);
type Validator = ((data: unknown) => boolean) & { errors?: unknown };
interface AjvLike {
  addSchema(schema: object, key?: string): AjvLike;
  getSchema(ref: string): Validator | undefined;
  compile(schema: object): Validator;
}
const Ajv2020 = require('ajv/dist/2020').default as new (o: object) => AjvLike;
const addFormats = require('ajv-formats').default as (a: AjvLike) => void;

const HOSTILE = 'test/fixtures/gateway/hostile.asyncapi.yaml';

interface Loaded {
  name: string;
  result: GenerateResult;
  table: SymbolTable;
  routes: GatewayRoute[];
  doc: Record<string, unknown>;
}

const CATALOGS: Array<{ name: string; load: () => Promise<GenerateResult> }> = [
  { name: 'shop', load: () => generateAt(path.join(ROOT, 'catalog/shop.asyncapi.yaml')) },
  ...['minimal', 'legacy-26', 'multi-file', 'hostile', 'java', 'names', 'hostile-keys', 'parameters', 'topics'].map((n) => ({ name: n, load: () => generateAt(fixturePath(n)) })),
  { name: 'hostile-gateway', load: () => Promise.resolve(generateFromString(readFileSync(path.join(ROOT, HOSTILE), 'utf8'), { path: HOSTILE })) },
];

const loaded = new Map<string, Loaded>();
const get = (name: string): Loaded => {
  const l = loaded.get(name);
  if (l === undefined) throw new Error(`${name} not loaded`);
  return l;
};

beforeAll(async () => {
  for (const c of CATALOGS) {
    const result = await c.load();
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    if (result.symbols === undefined || errors.length > 0) throw new Error(`${c.name}: ${errors.map((d) => d.message).join('; ')}`);
    const table = result.symbols;
    const { routes } = gatewayRoutes(table);
    loaded.set(c.name, { name: c.name, result, table, routes, doc: buildOpenApi(table, routes) });
  }
});

type Doc = {
  paths: Record<string, Record<string, { operationId: string; parameters?: Array<{ $ref?: string; name?: string; schema?: { default?: string } }>; requestBody?: unknown; tags?: string[] }>>;
  components: { schemas: Record<string, Record<string, unknown>> };
  info: { title: string; version: string };
};
const asDoc = (d: Record<string, unknown>): Doc => JSON.parse(JSON.stringify(d)) as Doc;

const FIXED_PATHS = ['/events', '/events:batch', '/events/{eventId}', '/health', '/metrics', '/openapi.json'];

describe('the OpenAPI document', () => {
  for (const { name } of CATALOGS) {
    describe(name, () => {
      it('validates with @readme/openapi-parser (OpenAPI 3.1 schema, refs, unique operationIds, component names)', async () => {
        const { doc, result } = get(name);
        // validate() dereferences its argument in place: give it a parsed copy of the file text.
        const text = openApiJson(doc, '1.2.3', result.catalog?.sourcePath ?? name);
        const outcome = await validate(JSON.parse(text) as never);
        expect(outcome.valid, outcome.valid ? '' : compileErrors(outcome)).toBe(true);
        expect(outcome.warnings).toEqual([]);
      });

      it('has exactly one POST per route plus the fixed operations, with unique operationIds', () => {
        const { doc, routes } = get(name);
        const d = asDoc(doc);
        const typed = routes.map((r) => eventPath(r.event.event.type));
        expect(Object.keys(d.paths).sort()).toEqual([...FIXED_PATHS, ...typed].sort());
        expect(new Set(typed).size).toBe(typed.length);
        for (const [r, p] of routes.map((r, i) => [r, typed[i] as string] as const)) {
          const segment = p.slice('/events/'.length);
          expect(segment).not.toMatch(/[/?#{}\s]/);
          expect(decodeURIComponent(segment)).toBe(r.event.event.type);
          expect(Object.keys(d.paths[p] ?? {})).toEqual(['post']);
          const op = d.paths[p]?.['post'];
          expect(op?.tags).toEqual([r.topic.topic.name]);
          const headerNames = (op?.parameters ?? []).map((x) => x.name ?? x.$ref?.split('/').pop());
          expect(headerNames).toEqual(['IdempotencyKey', 'CorrelationId', 'X-Event-Priority', 'EventSource', 'UserId', ...(r.keyOverride ? ['PartitionKey'] : [])]);
          expect(op?.parameters?.[2]?.schema?.default).toBe(r.priority);
        }
        const methods = Object.values(d.paths).flatMap((item) => Object.keys(item));
        expect(methods.filter((m) => m === 'post')).toHaveLength(routes.length + 2);
        expect(methods.filter((m) => m === 'get')).toHaveLength(4);
        const ids = Object.values(d.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
        expect(new Set(ids).size).toBe(ids.length);
        for (const r of routes) expect(ids).toContain(d.paths[eventPath(r.event.event.type)]?.['post']?.operationId);
      });

      it('names the catalog title and version; every component name is OpenAPI-safe', () => {
        const { doc, table } = get(name);
        const d = asDoc(doc);
        expect(d.info).toMatchObject({ title: `${table.catalog.title} — event gateway`, version: table.catalog.version });
        for (const key of Object.keys(d.components.schemas)) expect(key).toMatch(/^[a-zA-Z0-9._-]+$/);
      });

      it('is deterministic: the same input twice gives byte-identical files with the managed banner', () => {
        const { table, routes } = get(name);
        const options = { target: 'plain' as const, version: '9.9.9' };
        const a = emitOpenApiFiles(table, routes, options);
        const b = emitOpenApiFiles(table, gatewayRoutes(table).routes, options);
        expect(a).toEqual(b);
        expect(a.map((f) => [f.path, f.ownership])).toEqual([
          [GATEWAY_OPENAPI_FILE, 'managed'],
          [DOCS_OPENAPI_FILE, 'managed'],
        ]);
        for (const f of a) expect(hasBanner(f.content, f.path), f.path).toBe(true);
        expect(a[0]?.content.startsWith('{\n  "openapi": "3.1.0",\n  "x-generated": "Code generated by eventgen 9.9.9 from ')).toBe(true);
        expect(emitOpenApiFiles(table, routes, { ...options, docs: false }).map((f) => f.path)).toEqual([GATEWAY_OPENAPI_FILE]);
      });
    });
  }
});

describe('hostile catalog strings', () => {
  it('stay values: paths are encoded, keys are own properties, nothing collides with the gateway names', () => {
    const { doc, routes } = get('hostile-gateway');
    const d = asDoc(doc);
    expect(routes.map((r) => r.event.event.type)).toEqual(
      expect.arrayContaining(['a/b', '__proto__', `say "hi" 'there'`, 'café.commandé', '{eventId}', '../x', '100% ?#&', 'event', 'event.batch', 'accepted', 'problem', 'publish-request']),
    );
    expect(Object.keys(d.paths)).toEqual(
      expect.arrayContaining([
        '/events/a%2Fb',
        '/events/__proto__',
        "/events/say%20%22hi%22%20'there'",
        '/events/caf%C3%A9.command%C3%A9',
        '/events/%7BeventId%7D',
        '/events/..%2Fx',
        '/events/100%25%20%3F%23&',
      ]),
    );
    // The gateway's own names give way: schemas, operations.
    const schemas = Object.keys(d.components.schemas);
    expect(schemas).toEqual(expect.arrayContaining(['Accepted', 'GatewayAccepted', 'Problem', 'GatewayProblem', 'PublishRequest', 'GatewayPublishRequest']));
    const refs = JSON.stringify(d.paths['/events']);
    expect(refs).toContain('#/components/schemas/GatewayPublishRequest');
    const responses = JSON.stringify((doc as { components: { responses: object } }).components.responses);
    expect(responses).toContain('"#/components/schemas/GatewayProblem"');
    expect(responses).not.toContain('"#/components/schemas/Problem"');
    expect(d.paths['/events/accepted']?.['post']?.requestBody).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/Accepted' } } } });
    expect(d.paths['/events/event.batch']?.['post']?.operationId).toBe('publishEventBatchEvent');
    expect(d.paths['/events:batch']?.['post']?.operationId).toBe('publishEventBatch');
    // Event types as discriminator mapping keys, property names as `properties` keys: own properties.
    const mapping = (doc as { components: { schemas: Record<string, { discriminator?: { mapping: object } }> } }).components.schemas['GatewayPublishRequest']?.discriminator?.mapping;
    expect(Object.prototype.hasOwnProperty.call(mapping, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(mapping)).toBe(Object.prototype);
    const proto = (doc as { components: { schemas: Record<string, { properties?: object }> } }).components.schemas['Proto']?.properties;
    expect(Object.keys(proto ?? {})).toEqual(['constructor', '$ref', 'toString']);
    expect(({} as Record<string, unknown>)['constructor']).toBe(Object);
  });

  it('percent-encodes what a path segment does not allow, and dot segments', () => {
    expect(eventPath('order.created')).toBe('/events/order.created');
    expect(eventPath("a-b_c~d!$&'()*+,;=:@")).toBe("/events/a-b_c~d!$&'()*+,;=:@");
    expect(eventPath('..')).toBe('/events/%2E%2E');
    expect(eventPath('.')).toBe('/events/%2E');
    expect(eventPath('é/😀')).toBe('/events/%C3%A9%2F%F0%9F%98%80');
    expect(componentName('Café$Type')).toBe('Cafe_Type');
    expect(componentName('')).toBe('Schema');
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Semantics: the payload JSON Schemas against the generated Zod schemas                       */
/* ------------------------------------------------------------------------------------------ */

interface ZodLike {
  safeParse(data: unknown): { success: boolean };
}

const REPLACEMENTS: unknown[] = [null, 'x', '', 12345, -1, 1.5, 2 ** 60, true, [], {}];
const EXTRA = 'eventgenUnexpectedProperty';

/** Mutations of a sample at every depth: replaced values, removed keys, added keys, grown and emptied arrays. */
function mutations(sample: unknown, limit = 600): unknown[] {
  const out: unknown[] = [];
  const visit = (value: unknown, rebuild: (v: unknown) => unknown, depth: number): void => {
    for (const r of REPLACEMENTS) out.push(rebuild(r));
    if (depth > 6) return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, (v) => rebuild(value.map((x, j) => (j === i ? v : x))), depth + 1));
      out.push(rebuild([...value, value[0] ?? 'x']));
    } else if (value !== null && typeof value === 'object') {
      const o = value as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        visit(o[k], (v) => rebuild({ ...o, [k]: v }), depth + 1);
        const rest = { ...o };
        delete rest[k];
        out.push(rebuild(rest));
      }
      out.push(rebuild({ ...o, [EXTRA]: 1 }));
    } else if (typeof value === 'number') {
      out.push(rebuild(value - 1), rebuild(value + 1), rebuild(-value));
    } else if (typeof value === 'string') {
      out.push(rebuild(`${value}${value}`), rebuild(value.slice(1)));
    }
  };
  visit(sample, (v) => v, 0);
  return out.slice(0, limit);
}

const SEMANTIC = CATALOGS.map((c) => c.name).filter((n) => n !== 'parameters' && n !== 'topics');

describe('payload JSON Schemas accept and reject exactly what the generated Zod schemas do', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  for (const name of SEMANTIC) {
    it(name, async () => {
      const { doc, routes, result, table } = get(name);
      expect(routes.length).toBeGreaterThan(0);
      const dir = writeTree(`gateway-openapi-${name}-${process.pid}`, result.files);
      dirs.push(dir);
      // `$defs` instead of `components/schemas`, so that ajv resolves the document's refs.
      const text = JSON.stringify((doc as { components: { schemas: object } }).components.schemas).replaceAll('"#/components/schemas/', '"doc#/$defs/');
      const ajv = new Ajv2020({ strict: false, logger: false, ownProperties: true });
      addFormats(ajv);
      ajv.addSchema({ $id: 'doc', $defs: JSON.parse(text) as object });
      const byId = new Map<string, NamedSchema>(table.schemas.map((s) => [s.schema.id, s.schema]));
      const counts = { samples: 0, accepted: 0, rejected: 0 };
      const d = asDoc(doc);
      for (const r of routes) {
        const e = r.event;
        const mod = (await import(pathToFileURL(path.join(dir, e.file)).href)) as Record<string, ZodLike>;
        const zod = mod[e.schema.name] as ZodLike;
        const ref = (d.paths[eventPath(e.event.type)]?.['post']?.requestBody as { content: { 'application/json': { schema: { $ref: string } } } }).content['application/json'].schema.$ref;
        const ajvValidate = ajv.getSchema(ref.replace('#/components/schemas/', 'doc#/$defs/')) as Validator;
        const seeds: unknown[] = e.event.examples.map((x) => x.payload);
        const synthesised = synthesizeExample(e.event.payload, byId);
        if (synthesised !== undefined) seeds.push(synthesised);
        seeds.push({}, [], null, 'x', 0);
        const samples = [...seeds, ...seeds.filter((s) => zod.safeParse(s).success).flatMap((s) => mutations(s))];
        for (const sample of samples) {
          const expected = zod.safeParse(sample).success;
          const got = ajvValidate(sample);
          expect(got, `${name} ${e.event.type}: ajv ${got ? 'accepts' : 'rejects'} what Zod ${expected ? 'accepts' : 'rejects'}: ${JSON.stringify(sample)}\n${JSON.stringify(ajvValidate.errors)}`).toBe(expected);
          counts.samples++;
          if (expected) counts.accepted++;
          else counts.rejected++;
        }
      }
      // Both sides of every catalog are exercised.
      expect(counts.accepted).toBeGreaterThan(0);
      expect(counts.rejected).toBeGreaterThan(counts.accepted);
    });
  }

  it('on the bundled catalog: the examples pass, and missing, mistyped, extra and under-minimum values fail', async () => {
    const { doc } = get('shop');
    const text = JSON.stringify((doc as { components: { schemas: object } }).components.schemas).replaceAll('"#/components/schemas/', '"doc#/$defs/');
    const ajv = new Ajv2020({ strict: false, logger: false, ownProperties: true });
    addFormats(ajv);
    ajv.addSchema({ $id: 'doc', $defs: JSON.parse(text) as object });
    const order = ajv.getSchema('doc#/$defs/OrderCreated') as Validator;
    const example = get('shop').table.event('order.created').event.examples[0]?.payload as Record<string, JsonValue>;
    expect(order(example)).toBe(true);
    const { orderId: _dropped, ...missing } = example;
    expect(order(missing)).toBe(false);
    expect(order({ ...example, orderId: 42 })).toBe(false);
    expect(order({ ...example, surprise: true })).toBe(false);
    const items = example['items'] as Array<Record<string, JsonValue>>;
    expect(order({ ...example, items: [{ ...items[0], quantity: 0 }] })).toBe(false);
  });
});

describe('docs link the OpenAPI document when the gateway is generated', () => {
  const options = { target: 'plain' as const, version: '9.9.9' };
  const file = (files: Array<{ path: string; content: string }>, p: string): string => {
    const f = files.find((x) => x.path === p);
    if (f === undefined) throw new Error(`${p} not emitted`);
    return f.content;
  };

  it('README, site overview and event pages, only with the gateway', () => {
    const { table } = get('shop');
    const on = emitDocs(table, { ...options, services: ['gateway'] });
    const off = emitDocs(table, options);
    expect(file(on, 'docs/README.md')).toContain('[`openapi.json`](<openapi.json>)');
    expect(file(on, 'docs/README.md')).toContain('publishes 18 event types over HTTP');
    expect(file(on, 'docs/site/index.html')).toContain('<a href="../openapi.json"><code>openapi.json</code></a>');
    expect(file(on, 'docs/site/index.html')).toContain('<section id="gateway">');
    expect(file(on, 'docs/events/order-created.md')).toContain('| HTTP | `POST /events/order.created` ([OpenAPI](<../openapi.json>)) |');
    expect(file(on, 'docs/site/events/order-created.html')).toContain('<code>POST /events/order.created</code> (<a href="../../openapi.json">OpenAPI</a>)');
    for (const f of off) expect(f.content, f.path).not.toContain('openapi.json');
    // The docs copy of the document sits where those links point.
    expect(emitOpenApiFiles(table, gatewayRoutes(table).routes, options).map((f) => f.path)).toContain('docs/openapi.json');
  });

  it('escapes hostile routes as the docs escape everything else', () => {
    const { table } = get('hostile-gateway');
    const on = emitDocs(table, { ...options, services: ['gateway'] });
    const html = on.filter((f) => f.path.startsWith('docs/site/events/')).map((f) => f.content).join('\n');
    expect(html).toContain('<code>POST /events/100%25%20%3F%23&amp;</code>');
    expect(html).toContain('<code>POST /events/say%20%22hi%22%20&#39;there&#39;</code>');
    const md = on.filter((f) => f.path.startsWith('docs/events/')).map((f) => f.content).join('\n');
    expect(md).toContain("| HTTP | `POST /events/say%20%22hi%22%20'there'` ([OpenAPI](<../openapi.json>)) |");
  });
});

describe('serialization under --watch (memoised parts keep their serialized forms)', () => {
  it('compactJson and prettyJson write what JSON.stringify writes, for 300 random values, kept parts reused at any depth', () => {
    let seed = 11;
    const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const keys = ['a', 'b', '__proto__', 'é', 'with "quotes"', '\u2028', '0', '10', 'constructor', ''];
    const leaves = [null, true, false, 0, -1.5, 1e21, 'text', '</script>', '\ud83d\ude00', '\ud800', '', undefined];
    const kept: object[] = [];
    const value = (depth: number): unknown => {
      const pick = next(depth > 3 ? 2 : 5);
      if (pick < 2) return leaves[next(leaves.length)];
      if (pick === 2 && kept.length > 0) return kept[next(kept.length)]; // the same object again, maybe at another depth
      if (pick === 3) return Array.from({ length: next(4) }, () => value(depth + 1));
      const o: Record<string, unknown> = {};
      for (let n = next(4); n > 0; n--) Object.defineProperty(o, keys[next(keys.length)] as string, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
      if (next(3) === 0) kept.push(keepSerialized(o));
      return o;
    };
    for (let k = 0; k < 300; k++) {
      const v = { root: value(0), again: kept.length > 0 ? kept[next(kept.length)] : null };
      // twice: the second time from the kept forms
      for (let pass = 0; pass < 2; pass++) {
        expect(compactJson(v)).toBe(JSON.stringify(v));
        expect(prettyJson(v)).toBe(JSON.stringify(v, null, 2));
        // as the body of a TypeScript string literal (openapi.ts), escaped token by token
        expect(compactJson(v, tsStringBody)).toBe(tsStringBody(JSON.stringify(v)));
      }
    }
    expect(kept.length).toBeGreaterThan(10);
    // One kept part at three depths, in both orders.
    const part = keepSerialized({ a: [1, { b: 'x' }], c: {} });
    for (const v of [{ x: part, y: [part, { z: part }] }, { y: [{ z: part }, part], x: part }]) {
      expect(prettyJson(v)).toBe(JSON.stringify(v, null, 2));
      expect(compactJson(v)).toBe(JSON.stringify(v));
    }
  });
});
