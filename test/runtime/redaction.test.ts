/**
 * End to end on the in-memory transport: classified data (a confidential event, sensitive fields of an internal
 * event) never appears in the runtime's log lines (handlers' context.logger lines included), dead-letter headers,
 * health or statuses, while the dead-letter record keeps the original value bytes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  GroupConsumer,
  InMemoryStatusStore,
  InMemoryTransport,
  NonRetriableError,
  RetriableError,
  TopicDelegator,
  createLogger,
  decodeHeaders,
  defineEvent,
  route,
  type EventContext,
} from '../../templates/runtime/index.js';

const EMAIL = 'jane.doe@example.com';
const LAST4 = '4242';
const SECRETS = [EMAIL, LAST4, 'jane.doe'];

const CustomerRegistered = defineEvent({
  eventType: 'customer.registered',
  version: '1.0.0',
  topics: ['shop.customers'],
  // A rule whose message quotes the rejected value (what a hand-written refinement often does).
  schema: z.object({ id: z.string(), email: z.string().refine((v) => !v.endsWith('@example.com'), { error: (issue) => `${String(issue.input)} is a test address` }) }),
  classification: 'confidential',
  partitionKey: (d) => d.id,
});

const OrderPaid = defineEvent({
  eventType: 'order.paid',
  version: '1.0.0',
  topics: ['shop.customers'],
  schema: z.object({ orderId: z.string(), customer: z.object({ email: z.string() }), card: z.object({ last4: z.string() }) }),
  classification: 'internal',
  sensitiveFields: ['/card/last4', '/customer/email'],
  partitionKey: (d) => d.orderId,
});

const running: GroupConsumer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

function envelope(eventType: string, data: unknown, eventId: string): string {
  return JSON.stringify({ metadata: { eventId, eventType, eventVersion: '1.0.0', correlationId: `corr-${eventId}`, timestamp: new Date().toISOString(), source: 'raw', dataClassification: 'confidential', partitionKey: 'k' }, data });
}

async function setup(paid: (data: z.output<typeof OrderPaid.schema>, ctx: EventContext) => Promise<void>) {
  const transport = new InMemoryTransport({ defaultPartitions: 1, redeliveryDelayMs: 5 });
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => void lines.push(line) });
  const statusStore = new InMemoryStatusStore();
  const delegator = new TopicDelegator({
    topic: 'shop.customers',
    retry: { maxRetries: 1, initialDelayMs: 1, maxDelayMs: 1, multiplier: 1, jitter: 0 },
    deadLetter: { enabled: true, topic: 'shop.customers.dlq' },
    routes: [route(CustomerRegistered, { handle: async () => {} }), route(OrderPaid, { handle: paid })],
  });
  const consumer = new GroupConsumer({ groupId: 'crm', transport, topics: [delegator], logger, fromBeginning: true, statusStore, statusReporting: { flushIntervalMs: 1 }, sleep: async () => {} });
  running.push(consumer);
  await consumer.start();
  const send = async (value: string): Promise<void> => {
    const p = transport.producer();
    await p.connect();
    await p.send([{ topic: 'shop.customers', messages: [{ key: 'k', value, headers: {} }] }]);
  };
  return { transport, lines, statusStore, consumer, send };
}

function expectClean(text: string): void {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

describe('redaction of classified data', () => {
  it('a confidential event failing validation, a handler error embedding the e-mail and card digits, an undecodable record: nothing leaks, the DLQ value is unchanged', async () => {
    let calls = 0;
    const s = await setup(async (data, ctx) => {
      calls += 1;
      ctx.logger.warn(`charging ${data.customer.email}`, { card: data.card, orderId: data.orderId }); // a handler's own line
      if (calls === 1) throw new RetriableError(`payment service rejected card ${data.card.last4} of ${data.customer.email}`);
      throw new NonRetriableError(`customer ${data.customer.email} is blocked`);
    });
    const values = [
      envelope('customer.registered', { id: 'c-1', email: EMAIL }, 'e-1'),
      envelope('order.paid', { orderId: 'o-1', customer: { email: EMAIL }, card: { last4: LAST4 } }, 'e-2'),
      `{"email":"${EMAIL}"`, // not JSON: JSON.parse quotes the input in its message
    ];
    for (const v of values) await s.send(v);
    await s.transport.drain();
    await new Promise((resolve) => setTimeout(resolve, 20)); // status flush
    const dead = s.transport.records('shop.customers.dlq');
    expect(dead.map((r) => r.value?.toString())).toEqual(values); // the stored records keep their bytes
    const headers = dead.map((r) => decodeHeaders(r.headers));
    expect(headers.map((h) => h['dlq-reason'])).toEqual(['validation', 'handler-non-retriable', 'decode']);
    expect(headers[0]?.['dlq-error-message']).toContain('email:'); // the path and rule are still there
    expect(headers[1]?.['dlq-error-class']).toBe('NonRetriableError');
    expect(headers[2]?.['dlq-error-message']).toContain('Record value is not JSON');
    for (const h of headers) expectClean(JSON.stringify(h));
    expect(s.lines.some((l) => l.includes('Handler failed; retrying'))).toBe(true);
    expect(s.lines.filter((l) => l.includes('Record dead-lettered'))).toHaveLength(3);
    const own = s.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => String(l['msg']).startsWith('charging'));
    expect(own).toMatchObject({ msg: 'charging [REDACTED]', card: { last4: '****' }, orderId: 'o-1', eventType: 'order.paid' });
    expectClean(s.lines.join('\n'));
    expectClean(JSON.stringify(s.consumer.health()));
    const statuses = await Promise.all(['e-1', 'e-2'].map((id) => s.statusStore.get(id)));
    expect(statuses.every((st) => st !== undefined)).toBe(true);
    expectClean(JSON.stringify(statuses));
  });
});
