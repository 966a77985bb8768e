/**
 * `--lenient`: spec violations that other tools accept and that eventgen can still read in exactly one way are
 * repaired in the loaded data before @asyncapi/parser validates it, each with a located warning that says what was
 * assumed. Everything else the parser rejects stays an error. The list is decided document by document from the
 * real-world corpus and the documents the issue names (docs/catalog.md, "Lenient reading"):
 *
 * - root `tags` in 3.x (2.x placement) → `info.tags`
 * - channel `messages` written as a list in 3.x → a map keyed by message name
 * - `messageId` in 3.x (2.x field) → ignored
 * - a message-level `schemaFormat` in 3.x (2.x placement) → moved into the payload (multi-format schema object), or
 *   ignored when the payload already is one with the same format (Microcks writes both)
 * - `components.headers` (not AsyncAPI) → read as `components.schemas`
 * - security requirements naming undefined schemes → ignored (Kafka credentials come from the environment)
 * - boolean schemas where 3.x wants an object (`payload: true`) → `{}` / `{ not: {} }`
 * - Microcks' named examples (`- laurent: { payload, headers }`, JSON-encoded payloads) → AsyncAPI examples
 * - message traits with a map (or a list of one-key maps) of named `examples` → ignored (2.x would let it replace the
 *   message's examples)
 * - a plain-string `groupId`/`clientId` in a 3.x Kafka operation binding → a schema with that `const`
 */
import type { Diagnostic } from '../model/types.js';
import { child, define, deref, entries, isRecord, refTarget, type DataNode } from './resolve.js';
import { joinPointer, locationOf, type SourceFile } from './source.js';
import { documentNodes, majorOf } from './walk.js';

interface RepairContext {
  main: SourceFile;
  files: ReadonlyMap<string, SourceFile>;
  major: 2 | 3;
  warn(node: DataNode, violation: string, assumption: string): void;
}

const LENIENT = '--lenient';

/** Every `$ref` string of every file, as a settable slot. */
function* refSlots(files: ReadonlyMap<string, SourceFile>): Generator<{ file: SourceFile; holder: Record<string, unknown>; ref: string }> {
  for (const file of new Set(files.values())) {
    const stack: unknown[] = [file.data];
    const seen = new Set<unknown>();
    while (stack.length) {
      const node = stack.pop();
      if (typeof node !== 'object' || node === null || seen.has(node)) continue;
      seen.add(node);
      if (Array.isArray(node)) {
        stack.push(...node);
        continue;
      }
      const rec = node as Record<string, unknown>;
      if (typeof rec.$ref === 'string') yield { file, holder: rec, ref: rec.$ref };
      for (const k of Object.keys(rec)) if (k !== '$ref') stack.push(rec[k]);
    }
  }
}

/** Point every `$ref` into `from` (in `file`) at `to` instead, keeping the rest of the pointer. */
function moveRefs(ctx: RepairContext, file: SourceFile, from: string, to: string): void {
  for (const slot of refSlots(ctx.files)) {
    const target = refTarget(ctx.files, slot.file, slot.ref);
    if (!target || target.file !== file || (target.pointer !== from && !target.pointer.startsWith(from + '/'))) continue;
    const filePart = slot.ref.split('#', 1)[0] ?? '';
    slot.holder.$ref = `${filePart}#${to}${target.pointer.slice(from.length)}`;
  }
}

function rootTags(ctx: RepairContext): void {
  const root = ctx.main.data;
  if (ctx.major !== 3 || !isRecord(root) || root.tags === undefined) return;
  const node: DataNode = { file: ctx.main, pointer: '/tags', value: root.tags };
  if (isRecord(root.info) && root.info.tags === undefined) {
    define(root.info, 'tags', root.tags);
    ctx.warn(node, 'root `tags` is AsyncAPI 2.x (AsyncAPI 3 has them in `info.tags`)', 'read as `info.tags`');
  } else ctx.warn(node, 'root `tags` is AsyncAPI 2.x (AsyncAPI 3 has them in `info.tags`)', 'ignored: `info.tags` is set');
  delete root.tags;
}

const lastSegment = (pointer: string): string => (pointer.split('/').pop() ?? '').replace(/~1/g, '/').replace(/~0/g, '~');

