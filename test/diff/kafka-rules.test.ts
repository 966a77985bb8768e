/** Topic, event and consumer-group rules: rule id, severity and both locations. */
import { describe, expect, it } from 'vitest';
import type { Change } from '../../generator/diff/index.js';
import { catalog, diffYaml, edit, lineOf } from './helpers.js';

const BASE = catalog();

const PAYMENTS_CHANNEL = `  payments:
    address: shop.payments.v1
    messages:
      paymentCaptured:
        $ref: '#/components/messages/paymentCaptured'
`;
const PAYMENT_MESSAGE = `    paymentCaptured:
      x-event-type: payment.captured
      payload:
        type: object
        properties:
          amount: { type: number }
`;
const withPayments = (text: string): string => edit(edit(text, 'operations:\n', PAYMENTS_CHANNEL + 'operations:\n'), 'components:\n  messages:\n', 'components:\n  messages:\n' + PAYMENT_MESSAGE);

function one(changes: Change[], rule: string): Change {
  const found = changes.filter((c) => c.rule === rule);
  expect(found, `${rule} in ${JSON.stringify(changes.map((c) => c.rule))}`).toHaveLength(1);
  return found[0] as Change;
}

function expectAt(c: Change, base: string, baseNeedle: string, head: string, headNeedle: string): void {
  expect(c.base?.file).toBe('base.yaml');
  expect(c.head?.file).toBe('head.yaml');
  expect(c.base?.line, 'base line').toBe(lineOf(base, baseNeedle));
  expect(c.head?.line, 'head line').toBe(lineOf(head, headNeedle));
}

describe('topic rules', () => {
  it('topic renamed (same channel): breaking, and its events are not reported as moved', () => {
    const head = edit(BASE, 'address: shop.orders.v1', 'address: shop.orders.v2');
    const changes = diffYaml(BASE, head);
    const c = one(changes, 'topic-renamed');
    expect(c.severity).toBe('breaking');
    expect(c.subject).toBe('shop.orders.v1');
    expectAt(c, BASE, '  orders:', head, '  orders:');
    expect(changes.map((x) => x.rule)).not.toContain('event-moved');
    expect(one(changes, 'dead-letter-topic-changed').message).toContain('shop.orders.v1.dlq → shop.orders.v2.dlq');
  });

  it('topic removed (with its event) and topic added', () => {
    const both = withPayments(BASE);
    const removed = diffYaml(both, BASE);
    const t = one(removed, 'topic-removed');
    expect(t.severity).toBe('breaking');
    expectAt(t, both, '  payments:', BASE, 'channels:');
    expect(one(removed, 'event-removed').severity).toBe('breaking');
    const added = diffYaml(BASE, both);
    expect(one(added, 'topic-added').severity).toBe('non-breaking');
    expectAt(one(added, 'topic-added'), BASE, 'channels:', both, '  payments:');
    expect(one(added, 'event-added').severity).toBe('non-breaking');
  });

  const partitions: Array<[string, string, string, Change['severity']]> = [
    ['partitions: 3', 'partitions-decreased', 'keyed', 'breaking'],
    ['partitions: 12', 'partitions-increased-keyed', 'keyed', 'breaking'],
  ];
  for (const [to, rule, , severity] of partitions) {
    it(`${to}: ${rule} is ${severity}`, () => {
      const head = edit(BASE, 'partitions: 6', to);
      expectAt(one(diffYaml(BASE, head), rule), BASE, 'partitions: 6', head, to);
      expect(one(diffYaml(BASE, head), rule).severity).toBe(severity);
    });
  }

  it('partitions increased on a topic without keyed events: non-breaking', () => {
    const unkeyed = BASE.replaceAll('      x-partition-key:\n        field: orderId\n', '');
    const head = edit(unkeyed, 'partitions: 6', 'partitions: 12');
    expect(one(diffYaml(unkeyed, head), 'partitions-increased').severity).toBe('non-breaking');
  });

  const config: Array<[string, string, string, Change['severity']]> = [
    ['cleanup.policy: [delete]', 'cleanup.policy: [compact]', 'cleanup-policy-changed', 'breaking'],
    ['retention.ms: 604800000', 'retention.ms: 3600000', 'retention-lowered', 'breaking'],
    ['retention.ms: 604800000', 'retention.ms: -1', 'retention-raised', 'info'],
    ['retention.ms: 604800000', 'retention.ms: 604800000\n          max.message.bytes: 2097152', 'topic-config-changed', 'info'],
    ['replicas: 3', 'replicas: 2', 'replicas-changed', 'info'],
  ];
  for (const [from, to, rule, severity] of config) {
    it(`${from} → ${to.split('\n').pop()?.trim()}: ${rule} is ${severity}`, () => {
      const head = edit(BASE, from, to);
      const c = one(diffYaml(BASE, head), rule);
      expect(c.severity).toBe(severity);
      expect(c.kind).toBe('topic');
      const needle = to.split('\n').pop()?.trim().split(':')[0] as string;
      expectAt(c, BASE, rule === 'topic-config-changed' ? 'topicConfiguration' : from.split(':')[0] as string, head, needle);
    });
  }

  const policies: Array<[string, string, Change['severity'], string]> = [
    ['    x-dead-letter:\n      enabled: false\n', 'dead-letter-disabled', 'breaking', 'enabled: false'],
    ['    x-dead-letter:\n      topic: shop.failures\n', 'dead-letter-topic-changed', 'breaking', 'topic: shop.failures'],
    ['    x-dead-letter:\n      partitions: 1\n', 'dead-letter-config-changed', 'info', 'x-dead-letter'],
    ['    x-retry:\n      maxRetries: 9\n', 'retry-policy-changed', 'info', 'x-retry'],
  ];
  for (const [channel, rule, severity, headNeedle] of policies) {
    it(`${rule} is ${severity}`, () => {
      const head = catalog({ channel });
      const c = one(diffYaml(BASE, head), rule);
      expect(c.severity).toBe(severity);
      expectAt(c, BASE, '  orders:', head, headNeedle);
    });
  }

  it('dead-letter enabled again: non-breaking', () => {
    const off = catalog({ channel: '    x-dead-letter:\n      enabled: false\n' });
    expect(one(diffYaml(off, BASE), 'dead-letter-enabled').severity).toBe('non-breaking');
  });
});

