/**
 * The one naming step: every identifier, file name and member name in generated code is derived here,
 * from catalog strings (untrusted). Order: split into words (separators, camel humps, diacritics
 * stripped) → case → guard leading digits → guard reserved/global names. Collisions are detected by the
 * model (see `build.ts`) and reported as located errors, never resolved with silent `Foo2` suffixes.
 */

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

export function pascalCase(input: string): string {
  return words(input).map(cap).join('');
}

export function camelCase(input: string): string {
  const ws = words(input);
  return ws.map((w, i) => (i === 0 ? w : cap(w))).join('');
}

export function kebabCase(input: string): string {
  return words(input).join('-');
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
 * Global and generated-code names a generated type must not shadow (a type `Date` or `Promise` in a file
 * that also needs the global would silently change meaning).
 */
const SHADOWED_TYPES = new Set([
  'Array', 'Boolean', 'Date', 'Error', 'Function', 'Map', 'Number', 'Object', 'Promise', 'Record', 'RegExp',
  'Set', 'String', 'Symbol', 'Partial', 'Required', 'Readonly', 'Pick', 'Omit', 'Buffer', 'JSON', 'Math',
  'Event', 'Events', 'Uint8Array', 'BigInt', 'Infinity', 'NaN', 'Intl', 'Proxy', 'Reflect', 'WeakMap',
  'WeakSet', 'Iterator', 'Generator', 'z', 'EventHandler', 'EventContext', 'EventProducer', 'GroupConsumer',
  'TopicDelegator', 'NotImplementedError', 'SendOptions', 'RecordMetadata', 'Transport', 'Logger',
  'EventType', 'EventMap', 'EventDefinition', 'Topics', 'Route', 'GroupConsumerOptions', 'EventEnvelope',
  'EventMetadata', 'RetryPolicy', 'DeadLetterPolicy', 'Metrics', 'Health',
]);

/**
 * Member names (methods/properties) that change object semantics: `constructor` in a class, `then` makes
 * an object a thenable, `__proto__` rewrites the prototype, and Object.prototype members.
 */
const DANGEROUS_MEMBERS = new Set([
  'constructor', 'prototype', 'then', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf',
  'propertyIsEnumerable', 'toLocaleString', 'toJSON', 'proto',
]);

export interface NameResult {
  name: string;
  /** Why the name differs from the plain cased form (for an info diagnostic), if it does. */
  adjusted?: string;
}

/** A PascalCase type/class name; `prefix` guards leading digits and reserved/shadowed names. */
export function typeName(input: string, prefix: string): NameResult {
  let name = pascalCase(input);
  if (!name) return { name: '' };
  if (/^\p{N}/u.test(name)) return { name: prefix + name, adjusted: `starts with a digit: prefixed with "${prefix}"` };
  if (RESERVED.has(name) || SHADOWED_TYPES.has(name)) {
    return { name: prefix + name, adjusted: `"${name}" would shadow a global or generated name: prefixed with "${prefix}"` };
  }
  return { name };
}

/** A camelCase member name (method or property); `prefix` guards digits and dangerous members. */
export function memberName(input: string, prefix: string): NameResult {
  const name = camelCase(input);
  if (!name) return { name: '' };
  if (/^\p{N}/u.test(name)) return { name: prefix + pascalCase(input), adjusted: `starts with a digit: prefixed with "${prefix}"` };
  if (DANGEROUS_MEMBERS.has(name) || RESERVED.has(name)) {
    return { name: prefix + pascalCase(input), adjusted: `"${name}" is reserved as a member name: prefixed with "${prefix}"` };
  }
  return { name };
}

/** A kebab-case file or directory name (no extension); never empty, never `.`/`..`. */
export function fileName(input: string): string {
  return kebabCase(input);
}

/** True when the name can be used as an identifier in generated code. */
export function isValidIdentifier(name: string): boolean {
  return /^[\p{L}_$][\p{L}\p{N}_$]*$/u.test(name) && !RESERVED.has(name);
}