function channelMessageLists(ctx: RepairContext): void {
  if (ctx.major !== 3) return;
  const root: DataNode = { file: ctx.main, pointer: '', value: ctx.main.data };
  const channels = [...entries(ctx.files, child(root, 'channels')), ...entries(ctx.files, child(child(root, 'components'), 'channels'))];
  for (const [, ch] of channels) {
    const list = child(ch, 'messages');
    if (!Array.isArray(list.value) || !isRecord(ch.value)) continue;
    const map: Record<string, unknown> = {};
    const keys: string[] = [];
    list.value.forEach((item, i) => {
      const ref = isRecord(item) && typeof item.$ref === 'string' ? refTarget(ctx.files, ch.file, item.$ref) : undefined;
      const target = deref(ctx.files, ch.file, joinPointer(list.pointer, i));
      const named = isRecord(target?.value) && typeof target.value.name === 'string' ? target.value.name : undefined;
      let key = (ref && /\/messages\/[^/]+$/.test(ref.pointer) ? lastSegment(ref.pointer) : undefined) ?? named ?? `message${i + 1}`;
      for (let n = 2; Object.hasOwn(map, key); n++) key = `${key.replace(/-\d+$/, '')}-${n}`;
      define(map, key, item);
      keys.push(key);
      moveRefs(ctx, ch.file, joinPointer(list.pointer, i), joinPointer(list.pointer, key));
    });
    define(ch.value, 'messages', map);
    ctx.warn(list, 'channel `messages` must be a map in AsyncAPI 3, not a list', `read as a map keyed by message: ${keys.join(', ')}`);
  }
}

function messageIds(ctx: RepairContext, messages: DataNode[]): void {
  if (ctx.major !== 3) return;
  for (const m of messages) {
    if (!isRecord(m.value) || m.value.messageId === undefined) continue;
    ctx.warn(child(m, 'messageId'), '`messageId` is AsyncAPI 2.x (in AsyncAPI 3 the message key identifies a message)', 'ignored');
    delete m.value.messageId;
  }
}

/** The media type without whitespace, lower-cased: `application/vnd.apache.avro+json; version=1.9.0` as written both ways. */
const sameFormat = (a: string, b: string): boolean => a.replace(/\s+/g, '').toLowerCase() === b.replace(/\s+/g, '').toLowerCase();

function messageSchemaFormats(ctx: RepairContext, messages: DataNode[]): void {
  if (ctx.major !== 3) return;
  for (const m of messages) {
    if (!isRecord(m.value) || typeof m.value.schemaFormat !== 'string') continue;
    const format = m.value.schemaFormat;
    const payload = m.value.payload;
    const node = child(m, 'schemaFormat');
    if (isRecord(payload) && typeof payload.schemaFormat === 'string') {
      // A payload with its own, different format: two readings, so the parser's error stays.
      if (!sameFormat(payload.schemaFormat, format)) continue;
      ctx.warn(node, '`schemaFormat` on a message is AsyncAPI 2.x (in AsyncAPI 3 it belongs to the payload)', 'ignored: the payload names the same format');
    } else if (payload !== undefined) {
      define(m.value, 'payload', { schemaFormat: format, schema: payload });
      ctx.warn(node, '`schemaFormat` on a message is AsyncAPI 2.x (in AsyncAPI 3 it belongs to the payload)', `read as the payload's (\`payload: { schemaFormat: ${format}, schema: ... }\`)`);
    } else continue;
    delete m.value.schemaFormat;
  }
}

function componentHeaders(ctx: RepairContext): void {
  const root = ctx.main.data;
  if (!isRecord(root) || !isRecord(root.components) || !isRecord(root.components.headers)) return;
  const components = root.components;
  const headers = components.headers as Record<string, unknown>;
  const schemas = isRecord(components.schemas) ? components.schemas : {};
  if (!isRecord(components.schemas)) define(components, 'schemas', schemas);
  const moved: string[] = [];
  for (const key of Object.keys(headers)) {
    let name = key;
    for (let n = 1; Object.hasOwn(schemas, name); n++) name = `${key}Headers${n > 1 ? n : ''}`;
    define(schemas, name, headers[key]);
    moveRefs(ctx, ctx.main, joinPointer('/components/headers', key), joinPointer('/components/schemas', name));
    moved.push(name === key ? key : `${key} as ${name}`);
  }
  ctx.warn({ file: ctx.main, pointer: '/components/headers', value: headers }, '`components.headers` is not part of AsyncAPI', `read as \`components.schemas\`: ${moved.join(', ')}`);
  delete components.headers;
}

