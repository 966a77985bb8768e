/**
 * `x-codec` (message): how the event's records are encoded on the wire.
 * - `envelope` (default): the JSON envelope `{ metadata, data }`.
 * - `json-schema`: JSON in the Confluent wire format (magic byte, schema registry id, JSON), the payload's JSON Schema
 *   registered with `schemaType: JSON`, the envelope metadata in headers (docs/schema-registry.md). Used when the
 *   application passes a `JsonSchemaCodec`; without one the event stays a JSON envelope.
 * Avro payloads need no `x-codec`: they are Avro on the wire whenever an `AvroCodec` is configured.
 */
import type { At, ModelContext } from './context.js';
import type { EventCodec, EventType } from './types.js';

const CODECS: readonly EventCodec[] = ['envelope', 'json-schema'];

/** The message's `x-codec`, or undefined when absent or invalid (reported). */
export function readCodec(ctx: ModelContext, at: At): EventCodec | undefined {
  const raw = ctx.read(at);
  if (raw === undefined) return undefined;
  if (typeof raw === 'string' && (CODECS as readonly string[]).includes(raw)) return raw as EventCodec;
  ctx.report('error', 'extension-invalid', `x-codec must be one of ${CODECS.join(', ')}, got ${JSON.stringify(raw)}`, at);
  return undefined;
}

/** Once payloads are final: `x-codec: json-schema` on an Avro payload is refused (Avro has its own wire codec). */
export function checkCodec(ctx: ModelContext, event: EventType, at: At): void {
  if (event.codec !== 'json-schema') return;
  if (event.payload.avroWire !== undefined || event.payload.avro !== undefined) {
    ctx.report('error', 'extension-invalid', `x-codec: json-schema on ${event.type}, whose payload is Avro: Avro payloads travel as Avro (AvroCodec); remove x-codec`, ctx.child(at, 'x-codec'));
  }
}
