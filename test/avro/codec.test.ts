/**
 * The Avro codec's pure parts (wire format, metadata headers, subjects) and the registry client over real HTTP (a
 * local server that records what it is sent): auth headers, caching of ids and schemas, error classification,
 * timeouts. The real registry is exercised in test/integration/avro-registry.test.ts and test/registry/.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import avsc from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod/v4';
import {
  AVRO_CONTENT_TYPE,
  AvroCodec,
  DecodeError,
  EnvelopeError,
  SchemaRegistryClient,
  SchemaRegistryError,
  UnknownSchemaIdError,
  avroHeaders,
  avroMetadata,
  avroSchemaName,
  decodeEnvelope,
  decodeHeaders,
  defineEvent,
  encodeConfluent,
  readConfluent,
  recordHeader,
  subjectName,
  type ConsumedRecord,
  type EnvelopeMetadata,
} from '../../templates/runtime/index.js';

const SCHEMA = JSON.stringify({
  type: 'record',
  name: 'Thing',
  namespace: 'com.example',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'blob', type: 'bytes' },
    { name: 'maybe', type: ['null', 'bytes'], default: null },
  ],
});
const Thing = defineEvent({
  eventType: 'thing.made',
  version: '1.0.0',
  topics: ['things'],
  schema: z.object({ id: z.string(), blob: z.string(), maybe: z.string().nullable().default(null) }),
  classification: 'internal',
  partitionKey: (d) => d.id,
  avro: { schema: SCHEMA },
});

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

let server: http.Server;
let base = '';
const seen: Seen[] = [];
let slowMs = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body });
      const reply = (status: number, value: unknown) => setTimeout(() => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value)), slowMs);
      if (req.url === '/subjects/things-value/versions' && req.method === 'POST') return reply(200, { id: 42 });
      if (req.url === '/schemas/ids/42') return reply(200, { schema: SCHEMA });
      if (req.url?.startsWith('/schemas/ids/')) return reply(404, { error_code: 40403, message: 'Schema not found' });
      if (req.url === '/subjects/broken-value/versions') return reply(500, { error_code: 50001, message: 'store down' });
      if (req.url === '/subjects/secret-value/versions') return reply(401, { error_code: 401, message: 'Unauthorized' });
      return reply(404, { error_code: 40401, message: 'Subject not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('wire format and metadata', () => {
  it('writes magic byte 0 and a big-endian id before the payload, and reads them back', () => {
    const v = encodeConfluent(0x01020304, Buffer.from([9, 8]));
    expect([...v]).toEqual([0, 1, 2, 3, 4, 9, 8]);
    expect(readConfluent(v)).toEqual({ schemaId: 0x01020304, payload: Buffer.from([9, 8]) });
    expect(() => readConfluent(Buffer.from('{"a":1}'))).toThrow(DecodeError);
    expect(() => readConfluent(Buffer.from([0, 1]))).toThrow(DecodeError);
  });

  it('carries every envelope field in headers and reads them back', () => {
    const metadata: EnvelopeMetadata = { eventId: 'e1', eventType: 'thing.made', eventVersion: '1.0.0', correlationId: 'c1', causationId: 'p1', timestamp: '2026-01-01T00:00:00.000Z', source: 'svc', userId: 'u1', dataClassification: 'confidential', partitionKey: 'k1', priority: 'high' };
    const headers = avroHeaders(metadata, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(headers['content-type']).toBe(AVRO_CONTENT_TYPE);
    expect(avroMetadata(headers)).toEqual(metadata);
    const keyless = avroHeaders({ ...metadata, partitionKey: null });
    expect(keyless['partition-key']).toBeUndefined();
    expect(avroMetadata(keyless).partitionKey).toBeNull();
    expect(() => avroMetadata({ 'event-id': 'e1' })).toThrow(EnvelopeError);
    expect(() => avroMetadata({ 'event-id': 'e1', 'event-type': 't', 'data-classification': 'secret' })).toThrow(/not a classification/);
    expect(avroMetadata({ 'event-id': 'e1', 'event-type': 't' }, { topic: 't', partition: 0, offset: '1', timestamp: '1767225600000' })).toMatchObject({ correlationId: 'e1', timestamp: '2026-01-01T00:00:00.000Z', dataClassification: 'internal' });
  });

  it('reads the metadata from raw headers exactly as from decoded ones (last value, nulls and bad UTF-8 left out)', () => {
    const metadata: EnvelopeMetadata = { eventId: 'e1', eventType: 'thing.made', eventVersion: '1.0.0', correlationId: 'c1', causationId: 'p1', timestamp: '2026-01-01T00:00:00.000Z', source: 'svc', userId: 'u1', dataClassification: 'confidential', partitionKey: 'k1', priority: 'high' };
    const raw: ConsumedRecord['headers'] = Object.fromEntries(Object.entries(avroHeaders(metadata)).map(([k, v]) => [k, Buffer.from(v)]));
    raw['event-id'] = [Buffer.from('old'), Buffer.from('e2')];
    raw['source'] = null;
    raw['user-id'] = Buffer.from([0xff, 0xfe]);
    raw['correlation-id'] = 'c2';
    const record: ConsumedRecord = { topic: 'things', partition: 1, offset: '7', key: null, value: encodeConfluent(42, Buffer.from([2, 0x61])), headers: raw, timestamp: '1767225600000' };
    const codec = new AvroCodec({ registry: new SchemaRegistryClient({ url: base }), avsc });
    const fromRaw = codec.recordEnvelope(record);
    const fromDecoded = codec.envelope(record.value, decodeHeaders(record.headers), record);
    expect(fromRaw.metadata).toEqual(fromDecoded.metadata);
    expect(fromRaw.metadata).toMatchObject({ eventId: 'e2', correlationId: 'c2', source: 'unknown' });
    expect(fromRaw.metadata.userId).toBeUndefined();
    expect(JSON.parse(JSON.stringify(fromRaw.data))).toEqual({ avroSchemaId: 42, bytes: 2 });
    expect(recordHeader(raw, 'toString')).toBeUndefined();
    expect(() => codec.recordEnvelope({ ...record, headers: { 'event-type': Buffer.from('thing.made') } })).toThrow(/without the envelope header\(s\) event-id/);
    expect(() => codec.recordEnvelope({ ...record, value: Buffer.from('{}') })).toThrow(DecodeError);
  });

  it('names subjects by strategy', () => {
    expect(avroSchemaName(SCHEMA)).toBe('com.example.Thing');
    expect(subjectName('topic', 'things', 'com.example.Thing')).toBe('things-value');
    expect(subjectName('record', 'things', 'com.example.Thing')).toBe('com.example.Thing');
    expect(subjectName('topic-record', 'things', 'com.example.Thing')).toBe('things-com.example.Thing');
    expect(() => subjectName('record', 'things', undefined)).toThrow(/needs a named Avro type/);
  });

  it('a JSON consumer given a wire-format record names the schema id', () => {
    expect(() => decodeEnvelope(encodeConfluent(7, Buffer.from([2, 0])), {})).toThrow(/Confluent wire format \(schema id 7\)/);
  });
});

describe('registry client and codec over HTTP', () => {
  it('registers once (cached), encodes bytes fields from strings and decodes them back', async () => {
    seen.length = 0;
    const codec = new AvroCodec({ registry: new SchemaRegistryClient({ url: `${base}/`, auth: { username: 'key', password: 's3cret' } }), avsc });
    const data = { id: 'a', blob: '\u0000\u00ff\u0080', maybe: '\u0001' };
    const one = await codec.encode('things', Thing, data);
    const two = await codec.encode('things', Thing, { ...data, maybe: null });
    expect(one.readUInt32BE(1)).toBe(42);
    expect(seen.filter((s) => s.url === '/subjects/things-value/versions')).toHaveLength(1);
    expect(seen[0]?.authorization).toBe(`Basic ${Buffer.from('key:s3cret').toString('base64')}`);
    expect(JSON.parse(seen[0]?.body ?? '{}')).toEqual({ schema: SCHEMA });
    const fresh = new AvroCodec({ registry: new SchemaRegistryClient({ url: base, auth: { token: 't0k' } }), avsc });
    expect(await fresh.decode(42, readConfluent(one).payload, Thing)).toEqual(data);
    expect(await fresh.decode(42, readConfluent(two).payload, Thing)).toEqual({ ...data, maybe: null });
    await fresh.decode(42, readConfluent(one).payload, Thing);
    expect(seen.filter((s) => s.url === '/schemas/ids/42')).toHaveLength(1);
    expect(seen.find((s) => s.url === '/schemas/ids/42')?.authorization).toBe('Bearer t0k');
  });

  it('keeps one decoder per (writer id, reader schema): later records skip the registry, bad bytes still fail per record', async () => {
    seen.length = 0;
    const codec = new AvroCodec({ registry: new SchemaRegistryClient({ url: base }), avsc });
    const producer = new AvroCodec({ registry: new SchemaRegistryClient({ url: base }), avsc });
    for (let i = 0; i < 3; i++) await producer.encode('things', Thing, { id: String(i), blob: '', maybe: null });
    expect(seen.filter((s) => s.method === 'POST')).toHaveLength(1);
    const bytes = readConfluent(await producer.encode('things', Thing, { id: 'a', blob: 'x', maybe: null })).payload;
    expect(await codec.decode(42, bytes, Thing)).toEqual({ id: 'a', blob: 'x', maybe: null });
    expect(await codec.decode(42, bytes, Thing)).toEqual({ id: 'a', blob: 'x', maybe: null });
    // A reader schema that differs from the writer's (an added field with a default) resolves once, cached apart.
    const wider = JSON.stringify({ ...JSON.parse(SCHEMA), fields: [...(JSON.parse(SCHEMA) as { fields: unknown[] }).fields, { name: 'extra', type: 'int', default: 5 }] });
    const Wider = defineEvent({ ...Thing, schema: z.object({ id: z.string(), blob: z.string(), maybe: z.string().nullable(), extra: z.number() }), avro: { schema: wider } });
    expect(await codec.decode(42, bytes, Wider)).toEqual({ id: 'a', blob: 'x', maybe: null, extra: 5 });
    expect(await codec.decode(42, bytes, undefined)).toEqual({ id: 'a', blob: 'x', maybe: null });
    // Another codec of the process reuses the parsed types and resolver (shared per avsc module), with its own id lookup.
    const other = new AvroCodec({ registry: new SchemaRegistryClient({ url: base }), avsc });
    expect(await other.decode(42, bytes, Wider)).toEqual({ id: 'a', blob: 'x', maybe: null, extra: 5 });
    await expect(other.decode(42, Buffer.from([0xff]), Wider)).rejects.toBeInstanceOf(DecodeError);
    seen.length = 0;
    await codec.decode(42, bytes, Wider);
    expect(seen).toHaveLength(0);
    await expect(codec.decode(42, Buffer.from([0xff, 0xff, 0xff]), Thing)).rejects.toThrow(/not Avro of schema 42/);
    await expect(codec.decode(42, Buffer.concat([bytes, Buffer.from([1])]), Wider)).rejects.toBeInstanceOf(DecodeError);
    const unknown = await codec.decode(43, bytes, Thing).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(UnknownSchemaIdError);
    expect(await codec.decode(43, bytes, Thing).catch((e: unknown) => e)).toBeInstanceOf(UnknownSchemaIdError);
  });

  it('decoded records are plain data: no avsc record methods reach Zod or the handler (schemas without bytes too)', async () => {
    const schema = JSON.stringify({ type: 'record', name: 'Plain', fields: [{ name: 'n', type: 'int' }, { name: 'inner', type: { type: 'record', name: 'Inner', fields: [{ name: 's', type: 'string' }] } }] });
    const Plain = defineEvent({ eventType: 'plain.made', version: '1.0.0', topics: [], schema: z.looseObject({ n: z.number(), inner: z.looseObject({ s: z.string() }) }), classification: 'internal', partitionKey: () => null, avro: { schema } });
    const codec = new AvroCodec({ registry: new SchemaRegistryClient({ url: base }), avsc });
    const decoded = codec.decodeWith(5, schema, readConfluent(codec.encodeWithId(5, Plain, { n: 1, inner: { s: 'x' } })).payload, Plain) as Record<string, unknown>;
    const keysIn = (o: object): string[] => {
      const keys: string[] = [];
      for (const k in o) keys.push(k);
      return keys;
    };
    expect(keysIn(decoded)).toEqual(['n', 'inner']);
    expect(keysIn(decoded['inner'] as object)).toEqual(['s']);
    expect(Plain.schema.parse(decoded)).toStrictEqual({ n: 1, inner: { s: 'x' } });
  });

  it('classifies failures: unknown id (non-retriable), 5xx and no answer (unavailable), 401 (not unavailable), garbage bytes', async () => {
    const client = new SchemaRegistryClient({ url: base, timeoutMs: 300 });
    const codec = new AvroCodec({ registry: client, avsc });
    const unknown = await codec.decode(99, Buffer.from([2, 0x61]), Thing).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(UnknownSchemaIdError);
    expect((unknown as UnknownSchemaIdError).retriable).toBe(false);
    const down = await client.register('broken-value', SCHEMA).catch((e: unknown) => e);
    expect(down).toMatchObject({ status: 500, errorCode: 50001, unavailable: true });
    const denied = await client.register('secret-value', SCHEMA).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(SchemaRegistryError);
    expect((denied as Error).message).toContain('check the registry credentials');
    expect((denied as SchemaRegistryError).unavailable).toBe(false);
    slowMs = 1000;
    const slow = await new SchemaRegistryClient({ url: base, timeoutMs: 200 }).schemaById(42).catch((e: unknown) => e);
    slowMs = 0;
    expect(slow).toMatchObject({ unavailable: true, message: expect.stringContaining('no answer within 200 ms') });
    const garbage = await codec.decode(42, Buffer.from([0xff, 0xff, 0xff]), Thing).catch((e: unknown) => e);
    expect(garbage).toBeInstanceOf(DecodeError);
    expect(() => new SchemaRegistryClient({ url: 'http://u:p@host' })).toThrow(/not in the URL/);
  });
});
