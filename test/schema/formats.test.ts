/**
 * Pins where the emitted Zod format validators and ajv-formats (full mode) agree and where they
 * differ (documented in generator/emit/zod/strings.ts). If a dependency changes behaviour, this fails.
 */
import { createRequire } from 'node:module';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { zodExpression } from '../../generator/emit/zod/index.js';
import type { StringFormat } from '../../generator/model/types.js';

const require = createRequire(import.meta.url);
const Ajv = require('ajv').default as new (o: object) => { compile(s: object): (d: unknown) => boolean };
const addFormats = require('ajv-formats').default as (a: unknown) => void;
const ajv = new Ajv({ strict: false });
addFormats(ajv);

const ctx = { schemaRef: (id: string) => id, isRecursive: () => false, lookup: () => undefined };
function zodFor(format: StringFormat): z.ZodType {
  const code = zodExpression({ kind: 'string', format }, ctx);
  const js = ts.transpileModule(`return ${code};`, { compilerOptions: { target: ts.ScriptTarget.ES2022 } }).outputText;
  return new Function('z', js)(z) as z.ZodType;
}

/** [format, value, ajv accepts, zod accepts] */
const CASES: Array<[StringFormat, string, boolean, boolean]> = [
  ['date-time', '2024-01-01T10:00:00Z', true, true],
  ['date-time', '2024-01-01T10:00:00.123+01:00', true, true],
  ['date-time', '2024-01-01T10:00:00', false, false],
  ['date-time', '2024-02-30T10:00:00Z', false, false],
  ['date-time', '2024-01-01t10:00:00z', true, false],
  ['date-time', '2024-01-01 10:00:00Z', true, false],
  ['date-time', '2024-01-01T10:00:00+0100', true, false],
  ['date-time', '2016-12-31T23:59:60Z', true, false],
  ['date', '2024-02-29', true, true],
  ['date', '2023-02-29', false, false],
  ['time', '10:00:00Z', true, true],
  ['time', '10:00:00.5+01:00', true, true],
  ['time', '10:00:00', false, false],
  ['time', '23:59:60Z', true, false],
  ['duration', 'P1DT2H', true, true],
  ['duration', 'P1W', true, true],
  ['duration', 'PT', false, false],
  ['duration', 'PT1.5S', false, true],
  ['uuid', '123e4567-e89b-12d3-a456-426614174000', true, true],
  ['uuid', '00000000-0000-0000-0000-000000000000', true, true],
  ['uuid', 'urn:uuid:123e4567-e89b-12d3-a456-426614174000', true, false],
  ['email', 'a!b@example.com', true, true],
  ['email', 'a..b@example.com', false, false],
  ['email', 'a@1.2', true, true],
  ['uri', 'https://example.com/a?b=c#d', true, true],
  ['uri', 'urn:isbn:0451450523', true, true],
  ['uri', 'not a uri', false, false],
  ['uri', 'http://example.com/a b', false, true],
  ['uri', 'http://example.com/%zz', false, true],
  ['hostname', 'example.com', true, true],
  ['hostname', '-bad.com', false, false],
  ['ipv4', '192.168.0.1', true, true],
  ['ipv4', '01.2.3.4', false, false],
  ['ipv6', '::ffff:192.0.2.1', true, true],
  ['ipv6', 'fe80::1%eth0', false, false],
  ['byte', 'QUJD', true, true],
  ['byte', 'QQ', false, false],
  ['byte', '!!!\nQUJD', true, false],
];

describe('string formats: Zod vs ajv-formats', () => {
  it.each(CASES)('%s %j: ajv %s, zod %s', (format, value, ajvAccepts, zodAccepts) => {
    expect(ajv.compile({ type: 'string', format })(value)).toBe(ajvAccepts);
    expect(zodFor(format).safeParse(value).success).toBe(zodAccepts);
  });
});
