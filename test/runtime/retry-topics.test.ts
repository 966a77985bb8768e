/**
 * Non-blocking retries through retry topics (issue #16 part 1), decided by the delivery engine against the scripted
 * fake kafkajs client: a failure moves the record to the next retry topic (written before the original is committed),
 * a retry record not yet due pauses only its partition, exhaustion and non-retriable errors dead-letter with the
 * attempt history. The real-broker guarantees are in test/integration/retry-topics.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  DLQ_HEADERS,
  EventProducer,
  GroupConsumer,
  InMemoryTransport,
  KafkaTransport,
  NonRetriableError,
  RETRY_HEADERS,
  TopicDelegator,
  createLogger,
  decodeHeaders,
  defineEvent,
  encodeEnvelope,
  envelopeHeaders,
  kafkaConfig,
  retryHistory,
  retryTopicName,
  retryTopicsPolicy,
  route,
  type EnvelopeMetadata,
  type EventContext,
} from '../../templates/runtime/index.js';
import { FakeKafka, type FakeConsumer, type FakeMessage } from './fake-kafka.js';

const Schema = z.object({ orderId: z.string() });
const OrderCreated = defineEvent({ eventType: 'order.created', version: '1.0.0', topics: ['orders'], schema: Schema, classification: 'internal', partitionKey: (d) => d.orderId });
const running: GroupConsumer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

type Handle = (ctx: EventContext) => Promise<void> | void;

async function setup(handle: Handle, delaysMs = [1_000, 60_000]) {
  const kafka = new FakeKafka();
  kafka.topics.set('orders', 1);
  kafka.topics.set('orders.dlq', 1);
  const policy = retryTopicsPolicy('orders', 'g', delaysMs);
  for (const t of policy.topics) kafka.topics.set(t, 1);
  const logger = createLogger({ level: 'error', write: () => undefined });
  const transport = new KafkaTransport({ config: kafkaConfig({ brokers: 'fake:9092', clientId: 'test' }), client: kafka.client, logger, consumer: { commitIntervalMs: 0 } });
  const calls: EventContext[] = [];
  const delegator = new TopicDelegator({
    topic: 'orders',
    retryTopics: policy,
    routes: [route(OrderCreated, { handle: async (_d, ctx) => { calls.push(ctx); await handle(ctx); } })],
  });
  const consumer = new GroupConsumer({ groupId: 'g', transport, topics: [delegator], logger, heartbeatIntervalMs: 20, stopTimeoutMs: 2_000 });
  running.push(consumer);
  await consumer.start();
  const fc = kafka.consumers[kafka.consumers.length - 1] as FakeConsumer;
  fc.join({ orders: [0], [policy.topics[0] as string]: [0], [policy.topics[1] as string]: [0] });
  const sent = (topic: string) => kafka.producers.flatMap((p) => p.sent.filter((s) => s.topic === topic));
  return { kafka, fc, consumer, calls, policy, sent };
}

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

let seq = 0;
function message(offset: number): FakeMessage {
  seq += 1;
  const metadata: EnvelopeMetadata = { eventId: `e-${seq}`, eventType: 'order.created', eventVersion: '1.0.0', correlationId: `c-${seq}`, timestamp: new Date().toISOString(), source: 'test', dataClassification: 'internal', partitionKey: 'k' };
  return { offset: String(offset), key: Buffer.from('k'), value: encodeEnvelope({ metadata, data: { orderId: `o-${offset}` } }), headers: envelopeHeaders(metadata) };
}

/** A message the fake producer sent, as the consumer would fetch it at `offset`. */
function refetch(sent: { message: { key: unknown; value: unknown; headers: Record<string, unknown> } }, offset: number): FakeMessage {
  return { offset: String(offset), key: sent.message.key as Buffer, value: sent.message.value as Buffer, headers: sent.message.headers as FakeMessage['headers'] };
}