describe('event rules', () => {
  it('event renamed (same payload, new type): breaking, not removed + added', () => {
    const head = edit(BASE, 'x-event-type: order.created', 'x-event-type: order.placed');
    const changes = diffYaml(BASE, head);
    const c = one(changes, 'event-renamed');
    expect(c.severity).toBe('breaking');
    expectAt(c, BASE, 'x-event-type: order.created', head, 'x-event-type: order.placed');
    expect(changes.map((x) => x.rule)).not.toContain('event-removed');
    expect(changes.map((x) => x.rule)).not.toContain('event-added');
  });

  it('event removed: breaking, located at the head topic', () => {
    const head = edit(BASE, "      orderCancelled:\n        $ref: '#/components/messages/orderCancelled'\n", '');
    const c = one(diffYaml(BASE, head), 'event-removed');
    expect(c.severity).toBe('breaking');
    expectAt(c, BASE, '    orderCancelled:\n      x-event-type', head, '    messages:');
  });

  it('event moved to another topic: breaking', () => {
    const both = withPayments(BASE);
    const head = edit(
      edit(both, "      orderCancelled:\n        $ref: '#/components/messages/orderCancelled'\n", ''),
      "      paymentCaptured:\n        $ref: '#/components/messages/paymentCaptured'\n",
      "      paymentCaptured:\n        $ref: '#/components/messages/paymentCaptured'\n      orderCancelled:\n        $ref: '#/components/messages/orderCancelled'\n",
    );
    const c = one(diffYaml(both, head), 'event-moved');
    expect(c.severity).toBe('breaking');
    expect(c.message).toContain('from shop.orders.v1 to shop.payments.v1');
    expectAt(c, both, '    orderCancelled:\n      x-event-type', head, '    orderCancelled:\n      x-event-type');
  });

  it('partition key changed, removed, added', () => {
    const KEY = 'x-event-version: 1.0.0\n      x-partition-key:\n        field: orderId\n';
    const changed = edit(BASE, KEY, 'x-event-version: 1.0.0\n      x-partition-key:\n        constant: orders\n');
    const c = one(diffYaml(BASE, changed), 'partition-key-changed');
    expect(c.severity).toBe('breaking');
    expectAt(c, BASE, 'field: orderId', changed, 'constant: orders');
    const none = edit(BASE, KEY, 'x-event-version: 1.0.0\n');
    const r = one(diffYaml(BASE, none), 'partition-key-removed');
    expect(r.severity).toBe('breaking');
    expectAt(r, BASE, 'field: orderId', none, '    orderCreated:\n      x-event-type');
    expect(one(diffYaml(none, BASE), 'partition-key-added').severity).toBe('non-breaking');
  });

  it('classification lowered is breaking, raised non-breaking', () => {
    const confidential = catalog({ message: '      x-data-classification: confidential\n' });
    const c = one(diffYaml(confidential, BASE), 'classification-lowered');
    expect(c.severity).toBe('breaking');
    expectAt(c, confidential, 'x-data-classification', BASE, '    orderCreated:\n      x-event-type');
    expect(one(diffYaml(BASE, confidential), 'classification-raised').severity).toBe('non-breaking');
  });

  it('field classification lowered is breaking, raised non-breaking; nothing when the event is confidential as a whole', () => {
    const marked = edit(BASE, '          note:\n            type: string', '          note:\n            type: string\n            x-data-classification: confidential');
    const c = one(diffYaml(marked, BASE), 'field-classification-lowered');
    expect(c.severity).toBe('breaking');
    expect(c.message).toContain('/note');
    expect(one(diffYaml(BASE, marked), 'field-classification-raised').severity).toBe('non-breaking');
    const wholeBase = edit(marked, '      x-event-type: order.created\n', '      x-event-type: order.created\n      x-data-classification: confidential\n');
    const wholeHead = edit(BASE, '      x-event-type: order.created\n', '      x-event-type: order.created\n      x-data-classification: confidential\n');
    expect(diffYaml(wholeBase, wholeHead).filter((x) => x.rule.startsWith('field-classification'))).toEqual([]);
  });

  it('event deprecated: info', () => {
    const head = catalog({ message: '      deprecated: true\n' });
    expect(one(diffYaml(BASE, head), 'event-deprecated').severity).toBe('info');
  });
});

