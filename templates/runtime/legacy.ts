import type { DataClassification, EventDefinition } from './definitions.js';
import type { Envelope, EnvelopeMigration, RecordPosition } from './envelope.js';
import { EventVersionError } from './errors.js';
import { recordEventId } from './ids.js';

/**
 * The shape of a topic's records written before the envelope (catalog `x-legacy` on the channel): which field of the
 * flat JSON object holds the event type, the timestamp, the payload and the ids.
 */
export interface LegacyFormat {
  /** Field holding the (legacy) event type; a record without it as a non-empty string is not legacy. */
  readonly typeField: string;
  /** Field holding the event time: an ISO-8601 string or epoch milliseconds (default: the record's timestamp). */
  readonly timestampField?: string;
  /** Field holding the payload (default: the whole record minus the fields named here). */
  readonly dataField?: string;
  /** Field holding the user id, if any. */
  readonly userIdField?: string;
  /** Field holding the event version (default: the oldest version the event's upcasters know, else its current one). */
  readonly versionField?: string;
  /** Field holding the correlation id (default: the derived event id). */
  readonly correlationIdField?: string;
  /** Legacy type → catalog event type (a type not listed is taken as it is). */
  readonly types?: Readonly<Record<string, string>>;
}

/**
 * One step of an event's version chain (catalog `x-previous-versions`): turns a payload of `version` into one of the
 * next version (the next step's, or the event's current version). Applied in this order: rename, remove, defaults.
 */
export interface UpcastStep {
  /** The version (major number) this step upgrades from. */
  readonly version: number;
  /** Fields renamed: `{ old: new }` (a field that is absent stays absent). */
  readonly rename?: Readonly<Record<string, string>>;
  /** Fields removed. */
  readonly remove?: readonly string[];
  /** Fields set when absent (`undefined`). */
  readonly defaults?: Readonly<Record<string, unknown>>;
}

/** Source of envelopes built from legacy records. */
export const LEGACY_SOURCE = 'legacy';

/** The major number of a version string (`3`, `3.1.0`, `v3` → 3); NaN when it has none. */
export function majorVersion(version: string): number {
  const match = /^v?(\d+)(?:[.+-]|$)/.exec(version.trim());
  return match === null ? NaN : Number(match[1]);
}

/** Applies one upcaster step to a payload without changing it (a payload that is not an object is returned as it is). */
export function applyUpcastStep(step: UpcastStep, data: unknown): unknown {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return data;
  const out: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  for (const [from, to] of Object.entries(step.rename ?? {})) {
    if (!Object.prototype.hasOwnProperty.call(out, from)) continue;
    const value = out[from];
    delete out[from];
    setOwn(out, to, value);
  }
  for (const field of step.remove ?? []) delete out[field];
  for (const [field, value] of Object.entries(step.defaults ?? {})) {
    if (!Object.prototype.hasOwnProperty.call(out, field) || out[field] === undefined) setOwn(out, field, structuredClone(value));
  }
  return out;
}

/**
 * Brings a payload of `fromVersion` to the definition's version with its `upcasters` chain, in order (pure: the input
 * is not changed). The same major version returns the payload unchanged.
 * @throws EventVersionError when `fromVersion` is newer than the definition's, has no major number, or is older with
 *   no step for it.
 */
export function upcast(definition: Pick<EventDefinition, 'eventType' | 'version' | 'upcasters'>, fromVersion: string, data: unknown): unknown {
  const current = majorVersion(definition.version);
  const seen = majorVersion(fromVersion);
  const fail = (detail: string): EventVersionError => new EventVersionError(definition.eventType, fromVersion, definition.version, detail);
  if (Number.isNaN(seen)) throw fail('the version has no major number');
  if (seen === current) return data;
  if (seen > current) throw fail('the record is newer than this consumer');
  const steps = definition.upcasters ?? [];
  const start = steps.findIndex((s) => s.version === seen);
  if (start < 0) throw fail(`no upcaster step from version ${seen} (known: ${steps.map((s) => s.version).join(', ') || 'none'})`);
  let out = data;
  for (let i = start; i < steps.length; i++) out = applyUpcastStep(steps[i] as UpcastStep, out);
  return out;
}

