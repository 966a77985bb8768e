/**
 * The CLI end to end, in-process, on temporary copies of catalogs: ownership rules, --check, --dry-run,
 * failure atomicity, confinement, usage errors.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main, type Io } from '../generator/cli.js';
import { fixturePath, ROOT } from './support/tree.js';

const temps: string[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

function workspace(catalog: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'eventgen-cli-'));
  temps.push(dir);
  cpSync(path.dirname(catalog), path.join(dir, 'catalog'), { recursive: true });
  return dir;
}

async function gen(cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => (out += s + '\n'), err: (s) => (err += s + '\n'), cwd, color: false };
  const code = await main(argv, io);
  return { code, out, err };
}

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every file under dir with its content (to prove nothing changed). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out[path.relative(dir, full)] = readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return out;
}

const MINIMAL = fixturePath('minimal');
const CATALOG = ['--catalog', 'catalog/asyncapi.yaml', '--out', 'out'];

describe('gen events', () => {
  it('generates, then reports everything unchanged on a second run', async () => {
    const ws = workspace(MINIMAL);
    const first = await gen(ws, 'events', ...CATALOG);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/\d+ written, 0 unchanged, 0 removed, \d+ stubs created/);
    const second = await gen(ws, 'events', ...CATALOG);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/ 0 written, \d+ unchanged, 0 removed, 0 stubs created, \d+ stubs kept, 0 orphan stubs/);
  });

  it('never overwrites a user-modified stub, and --check passes after regeneration', async () => {
    const ws = workspace(MINIMAL);
    expect((await gen(ws, 'events', ...CATALOG)).code).toBe(0);
    const stubs = Object.keys(snapshot(path.join(ws, 'out'))).filter((p) => p.endsWith('.event-handler.ts'));
    expect(stubs.length).toBeGreaterThan(0);
    const stub = path.join(ws, 'out', stubs[0] ?? '');
    const mine = readFileSync(stub, 'utf8').replace('throw new NotImplementedError', 'context.logger.info("mine"); throw new NotImplementedError');
    writeFileSync(stub, mine);

    // Change the catalog: generated code drifts; --check says so and writes nothing.
    const catalogFile = path.join(ws, 'catalog/asyncapi.yaml');
    writeFileSync(catalogFile, readFileSync(catalogFile, 'utf8').replace(/title: .*/, 'title: Renamed Catalog'));
    const before = snapshot(path.join(ws, 'out'));
    const check = await gen(ws, 'events', ...CATALOG, '--check');
    expect(check.code).toBe(1);
    expect(check.err).toMatch(/out of date/);
    expect(snapshot(path.join(ws, 'out'))).toEqual(before);

    const regen = await gen(ws, 'events', ...CATALOG);
    expect(regen.code).toBe(0);
    expect(readFileSync(stub, 'utf8')).toBe(mine);
    expect((await gen(ws, 'events', ...CATALOG, '--check')).code).toBe(0);
  });

  it('--dry-run prints the plan and writes nothing', async () => {
    const ws = workspace(MINIMAL);
    const r = await gen(ws, 'events', ...CATALOG, '--dry-run');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/index\.ts/);
    expect(existsSync(path.join(ws, 'out'))).toBe(false);
  });

  it('a failing catalog leaves the output directory untouched', async () => {
    const ws = workspace(MINIMAL);
    expect((await gen(ws, 'events', ...CATALOG)).code).toBe(0);
    const before = snapshot(path.join(ws, 'out'));
    const mtimes = Object.keys(before).map((p) => statSync(path.join(ws, 'out', p)).mtimeMs);
    const catalogFile = path.join(ws, 'catalog/asyncapi.yaml');
    // A valid change plus an invalid one: nothing at all may be written.
    writeFileSync(catalogFile, readFileSync(catalogFile, 'utf8').replace(/title: .*/, 'title: Changed').replace(/asyncapi: .*/, 'asyncapi: 3.0.0\nx-eventgen: { retry: { maxRetries: -1 } }'));
    const r = await gen(ws, 'events', ...CATALOG);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/catalog\/asyncapi\.yaml:\d+:\d+ {2}error {2}extension-invalid/);
    expect(r.err).toMatch(/nothing was written/);
    expect(snapshot(path.join(ws, 'out'))).toEqual(before);
    expect(Object.keys(before).map((p) => statSync(path.join(ws, 'out', p)).mtimeMs)).toEqual(mtimes);
  });

  it('reports orphan stubs and removes orphan managed files when an event leaves the catalog', async () => {
    const ws = workspace(fixturePath('multi-file'));
    expect((await gen(ws, 'events', ...CATALOG)).code).toBe(0);
    const files = Object.keys(snapshot(path.join(ws, 'out')));
    const schema = files.find((p) => p.startsWith('schemas/') && p.includes('user-signed-up'));
    expect(schema).toBeDefined();
    // Remove the user-signed-up message from its channel and from the operations that list it.
    const catalogFile = path.join(ws, 'catalog/asyncapi.yaml');
    const text = readFileSync(catalogFile, 'utf8');
    const edited = text
      .replace("      userSignedUp:\n        $ref: './messages/user-signed-up.yaml'\n", '')
      .replace('#/channels/users/messages/userSignedUp', '#/channels/users/messages/userEmailChanged');
    expect(edited).not.toBe(text);
    writeFileSync(catalogFile, edited);
    const r = await gen(ws, 'events', ...CATALOG);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/orphan-stub/);
    expect(r.out).toMatch(/[1-9]\d* removed/);
    expect(existsSync(path.join(ws, 'out', schema ?? ''))).toBe(false);
    const orphan = files.find((p) => p.endsWith('user-signed-up.event-handler.ts'));
    expect(orphan && existsSync(path.join(ws, 'out', orphan))).toBe(true);
  });

  it('keeps every write inside --out for hostile names', async () => {
    const ws = workspace(fixturePath('hostile'));
    const r = await gen(ws, 'events', ...CATALOG);
    expect(r.code, r.err).toBe(0);
    const all = Object.keys(snapshot(ws));
    for (const p of all) expect(p.startsWith('out/') || p.startsWith('catalog/'), p).toBe(true);
  });

  it('refuses a user file at a managed path instead of overwriting it', async () => {
    const ws = workspace(MINIMAL);
    const mine = path.join(ws, 'out', 'index.ts');
    cpSync(MINIMAL, path.join(ws, 'tmp.yaml'));
    rmSync(path.join(ws, 'tmp.yaml'));
    writeFileSync(path.join(ws, 'placeholder'), '');
    const dir = path.dirname(mine);
    cpSync(path.join(ws, 'placeholder'), path.join(dir, 'index.ts'), { force: true });
    writeFileSync(mine, 'export const mine = 1;\n');
    const r = await gen(ws, 'events', ...CATALOG);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/write-conflict/);
    expect(readFileSync(mine, 'utf8')).toBe('export const mine = 1;\n');
  });
});

