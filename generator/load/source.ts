import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node, type YAMLMap } from 'yaml';
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

export function pointerSegments(pointer: string): string[] {
  if (pointer === '' || pointer === '/' || pointer === '#' || pointer === '#/') return [];
  return pointer
    .replace(/^#/, '')
    .replace(/^\//, '')
    .split('/')
    .map((s) => decodeSegment(s).replace(/~1/g, '/').replace(/~0/g, '~'));
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

/** Parse text as YAML (JSON is YAML); syntax problems become located `yaml-syntax` diagnostics. */
export function parseSource(text: string, absPath: string, cwd?: string): { file?: SourceFile; diagnostics: Diagnostic[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
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
  const locate = (pointer: string): { line: number; column: number } => {
    const normal = pointer.replace(/^#/, '');
    const offset = step(normal === '/' ? '' : normal).best?.range?.[0] ?? 0;
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  return { file: { absPath, displayPath: shown, data, parserText: parserSafeText(text, doc), locate }, diagnostics };
}

export async function loadSource(absPath: string, cwd?: string): Promise<{ file?: SourceFile; diagnostics: Diagnostic[] }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(absPath);
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
  const parsed = parseSource(bytes.toString('utf8'), absPath, cwd);
  if (parsed.file) parsed.file.hash = createHash('sha256').update(bytes).digest('hex');
  return parsed;
}

export function locationOf(file: SourceFile, pointer: string): SourceLocation {
  const { line, column } = file.locate(pointer);
  return { file: file.displayPath, line, column, pointer };
}
