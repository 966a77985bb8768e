/**
 * Avro (Confluent wire format, metadata in headers) vs the JSON envelope for the bundled `order.created` shape, in
 * process: per record, encode (value + headers as the producer builds them) and decode (headers and value back to
 * metadata and payload, as the consumer does before validation). Zod validation is the same on both paths and left
 * out. Rate = records / CPU-second; bytes = value, and value + headers (Kafka counts both). The schema id is fixed
 * (the registry is consulted once per schema and cached, so it is not on the per-record path). Interleaved, paired
 * per repetition. Then, on the real broker (KAFKA_BROKERS, default 127.0.0.1:19092), the generated consumer's
 * throughput on a JSON envelope topic vs an Avro topic holding the same records (`avroBrokerBench`).
 * Run alone: `tsx test/bench/avro.ts [--quick] [--no-broker]`; in the report: `npm run bench -- --only avro`.
 */
import { deepEqual } from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import avsc from 'avsc';
import { Kafka, logLevel } from 'kafkajs';
import { registryAnswers, registrySettings } from '../../scripts/registry/registry.mjs';
import { generateFromString } from '../../generator/index.js';
import {
  AvroCodec,
  EventProducer,
  GroupConsumer,
  KafkaTransport,
  SchemaRegistryClient,
  TopicDelegator,
  batchItem,
  kafkaConfig,
  route,
  silentLogger,
  type BatchItem,
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
import { brokerAnswers, brokersFromEnv, type ConsumerRun } from './kafka.js';
import { median, pairedRatio, progress } from './stats.js';

export interface AvroBenchResult {
  records: number;
  repetitions: number;
  /** Records per CPU-second (encode + decode), per repetition. */
  rates: { json: number[]; avro: number[] };
  /** Median of the paired Avro / JSON rate ratios. */
  ratio: number;
  bytes: { jsonValue: number; jsonTotal: number; avroValue: number; avroTotal: number };
  /** The generated consumer on the real broker, JSON envelope topic vs Avro topic (absent: not run). */
  broker?: AvroBrokerResult | { skipped: string };
}

/** Consumer throughput on the real broker: the same records as JSON envelopes and as wire-format Avro. */
export interface AvroBrokerResult {
  brokers: string;
  /** Which registry gave the schema id: a real one (URL) or the in-process stand-in (the id is looked up once either way). */
  registry: string;
  records: number;
  partitions: number;
  repetitions: number;
  /** Records/s from the first handled record to the last, and process CPU µs per record, per repetition. */
  json: { rates: number[]; cpuUs: number[] };
  avro: { rates: number[]; cpuUs: number[] };
  /** Median of the paired Avro / JSON rate ratios. */
  ratio: number;
  /** Bytes the broker stores per record (value + headers, as the producers wrote them), averaged over the topic. */
  bytes: { json: number; avro: number };
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

/** A stand-in Confluent registry in process (register + schema by id), when no real registry answers. */
async function localRegistry(): Promise<{ url: string; close(): Promise<void> }> {
  const schemas: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const reply = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (req.method === 'POST' && /^\/subjects\/[^/]+\/versions$/.test(req.url ?? '')) {
        const { schema } = JSON.parse(body) as { schema: string };
        const at = schemas.indexOf(schema);
        return reply(200, { id: (at < 0 ? schemas.push(schema) : at + 1) });
      }
      const id = Number(/^\/schemas\/ids\/(\d+)$/.exec(req.url ?? '')?.[1] ?? 0);
      if (id > 0 && id <= schemas.length) return reply(200, { schema: schemas[id - 1] });
      return reply(404, { error_code: 40403, message: 'not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const uniqueTopic = (what: string): string => `bench-avro-${what}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;

/**
 * The generated consumer (GroupConsumer over KafkaTransport: decode, Zod validation, handler, commits) reading the
 * same records from a JSON envelope topic and from a wire-format Avro topic (AvroCodec: metadata from headers, writer
 * schema by id, cached after the first record). Each repetition is a fresh group reading its topic from the start;
 * JSON and Avro alternate which goes first, after one untimed warm-up pair. Rate = records/s from the first record
 * handed to the handler to the last.
 */
export async function avroBrokerBench(quick: boolean): Promise<AvroBrokerResult | { skipped: string }> {
  const brokers = brokersFromEnv();
  if (!(await brokerAnswers(brokers))) return { skipped: `no Kafka broker answers at ${brokers}` };
  const model = generateFromString(avroOrderCatalog({ topic: 'shop.orders.v1', groupId: 'bench' }));
  const schema = model.catalog?.events[0]?.payload.avroWire;
  if (schema === undefined) throw new Error('the Avro order catalog has no registry schema');
  const definition = defineEvent({ ...OrderCreatedEvent, avro: { schema } });
  const real = process.env.REGISTRY_URL?.trim() || registrySettings().url;
  const local = (await registryAnswers(real, 2000)) ? undefined : await localRegistry();
  const registryUrl = local?.url ?? real;
  const codec = () => new AvroCodec({ registry: new SchemaRegistryClient({ url: registryUrl }), avsc });

  const records = quick ? 5_000 : 20_000;
  const repetitions = quick ? 3 : 7;
  const partitions = 3;
  const topics = { json: uniqueTopic('json'), avro: uniqueTopic('avro') };
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const result: AvroBrokerResult = {
    brokers,
    registry: local === undefined ? registryUrl : 'in-process stand-in (no registry answered)',
    records,
    partitions,
    repetitions,
    json: { rates: [], cpuUs: [] },
    avro: { rates: [], cpuUs: [] },
    ratio: NaN,
    bytes: { json: 0, avro: 0 },
  };
  try {
    await admin.createTopics({ topics: [topics.json, topics.avro].map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })), waitForLeaders: true });
    const payloads: Array<Record<string, unknown>> = Array.from({ length: POOL }, (_, i) => {
      const p = orderPayload(i) as Record<string, unknown>;
      return { ...p, shippingAddress: { line2: null, region: null, ...(p['shippingAddress'] as Record<string, unknown>) } };
    });
    // Fill both topics with the same payloads through the generated producer (JSON envelope / Avro codec).
    for (const kind of ['json', 'avro'] as const) {
      const producer = new EventProducer({
        transport: new KafkaTransport({ config: kafkaConfig({ brokers, clientId: 'bench-avro' }), logger: silentLogger, producer: { compression: 'none' } }),
        source: 'checkout-service',
        logger: silentLogger,
        ...(kind === 'avro' ? { avro: codec() } : {}),
      });
      await producer.connect();
      for (let i = 0; i < records; i += 500) {
        const items: BatchItem[] = [];
        for (let k = i; k < Math.min(records, i + 500); k++) items.push(batchItem(topics[kind], definition, payloads[k % POOL] as never));
        await producer.sendBatch(items);
      }
      await producer.disconnect();
    }
    progress(`avro broker: ${records} records written to each topic; reading sizes back`);
    result.bytes = { json: await storedBytes(brokers, topics.json, records), avro: await storedBytes(brokers, topics.avro, records) };

    const consume = async (kind: 'json' | 'avro'): Promise<ConsumerRun> => {
      let handled = 0;
      let first = 0;
      let cpu = process.cpuUsage();
      let done!: (r: ConsumerRun) => void;
      const finished = new Promise<ConsumerRun>((resolve) => (done = resolve));
      const handler = {
        handle: async (): Promise<void> => {
          if (handled++ === 0) {
            first = performance.now();
            cpu = process.cpuUsage();
          }
          if (handled === records) {
            const used = process.cpuUsage(cpu);
            done({ rate: ((records - 1) / (performance.now() - first)) * 1000, cpuUs: (used.user + used.system) / (records - 1) });
          }
        },
      };
      const consumer = new GroupConsumer({
        groupId: uniqueTopic(`g-${kind}`),
        transport: new KafkaTransport({ config: kafkaConfig({ brokers, clientId: 'bench-avro' }), logger: silentLogger }),
        topics: [new TopicDelegator({ topic: topics[kind], routes: [route(definition, handler)], ...(kind === 'avro' ? { avro: codec() } : {}) })],
        store: null,
        ...(process.env.BENCH_DEBUG ? {} : { logger: silentLogger }),
      });
      await consumer.start();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`avro broker bench: the ${kind} consumer handled ${handled}/${records} records in 180 s (BENCH_DEBUG=1 shows its log)`)), 180_000);
      });
      try {
        return await Promise.race([finished, timeout]);
      } finally {
        clearTimeout(timer);
        await consumer.stop();
      }
    };
    progress(`avro broker: stored bytes per record: JSON ${result.bytes.json.toFixed(0)}, Avro ${result.bytes.avro.toFixed(0)}`);
    // One untimed pair first, as in the in-process part: the process's one-time costs (JIT of the consumer stack, of
    // the Zod schema for each input shape, of avsc's readers) are not charged to whichever path happens to run first.
    await consume('json');
    await consume('avro');
    progress('avro broker: warm-up pair (untimed) done');
    for (let r = 0; r < repetitions; r++) {
      const order = r % 2 === 0 ? (['json', 'avro'] as const) : (['avro', 'json'] as const);
      for (const kind of order) {
        const run = await consume(kind);
        result[kind].rates.push(run.rate);
        result[kind].cpuUs.push(run.cpuUs);
      }
      progress(`avro broker: repetition ${r + 1}/${repetitions}: JSON ${Math.round(result.json.rates[r] as number)}/s, Avro ${Math.round(result.avro.rates[r] as number)}/s`);
    }
    result.ratio = pairedRatio(result.avro.rates, result.json.rates);
    return result;
  } finally {
    await admin.deleteTopics({ topics: [topics.json, topics.avro] }).catch(() => undefined);
    await admin.disconnect();
    await local?.close();
  }
}

/** Average value + header bytes per record of a topic, read back from the broker (what it stores and serves). */
async function storedBytes(brokers: string, topic: string, records: number): Promise<number> {
  const consumer = new Kafka({ brokers: brokers.split(','), clientId: 'bench-avro-size', logLevel: logLevel.NOTHING }).consumer({ groupId: uniqueTopic('size'), maxWaitTimeInMs: 200 });
  let bytes = 0;
  let seen = 0;
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        bytes += message.value?.length ?? 0;
        for (const [k, v] of Object.entries(message.headers ?? {})) bytes += Buffer.byteLength(k) + (Buffer.isBuffer(v) ? v.length : Buffer.byteLength(String(v)));
        if (++seen === records) resolve();
      },
    });
  });
  await consumer.disconnect();
  return bytes / seen;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  const result = await avroBench(quick);
  if (!process.argv.includes('--no-broker')) result.broker = await avroBrokerBench(quick);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  void median;
}
