/**
 * JSON Schema (draft-07 as AsyncAPI uses it, plus 2020-12 `prefixItems` and OpenAPI `nullable`) to the
 * `Schema` IR. Pure: refs are resolved, locations computed and diagnostics collected through the
 * caller's `SchemaContext`. Nothing is dropped silently: unsupported keywords are located warnings,
 * malformed schemas are located errors with a permissive fallback.
 */
import type {
  DataClassification,
  Diagnostic,
  ObjectProperty,
  Schema,
  SchemaMeta,
  SourceLocation,
  StringFormat,
  UnionSchema,
} from './types.js';
import {
  HANDLED_KEYWORDS,
  IGNORED_KEYWORDS,
  JSON_TYPES,
  STRING_FORMATS,
  UNSUPPORTED_KEYWORDS,
  pointerSegment,
  type JsonType,
} from './schema-keywords.js';
import { detectDiscriminator } from './schema-discriminator.js';
import {
  applyMeta,
  describe,
  hasConstraints,
  hasMeta,
  inferTypes,
  isBareObject,
  isEmptySchema,
  isRecord,
  isValidRegex,
  matchesType,
  toJson,
} from './schema-util.js';

/** The values of `x-data-classification`, least to most sensitive. */
export const DATA_CLASSIFICATIONS: readonly DataClassification[] = ['public', 'internal', 'confidential', 'restricted'];

export { findRecursive, topoOrder, collectRefs } from './schema-graph.js';

/** A position in the source: file plus JSON pointer. */
export interface SchemaAt {
  file: string;
  pointer: string;
}

/** What the normaliser needs from its caller. */
export interface SchemaContext {
  /** Resolve a `$ref` written at `at`; returns the `NamedSchema.id`. The caller registers/normalises the target. */
  resolveRef(ref: string, at: SchemaAt): string;
  locate(at: SchemaAt): SourceLocation;
  report(d: Diagnostic): void;
  /** The normalised schema of a named schema, if known yet (used for discriminator detection through refs). */
  lookup?(id: string): Schema | undefined;
}

type Raw = Record<string, unknown>;

/** Why a payload property cannot be named `__proto__` (JSON.parse keeps it, but Zod and spread drop it silently). */
const PROTO_PROPERTY =
  'a property named "__proto__" cannot be carried: Zod and object spreads treat it as the prototype and drop it silently, so handlers would never see it; rename the property';

const child = (at: SchemaAt, ...segments: Array<string | number>): SchemaAt => ({
  file: at.file,
  pointer: at.pointer + segments.map((s) => '/' + pointerSegment(s)).join(''),
});

/** Normalise one raw JSON Schema node found at `at`. Never throws for any input. */
export function normalizeSchema(raw: unknown, at: SchemaAt, ctx: SchemaContext): Schema {
  return new Normalizer(ctx).node(raw, at);
}

class Normalizer {
  constructor(private readonly ctx: SchemaContext) {}

  private warn(at: SchemaAt, keyword: string, message: string): void {
    this.ctx.report({ severity: 'warning', rule: 'schema-unsupported-keyword', message, location: this.ctx.locate(at) });
  }

  private invalid(at: SchemaAt, message: string): void {
    this.ctx.report({ severity: 'error', rule: 'schema-invalid', message, location: this.ctx.locate(at) });
  }

  node(raw: unknown, at: SchemaAt): Schema {
    if (raw === true) return { kind: 'unknown', loc: this.ctx.locate(at) };
    if (raw === false) return { kind: 'never', loc: this.ctx.locate(at) };
    if (!isRecord(raw)) {
      this.invalid(at, `a schema must be an object or a boolean, got ${describe(raw)}; any value is accepted instead`);
      return { kind: 'unknown', loc: this.ctx.locate(at) };
    }
    this.checkKeywords(raw, at);
    const meta = this.meta(raw, at);
    const result = this.body(raw, at);
    if (meta.default !== undefined && !defaultFits(result, meta.default, meta.nullable === true)) {
      this.ctx.report({
        severity: 'warning',
        rule: 'schema-invalid-default',
        message: `default ${JSON.stringify(meta.default)} does not match the schema (${result.kind}); it is ignored`,
        location: this.ctx.locate(child(at, 'default')),
      });
      delete meta.default;
    }
    return applyMeta(result, meta);
  }

