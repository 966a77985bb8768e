/**
 * The registry JSON Schema of an event with `x-codec: json-schema`: self-contained JSON Schema 2020-12 text (shared
 * schemas it reaches under `$defs`, referenced as `#/$defs/<TypeName>`), built by the same converter as the gateway's
 * OpenAPI document, so it accepts what the generated Zod schema accepts. `title` is the event's type name unless the
 * payload has its own (RecordNameStrategy subjects use it). Deterministic: the same catalog gives the same text.
 */
import { collectRefs } from '../model/schema-graph.js';
import type { Catalog, EventType, NamedSchema } from '../model/types.js';
import { record, toJsonSchema, type JsonSchema } from './gateway/json-schema.js';

const DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** The JSON Schema text a schema registry stores for `event` (whatever its codec). */
export function jsonSchemaWire(catalog: Catalog, event: EventType): string {
  const named = new Map<string, NamedSchema>(catalog.schemas.map((s) => [s.id, s]));
  const defName = (id: string): string => named.get(id)?.typeName ?? id.replace(/[^A-Za-z0-9_.-]/g, '_');
  const ctx = { ref: (id: string) => `#/$defs/${defName(id)}`, lookup: (id: string) => named.get(id)?.schema };
  // Every shared schema the payload reaches, transitively, in first-seen order.
  const reached = collectRefs(event.payload);
  for (let i = 0; i < reached.length; i++) {
    const target = named.get(reached[i] as string);
    if (target !== undefined) collectRefs(target.schema, reached);
  }
  const body = toJsonSchema(event.payload, ctx);
  const defs = reached.filter((id) => named.has(id)).map((id) => [defName(id), toJsonSchema((named.get(id) as NamedSchema).schema, ctx)] as const);
  const top: JsonSchema = record([
    ['$schema', DIALECT],
    ['title', event.names.typeName],
    ...Object.entries(body).filter(([k]) => k !== '$schema'),
    ...(defs.length > 0 ? [['$defs', record(defs)] as const] : []),
  ]);
  return JSON.stringify(top);
}
