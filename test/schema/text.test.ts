import { describe, expect, it } from 'vitest';
import { isIdentifierName, jsdoc, lineComment, propertyKey, tsString, tsValue } from '../../generator/emit/text.js';

const HOSTILE = [
  "it's",
  'back\\slash',
  'line\nbreak\r\n',
  '*/ end of comment',
  '`${process.exit(1)}`',
  '</script><script>alert(1)</script>',
  '\u2028\u2029',
  '\u0000\u001f\u007f',
  'emoji 😀 and é',
  '\ud800 lone surrogate',
  '"double"',
];

describe('tsString', () => {
  it.each(HOSTILE)('round-trips %j through eval', (s) => {
    const literal = tsString(s);
    expect(literal.startsWith("'") && literal.endsWith("'")).toBe(true);
    expect(literal).not.toMatch(/[\n\r\u2028\u2029]/);
    expect(literal.toLowerCase()).not.toContain('</script');
    expect(new Function(`return ${literal};`)()).toBe(s);
  });
  it('keeps ordinary text readable', () => {
    expect(tsString('hello ${x}')).toBe("'hello ${x}'");
    expect(tsString("a'b")).toBe("'a\\'b'");
  });
  it('escapes exactly the characters it did one by one (5,000 random strings of escapable and ordinary characters)', () => {
    // The character loop tsString was, kept as the reference: the regular expression must agree on every input,
    // lone surrogates at either end and surrogate pairs included.
    const reference = (s: string): string => {
      const u = (code: number) => '\\u' + code.toString(16).toUpperCase().padStart(4, '0');
      let out = "'";
      for (let i = 0; i < s.length; i++) {
        const code = s.charCodeAt(i);
        const ch = s[i] as string;
        const named: Record<string, string> = { "'": "\\'", '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '<': '\\x3C' };
        if (named[ch] !== undefined) out += named[ch];
        else if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029) out += u(code);
        else if (code >= 0xd800 && code <= 0xdbff) {
          const next = s.charCodeAt(i + 1);
          if (next >= 0xdc00 && next <= 0xdfff) {
            out += ch + (s[i + 1] as string);
            i++;
          } else out += u(code);
        } else if (code >= 0xdc00 && code <= 0xdfff) out += u(code);
        else out += ch;
      }
      return out + "'";
    };
    const alphabet = ["'", '\\', '\n', '\r', '\t', '<', '>', '\u0000', '\u001f', ' ', '\u007f', '\u0080', '\u2028', '\u2029', '\ud800', '\udbff', '\udc00', '\udfff', '😀', 'é', 'a', '$', '{', '"', '`'];
    let seed = 3;
    const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let k = 0; k < 5000; k++) {
      let s = '';
      for (let n = next(12); n > 0; n--) s += alphabet[next(alphabet.length)];
      expect(tsString(s), JSON.stringify(s)).toBe(reference(s));
    }
  });
});

describe('jsdoc', () => {
  it('returns empty for empty input', () => {
    expect(jsdoc(undefined)).toBe('');
    expect(jsdoc('')).toBe('');
    expect(jsdoc(['', '  '])).toBe('');
  });
  it('single line and multi line', () => {
    expect(jsdoc('Hello.')).toBe('/** Hello. */');
    expect(jsdoc('a\nb', '  ')).toBe('  /**\n   * a\n   * b\n   */');
  });
  it('cannot be closed early and keeps text readable', () => {
    const doc = jsdoc('x */ y /* z */');
    expect(doc.match(/\*\//g)?.length).toBe(1);
    expect(doc).toContain('x *\\/ y');
    expect(() => new Function(`${doc}\nreturn 1;`)).not.toThrow();
  });
  it('escapes @ at line start only', () => {
    expect(jsdoc('@internal thing\nmail me @ home')).toBe('/**\n * \\@internal thing\n * mail me @ home\n */');
  });
  it('adds tags after the text', () => {
    expect(jsdoc('Old.', '', ['@deprecated'])).toBe('/**\n * Old.\n *\n * @deprecated\n */');
    expect(jsdoc(undefined, '', ['@deprecated'])).toBe('/** @deprecated */');
  });
  it.each(HOSTILE)('is always a valid comment for %j', (s) => {
    expect(() => new Function(`${jsdoc(s)}\nreturn 1;`)).not.toThrow();
  });
});

describe('lineComment', () => {
  it.each(HOSTILE)('stays on one line for %j', (s) => {
    const c = lineComment(s);
    expect(c.startsWith('//')).toBe(true);
    expect(c).not.toMatch(/[\n\r\u2028\u2029]/);
    expect(new Function(`${c}\nreturn 7;`)()).toBe(7);
  });
});

describe('propertyKey / isIdentifierName', () => {
  it('bare identifiers, reserved words included', () => {
    expect(propertyKey('name')).toBe('name');
    expect(propertyKey('$ref')).toBe('$ref');
    expect(propertyKey('class')).toBe('class');
    expect(propertyKey('constructor')).toBe('constructor');
    expect(propertyKey('héllo')).toBe('héllo');
  });
  it('quotes everything else', () => {
    expect(propertyKey('with space')).toBe("'with space'");
    expect(propertyKey('1st')).toBe("'1st'");
    expect(propertyKey('a-b')).toBe("'a-b'");
    expect(propertyKey('')).toBe("''");
    expect(propertyKey("it's */")).toBe("'it\\'s */'");
  });
  it('__proto__ becomes a computed key that defines an own property', () => {
    expect(propertyKey('__proto__')).toBe("['__proto__']");
    const obj = new Function(`return { ${propertyKey('__proto__')}: 1, ${propertyKey('constructor')}: 2 };`)() as object;
    expect(Object.keys(obj)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
  });
  it('isIdentifierName', () => {
    expect(isIdentifierName('a1')).toBe(true);
    expect(isIdentifierName('_')).toBe(true);
    expect(isIdentifierName('1a')).toBe(false);
    expect(isIdentifierName('a.b')).toBe(false);
    expect(isIdentifierName('😀')).toBe(false);
  });
});

describe('tsValue', () => {
  it('renders JSON values safely', () => {
    const v = { a: [1, 'x', null, true], "b'": { __proto__x: 1 }, __proto__: 2 } as unknown;
    const parsed = JSON.parse('{"__proto__": {"x": "</script>"}, "k": -0.5}') as unknown;
    expect(new Function(`return ${tsValue(parsed)};`)()).toEqual(parsed);
    expect(tsValue([1, 'a'])).toBe("[1, 'a']");
    expect(typeof tsValue(v)).toBe('string');
  });
});
