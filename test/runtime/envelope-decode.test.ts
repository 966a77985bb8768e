/**
 * decodeEnvelope's UTF-8 check: the hot path decodes the bytes once and validates them separately only when the text
 * contains U+FFFD. Property test against the previous implementation (`isUtf8` first, then `JSON.parse` of the text):
 * the same envelope or the same error (class and message) for every input, valid and invalid.
 */
import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { rng } from '../support/rng.js';
import { DecodeError, EnvelopeError, decodeEnvelope, encodeEnvelope, type Envelope } from '../../templates/runtime/index.js';

/** The previous decodeEnvelope up to the envelope check (the part this change touches), as reference. */
function reference(value: Buffer): { ok: true; value: unknown } | { ok: false; error: string } {
  if (value.length === 0) return { ok: false, error: 'Record has no value (tombstone or empty)' };
  if (value.length >= 5 && value[0] === 0) return { ok: false, error: 'avro' };
  if (!isUtf8(value)) return { ok: false, error: 'Record value is not valid UTF-8' };
  try {
    return { ok: true, value: JSON.parse(value.toString('utf8')) };
  } catch (error) {
    return { ok: false, error: `Record value is not JSON: ${(error as Error).message}` };
  }
}

function actual(value: Buffer): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: decodeEnvelope(value, {}) };
  } catch (error) {
    if (error instanceof EnvelopeError) return { ok: true, value: 'not an envelope' };
    expect(error).toBeInstanceOf(DecodeError);
    const message = (error as Error).message;
    return { ok: false, error: message.includes('Avro in the Confluent wire format') ? 'avro' : message };
  }
}


const envelope: Envelope = {
  metadata: { eventId: 'e-1', eventType: 'order.created', eventVersion: '1.0.0', correlationId: 'c-1', timestamp: '2026-01-01T00:00:00Z', source: 'test', dataClassification: 'internal', partitionKey: null },
  data: { text: 'grüße – ✓ 😀 \uFFFD', n: 1 },
};

// Byte sequences around the edges of UTF-8: replacement char, surrogates, overlongs, out of range, truncated.
const PIECES = [
  [0xef, 0xbf, 0xbd], // U+FFFD itself (valid)
  [0xed, 0xa0, 0x80], // encoded surrogate D800 (invalid)
  [0xed, 0x9f, 0xbf], // U+D7FF (valid)
  [0xc0, 0x80], // overlong NUL
  [0xc1, 0xbf], // overlong
  [0xe0, 0x80, 0x80], // overlong 3-byte
  [0xf0, 0x90, 0x80, 0x80], // U+10000 (valid)
  [0xf4, 0x8f, 0xbf, 0xbf], // U+10FFFF (valid)
  [0xf4, 0x90, 0x80, 0x80], // > U+10FFFF
  [0xf5, 0x80, 0x80, 0x80],
  [0xff],
  [0xfe],
  [0x80], // lone continuation
  [0xe2, 0x82], // truncated
  [0xf0, 0x9f, 0x98], // truncated emoji
  [0xc3, 0xa9], // é (valid)
  [0x22],
  [0x7b],
  [0x7d],
];

function sample(next: () => number): Buffer {
  const kind = Math.floor(next() * 4);
  if (kind === 0) {
    // Random bytes.
    return Buffer.from(Array.from({ length: 1 + Math.floor(next() * 40) }, () => Math.floor(next() * 256)));
  }
  if (kind === 1) {
    // A valid envelope with a few bytes replaced or inserted.
    const bytes = [...encodeEnvelope(envelope)];
    for (let k = Math.floor(next() * 3); k >= 0; k--) {
      const piece = PIECES[Math.floor(next() * PIECES.length)] as number[];
      bytes.splice(Math.floor(next() * bytes.length), next() < 0.5 ? piece.length : 0, ...piece);
    }
    return Buffer.from(bytes);
  }
  if (kind === 2) {
    // JSON strings built from edge pieces.
    const bytes = [0x22];
    for (let k = Math.floor(next() * 6); k >= 0; k--) bytes.push(...(PIECES[Math.floor(next() * PIECES.length)] as number[]));
    bytes.push(0x22);
    return Buffer.from(bytes);
  }
  // Valid text with arbitrary code points (some U+FFFD), as JSON or not.
  const points = Array.from({ length: 1 + Math.floor(next() * 12) }, () => (next() < 0.2 ? 0xfffd : next() < 0.5 ? 0x20 + Math.floor(next() * 0x60) : Math.floor(next() * 0xd7ff)));
  const text = String.fromCodePoint(...points);
  return Buffer.from(next() < 0.5 ? JSON.stringify(text) : text, 'utf8');
}

describe('decodeEnvelope UTF-8 check', () => {
  it('decodes a valid envelope with non-ASCII text and U+FFFD in it unchanged', () => {
    expect(decodeEnvelope(encodeEnvelope(envelope), {})).toEqual(envelope);
  });

  it('rejects invalid UTF-8 with a DecodeError, also when the text has a U+FFFD elsewhere', () => {
    const valid = encodeEnvelope(envelope);
    const broken = Buffer.concat([valid.subarray(0, valid.length - 2), Buffer.from([0xff]), valid.subarray(valid.length - 2)]);
    expect(() => decodeEnvelope(broken, {})).toThrow(DecodeError);
    expect(() => decodeEnvelope(broken, {})).toThrow('Record value is not valid UTF-8');
    expect(() => decodeEnvelope(Buffer.from('"\uFFFD"\u00ff', 'latin1'), {})).toThrow('Record value is not valid UTF-8');
  });

  it('gives the same result as isUtf8 + JSON.parse for 20,000 generated inputs, valid and invalid', () => {
    const next = rng(0x5eed);
    let invalid = 0;
    let replacement = 0;
    for (let i = 0; i < 20_000; i++) {
      const value = sample(next);
      const want = reference(value);
      if (!isUtf8(value)) invalid++;
      if (value.toString('utf8').includes('\uFFFD') && isUtf8(value)) replacement++;
      const got = actual(value);
      if (want.ok) expect(got.ok, `input ${value.toString('hex')}`).toBe(true);
      else expect(got, `input ${value.toString('hex')}`).toEqual(want);
    }
    // The generator reaches both sides of the check and valid text with a literal U+FFFD.
    expect(invalid).toBeGreaterThan(2_000);
    expect(replacement).toBeGreaterThan(500);
  });
});
