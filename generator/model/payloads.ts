/**
 * Payload schemas: schema formats, `$ref` targets as named shared schemas, recursion, and the
 * single-use rule (a component schema used only as one event's payload becomes that event's schema).
 */
import path from 'node:path';
import type { At, ModelContext } from './context.js';
import { isRecord } from './context.js';
import { findRecursive, normalizeSchema, type SchemaContext } from './schema.js';
import { isJsonSchemaFormat, unsupportedFormatMessage } from './schema-formats.js';
import { AvroReader, isAvroFormat } from './avro.js';
import type { Catalog, NamedSchema, Schema } from './types.js';


/** Every `ref` node reachable from a schema (not following refs). */
export function forEachRef(schema: Schema, fn: (target: string) => void): void {
  switch (schema.kind) {
    case 'ref':
      fn(schema.target);
      return;
    case 'array':
      forEachRef(schema.items, fn);
      return;
    case 'tuple':
      schema.items.forEach((s) => forEachRef(s, fn));
      if (schema.rest) forEachRef(schema.rest, fn);
      return;
    case 'object':
      schema.properties.forEach((p) => forEachRef(p.schema, fn));
      if (typeof schema.additionalProperties === 'object') forEachRef(schema.additionalProperties, fn);
      return;
    case 'record':
      forEachRef(schema.values, fn);
      return;
    case 'allOf':
    case 'union':
      schema.members.forEach((s) => forEachRef(s, fn));
      return;
    default:
      return;
  }
}

export class SchemaRegistry {
  readonly named = new Map<string, NamedSchema>();
  private readonly pending = new Map<string, At>();
  private readonly schemaCtx: SchemaContext;
  private readonly files = new Map<string, At['file']>();
  /** Avro payloads (`model/avro.ts`): their named types are shared schemas `avro:<fullname>` in `named`. */
  readonly avro: AvroReader;
  /** While set: every `$ref` target resolved, in order (`replay` registers them again when a read is reused). */
  recording: Array<{ file: string; pointer: string }> | undefined;

  constructor(private readonly ctx: ModelContext) {
    for (const f of ctx.loaded.files.values()) this.files.set(f.absPath, f);
    this.avro = new AvroReader(ctx, this.named);
    this.schemaCtx = {
      resolveRef: (ref, at) => {
        const from = this.at(at);
        const target = this.ctx.refTarget(ref, { file: from.file, pointer: from.pointer + '/$ref' });
        if (!target) return '';
        this.recording?.push({ file: target.file.absPath, pointer: target.pointer });
        return this.register(target);
      },
      locate: (at) => this.ctx.loc(this.at(at)),
      report: (d) => this.ctx.diagnostics.push(d),
      lookup: (id) => this.named.get(id)?.schema,
    };
  }

  private register(target: At): string {
    const id = this.ctx.idOf(target);
    if (!this.named.has(id) && !this.pending.has(id)) this.pending.set(id, target);
    return id;
  }

  /** Register the `$ref` targets a reused read of an earlier run resolved (`recording`), in the same order. */
  replay(targets: ReadonlyArray<{ file: string; pointer: string }>): void {
    for (const t of targets) this.register(this.at(t));
  }

  private at(at: { file: string; pointer: string }): At {
    return { file: this.files.get(at.file) ?? this.ctx.loaded.main, pointer: at.pointer };
  }

  /** Normalise the schema written at `at` (registering any `$ref` targets). */
  normalize(at: At): Schema {
    return normalizeSchema(this.ctx.read(at), { file: at.file.absPath, pointer: at.pointer }, this.schemaCtx);
  }

  /** Normalise every registered `$ref` target (and what they reference in turn). */
  drain(): void {
    this.avro.resolve();
    while (this.pending.size) {
      const [id, at] = this.pending.entries().next().value as [string, At];
      this.pending.delete(id);
      const seg = at.pointer.split('/').pop() ?? '';
      const originalName = seg ? seg.replace(/~1/g, '/').replace(/~0/g, '~') : path.basename(at.file.absPath).replace(/\.(ya?ml|json)$/i, '');
      const named: NamedSchema = { id, originalName, typeName: '', schemaName: '', fileName: '', schema: { kind: 'unknown' }, recursive: false, loc: this.ctx.loc(at) };
      this.named.set(id, named);
      named.schema = this.normalize(at);
    }
  }

  /** Mark recursion, inline single-use payload schemas, and publish the shared schemas. */
  finish(catalog: Catalog): void {
    this.drain();
    const recursive = findRecursive(new Map([...this.named].map(([id, n]) => [id, n.schema])));
    for (const id of recursive) {
      const n = this.named.get(id);
      if (n) n.recursive = true;
    }
    const uses = new Map<string, number>();
    const count = (s: Schema): void => forEachRef(s, (t) => uses.set(t, (uses.get(t) ?? 0) + 1));
    for (const n of this.named.values()) count(n.schema);
    for (const e of catalog.events) {
      count(e.payload);
      if (e.headers) count(e.headers);
    }
    for (const e of catalog.events) {
      if (e.payload.kind !== 'ref') continue;
      const target = this.named.get(e.payload.target);
      if (!target || target.recursive || uses.get(target.id) !== 1) continue;
      // The component is this event's payload and nothing else's: emit it as the event schema.
      const meta = { ...e.payload };
      e.payload = { ...target.schema, ...(meta.description ? { description: meta.description } : {}), ...(meta.avroWire !== undefined ? { avroWire: meta.avroWire } : {}) };
      this.named.delete(target.id);
    }
    catalog.schemas = [...this.named.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}

/** The payload of the message at `msgAt`, refusing schema formats we cannot turn into Zod. */
export function readPayload(ctx: ModelContext, registry: SchemaRegistry, msgAt: At): Schema {
  const msg = ctx.read(msgAt);
  if (!isRecord(msg)) return { kind: 'unknown' };
  const payloadAt = ctx.child(msgAt, 'payload');
  const payload = ctx.read(payloadAt);
  if (payload === undefined) {
    ctx.report('warning', 'payload-missing', 'message has no payload schema: its data is typed as unknown', msgAt);
    return { kind: 'unknown' };
  }
  // 2.x: message.schemaFormat; 3.x: payload may be a Multi Format Schema Object { schemaFormat, schema }.
  let format: string | undefined;
  let formatAt: At | undefined;
  let schemaAt = payloadAt;
  if (typeof msg.schemaFormat === 'string') {
    format = msg.schemaFormat;
    formatAt = ctx.child(msgAt, 'schemaFormat');
  }
  if (isRecord(payload) && typeof payload.schemaFormat === 'string' && 'schema' in payload) {
    format = payload.schemaFormat;
    formatAt = ctx.child(payloadAt, 'schemaFormat');
    schemaAt = ctx.child(payloadAt, 'schema');
  }
  if (format && isAvroFormat(format)) return registry.avro.read(schemaAt);
  if (format && formatAt && !isJsonSchemaFormat(format)) {
    ctx.report('error', 'unsupported-schema-format', unsupportedFormatMessage(format), formatAt);
    return { kind: 'unknown' };
  }
  return registry.normalize(schemaAt);
}
