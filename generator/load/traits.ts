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
import { child, define, deref, isRecord, type DataNode } from './resolve.js';
import type { SourceFile } from './source.js';
import { documentNodes } from './walk.js';

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

/** Rewrite the relative `$ref`s of trait content from `from` so they resolve the same from `to`. */
export function rebase(value: unknown, from: SourceFile, to: SourceFile): unknown {
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

/** Merge the traits of one message or operation into it, in place. */
function applyTo(files: ReadonlyMap<string, SourceFile>, node: DataNode, major: 2 | 3): void {
  const obj = node.value;
  if (!isRecord(obj) || !Array.isArray(obj.traits)) return;
  const traits: Array<Record<string, unknown>> = [];
  obj.traits.forEach((_, i) => {
    const trait = deref(files, node.file, child(node, 'traits', i).pointer);
    if (trait && isRecord(trait.value)) traits.push(rebase(trait.value, trait.file, node.file) as Record<string, unknown>);
  });
  const own: Record<string, unknown> = {};
  for (const k of Object.keys(obj)) if (k !== 'traits') define(own, k, obj[k]);
  const merged: Record<string, unknown> = {};
  for (const src of major === 2 ? [own, ...traits] : [...traits, own]) {
    for (const k of Object.keys(src)) define(merged, k, mergePatch(Object.hasOwn(merged, k) ? merged[k] : undefined, src[k]));
  }
  for (const k of Object.keys(obj)) delete obj[k];
  for (const k of Object.keys(merged)) define(obj, k, merged[k]);
}

/** Apply every message and operation trait of the catalog in place (in the loaded files' data). */
export function applyTraits(main: SourceFile, files: ReadonlyMap<string, SourceFile>): void {
  if (main.traitsFree && [...files.values()].every((f) => f.traitsFree)) return;
  const doc = documentNodes(main, files);
  // Messages first: merging an operation copies its (2.x inline) message, which must already be merged.
  for (const n of [...doc.messages, ...doc.operations]) applyTo(files, n, doc.major);
}

/** Whether any message or operation of the catalog has traits (what `applyTraits` would change). */
export function hasTraits(main: SourceFile, files: ReadonlyMap<string, SourceFile>): boolean {
  const doc = documentNodes(main, files);
  for (const n of [...doc.messages, ...doc.operations]) if (isRecord(n.value) && Array.isArray(n.value.traits)) return true;
  return false;
}
