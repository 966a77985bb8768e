/**
 * String schemas, and the choice of Zod builder per JSON Schema `format`. The reference is ajv-formats
 * ("full" mode), which is what catalog authors test against. Differences that remain (pinned in
 * test/schema/formats.test.ts):
 *
 * - `date-time`: `z.iso.datetime({ offset: true })` is stricter: it rejects lowercase `t`/`z`, a space
 *   separator, offsets without a colon (`+0100`) or without minutes (`+01`), and leap seconds (`:60`).
 * - `date`: identical (both check days per month and leap years).
 * - `time`: `z.iso.time()` rejects every offset while ajv *requires* one (RFC 3339 full-time), so a regex
 *   is used instead; it rejects leap seconds (`23:59:60Z`), which ajv accepts.
 * - `duration`: `z.iso.duration()` also accepts fractional seconds (`PT1.5S`).
 * - `uuid`: `z.guid()` (any 8-4-4-4-12 hex; `z.uuid()` would demand an RFC 4122 variant); ajv also
 *   accepts a `urn:uuid:` prefix.
 * - `email`: `z.email()` with ajv's own pattern, so the two agree.
 * - `uri`: `z.url()` uses the WHATWG URL parser and is more lenient: it accepts spaces, bad percent
 *   escapes and non-ASCII characters in the path, all of which ajv's RFC 3986 regex rejects.
 * - `hostname`: ajv's own pattern (zod 3.25's `zod/v4` has no `z.hostname()`); `ipv4`: identical regexes.
 * - `ipv6`: identical on addresses; both reject zone ids (`%eth0`).
 * - `byte`: `z.base64()` is stricter: ajv's pattern is multi-line and accepts any string whose last
 *   line is valid base64 (e.g. `"!!!\nQUJD"`).
 */
import type { StringSchema } from '../../model/types.js';
import { tsString } from '../text.js';

/** ajv-formats' full `email` pattern. */
const EMAIL_PATTERN =
  "/^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i";

/** ajv-formats' `hostname` pattern (RFC 1123 labels, at most 253 characters). */
const HOSTNAME_PATTERN = '/^(?=.{1,253}\\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[-0-9a-z]{0,61}[0-9a-z])?)*\\.?$/i';

/** RFC 3339 full-time: seconds and an offset required, as ajv-formats checks it. */
const TIME_PATTERN = '/^(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d+)?(?:[Zz]|[+-](?:[01]\\d|2[0-3])(?::?[0-5]\\d)?)$/';

const FORMAT_BUILDERS: Record<NonNullable<StringSchema['format']>, string> = {
  'date-time': 'z.iso.datetime({ offset: true })',
  date: 'z.iso.date()',
  time: `z.string().regex(${TIME_PATTERN})`,
  duration: 'z.iso.duration()',
  uuid: 'z.guid()',
  email: `z.email({ pattern: ${EMAIL_PATTERN} })`,
  uri: 'z.url()',
  hostname: `z.string().regex(${HOSTNAME_PATTERN})`,
  ipv4: 'z.ipv4()',
  ipv6: 'z.ipv6()',
  byte: 'z.base64()',
};

/** A safe RegExp construction for a catalog pattern (JSON Schema patterns are unanchored, Unicode). */
export function regexExpression(pattern: string): string {
  return `new RegExp(${tsString(pattern)}, 'u')`;
}

export function stringExpression(s: StringSchema): string {
  let code = s.format !== undefined ? FORMAT_BUILDERS[s.format] : 'z.string()';
  // Zod counts UTF-16 code units; JSON Schema counts code points. Only differs for astral characters.
  if (s.minLength !== undefined) code += `.min(${s.minLength})`;
  if (s.maxLength !== undefined) code += `.max(${s.maxLength})`;
  if (s.pattern !== undefined) code += `.regex(${regexExpression(s.pattern)})`;
  return code;
}
