/**
 * Checks our own reading of the files makes before @asyncapi/parser runs, so that these refusals are located and in
 * our words: a `$ref` that points to nothing (the parser says "'#/User' does not exist @ '/abs/path'" at 1:1),
 * payloads in a schema format eventgen cannot read (Protobuf, RAML, ...), and Avro named types without a name (the
 * AsyncAPI 2 schema's own errors about such a record would only hide the reason).
 */
import path from 'node:path';
import type { Diagnostic } from '../model/types.js';
import { isJsonSchemaFormat, unsupportedFormatMessage } from '../model/schema-formats.js';
import { avroNameAtTop, avroNamelessTypes, isAvroFormat } from '../model/avro.js';
import { joinPointer, locationOf, valueAt, type SourceFile } from './source.js';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A node the checks look at: it has a `$ref` or a `schemaFormat`. */
const checked = (obj: Record<string, unknown>): boolean => obj.$ref !== undefined || obj.schemaFormat !== undefined;

/**
 * `--watch`: the checked nodes of a `components.messages` entry (pointers relative to it), by the identity of its data.
 * After a spliced edit every entry but the edited ones is the same object (and the file has no aliases), so only the
 * edited entries are walked again; the checks themselves run every time (a `$ref` may point elsewhere now).
 */
const checkedInMessage = new WeakMap<object, Array<[Record<string, unknown>, string]>>();

/** Every checked object node of a file with its JSON pointer (iterative: deep documents must not overflow the stack). */
function objects(data: unknown): Array<[Record<string, unknown>, string]> {
  const out: Array<[Record<string, unknown>, string]> = [];
  const stack: Array<[unknown, string, Array<[Record<string, unknown>, string]> | undefined, number]> = [[data, '', undefined, 0]];
  const seen = new Set<unknown>();
  while (stack.length) {
    const [node, pointer, record, base] = stack.pop() as [unknown, string, Array<[Record<string, unknown>, string]> | undefined, number];
    if (typeof node !== 'object' || node === null || seen.has(node)) continue;
    seen.add(node);
    if (Array.isArray(node)) {
      node.forEach((v, i) => stack.push([v, joinPointer(pointer, i), record, base]));
      continue;
    }
    const obj = node as Record<string, unknown>;
    let rec = record;
    let from = base;
    if (rec === undefined && pointer.startsWith('/components/messages/') && pointer.indexOf('/', 21) < 0) {
      const known = checkedInMessage.get(obj);
      if (known !== undefined) {
        for (const [n, rel] of known) out.push([n, pointer + rel]);
        continue;
      }
      rec = [];
      from = pointer.length;
      checkedInMessage.set(obj, rec);
    }
    if (checked(obj)) {
      out.push([obj, pointer]);
      rec?.push([obj, pointer.slice(from)]);
    }
    for (const k of Object.keys(obj)) stack.push([obj[k], joinPointer(pointer, k), rec, from]);
  }
  return out;
}

/** Located errors for dangling `$ref`s and unsupported payload schema formats, over every loaded file. */
export function precheck(files: ReadonlyMap<string, SourceFile>): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const file of new Set(files.values())) {
    for (const [node, pointer] of objects(file.data)) {
      const ref = node.$ref;
      if (typeof ref === 'string' && !/^[a-z][a-z0-9+.-]*:/i.test(ref)) {
        const [filePart = '', fragment = ''] = ref.split('#', 2) as [string?, string?];
        const target = filePart ? files.get(path.resolve(path.dirname(file.absPath), filePart)) : file;
        // `user.avsc#/User`: an Avro type named in the fragment (Microcks' convention), read by model/avro.ts.
        if (target && valueAt(target.data, fragment) === undefined && !avroNameAtTop(target.data, fragment.replace(/^\//, ''))) {
          const where = filePart ? filePart : 'this file';
          out.push({
            severity: 'error',
            rule: 'ref-unresolved',
            message: `$ref "${ref}" points to nothing: ${where} has no "${fragment || '/'}"`,
            location: locationOf(file, joinPointer(pointer, '$ref')),
          });
        }
      }
      const format = node.schemaFormat;
      if (typeof format === 'string' && !isJsonSchemaFormat(format) && !isAvroFormat(format) && ('payload' in node || 'schema' in node)) {
        out.push({ severity: 'error', rule: 'unsupported-schema-format', message: unsupportedFormatMessage(format), location: locationOf(file, joinPointer(pointer, 'schemaFormat')) });
      }
      if (typeof format === 'string' && isAvroFormat(format) && ('payload' in node || 'schema' in node)) {
        const key = 'schema' in node ? 'schema' : 'payload';
        for (const p of avroNamelessTypes(node[key], joinPointer(pointer, key))) out.push({ severity: 'error', rule: 'invalid-avro-schema', message: p.message, location: locationOf(file, p.pointer) });
      }
    }
  }
  const key = (d: Diagnostic): string => `${d.location?.file}\u0000${String(d.location?.line).padStart(9, '0')}:${String(d.location?.column).padStart(9, '0')}`;
  return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
