/**
 * Compile tests: every generated tree (bundled catalog, fixtures) type-checks under the strictest NodeNext settings,
 * in one TypeScript program, and contains no `any`. The shared corpus is checked by corpus.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedFile } from '../generator/emit/types.js';
import { generate, generateFromString } from '../generator/index.js';
import { typecheckNest } from './nestjs/support.js';
import { COMPILE_ONLY_FIXTURES, FIXTURE_CATALOGS, fixturePath, generateAt, ROOT, typecheck, writeTree } from './support/tree.js';

const ANY = /(:\s*any\b|<any>|\bas any\b|any\[\])/;

describe('compile: generated trees under tsc --strict (NodeNext)', () => {
  it('type-checks the bundled catalog and every fixture with zero errors and no any', async () => {
    const dirs: string[] = [];
    const catalogs: Array<[string, string]> = [
      ['shop', path.join(ROOT, 'catalog/shop.asyncapi.yaml')],
      ...[...FIXTURE_CATALOGS, ...COMPILE_ONLY_FIXTURES].map((n) => [n, fixturePath(n)] as [string, string]),
    ];
    for (const [name, file] of catalogs) {
      const result = await generateAt(file);
      expect(result.files.length, name).toBeGreaterThan(0);
      for (const f of result.files) expect(ANY.test(f.content), `${name}/${f.path} contains any`).toBe(false);
      dirs.push(writeTree(path.join('compile', name), result.files));
    }
    expect(typecheck(dirs)).toEqual([]);
  });
});

describe('compile: --with live trees under tsc --strict (NodeNext)', () => {
  it('type-checks the live fixture and the hostile fixture with the gateway and live/, with no any', async () => {
    const dirs: string[] = [];
    for (const name of ['live', 'hostile']) {
      const result = await generate(path.relative(ROOT, fixturePath(name)), { cwd: ROOT, services: ['gateway', 'live'] });
      expect(result.diagnostics.filter((d) => d.severity === 'error'), name).toEqual([]);
      expect(result.files.some((f) => f.path === 'live/channels.ts'), name).toBe(true);
      for (const f of result.files) expect(ANY.test(f.content), `${name}/${f.path} contains any`).toBe(false);
      dirs.push(writeTree(path.join('compile-live', name), result.files));
    }
    expect(typecheck(dirs)).toEqual([]);
  });
});

describe('compile: --with outbox trees under tsc --strict (NodeNext)', () => {
  it('type-checks the bundled catalog and the hostile fixture with outbox/, with no any', async () => {
    const dirs: string[] = [];
    for (const [name, file] of [['shop', path.join(ROOT, 'catalog/shop.asyncapi.yaml')], ['hostile', fixturePath('hostile')]] as const) {
      const result = await generate(path.relative(ROOT, file), { cwd: ROOT, services: ['outbox'] });
      expect(result.diagnostics.filter((d) => d.severity === 'error'), name).toEqual([]);
      expect(result.files.some((f) => f.path === 'outbox/producers.ts'), name).toBe(true);
      for (const f of result.files) expect(ANY.test(f.content), `${name}/${f.path} contains any`).toBe(false);
      dirs.push(writeTree(path.join('compile-outbox', name), result.files));
    }
    expect(typecheck(dirs)).toEqual([]);
  });
});

/**
 * zod compatibility. Generated code (and the runtime) import `zod/v4`: the Zod 4 API under the same path in zod
 * 3.25.x and zod 4.x. The repository itself is on zod 4; a project pinned to zod 3.25 is a temporary package under
 * .cache/ (gitignored; installed once with npm, reused afterwards) that the trees are written into, so `zod/v4`
 * resolves to zod 3.25 there and everything else to the repository's node_modules.
 */
const ZOD3 = '3.25.76';
const ZOD3_DIR = path.join(ROOT, '.cache', `zod-${ZOD3}`);

function installZod3(): void {
  const pkg = path.join(ZOD3_DIR, 'node_modules/zod/package.json');
  if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version === ZOD3) return;
  mkdirSync(ZOD3_DIR, { recursive: true });
  writeFileSync(path.join(ZOD3_DIR, 'package.json'), JSON.stringify({ name: 'eventgen-zod3-project', private: true, type: 'module' }) + '\n');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts', `zod@${ZOD3}`], { cwd: ZOD3_DIR, stdio: 'pipe', timeout: 180_000 });
}

/** Write a tree into the zod 3.25 project. */
function writeZod3Tree(name: string, files: readonly GeneratedFile[]): string {
  const dir = path.join(ZOD3_DIR, 'trees', name);
  rmSync(dir, { recursive: true, force: true });
  for (const f of files) {
    mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
    writeFileSync(path.join(dir, f.path), f.content);
  }
  return dir;
}

