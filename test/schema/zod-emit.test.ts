import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import ts from 'typescript';
import { zodExpression, zodPropertyDoc, zodSchemaDeclaration, type ZodEmitContext } from '../../generator/emit/zod/index.js';
import type { NamedSchema, Schema } from '../../generator/model/types.js';
import { tsString } from '../../generator/emit/text.js';

function ctxWith(named: NamedSchema[] = []): ZodEmitContext {
  const byId = new Map(named.map((n) => [n.id, n]));
  return {
    schemaRef: (id) => byId.get(id)?.schemaName ?? `${id}Schema`,
    isRecursive: (id) => byId.get(id)?.recursive ?? false,
    lookup: (id) => byId.get(id),
  };
}
const named = (id: string, schema: Schema, recursive = false): NamedSchema => ({
  id, originalName: id, typeName: id, schemaName: `${id}Schema`, fileName: id.toLowerCase(), schema, recursive,
});
const obj = (props: Array<[string, Schema, boolean?]>, additionalProperties: boolean | Schema = true): Schema => ({
  kind: 'object', properties: props.map(([name, schema, required]) => ({ name, schema, required: required ?? true })), additionalProperties,
});

/** Evaluate an emitted expression with `z` in scope (TS syntax stripped). */
function evalZod(code: string): z.ZodType {
  const js = ts.transpileModule(`export default ${code};`, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const module = { exports: {} as { default: z.ZodType } };
  new Function('z', 'module', 'exports', js)(z, module, module.exports);
  return module.exports.default;
}
const e = (s: Schema, n: NamedSchema[] = []) => zodExpression(s, ctxWith(n));

describe('zodExpression: primitives', () => {
  it('strings', () => {
    expect(e({ kind: 'string', minLength: 1, maxLength: 5 })).toBe('z.string().min(1).max(5)');
    expect(e({ kind: 'string', format: 'date-time' })).toBe('z.iso.datetime({ offset: true })');
    expect(e({ kind: 'string', format: 'uuid' })).toBe('z.guid()');
    expect(e({ kind: 'string', unknownFormat: 'phone' })).toBe('z.string()');
  });
  it('hostile patterns cannot break out and keep their meaning', () => {
    const pattern = "^'\\)\\/`\\$\\{x\\}</script>\n$";
    const code = e({ kind: 'string', pattern });
    expect(code).toBe(`z.string().regex(new RegExp(${tsString(pattern)}, 'u'))`);
    expect(code).not.toContain('\n');
    const schema = evalZod(code);
    expect(schema.safeParse("'\\)\\/`${x}</script>\n").success).toBe(false);
    expect(schema.safeParse("')/`${x}</script>\n").success).toBe(true);
  });
  it('numbers', () => {
    expect(e({ kind: 'integer', minimum: 0, exclusiveMaximum: 10, multipleOf: 2 })).toBe('z.number().int().min(0).lt(10).multipleOf(2)');
    expect(e({ kind: 'number', exclusiveMinimum: -1.5, maximum: 3 })).toBe('z.number().gt(-1.5).max(3)');
  });
  it('enums and consts', () => {
    expect(e({ kind: 'enum', values: ['a', "b'c"] })).toBe("z.enum(['a', 'b\\'c'])");
    expect(e({ kind: 'enum', values: [1, 'a', true] })).toBe("z.literal([1, 'a', true])");
    expect(e({ kind: 'enum', values: ['only'] })).toBe("z.literal('only')");
    expect(e({ kind: 'enum', values: ['a', 'b'], nullable: true })).toBe("z.enum(['a', 'b']).nullable()");
    expect(e({ kind: 'const', value: 'x' })).toBe("z.literal('x')");
    const deep = evalZod(e({ kind: 'const', value: { b: [1], a: '*/' } }));
    expect(deep.safeParse({ a: '*/', b: [1] }).success).toBe(true);
    expect(deep.safeParse({ a: '*/', b: [2] }).success).toBe(false);
  });
  it('unknown, never, null, boolean', () => {
    expect([e({ kind: 'unknown' }), e({ kind: 'never' }), e({ kind: 'null' }), e({ kind: 'boolean', nullable: true })]).toEqual([
      'z.unknown()', 'z.never()', 'z.null()', 'z.boolean().nullable()',
    ]);
  });
});

describe('zodExpression: structures', () => {
  it('arrays and uniqueItems', () => {
    expect(e({ kind: 'array', items: { kind: 'string' }, minItems: 1, maxItems: 2 })).toBe('z.array(z.string()).min(1).max(2)');
    const unique = evalZod(e({ kind: 'array', items: { kind: 'unknown' }, uniqueItems: true }));
    expect(unique.safeParse([{ a: 1, b: 2 }, { b: 2, a: 1 }]).success).toBe(false);
    expect(unique.safeParse([1, '1']).success).toBe(true);
  });
  it('tuples', () => {
    expect(e({ kind: 'tuple', items: [{ kind: 'string' }, { kind: 'number' }], rest: false, minItems: 2 })).toBe('z.tuple([z.string(), z.number()])');
    expect(e({ kind: 'tuple', items: [{ kind: 'string' }], rest: { kind: 'integer' } })).toBe('z.tuple([z.string().optional()], z.number().int())');
  });
  it('objects: multi-line, JSDoc, optional, default, quoted keys, __proto__', () => {
    const code = e(obj([
      ['id', { kind: 'string', description: 'The id. */ evil' }],
      ['count', { kind: 'integer', default: 3 }, false],
      ['note', { kind: 'string', deprecated: true }, false],
      ['with space', { kind: 'boolean' }],
      ['__proto__', { kind: 'string' }],
    ], false));
    expect(code).toBe([
      'z.strictObject({',
      '  /** The id. *\\/ evil */',
      '  id: z.string(),',
      '  count: z.number().int().default(3),',
      '  /** @deprecated */',
      '  note: z.string().optional(),',
      "  'with space': z.boolean(),",
      "  ['__proto__']: z.string(),",
      '})',
    ].join('\n'));
    const schema = evalZod(code) as z.ZodObject;
    // The key is an own shape property (not the prototype). Zod itself skips `__proto__` when parsing.
    expect(Object.keys(schema.shape)).toEqual(['id', 'count', 'note', 'with space', '__proto__']);
    expect(schema.parse({ id: 'a', 'with space': true })).toEqual({ id: 'a', count: 3, 'with space': true });
    expect(schema.safeParse({ id: 'a', 'with space': true, extra: 1 }).success).toBe(false);
  });
  it('additionalProperties: true keeps extra keys, schema uses catchall', () => {
    expect(evalZod(e(obj([['a', { kind: 'string' }]]))).parse({ a: 'x', b: 1 })).toEqual({ a: 'x', b: 1 });
    expect(e(obj([['a', { kind: 'string' }]], { kind: 'number' }))).toBe('z.object({\n  a: z.string(),\n}).catchall(z.number())');
  });
  it('records', () => {
    expect(e({ kind: 'record', values: { kind: 'integer' } })).toBe('z.record(z.string(), z.number().int())');
  });
  it('nested indentation', () => {
    expect(e(obj([['inner', obj([['x', { kind: 'string' }]])]]))).toBe('z.looseObject({\n  inner: z.looseObject({\n    x: z.string(),\n  }),\n})');
  });
});

describe('zodExpression: composition', () => {
  const A = named('A', obj([['kind', { kind: 'const', value: 'a' }], ['x', { kind: 'string' }]]));
  const B = named('B', obj([['kind', { kind: 'const', value: 'b' }]]));
  it('allOf of loose objects merges with extend', () => {
    expect(e({ kind: 'allOf', members: [{ kind: 'ref', target: 'A' }, obj([['y', { kind: 'number' }]])] }, [A])).toBe('ASchema.extend({\n  y: z.number(),\n})');
    expect(e({ kind: 'allOf', members: [obj([['y', { kind: 'number' }]]), { kind: 'ref', target: 'A' }] }, [A])).toBe('z.looseObject({\n  y: z.number(),\n}).extend(ASchema.shape)');
  });
  it('allOf with overlapping properties or non-objects intersects', () => {
    expect(e({ kind: 'allOf', members: [{ kind: 'number', minimum: 0 }, { kind: 'number', maximum: 1 }, { kind: 'integer' }] })).toBe(
      'z.intersection(z.number().min(0), z.number().max(1)).and(z.number().int())',
    );
  });
  it('discriminated union over refs and inline objects', () => {
    expect(e({ kind: 'union', mode: 'oneOf', discriminator: 'kind', members: [{ kind: 'ref', target: 'A' }, { kind: 'ref', target: 'B' }] }, [A, B])).toBe(
      "z.discriminatedUnion('kind', [ASchema, BSchema])",
    );
  });
  it('oneOf: exclusive union when members may overlap (no z.xor: zod 3.25 lacks it), union when types are disjoint; anyOf: union', () => {
    const o1 = obj([['a', { kind: 'string' }]]);
    const o2 = obj([['b', { kind: 'string' }]]);
    const exclusive = e({ kind: 'union', mode: 'oneOf', members: [o1, o2] });
    expect(exclusive).toMatch(/^\(\(options\) =>\n\s+z\n\s+\.custom<z\.input<\(typeof options\)\[number\]>>\(/);
    expect(exclusive).toMatch(/\.pipe\(z\.union\(options\)\)\)\(\[/);
    expect(exclusive).not.toContain('z.xor');
    expect(e({ kind: 'union', mode: 'anyOf', members: [o1, o2] })).toMatch(/^z\.union\(\[/);
    expect(e({ kind: 'union', mode: 'oneOf', members: [{ kind: 'string' }, { kind: 'integer' }] })).toBe('z.union([z.string(), z.number().int()])');
    const xor = evalZod(exclusive);
    expect(xor.safeParse({ a: 'x', b: 'y' }).success).toBe(false);
    expect(xor.safeParse({ a: 'x' }).success).toBe(true);
    expect(xor.safeParse({}).success).toBe(false);
  });
});

describe('zodPropertyDoc', () => {
  it('uses description, else title; empty when nothing', () => {
    expect(zodPropertyDoc({ name: 'a', required: true, schema: { kind: 'string', description: 'D', title: 'T' } })).toBe('/** D */');
    expect(zodPropertyDoc({ name: 'a', required: true, schema: { kind: 'string', title: 'T' } })).toBe('/** T */');
    expect(zodPropertyDoc({ name: 'a', required: true, schema: { kind: 'string' } })).toBe('');
  });
});

describe('zodSchemaDeclaration', () => {
  it('plain schema: JSDoc, const, output and input types', () => {
    const n = named('Address', { ...obj([['city', { kind: 'string' }]]), description: 'A postal address.' });
    expect(zodSchemaDeclaration(n, ctxWith([n]))).toBe([
      '/** A postal address. */',
      'export const AddressSchema = z.looseObject({',
      '  city: z.string(),',
      '});',
      '',
      '/** `Address` as handlers receive it: validated, defaults applied. */',
      'export type Address = z.output<typeof AddressSchema>;',
      '',
      '/** What a producer may pass for `Address` (before defaults are applied). */',
      'export type AddressInput = z.input<typeof AddressSchema>;',
      '',
    ].join('\n'));
  });
  it('recursive through properties: getters, inferred types', () => {
    const n = named('Category', obj([['name', { kind: 'string' }], ['children', { kind: 'array', items: { kind: 'ref', target: 'Category' } }, false]]), true);
    const code = zodSchemaDeclaration(n, ctxWith([n]));
    expect(code).toContain('  get children() {\n    return z.array(CategorySchema).optional();\n  },');
    expect(code).toContain('export type Category = z.output<typeof CategorySchema>;');
  });
  it('recursive straight through a union: z.lazy with explicit types', () => {
    const n = named('Tree', { kind: 'union', mode: 'anyOf', members: [{ kind: 'string' }, { kind: 'array', items: { kind: 'ref', target: 'Tree' } }] }, true);
    const code = zodSchemaDeclaration(n, ctxWith([n]));
    expect(code).toContain('export type Tree = string | Array<Tree>;');
    expect(code).toContain('export type TreeInput = string | Array<TreeInput>;');
    expect(code).toContain('export const TreeSchema: z.ZodType<Tree, TreeInput> = z.lazy(() =>');
  });
  it('recursive with a default inside a getter falls back to explicit types', () => {
    const n = named('Node', obj([['next', { kind: 'ref', target: 'Node', default: null, nullable: true }, false]]), true);
    const code = zodSchemaDeclaration(n, ctxWith([n]));
    expect(code).toContain('next?: NodeInput | null | undefined;');
    expect(code).toContain('next: Node | null;');
    expect(code).toContain('z.lazy(');
  });
  it('is deterministic', () => {
    const n = named('X', obj([['b', { kind: 'string' }], ['a', { kind: 'number' }]]));
    expect(zodSchemaDeclaration(n, ctxWith([n]))).toBe(zodSchemaDeclaration(n, ctxWith([n])));
  });
});
