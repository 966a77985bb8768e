/**
 * Keys that are names of `Object.prototype` members (`__proto__`, `constructor`, `hasOwnProperty`, ...) are legal
 * AsyncAPI and JSON Schema (a payload property may be called `constructor`), but @asyncapi/parser and its
 * dependencies store documents in plain objects: `__proto__` makes immer throw while freezing the document and
 * `hasOwnProperty` breaks the `$ref` resolver, and what comes back is a stack trace at 1:1.
 *
 * Our own YAML reading keeps such keys as own properties, so the model reads them as written. The parser gets a
 * copy of each file's text in which every such key (and every `$ref` pointer segment and `required` entry naming
 * one) is replaced by a stand-in of the same length: positions, and so the parser's own located diagnostics, are
 * unchanged, and `restoreNames` turns the stand-ins in its messages back into the names the user wrote.
 */
import { isScalar, isSeq, visit, type Document, type Scalar } from 'yaml';

/** Own property names of `Object.prototype`: the keys a plain-object store cannot hold safely. */
export const HOSTILE_KEYS: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

const LEET: Record<string, string> = { o: '0', e: '3', a: '4', i: '1' };

/** The stand-in of a hostile name: same length, only `[A-Za-z0-9_]`, distinct from every other name. */
export function standIn(name: string): string {
  return name.replace(/[oeai]/g, (c) => LEET[c] ?? c);
}

const STAND_INS = new Map([...HOSTILE_KEYS].map((k) => [standIn(k), k]));
const STAND_IN_RE = new RegExp([...STAND_INS.keys()].sort((a, b) => b.length - a.length).join('|'), 'g');

/** Replace stand-ins in a parser message or path segment by the names the user wrote. */
export function restoreNames(text: string): string {
  return text.replace(STAND_IN_RE, (s) => STAND_INS.get(s) ?? s);
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** The edit that writes `name`'s stand-in over the scalar's source text, keeping its length. */
function scalarEdit(source: string, node: Scalar, name: string): Edit | undefined {
  const [start, end] = node.range ?? [];
  if (start === undefined || end === undefined) return undefined;
  const written = source.slice(start, end);
  const at = written.indexOf(name);
  if (at >= 0) return { start: start + at, end: start + at + name.length, text: standIn(name) };
  // Written with escapes ("\x5f_proto__"): any harmless key of the same length will do for validation.
  if (written.length < 3 || !/^["']/.test(written)) return undefined;
  return { start: start + 1, end: end - 1, text: 'x'.repeat(written.length - 2) };
}

/** A `$ref` whose pointer names hostile keys: rewrite those segments in place (same length). */
function refEdit(source: string, node: Scalar): Edit | undefined {
  if (typeof node.value !== 'string' || !node.range) return undefined;
  const [start, end] = node.range;
  const written = source.slice(start, end);
  let changed = false;
  const rewritten = written.replace(/(?<=\/)[^/#'"]+/g, (seg) => {
    if (!HOSTILE_KEYS.has(seg)) return seg;
    changed = true;
    return standIn(seg);
  });
  return changed && rewritten.length === written.length ? { start, end, text: rewritten } : undefined;
}

/**
 * The text @asyncapi/parser may safely read: `source` with hostile keys replaced by stand-ins of the same length.
 * Returns `source` itself when there is nothing to replace.
 */
export function parserSafeText(source: string, doc: Document): string {
  const edits: Edit[] = [];
  visit(doc, {
    Pair(_, pair) {
      if (!isScalar(pair.key)) return;
      const key = String(pair.key.value);
      if (HOSTILE_KEYS.has(key)) {
        const e = scalarEdit(source, pair.key, key);
        if (e) edits.push(e);
      }
      if (key === '$ref' && isScalar(pair.value)) {
        const e = refEdit(source, pair.value);
        if (e) edits.push(e);
      }
      if (key === 'required' && isSeq(pair.value)) {
        for (const item of pair.value.items) {
          if (isScalar(item) && typeof item.value === 'string' && HOSTILE_KEYS.has(item.value)) {
            const e = scalarEdit(source, item, item.value);
            if (e) edits.push(e);
          }
        }
      }
    },
  });
  if (!edits.length) return source;
  edits.sort((a, b) => a.start - b.start);
  let out = '';
  let pos = 0;
  for (const e of edits) {
    if (e.start < pos) continue;
    out += source.slice(pos, e.start) + e.text;
    pos = e.end;
  }
  return out + source.slice(pos);
}
