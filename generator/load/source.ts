import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node, type YAMLMap } from 'yaml';
import type { Diagnostic, SourceLocation } from '../model/types.js';
import { parserSafeText } from './protect.js';

/** One catalog file (YAML or JSON), parsed with positions so any JSON pointer can be located. */
export interface SourceFile {
  /** Absolute path. */
  absPath: string;
  /** Path as shown to users: relative to cwd, forward slashes. */
  displayPath: string;
  data: unknown;
  /**
   * The text as @asyncapi/parser may read it: hostile keys replaced by same-length stand-ins (`protect.ts`); with
   * `--lenient` repairs, the repaired data serialized.
   */
  parserText: string;
  /** sha256 of the bytes read (files loaded from disk; for the cache). */
  hash?: string;
  /** The text has no `traits` anywhere (so there are no message or operation traits to apply). */
  traitsFree?: boolean;
  /** 1-based line/column of a JSON pointer; the deepest existing ancestor when the path is missing. */
  locate(pointer: string): { line: number; column: number };
}

export function displayPath(absPath: string, cwd: string = process.cwd()): string {
  const rel = path.relative(cwd, absPath);
  return (rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : absPath).split(path.sep).join('/');
}

/** Percent-decoding of a pointer segment; a malformed escape (`100%`) is kept as written rather than thrown. */
function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Segments by pointer: the model reads the same pointers many times per run (and `--watch` runs again and again).
 * Shared arrays: callers never change them. Bounded: emptied when full.
 */
const segmentsOf = new Map<string, readonly string[]>();

