/** The public dead-letter decoder: typed failure fields, original position, envelope when decodable, raw bytes. */
import { describe, expect, it } from 'vitest';
import { buildDeadLetterMessage, decodeDeadLetter, encodeEnvelope, envelopeHeaders, EventValidationError, REPLAY_HEADERS, type ConsumedRecord, type DeadLetterRecord, type Envelope } from '../../templates/runtime/index.js';

const envelope: Envelope = {
  metadata: { eventId: 'e-1', eventType: 'order.created', eventVersion: '1.0.0', correlationId: 'c-1', timestamp: '2026-01-01T00:00:00.000Z', source: 'shop', dataClassification: 'internal', partitionKey: 'k' },
  data: { id: 1 },
};

function deadLetter(value: Buffer | null, extra: Record<string, string> = {}): ConsumedRecord {
  const original: ConsumedRecord = { topic: 'orders', partition: 2, offset: '41', key: Buffer.from('k'), value, headers: { ...envelopeHeaders(envelope.metadata), ...extra }, timestamp: '1700000000000' };
  const msg = buildDeadLetterMessage({ record: original, groupId: 'billing', reason: 'validation', error: new EventValidationError('order.created', []), attempts: 1, correlationId: 'c-1', failedAt: new Date('2026-02-03T04:05:06.000Z') });
  return { topic: 'orders.dlq', partition: 0, offset: '7', key: msg.key as Buffer, value: msg.value as Buffer | null, headers: msg.headers ?? {}, timestamp: '1700000001000' };
}

describe('decodeDeadLetter', () => {
  it('types the failure headers, the original position and the envelope', () => {
    const r: DeadLetterRecord = decodeDeadLetter(deadLetter(encodeEnvelope(envelope), { [REPLAY_HEADERS.count]: '2' }));
    expect(r.isDeadLetter).toBe(true);
    expect(r.original).toEqual({ topic: 'orders', partition: 2, offset: '41', timestamp: '1700000000000' });
    expect(r.failure.reason).toBe('validation');
    expect(r.failure.consumerGroup).toBe('billing');
    expect(r.failure.errorClass).toBe('EventValidationError');
    expect(r.failure.attempts).toBe(1);
    expect(r.failure.failedAt?.toISOString()).toBe('2026-02-03T04:05:06.000Z');
    expect(r.failure.errorStack).toContain('EventValidationError');
    expect(r.eventType).toBe('order.created');
    expect(r.eventId).toBe('e-1');
    expect(r.replayCount).toBe(2);
    expect(r.envelope?.data).toEqual({ id: 1 });
    expect(r.key?.toString()).toBe('k');
    expect(Object.keys(r.originalHeaders).some((h) => h.startsWith('dlq-'))).toBe(false);
    expect(r.originalHeaders['event-id']).toBe('e-1');
  });

  it('never throws: undecodable value and missing headers become undefined', () => {
    const r = decodeDeadLetter(deadLetter(Buffer.from('{not json')));
    expect(r.envelope).toBeUndefined();
    expect(r.envelopeError).toBeTruthy();
    expect(r.eventType).toBe('order.created'); // from the header
    const plain = decodeDeadLetter({ topic: 't', partition: 0, offset: '0', key: null, value: null, headers: { 'dlq-attempts': 'x', 'dlq-failed-at': 'nope' }, timestamp: '0' });
    expect(plain.isDeadLetter).toBe(false);
    expect(plain.original).toBeUndefined();
    expect(plain.failure.attempts).toBeUndefined();
    expect(plain.failure.failedAt).toBeUndefined();
    expect(plain.replayCount).toBe(0);
  });

  it('skips the envelope on request (fast scans)', () => {
    const r = decodeDeadLetter(deadLetter(encodeEnvelope(envelope)), { envelope: false });
    expect(r.envelope).toBeUndefined();
    expect(r.envelopeError).toBeUndefined();
  });
});