describe('consumer group rules', () => {
  it('group renamed (same subscriptions): breaking, offsets start over', () => {
    const head = edit(BASE, 'const: billing-service', 'const: billing-v2');
    const c = one(diffYaml(BASE, head), 'group-renamed');
    expect(c.severity).toBe('breaking');
    expect(c.kind).toBe('group');
    expectAt(c, BASE, '  billing:', head, '  billing:');
  });

  it('group removed: breaking; group added: info', () => {
    const OP = "  billing:\n    action: receive\n    channel:\n      $ref: '#/channels/orders'\n    bindings:\n      kafka:\n        groupId:\n          type: string\n          const: billing-service\n";
    const head = edit(BASE, OP, '');
    const c = one(diffYaml(BASE, head), 'group-removed');
    expect(c.severity).toBe('breaking');
    expectAt(c, BASE, '  billing:', head, 'operations:');
    expect(one(diffYaml(head, BASE), 'group-added').severity).toBe('info');
  });

  it('group stops handling an event: info', () => {
    const head = edit(BASE, "      $ref: '#/channels/orders'\n    bindings:", "      $ref: '#/channels/orders'\n    messages:\n      - $ref: '#/channels/orders/messages/orderCreated'\n    bindings:");
    const c = one(diffYaml(BASE, head), 'group-events-changed');
    expect(c.severity).toBe('info');
    expect(c.message).toContain('stops handling order.cancelled');
  });
});