  private checkKeywords(raw: Raw, at: SchemaAt): void {
    for (const key of Object.keys(raw)) {
      if (key.startsWith('x-') || IGNORED_KEYWORDS.has(key) || HANDLED_KEYWORDS.has(key)) continue;
      const lost = Object.hasOwn(UNSUPPORTED_KEYWORDS, key) ? UNSUPPORTED_KEYWORDS[key] : undefined;
      if (lost !== undefined) this.warn(child(at, key), key, `\`${key}\` is not supported and is ignored: ${lost}`);
      else this.warn(child(at, key), key, `unknown keyword \`${key}\` is ignored`);
    }
    if ('not' in raw && !isEmptySchema(raw['not'])) {
      this.warn(child(at, 'not'), 'not', `\`not\` is not supported and is ignored: ${UNSUPPORTED_KEYWORDS['not']}`);
    }
  }

  private meta(raw: Raw, at: SchemaAt): SchemaMeta {
    const meta: SchemaMeta = { loc: this.ctx.locate(at) };
    for (const key of ['title', 'description'] as const) {
      const v = raw[key];
      if (v === undefined) continue;
      if (typeof v === 'string') meta[key] = v;
      else this.invalid(child(at, key), `\`${key}\` must be a string; ignored`);
    }
    if ('default' in raw) meta.default = toJson(raw['default']);
    if (Array.isArray(raw['examples'])) meta.examples = raw['examples'].map(toJson);
    else if (raw['examples'] !== undefined) this.invalid(child(at, 'examples'), '`examples` must be an array; ignored');
    else if ('example' in raw) meta.examples = [toJson(raw['example'])];
    if (raw['deprecated'] === true) meta.deprecated = true;
    if (raw['nullable'] === true) meta.nullable = true;
    const classification = raw['x-data-classification'];
    if (classification !== undefined) {
      if (typeof classification === 'string' && (DATA_CLASSIFICATIONS as readonly string[]).includes(classification)) meta.classification = classification as DataClassification;
      else {
        this.ctx.report({
          severity: 'error',
          rule: 'extension-invalid',
          message: `x-data-classification must be one of ${DATA_CLASSIFICATIONS.join(', ')}, got ${JSON.stringify(classification) ?? String(classification)}`,
          location: this.ctx.locate(child(at, 'x-data-classification')),
        });
      }
    }
    return meta;
  }

  private body(raw: Raw, at: SchemaAt): Schema {
    if ('not' in raw && isEmptySchema(raw['not'])) return { kind: 'never' };
    if (typeof raw['$dynamicRef'] === 'string' || typeof raw['$recursiveRef'] === 'string') return { kind: 'unknown' };

    const parts: Schema[] = [];
    const ref = raw['$ref'];
    if (ref !== undefined) {
      if (typeof ref === 'string') parts.push({ kind: 'ref', target: this.ctx.resolveRef(ref, at) });
      else this.invalid(child(at, '$ref'), '`$ref` must be a string; ignored');
    }

    const { types, nullable } = this.types(raw, at);
    const base = this.typed(raw, at, types);
    if (base !== undefined) parts.push(base);

    for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
      const list = this.schemaList(raw, key, at);
      if (list === undefined) continue;
      if (key === 'allOf') parts.push(...list);
      else parts.push(this.union(list, key, raw, child(at, key)));
    }

