/**
 * Hostile input: catalog strings (descriptions, examples, names) are untrusted. Generated code must
 * compile (compile.test.ts) and contain no statement the catalog injected: every catalog string ends up
 * inside a string literal or a comment, never as code.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { generate, generateFromString, generateTargets, type Diagnostic } from '../generator/index.js';
import { typecheckNest } from './nestjs/support.js';
import { codeIdentifiers, fixturePath, generateAt, ROOT, typecheck, writeTree } from './support/tree.js';

const INJECTED = ['process', 'exit', 'alert', 'globalThis', 'eval', 'require', 'onerror', 'javascript', 'script', 'img'];

describe('hostile catalog', () => {
  it('generates without errors and every hostile string stays inert', async () => {
    const result = await generateAt(fixturePath('hostile'));
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    // Files whose code does not depend on the catalog (e.g. scripts/topics.ts uses `process`) may use
    // what the same file uses for a harmless catalog; anything beyond that came from the catalog.
    const baseline = new Map((await generateAt(fixturePath('minimal'))).files.map((f) => [f.path, codeIdentifiers(f.content)]));
    const files = result.files.filter((f) => f.path.endsWith('.ts') && !f.path.startsWith('runtime/'));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const allowed = baseline.get(f.path) ?? new Set<string>();
      const ids = codeIdentifiers(f.content);
      for (const bad of INJECTED) expect(ids.has(bad) && !allowed.has(bad), `${f.path}: "${bad}" appears as code`).toBe(false);
    }
  });

  it('quotes dangerous property names and never emits a __proto__ literal key', async () => {
    const result = await generateAt(fixturePath('hostile'));
    const schemas = result.files.filter((f) => f.path.startsWith('schemas/'));
    const all = schemas.map((f) => f.content).join('\n');
    expect(all).not.toMatch(/^\s*__proto__\s*:/m);
    expect(all).not.toMatch(/^\s*'__proto__'\s*:/m);
  });

  it('derives safe, distinct names for unicode, digits and reserved words', async () => {
    const result = await generateAt(fixturePath('hostile'));
    const paths = result.files.map((f) => f.path);
    for (const p of paths) {
      expect(p).not.toMatch(/(^|\/)\.\.?(\/|$)/);
      expect(p).toMatch(/^[\p{L}\p{N}._/-]+$/u);
    }
    const events = readFileSync(path.join(path.dirname(fixturePath('hostile')), 'asyncapi.yaml'), 'utf8');
    expect(events).toContain('3d.rendered');
    expect(paths.some((p) => p.includes('3d-rendered'))).toBe(true);
    const ev = result.files.find((f) => f.path === 'events.ts')?.content ?? '';
    expect(ev).toMatch(/export const Event3dRenderedEvent = /);
  });

  it('escapes descriptions that try to close a JSDoc comment', () => {
    const yaml = [
      'asyncapi: 3.0.0',
      'info: { title: t, version: "1" }',
      'channels:',
      '  c:',
      '    address: t.c',
      '    messages:',
      '      m:',
      '        name: a.b',
      '        summary: "*/ export const pwned = 1; /*"',
      '        payload: { type: object, properties: { x: { type: string, description: "*/ process.exit(1) /*" } } }',
    ].join('\n');
    const result = generateFromString(yaml);
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    for (const f of result.files.filter((x) => x.path.endsWith('.ts'))) {
      expect(codeIdentifiers(f.content).has('pwned'), f.path).toBe(false);
      expect(codeIdentifiers(f.content).has('process') && !f.path.startsWith('runtime/') && !f.path.startsWith('scripts/'), f.path).toBe(false);
    }
  });
});

const errorsOf = (d: Diagnostic[]): Diagnostic[] => d.filter((x) => x.severity === 'error');

describe('keys named after Object.prototype members, anywhere in the document', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'eventgen-hostile-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const file = path.join(tmp, name);
    writeFileSync(file, text);
    return file;
  };

  it('__proto__, constructor, hasOwnProperty, toString... as channel, operation, message, schema and property keys: compiling code for both targets', async () => {
    const catalog = fixturePath('hostile-keys');
    const result = await generateTargets(path.relative(ROOT, catalog), ['plain', 'nestjs'], { cwd: ROOT });
    expect(errorsOf(result.diagnostics)).toEqual([]);
    const plain = result.files.get('plain') ?? [];
    const paths = plain.map((f) => f.path);
    expect(paths).toContain('schemas/constructor-created.ts');
    expect(paths).toContain('schemas/shared/proto.ts');
    expect(paths).toContain('consumers/proto-readers/index.ts');
    expect(plain.find((f) => f.path === 'topics.ts')?.content).toContain("'proto.events'");
    const plainDir = writeTree('hostile-keys/plain', plain);
    const nestDir = writeTree('hostile-keys/nestjs', result.files.get('nestjs') ?? []);
    expect(typecheck([plainDir])).toEqual([]);
    expect(typecheckNest([nestDir])).toEqual([]);

    // The generated schema reads such properties as ordinary ones: parsed, required, never the prototype.
    const mod = (await import(pathToFileURL(path.join(plainDir, 'schemas/constructor-created.ts')).href)) as Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown } }>;
    const schema = mod.ConstructorCreatedSchema;
    const ok = schema?.safeParse(JSON.parse('{"valueOf": "x", "constructor": 1, "hasOwnProperty": true, "toString": {"toLocaleString": "__proto__"}}'));
    expect(ok?.success).toBe(true);
    expect(Object.getPrototypeOf(ok?.data)).toBe(Object.prototype);
    expect(ok?.data).toEqual({ valueOf: 'x', constructor: 1, hasOwnProperty: true, toString: { toLocaleString: '__proto__' } });
    expect(schema?.safeParse(JSON.parse('{"valueOf": "x", "toString": {"toLocaleString": "__proto__"}}')).success).toBe(false);
  });

  // Zod reads `input[key]`, so an *absent* optional property named `toString` would read Object.prototype.toString and
  // fail ("expected object, received function"): the emitted schema wraps such objects in the runtime's
  // `ownProperties`, which hands Zod own properties only.
  it('an absent optional property named toString validates (Zod reads inherited members)', async () => {
    const result = await generateAt(fixturePath('hostile-keys'));
    const dir = writeTree('hostile-keys/absent-optional', result.files);
    const mod = (await import(pathToFileURL(path.join(dir, 'schemas/constructor-created.ts')).href)) as Record<string, { safeParse(v: unknown): { success: boolean } }>;
    expect(mod.ConstructorCreatedSchema?.safeParse(JSON.parse('{"valueOf": "x", "constructor": 1}')).success).toBe(true);
  });

  it('a payload property named __proto__ is refused where it is written: Zod would drop it silently', () => {
    const yaml = [
      'asyncapi: 3.0.0',
      'info: { title: t, version: "1" }',
      'channels:',
      '  c:',
      '    address: t.c',
      '    messages:',
      '      m:',
      '        payload:',
      '          type: object',
      '          required: [__proto__]',
      '          properties:',
      '            __proto__: { type: string }',
    ].join('\n');
    const result = generateFromString(yaml);
    expect(result.files).toEqual([]);
    expect(errorsOf(result.diagnostics).map((e) => [e.rule, e.location?.line, e.location?.column])).toEqual([['schema-property-unsupported', 12, 13]]);
    expect(errorsOf(result.diagnostics)[0]?.message).toMatch(/"__proto__" cannot be carried: .* rename the property$/);
  });

  it("the parser's own errors around such keys are located and name the key as written, never a stack trace", async () => {
    const file = write(
      'proto-errors.yaml',
      [
        'asyncapi: 3.0.0',
        'info:',
        '  title: t',
        '  version: "1"',
        '  __proto__: { polluted: true }',
        'channels:',
        '  hasOwnProperty:',
        '    address: t.c',
        '    messages:',
        '      m:',
        '        payload: { type: object, properties: { a: { type: string, default: { __proto__: 1 } } } }',
      ].join('\n'),
    );
    const result = await generateAt(file);
    expect(result.files).toEqual([]);
    const errors = errorsOf(result.diagnostics);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ rule: 'asyncapi-schema', message: 'Property "__proto__" is not expected to be here', location: { line: 5, pointer: '/info/__proto__' } });
  });

  it('with --lenient repairs (the parser then reads our serialized data) such keys are protected the same way', async () => {
    const file = write(
      'proto-lenient.yaml',
      ['asyncapi: 3.0.0', 'info: { title: t, version: "1", __proto__: { x: 1 } }', 'tags: [{ name: a }]', 'channels:', '  hasOwnProperty:', '    address: t.c', '    messages: { m: { name: a.b, payload: { type: object } } }'].join('\n'),
    );
    const result = await generate(path.relative(ROOT, file), { cwd: ROOT, lenient: true });
    expect(result.diagnostics.map((d) => [d.severity, d.rule, d.location?.line, d.message.replace(/:.*/, '')])).toEqual([
      ['warning', 'asyncapi-schema', 3, 'root `tags` is AsyncAPI 2.x (AsyncAPI 3 has them in `info.tags`)'],
      ['error', 'asyncapi-schema', 2, 'Property "__proto__" is not expected to be here'],
    ]);
  });

  it('a $ref that points to nothing is our located error, not the parser\'s "does not exist @ /abs/path" at 1:1', async () => {
    write('user.avsc', '{"type": "record", "name": "User", "fields": []}');
    const file = write(
      'dangling.yaml',
      [
        'asyncapi: 3.0.0',
        'info: { title: t, version: "1" }',
        'channels:',
        '  c:',
        '    address: t.c',
        '    messages:',
        '      m:',
        '        payload:',
        "          $ref: './user.avsc#/Nobody'",
        '      n:',
        '        payload: { $ref: "#/components/schemas/100%" }',
      ].join('\n'),
    );
    const result = await generateAt(file);
    expect(result.files).toEqual([]);
    const errors = errorsOf(result.diagnostics);
    expect(errors.map((e) => [e.rule, e.location?.line, e.location?.column])).toEqual([
      ['ref-unresolved', 9, 17],
      ['ref-unresolved', 11, 26],
    ]);
    expect(errors[0]?.message).toMatch(/^\$ref "\.\/user\.avsc#\/Nobody" points to nothing: .*user\.avsc has no "\/Nobody"$/);
    for (const e of errors) expect(e.message).not.toContain(tmp);
  });
});
