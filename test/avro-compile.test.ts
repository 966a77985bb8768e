/**
 * The Avro fixture (test/fixtures/avro: every Avro construct, a named type from an `.avsc` file) generates trees that
 * type-check under `tsc --strict` for both targets, and its Zod validators accept a valid sample and reject invalid
 * ones (the generated schema module is imported and run).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generate } from '../generator/index.js';
import { typecheckNest } from './nestjs/support.js';
import { ROOT, typecheck, writeTree } from './support/tree.js';

const CATALOG = 'test/fixtures/avro/asyncapi.yaml';
const ANY = /(:\s*any\b|<any>|\bas any\b|any\[\])/;

interface Parser {
  safeParse(v: unknown): { success: boolean; data?: unknown };
}

const VALID = {
  orderId: '3f2b1c4e-8a7d-4e2f-9b1a-0c6d5e4f3a2b',
  quantity: 2,
  placedAt: 1_733_011_200_000,
  placedAtMicros: 1_733_011_200_000_000,
  localAt: 1_733_011_200_000,
  deliveryDate: 20_060,
  cutoff: 61_200_000,
  ratio: 0.5,
  total: 19.99,
  paid: true,
  signature: '\u0001\u0002',
  amount: '\u0007\u00d0',
  checksum: '0123456789abcdef',
  lines: [{ sku: 'A-1' }],
  attributes: { weight: 1200 },
  reference: 'r-1',
  legacyCode: null,
  shipTo: { street: 'Main St 1', city: 'Springfield' },
};

describe('Avro fixture: compiling trees and working validators', () => {
  it('type-checks for plain and nestjs, with no any', async () => {
    const plain = await generate(CATALOG, { cwd: ROOT });
    const nest = await generate(CATALOG, { cwd: ROOT, target: 'nestjs' });
    for (const r of [plain, nest]) {
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      for (const f of r.files) expect(ANY.test(f.content), f.path).toBe(false);
    }
    expect(typecheck([writeTree('avro/plain', plain.files)])).toEqual([]);
    expect(typecheckNest([writeTree('avro/nestjs', nest.files)])).toEqual([]);
  }, 240_000);

  it('the Zod validator accepts a valid sample (defaults applied) and rejects invalid ones', async () => {
    const plain = await generate(CATALOG, { cwd: ROOT });
    const dir = writeTree('avro/run', plain.files);
    const mod = (await import(pathToFileURL(path.join(dir, 'schemas/order-placed.ts')).href)) as { OrderPlacedSchema: Parser };
    const schema = mod.OrderPlacedSchema;

    const ok = schema.safeParse(VALID);
    expect(ok.success).toBe(true);
    expect(ok.data).toMatchObject({ status: 'OPEN', note: null, billTo: null, previous: null, channel: 'web', lines: [{ sku: 'A-1', count: 1 }], shipTo: { zip: null } });

    const invalid: Array<[string, Record<string, unknown>]> = [
      ['int out of range', { quantity: 2 ** 31 }],
      ['int not an integer', { quantity: 1.5 }],
      ['uuid', { orderId: 'not-a-uuid' }],
      ['fixed size', { checksum: 'short' }],
      ['enum symbol', { status: 'LOST' }],
      ['union branch', { reference: true }],
      ['non-nullable field null', { total: null }],
      ['map value type', { attributes: { weight: 'heavy' } }],
      ['nested record', { shipTo: { street: 'x' } }],
      ['time-millis range', { cutoff: 86_400_000 }],
    ];
    for (const [what, patch] of invalid) expect(schema.safeParse({ ...VALID, ...patch }).success, what).toBe(false);
    const { quantity: _q, ...missing } = VALID;
    expect(schema.safeParse(missing).success, 'a field without default is required').toBe(false);
  });
});