function undefinedSecuritySchemes(ctx: RepairContext, holders: DataNode[]): void {
  const root = ctx.main.data;
  const schemes = isRecord(root) && isRecord(root.components) && isRecord(root.components.securitySchemes) ? root.components.securitySchemes : {};
  const assumption = 'ignored (eventgen takes Kafka credentials from the environment, not from the catalog)';
  for (const holder of holders) {
    const list = child(holder, 'security');
    if (!Array.isArray(list.value) || !isRecord(holder.value)) continue;
    const kept: unknown[] = [];
    list.value.forEach((req, i) => {
      const at = child(list, i);
      if (ctx.major === 3) {
        if (isRecord(req) && typeof req.$ref === 'string' && !deref(ctx.files, list.file, at.pointer)) {
          ctx.warn(child(at, '$ref'), `security scheme ${JSON.stringify(req.$ref)} is not defined`, assumption);
        } else kept.push(req);
        return;
      }
      if (!isRecord(req)) return void kept.push(req);
      const before = Object.keys(req).length;
      for (const name of Object.keys(req)) {
        if (Object.hasOwn(schemes, name)) continue;
        ctx.warn(child(at, name), `security scheme "${name}" is not defined in components.securitySchemes`, assumption);
        delete req[name];
      }
      // `{}` (no authentication) as written stays; a requirement left empty by the removal goes.
      if (before === 0 || Object.keys(req).length) kept.push(req);
    });
    if (kept.length) define(holder.value, 'security', kept);
    else delete holder.value.security;
  }
}

function booleanSchemas(ctx: RepairContext, messages: DataNode[]): void {
  if (ctx.major !== 3) return;
  const fix = (parent: Record<string, unknown>, key: string, node: DataNode): void => {
    const v = parent[key];
    if (typeof v !== 'boolean') return;
    define(parent, key, v ? {} : { not: {} });
    ctx.warn(node, `a boolean schema (\`${v}\`) is not allowed here in AsyncAPI 3`, v ? 'read as `{}` (any value)' : 'read as `{ not: {} }` (no value)');
  };
  for (const m of messages) {
    if (!isRecord(m.value)) continue;
    for (const key of ['payload', 'headers']) {
      fix(m.value, key, child(m, key));
      const multi = m.value[key];
      if (isRecord(multi) && typeof multi.schemaFormat === 'string') fix(multi, 'schema', child(m, key, 'schema'));
    }
  }
  const root = ctx.main.data;
  if (isRecord(root) && isRecord(root.components) && isRecord(root.components.schemas)) {
    const schemas = root.components.schemas;
    for (const key of Object.keys(schemas)) fix(schemas, key, { file: ctx.main, pointer: joinPointer('/components/schemas', key), value: schemas[key] });
  }
}

