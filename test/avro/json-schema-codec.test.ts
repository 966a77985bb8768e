/**
 * JSON Schema in the Confluent wire format (`x-codec: json-schema`, templates/runtime/json-schema-codec.ts): the
 * registry schema the generator emits (self-contained, accepts what the Zod schema accepts), the codec over HTTP
 * against a local fake registry (schemaType JSON, cached ids, unknown ids, non-JSON bytes), a generated tree round
 * trip on the in-memory transport (envelope metadata in headers, Zod validation on both sides, dead-letter reason
 * `decode`), and compiling trees for both targets. The real broker + registry round trip is in
 * test/integration/avro-json-schema.test.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonSchemaWire } from '../../generator/emit/json-schema-wire.js';
import { generateFromString } from '../../generator/index.js';
import type { Catalog, EventType } from '../../generator/model/types.js';
import {
  AVRO_CONTENT_TYPE,
  AvroCodec,
  DecodeError,
  type InMemoryTransport,
  JSON_SCHEMA_CONTENT_TYPE,
  JsonSchemaCodec,
  SchemaRegistryClient,
  UnknownSchemaIdError,
  readConfluent,
  wireCodecFor,
  type EventDefinition,
  type EventHandler,
  type GroupConsumer,
} from '../../templates/runtime/index.js';
import { typecheckNest } from '../nestjs/support.js';
import { typecheck, writeTree } from '../support/tree.js';
import { jsonOrderCatalog, sampleOrder } from './order-catalog.js';

const TOPIC = 'shop.orders';
const result = generateFromString(jsonOrderCatalog({ topic: TOPIC, groupId: 'billing' }));

interface Seen {
  method: string;
  url: string;
  body: string;
}
let server: http.Server;
let base = '';
const seen: Seen[] = [];
const schemas = new Map<number, string>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body });
      const reply = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (req.method === 'POST' && req.url === `/subjects/${TOPIC}-value/versions`) {
        schemas.set(7, (JSON.parse(body) as { schema: string }).schema);
        return reply(200, { id: 7 });
      }
      const id = /^\/schemas\/ids\/(\d+)$/.exec(req.url ?? '')?.[1];
      if (id !== undefined && schemas.has(Number(id))) return reply(200, { schema: schemas.get(Number(id)), schemaType: 'JSON' });
      return reply(404, { error_code: 40403, message: 'Schema not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function loadTree(files = result.files, name = 'json-wire/run') {
  const dir = writeTree(name, files);
  const events = (await import(pathToFileURL(path.join(dir, 'events.ts')).href)) as { events: Record<string, EventDefinition> };
  const producers = (await import(pathToFileURL(path.join(dir, 'producers/index.ts')).href)) as {
    createProducers(o: { transport: unknown; source?: string; jsonSchema?: JsonSchemaCodec }): Record<string, Record<string, (d: unknown, o?: unknown) => Promise<unknown>>>;
  };
  const group = (await import(pathToFileURL(path.join(dir, 'consumers/billing/index.ts')).href)) as {
    createBillingConsumer(o: { transport: unknown; handlers: Record<string, EventHandler<unknown>>; jsonSchema?: JsonSchemaCodec }): GroupConsumer;
  };
  // The tree's own runtime copy: errors are classified (dead-letter reason) by its classes.
  const runtime = (await import(pathToFileURL(path.join(dir, 'runtime/index.ts')).href)) as { JsonSchemaCodec: typeof JsonSchemaCodec; SchemaRegistryClient: typeof SchemaRegistryClient; InMemoryTransport: typeof InMemoryTransport };
  return { definition: events.events['order.created'] as EventDefinition, producers, group, runtime };
}

describe('the registry JSON Schema of an x-codec: json-schema event', () => {
  it('is emitted only for that event, self-contained draft-07 (definitions), and accepts exactly what the Zod schema accepts', async () => {
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const { definition } = await loadTree();
    const text = definition.jsonSchema?.schema as string;
    const schema = JSON.parse(text) as Record<string, unknown>;
    expect(schema).toMatchObject({ $schema: 'http://json-schema.org/draft-07/schema#', title: 'OrderCreated', type: 'object' });
    expect(Object.keys(schema['definitions'] as object).sort()).toEqual(['Address', 'Money']);
    expect(text).not.toMatch(/#\/components\//);
    const ajv = new Ajv({ strict: false });
    (addFormats as unknown as (a: Ajv) => void)(ajv);
    const validate = ajv.compile(schema);
    const good = sampleOrder(3);
    const bad = [{ ...good, total: { amount: 1, currency: 'EURO' } }, { ...good, items: [] }, { ...good, extra: 1 }, { ...good, orderId: 'nope' }];
    expect(validate(good)).toBe(true);
    expect(definition.schema.safeParse(good).success).toBe(true);
    for (const b of bad) {
      expect(validate(b)).toBe(false);
      expect(definition.schema.safeParse(b).success).toBe(false);
    }
    // Without x-codec: no registry schema in the definition (the tree is as before).
    const plain = generateFromString(jsonOrderCatalog({ topic: TOPIC, groupId: 'billing', codec: false }));
    expect(plain.files.find((f) => f.path === 'events.ts')?.content).not.toContain('jsonSchema');
  });

  it('writes tuples the draft-07 way (items list + additionalItems), which a draft-07 validator enforces', () => {
    const r = generateFromString(`asyncapi: 3.0.0
info: { title: T, version: 1.0.0 }
channels:
  c:
    address: c
    messages:
      m:
        name: point.moved
        x-codec: json-schema
        payload:
          type: object
          required: [at]
          properties:
            at: { type: array, items: [{ type: number }, { type: number }], additionalItems: false, minItems: 2 }
            items: { type: object, properties: { prefixItems: { type: string } } }
`);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const event = r.catalog?.events[0];
    const schema = JSON.parse(jsonSchemaWire(r.catalog as Catalog, event as EventType)) as { properties: Record<string, Record<string, unknown>> };
    expect(schema.properties['at']).toMatchObject({ type: 'array', items: [{ type: 'number' }, { type: 'number' }], additionalItems: false });
    expect(JSON.stringify(schema)).not.toContain('"prefixItems":[');
    // A property named like a keyword stays a property.
    expect(schema.properties['items']).toMatchObject({ properties: { prefixItems: { type: 'string' } } });
    const validate = new Ajv({ strict: false }).compile(schema);
    expect(validate({ at: [1, 2] })).toBe(true);
    expect(validate({ at: [1, 2, 3] })).toBe(false);
    expect(validate({ at: [1, 'x'] })).toBe(false);
  });

  it('refuses an unknown x-codec, and x-codec: json-schema on an Avro payload, where they are written', () => {
    const bad = generateFromString(jsonOrderCatalog({ topic: TOPIC, groupId: 'billing' }).replace('x-codec: json-schema', 'x-codec: protobuf'));
    expect(bad.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.rule, d.message, d.location?.line])).toEqual([['extension-invalid', 'x-codec must be one of envelope, json-schema, got "protobuf"', 10]]);
    const avro = generateFromString(`asyncapi: 3.0.0
info: { title: A, version: 1.0.0 }
channels:
  c:
    address: c
    messages:
      m:
        name: m.happened
        x-codec: json-schema
        payload:
          schemaFormat: application/vnd.apache.avro+json;version=1.9.0
          schema: { type: record, name: M, fields: [{ name: n, type: int }] }
`);
    const errors = avro.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.rule, d.location?.line])).toEqual([['extension-invalid', 9]]);
    expect(errors[0]?.message).toMatch(/whose payload is Avro/);
  });
});

describe('JsonSchemaCodec', () => {
  it('registers with schemaType JSON once, writes magic byte + id + JSON, checks the id once when reading', async () => {
    seen.length = 0;
    const { definition } = await loadTree();
    const codec = new JsonSchemaCodec({ registry: new SchemaRegistryClient({ url: base }) });
    const order = sampleOrder(1);
    const bytes = await codec.encode(TOPIC, definition, order);
    await codec.encode(TOPIC, definition, order);
    expect(seen.filter((s) => s.method === 'POST')).toHaveLength(1);
    expect(JSON.parse(seen[0]?.body ?? '{}')).toEqual({ schema: definition.jsonSchema?.schema, schemaType: 'JSON' });
    // A plain reader: byte 0, big-endian id, UTF-8 JSON.
    expect(bytes[0]).toBe(0);
    expect(bytes.readUInt32BE(1)).toBe(7);
    expect(JSON.parse(bytes.subarray(5).toString('utf8'))).toEqual(order);
    const reader = new JsonSchemaCodec({ registry: new SchemaRegistryClient({ url: base }) });
    const { schemaId, payload } = readConfluent(bytes);
    expect(await reader.decode(schemaId, payload, definition)).toEqual(order);
    expect(await reader.decode(schemaId, payload, definition)).toEqual(order);
    expect(seen.filter((s) => s.url === '/schemas/ids/7')).toHaveLength(1);
    expect(reader.subject(TOPIC, definition)).toBe(`${TOPIC}-value`);
    expect(new JsonSchemaCodec({ registry: new SchemaRegistryClient({ url: base }), subjects: 'topic-record' }).subject(TOPIC, definition)).toBe(`${TOPIC}-OrderCreated`);
  });

  it('an unknown schema id is non-retriable, bytes that are not JSON are a DecodeError', async () => {
    const codec = new JsonSchemaCodec({ registry: new SchemaRegistryClient({ url: base }) });
    const unknown = await codec.decode(99, Buffer.from('{}'), undefined).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(UnknownSchemaIdError);
    expect((unknown as UnknownSchemaIdError).retriable).toBe(false);
    const garbage = await codec.decode(7, Buffer.from([0x02, 0x61]), undefined).catch((e: unknown) => e);
    expect(garbage).toBeInstanceOf(DecodeError);
    expect((garbage as Error).message).toMatch(/schema id 7\) is not JSON after the wire-format prefix/);
  });

  it('a wire-format record goes to the codec its content-type names (Avro without one, when both are set)', () => {
    const registry = new SchemaRegistryClient({ url: base });
    const avro = new AvroCodec({ registry, avsc: { Type: { forSchema: () => ({}) } } });
    const json = new JsonSchemaCodec({ registry });
    expect(wireCodecFor(avro, json, { 'content-type': JSON_SCHEMA_CONTENT_TYPE })).toBe(json);
    expect(wireCodecFor(avro, json, { 'content-type': AVRO_CONTENT_TYPE })).toBe(avro);
    expect(wireCodecFor(avro, json, {})).toBe(avro);
    expect(wireCodecFor(undefined, json, {})).toBe(json);
    expect(wireCodecFor(avro, undefined, { 'content-type': JSON_SCHEMA_CONTENT_TYPE })).toBeUndefined();
  });
});

describe('generated tree with x-codec: json-schema on the in-memory transport', () => {
  it('producer writes wire-format JSON with the metadata in headers; the consumer validates and hands typed data; bad records are dead-lettered', async () => {
    const { producers, group, runtime } = await loadTree(result.files, 'json-wire/memory');
    const transport = new runtime.InMemoryTransport({ defaultPartitions: 1, redeliveryDelayMs: 5 });
    const registry = new runtime.SchemaRegistryClient({ url: base });
    const jsonSchema = new runtime.JsonSchemaCodec({ registry });
    const topicProducer = Object.values(producers.createProducers({ transport, source: 'test', jsonSchema }))[0] as Record<string, (d: unknown, o?: unknown) => Promise<unknown>>;
    const order = sampleOrder(2);
    await (topicProducer['orderCreated'] as (d: unknown, o?: unknown) => Promise<unknown>).call(topicProducer, order, { correlationId: 'corr-1' });
    // Zod still guards the producer: nothing is sent for an invalid payload.
    await expect((topicProducer['orderCreated'] as (d: unknown) => Promise<unknown>).call(topicProducer, { ...order, items: [] })).rejects.toThrow(/items/);

    const [record] = transport.records(TOPIC);
    const value = record?.value as Buffer;
    expect(value[0]).toBe(0);
    expect(value.readUInt32BE(1)).toBe(7);
    expect(JSON.parse(value.subarray(5).toString('utf8'))).toEqual(order);
    const headers = Object.fromEntries(Object.entries(record?.headers ?? {}).map(([k, v]) => [k, String(v)]));
    expect(headers).toMatchObject({ 'event-type': 'order.created', 'content-type': JSON_SCHEMA_CONTENT_TYPE, 'correlation-id': 'corr-1', 'partition-key': order['orderId'], 'data-classification': 'internal' });
    expect(record?.key?.toString()).toBe(order['orderId']);

    // A record that passes the wire format but not the Zod schema, and one whose id the registry does not know.
    const raw = transport.producer();
    await raw.connect();
    const invalid = Buffer.concat([value.subarray(0, 5), Buffer.from(JSON.stringify({ ...order, total: 'free' }))]);
    const unknownId = Buffer.concat([Buffer.from([0, 0, 0, 0, 99]), value.subarray(5)]);
    for (const v of [invalid, unknownId]) await raw.send([{ topic: TOPIC, messages: [{ key: 'k', value: v, headers: { ...headers, 'event-id': `e-${v.length}-${v[4]}` } }] }]);

    const received: Array<{ data: unknown; correlationId: string }> = [];
    const consumer = group.createBillingConsumer({
      transport,
      jsonSchema: new runtime.JsonSchemaCodec({ registry }),
      handlers: { orderCreated: { handle: async (data, context) => void received.push({ data, correlationId: context.correlationId }) } },
    });
    await consumer.start();
    await transport.drain({ timeoutMs: 20_000 });
    await consumer.stop();
    expect(received).toEqual([{ data: order, correlationId: 'corr-1' }]);
    const dlq = transport.records(`${TOPIC}.dlq`).map((r) => Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)])));
    expect(dlq.map((h) => [h['dlq-reason'], h['dlq-error-class']])).toEqual([
      ['validation', 'EventValidationError'],
      ['decode', 'UnknownSchemaIdError'],
    ]);
  }, 60_000);

  it('type-checks for plain and nestjs', async () => {
    const nest = generateFromString(jsonOrderCatalog({ topic: TOPIC, groupId: 'billing' }), { target: 'nestjs' });
    expect(nest.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(nest.files.map((f) => f.content).join('\n')).toContain('jsonSchema?: JsonSchemaCodec');
    expect(typecheck([writeTree('json-wire/plain', result.files)])).toEqual([]);
    expect(typecheckNest([writeTree('json-wire/nestjs', nest.files)])).toEqual([]);
  }, 240_000);
});
