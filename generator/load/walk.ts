/**
 * The AsyncAPI objects of the loaded data that the rewriting steps (traits, lenient repairs) work on: channels,
 * operations, messages and their traits, servers, in 2.x and 3.x shape, each dereferenced and listed once.
 */
import { child, deref, entries, isRecord, type DataNode } from './resolve.js';
import type { SourceFile } from './source.js';

export interface DocumentNodes {
  major: 2 | 3;
  root: DataNode;
  channels: DataNode[];
  /** 3.x operations; 2.x `publish`/`subscribe` objects. */
  operations: DataNode[];
  messages: DataNode[];
  servers: DataNode[];
}

/** 2 or 3 from the document's `asyncapi` field (3 when it is missing or not a 2.x version). */
export function majorOf(data: unknown): 2 | 3 {
  return isRecord(data) && String(data.asyncapi ?? '').startsWith('2.') ? 2 : 3;
}

export function documentNodes(main: SourceFile, files: ReadonlyMap<string, SourceFile>): DocumentNodes {
  const root: DataNode = { file: main, pointer: '', value: main.data };
  const major = majorOf(main.data);
  const components = child(root, 'components');
  const seen = new Set<unknown>();
  const unique = (list: DataNode[], n: DataNode | undefined): void => {
    if (!n || !isRecord(n.value) || seen.has(n.value)) return;
    seen.add(n.value);
    list.push(n);
  };
  const channels: DataNode[] = [];
  for (const [, ch] of [...entries(files, child(root, 'channels')), ...entries(files, child(components, 'channels'))]) unique(channels, ch);
  const operations: DataNode[] = [];
  const messages: DataNode[] = [];
  const message = (n: DataNode | undefined): void => {
    if (!n || !isRecord(n.value)) return;
    if (major === 2 && Array.isArray(n.value.oneOf)) n.value.oneOf.forEach((_, i) => unique(messages, deref(files, n.file, child(n, 'oneOf', i).pointer)));
    else unique(messages, n);
  };
  for (const ch of channels) {
    if (major === 3) {
      for (const [, m] of entries(files, child(ch, 'messages'))) message(m);
      continue;
    }
    for (const verb of ['publish', 'subscribe']) {
      const op = deref(files, ch.file, child(ch, verb).pointer);
      if (!op) continue;
      unique(operations, op);
      message(deref(files, op.file, child(op, 'message').pointer));
    }
  }
  if (major === 3) for (const [, op] of [...entries(files, child(root, 'operations')), ...entries(files, child(components, 'operations'))]) unique(operations, op);
  for (const [, m] of entries(files, child(components, 'messages'))) message(m);
  const servers: DataNode[] = [];
  for (const [, s] of [...entries(files, child(root, 'servers')), ...entries(files, child(components, 'servers'))]) unique(servers, s);
  return { major, root, channels, operations, messages, servers };
}
