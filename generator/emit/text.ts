/**
 * Escaping helpers, one per output context. Every function is pure and safe for any input string:
 * catalog text (descriptions, property names, patterns, enum values) flows into generated TypeScript
 * only through these.
 */

const ID_START = /[\p{ID_Start}$_]/u;
const ID_CONTINUE = /[\p{ID_Continue}$\u200C\u200D]/u;

/** True when `s` is an ECMAScript IdentifierName (usable as a bare property key, reserved words included). */
export function isIdentifierName(s: string): boolean {
  if (s.length === 0) return false;
  const chars = Array.from(s);
  if (!ID_START.test(chars[0] ?? '')) return false;
  return chars.slice(1).every((c) => ID_CONTINUE.test(c));
}

/** Characters `tsString` escapes; with the `u` flag, `[\ud800-\udfff]` matches only a lone surrogate (a pair is kept). */
const TS_STRING_ESCAPES = /['\\\n\r\t<\u0000-\u001f\u007f\u2028\u2029]|[\ud800-\udfff]/gu;

function tsEscape(ch: string): string {
  switch (ch) {
    case "'":
      return "\\'";
    case '\\':
      return '\\\\';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    case '<':
      return '\\x3C';
  }
  return unicodeEscape(ch.charCodeAt(0));
}

/**
 * A single-quoted TypeScript string literal for any input. Escapes quotes, backslashes, control
 * characters, line/paragraph separators, lone surrogates, and `<` (so `</script>` cannot appear);
 * `${` is harmless in single quotes but `$` stays as is for readability.
 */
export function tsString(s: string): string {
  return `'${tsStringBody(s)}'`;
}

/** What {@link tsString} puts between the quotes: per character, so the body of `a + b` is the bodies of `a` and `b` (unless they split a surrogate pair). */
export function tsStringBody(s: string): string {
  return s.replace(TS_STRING_ESCAPES, tsEscape);
}

function unicodeEscape(code: number): string {
  return '\\u' + code.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * A property key for an object literal or type literal: a bare identifier when possible, else a
 * quoted string. `__proto__` is special: `{ '__proto__': x }` still sets the prototype, so it is
 * emitted as the computed key `['__proto__']`, which defines an own property.
 */
export function propertyKey(name: string): string {
  if (name === '__proto__') return "['__proto__']";
  return isIdentifierName(name) ? name : tsString(name);
}

/** A property access: `.name` or `['name']`. */
export function propertyAccess(name: string): string {
  return isIdentifierName(name) ? `.${name}` : `[${tsString(name)}]`;
}

/** Make text safe inside a block comment: `*\/` can never close it, and no stray control characters. */
function commentSafe(line: string): string {
  return line
    .replace(/\*\//g, '*\\/')
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u2028\u2029]/g, (c) => unicodeEscape(c.charCodeAt(0)));
}

/**
 * A JSDoc block for the given text (or lines), indented by `indent`. Returns '' for empty input.
 * A line starting with `@` that is not meant as a tag is escaped as `\@`; callers pass tags
 * (e.g. `@deprecated`) through `tags`.
 */
export function jsdoc(text: string | readonly string[] | undefined, indent = '', tags: readonly string[] = []): string {
  const raw = text === undefined ? [] : typeof text === 'string' ? [text] : text;
  const lines = raw
    .flatMap((t) => t.split(/\r\n|\r|\n|\u2028|\u2029/))
    .map((l) => commentSafe(l.replace(/\s+$/, '')))
    .map((l) => (/^\s*@/.test(l) ? l.replace('@', '\\@') : l));
  while (lines.length > 0 && lines[0]?.trim() === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === '') lines.pop();
  const tagLines = tags.map((t) => commentSafe(t.replace(/[\r\n\u2028\u2029]+/g, ' ')));
  const all = lines.length > 0 && tagLines.length > 0 ? [...lines, '', ...tagLines] : [...lines, ...tagLines];
  if (all.length === 0) return '';
  if (all.length === 1) return `${indent}/** ${all[0]} */`;
  return [`${indent}/**`, ...all.map((l) => (l === '' ? `${indent} *` : `${indent} * ${l}`)), `${indent} */`].join('\n');
}

/** A single-line `// ...` comment: line breaks become spaces, control characters are escaped. */
export function lineComment(s: string): string {
  const flat = s
    .replace(/\r\n|\r|\n|\u2028|\u2029|\u0085/g, ' ')
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, (c) => unicodeEscape(c.charCodeAt(0)));
  return `// ${flat}`.trimEnd();
}

/** A JSON value as a TypeScript expression (strings single-quoted and escaped, keys safe). */
export function tsValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return tsString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? (Object.is(value, -0) ? '-0' : String(value)) : 'null';
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(tsValue).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    return `{ ${entries.map(([k, v]) => `${propertyKey(k)}: ${tsValue(v)}`).join(', ')} }`;
  }
  return 'undefined';
}

/** Indent every non-empty line after the first by `by`. */
export function indentRest(code: string, by: string): string {
  return code.replace(/\n(?=.)/g, `\n${by}`);
}

/**
 * The end of a generated service's `main.ts`: inside `main()`, stop on SIGTERM/SIGINT by awaiting `<service>.close()`
 * (exit 0, or log and exit 1), close `main()`, then run it and exit 1 with `startFailure` logged when it throws.
 * `service` names the variable holding the running service, `label` is the log wording ("Event gateway").
 */
export function serviceMainTail(service: string, label: string, startFailure = `${label} failed to start`): string[] {
  const lower = label.charAt(0).toLowerCase() + label.slice(1);
  return [
    "  for (const signal of ['SIGTERM', 'SIGINT'] as const) {",
    '    process.once(signal, () => {',
    `      logger.info(${tsString(`Stopping the ${lower}`)}, { signal });`,
    `      ${service}.close().then(`,
    '        () => process.exit(0),',
    '        (error: unknown) => {',
    `          logger.error(${tsString(`${label} did not stop cleanly`)}, { error });`,
    '          process.exit(1);',
    '        },',
    '      );',
    '    });',
    '  }',
    '}',
    '',
    'main().catch((error: unknown) => {',
    `  logger.error(${tsString(startFailure)}, { error });`,
    '  process.exit(1);',
    '});',
  ];
}
