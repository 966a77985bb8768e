/**
 * Channel parameters (`shop.orders.{region}`): the model reads them (typed, enumerated or open), topics are
 * provisioned per environment's values, and the generated code works: producers take the values and send to the
 * filled-in topic (a value that cannot be part of a topic name is refused before anything is sent), consumers read
 * one topic per value set they are given (every enumerated combination by default), each with its own `.dlq`.
 * Fixture: test/fixtures/catalogs/parameters/.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateFromString, generateTargets } from '../generator/index.js';
import { topicSpecs } from '../generator/topics/topology.js';
import type { Catalog } from '../generator/model/types.js';
import { typecheckNest } from './nestjs/support.js';
import { fixturePath, ROOT, typecheck, writeTree } from './support/tree.js';

interface Handler {
  handle(data: unknown, ctx: { topic: string }): Promise<void>;
}
interface Consumer {
  start(): Promise<void>;
  stop(): Promise<void>;
}
interface Transport {
  records(topic: string): Array<{ value: Buffer | null }>;
  drain(): Promise<void>;
}
/** The part of the generated tree this test drives (imported at run time from test/output). */
interface Tree {
  InMemoryTransport: new (options?: { defaultPartitions?: number; redeliveryDelayMs?: number }) => Transport;
  EventProducer: new (options: { transport: Transport; source: string; logger?: unknown }) => unknown;
  silentLogger: unknown;
  NonRetriableError: new (message: string) => Error;
  createProducers(producer: unknown): {
    shopOrdersRegion: { orderCreated(parameters: { region: string }, data: { orderId: string }): Promise<{ topic: string }> };
    auditTenantRecords: { auditRecorded(parameters: { tenant: string }, data: { action: string }): Promise<{ topic: string }> };
  };
  shopOrdersRegionTopicName(parameters: { region: string }): string;
  billing: { createConsumer(options: Record<string, unknown>): Consumer };
  auditors: { createConsumer(options: Record<string, unknown>): Consumer };
}

let tree: Tree;
let catalog: Catalog;
const consumers: Consumer[] = [];
afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.stop()));
});

beforeAll(async () => {
  const result = await generateTargets(path.relative(ROOT, fixturePath('parameters')), ['plain', 'nestjs'], { cwd: ROOT });
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const plain = writeTree('parameters/plain', result.files.get('plain') ?? []);
  const nest = writeTree('parameters/nestjs', result.files.get('nestjs') ?? []);
  expect(typecheck([plain])).toEqual([]);
  expect(typecheckNest([nest])).toEqual([]);
  tree = (await import(pathToFileURL(path.join(plain, 'index.ts')).href)) as Tree;
  const built = generateFromString((await import('node:fs')).readFileSync(fixturePath('parameters'), 'utf8'));
  catalog = built.catalog as Catalog;
}, 120_000);

const recorder = (): Handler & { seen: Array<{ data: unknown; topic: string }> } => {
  const seen: Array<{ data: unknown; topic: string }> = [];
  return { seen, handle: async (data, ctx) => void seen.push({ data, topic: ctx.topic }) };
};