/** A oneOf whose members overlap: only an exclusive union rejects a value that matches both. */
const ONE_OF = [
  'asyncapi: 3.0.0',
  'info: { title: One Of, version: "1" }',
  'channels:',
  '  c:',
  '    address: oneof.c',
  '    messages:',
  '      m:',
  '        name: shape.changed',
  '        payload:',
  '          oneOf:',
  '            - { type: object, required: [a], properties: { a: { type: integer } } }',
  '            - { type: object, required: [b], properties: { b: { type: integer } } }',
].join('\n');

interface Parser {
  safeParse(value: unknown): { success: boolean };
  _zod: { version: { major: number; minor: number } };
}

describe(`zod compatibility: zod ${ZOD3} (zod/v4 of zod 3) and zod 4`, () => {
  beforeAll(installZod3, 240_000);

  it('type-checks the bundled catalog and every fixture, both targets, against zod 3.25', async () => {
    const plain: string[] = [];
    const nest: string[] = [];
    for (const name of ['shop', ...FIXTURE_CATALOGS, ...COMPILE_ONLY_FIXTURES]) {
      const file = name === 'shop' ? path.join(ROOT, 'catalog/shop.asyncapi.yaml') : fixturePath(name);
      plain.push(writeZod3Tree(`plain-${name}`, (await generateAt(file)).files));
      nest.push(writeZod3Tree(`nestjs-${name}`, (await generate(path.relative(ROOT, file), { cwd: ROOT, target: 'nestjs' })).files));
    }
    for (const f of (await generateAt(path.join(ROOT, 'catalog/shop.asyncapi.yaml'))).files.filter((x) => x.path.endsWith('.ts'))) {
      expect(f.content, f.path).not.toMatch(/from 'zod'/); // every import of zod is zod/v4
    }
    expect(typecheck(plain)).toEqual([]);
    expect(typecheckNest(nest)).toEqual([]);
  }, 240_000); // two full tsc runs over every fixture's tree: 66-74 s on a loaded 2-core machine, past the 60 s default

  it.each([
    ['zod 3.25', () => ZOD3_DIR, 0],
    ['zod 4', () => path.join(ROOT, 'test/output'), 6],
  ] as const)('%s: generated code validates, produces and consumes, with exclusive oneOf', async (_label, base, minor) => {
    const shopFiles = (await generateAt(path.join(ROOT, 'catalog/shop.asyncapi.yaml'))).files;
    const oneOfFiles = generateFromString(ONE_OF).files;
    const write = (name: string, files: readonly GeneratedFile[]): string =>
      base() === ZOD3_DIR ? writeZod3Tree(`run-${name}`, files) : writeTree(path.join('zod4', name), files);
    const shopDir = write('shop', shopFiles);
    const oneOfDir = write('oneof', oneOfFiles);

    const shop = (await import(path.join(shopDir, 'index.ts'))) as typeof import('../generated/index.js');
    const orderCreated = shop.events['order.created'].schema as unknown as Parser;
    expect(orderCreated._zod.version.minor).toBe(minor); // the zod the tree resolved: 4.0 inside zod 3.25, 4.x else
    const example = (await generateAt(path.join(ROOT, 'catalog/shop.asyncapi.yaml'))).catalog?.events.find((e) => e.type === 'order.created')?.examples[0]?.payload;
    const transport = new shop.InMemoryTransport();
    const producers = shop.createProducers(new shop.EventProducer({ transport, source: 'zod-check', logger: shop.silentLogger }));
    const seen: string[] = [];
    const handler = { handle: async (data: { orderId: string }): Promise<void> => void seen.push(data.orderId) };
    const consumer = shop.paymentService.createConsumer({ transport, logger: shop.silentLogger, fromBeginning: true, handlers: { orderCreated: handler, orderCancelled: handler } });
    await consumer.start();
    await producers.shopOrdersV1.orderCreated(example as never);
    await expect(producers.shopOrdersV1.orderCreated({ orderId: 42 } as never)).rejects.toBeInstanceOf(shop.EventValidationError);
    await transport.drain();
    await consumer.stop();
    expect(seen).toEqual([(example as { orderId: string }).orderId]);

    const oneOf = (await import(path.join(oneOfDir, 'schemas/shape-changed.ts'))) as Record<string, Parser>;
    const schema = oneOf['ShapeChangedSchema'] as Parser;
    expect([{ a: 1 }, { b: 2 }, { a: 1, b: 2 }, {}].map((v) => schema.safeParse(v).success)).toEqual([true, true, false, false]);
  });

  it('declares zod as a peer dependency covering both', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { peerDependencies?: Record<string, string> };
    expect(pkg.peerDependencies?.['zod']).toBe(`^${ZOD3} || ^4.0.0`);
  });
});
