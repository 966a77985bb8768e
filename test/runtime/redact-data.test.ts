import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EventValidationError, NonRetriableError, RetriableError, DecodeError, isRetriable } from '../../templates/runtime/errors.js';
import { createLogger } from '../../templates/runtime/logger.js';
import { REDACTED_FIELD, maskQuoted, redactingLogger, redactEventData, redactEventError, redactEventText, redactUndecoded, redactorFor, type RedactionInfo } from '../../templates/runtime/redact-data.js';

const fields: RedactionInfo = {
  eventType: 'order.created',
  classification: 'internal',
  // a shared CustomerRef (its email), array items (cards[].last4), a map's values, a nested object
  sensitiveFields: ['/customer/email', '/payment/cards/*/last4', '/notes/*', '/a~1b'],
};
const data = {
  orderId: 'o-1',
  customer: { id: 'c-1', email: 'jane.doe@example.com' },
  payment: { cards: [{ brand: 'visa', last4: '4242' }, { brand: 'amex', last4: '0005' }] },
  notes: { gift: 'for my sister Anna', pin: 123456 },
  'a/b': 'slash-keyed secret',
  total: 99,
};

describe('redaction of event data', () => {
  it('replaces only the sensitive paths (nested, array items, map values, escaped names), copying along the path', () => {
    const before = JSON.stringify(data);
    const out = redactEventData(fields, data) as typeof data;
    expect(out).toEqual({
      orderId: 'o-1',
      customer: { id: 'c-1', email: REDACTED_FIELD },
      payment: { cards: [{ brand: 'visa', last4: REDACTED_FIELD }, { brand: 'amex', last4: REDACTED_FIELD }] },
      notes: { gift: REDACTED_FIELD, pin: REDACTED_FIELD },
      'a/b': REDACTED_FIELD,
      total: 99,
    });
    expect(JSON.stringify(data)).toBe(before); // the original is untouched
  });

  it('replaces the whole payload of a confidential or restricted event by a marker', () => {
    expect(redactEventData({ eventType: 'x', classification: 'confidential' }, data)).toBe('[REDACTED:confidential]');
    expect(redactEventData({ eventType: 'x', classification: 'restricted', sensitiveFields: ['/a'] }, data)).toBe('[REDACTED:restricted]');
    expect(redactEventData({ eventType: 'x', classification: 'internal', sensitiveFields: [''] }, data)).toBe(REDACTED_FIELD);
  });

  it('is a no-op (same objects, no redactor) for public/internal events without sensitive fields', () => {
    const plain: RedactionInfo = { eventType: 'x', classification: 'public' };
    expect(redactorFor(plain)).toBeUndefined();
    expect(redactorFor({ eventType: 'x', classification: 'internal', sensitiveFields: [] })).toBeUndefined();
    expect(redactEventData(plain, data)).toBe(data);
    const error = new Error('jane.doe@example.com');
    expect(redactEventError(plain, data, error)).toBe(error);
  });

  it('tolerates paths that do not match the data (missing, wrong type, out of range)', () => {
    const odd = { customer: 'not an object', payment: { cards: 'none' } };
    expect(redactEventData(fields, odd)).toEqual(odd);
    expect(redactEventData({ eventType: 'x', classification: 'internal', sensitiveFields: ['/list/3'] }, { list: [1] })).toEqual({ list: [1] });
  });
});