describe('gen events --watch', () => {
  it('regenerates when the catalog changes and stops when interrupted', async () => {
    const ws = workspace(MINIMAL);
    let out = '';
    const controller = new AbortController();
    const io: Io = { out: (s) => (out += s + '\n'), err: () => {}, cwd: ws, color: false, signal: controller.signal };
    const done = main(['events', ...CATALOG, '--watch'], io);
    await until(() => out.includes('watching'));
    expect(out.match(/ written,/g)).toHaveLength(1);
    const catalogFile = path.join(ws, 'catalog/asyncapi.yaml');
    writeFileSync(catalogFile, readFileSync(catalogFile, 'utf8').replace(/title: .*/, 'title: Watched Catalog'));
    await until(() => (out.match(/ written,/g) ?? []).length >= 2);
    expect(readFileSync(path.join(ws, 'out/index.ts'), 'utf8')).toContain('Watched Catalog');
    controller.abort();
    expect(await done).toBe(0);
  });
});

describe('usage', () => {
  it('exits 2 on unknown options and commands', async () => {
    const ws = workspace(MINIMAL);
    expect((await gen(ws, 'events', '--bogus')).code).toBe(2);
    expect((await gen(ws, 'nope')).code).toBe(2);
    expect((await gen(ws, 'events', ...CATALOG, '--target', 'angular')).code).toBe(2);
    expect((await gen(ws, 'events', ...CATALOG, '--check', '--dry-run')).code).toBe(2);
    expect(existsSync(path.join(ws, 'out'))).toBe(false);
  });

  it('reads eventgen.config.json and refuses unknown keys in it', async () => {
    const ws = workspace(MINIMAL);
    writeFileSync(path.join(ws, 'eventgen.config.json'), JSON.stringify({ catalog: 'catalog/asyncapi.yaml', out: 'from-config' }));
    expect((await gen(ws, 'events')).code).toBe(0);
    expect(existsSync(path.join(ws, 'from-config', 'index.ts'))).toBe(true);
    writeFileSync(path.join(ws, 'eventgen.config.json'), JSON.stringify({ catalog: 'catalog/asyncapi.yaml', outt: 'x' }));
    const r = await gen(ws, 'events');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown option "outt"/);
  });

  it('--lenient (or "lenient": true in eventgen.config.json) reads a catalog strict mode refuses; --no-lenient overrides the config', async () => {
    const ws = workspace(path.join(ROOT, 'test/fixtures/catalogs/lenient/root-tags-3.yaml'));
    const args = ['--catalog', 'catalog/root-tags-3.yaml', '--out', 'out'];
    const strict = await gen(ws, 'events', ...args);
    expect(strict.code).toBe(1);
    expect(strict.err).toMatch(/catalog\/root-tags-3\.yaml:6:6 {2}error {2}asyncapi-schema {2}Property "tags" is not expected to be here/);
    expect(existsSync(path.join(ws, 'out'))).toBe(false);
    const lenient = await gen(ws, 'events', ...args, '--lenient');
    expect(lenient.code).toBe(0);
    expect(lenient.err).toMatch(/catalog\/root-tags-3\.yaml:7:3 {2}warning {2}asyncapi-schema {2}root `tags` is AsyncAPI 2\.x .*\(--lenient\)/);
    writeFileSync(path.join(ws, 'eventgen.config.json'), JSON.stringify({ catalog: 'catalog/root-tags-3.yaml', out: 'out', lenient: true }));
    expect((await gen(ws, 'events', '--check')).code).toBe(0);
    expect((await gen(ws, 'events', '--check', '--no-lenient')).code).toBe(1);
    writeFileSync(path.join(ws, 'eventgen.config.json'), JSON.stringify({ lenient: 'yes' }));
    const bad = await gen(ws, 'events');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/"lenient" must be true or false/);
  });

  it('prints no colour codes when colour is off (NO_COLOR)', async () => {
    const ws = workspace(MINIMAL);
    const r = await gen(ws, 'events', '--catalog', 'catalog/missing.yaml', '--out', 'out');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/catalog\/missing\.yaml:1:1 {2}error {2}file-unreadable/);
    expect(r.err).not.toMatch(/\u001b\[/);
  });
});

