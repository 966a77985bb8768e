/**
 * JSON Schema in the Confluent wire format (`x-codec: json-schema`) on a real broker and a real schema registry
 * (Apicurio, `npm run registry:start`): the generated producer registers the event's JSON Schema (`schemaType: JSON`)
 * and sends magic byte + id + JSON with the envelope metadata in headers; a plain reader written here (byte 0,
 * big-endian id, the registry's schema by id, a draft-07 validator, JSON.parse) reads the bytes; the generated
 * consumer validates them with Zod and hands typed data to the handler. A record naming an unknown schema id, and one
 * whose JSON fails the Zod schema, are dead-lettered with reasons `decode` and `validation`.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFromString } from '../../generator/index.js';
import type { EventHandler, GroupConsumer, JsonSchemaCodec, SchemaRegistryClient } from '../../templates/runtime/index.js';
import { jsonOrderCatalog, sampleOrder } from '../avro/order-catalog.js';
import { kafkaBrokers, skipReason, uniqueName } from '../support/kafka.js';
import { registryUrl } from '../support/registry.js';
import { writeTree } from '../support/tree.js';
import { admin, readAll, transport, waitFor } from './helpers.js';

const brokers = await kafkaBrokers();
if (!brokers) process.stderr.write(`json schema wire-format integration tests SKIPPED: ${skipReason() || 'no broker'}\n`);
const registry = brokers ? await registryUrl('json schema wire-format integration tests') : undefined;
const skip = !brokers || !registry;

const prefix = uniqueName('egjsonw');
const TOPIC = `${prefix}.orders`;
const GROUP = `${prefix}-billing`;

interface Tree {
  createProducers(from: { transport: unknown; jsonSchema?: JsonSchemaCodec }): Record<string, Record<string, (data: unknown, options?: unknown) => Promise<unknown>>>;
  createConsumer(options: { transport: unknown; handlers: Record<string, EventHandler<unknown>>; jsonSchema?: JsonSchemaCodec }): GroupConsumer;
  /** The tree's own runtime copy (its error classes decide dead-letter reasons). */
  runtime: { JsonSchemaCodec: typeof JsonSchemaCodec; SchemaRegistryClient: typeof SchemaRegistryClient };
}

async function loadTree(): Promise<Tree> {
  const result = generateFromString(jsonOrderCatalog({ topic: TOPIC, groupId: GROUP }));
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const dir = writeTree(`json-wire-registry/${prefix}`, result.files);
  const load = async <T,>(file: string) => (await import(pathToFileURL(path.join(dir, file)).href)) as T;
  const producers = await load<{ createProducers: Tree['createProducers'] }>('producers/index.ts');
  const groupDir = result.files.find((f) => /^consumers\/[^/]+\/index\.ts$/.test(f.path))?.path as string;
  const group = await load<Record<string, unknown>>(groupDir);
  const create = Object.entries(group).find(([name, v]) => /^create\w+Consumer$/.test(name) && typeof v === 'function')?.[1] as Tree['createConsumer'];
  return { createProducers: producers.createProducers, createConsumer: create, runtime: await load<Tree['runtime']>('runtime/index.ts') };
}

/** A Confluent wire-format JSON reader written from the format's description, checking the value against the registry's schema. */
async function plainDecode(value: Buffer): Promise<{ id: number; schemaType: string | undefined; value: unknown; valid: boolean }> {
  expect(value[0]).toBe(0);
  const id = value.readUInt32BE(1);
  const res = await fetch(`${registry}/schemas/ids/${id}`);
  expect(res.status).toBe(200);
  const { schema, schemaType } = (await res.json()) as { schema: string; schemaType?: string };
  const ajv = new Ajv({ strict: false });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  const parsed = JSON.parse(value.subarray(5).toString('utf8')) as unknown;
  return { id, schemaType, value: parsed, valid: ajv.validate(JSON.parse(schema) as object, parsed) };
}

