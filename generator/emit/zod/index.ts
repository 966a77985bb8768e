/** Zod 4 emitter: schema IR -> Zod expressions and named declarations. */
export type { ZodEmitContext } from './context.js';
export { zodExpression } from './expression.js';
export { zodPropertyDoc } from './objects.js';
export { zodSchemaDeclaration } from './declaration.js';
export { tsType } from './ts-type.js';
