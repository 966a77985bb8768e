/**
 * The one naming step: every identifier, file name and member name in generated code is derived here,
 * from catalog strings (untrusted). Order: split into words (separators, camel humps, diacritics
 * stripped) → case → cap the length (a hash of the full name keeps long names distinct) → guard leading
 * digits → guard reserved/global names. Collisions between catalog names are detected by the model (see
 * `names.ts`) and reported as located errors; collisions with generated and runtime names are resolved by the
 * symbol table (`generator/symbols/`), which knows the runtime's real exports.
 */
import { createHash } from 'node:crypto';

/** Words of a catalog name: `order.created`, `OrderCreated`, `order_created` all give `order`, `created`. */
export function words(input: string): string[] {
  const stripped = input.normalize('NFKD').replace(/\p{M}+/gu, '');
  const out: string[] = [];
  for (const chunk of stripped.split(/[^\p{L}\p{N}]+/u)) {
    if (!chunk) continue;
    // Split camel humps: "orderCreated" → order Created; "HTTPServer" → HTTP Server; "v2Event" → v2 Event.
    const parts = chunk.match(/\p{Lu}+(?=\p{Lu}\p{Ll})|\p{Lu}?\p{Ll}+\p{N}*|\p{Lu}+\p{N}*|\p{N}+\p{Ll}*|\p{L}+\p{N}*/gu);
    for (const p of parts ?? [chunk]) out.push(p.toLowerCase());
  }
  return out;
}

const cap = (w: string): string => (w ? w.charAt(0).toUpperCase() + w.slice(1) : w);

/**
 * A casing by input: the same catalog strings are cased by the model and by several emitters, and again on every
 * `--watch` run (Unicode normalization and word splitting were ~6% of an edit's run at 1,000 events). Bounded: emptied
 * when full.
 */
function memoised(compute: (input: string) => string): (input: string) => string {
  const cache = new Map<string, string>();
  return (input) => {
    let out = cache.get(input);
    if (out === undefined) {
      out = compute(input);
      if (cache.size >= 50_000) cache.clear();
      cache.set(input, out);
    }
    return out;
  };
}

const pascal = memoised((input) => words(input).map(cap).join(''));
const camel = memoised((input) => words(input).map((w, i) => (i === 0 ? w : cap(w))).join(''));
const kebab = memoised((input) => words(input).join('-'));

export function pascalCase(input: string): string {
  return pascal(input);
}

export function camelCase(input: string): string {
  return camel(input);
}

export function kebabCase(input: string): string {
  return kebab(input);
}

/** ECMAScript reserved words and TS contextual keywords that cannot name a class, type or variable. */
const RESERVED = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else',
  'enum', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof',
  'new', 'null', 'return', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void',
  'while', 'with', 'yield', 'let', 'static', 'implements', 'interface', 'package', 'private', 'protected',
  'public', 'await', 'async', 'any', 'unknown', 'never', 'number', 'string', 'boolean', 'symbol', 'object',
  'bigint', 'undefined', 'type', 'as', 'is', 'keyof', 'infer', 'declare', 'module', 'namespace', 'require',
]);

/**
 * JavaScript, TypeScript and Node.js globals a generated type must not shadow (a type `Date` or `Promise` in a
 * file that also needs the global would silently change meaning). The runtime's and the generated code's own
 * names are not listed here: the symbol table reads them from their sources.
 */
const SHADOWED_TYPES = new Set([
  'Array', 'Boolean', 'Date', 'Error', 'Function', 'Map', 'Number', 'Object', 'Promise', 'Record', 'RegExp',
  'Set', 'String', 'Symbol', 'Partial', 'Required', 'Readonly', 'Pick', 'Omit', 'Buffer', 'JSON', 'Math',
  'Event', 'Uint8Array', 'BigInt', 'Infinity', 'NaN', 'Intl', 'Proxy', 'Reflect', 'WeakMap', 'WeakSet',
  'Iterator', 'Generator', 'NodeJS', 'AbortSignal', 'URL', 'TextEncoder', 'TextDecoder', 'Awaited',
  'ReturnType', 'Parameters', 'Exclude', 'Extract', 'NonNullable', 'InstanceType',
]);

/**
 * Member names (methods/properties) that change object semantics: `constructor` in a class, `then` makes
 * an object a thenable, `__proto__` rewrites the prototype, and Object.prototype members.
 */
const DANGEROUS_MEMBERS = new Set([
  'constructor', 'prototype', 'then', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf',
  'propertyIsEnumerable', 'toLocaleString', 'toJSON', 'proto',
]);