export function pointerSegments(pointer: string): readonly string[] {
  let segs = segmentsOf.get(pointer);
  if (segs !== undefined) return segs;
  if (pointer === '' || pointer === '/' || pointer === '#' || pointer === '#/') segs = [];
  else {
    const body = pointer.replace(/^#/, '').replace(/^\//, '');
    // Most pointers have nothing to decode (the model asks for every schema node's).
    segs = !/[%~]/.test(body) ? body.split('/') : body.split('/').map((s) => decodeSegment(s).replace(/~1/g, '/').replace(/~0/g, '~'));
  }
  if (segmentsOf.size >= 100_000) segmentsOf.clear();
  segmentsOf.set(pointer, segs);
  return segs;
}

/**
 * The value at `pointer` in parsed data, reading own properties only (a missing `constructor` is not
 * `Object.prototype.constructor`); `undefined` when the path does not exist.
 */
export function valueAt(data: unknown, pointer: string): unknown {
  let node = data;
  for (const seg of pointerSegments(pointer)) {
    if (Array.isArray(node)) node = /^\d+$/.test(seg) ? node[Number(seg)] : undefined;
    else if (typeof node === 'object' && node !== null && Object.prototype.hasOwnProperty.call(node, seg)) node = (node as Record<string, unknown>)[seg];
    else return undefined;
  }
  return node;
}

export function joinPointer(pointer: string, ...segments: Array<string | number>): string {
  return pointer + segments.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/** Pointer → offset of the node a human looks at (a map entry's key, a scalar, a sequence), over one YAML document. */
function offsetIndex(doc: Document.Parsed): (pointer: string) => number {
  // Pointer → YAML node, memoised per prefix, with a key index per map: locating every schema node of a
  // 1,000-event catalog must not be quadratic in the width of `components`.
  const keyIndex = new WeakMap<object, Map<string, { key: Node | undefined; value: unknown }>>();
  const entries = (map: YAMLMap): Map<string, { key: Node | undefined; value: unknown }> => {
    let idx = keyIndex.get(map);
    if (!idx) {
      idx = new Map();
      for (const p of map.items) {
        if (isPair(p) && isScalar(p.key) && !idx.has(String(p.key.value))) idx.set(String(p.key.value), { key: p.key, value: p.value });
      }
      keyIndex.set(map, idx);
    }
    return idx;
  };
  const memo = new Map<string, { node: unknown; best: Node | undefined }>();
  const step = (pointer: string): { node: unknown; best: Node | undefined } => {
    const hit = memo.get(pointer);
    if (hit) return hit;
    let result: { node: unknown; best: Node | undefined };
    const cut = pointer.lastIndexOf('/');
    if (cut < 0 || pointer === '' || pointer === '#') {
      result = { node: doc.contents, best: doc.contents ?? undefined };
    } else {
      const parent = step(pointer.slice(0, cut));
      const seg = (pointerSegments(pointer.slice(cut))[0] ?? '');
      let next: unknown;
      let best = parent.best;
      if (isMap(parent.node)) {
        const entry = entries(parent.node).get(seg);
        if (entry) {
          // Point at the key: that is where a human looks for "this property".
          best = entry.key ?? best;
          next = entry.value;
        }
      } else if (isSeq(parent.node)) {
        next = parent.node.items[Number(seg)];
      }
      if (next === undefined || next === null) result = { node: undefined, best };
      else result = { node: next, best: isSeq(next) || isScalar(next) ? (next as Node) : best };
    }
    memo.set(pointer, result);
    return result;
  };
  return (pointer) => {
    const normal = pointer.replace(/^#/, '');
    return step(normal === '/' ? '' : normal).best?.range?.[0] ?? 0;
  };
}

/**
 * What `--watch` keeps of a parsed file to re-read only what the next edit changed (`spliceSource`): the text, the
 * offset of any pointer, and where each `components.messages` entry's lines begin and end.
 */
interface Positions {
  text: string;
  offsetOf(pointer: string): number;
  /** Entries of a block-style `components.messages` map, in text order; undefined when the file cannot be spliced. */
  blocks(): MessageBlock[] | undefined;
  /** How many splices lie between this file and a whole parse (each keeps its predecessor alive). */
  depth: number;
}
interface MessageBlock {
  id: string;
  /** Start of the key's line; the end of the key; the start of the next entry's key line. */
  start: number;
  keyEnd: number;
  end: number;
}
const positions = new WeakMap<SourceFile, Positions>();

/** Start offsets of every line (after each `\n`), for texts located without a `LineCounter`. */
function lineStarts(text: string): Int32Array {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  const starts = new Int32Array(n);
  let k = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts[k++] = i + 1;
  return starts;
}
function linePos(starts: Int32Array, offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - (starts[lo] as number) + 1 };
}

/** No `traits` key can be in this text: the word is nowhere, nor an escape that could spell it (`"tr\\x61its"`). */
const traitsFree = (text: string): boolean => !/traits|\\[xuU]/.test(text);

const PARSE_OPTIONS = { uniqueKeys: true, prettyErrors: false, strict: true } as const;

/** A value with a lazily computed `parserText` (a whole parse of the text, only when @asyncapi/parser needs it). */
function withLazyParserText(file: Omit<SourceFile, 'parserText'>, compute: () => string): SourceFile {
  let value: string | undefined;
  return Object.defineProperty(file, 'parserText', {
    get: () => (value ??= compute()),
    set: (v: string) => {
      value = v;
    },
    enumerable: true,
    configurable: true,
  }) as SourceFile;
}

function hasAlias(doc: Document.Parsed): boolean {
  let found = false;
  visit(doc, {
    Alias() {
      found = true;
      return visit.BREAK;
    },
  });
  return found;
}

/** Parse text as YAML (JSON is YAML); syntax problems become located `yaml-syntax` diagnostics. */
export function parseSource(text: string, absPath: string, cwd?: string): { file?: SourceFile; diagnostics: Diagnostic[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, ...PARSE_OPTIONS });
  const shown = displayPath(absPath, cwd);
  const diagnostics: Diagnostic[] = [];
  for (const err of doc.errors) {
    const pos = lineCounter.linePos(err.pos[0]);
    diagnostics.push({
      severity: 'error',
      rule: 'yaml-syntax',
      message: err.message.split('\n')[0] ?? err.message,
      location: { file: shown, line: pos.line, column: pos.col, pointer: '' },
    });
  }
  if (diagnostics.length) return { diagnostics };
  const data: unknown = doc.toJS({ maxAliasCount: 1000 });
  const offsetOf = offsetIndex(doc);
  const locate = (pointer: string): { line: number; column: number } => {
    const pos = lineCounter.linePos(offsetOf(pointer));
    return { line: pos.line, column: pos.col };
  };
  const file: SourceFile = { absPath, displayPath: shown, data, parserText: parserSafeText(text, doc), locate, traitsFree: traitsFree(text) };
  let blocks: MessageBlock[] | undefined | null = null;
  positions.set(file, {
    text,
    offsetOf,
    depth: 0,
    blocks: () => {
      if (blocks === null) blocks = messageBlocks(doc, text);
      return blocks;
    },
  });
  return { file, diagnostics };
}

/** How many whole-parsed files were indexed for splicing (`messageBlocks`), for tests. */
export const spliceIndexStats = { built: 0 };

/**
 * `--watch`, between runs: index a whole-parsed file for the next edit's splice now (its `components.messages` entries
 * as line blocks, and the search for aliases), so that the first edit after a whole parse does not pay for it (~40 ms
 * at 1,000 events). A spliced file's index is its predecessor's, shifted: nothing to do.
 */
export function prepareSplice(file: SourceFile): void {
  positions.get(file)?.blocks();
}

/** The entries of `components.messages` as line blocks, when the file is plain enough to splice (see `spliceSource`). */
function messageBlocks(doc: Document.Parsed, text: string): MessageBlock[] | undefined {
  spliceIndexStats.built++;
  // Traits are merged into the data in place (`traits.ts`): such a file's data cannot be shared with the next run.
  // Directives (`%YAML 1.1`) would read the entries differently on their own.
  if (/\r(?!\n)/.test(text) || /^%/m.test(text) || text.includes('traits') || hasAlias(doc)) return undefined;
  const root = doc.contents;
  if (!isMap(root)) return undefined;
  const components = root.items.find((p) => isScalar(p.key) && p.key.value === 'components')?.value;
  if (!isMap(components) || components.flow) return undefined;
  const messages = components.items.find((p) => isScalar(p.key) && p.key.value === 'messages')?.value;
  if (!isMap(messages) || messages.flow) return undefined;
  const keys: Array<{ id: string; start: number; keyEnd: number }> = [];
  for (const p of messages.items) {
    if (!isScalar(p.key) || typeof p.key.value !== 'string' || !p.key.range) return undefined;
    const at = p.key.range[0];
    keys.push({ id: p.key.value, start: text.lastIndexOf('\n', at - 1) + 1, keyEnd: p.key.range[1] });
  }
  // The last entry has no next key to end at: it is never spliced.
  return keys.slice(0, -1).map((k, i) => ({ ...k, end: (keys[i + 1] as { start: number }).start }));
}

/**
 * Each splice adds a layer over the previous file's offsets (`layeredOffsets`); a lookup not memoised in the newest
 * layer goes down the layers. At this depth the next edit parses the whole text again.
 */
const MAX_SPLICE_DEPTH = 64;

/**
 * The offsets of a spliced file: pointers into the edited entries from the snippet's own index (`inner`, relative to
 * `start`), every other one from the previous file's, shifted by `delta` past the edited lines (`oldEnd`). A function
 * of its own: the closure keeps only these, not the texts of the splice (a layer per edit stays small).
 */
function layeredOffsets(previous: (pointer: string) => number, inner: (pointer: string) => number, edited: ReadonlySet<string>, start: number, oldEnd: number, delta: number): (pointer: string) => number {
  // Memoised: each lookup outside the edited entries asks the layers below.
  const memo = new Map<string, number>();
  return (pointer: string): number => {
    let o = memo.get(pointer);
    if (o !== undefined) return o;
    const normal = pointer.startsWith('#') ? pointer.slice(1) : pointer;
    const segs = normal.startsWith('/components/messages/') ? pointerSegments(normal) : undefined;
    if (segs && segs.length >= 3 && edited.has(segs[2] as string)) o = start + inner(joinPointer('', ...segs.slice(2)));
    else {
      o = previous(pointer);
      if (o >= oldEnd) o += delta;
    }
    memo.set(pointer, o);
    return o;
  };
}
const MAX_SPLICED_ENTRIES = 50;
const HOSTILE_IDS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * `--watch`: the new text of a file read before, when it differs from the old one only inside one
 * `components.messages` entry (its key unchanged, other entries untouched, no new sibling key, indentation kept): only
 * that entry's lines are parsed, the rest of the data and positions are the previous file's (shared, never mutated;
 * positions after the entry shifted by the length difference). Undefined when the edit reaches anything else, or the
 * file uses aliases or lone carriage returns: the caller parses the whole text.
 */
export function spliceSource(previous: SourceFile, text: string): SourceFile | undefined {
  const prev = positions.get(previous);
  if (!prev || prev.depth >= MAX_SPLICE_DEPTH || /\r(?!\n)/.test(text)) return undefined;
  const blocks = prev.blocks();
  const old = prev.text;
  if (!blocks || !blocks.length) return undefined;
  if (old === text) {
    const same = withLazyParserText({ absPath: previous.absPath, displayPath: previous.displayPath, data: previous.data, locate: previous.locate, ...(previous.traitsFree ? { traitsFree: true } : {}) }, () => previous.parserText);
    positions.set(same, prev);
    return same;
  }
  const min = Math.min(old.length, text.length);
  let p = 0;
  while (p < min && old.charCodeAt(p) === text.charCodeAt(p)) p++;
  let s = 0;
  while (s < min && old.charCodeAt(old.length - 1 - s) === text.charCodeAt(text.length - 1 - s)) s++;
  const delta = text.length - old.length;
  const oldEnd = old.length - s;
  // The last entry whose key ends before the first change, and the first entry that ends after the last one.
  let first = -1;
  for (let lo = 0, hi = blocks.length - 1; lo <= hi; ) {
    const mid = (lo + hi) >> 1;
    if ((blocks[mid] as MessageBlock).keyEnd <= p) (first = mid), (lo = mid + 1);
    else hi = mid - 1;
  }
  let last = blocks.length;
  for (let lo = 0, hi = blocks.length - 1; lo <= hi; ) {
    const mid = (lo + hi) >> 1;
    if ((blocks[mid] as MessageBlock).end >= oldEnd) (last = mid), (hi = mid - 1);
    else lo = mid + 1;
  }
  if (first < 0 || last >= blocks.length || last < first || last - first >= MAX_SPLICED_ENTRIES) return undefined;
  const from = blocks[first] as MessageBlock;
  const to = blocks[last] as MessageBlock;
  if (to.end + delta < to.keyEnd) return undefined;
  const ids = blocks.slice(first, last + 1).map((b) => b.id);
  if (ids.some((id) => HOSTILE_IDS.has(id))) return undefined;
  const snippet = text.slice(from.start, to.end + delta);
  const indent = snippet.length - snippet.trimStart().length;
  for (const line of snippet.split('\n').slice(1)) {
    const body = line.trimStart();
    if (body === '' || body.startsWith('#')) continue;
    const at = line.length - body.length;
    if (at < indent || /^[ ]*\t/.test(line)) return undefined;
  }
  const doc = parseDocument(snippet, PARSE_OPTIONS);
  if (doc.errors.length || doc.warnings.length || !isMap(doc.contents) || doc.contents.items.length !== ids.length || hasAlias(doc)) return undefined;
  // The same entries in the same order, each key where it was (relative to the first): only their values changed.
  const keyAt = new Map<string, [number, number]>();
  for (const [i, pair] of doc.contents.items.entries()) {
    if (!isScalar(pair.key) || pair.key.value !== ids[i] || !pair.key.range) return undefined;
    keyAt.set(ids[i] as string, [pair.key.range[0], pair.key.range[1]]);
  }
  const values = doc.toJS({ maxAliasCount: 1000 }) as Record<string, unknown>;

  const data = previous.data as Record<string, unknown>;
  const components = data.components as Record<string, unknown>;
  const messages = { ...(components.messages as Record<string, unknown>) };
  for (const id of ids) messages[id] = values[id];
  const nextData = { ...data, components: { ...components, messages } };

  const offsetOf = layeredOffsets(prev.offsetOf, offsetIndex(doc), new Set(ids), from.start, to.end, delta);
  const starts = lineStarts(text);
  const file = withLazyParserText(
    { absPath: previous.absPath, displayPath: previous.displayPath, data: nextData, locate: (pointer) => linePos(starts, offsetOf(pointer)), traitsFree: traitsFree(text) },
    () => parserSafeText(text, parseDocument(text, PARSE_OPTIONS)),
  );
  const lineOf = (at: number): number => snippet.lastIndexOf('\n', at - 1) + 1;
  const shifted = blocks.map((b, i): MessageBlock => {
    if (i < first) return b;
    if (i > last) return { ...b, start: b.start + delta, keyEnd: b.keyEnd + delta, end: b.end + delta };
    const [at, keyEnd] = keyAt.get(b.id) as [number, number];
    const next = i === last ? to.end + delta : from.start + lineOf((keyAt.get(ids[i - first + 1] as string) as [number, number])[0]);
    return { id: b.id, start: from.start + lineOf(at), keyEnd: from.start + keyEnd, end: next };
  });
  positions.set(file, { text, offsetOf, depth: prev.depth + 1, blocks: () => shifted });
  return file;
}

/**
 * Drop what locates pointers in a file (its YAML tree, ~25× the size of the text) once nothing needs positions any
 * more (`generate` after the model is built): a later `locate` parses the text again.
 */
export function releasePositions(file: SourceFile): void {
  const pos = positions.get(file);
  if (!pos) return;
  const text = pos.text;
  positions.delete(file);
  let again: SourceFile | undefined;
  file.locate = (pointer) => {
    again ??= parseSource(text, file.absPath).file;
    return again ? again.locate(pointer) : { line: 1, column: 1 };
  };
}

/** The first line in `text[from, to)` that is neither blank nor a comment, without its line break. */
function firstContentLine(text: string, from: number, to: number): string | undefined {
  for (let at = from; at < to; ) {
    const eol = text.indexOf('\n', at);
    const line = text.slice(at, eol < 0 || eol > to ? to : eol);
    const body = line.trim();
    if (body !== '' && !body.startsWith('#')) return line;
    if (eol < 0) break;
    at = eol + 1;
  }
  return undefined;
}

/**
 * `--watch`'s rehearsal (`WatchSession.rehearse`): the text `file` was read from, and the same text with one
 * `components.messages` entry's data changed as an edit of one message changes it (a line `x-eventgen-rehearsal: true`
 * added to its mapping, an extension nothing reads), so that loading it takes the splice path of a real edit.
 * Undefined when no entry can be edited so (the file is not spliced, or no entry is a block mapping).
 */
export function rehearsalTexts(file: SourceFile): { original: string; edited: string } | undefined {
  const pos = positions.get(file);
  const blocks = pos?.blocks();
  if (!pos || !blocks?.length) return undefined;
  const text = pos.text;
  // An entry from the middle: a real edit is seldom of the first or last one.
  for (let k = 0; k < blocks.length; k++) {
    const b = blocks[(k + (blocks.length >> 1)) % blocks.length] as MessageBlock;
    const eol = text.indexOf('\n', b.keyEnd);
    // The key's line holds the key and its colon only (the value is a block below it).
    if (eol < 0 || eol >= b.end || !/^[ \t]*:[ \t]*(#.*)?\r?$/.test(text.slice(b.keyEnd, eol))) continue;
    const keyIndent = /^ */.exec(text.slice(b.start, b.keyEnd))?.[0].length ?? 0;
    // The value's first line (after blank and comment lines): a plain key of the message's mapping (not a `$ref`),
    // indented deeper than the entry's key.
    const first = /^( +)(?!["']?\$ref)[A-Za-z_"'][^\n]*?:(?: |\r?$)/.exec(firstContentLine(text, eol + 1, b.end) ?? '');
    if (first === null || (first[1] as string).length <= keyIndent) continue;
    const newline = text[eol - 1] === '\r' ? '\r\n' : '\n';
    return { original: text, edited: `${text.slice(0, eol + 1)}${first[1]}x-eventgen-rehearsal: true${newline}${text.slice(eol + 1)}` };
  }
  return undefined;
}

/**
 * Read and parse a file; with `previous` (the same file read before, `--watch`), only what an edit changed when it can.
 * `text`: the file's text as given instead of as on disk (`--watch`'s rehearsal).
 */
export async function loadSource(absPath: string, cwd?: string, previous?: SourceFile, text?: string): Promise<{ file?: SourceFile; diagnostics: Diagnostic[] }> {
  let bytes: Buffer;
  try {
    bytes = text === undefined ? await readFile(absPath) : Buffer.from(text, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    return {
      diagnostics: [
        {
          severity: 'error',
          rule: 'file-unreadable',
          message: code === 'ENOENT' ? 'file not found' : `cannot read file (${code})`,
          location: { file: displayPath(absPath, cwd), line: 1, column: 1, pointer: '' },
        },
      ],
    };
  }
  const read = text ?? bytes.toString('utf8');
  const spliced = previous ? spliceSource(previous, read) : undefined;
  const parsed = spliced ? { file: spliced, diagnostics: [] } : parseSource(read, absPath, cwd);
  if (parsed.file) parsed.file.hash = createHash('sha256').update(bytes).digest('hex');
  return parsed;
}

export function locationOf(file: SourceFile, pointer: string): SourceLocation {
  const { line, column } = file.locate(pointer);
  return { file: file.displayPath, line, column, pointer };
}
