/** The full declarations for one named schema: JSDoc, the Zod constant, its output and input types. */
import type { NamedSchema } from '../../model/types.js';
import { jsdoc } from '../text.js';
import { newState, type ZodEmitContext } from './context.js';
import { emit } from './expression.js';
import { tsType } from './ts-type.js';

function declarationDoc(named: NamedSchema): string {
  const s = named.schema;
  const text = [s.title, s.description].filter((t): t is string => t !== undefined && t !== '');
  if (text.length === 2 && text[0] === text[1]) text.pop();
  return jsdoc(text.length > 0 ? text : undefined, '', s.deprecated ? ['@deprecated'] : []);
}

/**
 * `export const XSchema = ...; export type X = z.output<...>; export type XInput = z.input<...>;`
 *
 * Recursive schemas use getters in `z.object` shapes, so `z.infer` works without annotations. When the
 * recursion cannot go through a getter (a union or array containing itself directly), or a getter holds
 * something tsc cannot infer through (`.default`, `.refine`, `z.xor`, ...), the declaration falls back to
 * `z.lazy` with explicit `X`/`XInput` types written out from the IR.
 */
export function zodSchemaDeclaration(named: NamedSchema, ctx: ZodEmitContext): string {
  const doc = declarationDoc(named);
  const head = doc === '' ? [] : [doc];
  const recursive = named.recursive || ctx.isRecursive(named.id);
  const { typeName, schemaName } = named;
  if (recursive) {
    const st = newState(ctx, named);
    const code = emit(named.schema, st, 0);
    if (!st.needsExplicitType) return [...head, `export const ${schemaName} = ${code};`, ...inferredTypes(named)].join('\n') + '\n';
    const lazy = emit(named.schema, newState(ctx, named, true), 1);
    return (
      [
        `/** \`${typeName}\` as handlers receive it: validated, defaults applied. */`,
        `export type ${typeName} = ${tsType(named.schema, 'output', ctx)};`,
        '',
        `/** What a producer may pass for \`${typeName}\` (before defaults are applied). */`,
        `export type ${typeName}Input = ${tsType(named.schema, 'input', ctx)};`,
        '',
        ...(doc === '' ? [] : [doc]),
        `export const ${schemaName}: z.ZodType<${typeName}, ${typeName}Input> = z.lazy(() =>`,
        `  ${lazy},`,
        ');',
      ].join('\n') + '\n'
    );
  }
  const code = emit(named.schema, newState(ctx), 0);
  return [...head, `export const ${schemaName} = ${code};`, ...inferredTypes(named)].join('\n') + '\n';
}

function inferredTypes(named: NamedSchema): string[] {
  const { typeName, schemaName } = named;
  return [
    '',
    `/** \`${typeName}\` as handlers receive it: validated, defaults applied. */`,
    `export type ${typeName} = z.output<typeof ${schemaName}>;`,
    '',
    `/** What a producer may pass for \`${typeName}\` (before defaults are applied). */`,
    `export type ${typeName}Input = z.input<typeof ${schemaName}>;`,
  ];
}
