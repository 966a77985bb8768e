/**
 * Golden and compile tests of the NestJS target: the whole tree for the bundled catalog and every fixture catalog,
 * file by file under test/golden/nestjs-<name>/ (the NestJS layer; the shared emitters' output is checked by
 * test/golden.test.ts and compared with the plain target below), type-checked in one program under strict NodeNext with experimentalDecorators
 * and emitDecoratorMetadata. Update with `npx vitest run --project nestjs -u` and review the diff.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { generate } from '../../generator/index.js';
import { COMPILE_ONLY_FIXTURES, FIXTURE_CATALOGS, fixturePath, generateNest, ROOT, SHOP, typecheckNest, writeTree } from './support.js';

const ANY = /(:\s*any\b|<any>|\bas any\b|any\[\])/;
const CATALOGS: Array<[string, string]> = [['shop', SHOP], ...FIXTURE_CATALOGS.map((n) => [n, fixturePath(n)] as [string, string])];
// The shared emitters' files (runtime, schemas, events, topics, producers, docs, topic scripts) are the plain
// target's, byte for byte (tested below) and covered by test/golden.test.ts; these goldens hold the NestJS layer.
const shared = (p: string): boolean => p !== 'index.ts' && !/^(base|kafka|consumers)\//.test(p);

describe.each(CATALOGS)('golden: NestJS target, catalog %s', (name, file) => {
  it('matches test/golden/nestjs-<name> file by file', async () => {
    const result = await generateNest(file);
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const files = result.files.filter((f) => !shared(f.path));
    const tree = files.map((f) => `${f.ownership === 'scaffold' ? 'scaffold' : 'managed '} ${f.path}`).join('\n') + '\n';
    await expect(tree).toMatchFileSnapshot(path.join(ROOT, 'test/golden', `nestjs-${name}`, '__tree.txt'));
    for (const f of files) {
      await expect(f.content).toMatchFileSnapshot(path.join(ROOT, 'test/golden', `nestjs-${name}`, f.path + '.golden'));
    }
  });
});

describe('NestJS target: shared artifacts are the plain target\'s', () => {
  it('emits runtime, schemas, events, topics and producers byte for byte as the plain target does', async () => {
    const [nest, plain] = await Promise.all([generateNest(SHOP), generate(path.relative(ROOT, SHOP), { cwd: ROOT, target: 'plain' })]);
    const plainFiles = new Map(plain.files.map((f) => [f.path, f.content]));
    const sharedPaths = nest.files.map((f) => f.path).filter((p) => /^(runtime|schemas|producers)\/|^(events|topics)\.ts$/.test(p));
    expect(sharedPaths.length).toBeGreaterThan(20);
    for (const p of sharedPaths) expect(nest.files.find((f) => f.path === p)?.content, p).toBe(plainFiles.get(p));
  });

  it('is deterministic', async () => {
    const [a, b] = await Promise.all([generateNest(SHOP), generateNest(SHOP)]);
    expect(b.files).toEqual(a.files);
  });
});

describe('compile: NestJS trees under tsc --strict (NodeNext, decorators with metadata)', () => {
  it('type-checks the bundled catalog and every fixture with zero errors and no any', async () => {
    const dirs: string[] = [];
    for (const [name, file] of [...CATALOGS, ...COMPILE_ONLY_FIXTURES.map((n) => [n, fixturePath(n)] as [string, string])]) {
      const result = await generateNest(file);
      for (const f of result.files) expect(ANY.test(f.content), `${name}/${f.path} contains any`).toBe(false);
      dirs.push(writeTree(path.join('nestjs', name), result.files));
    }
    expect(typecheckNest(dirs)).toEqual([]);
  });

  it('compiles without @nestjs/terminus: no generated file imports it (KafkaHealthIndicator returns its result shape)', async () => {
    for (const [name, file] of CATALOGS) {
      const result = await generateNest(file);
      const importers = result.files.filter((f) => /from '@nestjs\/terminus'/.test(f.content)).map((f) => f.path);
      expect(importers, name).toEqual([]);
    }
    const health = (await generateNest(SHOP)).files.find((f) => f.path === 'kafka/kafka-health.indicator.ts')?.content ?? '';
    expect(health).toContain("export type KafkaHealthResult<Key extends string> = Record<Key, { status: 'up' | 'down' } & Record<string, unknown>>;");
  });

  it('never imports an injected class with `import type` (DI would silently break)', async () => {
    const result = await generateNest(SHOP);
    let injected = 0;
    for (const f of result.files.filter((x) => !shared(x.path) && x.path.endsWith('.ts'))) {
      const source = ts.createSourceFile(f.path, f.content, ts.ScriptTarget.Latest, true);
      const typeOnly = new Set<string>();
      for (const stmt of source.statements) {
        if (!ts.isImportDeclaration(stmt) || !stmt.importClause?.namedBindings || !ts.isNamedImports(stmt.importClause.namedBindings)) continue;
        for (const el of stmt.importClause.namedBindings.elements) if (stmt.importClause.isTypeOnly || el.isTypeOnly) typeOnly.add(el.name.text);
      }
      for (const stmt of source.statements) {
        if (!ts.isClassDeclaration(stmt) || !ts.getDecorators(stmt)?.length) continue;
        const ctor = stmt.members.find(ts.isConstructorDeclaration);
        for (const param of ctor?.parameters ?? []) {
          if (!param.type || !ts.isTypeReferenceNode(param.type) || !ts.isIdentifier(param.type.typeName)) continue;
          if (ts.getDecorators(param)?.length) continue; // @Inject(TOKEN): the type is not the token
          injected++;
          expect(typeOnly.has(param.type.typeName.text), `${f.path}: ${param.type.typeName.text} is injected but imported with import type`).toBe(false);
        }
      }
    }
    expect(injected).toBeGreaterThan(20);
  });
});

describe('examples/nest-shop/src/events is the NestJS tree of the bundled catalog', () => {
  const dir = path.join(ROOT, 'examples/nest-shop/src/events');
  const list = (d: string, base = d): string[] =>
    !existsSync(d) ? [] : readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? list(path.join(d, e.name), base) : [path.relative(base, path.join(d, e.name)).split(path.sep).join('/')]));

  it('has every managed file current and every stub present (regenerate: see examples/nest-shop/README.md)', async () => {
    const result = await generate(path.relative(ROOT, SHOP), { cwd: ROOT, target: 'nestjs', docs: false });
    expect(list(dir).sort()).toEqual(result.files.map((f) => f.path).sort());
    for (const f of result.files) if (f.ownership === 'managed') expect(readFileSync(path.join(dir, f.path), 'utf8'), f.path).toBe(f.content);
  });
});
