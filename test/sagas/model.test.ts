/**
 * Root `x-sagas` in the model: what is read (steps, compensations, names) and every refusal, located at the
 * offending key, in our words: shape errors, unknown events (with a hint), events no producer sends, loops, duplicate
 * and colliding names, consumer groups shared with the catalog or another saga, compensations of nothing.
 */
import { describe, expect, it } from 'vitest';
import { generateFromString } from '../../generator/index.js';
import type { Diagnostic } from '../../generator/model/types.js';
import { fixtureText } from './support.js';

/** The fixture with its `x-sagas` block replaced by `block` (YAML at the root, or '' for none). */
function withSagas(block: string): string {
  const text = fixtureText();
  const start = text.indexOf('x-sagas:');
  const end = text.indexOf('channels:');
  return text.slice(0, start) + block + text.slice(end);
}

function run(text: string): { errors: Diagnostic[]; warnings: Diagnostic[]; sagas: NonNullable<ReturnType<typeof generateFromString>['catalog']>['sagas'] } {
  const r = generateFromString(text, { services: ['sagas'] });
  return { errors: r.diagnostics.filter((d) => d.severity === 'error'), warnings: r.diagnostics.filter((d) => d.severity === 'warning'), sagas: r.catalog?.sagas };
}

const line = (text: string, needle: string, nth = 0): number => {
  const lines = text.split('\n');
  let seen = 0;
  for (let i = 0; i < lines.length; i++) if (lines[i]?.includes(needle) && seen++ === nth) return i + 1;
  throw new Error(`no line with ${needle}`);
};

const ONE = (step: string): string => `x-sagas:\n  flow:\n    steps:\n${step}`;

describe('x-sagas: reading', () => {
  it('reads steps then compensations, with names for files, types and members', () => {
    const { errors, sagas } = run(fixtureText());
    expect(errors).toEqual([]);
    expect(sagas?.map((s) => [s.name, s.names])).toEqual([['order-fulfillment', { typeName: 'OrderFulfillment', fileName: 'order-fulfillment', memberName: 'orderFulfillment' }]]);
    const steps = sagas?.[0]?.steps ?? [];
    expect(steps.map((s) => `${s.kind}:${s.name}:${s.on}->${s.emits.join('|')}${s.failure ? `!${s.failure}` : ''}@${s.group}`)).toEqual([
      'step:charge-payment:order.created->payment.captured!payment.failed@saga-shop.payment',
      'step:reserve-stock:payment.captured->stock.reserved!stock.reservation-failed@saga-shop.inventory',
      'step:ship-order:stock.reserved->order.shipped@saga-shop.shipping',
      'compensation:cancel-order:payment.failed->order.cancelled@saga-shop.orders',
      'compensation:refund-payment:stock.reservation-failed->payment.refunded@saga-shop.payment',
    ]);
    expect(steps[0]?.names).toEqual({ typeName: 'ChargePayment', fileName: 'charge-payment', memberName: 'chargePayment' });
    expect(steps[0]?.loc?.line).toBe(line(fixtureText(), '- name: charge-payment'));
  });

  it('a catalog without x-sagas has none (and --with sagas emits nothing)', () => {
    const r = generateFromString(withSagas(''), { services: ['sagas'] });
    expect(r.catalog?.sagas).toBeUndefined();
    expect(r.files.some((f) => f.path.startsWith('sagas/'))).toBe(false);
  });
});

