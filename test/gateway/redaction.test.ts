/** The gateway does not echo classified values in its validation problems (a rule's message may quote the input). */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod/v4';
import { createGateway, type EventGateway, type GatewayRoute } from '../../templates/gateway/gateway.js';
import { EventProducer, InMemoryStatusStore, InMemoryTransport, Metrics, defineEvent, silentLogger } from '../../templates/runtime/index.js';

const quoting = z.string().refine((v) => !v.endsWith('@example.com'), { error: (issue) => `${String(issue.input)} is a test address` });
const Signup = defineEvent({
  eventType: 'customer.signed-up',
  version: '1.0.0',
  topics: ['customers'],
  schema: z.object({ id: z.string(), email: quoting, note: quoting }),
  classification: 'internal',
  sensitiveFields: ['/email'],
  partitionKey: (d) => d.id,
});
const ROUTES: GatewayRoute[] = [{ eventType: 'customer.signed-up', topic: 'customers', definition: Signup, groups: [], keyOverride: false, priority: 'normal' }];

const open: EventGateway[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((g) => g.close()));
});

describe('gateway: classified values in validation problems', () => {
  it('a sensitive field is not echoed in the 422 problem; a non-sensitive one still is; nothing is published', async () => {
    const transport = new InMemoryTransport();
    const metrics = new Metrics();
    const producer = new EventProducer({ transport, source: 'gw', logger: silentLogger, metrics });
    const gateway = createGateway({ producer, routes: ROUTES, statusStore: new InMemoryStatusStore(), logger: silentLogger, metrics });
    open.push(gateway);
    const { port } = (await gateway.listen(0)) as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/events/customer.signed-up`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'c-1', email: 'jane.doe@example.com', note: 'note@example.com' }),
    });
    expect(res.status).toBe(422);
    const body = await res.text();
    expect(body).not.toContain('jane.doe@example.com');
    expect(body).toContain('/email');
    expect(body).toContain('is a test address');
    expect(body).toContain('note@example.com'); // internal field: the rule's own wording is kept
    expect(transport.records('customers')).toHaveLength(0);
  });
});
