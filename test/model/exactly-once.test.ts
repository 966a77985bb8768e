/**
 * `x-exactly-once` on a receive operation (issue #15 part 2): the group becomes exactly-once, the generated group
 * consumer passes `exactlyOnce: true`; contradictions and retry topics are refused where they are written.
 */
import { describe, expect, it } from 'vitest';
import { generateFromString } from '../../generator/index.js';

function model(body: string) {
  const result = generateFromString(`asyncapi: 3.0.0\ninfo: { title: Test Shop, version: 1.0.0 }\n${body}`);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  return { catalog: result.catalog, errors, files: result.files };
}

const CATALOG = (ops: { billing?: string; billing2?: string; shipping?: string; send?: string } = {}, channel = '') => `
channels:
  orders:
    address: shop.orders
    bindings: { kafka: { partitions: 3, replicas: 1, bindingVersion: 0.5.0 } }${channel}
    messages:
      created:
        name: order.created
        payload: { type: object, required: [orderId], properties: { orderId: { type: string } } }
operations:
  onOrder:
    action: receive
    channel: { $ref: '#/channels/orders' }
    bindings: { kafka: { groupId: billing } }${ops.billing ? `\n    ${ops.billing}` : ''}
  onOrderAgain:
    action: receive
    channel: { $ref: '#/channels/orders' }
    bindings: { kafka: { groupId: billing } }${ops.billing2 ? `\n    ${ops.billing2}` : ''}
  onOrderShip:
    action: receive
    channel: { $ref: '#/channels/orders' }
    bindings: { kafka: { groupId: shipping } }${ops.shipping ? `\n    ${ops.shipping}` : ''}
  sendOrder:
    action: send
    channel: { $ref: '#/channels/orders' }${ops.send ? `\n    ${ops.send}` : ''}
`;

const index = (files: Array<{ path: string; content: string }>, group: string): string => files.find((f) => f.path === `consumers/${group}/index.ts`)?.content ?? '';

describe('x-exactly-once', () => {
  it('makes the group exactly-once and the generated consumer pass exactlyOnce: true (other groups unchanged)', () => {
    const { catalog, errors, files } = model(CATALOG({ billing: 'x-exactly-once: true' }));
    expect(errors).toEqual([]);
    expect(catalog?.groups.find((g) => g.groupId === 'billing')?.exactlyOnce).toBe(true);
    expect(catalog?.groups.find((g) => g.groupId === 'shipping')?.exactlyOnce).toBeUndefined();
    expect(index(files, 'billing')).toContain('    exactlyOnce: true,\n    ...rest,');
    expect(index(files, 'shipping')).not.toContain('exactlyOnce');
  });

  it('refuses non-booleans, contradictions within a group, the key on a send operation, and retry topics', () => {
    const at = (body: string) => model(body).errors.map((e) => [e.rule, e.location?.pointer]);
    expect(at(CATALOG({ billing: 'x-exactly-once: yes please' }))).toEqual([['extension-invalid', '/operations/onOrder/x-exactly-once']]);
    expect(at(CATALOG({ billing: 'x-exactly-once: true', billing2: 'x-exactly-once: false' }))).toEqual([['extension-invalid', '/operations/onOrderAgain/x-exactly-once']]);
    expect(at(CATALOG({ send: 'x-exactly-once: true' }))).toEqual([['extension-invalid', '/operations/sendOrder/x-exactly-once']]);
    expect(at(CATALOG({ billing: 'x-exactly-once: true' }, '\n    x-retry: { mode: topics, delays: [1s] }'))).toEqual([['extension-invalid', '/operations/onOrder/x-exactly-once']]);
    // The group opts out of the channel's retry topics: fine.
    expect(at(CATALOG({ billing: 'x-exactly-once: true\n    x-retry: { mode: in-process }' }, '\n    x-retry: { mode: topics, delays: [1s] }'))).toEqual([]);
  });
});