describe('redaction of texts and errors', () => {
  it('removes every sensitive value of length >= 4 from a text, never growing it', () => {
    const text = 'card 4242 of jane.doe@example.com (order o-1, total 99, pin 123456) and "jane.doe@example.com"';
    const out = redactEventText(fields, data, text);
    expect(out).not.toContain('jane.doe@example.com');
    expect(out).not.toContain('4242');
    expect(out).not.toContain('123456');
    expect(out).toContain('order o-1, total 99'); // not sensitive (and o-1 is too short anyway)
    expect(out.length).toBeLessThanOrEqual(text.length);
    expect(out).toContain('card **** of [REDACTED]');
  });

  it('leaves values shorter than 4 characters (documented limit)', () => {
    const info: RedactionInfo = { eventType: 'x', classification: 'internal', sensitiveFields: ['/code'] };
    expect(redactEventText(info, { code: 'ab1' }, 'code ab1')).toBe('code ab1');
  });

  it('scrubs a handler error that embeds values: message, stack, cause and own fields; keeps class and retriability', () => {
    const cause = new Error('lookup failed for jane.doe@example.com');
    const error = new RetriableError(`could not charge card 4242 of jane.doe@example.com`, { cause });
    (error as unknown as Record<string, unknown>)['details'] = { email: 'jane.doe@example.com', n: 123456, kept: 'ok' };
    const out = redactEventError(fields, data, error) as RetriableError & { details: Record<string, unknown> };
    expect(out).not.toBe(error);
    expect(out).toBeInstanceOf(RetriableError);
    expect(out.name).toBe('RetriableError');
    expect(isRetriable(out)).toBe(true);
    const all = JSON.stringify({ m: out.message, s: out.stack, c: (out.cause as Error).message, cs: (out.cause as Error).stack, d: out.details });
    for (const secret of ['jane.doe@example.com', '4242', '123456']) expect(all).not.toContain(secret);
    expect(out.details['kept']).toBe('ok');
    expect(error.message).toContain('jane.doe@example.com'); // the thrown error itself is not changed
  });

  it('returns the same error when it mentions no sensitive value', () => {
    const error = new NonRetriableError('nothing to see');
    expect(redactEventError(fields, data, error)).toBe(error);
  });

  it('scrubs Zod issue messages of a validation error (custom messages quoting the input) and drops issue inputs', () => {
    const schema = z.object({ email: z.string().refine((v) => v.endsWith('.org'), { message: 'jane.doe@example.com is not allowed' }) });
    const parsed = schema.safeParse({ email: 'jane.doe@example.com' });
    expect(parsed.success).toBe(false);
    const issues = (parsed.error?.issues ?? []).map((i) => ({ ...i, input: 'jane.doe@example.com' })) as unknown as z.core.$ZodIssue[];
    const error = new EventValidationError('order.created', issues);
    const out = redactEventError({ eventType: 'x', classification: 'confidential' }, { email: 'jane.doe@example.com' }, error) as EventValidationError;
    expect(out).toBeInstanceOf(EventValidationError);
    expect(out.stage).toBe('consume');
    expect(JSON.stringify({ m: out.message, s: out.stack, i: out.issues })).not.toContain('jane.doe@example.com');
    expect(out.message).toContain('email:'); // the field path stays
  });

  it('masks the quoted input in JSON.parse errors of undecodable records on topics with sensitive events', () => {
    let syntax: Error | undefined;
    try {
      JSON.parse('jane.doe@example.com');
    } catch (e) {
      syntax = e as Error;
    }
    const error = new DecodeError(`Record value is not JSON: ${syntax?.message}`, { cause: syntax });
    const topic = { eventTypes: ['order.created'], resolve: () => ({ kind: 'exact', definition: fields }) };
    const out = redactUndecoded(topic, error) as DecodeError;
    expect(out).toBeInstanceOf(DecodeError);
    expect(JSON.stringify({ m: out.message, s: out.stack, c: (out.cause as Error).message })).not.toContain('jane.doe');
    const plainTopic = { eventTypes: ['a'], resolve: () => ({ kind: 'exact', definition: { eventType: 'a', classification: 'internal' as const } }) };
    expect(redactUndecoded(plainTopic, error)).toBe(error);
    expect(maskQuoted('a "b" c "d" e')).toBe('a ********* e');
  });

  it('wraps a logger: messages, fields, errors and child fields are scrubbed; no wrapper for events with nothing sensitive', () => {
    const lines: string[] = [];
    const base = createLogger({ level: 'debug', write: (l) => void lines.push(l) });
    expect(redactingLogger(base, { eventType: 'x', classification: 'internal' }, data)).toBe(base);
    const log = redactingLogger(base, fields, data).child({ who: 'jane.doe@example.com' });
    log.info('mail to jane.doe@example.com', { card: data.payment.cards[0], error: new Error('pin 123456 wrong'), total: 99 });
    const [line] = lines;
    for (const secret of ['jane.doe@example.com', '4242', '123456']) expect(line).not.toContain(secret);
    expect(JSON.parse(line ?? '{}')).toMatchObject({ msg: 'mail to [REDACTED]', who: '[REDACTED]', card: { brand: 'visa', last4: '****' }, total: 99 });
  });
});
