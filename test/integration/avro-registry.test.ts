/**
 * Avro on a real broker and a real schema registry (Apicurio, `npm run registry:start`): code generated from an Avro
 * catalog registers the schema and sends Confluent wire-format records; a plain wire-format decoder written here
 * (magic byte, id, Avro via the registry's schema) reads the bytes; the generated consumer decodes and validates them.
 * A record naming an unknown schema id is dead-lettered with reason `decode`; with the registry unreachable (a TCP
 * proxy in front of it, closed) a send needing a new id fails clearly while ids already cached keep working.
 */
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import avsc from 'avsc';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFromString } from '../../generator/index.js';
import { AvroCodec, SchemaRegistryClient, SchemaRegistryError, defineEvent, EventProducer, type EventHandler, type GroupConsumer } from '../../templates/runtime/index.js';
import { z } from 'zod/v4';
import { avroOrderCatalog, sampleOrder } from '../avro/order-catalog.js';
import { kafkaBrokers, skipReason, uniqueName } from '../support/kafka.js';
import { registryUrl } from '../support/registry.js';
import { writeTree } from '../support/tree.js';
import { readAll, recordCount, admin, transport, waitFor } from './helpers.js';

const brokers = await kafkaBrokers();
if (!brokers) process.stderr.write(`avro registry integration tests SKIPPED: ${skipReason() || 'no broker'}\n`);
const registry = brokers ? await registryUrl('avro registry integration tests') : undefined;
const skip = !brokers || !registry;

const prefix = uniqueName('egavro');
const TOPIC = `${prefix}.orders`;
const GROUP = `${prefix}-billing`;

interface Tree {
  createProducers(from: { transport: unknown; avro?: AvroCodec }): Record<string, { [method: string]: (data: unknown, options?: unknown) => Promise<unknown> }>;
  createConsumer(options: { transport: unknown; handlers: Record<string, EventHandler<unknown>>; avro?: AvroCodec; logger?: unknown }): GroupConsumer;
  definition: Parameters<AvroCodec['schemaId']>[1];
}

async function loadTree(): Promise<Tree> {
  const result = generateFromString(avroOrderCatalog({ topic: TOPIC, groupId: GROUP, extra: true }));
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const dir = writeTree(`avro-registry/${prefix}`, result.files);
  const producers = (await import(pathToFileURL(path.join(dir, 'producers/index.ts')).href)) as { createProducers: Tree['createProducers'] };
  const groupDir = result.files.find((f) => /^consumers\/[^/]+\/index\.ts$/.test(f.path))?.path as string;
  const group = (await import(pathToFileURL(path.join(dir, groupDir)).href)) as Record<string, unknown>;
  const create = Object.entries(group).find(([name, v]) => /^create\w+Consumer$/.test(name) && typeof v === 'function' && !name.includes('Group'))?.[1] as Tree['createConsumer'];
  const events = (await import(pathToFileURL(path.join(dir, 'events.ts')).href)) as { events: Record<string, Tree['definition']> };
  return { createProducers: producers.createProducers, createConsumer: create, definition: events.events['order.created'] as Tree['definition'] };
}

/** A Confluent wire-format reader written from the format's description: byte 0, big-endian id, Avro binary. */
async function plainDecode(value: Buffer): Promise<{ id: number; value: unknown }> {
  expect(value[0]).toBe(0);
  const id = value.readUInt32BE(1);
  const res = await fetch(`${registry}/schemas/ids/${id}`);
  expect(res.status).toBe(200);
  const { schema } = (await res.json()) as { schema: string };
  const type = avsc.Type.forSchema(JSON.parse(schema) as avsc.Schema, { wrapUnions: false });
  return { id, value: type.fromBuffer(value.subarray(5)) };
}

