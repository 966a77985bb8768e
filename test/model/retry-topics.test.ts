/** `x-retry: { mode: topics }` (issue #16 part 1): validation, generated delegators, provisioned retry topics, ordering warning. */
import { describe, expect, it } from 'vitest';
import { generateFromString } from '../../generator/index.js';
import { topicSpecs } from '../../generator/topics/topology.js';

function model(body: string) {
  const result = generateFromString(`asyncapi: 3.0.0\ninfo: { title: Test Shop, version: 1.0.0 }\n${body}`);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  const warnings = result.diagnostics.filter((d) => d.severity === 'warning');
  return { catalog: result.catalog, errors, warnings, files: result.files };
}

const ORDERS = (retry: string) => `
channels:
  orders:
    address: shop.orders
    bindings: { kafka: { partitions: 3, replicas: 1, bindingVersion: 0.5.0 } }
    x-retry: ${retry}
    messages:
      created:
        name: order.created
        x-partition-key: { field: orderId }
        payload: { type: object, required: [orderId], properties: { orderId: { type: string } } }
operations:
  onOrder:
    action: receive
    channel: { $ref: '#/channels/orders' }
    bindings: { kafka: { groupId: billing } }
  onOrderShip:
    action: receive
    channel: { $ref: '#/channels/orders' }
    bindings: { kafka: { groupId: shipping } }
`;

describe('x-retry mode: topics', () => {
  it('reads delays (durations or ms), topicName, partitions, retentionMs; in-process stays the default', () => {
    const { catalog, errors } = model(ORDERS('{ mode: topics, delays: [5s, 30000, 5m], partitions: 2, retentionMs: 86400000 }'));
    expect(errors).toEqual([]);
    expect(catalog?.topics[0]?.retryTopics).toEqual({ delaysMs: [5_000, 30_000, 300_000], topicName: '{topic}.retry.{group}.{n}', partitions: 2, retentionMs: 86_400_000 });
    expect(model(ORDERS('{ maxRetries: 2 }')).catalog?.topics[0]?.retryTopics).toBeUndefined();
    expect(model(ORDERS('{ mode: in-process }')).catalog?.topics[0]?.retryTopics).toBeUndefined();
  });

  it('refuses bad values where they are written', () => {
    const { errors } = model(ORDERS('{ mode: topics, delays: [5s, soon], topicName: "x.{bogus}", partitions: 0 }'));
    expect(errors.map((e) => [e.rule, e.location?.pointer])).toEqual([
      ['extension-invalid', '/channels/orders/x-retry/delays/1'],
      ['extension-invalid', '/channels/orders/x-retry/topicName'],
      ['extension-invalid', '/channels/orders/x-retry/partitions'],
    ]);
    expect(model(ORDERS('{ mode: sometimes }')).errors.map((e) => e.location?.pointer)).toEqual(['/channels/orders/x-retry/mode']);
    expect(model(ORDERS('{ mode: topics }')).errors.map((e) => e.location?.pointer)).toEqual(['/channels/orders/x-retry/delays']);
    expect(model(ORDERS('{ delays: [5s] }')).errors.map((e) => e.message)).toEqual(['x-retry.delays applies to retry topics only: add mode: topics']);
  });

  it('warns that per-key order is not kept for retried records on a keyed topic', () => {
    const { warnings } = model(ORDERS('{ mode: topics, delays: [1s] }'));
    expect(warnings.filter((w) => w.rule === 'retry-topics-ordering').map((w) => w.location?.pointer)).toEqual(['/channels/orders/x-retry']);
    expect(model(ORDERS('{ maxRetries: 2 }')).warnings.filter((w) => w.rule === 'retry-topics-ordering')).toEqual([]);
  });

  it('each group\'s topic handler gets its own retry topics; topology provisions them per group', () => {
    const { catalog, files } = model(ORDERS('{ mode: topics, delays: [1s, 2s], topicName: "{topic}-{group}-retry-{n}" }'));
    const handler = (group: string) => files.find((f) => f.path.startsWith(`consumers/${group}/`) && f.path.endsWith('.topic-handler.ts'))?.content ?? '';
    expect(handler('billing')).toContain("retryTopics: { delaysMs: [1000, 2000], topics: ['shop.orders-billing-retry-1', 'shop.orders-billing-retry-2'] },");
    expect(handler('shipping')).toContain("topics: ['shop.orders-shipping-retry-1', 'shop.orders-shipping-retry-2']");
    const page = files.find((f) => f.path === 'docs/topics/shop-orders.md')?.content ?? '';
    expect(page).toContain('retry topics (non-blocking) after 1000 ms, 2000 ms: shop.orders-\\<group\\>-retry-{1..2} per consumer group, then the dead-letter topic');
    const specs = topicSpecs(catalog!);
    expect(specs.filter((s) => s.name.includes('-retry-'))).toEqual(
      ['billing', 'shipping'].flatMap((g) => [1, 2].map((n) => ({ name: `shop.orders-${g}-retry-${n}`, partitions: 3, replicationFactor: 1, config: { 'retention.ms': '604800000' } }))),
    );
  });
});
