/**
 * Avro schemas (1.9-1.12 specification) to the `Schema` IR the JSON Schema payloads use, so the Zod validators, the
 * TypeScript types, the docs and `gen diff` read them unchanged. The shape modelled is the value a producer passes
 * and a handler receives (a plain JSON value: unions untagged, bytes/fixed as strings, logical types as their
 * underlying type), documented in docs/catalog.md "Avro payloads".
 *
 * Named types (record, enum, fixed) become shared schemas with the id `avro:<fullname>`; a name used in another
 * payload or `.avsc` file of the same catalog refers to the same shared schema. Name references are resolved once
 * every payload is read (`resolve()`), so a type may be defined in a file read later. Problems are located errors
 * `invalid-avro-schema` in our words; avsc (`Type.forSchema`) validates each payload again when ours found nothing.
 */
import path from 'node:path';
import avsc from 'avsc';
import type { At, ModelContext } from './context.js';
import { isRecord } from './context.js';
import type { AvroInfo, JsonValue, NamedSchema, ObjectProperty, Schema } from './types.js';

/** `application/vnd.apache.avro` with optional `+json`/`+yaml` and `;version=x.y.z` (AsyncAPI's Avro formats). */
const AVRO_FORMAT = /^application\/vnd\.apache\.avro(\+json|\+yaml)?(;\s*version=[\d.]+)?$/i;

export function isAvroFormat(format: string): boolean {
  return AVRO_FORMAT.test(format.trim());
}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

/** Where the logical types sit on their underlying types, and what the description says. */
const LOGICAL: Record<string, { on: string[]; says: string }> = {
  date: { on: ['int'], says: 'Avro date: days since 1970-01-01' },
  'time-millis': { on: ['int'], says: 'Avro time-millis: milliseconds after midnight' },
  'time-micros': { on: ['long'], says: 'Avro time-micros: microseconds after midnight' },
  'timestamp-millis': { on: ['long'], says: 'Avro timestamp-millis: milliseconds since 1970-01-01T00:00:00Z' },
  'timestamp-micros': { on: ['long'], says: 'Avro timestamp-micros: microseconds since 1970-01-01T00:00:00Z' },
  'timestamp-nanos': { on: ['long'], says: 'Avro timestamp-nanos: nanoseconds since 1970-01-01T00:00:00Z' },
  'local-timestamp-millis': { on: ['long'], says: 'Avro local-timestamp-millis: milliseconds since 1970-01-01T00:00:00, local time' },
  'local-timestamp-micros': { on: ['long'], says: 'Avro local-timestamp-micros: microseconds since 1970-01-01T00:00:00, local time' },
  'local-timestamp-nanos': { on: ['long'], says: 'Avro local-timestamp-nanos: nanoseconds since 1970-01-01T00:00:00, local time' },
  decimal: { on: ['bytes', 'fixed'], says: 'Avro decimal' },
  uuid: { on: ['string', 'fixed'], says: 'Avro uuid' },
  duration: { on: ['fixed'], says: 'Avro duration: months, days, milliseconds (12 bytes)' },
};

/**
 * Logical types kept as attributes in the registry schema (`wireSchema`): values stay their underlying type; one on
 * the wrong underlying type throws here, so avsc reads it as the plain type (as Avro readers do) and drops it.
 */
class KeptLogicalType extends avsc.types.LogicalType {
  private readonly attrs: Record<string, unknown>;
  constructor(schema: avsc.Schema, opts?: avsc.ForSchemaOptions) {
    super(schema, opts);
    const attrs = schema as unknown as Record<string, unknown>;
    this.attrs = attrs;
    const on = LOGICAL[String(attrs.logicalType)]?.on ?? [];
    if (!on.includes(this.underlyingType.typeName)) throw new Error(`logical type ${String(attrs.logicalType)} does not apply to ${this.underlyingType.typeName}`);
  }
  protected override _fromValue(value: unknown): unknown {
    return value;
  }
  protected override _toValue(value: unknown): unknown {
    return value;
  }
  protected override _export(schema: avsc.Schema): void {
    const attrs = schema as unknown as Record<string, unknown>;
    for (const k of ['precision', 'scale']) if (this.attrs[k] !== undefined) attrs[k] = this.attrs[k];
  }
}
const KEPT_LOGICAL_TYPES = Object.fromEntries(Object.keys(LOGICAL).map((name) => [name, KeptLogicalType])) as unknown as Record<string, new (schema: avsc.Schema, opts?: avsc.ForSchemaOptions) => avsc.types.LogicalType>;