describe('x-sagas: refusals (located, nothing generated)', () => {
  const cases: Array<[string, string, string, RegExp, string]> = [
    ['not an object', 'x-sagas: [a]\n', 'extension-invalid', /x-sagas must map saga names/, 'x-sagas:'],
    ['bad saga name', 'x-sagas:\n  "9 lives":\n    steps: []\n', 'extension-invalid', /"9 lives" is not a valid saga name/, '9 lives'],
    ['no steps', 'x-sagas:\n  flow:\n    steps: []\n', 'extension-invalid', /x-sagas\.flow\.steps must be a non-empty list/, 'steps: []'],
    ['unknown saga key', 'x-sagas:\n  flow:\n    stepz: []\n    steps:\n      - { name: a, on: order.created, group: g1, emits: [payment.captured] }\n', 'extension-invalid', /x-sagas\.flow: unknown property "stepz" \(allowed: description, steps, compensations\)/, 'stepz'],
    ['unknown step key', ONE('      - { name: a, on: order.created, group: g1, emits: [payment.captured], fail: payment.failed }\n'), 'extension-invalid', /unknown property "fail"/, 'fail:'],
    ['failure on a compensation', ONE('      - { name: a, on: order.created, group: g1, emits: [payment.captured], failure: payment.failed }\n    compensations:\n      - { name: b, on: payment.failed, group: g2, emits: [order.cancelled], failure: order.shipped }\n'), 'extension-invalid', /compensations\[0\]: unknown property "failure"/, 'name: b'],
    ['unknown trigger event, with a hint', ONE('      - { name: a, on: order.creatd, group: g1, emits: [payment.captured] }\n'), 'saga-unknown-event', /saga "flow", step "a": on "order\.creatd" is not an event of the catalog \(did you mean "order\.created"\?\)/, 'order.creatd'],
    ['unknown emitted event', ONE('      - { name: a, on: order.created, group: g1, emits: [payment.done] }\n'), 'saga-unknown-event', /emits\[0\] "payment\.done" is not an event of the catalog/, 'payment.done'],
    ['unknown failure event', ONE('      - { name: a, on: order.created, group: g1, emits: [payment.captured], failure: nope }\n'), 'saga-unknown-event', /failure "nope" is not an event of the catalog/, 'nope'],
    ['emits is empty', ONE('      - { name: a, on: order.created, group: g1, emits: [] }\n'), 'extension-invalid', /emits must be a non-empty list of event types/, 'emits: []'],
    ['failure also a success', ONE('      - { name: a, on: order.created, group: g1, emits: [payment.captured], failure: payment.captured }\n'), 'saga-invalid', /is both a success event \(emits\) and the failure event/, 'name: a'],
    ['bad group', ONE('      - { name: a, on: order.created, group: "a b", emits: [payment.captured] }\n'), 'extension-invalid', /group must be a Kafka consumer group id/, 'name: a'],
    [
      'duplicate step names',
      ONE('      - { name: a, on: order.created, group: g1, emits: [payment.captured] }\n      - { name: a, on: payment.captured, group: g2, emits: [stock.reserved] }\n'),
      'saga-invalid',
      /step "a" has the same name as step "a"/,
      'on: payment.captured',
    ],
    [
      'step names colliding once cased',
      ONE('      - { name: ship-it, on: order.created, group: g1, emits: [payment.captured] }\n      - { name: shipIt, on: payment.captured, group: g2, emits: [stock.reserved] }\n'),
      'saga-invalid',
      /step "shipIt" has the same name as step "ship-it" once cased/,
      'name: shipIt',
    ],
    [
      'a loop',
      ONE('      - { name: a, on: order.created, group: g1, emits: [payment.captured] }\n      - { name: b, on: payment.captured, group: g2, emits: [order.created] }\n'),
      'saga-cycle',
      /saga "flow" loops: order\.created → \[a\] → payment\.captured → \[b\] → order\.created/,
      'name: a',
    ],
    [
      'compensation of an event no step emits',
      ONE('      - { name: a, on: order.created, group: g1, emits: [payment.captured] }\n    compensations:\n      - { name: undo, on: payment.failed, group: g2, emits: [order.cancelled] }\n'),
      'saga-invalid',
      /compensation "undo" is triggered by "payment\.failed", which no step of the saga emits/,
      'name: undo',
    ],
    [
      'two steps of one group on one event',
      ONE('      - { name: a, on: order.created, group: g1, emits: [payment.captured] }\n      - { name: b, on: order.created, group: g1, emits: [stock.reserved] }\n'),
      'saga-invalid',
      /steps "a" and "b" both handle "order\.created" in group "g1"/,
      'name: b',
    ],
    [
      'a group shared by two sagas',
      'x-sagas:\n  one:\n    steps:\n      - { name: a, on: order.created, group: g1, emits: [payment.captured] }\n  two:\n    steps:\n      - { name: a, on: payment.captured, group: g1, emits: [stock.reserved] }\n',
      'saga-invalid',
      /saga "two": group "g1" is also used by saga "one"/,
      'on: payment.captured',
    ],
    [
      'sagas colliding once cased',
      'x-sagas:\n  my-flow:\n    steps:\n      - { name: a, on: order.created, group: g1, emits: [payment.captured] }\n  myFlow:\n    steps:\n      - { name: a, on: payment.captured, group: g2, emits: [stock.reserved] }\n',
      'saga-invalid',
      /saga "myFlow" and saga "my-flow" have the same file and type names/,
      'myFlow:',
    ],
  ];
  for (const [title, block, rule, message, at] of cases) {
    it(title, () => {
      const text = withSagas(block);
      const r = generateFromString(text, { services: ['sagas'] });
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      const hit = errors.find((d) => d.rule === rule && message.test(d.message));
      expect(hit, JSON.stringify(errors, null, 1)).toBeDefined();
      expect(hit?.location?.line, JSON.stringify(hit)).toBe(line(text, at));
      expect(r.files).toEqual([]);
    });
  }

  it('an emitted event that no send operation publishes (no producer method)', () => {
    // Operations: only order events are sent, so payment.captured has no producer method.
    const text = withSagas(ONE('      - { name: a, on: order.created, group: g1, emits: [payment.captured] }\n')).replace(
      'components:\n',
      "operations:\n  sendOrders:\n    action: send\n    channel: { $ref: '#/channels/orders' }\n  receivePayments:\n    action: receive\n    channel: { $ref: '#/channels/payments' }\n    bindings: { kafka: { groupId: billing } }\ncomponents:\n",
    );
    const { errors } = run(text);
    expect(errors.map((d) => [d.rule, d.message])).toEqual([
      ['saga-event-not-produced', 'saga "flow", step "a" emits "payment.captured", but no send operation of the catalog publishes it on a topic without channel parameters (carried by saga.payments): there is no producer method for it; add it to a send operation'],
    ]);
    expect(errors[0]?.location?.line).toBe(line(text, 'name: a'));
  });

  it('a step group that is also a consumer group of the catalog', () => {
    const text = withSagas(ONE('      - { name: a, on: order.created, group: billing, emits: [payment.captured] }\n')).replace(
      'components:\n',
      "operations:\n  sendAll:\n    action: send\n    channel: { $ref: '#/channels/payments' }\n  sendOrders:\n    action: send\n    channel: { $ref: '#/channels/orders' }\n  receivePayments:\n    action: receive\n    channel: { $ref: '#/channels/payments' }\n    bindings: { kafka: { groupId: billing } }\ncomponents:\n",
    );
    const { errors } = run(text);
    expect(errors.map((d) => d.rule)).toEqual(['saga-invalid']);
    expect(errors[0]?.message).toContain('uses group "billing", a consumer group of the catalog\'s operations; give saga steps groups of their own (e.g. "billing.flow")');
  });

  it('warns about a later step that no step of the saga triggers', () => {
    const { errors, warnings } = run(withSagas(ONE('      - { name: a, on: order.created, group: g1, emits: [payment.captured] }\n      - { name: b, on: stock.reserved, group: g2, emits: [order.shipped] }\n')));
    expect(errors).toEqual([]);
    expect(warnings.map((w) => [w.rule, w.message])).toEqual([['saga-disconnected', 'saga "flow": step "b" is triggered by "stock.reserved", which no step of the saga emits: it starts a flow of its own']]);
  });
});
