/** What the payload rule modules share: reporting, locating keywords, recursing. */
import type { Schema, SourceLocation } from '../model/types.js';
import type { Effect } from './compat.js';

export type Side = 'base' | 'head';

export interface Walker {
  /** Compare two schemas found at `path` (follows refs, stops on cycles). */
  compare(base: Schema, head: Schema, path: string): void;
  report(rule: string, effect: Effect, path: string, message: string, base?: SourceLocation, head?: SourceLocation): void;
  /** A keyword of a schema node (`loc` + segments); the node itself when the keyword is absent. */
  locate(side: Side, loc: SourceLocation | undefined, ...segments: string[]): SourceLocation | undefined;
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** `payload.address` / `payload["first name"]`. */
export function propPath(path: string, name: string): string {
  return IDENT.test(name) ? `${path}.${name}` : `${path}[${JSON.stringify(name)}]`;
}

/** A short human description of a schema's type, for messages. */
export function describeType(s: Schema): string {
  const n = s.nullable ? ' | null' : '';
  switch (s.kind) {
    case 'ref':
      return s.target + n;
    case 'enum':
      return `enum [${s.values.map((v) => JSON.stringify(v)).join(', ')}]` + n;
    case 'const':
      return `const ${JSON.stringify(s.value)}` + n;
    case 'array':
      return `array of ${describeType(s.items)}` + n;
    case 'record':
      return `map of ${describeType(s.values)}` + n;
    case 'union':
      return s.members.map(describeType).join(' | ') + n;
    case 'allOf':
      return s.members.map(describeType).join(' & ') + n;
    case 'unknown':
      return 'any';
    default:
      return s.kind + n;
  }
}