interface Pending {
  ref: Extract<Schema, { kind: 'ref' }>;
  candidates: string[];
  written: string;
  at: At;
}

interface Definition {
  raw: string;
  at: At;
}

/** Reads every Avro payload of one catalog; named types are shared across payloads and files. */
export class AvroReader {
  private readonly defined = new Map<string, Definition>();
  private readonly pending: Pending[] = [];
  private readonly avscRegistry: Record<string, unknown> = {};
  // Top-level payloads read, for their self-contained registry schema (`AvroInfo`-free: `Schema.avroWire`).
  private readonly payloads: Array<{ raw: unknown; schema: Schema }> = [];

  constructor(
    private readonly ctx: ModelContext,
    private readonly named: Map<string, NamedSchema>,
  ) {}

  /** The Avro schema written at `at` (following a `$ref` to a file such as `user.avsc`, or `user.avsc#/User`). */
  read(at: At): Schema {
    const target = this.follow(at);
    if (!target) return { kind: 'unknown' };
    const errorsBefore = this.errorCount();
    const schema = this.node(target.value, target.at, '');
    if (this.errorCount() === errorsBefore) {
      this.validate(target.value, target.at);
      this.payloads.push({ raw: target.value, schema });
    }
    return schema;
  }

  /** Resolve name references across payloads; report the names defined nowhere. Call once every payload is read. */
  resolve(): void {
    for (const p of this.pending.splice(0)) {
      const found = p.candidates.find((c) => this.defined.has(c));
      if (found) p.ref.target = `avro:${found}`;
      else this.invalid(p.at, `Avro type "${p.written}" is not defined (looked for ${p.candidates.map((c) => `"${c}"`).join(', ')}); define it before use or fix the name`);
    }
    for (const p of this.payloads.splice(0)) {
      const wire = this.wireSchema(p.raw);
      if (wire !== undefined) p.schema.avroWire = wire;
    }
  }

  /**
   * The payload's schema as a registry stores it: self-contained (named types defined in other payloads or `.avsc`
   * files inlined at their first use, by avsc's `Type#schema()`), JSON text. Undefined when avsc cannot read it.
   */
  private wireSchema(raw: unknown): string | undefined {
    const registry: Record<string, avsc.Type> = {};
    const known = this.avscRegistry as Record<string, avsc.Type>;
    for (let round = 0; round < 64; round++) {
      try {
        return JSON.stringify(avsc.Type.forSchema(raw as avsc.Schema, { registry: { ...registry }, logicalTypes: KEPT_LOGICAL_TYPES }).schema({ exportAttrs: true }));
      } catch (e) {
        const missing = /^undefined type name: (\S+)/.exec(e instanceof Error ? e.message : '')?.[1];
        const type = missing === undefined ? undefined : known[missing];
        if (missing === undefined || type === undefined || registry[missing] !== undefined) return undefined;
        registry[missing] = type;
      }
    }
    return undefined;
  }

  private errorCount(): number {
    return this.ctx.diagnostics.filter((d) => d.severity === 'error').length;
  }

  private invalid(at: At, message: string): void {
    this.ctx.report('error', 'invalid-avro-schema', message, at);
  }