describe('the bundled catalog in this repo', () => {
  it('generated/ is up to date (what CI checks with `gen events --check`)', async () => {
    const r = await gen(ROOT, 'events', '--check');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('gen events --with (optional services)', () => {
  it('--with gateway adds gateway/, --check sees it, the config file can ask for it and --with none overrides that', async () => {
    const ws = workspace(MINIMAL);
    expect((await gen(ws, 'events', ...CATALOG, '--with', 'gateway')).code).toBe(0);
    expect(readdirSync(path.join(ws, 'out/gateway')).sort()).toEqual(['gateway.ts', 'http.ts', 'index.ts', 'main.ts', 'openapi.ts', 'routes.ts']);
    expect(existsSync(path.join(ws, 'out/docs/openapi.json'))).toBe(true);
    // Without the switch the gateway is no longer generated: --check reports drift, a run removes it (managed files).
    expect((await gen(ws, 'events', ...CATALOG, '--check')).code).toBe(1);
    writeFileSync(path.join(ws, 'eventgen.config.json'), JSON.stringify({ catalog: 'catalog/asyncapi.yaml', out: 'out', with: ['gateway'] }));
    expect((await gen(ws, 'events', '--check')).code).toBe(0);
    expect((await gen(ws, 'events', '--with', 'none')).code).toBe(0);
    expect(existsSync(path.join(ws, 'out/gateway'))).toBe(false);
  });

  it('--with live adds live/ (server, client, channels, index, main) next to the gateway; --with none removes it', async () => {
    const ws = workspace(MINIMAL);
    expect((await gen(ws, 'events', ...CATALOG, '--with', 'gateway,live')).code).toBe(0);
    expect(readdirSync(path.join(ws, 'out/live')).sort()).toEqual(['channels.ts', 'client.ts', 'index.ts', 'main.ts', 'server.ts']);
    expect(existsSync(path.join(ws, 'out/gateway/index.ts'))).toBe(true);
    expect((await gen(ws, 'events', ...CATALOG, '--with', 'live', '--check')).code).toBe(1); // the gateway would go
    expect((await gen(ws, 'events', ...CATALOG, '--with', 'none')).code).toBe(0);
    expect(existsSync(path.join(ws, 'out/live'))).toBe(false);
  });

  it('refuses unknown and not yet available services, and a malformed "with", as usage errors (exit 2) writing nothing', async () => {
    const ws = workspace(MINIMAL);
    const unknown = await gen(ws, 'events', ...CATALOG, '--with', 'gatewy');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown service "gatewy" (available: gateway, live, outbox, sagas)');
    writeFileSync(path.join(ws, 'eventgen.config.json'), JSON.stringify({ catalog: 'catalog/asyncapi.yaml', out: 'out', with: 'gateway' }));
    const bad = await gen(ws, 'events');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('"with" must be a list of services');
    expect(existsSync(path.join(ws, 'out'))).toBe(false);
  });
});
