/**
 * A matching string for the simple regular expressions catalogs use in `pattern` (anchors, literals,
 * escapes `\d \w \s`, character classes with ranges, groups, alternation, `? * + {n} {n,m}`), picking the
 * first alternative, the lowest allowed repetition (at least one for `+`/`{n,}`), and the first character of
 * each class. Returns `undefined` for anything else (look-arounds, back-references, negated classes); the
 * caller checks the result against the real `RegExp` anyway.
 */

class Unsupported extends Error {}

export function sampleForPattern(pattern: string, minLength = 0): string | undefined {
  try {
    const p = new Parser(pattern, minLength > 0);
    const out = p.alternation();
    if (p.i < pattern.length) return undefined;
    return out;
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
}

class Parser {
  i = 0;
  constructor(
    private readonly src: string,
    /** Repeat `*` / `+` / `{n,}` a few times (to reach a minLength). */
    private readonly generous: boolean,
  ) {}

  private peek(): string | undefined {
    return this.src[this.i];
  }

  alternation(): string {
    const first = this.sequence();
    while (this.peek() === '|') {
      this.i++;
      this.sequence();
    }
    return first;
  }

  private sequence(): string {
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '|' || c === ')') return out;
      if (c === '^' || c === '$') {
        this.i++;
        continue;
      }
      const atom = this.atom();
      out += this.quantified(atom);
    }
  }

  private quantified(atom: string): string {
    const c = this.peek();
    let min = 1;
    let open = false;
    if (c === '?') {
      min = 0;
      this.i++;
    } else if (c === '*') {
      min = 0;
      open = true;
      this.i++;
    } else if (c === '+') {
      open = true;
      this.i++;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) throw new Unsupported();
      min = Number(m[1]);
      open = m[2] !== undefined && m[3] === '';
      this.i += m[0].length;
    } else {
      return atom;
    }
    if (this.peek() === '?' || this.peek() === '+') this.i++; // lazy / possessive: same sample
    const count = open ? Math.max(min, 1) + (this.generous ? 7 : 0) : min;
    return atom.repeat(count);
  }

  private atom(): string {
    const c = this.peek() as string;
    this.i++;
    switch (c) {
      case '(': {
        if (this.src.startsWith('?:', this.i)) this.i += 2;
        else if (this.peek() === '?') throw new Unsupported();
        const inner = this.alternation();
        if (this.peek() !== ')') throw new Unsupported();
        this.i++;
        return inner;
      }
      case '[':
        return this.charClass();
      case '.':
        return 'a';
      case '\\':
        return this.escape(false);
      default:
        if ('*+?{})]'.includes(c)) throw new Unsupported();
        return c;
    }
  }

  private escape(inClass: boolean): string {
    const c = this.peek();
    if (c === undefined) throw new Unsupported();
    this.i++;
    if (c === 'd') return '1';
    if (c === 'w') return 'a';
    if (c === 's') return ' ';
    if (/[0-9bBDWSkpPuxc]/.test(c) && !(inClass && c === 'b')) throw new Unsupported();
    if (c === 'n') return '\n';
    if (c === 't') return '\t';
    return c;
  }

  private charClass(): string {
    if (this.peek() === '^') throw new Unsupported();
    let first: string | undefined;
    let closed = false;
    while (this.i < this.src.length) {
      let c = this.peek() as string;
      if (c === ']' && first !== undefined) {
        this.i++;
        closed = true;
        break;
      }
      this.i++;
      if (c === '\\') c = this.escape(true);
      if (this.peek() === '-' && this.src[this.i + 1] !== ']' && this.src[this.i + 1] !== undefined) {
        this.i += 2;
        let end = this.src[this.i - 1] as string;
        if (end === '\\') end = this.escape(true);
        if (end < c) throw new Unsupported();
        // Prefer a letter/digit that reads well: the start of the range.
      }
      first ??= c;
    }
    if (!closed || first === undefined) throw new Unsupported();
    return first;
  }
}