describe.skipIf(skip)('JSON Schema wire format with a schema registry on a real broker', () => {
  let tree: Tree;
  const cleanup: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    tree = await loadTree();
  }, 120_000);
  afterAll(async () => {
    for (const undo of cleanup.reverse()) await undo().catch(() => {});
  });

  it('generated producer registers (schemaType JSON) and sends wire-format JSON; a plain reader reads it; the generated consumer validates it; bad records are dead-lettered', async () => {
    const a = await admin(brokers as string);
    cleanup.push(() => a.disconnect());
    await a.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2, replicationFactor: 1 }, { topic: `${TOPIC}.dlq`, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    const client = new tree.runtime.SchemaRegistryClient({ url: registry as string });
    const t = transport(brokers as string);
    cleanup.push(() => t.producer().disconnect());
    const topicProducer = Object.values(tree.createProducers({ transport: t, jsonSchema: new tree.runtime.JsonSchemaCodec({ registry: client }) }))[0] as Record<string, (d: unknown, o?: unknown) => Promise<unknown>>;
    const orders = [0, 1, 2].map((n) => sampleOrder(n));
    for (const order of orders) await (topicProducer['orderCreated'] as (d: unknown, o?: unknown) => Promise<unknown>).call(topicProducer, order, { correlationId: `corr-${order['orderNumber'] as string}` });

    // The registry holds the JSON Schema under the TopicNameStrategy subject.
    const latest = await client.latest(`${TOPIC}-value`);
    expect(latest).toMatchObject({ schemaType: 'JSON', version: 1 });
    expect(JSON.parse(latest?.schema as string)).toMatchObject({ title: 'OrderCreated', type: 'object' });

    // The bytes on the wire, read without the runtime.
    const raw = await readAll(brokers as string, TOPIC, 3);
    for (const record of raw) {
      const decoded = await plainDecode(record.value as Buffer);
      expect(decoded).toMatchObject({ id: latest?.id, schemaType: 'JSON', valid: true });
      const i = orders.findIndex((o) => o['orderNumber'] === (decoded.value as Record<string, unknown>)['orderNumber']);
      expect(decoded.value).toEqual(orders[i]);
      expect(record.headers).toMatchObject({ 'event-type': 'order.created', 'content-type': 'application/vnd.eventgen.json-wire', 'correlation-id': `corr-${orders[i]?.['orderNumber'] as string}`, 'partition-key': orders[i]?.['orderId'] });
      expect(record.key).toBe(orders[i]?.['orderId']);
    }

    // Two bad records: an id the registry does not know, and JSON the Zod schema refuses.
    const first = raw[0] as (typeof raw)[number];
    const kafka = new Kafka({ clientId: 'eventgen-it-raw', brokers: (brokers as string).split(','), logLevel: logLevel.NOTHING });
    const rawProducer = kafka.producer();
    await rawProducer.connect();
    const unknownId = Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0xf1]), (first.value as Buffer).subarray(5)]);
    const invalid = Buffer.concat([(first.value as Buffer).subarray(0, 5), Buffer.from(JSON.stringify({ ...orders[0], items: [] }))]);
    await rawProducer.send({
      topic: TOPIC,
      messages: [
        { key: 'bad-1', value: unknownId, headers: { ...first.headers, 'event-id': 'ev-unknown-id' } },
        { key: 'bad-1', value: invalid, headers: { ...first.headers, 'event-id': 'ev-invalid' } },
      ],
    });
    await rawProducer.disconnect();

    const received: Array<{ data: unknown; correlationId: string }> = [];
    const consumer = tree.createConsumer({
      transport: transport(brokers as string),
      jsonSchema: new tree.runtime.JsonSchemaCodec({ registry: new tree.runtime.SchemaRegistryClient({ url: registry as string }) }),
      handlers: { orderCreated: { handle: async (data, context) => void received.push({ data, correlationId: context.correlationId }) } },
    });
    cleanup.push(() => consumer.stop());
    await consumer.start();
    await waitFor(() => received.length >= 3, 60_000, () => `received ${received.length}/3`);
    const dlq = await readAll(brokers as string, `${TOPIC}.dlq`, 2, 60_000);
    await consumer.stop();
    const byNumber = (x: { data: unknown }) => (x.data as { orderNumber: string }).orderNumber;
    received.sort((x, y) => (byNumber(x) < byNumber(y) ? -1 : 1));
    expect(received.map((r) => r.data)).toEqual(orders);
    expect(received.map((r) => r.correlationId)).toEqual(orders.map((o) => `corr-${o['orderNumber'] as string}`));
    const reasons = Object.fromEntries(dlq.map((r) => [r.headers['event-id'], [r.headers['dlq-reason'], r.headers['dlq-error-class']]]));
    expect(reasons).toEqual({ 'ev-unknown-id': ['decode', 'UnknownSchemaIdError'], 'ev-invalid': ['validation', 'EventValidationError'] });
    expect(dlq.find((r) => r.headers['event-id'] === 'ev-unknown-id')?.value?.equals(unknownId)).toBe(true);
  }, 180_000);
});
