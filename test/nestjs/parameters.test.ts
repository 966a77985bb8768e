/**
 * Channel parameters in the NestJS target (fixture test/fixtures/catalogs/parameters/): the dispatcher gives a
 * topic handler of an address with parameters one delegator per Kafka topic — every combination of the catalog's
 * values by default, or `KafkaModule.forRoot({ topicParameters })` — each with its own `.dlq`; an address whose
 * parameters list no values needs `topicParameters`, said at start-up in our words.
 */
import 'reflect-metadata';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../generator/index.js';
import { fixturePath, ROOT, writeTree } from './support.js';

interface Delegator {
  topic: string;
  deadLetter: { enabled: boolean; topic: string };
}
interface Dispatcher {
  addHandler(registration: Record<string, unknown>): void;
  plan(): Array<{ groupId: string; topics: Delegator[] }>;
}
interface Kafka {
  KafkaConnection: new (options: Record<string, unknown>) => unknown;
  KafkaDispatcher: new (connection: unknown) => Dispatcher;
}

let dir: string;
let kafka: Kafka;
beforeAll(async () => {
  const result = await generate(path.relative(ROOT, fixturePath('parameters')), { cwd: ROOT, target: 'nestjs' });
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  dir = writeTree('parameters/nestjs-behaviour', result.files);
  kafka = (await import(pathToFileURL(path.join(dir, 'kafka/index.ts')).href)) as Kafka;
}, 120_000);

async function billingTopicHandler(dispatcher: Dispatcher): Promise<{ onModuleInit(): void }> {
  const handlerFile = path.join(dir, 'consumers/billing/topics/shop-orders-region/shop-orders-region.topic-handler.ts');
  const stubFile = path.join(dir, 'consumers/billing/topics/shop-orders-region/events/order-created.event-handler.ts');
  const { ShopOrdersRegionTopicHandler } = (await import(pathToFileURL(handlerFile).href)) as { ShopOrdersRegionTopicHandler: new (d: Dispatcher, h: unknown) => { onModuleInit(): void } };
  const { BillingOrderCreatedHandler } = (await import(pathToFileURL(stubFile).href)) as { BillingOrderCreatedHandler: new () => unknown };
  return new ShopOrdersRegionTopicHandler(dispatcher, new BillingOrderCreatedHandler());
}

const plan = (dispatcher: Dispatcher): string[] => dispatcher.plan().flatMap((g) => g.topics.map((t) => `${g.groupId} ${t.topic} → ${t.deadLetter.topic}`));

describe('NestJS: topics of addresses with channel parameters', () => {
  it('style 1: one delegator per enumerated value by default, or per topicParameters entry', async () => {
    const byDefault = new kafka.KafkaDispatcher(new kafka.KafkaConnection({ enabled: false }));
    (await billingTopicHandler(byDefault)).onModuleInit();
    expect(plan(byDefault)).toEqual(['billing shop.orders.eu → shop.orders.eu.dlq', 'billing shop.orders.us → shop.orders.us.dlq']);

    const configured = new kafka.KafkaDispatcher(new kafka.KafkaConnection({ enabled: false, topicParameters: { 'shop.orders.{region}': [{ region: 'us' }] } }));
    (await billingTopicHandler(configured)).onModuleInit();
    expect(plan(configured)).toEqual(['billing shop.orders.us → shop.orders.us.dlq']);
  });

  it('style 2 on an open parameter: topicParameters is required, and values are checked', () => {
    const registration = { eventType: 'audit.recorded', groupId: 'audit-readers', source: 'Test.onAudit', handle: async () => undefined };
    const missing = new kafka.KafkaDispatcher(new kafka.KafkaConnection({ enabled: false }));
    missing.addHandler(registration);
    expect(() => missing.plan()).toThrow(/topic 'audit\.\{tenant\}\.records' has channel parameters without values in the catalog: list the ones to consume in KafkaModule\.forRoot\(\{ topicParameters/);

    const ok = new kafka.KafkaDispatcher(new kafka.KafkaConnection({ enabled: false, topicParameters: { 'audit.{tenant}.records': [{ tenant: 'acme' }, { tenant: 'globex' }] } }));
    ok.addHandler(registration);
    expect(plan(ok)).toEqual(['audit-readers audit.acme.records → audit.acme.records.dlq', 'audit-readers audit.globex.records → audit.globex.records.dlq']);

    const bad = new kafka.KafkaDispatcher(new kafka.KafkaConnection({ enabled: false, topicParameters: { 'audit.{tenant}.records': [{ tenant: 'a/b' }] } }));
    bad.addHandler(registration);
    expect(() => bad.plan()).toThrow(/parameter \{tenant\} = "a\/b" cannot be part of a Kafka topic name/);
  });
});