/** A TCP proxy to the registry that can be closed: an outage the client sees as connection refused. */
async function registryProxy(): Promise<{ url: string; close(): Promise<void> }> {
  const target = new URL(registry as string);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe.skipIf(skip)('Avro with a schema registry on a real broker', () => {
  let tree: Tree;
  const cleanup: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    tree = await loadTree();
  }, 120_000);
  afterAll(async () => {
    for (const undo of cleanup.reverse()) await undo().catch(() => {});
  });

  it('generated producer registers and sends wire-format Avro; a plain decoder reads it; the generated consumer decodes and validates it', async () => {
    const a = await admin(brokers as string);
    cleanup.push(() => a.disconnect());
    await a.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2, replicationFactor: 1 }, { topic: `${TOPIC}.dlq`, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    const client = new SchemaRegistryClient({ url: registry as string });
    const codec = new AvroCodec({ registry: client, avsc });
    const t = transport(brokers as string);
    const producers = tree.createProducers({ transport: t, avro: codec });
    const topicProducer = Object.values(producers)[0] as Record<string, (data: unknown, options?: unknown) => Promise<unknown>>;
    const send = Object.entries(Object.getPrototypeOf(topicProducer) as object)
      .concat(Object.getOwnPropertyNames(Object.getPrototypeOf(topicProducer)).map((n) => [n, undefined]))
      .map(([n]) => n as string)
      .find((n) => n !== 'constructor') as string;
    const orders: Array<Record<string, unknown>> = [0, 1, 2].map((n) => ({ ...sampleOrder(n), signature: `sig\u0000\u00ff${n}`, checksum: 'ab\u00ffd', attachment: n === 1 ? '\u0001\u0002' : null }));
    for (const order of orders) await (topicProducer[send] as (d: unknown, o?: unknown) => Promise<unknown>).call(topicProducer, order, { correlationId: `corr-${order.orderNumber as string}` });

    // The registry has the schema under the TopicNameStrategy subject.
    const latest = await client.latest(`${TOPIC}-value`);
    expect(latest?.id).toBeGreaterThan(0);
    expect(JSON.parse(latest?.schema as string)).toMatchObject({ type: 'record', name: expect.stringMatching(/OrderCreated$/) });

    // The bytes on the wire, read without the runtime.
    const raw = await readAll(brokers as string, TOPIC, 3);
    const eventIds = new Map<string, string>();
    for (const record of raw) {
      const decoded = await plainDecode(record.value as Buffer);
      expect(decoded.id).toBe(latest?.id);
      const v = decoded.value as Record<string, unknown>;
      const i = orders.findIndex((o) => o['orderNumber'] === v['orderNumber']);
      expect(i).toBeGreaterThanOrEqual(0);
      eventIds.set(v['orderNumber'] as string, record.headers['event-id'] as string);
      expect(v['total']).toEqual({ amount: 3920, currency: 'EUR' });
      expect((v['signature'] as Buffer).equals(Buffer.from(`sig\u0000\u00ff${i}`, 'latin1'))).toBe(true);
      expect(record.headers['event-type']).toBe('order.created');
      expect(record.headers['content-type']).toBe('application/vnd.apache.avro+binary');
      expect(record.headers['correlation-id']).toBe(`corr-${orders[i]?.['orderNumber'] as string}`);
      expect(record.headers['data-classification']).toBe('internal');
      expect(record.headers['partition-key']).toBe(orders[i]?.['orderId']);
      expect(record.key).toBe(orders[i]?.['orderId']);
      // Smaller than the JSON envelope of the same event.
      expect((record.value as Buffer).length).toBeLessThan(JSON.stringify({ metadata: record.headers, data: orders[i] }).length / 2);
    }

    // The generated consumer: decoded with the registry's writer schema, validated by Zod, typed data to the handler.
    const received: Array<{ data: unknown; correlationId: string; eventId: string }> = [];
    const consumer = tree.createConsumer({
      transport: transport(brokers as string),
      avro: new AvroCodec({ registry: new SchemaRegistryClient({ url: registry as string }), avsc }),
      handlers: { orderCreated: { handle: async (data, context) => void received.push({ data, correlationId: context.correlationId, eventId: context.eventId }) } },
    });
    cleanup.push(() => consumer.stop());
    await consumer.start();
    await waitFor(() => received.length >= 3, 60_000, () => `received ${received.length}/3`);
    const byNumber = (x: { data: unknown }) => (x.data as { orderNumber: string }).orderNumber;
    received.sort((x, y) => (byNumber(x) < byNumber(y) ? -1 : 1));
    expect(received.map((r) => r.data)).toEqual(orders);
    expect(received.map((r) => r.correlationId)).toEqual(orders.map((o) => `corr-${o['orderNumber'] as string}`));
    expect(received.map((r) => r.eventId)).toEqual(orders.map((o) => eventIds.get(o['orderNumber'] as string)));
    await consumer.stop();
    await t.producer().disconnect().catch(() => {});
  });

  it('a record naming a schema id the registry does not know goes to the dead-letter topic with reason decode', async () => {
    const topic = `${prefix}.unknown-id`;
    const a = await admin(brokers as string);
    cleanup.push(() => a.disconnect());
    await a.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }, { topic: `${topic}.dlq`, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    const kafka = new Kafka({ clientId: 'eventgen-it-raw', brokers: (brokers as string).split(','), logLevel: logLevel.NOTHING });
    const raw = kafka.producer();
    await raw.connect();
    const value = Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0]), Buffer.from('garbage')]);
    await raw.send({ topic, messages: [{ key: 'k1', value, headers: { 'event-type': 'order.created', 'event-id': 'ev-unknown-id', 'content-type': 'application/vnd.apache.avro+binary' } }] });
    await raw.disconnect();

    const { TopicDelegator, route, GroupConsumer } = await import('../../templates/runtime/index.js');
    const handled: unknown[] = [];
    const delegator = new TopicDelegator({
      topic,
      routes: [route(tree.definition as never, { handle: async (d: unknown) => void handled.push(d) })],
      avro: new AvroCodec({ registry: new SchemaRegistryClient({ url: registry as string }), avsc }),
    });
    const consumer = new GroupConsumer({ groupId: `${prefix}-unknown`, transport: transport(brokers as string), topics: [delegator] });
    cleanup.push(() => consumer.stop());
    await consumer.start();
    const dlq = await readAll(brokers as string, `${topic}.dlq`, 1, 60_000);
    await consumer.stop();
    expect(handled).toEqual([]);
    expect(dlq[0]?.headers['dlq-reason']).toBe('decode');
    expect(dlq[0]?.headers['dlq-error-class']).toBe('UnknownSchemaIdError');
    expect(dlq[0]?.headers['dlq-error-message']).toContain(`Schema id ${0x7ffffff0} is not known to the schema registry`);
    expect(dlq[0]?.value?.equals(value)).toBe(true);
  });

  it('with the registry unreachable a send needing a new schema id fails clearly; cached ids keep working', async () => {
    const proxy = await registryProxy();
    cleanup.push(() => proxy.close());
    const codec = new AvroCodec({ registry: new SchemaRegistryClient({ url: proxy.url, timeoutMs: 3000 }), avsc });
    const topicA = `${prefix}.outage-a`;
    const topicB = `${prefix}.outage-b`;
    const a = await admin(brokers as string);
    cleanup.push(() => a.disconnect());
    await a.createTopics({ topics: [{ topic: topicA, numPartitions: 1, replicationFactor: 1 }, { topic: topicB, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    const producer = new EventProducer({ transport: transport(brokers as string), source: 'outage-test', avro: codec });
    cleanup.push(() => producer.disconnect());
    const definition = tree.definition;
    await producer.send(topicA, definition as never, sampleOrder(1) as never);

    await proxy.close();
    // Cached id: still sent.
    await producer.send(topicA, definition as never, sampleOrder(2) as never);
    // A subject never seen (topic B): fails before anything is written, naming the event, subject and cause.
    const failure = await producer.send(topicB, definition as never, sampleOrder(3) as never).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(SchemaRegistryError);
    expect((failure as SchemaRegistryError).unavailable).toBe(true);
    expect((failure as Error).message).toMatch(new RegExp(`Cannot register the Avro schema of order.created under subject ${topicB.replace(/\./g, '\\.')}-value: Schema registry unreachable`));
    expect(await recordCount(a, topicA)).toBe(2);
    expect(await recordCount(a, topicB)).toBe(0);
  });

  it('a plain definition with an Avro schema round-trips through the codec alone (no generated code)', async () => {
    const schema = JSON.stringify({ type: 'record', name: 'Ping', fields: [{ name: 'n', type: 'int' }] });
    const def = defineEvent({ eventType: 'ping', version: '1.0.0', topics: [], schema: z.object({ n: z.number().int() }), classification: 'public', partitionKey: () => null, avro: { schema } });
    const codec = new AvroCodec({ registry: new SchemaRegistryClient({ url: registry as string }), avsc, subjects: 'record' });
    const bytes = await codec.encode(`${prefix}.ping`, def, { n: 42 });
    const { id, value } = await plainDecode(bytes);
    expect(value).toMatchObject({ n: 42 });
    expect(await codec.decode(id, bytes.subarray(5), def)).toMatchObject({ n: 42 });
    expect(codec.subject(`${prefix}.ping`, def)).toBe('Ping');
  });
});