  private follow(at: At): { value: unknown; at: At } | undefined {
    let cur = at;
    for (let hops = 0; hops < 16; hops++) {
      const value = this.ctx.read(cur);
      if (!(isRecord(value) && typeof value.$ref === 'string')) return { value, at: cur };
      const refAt = this.ctx.child(cur, '$ref');
      const next = avroRefTarget(this.ctx, value.$ref, refAt);
      if (!next) return undefined;
      cur = next;
    }
    this.invalid(at, 'circular $ref chain');
    return undefined;
  }

  /** Check the whole payload with avsc too (names, defaults); names from other payloads are known to it. */
  private validate(raw: unknown, at: At): void {
    try {
      // With the kept logical types: the named types land in the registry with their logicalType/precision/scale,
      // which `wireSchema` inlines into other payloads' registry schemas.
      const type = avsc.Type.forSchema(raw as avsc.Schema, { registry: this.avscRegistry as Record<string, avsc.Type>, logicalTypes: KEPT_LOGICAL_TYPES });
      void type;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      // A name defined in a payload read later: `resolve()` decides.
      if (/^undefined type name/.test(message)) return;
      this.invalid(at, `not a valid Avro schema: ${message}`);
    }
  }

  private fullname(name: string, namespace: string): string {
    return name.includes('.') || !namespace ? name : `${namespace}.${name}`;
  }

  private info(type: string, extra: Partial<AvroInfo> = {}): AvroInfo {
    return { type, ...extra };
  }

  /** One Avro schema node: a type name, a union (array) or a schema object. `ns` is the enclosing namespace. */
  private node(raw: unknown, at: At, ns: string): Schema {
    if (typeof raw === 'string') {
      if (PRIMITIVES.has(raw)) return this.primitive(raw, undefined, at);
      return this.reference(raw, at, ns);
    }
    if (Array.isArray(raw)) return this.union(raw, at, ns);
    if (!isRecord(raw)) {
      this.invalid(at, `an Avro schema is a type name, a union (list) or an object with "type", got ${raw === null ? 'null' : typeof raw}`);
      return { kind: 'unknown', loc: this.ctx.loc(at) };
    }
    const type = raw.type;
    if (typeof type !== 'string') {
      if (type === undefined) this.invalid(at, 'an Avro schema object needs "type"');
      else if (Array.isArray(type) || isRecord(type)) return this.node(type, this.ctx.child(at, 'type'), ns);
      else this.invalid(this.ctx.child(at, 'type'), `"type" must be a string, got ${typeof type}`);
      return { kind: 'unknown', loc: this.ctx.loc(at) };
    }
    const loc = this.ctx.loc(at);
    let schema: Schema;
    switch (type) {
      case 'record':
      case 'error':
      case 'enum':
      case 'fixed':
        return this.named_(raw, at, ns, type);
      case 'array':
        if (!('items' in raw)) {
          this.invalid(at, 'an Avro array needs "items"');
          schema = { kind: 'array', items: { kind: 'unknown' } };
        } else schema = { kind: 'array', items: this.node(raw.items, this.ctx.child(at, 'items'), ns) };
        schema.avro = this.info('array');
        break;
      case 'map':
        if (!('values' in raw)) {
          this.invalid(at, 'an Avro map needs "values"');
          schema = { kind: 'record', values: { kind: 'unknown' } };
        } else schema = { kind: 'record', values: this.node(raw.values, this.ctx.child(at, 'values'), ns) };
        schema.avro = this.info('map');
        break;
      default:
        if (PRIMITIVES.has(type)) return { ...this.primitive(type, raw, at), loc };
        // `{"type": "com.example.Money"}`: a reference written as an object.
        return this.reference(type, this.ctx.child(at, 'type'), ns);
    }
    if (typeof raw.doc === 'string') schema.description = raw.doc;
    return { ...schema, loc };
  }