/** A JSON-encoded example value (`payload: '{"id": 1}'`) as the value it encodes, when it encodes an object or a list. */
function decoded(v: unknown): { value: unknown; parsed: boolean } {
  if (typeof v !== 'string' || !/^\s*[[{]/.test(v)) return { value: v, parsed: false };
  try {
    const value: unknown = JSON.parse(v);
    return typeof value === 'object' && value !== null ? { value, parsed: true } : { value: v, parsed: false };
  } catch {
    return { value: v, parsed: false };
  }
}

const EXAMPLE_KEYS = ['payload', 'headers', 'summary', 'name'];

function namedExamples(ctx: RepairContext, messages: DataNode[]): void {
  for (const m of messages) {
    const list = child(m, 'examples');
    if (!Array.isArray(list.value) || !list.value.length) continue;
    const isNamed = (item: unknown): item is Record<string, Record<string, unknown>> => {
      if (!isRecord(item) || Object.keys(item).length !== 1 || EXAMPLE_KEYS.some((k) => Object.hasOwn(item, k))) return false;
      const inner = item[Object.keys(item)[0] ?? ''];
      return isRecord(inner) && (Object.hasOwn(inner, 'payload') || Object.hasOwn(inner, 'headers'));
    };
    if (!list.value.every(isNamed)) continue;
    let parsed = false;
    const names: string[] = [];
    // AsyncAPI 2.0 examples have only `headers` and `payload`.
    const v20 = /^2\.0\./.test(String(isRecord(ctx.main.data) ? ctx.main.data.asyncapi : ''));
    const converted = list.value.map((item) => {
      const name = Object.keys(item)[0] ?? '';
      const inner = item[name] ?? {};
      const out: Record<string, unknown> = v20 ? {} : { name };
      for (const k of Object.keys(inner)) {
        if (v20 && k !== 'payload' && k !== 'headers') continue;
        const d = k === 'payload' || k === 'headers' ? decoded(inner[k]) : { value: inner[k], parsed: false };
        parsed ||= d.parsed;
        define(out, k, d.value);
      }
      names.push(name);
      return out;
    });
    if (isRecord(m.value)) define(m.value, 'examples', converted);
    ctx.warn(list, "examples are written in Microcks' named form (`- <name>: { payload, headers }`), not as AsyncAPI examples", `read as examples ${v20 ? `(${names.join(', ')}; AsyncAPI 2.0 examples have no names)` : `named ${names.join(', ')}`}${parsed ? '; JSON-encoded payloads and headers decoded' : ''}`);
  }
}

function traitExampleMaps(ctx: RepairContext, messages: DataNode[]): void {
  const root: DataNode = { file: ctx.main, pointer: '', value: ctx.main.data };
  const traits = entries(ctx.files, child(child(root, 'components'), 'messageTraits')).map(([, t]) => t);
  for (const m of messages) {
    const list = child(m, 'traits');
    if (Array.isArray(list.value)) list.value.forEach((_, i) => { const t = deref(ctx.files, list.file, child(list, i).pointer); if (t) traits.push(t); });
  }
  const seen = new Set<unknown>();
  for (const t of traits) {
    if (!isRecord(t.value) || seen.has(t.value)) continue;
    const examples = t.value.examples;
    // A map of named examples, or (Microcks' 3.0 documents) a list of one-key maps `- laurent: { header: value }`.
    const namedList = Array.isArray(examples) && examples.length > 0 && examples.every((e) => isRecord(e) && Object.keys(e).length === 1 && !EXAMPLE_KEYS.includes(Object.keys(e)[0] as string));
    if (!isRecord(examples) && !namedList) continue;
    seen.add(t.value);
    ctx.warn(child(t, 'examples'), namedList ? 'message trait `examples` entries must be example objects (these are named header examples, as Microcks writes them)' : 'message trait `examples` must be a list (this is a map of named examples, as Microcks writes header examples)', "ignored (in AsyncAPI 2 it would replace the message's own examples)");
    delete t.value.examples;
  }
}

function plainStringIds(ctx: RepairContext, operations: DataNode[]): void {
  if (ctx.major !== 3) return;
  const root: DataNode = { file: ctx.main, pointer: '', value: ctx.main.data };
  const holders = [...operations, ...entries(ctx.files, child(child(root, 'components'), 'operationTraits')).map(([, t]) => t)];
  for (const op of operations) {
    const traits = child(op, 'traits');
    if (Array.isArray(traits.value)) traits.value.forEach((_, i) => { const t = deref(ctx.files, traits.file, child(traits, i).pointer); if (t) holders.push(t); });
  }
  const seen = new Set<unknown>();
  for (const holder of holders) {
    const kafka = deref(ctx.files, holder.file, child(holder, 'bindings', 'kafka').pointer);
    if (!kafka || !isRecord(kafka.value) || seen.has(kafka.value)) continue;
    seen.add(kafka.value);
    for (const key of ['groupId', 'clientId']) {
      const v = kafka.value[key];
      if (typeof v !== 'string') continue;
      define(kafka.value, key, { type: 'string', const: v });
      ctx.warn(child(kafka, key), `the Kafka binding's \`${key}\` must be a schema in AsyncAPI 3, not a plain string`, `read as \`{ type: string, const: ${JSON.stringify(v)} }\``);
    }
  }
}

/** Repair what `--lenient` accepts, in place; returns the located warnings (one per assumption). */
export function lenientRepairs(main: SourceFile, files: ReadonlyMap<string, SourceFile>): Diagnostic[] {
  const out: Diagnostic[] = [];
  const ctx: RepairContext = {
    main,
    files,
    major: majorOf(main.data),
    warn: (node, violation, assumption) => out.push({ severity: 'warning', rule: 'asyncapi-schema', message: `${violation}: ${assumption} (${LENIENT})`, location: locationOf(node.file, node.pointer) }),
  };
  rootTags(ctx);
  channelMessageLists(ctx);
  componentHeaders(ctx);
  const doc = documentNodes(main, files);
  messageIds(ctx, doc.messages);
  messageSchemaFormats(ctx, doc.messages);
  undefinedSecuritySchemes(ctx, [...doc.servers, ...doc.operations]);
  booleanSchemas(ctx, doc.messages);
  traitExampleMaps(ctx, doc.messages);
  plainStringIds(ctx, doc.operations);
  namedExamples(ctx, doc.messages);
  return out;
}
