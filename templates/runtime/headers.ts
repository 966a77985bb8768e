import { isUtf8 } from 'node:buffer';
import type { HeaderValue, RecordHeaders } from './transport.js';

/**
 * Decoded (UTF-8) record headers: one string per header name (the last value when repeated). The object has no
 * prototype, so any header name (`__proto__`, `constructor`) is just a key.
 */
export type EventHeaders = Readonly<Record<string, string>>;

/** What {@link decodeHeaders} could not turn into text: names of null-valued and non-UTF-8 headers. */
export interface HeaderProblems {
  /** Headers whose (last) value is null: left out of the decoded headers. */
  nulls: string[];
  /** Headers whose (last) value is not valid UTF-8: left out of the decoded headers. */
  invalid: string[];
}

/**
 * Decodes raw headers to strings: the last value of a repeated header wins (as Kafka clients' `lastHeader`);
 * null values and values that are not valid UTF-8 are left out (they stay in the raw record, and the dead-letter
 * record forwards them unchanged). Never throws.
 */
export function decodeHeaders(headers: RecordHeaders, problems?: HeaderProblems): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const name in headers) {
    if (!Object.prototype.hasOwnProperty.call(headers, name)) continue;
    const raw = headers[name];
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    const text = headerText(value);
    if (text !== undefined) out[name] = text;
    else if (value === null || value === undefined) problems?.nulls.push(name);
    else problems?.invalid.push(name);
  }
  return out;
}

/** A header value as text, or undefined for null and invalid UTF-8. */
export function headerText(value: HeaderValue | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  return isUtf8(value) ? value.toString('utf8') : undefined;
}

/** A copy of raw headers (arrays copied, values shared), safe for any header name. */
export function copyHeaders(headers: RecordHeaders): RecordHeaders {
  const out: RecordHeaders = Object.create(null) as RecordHeaders;
  for (const name in headers) {
    if (!Object.prototype.hasOwnProperty.call(headers, name)) continue;
    const value = headers[name];
    if (value !== undefined) out[name] = Array.isArray(value) ? [...value] : value;
  }
  return out;
}

/** UTF-8 byte length of a header name plus all its values (how Kafka counts them against `max.message.bytes`). */
export function headerBytes(name: string, value: HeaderValue | HeaderValue[] | undefined): number {
  const values = Array.isArray(value) ? value : [value];
  let bytes = 0;
  for (const v of values) {
    bytes += Buffer.byteLength(name, 'utf8') + 2;
    if (v !== null && v !== undefined) bytes += typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length;
  }
  return bytes;
}

/** `text` cut to at most `maxBytes` UTF-8 bytes (never splitting a character), with `…` when cut. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const ellipsis = '…';
  const budget = Math.max(0, maxBytes - Buffer.byteLength(ellipsis, 'utf8'));
  const bytes = Buffer.from(text, 'utf8');
  let end = Math.min(budget, bytes.length);
  // Step back over UTF-8 continuation bytes (10xxxxxx) so a character is never split.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8') + ellipsis;
}
