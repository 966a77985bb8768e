/**
 * Shared by the saga tests: the fixture catalog (test/sagas/fixtures), the shapes of the generated modules as far as
 * the tests use them (the trees live under test/output, outside tsconfig), implemented steps, and a witness that
 * records every event of the saga's topics with its envelope metadata.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { EventContext, GroupConsumer, GroupConsumerOptions, Logger, Route, Transport } from '../../templates/runtime/index.js';

export const SAGA_FIXTURE = path.join(import.meta.dirname, 'fixtures/sagas.asyncapi.yaml');
export const fixtureText = (): string => readFileSync(SAGA_FIXTURE, 'utf8');

export interface OrderData {
  orderId: string;
  amount?: number;
  reason?: string;
}
type Outcome = { emit: string; payload: OrderData };
export interface StepImpl {
  handle(data: OrderData, context: EventContext): Promise<Outcome>;
}
export type StepsImpl = Record<'chargePayment' | 'reserveStock' | 'shipOrder' | 'cancelOrder' | 'refundPayment', StepImpl>;

export interface Root {
  silentLogger: Logger;
  createProducers(from: { transport: Transport; logger?: Logger }): { sagaOrders: { orderCreated(data: OrderData): Promise<unknown> } };
  GroupConsumer: new (options: GroupConsumerOptions) => GroupConsumer;
  TopicDelegator: new (options: { topic: string; routes: readonly Route[]; deadLetter?: { enabled: boolean; topic: string } }) => GroupConsumerOptions['topics'][number];
  route: { pattern(pattern: string, handler: { handle(data: unknown, context: EventContext): Promise<void> }): Route };
}
export interface SagaModule {
  SAGA: { name: string; steps: ReadonlyArray<{ name: string; kind: string; on: string; emits: readonly string[]; failure?: string }> };
  createSaga(options: Omit<GroupConsumerOptions, 'groupId' | 'topics'> & { steps: StepsImpl; producers: unknown; only?: readonly string[]; groupIds?: Record<string, string> }): {
    consumers: ReadonlyMap<string, GroupConsumer>;
    start(): Promise<void>;
    stop(): Promise<void>;
  };
}

/** The fixture's business rules: amount < 0 fails the payment; reason `no-stock` fails the reservation. */
export function implementedSteps(calls: string[]): StepsImpl {
  const step = (name: string, answer: (d: OrderData) => Outcome): StepImpl => ({
    async handle(data) {
      calls.push(`${name}:${data.orderId}`);
      return answer(data);
    },
  });
  return {
    chargePayment: step('charge-payment', (d) => (d.amount !== undefined && d.amount < 0 ? { emit: 'payment.failed', payload: { orderId: d.orderId, reason: 'declined' } } : { emit: 'payment.captured', payload: d })),
    reserveStock: step('reserve-stock', (d) => (d.reason === 'no-stock' ? { emit: 'stock.reservation-failed', payload: { orderId: d.orderId, reason: 'no-stock' } } : { emit: 'stock.reserved', payload: d })),
    shipOrder: step('ship-order', (d) => ({ emit: 'order.shipped', payload: { orderId: d.orderId } })),
    cancelOrder: step('cancel-order', (d) => ({ emit: 'order.cancelled', payload: { orderId: d.orderId, reason: d.reason ?? 'payment failed' } })),
    refundPayment: step('refund-payment', (d) => ({ emit: 'payment.refunded', payload: { orderId: d.orderId } })),
  };
}

export interface Seen {
  eventType: string;
  orderId: string;
  eventId: string;
  correlationId: string;
  causationId: string | undefined;
}

/** A consumer group reading every record of the given topics (pattern route `**`), for assertions. */
export function witness(root: Root, transport: Transport, groupId: string, topics: readonly string[]): { consumer: GroupConsumer; seen: Seen[] } {
  const seen: Seen[] = [];
  const handler = {
    async handle(data: unknown, context: EventContext): Promise<void> {
      seen.push({ eventType: context.eventType, orderId: String((data as OrderData).orderId), eventId: context.eventId, correlationId: context.correlationId, causationId: context.metadata.causationId });
    },
  };
  const consumer = new root.GroupConsumer({
    groupId,
    transport,
    logger: root.silentLogger,
    topics: topics.map((topic) => new root.TopicDelegator({ topic, routes: [root.route.pattern('**', handler)], deadLetter: { enabled: false, topic: `${topic}.dlq` } })),
  });
  return { consumer, seen };
}

/** The chain of event types of one order, in causation order (each event caused by the previous one). */
export function chain(seen: readonly Seen[], orderId: string): string[] {
  const mine = seen.filter((s) => s.orderId === orderId);
  const first = mine.find((s) => s.causationId === undefined);
  const out: string[] = [];
  for (let cur = first; cur; cur = mine.find((s) => s.causationId === cur?.eventId)) out.push(cur.eventType);
  return out;
}
