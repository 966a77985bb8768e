/**
 * Redaction on a real broker: a confidential event failing validation and an event whose handler throws an error
 * embedding its sensitive fields are dead-lettered on Kafka with dlq-error-* headers free of the values, while the
 * dead-letter records keep the original value bytes; the consumer's log lines are free of them too.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GroupConsumer, NonRetriableError, TopicDelegator, createLogger, defineEvent, encodeEnvelope, envelopeHeaders, route, type EnvelopeMetadata } from '../../templates/runtime/index.js';
import { kafkaBrokers, uniqueName } from '../support/kafka.js';
import { admin, committed, createTopics, readAll, transport, waitFor } from './helpers.js';

const brokers = await kafkaBrokers();
const EMAIL = 'camille.martin@example.com';
const LAST4 = '4242';

const Registered = defineEvent({
  eventType: 'customer.registered',
  version: '1.0.0',
  topics: [],
  schema: z.object({ id: z.string(), email: z.string().refine((v) => !v.endsWith('@example.com'), { error: (i) => `${String(i.input)} is a test address` }) }),
  classification: 'confidential',
  partitionKey: (d) => d.id,
});
const Paid = defineEvent({
  eventType: 'order.paid',
  version: '1.0.0',
  topics: [],
  schema: z.object({ orderId: z.string(), email: z.string(), last4: z.string() }),
  classification: 'internal',
  sensitiveFields: ['/email', '/last4'],
  partitionKey: (d) => d.orderId,
});

function metadata(eventType: string): EnvelopeMetadata {
  return { eventId: randomUUID(), eventType, eventVersion: '1.0.0', correlationId: randomUUID(), timestamp: new Date().toISOString(), source: 'it', dataClassification: 'confidential', partitionKey: 'k' };
}

describe.skipIf(!brokers)('kafka: redaction of classified data in dead-letter headers', () => {
  let a: Admin;
  let raw: ReturnType<Kafka['producer']>;
  beforeAll(async () => {
    a = await admin(brokers!);
    raw = new Kafka({ clientId: 'it-redact', brokers: brokers!.split(','), logLevel: logLevel.NOTHING }).producer();
    await raw.connect();
  });
  afterAll(async () => {
    await raw?.disconnect();
    await a?.disconnect();
  });

  it('dlq-error-message/stack carry no e-mail or card digits; the DLQ values are the original bytes', async () => {
    const topic = uniqueName('it-redact');
    const dlq = `${topic}.dlq`;
    const groupId = uniqueName('g-redact');
    await createTopics(a, [{ topic, partitions: 1 }, { topic: dlq, partitions: 1 }]);
    const records = [
      { metadata: metadata(Registered.eventType), data: { id: 'c-1', email: EMAIL } },
      { metadata: metadata(Paid.eventType), data: { orderId: 'o-1', email: EMAIL, last4: LAST4 } },
    ].map((e) => ({ key: 'k', value: encodeEnvelope(e), headers: envelopeHeaders(e.metadata) }));
    await raw.send({ topic, acks: -1, messages: records });
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (line) => void lines.push(line) });
    const delegator = new TopicDelegator({
      topic,
      deadLetter: { enabled: true, topic: dlq },
      routes: [
        route(Registered, { handle: async () => {} }),
        route(Paid, {
          handle: async (d) => {
            throw new NonRetriableError(`card ${d.last4} of ${d.email} was declined`);
          },
        }),
      ],
    });
    const consumer = new GroupConsumer({ groupId, transport: transport(brokers!, { logger }), topics: [delegator], logger, fromBeginning: true });
    await consumer.start();
    try {
      await waitFor(async () => (await committed(a, groupId, topic)).get(0) === '2', 30_000, () => 'both records committed');
    } finally {
      await consumer.stop();
    }
    const dead = (await readAll(brokers!, dlq, 2)).sort((x, y) => Number(x.offset) - Number(y.offset));
    expect(dead.map((d) => d.value?.toString('utf8'))).toEqual(records.map((r) => r.value.toString('utf8')));
    expect(dead.map((d) => d.headers['dlq-reason'])).toEqual(['validation', 'handler-non-retriable']);
    expect(dead[0]?.headers['dlq-error-message']).toContain('email:');
    expect(dead[1]?.headers['dlq-error-message']).toMatch(/^card \*\*\*\* of \[REDACTED\] was declined$/);
    for (const d of dead) {
      const text = JSON.stringify(Object.fromEntries(Object.entries(d.headers).filter(([k]) => k.startsWith('dlq-'))));
      expect(text).not.toContain(EMAIL);
      expect(text).not.toContain(LAST4);
    }
    const log = lines.join('\n');
    expect(log).toContain('Record dead-lettered');
    expect(log).not.toContain(EMAIL);
    expect(log).not.toContain(LAST4);
  }, 60_000);
});
