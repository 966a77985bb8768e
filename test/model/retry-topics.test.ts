/**
 * `x-retry: { mode: topics }` (issue #16 part 1): validation, generated delegators, provisioned retry topics, ordering
 * warning; declared per channel, as the catalog-wide default (`x-eventgen.retry`) or per consumer group (a receive
 * operation's `x-retry`).
 */
import { describe, expect, it } from 'vitest';
import { generateFromString } from '../../generator/index.js';
import { topicSpecs } from '../../generator/topics/topology.js';

function model(body: string) {
  const result = generateFromString(`asyncapi: 3.0.0\ninfo: { title: Test Shop, version: 1.0.0 }\n${body}`);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  const warnings = result.diagnostics.filter((d) => d.severity === 'warning');
  return { catalog: result.catalog, errors, warnings, files: result.files };
}

const ORDERS = (retry: string, ops: { billing?: string; shipping?: string } = {}, root = '') => `${root}
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
    bindings: { kafka: { groupId: billing } }${ops.billing ? `\n    x-retry: ${ops.billing}` : ''}
  onOrderShip:
    action: receive
    channel: { $ref: '#/channels/orders' }
    bindings: { kafka: { groupId: shipping } }${ops.shipping ? `\n    x-retry: ${ops.shipping}` : ''}
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

  it('x-eventgen.retry with mode: topics is the default of every channel that sets no mode of its own', () => {
    const root = 'x-eventgen: { retry: { maxRetries: 2, mode: topics, delays: [10s] } }';
    const inherited = model(ORDERS('{ multiplier: 3 }', {}, root));
    expect(inherited.errors).toEqual([]);
    expect(inherited.catalog?.topics[0]?.retryTopics).toEqual({ delaysMs: [10_000], topicName: '{topic}.retry.{group}.{n}' });
    expect(inherited.catalog?.topics[0]?.retry.maxRetries).toBe(2);
    expect(model(ORDERS('{ mode: in-process }', {}, root)).catalog?.topics[0]?.retryTopics).toBeUndefined();
    expect(model(ORDERS('{ mode: topics, delays: [1s, 2s] }', {}, root)).catalog?.topics[0]?.retryTopics?.delaysMs).toEqual([1_000, 2_000]);
    expect(model(ORDERS('{ maxRetries: 1 }', {}, 'x-eventgen: { retry: { mode: topics } }')).errors.map((e) => e.location?.pointer)).toEqual(['/x-eventgen/retry/delays']);
  });

  it('a receive operation\'s x-retry chooses its group\'s retry topics (or opts it out); handlers, topology, docs and warnings follow', () => {
    const { catalog, files, errors, warnings } = model(ORDERS('{ maxRetries: 2 }', { billing: '{ mode: topics, delays: [1s, 5s] }' }));
    expect(errors).toEqual([]);
    expect(catalog?.topics[0]?.retryTopics).toBeUndefined();
    const handler = (group: string) => files.find((f) => f.path.startsWith(`consumers/${group}/`) && f.path.endsWith('.topic-handler.ts'))?.content ?? '';
    expect(handler('billing')).toContain("retryTopics: { delaysMs: [1000, 5000], topics: ['shop.orders.retry.billing.1', 'shop.orders.retry.billing.2'] },");
    expect(handler('shipping')).not.toContain('retryTopics');
    expect(topicSpecs(catalog!).map((t) => t.name).filter((n) => n.includes('.retry.'))).toEqual(['shop.orders.retry.billing.1', 'shop.orders.retry.billing.2']);
    expect(files.find((f) => f.path === 'docs/topics/shop-orders.md')?.content).toContain('group billing: retry topics (non-blocking) after 1000 ms, 5000 ms');
    expect(warnings.filter((w) => w.rule === 'retry-topics-ordering').map((w) => w.location?.pointer)).toEqual(['/operations/onOrder/x-retry']);
    // The channel's retry topics, with one group opting out.
    const out = model(ORDERS('{ mode: topics, delays: [1s] }', { shipping: '{ mode: in-process }' }));
    expect(topicSpecs(out.catalog!).map((t) => t.name).filter((n) => n.includes('.retry.'))).toEqual(['shop.orders.retry.billing.1']);
    expect(out.files.find((f) => f.path.startsWith('consumers/shipping/') && f.path.endsWith('.topic-handler.ts'))?.content).not.toContain('retryTopics');
  });

  it('refuses an operation x-retry without a mode, with in-process policy keys, or on a send operation', () => {
    expect(model(ORDERS('{ maxRetries: 2 }', { billing: '{ delays: [1s] }' })).errors.map((e) => [e.location?.pointer, e.message])).toEqual([
      ['/operations/onOrder/x-retry', 'x-retry on an operation needs mode: topics (with delays) or mode: in-process'],
    ]);
    expect(model(ORDERS('{ maxRetries: 2 }', { billing: '{ mode: topics, delays: [1s], maxRetries: 3 }' })).errors.map((e) => e.location?.pointer)).toEqual(['/operations/onOrder/x-retry/maxRetries']);
    const send = model(ORDERS('{ maxRetries: 2 }').replace('action: receive', 'action: send\n    x-retry: { mode: topics, delays: [1s] }'));
    expect(send.errors.map((e) => e.location?.pointer)).toEqual(['/operations/onOrder/x-retry']);
  });
});