  private primitive(type: string, raw: Record<string, unknown> | undefined, at: At): Schema {
    let schema: Schema;
    switch (type) {
      case 'null':
        schema = { kind: 'null' };
        break;
      case 'boolean':
        schema = { kind: 'boolean' };
        break;
      case 'int':
        schema = { kind: 'integer', minimum: INT_MIN, maximum: INT_MAX };
        break;
      case 'long':
        // No bounds: Zod's int() already keeps to the safe integers (±(2^53 - 1)) a JS number holds exactly.
        schema = { kind: 'integer' };
        break;
      case 'float':
      case 'double':
        schema = { kind: 'number' };
        break;
      default:
        schema = { kind: 'string' };
    }
    const info = this.info(type);
    if (raw) this.logical(raw, at, type, schema, info);
    schema.avro = info;
    return schema;
  }

  /** A logical type: the value keeps its underlying type; a description (and uuid's format) says what it means. */
  private logical(raw: Record<string, unknown>, at: At, underlying: string, schema: Schema, info: AvroInfo): void {
    const lt = raw.logicalType;
    if (lt === undefined) return;
    const ltAt = this.ctx.child(at, 'logicalType');
    if (typeof lt !== 'string') {
      this.invalid(ltAt, '"logicalType" must be a string');
      return;
    }
    const known = LOGICAL[lt];
    if (!known || !known.on.includes(underlying)) {
      // The Avro specification: readers ignore unknown or misplaced logical types and use the underlying type.
      this.ctx.report('warning', 'avro-logical-type-ignored', known ? `logical type "${lt}" does not apply to ${underlying} (it annotates ${known.on.join(' or ')}); read as plain ${underlying}, as Avro readers do` : `unknown logical type "${lt}"; read as plain ${underlying}, as Avro readers do`, ltAt);
      return;
    }
    info.logicalType = lt;
    let says = known.says;
    if (lt === 'decimal') {
      const precision = raw.precision;
      const scale = raw.scale ?? 0;
      if (typeof precision !== 'number' || !Number.isInteger(precision) || precision < 1) {
        this.invalid(this.ctx.child(at, 'precision'), 'decimal needs an integer "precision" of at least 1');
        return;
      }
      if (typeof scale !== 'number' || !Number.isInteger(scale) || scale < 0 || scale > precision) {
        this.invalid(this.ctx.child(at, 'scale'), `decimal "scale" must be an integer from 0 to the precision (${precision})`);
        return;
      }
      info.precision = precision;
      info.scale = scale;
      says = `Avro decimal(${precision}, ${scale}): the unscaled two's-complement value as ${underlying}`;
    }
    if (lt === 'uuid' && schema.kind === 'string' && underlying === 'string') schema.format = 'uuid';
    if (lt === 'time-millis' && schema.kind === 'integer') {
      schema.minimum = 0;
      schema.maximum = 86_399_999;
    }
    if (lt === 'time-micros' && schema.kind === 'integer') {
      schema.minimum = 0;
      schema.maximum = 86_399_999_999;
    }
    schema.description = says;
  }

  private reference(name: string, at: At, ns: string): Schema {
    const candidates = name.includes('.') ? [name] : [...new Set([this.fullname(name, ns), name])];
    const ref: Extract<Schema, { kind: 'ref' }> = { kind: 'ref', target: `avro:${candidates[0]}` };
    if (!NAME.test(name.split('.').pop() ?? '')) {
      this.invalid(at, `"${name}" is neither an Avro primitive type (${[...PRIMITIVES].join(', ')}) nor a valid type name`);
      return { kind: 'unknown', loc: this.ctx.loc(at) };
    }
    this.pending.push({ ref, candidates, written: name, at });
    return ref;
  }