describe('retry topics', () => {
  it('names retry topics per group: {topic}.retry.{group}.{n}, or a template', () => {
    expect(retryTopicsPolicy('orders', 'billing', [5_000, 30_000]).topics).toEqual(['orders.retry.billing.1', 'orders.retry.billing.2']);
    expect(retryTopicName('orders', 'billing', 2, 'retry-{group}-{topic}-{n}')).toBe('retry-billing-orders-2');
    expect(() => retryTopicsPolicy('orders', 'g', [])).toThrow(RangeError);
  });

  it('a failure moves the record to retry topic 1 (same key, value, event id, retry headers) and commits the original; later records go on', async () => {
    const s = await setup((ctx) => {
      if (ctx.offset === '0') throw new Error('db down');
    });
    const before = Date.now();
    const result = await s.fc.deliver('orders', 0, [message(0), message(1)]);
    expect(result.resolved).toEqual(['1']);
    expect(s.fc.committed()).toEqual(['orders[0]=2']);
    const [moved] = s.sent('orders.retry.g.1');
    expect(moved).toBeDefined();
    const headers = decodeHeaders(moved!.message.headers);
    expect(headers['event-id']).toBe(s.calls[0]?.eventId);
    expect(moved!.message.key).toEqual(Buffer.from('k'));
    expect(headers[RETRY_HEADERS.originalTopic]).toBe('orders');
    expect(headers[RETRY_HEADERS.originalOffset]).toBe('0');
    expect(headers[RETRY_HEADERS.attempt]).toBe('1');
    expect(Number(headers[RETRY_HEADERS.dueAt])).toBeGreaterThanOrEqual(before + 1_000);
    expect(retryHistory(headers)).toMatchObject([{ attempt: 1, errorClass: 'Error', message: 'db down' }]);
    expect(s.sent('orders.dlq')).toHaveLength(0);
    expect(s.consumer.metrics.get('retried')).toBe(1);
  });

  it('the original is not committed before the retry write is acknowledged; later records are handled meanwhile and not again', async () => {
    const s = await setup((ctx) => {
      if (ctx.offset === '0') throw new Error('boom');
    });
    // The producer refuses the write; the runtime's producer is then replaced, and the next try (after backoff) lands.
    let refused = 0;
    for (const p of s.kafka.producers) p.behaviour = () => (++refused, new Error('broker gone'));
    const delivered = s.fc.deliver('orders', 0, [message(0), message(1), message(2)]);
    await waitUntil(() => refused >= 1 && s.calls.length === 3);
    // Records 1 and 2 were handled while the write of record 0 waits to be tried again; nothing is committed meanwhile.
    expect(s.calls.map((c) => c.offset)).toEqual(['0', '1', '2']);
    expect(s.fc.committed()).toEqual([]);
    expect(s.sent('orders.retry.g.1')).toHaveLength(0);
    const result = await delivered;
    expect(result.resolved).toEqual(['2']);
    expect(s.fc.committed()).toEqual(['orders[0]=3']);
    expect(s.sent('orders.retry.g.1')).toHaveLength(1);
    expect(s.calls.map((c) => c.offset)).toEqual(['0', '1', '2']);
  });

  it('the moves of one fetched batch go out as one produce request, in offset order, and commit together once acknowledged', async () => {
    const s = await setup((ctx) => {
      if (ctx.offset !== '2') throw new Error('flaky api');
    });
    const result = await s.fc.deliver('orders', 0, [0, 1, 2, 3, 4].map(message));
    expect(result.resolved).toEqual(['4']);
    const requests = s.kafka.producers.flatMap((p) => p.calls.filter((c) => c.startsWith('send orders.retry.g.1')));
    expect(requests).toEqual(['send orders.retry.g.1:0,0,0,0']);
    expect(s.sent('orders.retry.g.1').map((m) => decodeHeaders(m.message.headers)[RETRY_HEADERS.originalOffset])).toEqual(['0', '1', '3', '4']);
    expect(s.fc.committed()).toEqual(['orders[0]=5']);
  });

  it('a coalesced request that fails is sent again record by record; nothing is committed before every one landed', async () => {
    const s = await setup((ctx) => {
      if (ctx.offset !== '1') throw new Error('flaky api');
    });
    let refused = 0;
    for (const p of s.kafka.producers) p.behaviour = (batch) => (batch.some((t) => t.messages.length > 1) ? (++refused, new Error('request too large')) : undefined);
    const result = await s.fc.deliver('orders', 0, [0, 1, 2].map(message));
    expect(refused).toBe(1);
    expect(result.resolved).toEqual(['2']);
    expect(s.sent('orders.retry.g.1').map((m) => decodeHeaders(m.message.headers)[RETRY_HEADERS.originalOffset])).toEqual(['0', '2']);
    expect(s.fc.committed()).toEqual(['orders[0]=3']);
    expect(s.calls.map((c) => c.offset)).toEqual(['0', '1', '2']);
  });

  it('a retry write that cannot be made before the consumer stops: nothing from that record on is committed', async () => {
    const s = await setup((ctx) => {
      if (ctx.offset === '1') throw new Error('boom');
    });
    for (const p of s.kafka.producers) p.behaviour = () => new Error('broker gone');
    const delivered = s.fc.deliver('orders', 0, [message(0), message(1), message(2)]);
    await waitUntil(() => s.calls.length === 3);
    await s.consumer.stop();
    await delivered;
    expect(s.fc.committed()).toEqual(['orders[0]=1']);
    expect(s.sent('orders.retry.g.1')).toHaveLength(0);
  });

  it('a retry record not yet due pauses only its partition and is not handled; when due it is handled as attempt 2', async () => {
    let fail = true;
    const s = await setup(() => {
      if (fail) throw new Error('flaky');
    }, [60_000, 60_000]);
    await s.fc.deliver('orders', 0, [message(0)]);
    const moved = s.sent('orders.retry.g.1')[0]!;
    const early = await s.fc.deliver('orders.retry.g.1', 0, [refetch(moved, 0)]);
    expect(early.resolved).toEqual([]);
    expect(s.calls).toHaveLength(1);
    expect([...s.fc.pausedPartitions]).toEqual(['orders.retry.g.1[0]']);
    expect(s.consumer.health().retryingPartitions).toMatchObject([{ topic: 'orders.retry.g.1', attempt: 1 }]);
    // Due now: rewrite the due time as if the delay had passed.
    const due = { ...moved, message: { ...moved.message, headers: { ...moved.message.headers, [RETRY_HEADERS.dueAt]: String(Date.now() - 1) } } };
    fail = false;
    const late = await s.fc.deliver('orders.retry.g.1', 0, [refetch(due, 0)]);
    expect(late.resolved).toEqual(['0']);
    expect(s.calls.map((c) => c.attempt)).toEqual([1, 2]);
    expect(s.fc.committed()).toContain('orders.retry.g.1[0]=1');
  });

  it('exhausted: the last retry topic\'s failure dead-letters with the whole attempt history; non-retriable skips the chain', async () => {
    const s = await setup((ctx) => {
      if (ctx.offset === '1' && ctx.topic === 'orders') throw new NonRetriableError('bad');
      throw new Error(`fail ${ctx.attempt}`);
    }, [0, 0]);
    await s.fc.deliver('orders', 0, [message(0), message(1)]);
    expect(s.sent('orders.dlq')).toHaveLength(1); // the non-retriable one, straight away
    expect(decodeHeaders(s.sent('orders.dlq')[0]!.message.headers)[DLQ_HEADERS.attempts]).toBe('1');
    await s.fc.deliver('orders.retry.g.1', 0, [refetch(s.sent('orders.retry.g.1')[0]!, 0)]);
    await s.fc.deliver('orders.retry.g.2', 0, [refetch(s.sent('orders.retry.g.2')[0]!, 0)]);
    expect(s.sent('orders.dlq')).toHaveLength(2);
    const h = decodeHeaders(s.sent('orders.dlq')[1]!.message.headers);
    expect(h[DLQ_HEADERS.attempts]).toBe('3');
    expect(h[DLQ_HEADERS.errorMessage]).toBe('fail 3');
    expect(h[RETRY_HEADERS.originalTopic]).toBe('orders');
    expect(h[RETRY_HEADERS.originalOffset]).toBe('0');
    expect(retryHistory(h).map((e) => `${e.attempt}:${e.message}`)).toEqual(['1:fail 1', '2:fail 2']);
    expect(s.calls.filter((c) => c.eventId === s.calls[0]?.eventId).map((c) => c.attempt)).toEqual([1, 2, 3]);
  });

  it('in memory end to end (delays 30 ms, 60 ms): attempt 3 succeeds after the delays while later records go on (a handleBatch failure on the original topic counts as attempt 1)', async () => {
    const transport = new InMemoryTransport({ defaultPartitions: 1 });
    const policy = retryTopicsPolicy('orders', 'g', [30, 60]);
    const attempts: Array<{ attempt: number; at: number; topic: string }> = [];
    const others: number[] = [];
    const delegator = new TopicDelegator({
      topic: 'orders',
      retryTopics: policy,
      routes: [
        route(OrderCreated, {
          async handle(data, ctx) {
            if (data.orderId !== 'flaky') return void others.push(Date.now());
            attempts.push({ attempt: ctx.attempt, at: Date.now(), topic: ctx.topic });
            if (ctx.attempt < 3) throw new Error('not yet');
          },
          async handleBatch(items) {
            const outcomes = items.map((item) => {
              if (item.data.orderId !== 'flaky') return void others.push(Date.now());
              attempts.push({ attempt: item.context.attempt, at: Date.now(), topic: item.context.topic });
              return new Error('not yet (batch)');
            });
            return outcomes;
          },
        }),
      ],
    });
    const consumer = new GroupConsumer({ groupId: 'g', transport, topics: [delegator], logger: createLogger({ level: 'error', write: () => undefined }) });
    running.push(consumer);
    await consumer.start();
    const producer = new EventProducer({ transport, source: 'test' });
    await producer.send('orders', OrderCreated, { orderId: 'flaky' });
    for (let i = 0; i < 20; i++) await producer.send('orders', OrderCreated, { orderId: `o-${i}` });
    for (let i = 0; i < 100 && attempts.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(attempts.map((a) => [a.attempt, a.topic])).toEqual([[1, 'orders'], [2, policy.topics[0]], [3, policy.topics[1]]]);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(30);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(60);
    expect(others).toHaveLength(20);
    expect(Math.max(...others)).toBeLessThan(attempts[1]!.at);
    expect(transport.records('orders.dlq')).toHaveLength(0);
  });
});
