/**
 * Avro (Confluent wire format, metadata in headers) vs the JSON envelope for the bundled `order.created` shape, in
 * process: per record, encode (value + headers as the producer builds them) and decode (headers and value back to
 * metadata and payload, as the consumer does before validation). Zod validation is the same on both paths and left
 * out. Rate = records / CPU-second; bytes = value, and value + headers (Kafka counts both). The schema id is fixed
 * (the registry is consulted once per schema and cached, so it is not on the per-record path). Interleaved, paired
 * per repetition. Run alone: `tsx test/bench/avro.ts [--quick]`; in the report: `npm run bench -- --only avro`.
 */
import { deepEqual } from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import avsc from 'avsc';
import { generateFromString } from '../../generator/index.js';
import {
  AvroCodec,
  SchemaRegistryClient,
  avroHeaders,
  avroMetadata,
  decodeEnvelope,
  decodeHeaders,
  defineEvent,
  encodeEnvelope,
  envelopeHeaders,
  headerBytes,
  readConfluent,
  type EnvelopeMetadata,
} from '../../templates/runtime/index.js';
import { avroOrderCatalog } from '../avro/order-catalog.js';
import { OrderCreatedEvent, orderPayload } from './fixtures.js';
import { median, pairedRatio, progress } from './stats.js';

export interface AvroBenchResult {
  records: number;
  repetitions: number;
  /** Records per CPU-second (encode + decode), per repetition. */
  rates: { json: number[]; avro: number[] };
  /** Median of the paired Avro / JSON rate ratios. */
  ratio: number;
  bytes: { jsonValue: number; jsonTotal: number; avroValue: number; avroTotal: number };
}

const POOL = 512;

function metadataOf(i: number, key: string): EnvelopeMetadata {
  return {
    eventId: `0b8f3c1e-5d2a-4c7b-9e1f-${String(i).padStart(12, '0')}`,
    eventType: 'order.created',
    eventVersion: '1.0.0',
    correlationId: `7a6b5c4d-3e2f-4a1b-8c9d-${String(i).padStart(12, '0')}`,
    timestamp: '2026-01-01T12:00:00.000Z',
    source: 'checkout-service',
    dataClassification: 'confidential',
    partitionKey: key,
  };
}

const asWire = (headers: Record<string, string>): Record<string, Buffer> => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)]));
const sizeOf = (headers: Record<string, string>): number => Object.entries(headers).reduce((n, [k, v]) => n + headerBytes(k, v), 0);

export async function avroBench(quick: boolean): Promise<AvroBenchResult> {
  const model = generateFromString(avroOrderCatalog({ topic: 'shop.orders.v1', groupId: 'bench' }));
  const schema = model.catalog?.events[0]?.payload.avroWire;
  if (schema === undefined) throw new Error('the Avro order catalog has no registry schema');
  const definition = defineEvent({ ...OrderCreatedEvent, avro: { schema } });
  // Not contacted: the id is fixed and the writer schema given.
  const codec = new AvroCodec({ registry: new SchemaRegistryClient({ url: 'http://127.0.0.1:9' }), avsc });
  const ID = 7;
  const payloads: Array<Record<string, unknown>> = Array.from({ length: POOL }, (_, i) => {
    const p = orderPayload(i) as Record<string, unknown>;
    const address = p['shippingAddress'] as Record<string, unknown>;
    return { ...p, shippingAddress: { line2: null, region: null, ...address } };
  });
  const metas = payloads.map((p, i) => metadataOf(i, String(p['orderId'])));

  const records = quick ? 5_000 : 40_000;
  const repetitions = quick ? 3 : 7;
  let sink = 0;
  const runJson = (): number => {
    const t0 = process.cpuUsage();
    for (let n = 0; n < records; n++) {
      const i = n % POOL;
      const metadata = metas[i] as EnvelopeMetadata;
      const value = encodeEnvelope({ metadata, data: payloads[i] });
      const headers = asWire(envelopeHeaders(metadata));
      const envelope = decodeEnvelope(value, decodeHeaders(headers));
      sink += (envelope.data as { items: unknown[] }).items.length;
    }
    const t = process.cpuUsage(t0);
    return records / ((t.user + t.system) / 1e6);
  };
  const runAvro = (): number => {
    const t0 = process.cpuUsage();
    for (let n = 0; n < records; n++) {
      const i = n % POOL;
      const metadata = metas[i] as EnvelopeMetadata;
      const value = codec.encodeWithId(ID, definition, payloads[i]);
      const headers = asWire(avroHeaders(metadata));
      const text = decodeHeaders(headers);
      const meta = avroMetadata(text);
      const { schemaId, payload } = readConfluent(value);
      const data = codec.decodeWith(schemaId, schema, payload, definition) as { items: unknown[] };
      sink += data.items.length + meta.eventId.length;
    }
    const t = process.cpuUsage(t0);
    return records / ((t.user + t.system) / 1e6);
  };

  // Same data both ways: the decoded Avro payload equals the JSON one.
  const check = codec.decodeWith(ID, schema, readConfluent(codec.encodeWithId(ID, definition, payloads[0])).payload, definition);
  deepEqual(JSON.parse(JSON.stringify(check)), payloads[0], 'the Avro round trip changed the payload');

  runJson();
  runAvro(); // warm-up
  const rates = { json: [] as number[], avro: [] as number[] };
  for (let r = 0; r < repetitions; r++) {
    if (r % 2 === 0) {
      rates.json.push(runJson());
      rates.avro.push(runAvro());
    } else {
      rates.avro.push(runAvro());
      rates.json.push(runJson());
    }
    progress(`avro: repetition ${r + 1}/${repetitions}: JSON ${Math.round(rates.json[r] as number)}/s, Avro ${Math.round(rates.avro[r] as number)}/s`);
  }
  let jv = 0;
  let jt = 0;
  let av = 0;
  let at = 0;
  for (let i = 0; i < POOL; i++) {
    const metadata = metas[i] as EnvelopeMetadata;
    const j = encodeEnvelope({ metadata, data: payloads[i] }).length;
    const a = codec.encodeWithId(ID, definition, payloads[i]).length;
    jv += j;
    jt += j + sizeOf(envelopeHeaders(metadata));
    av += a;
    at += a + sizeOf(avroHeaders(metadata));
  }
  if (sink < 0) progress(String(sink));
  return {
    records,
    repetitions,
    rates,
    ratio: pairedRatio(rates.avro, rates.json),
    bytes: { jsonValue: jv / POOL, jsonTotal: jt / POOL, avroValue: av / POOL, avroTotal: at / POOL },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await avroBench(process.argv.includes('--quick'));
  process.stdout.write(`${JSON.stringify(result)}\n`);
  void median;
}