  private union(raw: unknown[], at: At, ns: string): Schema {
    if (raw.length === 0) {
      this.invalid(at, 'an Avro union needs at least one branch');
      return { kind: 'never', loc: this.ctx.loc(at) };
    }
    const members: Schema[] = [];
    let nullable = false;
    const seen = new Set<string>();
    raw.forEach((branch, i) => {
      const bAt = this.ctx.child(at, i);
      if (Array.isArray(branch)) {
        this.invalid(bAt, 'an Avro union cannot directly contain another union');
        return;
      }
      const key = typeof branch === 'string' ? branch : isRecord(branch) ? (['record', 'enum', 'fixed', 'error'].includes(String(branch.type)) ? `name:${String(branch.name)}` : String(branch.type)) : '';
      if (seen.has(key) && !key.startsWith('name:')) this.invalid(bAt, `an Avro union cannot hold two branches of type "${key}"`);
      seen.add(key);
      if (branch === 'null' || (isRecord(branch) && branch.type === 'null')) nullable = true;
      else members.push(this.node(branch, bAt, ns));
    });
    const info = this.info('union');
    if (members.length === 0) return { kind: 'null', avro: info, loc: this.ctx.loc(at) };
    const base: Schema = members.length === 1 ? { ...(members[0] as Schema) } : { kind: 'union', mode: 'anyOf', members, avro: info };
    if (nullable) {
      base.nullable = true;
      // A union of null and T keeps what T's own Avro node says, plus that it is a union with null.
      if (members.length === 1) base.avro = { ...(base.avro ?? { type: 'unknown' }), type: base.avro?.type ?? 'unknown' };
    }
    return { ...base, loc: this.ctx.loc(at) };
  }

  /** A record, enum or fixed: registered as the shared schema `avro:<fullname>`, returned as a reference to it. */
  private named_(raw: Record<string, unknown>, at: At, ns: string, type: string): Schema {
    const name = raw.name;
    const declaredNs = typeof raw.namespace === 'string' ? raw.namespace : undefined;
    if (typeof name !== 'string' || name === '') {
      this.invalid(at, `an Avro ${type} needs a "name" (schema registries refuse a nameless ${type})`);
      return { kind: 'unknown', loc: this.ctx.loc(at) };
    }
    const segments = name.split('.');
    if (!segments.every((s) => NAME.test(s))) {
      this.invalid(this.ctx.child(at, 'name'), `"${name}" is not a valid Avro name (letters, digits and _, not starting with a digit; dots only between namespace parts)`);
      return { kind: 'unknown', loc: this.ctx.loc(at) };
    }
    const full = name.includes('.') ? name : this.fullname(name, declaredNs ?? ns);
    const innerNs = full.includes('.') ? full.slice(0, full.lastIndexOf('.')) : '';
    const id = `avro:${full}`;
    const text = JSON.stringify(raw);
    const before = this.defined.get(full);
    if (before) {
      if (before.raw !== text) {
        const l = this.ctx.loc(before.at);
        this.invalid(at, `Avro type "${full}" is defined twice, differently (first at ${l.file}:${l.line}:${l.column}); define it once and refer to it by name`);
      }
      return { kind: 'ref', target: id };
    }
    this.defined.set(full, { raw: text, at });
    const entry: NamedSchema = { id, originalName: full, typeName: '', schemaName: '', fileName: '', schema: { kind: 'unknown' }, recursive: false, loc: this.ctx.loc(at) };
    this.named.set(id, entry);
    entry.schema = this.body(raw, at, innerNs, type, full);
    return { kind: 'ref', target: id };
  }

  private aliases(raw: Record<string, unknown>, at: At, ns: string): string[] | undefined {
    const a = raw.aliases;
    if (a === undefined) return undefined;
    if (!Array.isArray(a) || !a.every((x) => typeof x === 'string')) {
      this.invalid(this.ctx.child(at, 'aliases'), '"aliases" must be a list of names');
      return undefined;
    }
    return (a as string[]).map((x) => this.fullname(x, ns));
  }

