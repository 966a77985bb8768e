/**
 * Event status reporting by the consumer (GroupConsumerOptions.statusStore), driven through the real kafkajs adapter
 * against the scripted fake kafkajs client: what is written when, and that a failing or hanging store changes
 * nothing about delivery.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  GroupConsumer,
  InMemoryProcessedStore,
  InMemoryStatusStore,
  KafkaTransport,
  NonRetriableError,
  RetriableError,
  TopicDelegator,
  createLogger,
  defineEvent,
  encodeEnvelope,
  envelopeHeaders,
  kafkaConfig,
  route,
  type DeadLetterPolicy,
  type EnvelopeMetadata,
  type EventContext,
  type GroupConsumerOptions,
  type GroupStatus,
  type RetryPolicy,
  type StatusStore,
  type StatusUpdate,
} from '../../templates/runtime/index.js';
import { FakeKafka, type FakeConsumer, type FakeMessage } from './fake-kafka.js';

const Schema = z.object({ orderId: z.string() });
const OrderCreated = defineEvent({ eventType: 'order.created', version: '1.0.0', topics: ['orders'], schema: Schema, classification: 'internal', partitionKey: (d) => d.orderId });
const RETRY: RetryPolicy = { maxRetries: 2, initialDelayMs: 10, maxDelayMs: 100, multiplier: 2, jitter: 0 };
const DLQ: DeadLetterPolicy = { enabled: true, topic: 'orders.dlq' };

type Handle = (data: { orderId: string }, ctx: EventContext, call: number) => Promise<void> | void;

/** A status store that records every update() call (and can be told to fail or hang). */
class RecordingStatusStore extends InMemoryStatusStore {
  readonly log: StatusUpdate[] = [];
  mode: 'ok' | 'reject' | 'hang' = 'ok';
  override async update(updates: readonly StatusUpdate[]): Promise<void> {
    this.log.push(...updates);
    if (this.mode === 'reject') throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
    if (this.mode === 'hang') return new Promise(() => {});
    return super.update(updates);
  }
  async group(eventId: string, groupId = 'g'): Promise<GroupStatus | undefined> {
    return (await this.get(eventId))?.groups[groupId];
  }
}

const running: GroupConsumer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

async function setup(options: { handle?: Handle; retry?: RetryPolicy; deadLetter?: DeadLetterPolicy; statusStore?: StatusStore; consumer?: Partial<GroupConsumerOptions>; handler?: object } = {}) {
  const kafka = new FakeKafka();
  kafka.topics.set('orders', 2);
  kafka.topics.set('orders.dlq', 1);
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'debug', write: (line) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const transport = new KafkaTransport({ config: kafkaConfig({ brokers: 'fake:9092', clientId: 'test' }), client: kafka.client, logger, consumer: { commitIntervalMs: 0 } });
  const calls: Array<{ data: { orderId: string }; ctx: EventContext }> = [];
  const handle = options.handle ?? (() => undefined);
  const handler = options.handler ?? {
    async handle(data: { orderId: string }, ctx: EventContext) {
      calls.push({ data, ctx });
      await handle(data, ctx, calls.length);
    },
  };
  const delegator = new TopicDelegator({ topic: 'orders', retry: options.retry ?? RETRY, deadLetter: options.deadLetter ?? DLQ, routes: [route(OrderCreated, handler as never)] });
  const consumer = new GroupConsumer({
    groupId: 'g',
    transport,
    topics: [delegator],
    logger,
    heartbeatIntervalMs: 20,
    stopTimeoutMs: 3_000,
    ...(options.statusStore === undefined ? {} : { statusStore: options.statusStore, statusReporting: { flushIntervalMs: 2 } }),
    ...options.consumer,
  });
  running.push(consumer);
  await consumer.start();
  const fc = kafka.consumers[kafka.consumers.length - 1] as FakeConsumer;
  fc.join({ orders: [0, 1] });
  const dlq = () => kafka.producers.flatMap((p) => p.sent.filter((s) => s.topic === 'orders.dlq'));
  return { kafka, consumer, fc, calls, lines, dlq };
}

let seq = 0;
function meta(overrides: Partial<EnvelopeMetadata> = {}): EnvelopeMetadata {
  seq += 1;
  return { eventId: `s-${seq}`, eventType: 'order.created', eventVersion: '1.0.0', correlationId: `corr-${seq}`, timestamp: new Date().toISOString(), source: 'test', dataClassification: 'internal', partitionKey: 'k', ...overrides };
}

