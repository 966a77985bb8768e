/**
 * `$ref` following over the loaded files, for the steps that rewrite the loaded data before the model reads it
 * (traits, lenient repairs). Unresolvable references are left alone: the precheck and the model report them.
 */
import path from 'node:path';
import { joinPointer, valueAt, type SourceFile } from './source.js';

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A node of the loaded data: its value, the file it is in and its JSON pointer there. */
export interface DataNode {
  file: SourceFile;
  pointer: string;
  value: unknown;
}

/** Set an own property (a key named `__proto__` stays a key). */
export function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Where a `$ref` written in `from` points: file and pointer (the target may not exist). */
export function refTarget(files: ReadonlyMap<string, SourceFile>, from: SourceFile, ref: string): { file: SourceFile; pointer: string } | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(ref)) return undefined;
  const [filePart = '', fragment = ''] = ref.split('#', 2) as [string?, string?];
  const file = filePart ? files.get(path.resolve(path.dirname(from.absPath), filePart)) : from;
  if (!file) return undefined;
  return { file, pointer: fragment === '' || fragment.startsWith('/') ? fragment : `/${fragment}` };
}

/** The node at (file, pointer), following `$ref` chains; undefined when a reference cannot be resolved. */
export function deref(files: ReadonlyMap<string, SourceFile>, file: SourceFile, pointer: string): DataNode | undefined {
  let cur: DataNode = { file, pointer, value: valueAt(file.data, pointer) };
  for (let hops = 0; hops < 64; hops++) {
    if (!isRecord(cur.value) || typeof cur.value.$ref !== 'string') return cur.value === undefined ? undefined : cur;
    const target = refTarget(files, cur.file, cur.value.$ref);
    if (!target) return undefined;
    cur = { ...target, value: valueAt(target.file.data, target.pointer) };
  }
  return undefined;
}

/** The entries of a map node, each dereferenced. */
export function entries(files: ReadonlyMap<string, SourceFile>, node: DataNode | undefined): Array<[string, DataNode]> {
  if (!node || !isRecord(node.value)) return [];
  const out: Array<[string, DataNode]> = [];
  for (const key of Object.keys(node.value)) {
    const child = deref(files, node.file, joinPointer(node.pointer, key));
    if (child) out.push([key, child]);
  }
  return out;
}

/** The child of a node (no `$ref` following of the child itself). */
export function child(node: DataNode, ...segments: Array<string | number>): DataNode {
  return { file: node.file, pointer: joinPointer(node.pointer, ...segments), value: valueAt(node.file.data, joinPointer(node.pointer, ...segments)) };
}