  private body(raw: Record<string, unknown>, at: At, ns: string, type: string, full: string | undefined): Schema {
    const loc = this.ctx.loc(at);
    const info = this.info(type, full ? { name: full } : {});
    const aliases = this.aliases(raw, at, ns);
    if (aliases) info.aliases = aliases;
    let schema: Schema;
    if (type === 'enum') schema = this.enum_(raw, at, info);
    else if (type === 'fixed') {
      const size = raw.size;
      if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
        this.invalid(this.ctx.child(at, 'size'), 'an Avro fixed needs an integer "size" of at least 0');
        schema = { kind: 'string' };
      } else {
        info.size = size;
        schema = { kind: 'string', minLength: size, maxLength: size };
        this.logical(raw, at, 'fixed', schema, info);
        if (info.logicalType === undefined) schema.description = `Avro fixed(${size}): ${size} bytes, one character per byte`;
      }
    } else schema = this.record(raw, at, ns);
    schema.avro = info;
    if (typeof raw.doc === 'string') schema.description = raw.doc;
    return { ...schema, loc };
  }

  private enum_(raw: Record<string, unknown>, at: At, info: AvroInfo): Schema {
    const symbols = raw.symbols;
    if (!Array.isArray(symbols) || symbols.length === 0 || !symbols.every((s) => typeof s === 'string')) {
      this.invalid(this.ctx.child(at, 'symbols'), 'an Avro enum needs "symbols": a non-empty list of names');
      return { kind: 'string' };
    }
    const list = symbols as string[];
    symbols.forEach((s, i) => {
      if (!NAME.test(s)) this.invalid(this.ctx.child(at, 'symbols', i), `enum symbol "${s}" is not a valid Avro name`);
      else if (list.indexOf(s) !== i) this.invalid(this.ctx.child(at, 'symbols', i), `enum symbol "${s}" appears twice`);
    });
    if (raw.default !== undefined) {
      if (typeof raw.default === 'string' && list.includes(raw.default)) info.enumDefault = raw.default;
      else this.invalid(this.ctx.child(at, 'default'), `the enum default must be one of its symbols, got ${JSON.stringify(raw.default)}`);
    }
    return { kind: 'enum', values: [...list] };
  }

  private record(raw: Record<string, unknown>, at: At, ns: string): Schema {
    const fields = raw.fields;
    const fAt = this.ctx.child(at, 'fields');
    if (!Array.isArray(fields)) {
      this.invalid(fAt, 'an Avro record needs "fields": a list of {name, type}');
      return { kind: 'object', properties: [], additionalProperties: true };
    }
    const properties: ObjectProperty[] = [];
    const names = new Set<string>();
    fields.forEach((f, i) => {
      const at_ = this.ctx.child(fAt, i);
      if (!isRecord(f) || typeof f.name !== 'string' || !NAME.test(f.name)) {
        this.invalid(at_, 'an Avro field needs a valid "name" (letters, digits and _, not starting with a digit)');
        return;
      }
      if (names.has(f.name)) {
        this.invalid(this.ctx.child(at_, 'name'), `field "${f.name}" appears twice`);
        return;
      }
      names.add(f.name);
      if (!('type' in f)) {
        this.invalid(at_, `field "${f.name}" needs a "type"`);
        return;
      }
      let schema = this.node(f.type, this.ctx.child(at_, 'type'), ns);
      if (typeof f.doc === 'string') schema = { ...schema, description: f.doc };
      const hasDefault = 'default' in f;
      if (hasDefault) schema = { ...schema, default: f.default as JsonValue };
      const prop: ObjectProperty = { name: f.name, schema, required: !hasDefault };
      const aliases = this.aliases(f, at_, '');
      if (aliases) prop.avroAliases = aliases;
      properties.push(prop);
    });
    // Avro readers skip fields they do not know: extra keys are accepted, like JSON Schema's default.
    return { kind: 'object', properties, additionalProperties: true };
  }
}

/**
 * Where a `$ref` to an Avro schema points. Besides JSON pointers, `user.avsc#/User` and `user.avsc#User` (Microcks'
 * convention) name the type `User` (name or fullname) defined at the top of that file.
 */