/** Longest base name (identifier or file name) derived from a catalog string; longer ones are shortened. */
export const MAX_NAME_LENGTH = 60;

/** 8 hex digits of the SHA-256 of `input`: keeps shortened names distinct and deterministic. */
function shortHash(input: string): string {
  return createHash('sha256').update(input).digest('hex').slice(0, 8);
}

/** `name` cut to `MAX_NAME_LENGTH` with a hash of the full `input` (joined with `sep`) when it is longer. */
function capped(name: string, input: string, sep: string): string {
  if (name.length <= MAX_NAME_LENGTH) return name;
  const head = name.slice(0, MAX_NAME_LENGTH - 8 - sep.length).replace(/-+$/, '');
  return `${head}${sep}${shortHash(input)}`;
}

export interface NameResult {
  name: string;
  /** Why the name differs from the plain cased form (for an info diagnostic), if it does. */
  adjusted?: string;
}

/** A PascalCase type/class name; `prefix` guards leading digits and reserved/shadowed names. */
export function typeName(input: string, prefix: string): NameResult {
  const name = capped(pascalCase(input), input, '_');
  if (!name) return { name: '' };
  if (/^\p{N}/u.test(name)) return { name: prefix + name, adjusted: `starts with a digit: prefixed with "${prefix}"` };
  if (RESERVED.has(name) || SHADOWED_TYPES.has(name)) {
    return { name: prefix + name, adjusted: `"${name}" would shadow a JavaScript global or keyword: prefixed with "${prefix}"` };
  }
  return { name };
}

/** A camelCase member name (method or property); `prefix` guards digits and dangerous members. */
export function memberName(input: string, prefix: string): NameResult {
  const name = capped(camelCase(input), input, '_');
  if (!name) return { name: '' };
  const pascal = (): string => prefix + name.charAt(0).toUpperCase() + name.slice(1);
  if (/^\p{N}/u.test(name)) return { name: pascal(), adjusted: `starts with a digit: prefixed with "${prefix}"` };
  if (DANGEROUS_MEMBERS.has(name) || RESERVED.has(name)) {
    return { name: pascal(), adjusted: `"${name}" is reserved as a member name: prefixed with "${prefix}"` };
  }
  return { name };
}

/** A kebab-case file or directory name (no extension); never empty, never `.`/`..`; at most `MAX_NAME_LENGTH`. */
export function fileName(input: string): string {
  return capped(kebabCase(input), input, '-');
}

/**
 * The segments of a Java/namespace-style name (`io.github.acme.kafka.dtos.VehicleBase`: lower-case package
 * segments, then a type name that starts with a capital), or undefined for any other name.
 */
export function namespaceSegments(input: string): string[] | undefined {
  if (!/^(?:[a-z_][a-z0-9_]*\.)+[A-Z][A-Za-z0-9_$]*$/.test(input)) return undefined;
  const segments = input.split('.');
  return segments.length >= 2 ? segments : undefined;
}

/**
 * Readable names for namespace-style names: the shortest suffix of segments that no other name of `all` ends with
 * (`io.github.acme.dtos.Vehicle` → `Vehicle`; with `io.github.other.Vehicle` also present → `dtos.Vehicle` and
 * `other.Vehicle`). Other names map to themselves. Suffixes are compared as PascalCase, as the names are used.
 */
export function shortestUniqueSuffixes(all: readonly string[]): Map<string, string> {
  const unique = [...new Set(all)];
  const segs = new Map(unique.map((n) => [n, namespaceSegments(n) ?? [n]]));
  // Every suffix every name could take, as used in code, with the names that could take it.
  const suffixes = new Map<string, string[]>();
  const forms = new Map<string, string[]>();
  for (const n of unique) {
    const s = segs.get(n) as string[];
    const list = s.map((_, i) => pascalCase(s.slice(s.length - i - 1).join('.')));
    forms.set(n, list);
    for (const f of new Set(list)) suffixes.set(f, [...(suffixes.get(f) ?? []), n]);
  }
  const out = new Map<string, string>();
  for (const n of unique) {
    const s = segs.get(n) as string[];
    const list = forms.get(n) as string[];
    let k = 0;
    while (k < list.length - 1 && (suffixes.get(list[k] as string) ?? []).some((m) => m !== n)) k++;
    out.set(n, s.length < 2 ? n : s.slice(s.length - k - 1).join('.'));
  }
  return out;
}

/** True when the name can be used as an identifier in generated code. */
export function isValidIdentifier(name: string): boolean {
  return /^[\p{L}_$][\p{L}\p{N}_$]*$/u.test(name) && !RESERVED.has(name);
}
