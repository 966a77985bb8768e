/**
 * The registry JSON Schema of an event with `x-codec: json-schema`: self-contained JSON Schema **draft-07** text
 * (shared schemas it reaches under `definitions`, referenced as `#/definitions/<TypeName>`), built by the converter of
 * the gateway's OpenAPI document (so it accepts what the generated Zod schema accepts), with 2020-12 tuples
 * (`prefixItems` + `items`) written the draft-07 way (`items: [...]` + `additionalItems`). Draft-07 because it is
 * what schema registries judge compatibility of: Apicurio 3.3 answers "could not determine version" for a 2020-12
 * schema, and Confluent's default is draft-07 too. `title` is the event's type name (RecordNameStrategy subjects use
 * it). Deterministic: the same catalog gives the same text.
 */
import { collectRefs } from '../model/schema-graph.js';
import type { Catalog, EventType, NamedSchema } from '../model/types.js';
import { record, toJsonSchema, type JsonSchema } from './gateway/json-schema.js';

const DIALECT = 'http://json-schema.org/draft-07/schema#';

/** The JSON Schema text a schema registry stores for `event` (whatever its codec). */
export function jsonSchemaWire(catalog: Catalog, event: EventType): string {
  const named = new Map<string, NamedSchema>(catalog.schemas.map((s) => [s.id, s]));
  const defName = (id: string): string => named.get(id)?.typeName ?? id.replace(/[^A-Za-z0-9_.-]/g, '_');
  const ctx = { ref: (id: string) => `#/definitions/${defName(id)}`, lookup: (id: string) => named.get(id)?.schema };
  // Every shared schema the payload reaches, transitively, in first-seen order.
  const reached = collectRefs(event.payload);
  for (let i = 0; i < reached.length; i++) {
    const target = named.get(reached[i] as string);
    if (target !== undefined) collectRefs(target.schema, reached);
  }
  const body = draft07(toJsonSchema(event.payload, ctx));
  const defs = reached.filter((id) => named.has(id)).map((id) => [defName(id), draft07(toJsonSchema((named.get(id) as NamedSchema).schema, ctx))] as const);
  const top: JsonSchema = record([
    ['$schema', DIALECT],
    ['title', event.names.typeName],
    ...Object.entries(body).filter(([k]) => k !== '$schema' && k !== 'title'),
    ...(defs.length > 0 ? [['definitions', record(defs)] as const] : []),
  ]);
  return JSON.stringify(top);
}

const SCHEMA_MAPS = ['properties', 'patternProperties', 'definitions', '$defs'];
const SCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf'];
const SCHEMA_VALUES = ['additionalProperties', 'items', 'additionalItems', 'not', 'contains', 'propertyNames', 'if', 'then', 'else'];

/** A schema with 2020-12 tuples rewritten for draft-07, at every schema position (property names are left alone). */
function draft07(schema: JsonSchema): JsonSchema {
  const entries: Array<readonly [string, unknown]> = [];
  const prefix = schema['prefixItems'];
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'prefixItems') continue;
    if (Array.isArray(prefix) && key === 'items') {
      entries.push(['items', prefix.map((s) => sub(s))]);
      entries.push(['additionalItems', sub(value)]);
    } else if (SCHEMA_MAPS.includes(key) && isObject(value)) entries.push([key, record(Object.keys(value).map((k) => [k, sub(value[k])]))]);
    else if (SCHEMA_LISTS.includes(key) && Array.isArray(value)) entries.push([key, value.map((s) => sub(s))]);
    else if (SCHEMA_VALUES.includes(key)) entries.push([key, Array.isArray(value) ? value.map((s) => sub(s)) : sub(value)]);
    else entries.push([key, value]);
  }
  if (Array.isArray(prefix) && !('items' in schema)) entries.push(['items', prefix.map((s) => sub(s))]);
  return record(entries);
}

function sub(value: unknown): unknown {
  return isObject(value) ? draft07(value) : value;
}

function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