function message(offset: number, data: unknown = { orderId: `o-${offset}` }, metadata: EnvelopeMetadata = meta()): FakeMessage & { eventId: string } {
  return { offset: String(offset), key: Buffer.from('k'), value: encodeEnvelope({ metadata, data }), headers: envelopeHeaders(metadata), eventId: metadata.eventId };
}

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` is truthy (or fails after `ms`). */
async function until<T>(check: () => Promise<T> | T, ms = 2_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error('condition not met in time');
    await tick(5);
  }
}

describe('consumer status reporting', () => {
  it('success: PROCESSING (attempt 1) while the handler runs, then PROCESSED', async () => {
    const store = new RecordingStatusStore();
    let seen: GroupStatus | undefined;
    const m = message(0);
    const s = await setup({
      statusStore: store,
      handle: async () => {
        seen = await until(() => store.group(m.eventId));
      },
    });
    const result = await s.fc.deliver('orders', 0, [m]);
    expect(result.resolved).toEqual(['0']);
    expect(seen).toMatchObject({ status: 'PROCESSING', attempts: 1 });
    const done = await until(async () => ((await store.group(m.eventId))?.status === 'PROCESSED' ? store.group(m.eventId) : undefined));
    expect(done).toMatchObject({ status: 'PROCESSED', attempts: 1 });
    expect(done?.updatedAt).toBeGreaterThanOrEqual(seen?.updatedAt ?? Infinity);
  });

  it('a handler failing once: RETRYING (attempt 1, nextAttemptAt, lastError), PROCESSING attempt 2, then PROCESSED with attempts 2', async () => {
    const store = new RecordingStatusStore();
    const m = message(0);
    const seen: Array<GroupStatus | undefined> = [];
    const s = await setup({
      statusStore: store,
      retry: { ...RETRY, initialDelayMs: 250, maxDelayMs: 250 },
      handle: async (_d, _c, call) => {
        if (call === 1) throw new RetriableError('flaky downstream');
        seen.push(await until(async () => ((await store.group(m.eventId))?.attempts === 2 ? store.group(m.eventId) : undefined)));
      },
    });
    const delivered = s.fc.deliver('orders', 0, [m]);
    const retrying = await until(async () => ((await store.group(m.eventId))?.status === 'RETRYING' ? store.group(m.eventId) : undefined));
    expect(retrying).toMatchObject({ status: 'RETRYING', attempts: 1, lastError: 'flaky downstream' });
    expect((retrying?.nextAttemptAt ?? 0) - (retrying?.updatedAt ?? 0)).toBeGreaterThanOrEqual(240);
    expect((retrying?.nextAttemptAt ?? 0) - (retrying?.updatedAt ?? 0)).toBeLessThanOrEqual(300);
    expect((await delivered).resolved).toEqual(['0']);
    expect(seen).toEqual([expect.objectContaining({ status: 'PROCESSING', attempts: 2 })]);
    expect(await until(async () => ((await store.group(m.eventId))?.status === 'PROCESSED' ? store.group(m.eventId) : undefined))).toMatchObject({ status: 'PROCESSED', attempts: 2 });
  });

  it('a non-retriable failure: DEAD_LETTERED with the dead-letter topic, partition and offset of the acknowledged write', async () => {
    const store = new RecordingStatusStore();
    const s = await setup({ statusStore: store, handle: () => Promise.reject(new NonRetriableError('order is invalid')) });
    const a = message(0);
    const b = message(1);
    expect((await s.fc.deliver('orders', 0, [a, b])).resolved).toEqual(['1']);
    const dead = s.dlq();
    expect(dead).toHaveLength(2);
    for (const [i, m] of [a, b].entries()) {
      const g = await until(async () => ((await store.group(m.eventId))?.status === 'DEAD_LETTERED' ? store.group(m.eventId) : undefined));
      expect(g).toEqual({ status: 'DEAD_LETTERED', attempts: 1, updatedAt: expect.any(Number), lastError: 'order is invalid', reason: 'handler-non-retriable', deadLetter: { topic: 'orders.dlq', partition: dead[i]?.partition, offset: String(i) } });
    }
    expect(typeof dead[0]?.partition).toBe('number');
  });

  it('FAILED before the dead-letter write (kept while the write fails, written once), DEAD_LETTERED once it is acknowledged', async () => {
    const store = new RecordingStatusStore();
    const s = await setup({
      statusStore: store,
      retry: { ...RETRY, maxRetries: 1 },
      handle: () => Promise.reject(new RetriableError('still down')),
      consumer: { deadLetterRetry: { maxRetries: 0, initialDelayMs: 1, maxDelayMs: 1, multiplier: 1, jitter: 0 } },
    });
    const m = message(0);
    s.kafka.producers[0]!.behaviour = () => Object.assign(new Error('Topic authorization failed'), { type: 'TOPIC_AUTHORIZATION_FAILED' });
    expect((await s.fc.deliver('orders', 0, [m])).resolved).toEqual([]);
    expect(await until(async () => ((await store.group(m.eventId))?.status === 'FAILED' ? store.group(m.eventId) : undefined))).toMatchObject({ status: 'FAILED', attempts: 2, lastError: 'still down', reason: 'retries-exhausted' });
    await tick(5);
    expect((await s.fc.deliver('orders', 0, [m])).resolved).toEqual([]); // the write fails again: FAILED stays
    s.kafka.producers[0]!.behaviour = () => undefined;
    await tick(5);
    expect((await s.fc.deliver('orders', 0, [m])).resolved).toEqual(['0']);
    expect(await until(async () => ((await store.group(m.eventId))?.status === 'DEAD_LETTERED' ? store.group(m.eventId) : undefined))).toMatchObject({ attempts: 2, reason: 'retries-exhausted', deadLetter: { topic: 'orders.dlq', offset: '0' } });
    expect(store.log.filter((u) => u.status === 'FAILED')).toHaveLength(1);
    expect(s.calls).toHaveLength(2);
  });

  it('dead-lettering disabled: FAILED when the partition halts', async () => {
    const store = new RecordingStatusStore();
    const s = await setup({ statusStore: store, deadLetter: { enabled: false, topic: 'orders.dlq' }, handle: () => Promise.reject(new NonRetriableError('nope')) });
    const m = message(0);
    expect((await s.fc.deliver('orders', 0, [m])).resolved).toEqual([]);
    expect(s.consumer.health().haltedPartitions).toHaveLength(1);
    expect(await until(() => store.group(m.eventId))).toMatchObject({ status: 'FAILED', attempts: 1, reason: 'handler-non-retriable', lastError: 'nope' });
  });

  it('batch handlers: every record of the handleBatch call gets its own statuses', async () => {
    const store = new RecordingStatusStore();
    const seen: Array<GroupStatus | undefined> = [];
    const handler = {
      async handle(): Promise<void> {},
      async handleBatch(items: ReadonlyArray<{ data: { orderId: string }; context: EventContext }>): Promise<unknown[]> {
        // Every record of the call is PROCESSING (attempt 1) while it runs.
        for (const i of items) seen.push(await until(() => store.group(i.context.eventId)));
        return items.map((i) => (i.data.orderId === 'o-1' ? new RetriableError('row lock') : undefined));
      },
    };
    const s = await setup({ statusStore: store, handler });
    const ms = [message(0), message(1), message(2, { orderId: 7 }), message(3)];
    expect((await s.fc.deliver('orders', 0, ms)).resolved).toEqual(['3']);
    await s.consumer.stop(); // stop() flushes what is buffered
    const byId = await Promise.all(ms.map((m) => store.group(m.eventId)));
    expect(byId.map((g) => [g?.status, g?.attempts])).toEqual([
      ['PROCESSED', 1],
      ['PROCESSED', 2],
      ['DEAD_LETTERED', 1],
      ['PROCESSED', 1],
    ]);
    expect(byId[2]?.reason).toBe('validation');
    expect(seen).toEqual([0, 1, 3].map(() => expect.objectContaining({ status: 'PROCESSING', attempts: 1 })));
  });

  it('nothing for records without an event id or skipped as duplicates; unknown types dead-lettered are reported; stop() writes what is buffered', async () => {
    const store = new RecordingStatusStore();
    const s = await setup({ statusStore: store, consumer: { store: new InMemoryProcessedStore(), statusReporting: { flushIntervalMs: 60_000 } } });
    const ok = message(1);
    const unknown = message(2, { orderId: 'x' }, meta({ eventType: 'order.unknown' }));
    await s.fc.deliver('orders', 0, [{ offset: '0', value: Buffer.from('not json') }, ok, unknown]);
    await s.fc.deliver('orders', 1, [{ ...message(0, undefined, meta({ eventId: ok.eventId })) }]); // the same event again: a duplicate
    expect(s.consumer.metrics.get('duplicates_skipped')).toBe(1);
    expect(store.log).toHaveLength(0); // a long flush interval: all still buffered
    await s.consumer.stop();
    expect(store.log.map((u) => [u.eventId, u.status]).sort()).toEqual(
      [
        [ok.eventId, 'PROCESSED'],
        [unknown.eventId, 'DEAD_LETTERED'],
      ].sort(),
    );
    expect(await store.group(unknown.eventId)).toMatchObject({ reason: 'unknown-event-type', attempts: 1 });
  });

  it('a status store that rejects or hangs changes nothing about delivery and commits; its drops are counted', async () => {
    const scenario = async (statusStore: RecordingStatusStore | undefined) => {
      const s = await setup({
        ...(statusStore === undefined ? {} : { statusStore }),
        consumer: { statusReporting: { flushIntervalMs: 2, flushTimeoutMs: 30 } },
        handle: (data, ctx) => {
          if (data.orderId === 'o-1' && ctx.attempt === 1) throw new RetriableError('once');
          if (data.orderId === 'o-2') throw new NonRetriableError('never');
        },
      });
      const started = Date.now();
      const r0 = await s.fc.deliver('orders', 0, [message(0), message(1), message(2), message(3)]);
      const r1 = await s.fc.deliver('orders', 1, [message(0), message(1)]);
      const elapsed = Date.now() - started;
      await tick(100);
      const stopStarted = Date.now();
      await s.consumer.stop();
      return {
        outcome: { resolved: [r0.resolved, r1.resolved], committed: s.fc.committed(), processed: s.consumer.health().processed, dlq: s.dlq().length, calls: s.calls.map((c) => `${c.data.orderId}#${c.ctx.attempt}`) },
        elapsed,
        stopMs: Date.now() - stopStarted,
        dropped: s.consumer.metrics.get('status_updates_dropped', { group: 'g' }),
        warnings: s.lines.filter((l) => l['level'] === 'warn' && /Status updates could not be written/.test(String(l['msg']))).length,
      };
    };
    const baseline = await scenario(undefined);
    expect(baseline.outcome).toEqual({
      resolved: [['3'], ['1']],
      committed: ['orders[0]=4', 'orders[1]=2'],
      processed: 5,
      dlq: 1,
      calls: ['o-0#1', 'o-1#1', 'o-1#2', 'o-2#1', 'o-3#1', 'o-0#1', 'o-1#1', 'o-1#2'],
    });
    expect(baseline.dropped).toBe(0);

    const working = new RecordingStatusStore();
    const ok = await scenario(working);
    expect(ok.outcome).toEqual(baseline.outcome);
    expect(ok.dropped).toBe(0);
    expect(working.log.length).toBeGreaterThan(0);

    const rejecting = new RecordingStatusStore();
    rejecting.mode = 'reject';
    const rejected = await scenario(rejecting);
    expect(rejected.outcome).toEqual(baseline.outcome);
    expect(rejected.dropped).toBe(rejecting.log.length); // every update handed to the store was dropped, none retried
    expect(rejected.dropped).toBeGreaterThanOrEqual(6); // at least one terminal status per record
    expect(rejected.warnings).toBe(1); // once per failure streak
    expect(rejected.elapsed).toBeLessThan(baseline.elapsed + 500);

    const hanging = new RecordingStatusStore();
    hanging.mode = 'hang';
    const hung = await scenario(hanging);
    expect(hung.outcome).toEqual(baseline.outcome);
    expect(hung.dropped).toBe(hanging.log.length);
    expect(hung.dropped).toBeGreaterThanOrEqual(6);
    expect(hung.warnings).toBe(1);
    expect(hung.elapsed).toBeLessThan(baseline.elapsed + 500);
    expect(hung.stopMs).toBeLessThan(2_500);
  });
});