describe('the model', () => {
  it('reads the address as a template with typed parameters, and says which topics cannot be provisioned', () => {
    const orders = catalog.topics.find((t) => t.id === 'orders');
    expect(orders?.name).toBe('shop.orders.{region}');
    expect(orders?.parameters).toMatchObject([{ name: 'region', type: 'string', values: ['eu', 'us'], description: 'Where the order was placed.' }]);
    expect(orders?.deadLetter.topic).toBe('shop.orders.{region}.dlq');
    const audit = catalog.topics.find((t) => t.id === 'audit');
    expect(audit?.name).toBe('audit.{tenant}.records'); // x-eventgen.addressSlash "." mapped audit/{tenant}/records
    expect(audit?.parameters?.[0]).toMatchObject({ name: 'tenant', type: 'string' });
    expect(audit?.parameters?.[0]?.values).toBeUndefined();
    const open = catalog.diagnostics.filter((d) => d.rule === 'topic-parameters-open');
    expect(open.map((d) => [d.severity, d.location?.line])).toEqual([['warning', 27]]);
    expect(open[0]?.message).toMatch(/depend on \{tenant\}, which lists no values: .* provisioned only in staging/);
  });

  it('2.x parameter schemas: integer → number, enum values checked as topic name parts; env values must be enumerated ones', () => {
    const v2 = (params: string, env = ''): ReturnType<typeof generateFromString> =>
      generateFromString(`asyncapi: 2.6.0
info: { title: T, version: '1' }
channels:
  zone.{zoneId}.{kind}:
    parameters:
${params}
${env}
    subscribe:
      message: { name: a.b, payload: { type: object } }
`);
    const ok = v2('      zoneId: { schema: { type: integer } }\n      kind: { schema: { type: string, enum: [hot, cold] } }');
    expect(ok.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(ok.catalog?.topics[0]?.parameters).toMatchObject([
      { name: 'zoneId', type: 'number' },
      { name: 'kind', type: 'string', values: ['hot', 'cold'] },
    ]);
    const producer = ok.files.find((f) => f.path.startsWith('producers/zone'))?.content ?? '';
    expect(producer).toMatch(/aB\(parameters: ZoneZoneIdKindParameters, data: ABInput/);
    expect(ok.files.find((f) => f.path === 'topics.ts')?.content).toMatch(/readonly zoneId: number;[\s\S]*readonly kind: 'hot' \| 'cold';/);

    const bad = v2('      zoneId: { schema: { type: integer } }\n      kind: { schema: { type: string, enum: [hot, a/b] } }');
    expect(bad.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.rule, d.message])).toEqual([
      ['topic-name-invalid', 'parameter {kind} value "a/b" cannot be part of a Kafka topic name: use characters from [a-zA-Z0-9._-]'],
    ]);
    const env = v2(
      '      zoneId: { schema: { type: integer } }\n      kind: { schema: { type: string, enum: [hot, cold] } }',
      '    x-environments:\n      prod:\n        parameters: { kind: [warm], region: [eu] }',
    );
    expect(env.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([
      'x-environments.prod.parameters.kind: "warm" is not one of the parameter\'s values (hot, cold): producers could not send there',
      'x-environments.prod.parameters: "region" is not a parameter of the address "zone.{zoneId}.{kind}"',
    ]);
  });
});

describe('provisioning (gen topics, scripts/topics.ts, topology.json)', () => {
  it('one topic (and dead-letter topic) per enumerated value; per environment values; open parameters only where listed', () => {
    const names = (env?: string): string[] => topicSpecs(catalog, env).map((s) => `${s.name}${s.partitions ? `/${s.partitions}` : ''}`);
    expect(names()).toEqual(['shop.orders.eu/2', 'shop.orders.us/2', 'shop.orders.eu.dlq/2', 'shop.orders.us.dlq/2']);
    expect(names('production')).toEqual(['shop.orders.eu/6', 'shop.orders.us/6', 'shop.orders.eu.dlq/6', 'shop.orders.us.dlq/6']);
    expect(names('staging')).toEqual(['shop.orders.eu/2', 'audit.acme.records', 'audit.globex.records', 'shop.orders.eu.dlq/2', 'audit.acme.records.dlq', 'audit.globex.records.dlq']);
    expect(topicSpecs(catalog, 'staging').find((s) => s.name === 'audit.acme.records.dlq')?.deadLetterFor).toEqual(['audit.acme.records']);
  });
});

describe('the generated plain code', () => {
  const setup = () => {
    const transport = new tree.InMemoryTransport({ defaultPartitions: 2, redeliveryDelayMs: 5 });
    const producers = tree.createProducers(new tree.EventProducer({ transport, source: 'test', logger: tree.silentLogger }));
    return { transport, producers };
  };

  it('producers send to the topic the parameter values choose; a value that cannot be part of a topic name sends nothing', async () => {
    const { transport, producers } = setup();
    expect((await producers.shopOrdersRegion.orderCreated({ region: 'eu' }, { orderId: 'o-1' })).topic).toBe('shop.orders.eu');
    expect((await producers.auditTenantRecords.auditRecorded({ tenant: 'acme' }, { action: 'login' })).topic).toBe('audit.acme.records');
    expect(transport.records('shop.orders.eu')).toHaveLength(1);
    await expect(producers.auditTenantRecords.auditRecorded({ tenant: '../x' }, { action: 'login' })).rejects.toThrow(/channel parameter \{tenant\} = "\.\.\/x" cannot be part of a Kafka topic name/);
    await expect(producers.auditTenantRecords.auditRecorded({ tenant: '' }, { action: 'login' })).rejects.toBeInstanceOf(RangeError);
    expect(() => tree.shopOrdersRegionTopicName({ region: 'x'.repeat(250) })).toThrow(/longer than 249/);
  });

  it('a consumer reads every enumerated topic by default, and only the values it is given for open parameters', async () => {
    const { transport, producers } = setup();
    const orders = recorder();
    const audit = recorder();
    const billing = tree.billing.createConsumer({ transport, logger: tree.silentLogger, fromBeginning: true, handlers: { orderCreated: orders } });
    const auditors = tree.auditors.createConsumer({ transport, logger: tree.silentLogger, fromBeginning: true, handlers: { auditRecorded: audit }, parameters: { auditTenantRecords: [{ tenant: 'acme' }] } });
    consumers.push(billing, auditors);
    await billing.start();
    await auditors.start();
    await producers.shopOrdersRegion.orderCreated({ region: 'eu' }, { orderId: 'o-1' });
    await producers.shopOrdersRegion.orderCreated({ region: 'us' }, { orderId: 'o-2' });
    await producers.auditTenantRecords.auditRecorded({ tenant: 'acme' }, { action: 'login' });
    await producers.auditTenantRecords.auditRecorded({ tenant: 'globex' }, { action: 'logout' });
    await transport.drain();
    expect(orders.seen.map((s) => [s.topic, (s.data as { orderId: string }).orderId]).sort()).toEqual([
      ['shop.orders.eu', 'o-1'],
      ['shop.orders.us', 'o-2'],
    ]);
    expect(audit.seen.map((s) => [s.topic, (s.data as { action: string }).action])).toEqual([['audit.acme.records', 'login']]);
  });

  it('a failing record goes to the dead-letter topic of its own Kafka topic', async () => {
    const { transport, producers } = setup();
    const failing: Handler = {
      handle: async () => {
        throw new tree.NonRetriableError('no');
      },
    };
    const billing = tree.billing.createConsumer({ transport, logger: tree.silentLogger, fromBeginning: true, handlers: { orderCreated: failing }, parameters: { shopOrdersRegion: [{ region: 'us' }] } });
    consumers.push(billing);
    await billing.start();
    await producers.shopOrdersRegion.orderCreated({ region: 'us' }, { orderId: 'o-3' });
    await transport.drain();
    expect(transport.records('shop.orders.us.dlq')).toHaveLength(1);
    expect(transport.records('shop.orders.{region}.dlq')).toHaveLength(0);
  });
});