/**
 * The migration hook of a topic with a legacy format: a decoded value that is a JSON object without a `metadata`
 * object and with a non-empty string in `typeField` becomes an envelope; anything else is left to the next hook
 * (`undefined`). The event id is derived from topic, partition and offset ({@link recordEventId}), so the same
 * record redelivered has the same id and is deduplicated. Version and classification come from the definitions of
 * the topic's events; a type mapping to none of them keeps its name (it is then an unknown event type).
 */
export function legacyMigration(format: LegacyFormat, definitions: readonly EventDefinition[]): EnvelopeMigration {
  const byType = new Map<string, EventDefinition>();
  for (const d of definitions) byType.set(d.eventType, d);
  const known = new Set(
    [format.typeField, format.timestampField, format.dataField, format.userIdField, format.versionField, format.correlationIdField].filter(
      (f): f is string => f !== undefined,
    ),
  );
  return (raw: unknown, _headers, record?: RecordPosition): Envelope | undefined => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || record === undefined) return undefined;
    const value = raw as Record<string, unknown>;
    if (typeof value['metadata'] === 'object' && value['metadata'] !== null) return undefined;
    const legacyType = value[format.typeField];
    if (typeof legacyType !== 'string' || legacyType === '') return undefined;
    const eventType = format.types !== undefined && Object.prototype.hasOwnProperty.call(format.types, legacyType) ? (format.types[legacyType] as string) : legacyType;
    const definition = byType.get(eventType);
    const timestamp = legacyTimestamp(format.timestampField === undefined ? undefined : value[format.timestampField], record.timestamp);
    if (timestamp === undefined) return undefined;
    const eventId = recordEventId(record);
    const text = (field: string | undefined): string | undefined => {
      if (field === undefined) return undefined;
      const v = value[field];
      return typeof v === 'string' && v !== '' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;
    };
    let data: unknown;
    if (format.dataField !== undefined) {
      if (!Object.prototype.hasOwnProperty.call(value, format.dataField)) return undefined;
      data = value[format.dataField];
    } else {
      const rest: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) if (!known.has(k)) setOwn(rest, k, v);
      data = rest;
    }
    const userId = text(format.userIdField);
    const classification: DataClassification = definition?.classification ?? 'internal';
    return {
      metadata: {
        eventId,
        eventType,
        eventVersion: text(format.versionField) ?? oldestVersion(definition),
        correlationId: text(format.correlationIdField) ?? eventId,
        timestamp,
        source: LEGACY_SOURCE,
        ...(userId === undefined ? {} : { userId }),
        dataClassification: classification,
        partitionKey: recordKey(record.key),
      },
      data,
    };
  };
}

/** Runs migrations in order; the first that returns an envelope wins. */
export function chainMigrations(first: EnvelopeMigration, second: EnvelopeMigration): EnvelopeMigration {
  return (raw, headers, record) => first(raw, headers, record) ?? second(raw, headers, record);
}

/** An own, enumerable property even for `__proto__` (a key JSON.parse can produce): no prototype is ever set. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function oldestVersion(definition: EventDefinition | undefined): string {
  if (definition === undefined) return '0';
  const first = definition.upcasters?.[0];
  return first === undefined ? definition.version : String(first.version);
}

function recordKey(key: Buffer | string | null | undefined): string | null {
  if (key === undefined || key === null) return null;
  return typeof key === 'string' ? key : key.toString('utf8');
}

/** ISO text of a legacy timestamp: ISO/date text or epoch milliseconds; absent → the record's timestamp; invalid → undefined. */
function legacyTimestamp(field: unknown, recordTimestamp: string | undefined): string | undefined {
  let millis: number;
  if (field === undefined || field === null) millis = recordTimestamp === undefined ? NaN : Number(recordTimestamp);
  else if (typeof field === 'number') millis = field;
  else if (typeof field === 'string' && field !== '') millis = /^\d+$/.test(field) ? Number(field) : Date.parse(field);
  else return undefined;
  if (!Number.isFinite(millis)) return field === undefined || field === null ? new Date(0).toISOString() : undefined;
  const date = new Date(millis);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