export function avroRefTarget(ctx: ModelContext, ref: string, at: At): At | undefined {
  const [filePart = '', fragment = ''] = ref.split('#', 2) as [string?, string?];
  if (filePart && fragment) {
    const file = ctx.loaded.files.get(path.resolve(path.dirname(at.file.absPath), filePart));
    if (file && avroNameAtTop(file.data, fragment.replace(/^\//, ''))) return { file, pointer: '' };
  }
  return ctx.refTarget(ref, at);
}

/** True when `d` is an Avro named type whose name or fullname is `name`. */
export function avroNameAtTop(d: unknown, name: string): boolean {
  if (!isRecord(d) || typeof d.name !== 'string' || typeof d.type !== 'string') return false;
  const full = d.name.includes('.') || typeof d.namespace !== 'string' ? d.name : `${d.namespace}.${d.name}`;
  return name === d.name || name === full;
}

/**
 * Named types without a name in an Avro schema, as (pointer, message) pairs relative to `raw`: the load step refuses
 * them in our words before @asyncapi/parser does (AsyncAPI 2's own schema checks Avro payloads, in many unclear lines).
 */
export function avroNamelessTypes(raw: unknown, pointer = ''): Array<{ pointer: string; message: string }> {
  const out: Array<{ pointer: string; message: string }> = [];
  const walk = (node: unknown, p: string, depth: number): void => {
    if (depth > 64) return;
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${p}/${i}`, depth + 1));
    if (!isRecord(node)) return;
    const t = node.type;
    if ((t === 'record' || t === 'error' || t === 'enum' || t === 'fixed') && (typeof node.name !== 'string' || node.name === '')) {
      out.push({ pointer: p, message: `an Avro ${t} needs a "name" (schema registries refuse a nameless ${t}); add one, e.g. the message's name` });
    }
    if (typeof t === 'object') walk(t, `${p}/type`, depth + 1);
    if (Array.isArray(node.fields)) node.fields.forEach((f, i) => isRecord(f) && walk(f.type, `${p}/fields/${i}/type`, depth + 1));
    if ('items' in node) walk(node.items, `${p}/items`, depth + 1);
    if ('values' in node) walk(node.values, `${p}/values`, depth + 1);
  };
  walk(raw, pointer, 0);
  return out;
}

/**
 * The text @asyncapi/parser reads for a loaded file: an `.avsc` file holding one named type also answers the pointer
 * `#/<name>` (and `#/<fullname>`), which Microcks' documents use (`user.avsc#/User`) and model/avro.ts reads.
 */
export function parserTextWithAvroNames(data: unknown, text: string): string {
  if (!isRecord(data) || typeof data.name !== 'string' || typeof data.type !== 'string' || !['record', 'enum', 'fixed', 'error'].includes(data.type)) return text;
  const full = data.name.includes('.') || typeof data.namespace !== 'string' ? data.name : `${data.namespace}.${data.name}`;
  const out: Record<string, unknown> = { ...data };
  for (const n of new Set([data.name, full])) if (!(n in out)) out[n] = data;
  return JSON.stringify(out);
}

/**
 * True for a @asyncapi/parser finding at `segments` (a path in the entry document) about a message example that it
 * checked against an Avro payload read as JSON Schema ("type must be JSONType: record"): meaningless, so dropped.
 */
export function isAvroExampleFinding(data: unknown, segments: ReadonlyArray<string | number>): boolean {
  let node: unknown = data;
  for (let i = 0; i < segments.length; i++) {
    if (!isRecord(node) && !Array.isArray(node)) return false;
    if (segments[i] === 'examples' && isRecord(node)) {
      const payload = node.payload;
      const format = typeof node.schemaFormat === 'string' ? node.schemaFormat : isRecord(payload) && typeof payload.schemaFormat === 'string' ? payload.schemaFormat : undefined;
      return format !== undefined && isAvroFormat(format);
    }
    node = (node as Record<string, unknown>)[String(segments[i])];
  }
  return false;
}