    // A bare `type: object` next to a composition only restates what the members say.
    const composed = parts.length > 1 ? parts.filter((p) => !isBareObject(p)) : parts;
    let result: Schema;
    if (composed.length === 0) result = nullable && types.length === 0 ? { kind: 'null' } : { kind: 'unknown' };
    else if (composed.length === 1) result = composed[0] as Schema;
    else result = { kind: 'allOf', members: composed };
    if (nullable && result.kind !== 'null') result = { ...result, nullable: true };
    return result;
  }

  /** `type` as a list of non-null types plus whether `null` is allowed. */
  private types(raw: Raw, at: SchemaAt): { types: JsonType[]; nullable: boolean } {
    const t = raw['type'];
    if (t === undefined) return { types: [], nullable: false };
    const list = typeof t === 'string' ? [t] : Array.isArray(t) ? t : undefined;
    const valid = list?.filter((x): x is JsonType => typeof x === 'string' && (JSON_TYPES as readonly string[]).includes(x));
    if (list === undefined || valid === undefined || valid.length !== list.length || list.length === 0) {
      this.invalid(child(at, 'type'), `\`type\` must be one of ${JSON_TYPES.join(', ')} or a non-empty array of them, got ${describe(t)}; the type is not checked`);
      return { types: [], nullable: false };
    }
    const nonNull = valid.filter((x) => x !== 'null');
    // `integer` is a subset of `number`.
    const types = nonNull.includes('number') ? nonNull.filter((x) => x !== 'integer') : nonNull;
    return { types: [...new Set(types)], nullable: nonNull.length !== valid.length && (nonNull.length > 0 || valid.length > 0) };
  }

  /** The part of the schema described by `type` and the type-specific keywords (and enum/const). */
  private typed(raw: Raw, at: SchemaAt, declared: JsonType[]): Schema | undefined {
    const types = declared.length > 0 ? declared : inferTypes(raw);
    const values = this.enumValues(raw, at, types);
    const constrained = types.filter((t) => hasConstraints(raw, t));
    if (values !== undefined) {
      if (constrained.length === 0) return values;
      const base = this.typeUnion(raw, at, constrained);
      return { kind: 'allOf', members: [base, values] };
    }
    if (types.length === 0) return undefined;
    return this.typeUnion(raw, at, types);
  }

  private typeUnion(raw: Raw, at: SchemaAt, types: JsonType[]): Schema {
    const members = types.map((t) => this.forType(raw, at, t));
    if (members.length === 1) return members[0] as Schema;
    return { kind: 'union', mode: 'anyOf', members };
  }

  private enumValues(raw: Raw, at: SchemaAt, types: JsonType[]): Schema | undefined {
    if ('const' in raw) {
      const v = toJson(raw['const']);
      return v === null ? { kind: 'null' } : { kind: 'const', value: v };
    }
    if (!('enum' in raw)) return undefined;
    const e = raw['enum'];
    if (!Array.isArray(e) || e.length === 0) {
      this.invalid(child(at, 'enum'), '`enum` must be a non-empty array; ignored');
      return undefined;
    }
    const fits = (v: unknown): boolean => types.length === 0 || types.some((t) => matchesType(v, t));
    const kept = e.map(toJson).filter(fits);
    const primitives = kept.filter((v): v is string | number | boolean => v !== null && typeof v !== 'object');
    const objects = kept.filter((v) => v !== null && typeof v === 'object');
    const hasNull = kept.includes(null);
    let result: Schema;
    if (objects.length === 0 && primitives.length > 0) result = { kind: 'enum', values: [...new Set(primitives)] };
    else if (objects.length === 0) result = hasNull ? { kind: 'null' } : { kind: 'never' };
    else {
      const members: Schema[] = [...primitives, ...objects].map((value) => ({ kind: 'const', value }));
      result = members.length === 1 ? (members[0] as Schema) : { kind: 'union', mode: 'anyOf', members };
    }
    if (hasNull && result.kind !== 'null') result = { ...result, nullable: true };
    return result;
  }

  private forType(raw: Raw, at: SchemaAt, type: JsonType): Schema {
    switch (type) {
      case 'string':
        return this.string(raw, at);
      case 'number':
      case 'integer':
        return this.number(raw, at, type);
      case 'boolean':
        return { kind: 'boolean' };
      case 'null':
        return { kind: 'null' };
      case 'array':
        return this.array(raw, at);
      case 'object':
        return this.object(raw, at);
    }
  }

  private count(raw: Raw, at: SchemaAt, key: string): number | undefined {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
    this.invalid(child(at, key), `\`${key}\` must be a non-negative integer, got ${describe(v)}; ignored`);
    return undefined;
  }

  private num(raw: Raw, at: SchemaAt, key: string): number | undefined {
    const v = raw[key];
    if (v === undefined || typeof v === 'boolean') return undefined;
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    this.invalid(child(at, key), `\`${key}\` must be a number, got ${describe(v)}; ignored`);
    return undefined;
  }

  private string(raw: Raw, at: SchemaAt): Schema {
    const s: Schema = { kind: 'string' };
    const minLength = this.count(raw, at, 'minLength');
    const maxLength = this.count(raw, at, 'maxLength');
    if (minLength !== undefined) s.minLength = minLength;
    if (maxLength !== undefined) s.maxLength = maxLength;
    const pattern = raw['pattern'];
    if (typeof pattern === 'string') {
      if (isValidRegex(pattern)) s.pattern = pattern;
      else this.invalid(child(at, 'pattern'), `\`pattern\` is not a valid regular expression: ${JSON.stringify(pattern)}; ignored`);
    } else if (pattern !== undefined) this.invalid(child(at, 'pattern'), '`pattern` must be a string; ignored');
    const format = raw['format'];
    if (typeof format === 'string') {
      if ((STRING_FORMATS as readonly string[]).includes(format)) s.format = format as StringFormat;
      else {
        s.unknownFormat = format;
        this.ctx.report({
          severity: 'warning',
          rule: 'schema-unknown-format',
          message: `format \`${format}\` is not validated (supported: ${STRING_FORMATS.join(', ')}); any string is accepted`,
          location: this.ctx.locate(child(at, 'format')),
        });
      }
    } else if (format !== undefined) this.invalid(child(at, 'format'), '`format` must be a string; ignored');
    return s;
  }

  private number(raw: Raw, at: SchemaAt, kind: 'number' | 'integer'): Schema {
    const s: Schema = { kind };
    for (const key of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'] as const) {
      const v = this.num(raw, at, key);
      if (v !== undefined) s[key] = v;
    }
    // Draft-04 style boolean exclusive bounds.
    if (raw['exclusiveMinimum'] === true && s.minimum !== undefined) {
      s.exclusiveMinimum = s.minimum;
      delete s.minimum;
    }
    if (raw['exclusiveMaximum'] === true && s.maximum !== undefined) {
      s.exclusiveMaximum = s.maximum;
      delete s.maximum;
    }
    if (s.multipleOf !== undefined && s.multipleOf <= 0) {
      this.invalid(child(at, 'multipleOf'), '`multipleOf` must be greater than 0; ignored');
      delete s.multipleOf;
    }
    return s;
  }

  private array(raw: Raw, at: SchemaAt): Schema {
    const items = raw['items'];
    const prefix = Array.isArray(raw['prefixItems']) ? raw['prefixItems'] : Array.isArray(items) ? items : undefined;
    const bounds = {
      minItems: this.count(raw, at, 'minItems'),
      maxItems: this.count(raw, at, 'maxItems'),
      uniqueItems: raw['uniqueItems'] === true ? true : undefined,
    };
    if (prefix !== undefined) {
      const key = Array.isArray(raw['prefixItems']) ? 'prefixItems' : 'items';
      const restRaw = key === 'prefixItems' ? items : raw['additionalItems'];
      const restKey = key === 'prefixItems' ? 'items' : 'additionalItems';
      const members = prefix.map((m, i) => this.node(m, child(at, key, i)));
      const rest: Schema | false = restRaw === undefined ? { kind: 'unknown' } : restRaw === false ? false : this.node(restRaw, child(at, restKey));
      const extra = [
        bounds.minItems !== undefined && bounds.minItems > members.length && rest !== false ? 'minItems' : undefined,
        bounds.maxItems !== undefined && rest !== false ? 'maxItems' : undefined,
        bounds.uniqueItems ? 'uniqueItems' : undefined,
      ].filter((k): k is string => k !== undefined);
      for (const k of extra) this.warn(child(at, k), k, `\`${k}\` on a tuple is not supported and is ignored: the item count/uniqueness is not checked`);
      const tuple: Schema = { kind: 'tuple', items: members, rest };
      if (bounds.minItems !== undefined && bounds.minItems > 0) tuple.minItems = Math.min(bounds.minItems, members.length);
      return tuple;
    }
    if (raw['prefixItems'] !== undefined) this.invalid(child(at, 'prefixItems'), '`prefixItems` must be an array; ignored');
    const s: Schema = { kind: 'array', items: items === undefined ? { kind: 'unknown' } : this.node(items, child(at, 'items')) };
    if (bounds.minItems !== undefined) s.minItems = bounds.minItems;
    if (bounds.maxItems !== undefined) s.maxItems = bounds.maxItems;
    if (bounds.uniqueItems) s.uniqueItems = true;
    return s;
  }

  private object(raw: Raw, at: SchemaAt): Schema {
    const props = raw['properties'];
    const properties: ObjectProperty[] = [];
    let required: string[] = [];
    const req = raw['required'];
    if (Array.isArray(req) && req.every((r) => typeof r === 'string')) required = [...new Set(req as string[])];
    else if (req !== undefined) this.invalid(child(at, 'required'), `\`required\` must be an array of strings, got ${describe(req)}; no property is required`);
    if (isRecord(props)) {
      for (const [name, schema] of Object.entries(props)) {
        if (name === '__proto__') {
          this.ctx.report({ severity: 'error', rule: 'schema-property-unsupported', message: PROTO_PROPERTY, location: this.ctx.locate(child(at, 'properties', name)) });
          continue;
        }
        properties.push({ name, schema: this.node(schema, child(at, 'properties', name)), required: required.includes(name) });
      }
    } else if (props !== undefined) this.invalid(child(at, 'properties'), `\`properties\` must be an object, got ${describe(props)}; ignored`);
    // Required names without a property schema: the key must be present, with any value.
    for (const name of required) {
      if (name === '__proto__') {
        if (!isRecord(props) || !Object.hasOwn(props, name)) this.ctx.report({ severity: 'error', rule: 'schema-property-unsupported', message: PROTO_PROPERTY, location: this.ctx.locate(child(at, 'required')) });
        continue;
      }
      if (!properties.some((p) => p.name === name)) properties.push({ name, schema: { kind: 'unknown' }, required: true });
    }
    const ap = raw['additionalProperties'];
    let additionalProperties: boolean | Schema = true;
    if (typeof ap === 'boolean') additionalProperties = ap;
    else if (ap !== undefined) {
      const s = this.node(ap, child(at, 'additionalProperties'));
      additionalProperties = s.kind === 'unknown' && !hasMeta(s) ? true : s.kind === 'never' ? false : s;
    }
    const minProperties = this.count(raw, at, 'minProperties');
    const maxProperties = this.count(raw, at, 'maxProperties');
    if (properties.length === 0 && typeof additionalProperties === 'object' && minProperties === undefined && maxProperties === undefined) {
      return { kind: 'record', values: additionalProperties };
    }
    const s: Schema = { kind: 'object', properties, additionalProperties };
    if (minProperties !== undefined) s.minProperties = minProperties;
    if (maxProperties !== undefined) s.maxProperties = maxProperties;
    return s;
  }

  private schemaList(raw: Raw, key: string, at: SchemaAt): Schema[] | undefined {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length === 0) {
      this.invalid(child(at, key), `\`${key}\` must be a non-empty array of schemas; ignored`);
      return undefined;
    }
    return v.map((m, i) => this.node(m, child(at, key, i)));
  }

  private union(members: Schema[], mode: 'oneOf' | 'anyOf', raw: Raw, at: SchemaAt): Schema {
    const isNull = (m: Schema): boolean => m.kind === 'null' && m.default === undefined;
    const rest = members.filter((m) => !isNull(m));
    const nullable = rest.length !== members.length;
    if (rest.length === 0) return { kind: 'null' };
    if (rest.length === 1) {
      const only = rest[0] as Schema;
      return nullable ? { ...only, nullable: true } : only;
    }
    const hint = isRecord(raw['discriminator']) ? raw['discriminator']['propertyName'] : undefined;
    const u: UnionSchema = { kind: 'union', mode, members: rest };
    const discriminator = detectDiscriminator(rest, this.ctx.lookup, typeof hint === 'string' ? hint : undefined);
    if (discriminator !== undefined) u.discriminator = discriminator;
    if (nullable) u.nullable = true;
    return u;
  }
}

/** A cheap shape check of a `default` against the schema kind (a wrong default would break the Zod types). */
function defaultFits(schema: Schema, value: unknown, nullable: boolean): boolean {
  if (value === null) return nullable || schema.nullable === true || schema.kind === 'null' || schema.kind === 'unknown' || schema.kind === 'union';
  switch (schema.kind) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
    case 'tuple':
      return Array.isArray(value);
    case 'object':
    case 'record':
      return typeof value === 'object' && !Array.isArray(value);
    case 'enum':
      return schema.values.some((v) => v === value);
    case 'null':
    case 'never':
      return false;
    default:
      return true;
  }
}
