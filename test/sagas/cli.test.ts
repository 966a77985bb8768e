/**
 * `gen events --with sagas` through the CLI on disk: step stubs and steps.ts are scaffolds (created once, kept when
 * edited, never overwritten), managed saga files are rewritten and checked by --check, an invalid x-sagas is a
 * located error (exit 1, nothing written).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main, type Io } from '../../generator/cli.js';
import { fixtureText } from './support.js';

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

function workspace(text: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'eventgen-sagas-'));
  temps.push(dir);
  mkdirSync(path.join(dir, 'catalog'));
  writeFileSync(path.join(dir, 'catalog/asyncapi.yaml'), text);
  return dir;
}

async function gen(cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), cwd, color: false };
  return { code: await main(argv, io), out, err };
}

const ARGS = ['events', '--catalog', 'catalog/asyncapi.yaml', '--out', 'out', '--no-docs', '--with', 'sagas'];

describe('gen events --with sagas (CLI)', () => {
  it('scaffolds step stubs once and keeps your edits; managed files are regenerated; --check passes', async () => {
    const ws = workspace(fixtureText());
    expect((await gen(ws, ...ARGS)).code).toBe(0);
    const stub = path.join(ws, 'out/sagas/order-fulfillment/steps/charge-payment.step.ts');
    const flow = path.join(ws, 'out/sagas/order-fulfillment/flow.ts');
    expect(readFileSync(stub, 'utf8')).toMatch(/^\/\/ Scaffolded by eventgen/);
    writeFileSync(stub, readFileSync(stub, 'utf8').replace('throw new NotImplementedError', '/* mine */ throw new NotImplementedError'));
    writeFileSync(flow, readFileSync(flow, 'utf8').replace('export const SAGA = {', 'export const TAMPERED = 1;\nexport const SAGA = {'));
    const again = await gen(ws, ...ARGS);
    expect(again.code).toBe(0);
    expect(readFileSync(stub, 'utf8')).toContain('/* mine */');
    expect(readFileSync(flow, 'utf8')).not.toContain('TAMPERED');
    expect((await gen(ws, ...ARGS, '--check')).code).toBe(0);
    // Without sagas the managed files go, your step stubs stay.
    expect((await gen(ws, 'events', '--catalog', 'catalog/asyncapi.yaml', '--out', 'out', '--no-docs')).code).toBe(0);
    expect(existsSync(flow)).toBe(false);
    expect(readFileSync(stub, 'utf8')).toContain('/* mine */');
  });

  it('an invalid x-sagas is a located error: exit 1, nothing written', async () => {
    const ws = workspace(fixtureText().replace('on: payment.captured', 'on: payment.capturd'));
    const r = await gen(ws, ...ARGS);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/catalog\/asyncapi\.yaml:\d+:\d+ {2}error {2}saga-unknown-event {2}saga "order-fulfillment", step "reserve-stock": on "payment\.capturd" is not an event of the catalog \(did you mean "payment\.captured"\?\)/);
    expect(existsSync(path.join(ws, 'out'))).toBe(false);
  });
});
