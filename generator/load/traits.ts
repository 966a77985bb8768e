/**
 * Message and operation traits, applied to the loaded data before the model reads it, the way @asyncapi/parser
 * applies them (JSON Merge Patch, key by key): in AsyncAPI 2.x each trait is merged over the object, in order (a
 * trait wins); in 3.x the traits are merged first and the object over them (the object wins). Headers and Kafka
 * bindings declared in a trait (`groupId`, message `key`) reach the model like the object's own.
 *
 * Merged trait content may come from another file: its relative `$ref`s are rewritten to stay correct from the
 * file of the object it is merged into. Locations of merged-in nodes fall back to the object (the trait has no
 * position in the object's file).
 */
import path from 'node:path';
import { valueAt, type SourceFile } from './source.js';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** JSON Merge Patch (RFC 7386) that never touches the inputs and stores `__proto__` keys as own properties. */
export function mergePatch(origin: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return patch;
  const result: Record<string, unknown> = {};
  if (isRecord(origin)) for (const k of Object.keys(origin)) define(result, k, origin[k]);
  for (const k of Object.keys(patch)) {
    const v = patch[k];
    if (v === null) delete result[k];
    else define(result, k, mergePatch(Object.hasOwn(result, k) ? result[k] : undefined, v));
  }
  return result;
}

interface Located {
  file: SourceFile;
  value: unknown;
}

class TraitApplier {
  private readonly done = new WeakSet<object>();

  constructor(
    private readonly files: ReadonlyMap<string, SourceFile>,
    private readonly major: 2 | 3,
  ) {}

  /** Follow `$ref` chains (unresolvable ones are the model's to report). */
  deref(file: SourceFile, value: unknown): Located | undefined {
    let cur: Located = { file, value };
    for (let hops = 0; hops < 64; hops++) {
      if (!isRecord(cur.value) || typeof cur.value.$ref !== 'string') return cur;
      const [filePart = '', fragment = ''] = cur.value.$ref.split('#', 2) as [string?, string?];
      const target = filePart ? this.files.get(path.resolve(path.dirname(cur.file.absPath), filePart)) : cur.file;
      if (!target) return undefined;
      const next = valueAt(target.data, fragment);
      if (next === undefined) return undefined;
      cur = { file: target, value: next };
    }
    return undefined;
  }

  /** Apply the traits of the object (a message or an operation) found at `value`, once. */
  apply(file: SourceFile, value: unknown): void {
    const at = this.deref(file, value);
    if (!at || !isRecord(at.value) || this.done.has(at.value)) return;
    const obj = at.value;
    this.done.add(obj);
    if (!Array.isArray(obj.traits)) return;
    const traits: Array<Record<string, unknown>> = [];
    for (const t of obj.traits) {
      const trait = this.deref(at.file, t);
      if (trait && isRecord(trait.value)) traits.push(rebase(trait.value, trait.file, at.file) as Record<string, unknown>);
    }
    const own: Record<string, unknown> = {};
    for (const k of Object.keys(obj)) if (k !== 'traits') define(own, k, obj[k]);
    const order = this.major === 2 ? [own, ...traits] : [...traits, own];
    const merged: Record<string, unknown> = {};
    for (const src of order) {
      for (const k of Object.keys(src)) define(merged, k, mergePatch(Object.hasOwn(merged, k) ? merged[k] : undefined, src[k]));
    }
    for (const k of Object.keys(obj)) delete obj[k];
    for (const k of Object.keys(merged)) define(obj, k, merged[k]);
  }

  /** A message that may be a 2.x `oneOf` list of messages. */
  applyMessage(file: SourceFile, value: unknown): void {
    const at = this.deref(file, value);
    if (!at || !isRecord(at.value)) return;
    if (this.major === 2 && Array.isArray(at.value.oneOf)) for (const m of at.value.oneOf) this.apply(at.file, m);
    else this.apply(at.file, at.value);
  }

  channel(file: SourceFile, value: unknown): void {
    const at = this.deref(file, value);
    if (!at || !isRecord(at.value)) return;
    const ch = at.value;
    if (this.major === 3) {
      for (const m of Object.values(isRecord(ch.messages) ? ch.messages : {})) this.applyMessage(at.file, m);
      return;
    }
    for (const verb of ['publish', 'subscribe']) {
      const op = this.deref(at.file, ch[verb]);
      if (!op || !isRecord(op.value)) continue;
      this.apply(op.file, op.value);
      this.applyMessage(op.file, op.value.message);
    }
  }
}

/** Rewrite the relative `$ref`s of trait content from `from` so they resolve the same from `to`. */
function rebase(value: unknown, from: SourceFile, to: SourceFile): unknown {
  if (from === to) return value;
  if (Array.isArray(value)) return value.map((v) => rebase(v, from, to));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    const v = value[k];
    if (k === '$ref' && typeof v === 'string' && !/^[a-z][a-z0-9+.-]*:/i.test(v)) {
      const [filePart = '', fragment] = v.split('#', 2) as [string?, string?];
      const target = filePart ? path.resolve(path.dirname(from.absPath), filePart) : from.absPath;
      const rel = target === to.absPath ? '' : path.relative(path.dirname(to.absPath), target).split(path.sep).join('/');
      define(out, k, `${rel}${fragment !== undefined ? `#${fragment}` : ''}`);
    } else define(out, k, rebase(v, from, to));
  }
  return out;
}

/** Apply every message and operation trait of the catalog in place (in the loaded files' data). */
export function applyTraits(main: SourceFile, files: ReadonlyMap<string, SourceFile>): void {
  const root = main.data;
  if (!isRecord(root)) return;
  const major = String(root.asyncapi ?? '').startsWith('2.') ? 2 : 3;
  const t = new TraitApplier(files, major);
  const components = isRecord(root.components) ? root.components : {};
  const each = (v: unknown): unknown[] => (isRecord(v) ? Object.values(v) : []);
  for (const ch of [...each(root.channels), ...each(components.channels)]) t.channel(main, ch);
  if (major === 3) for (const op of [...each(root.operations), ...each(components.operations)]) t.apply(main, op);
  for (const m of each(components.messages)) t.applyMessage(main, m);
}
