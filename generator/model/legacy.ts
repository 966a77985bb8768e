/**
 * Channel `x-legacy` (records written before the envelope) and message `x-previous-versions` (the version chain of an
 * event), documented in docs/catalog.md. Every problem is a located diagnostic; a bad extension is left out.
 */
import type { At, ModelContext } from './context.js';
import { isRecord } from './context.js';
import type { JsonValue, LegacyFormat, UpcastStep } from './types.js';

const LEGACY_FIELDS = ['typeField', 'timestampField', 'dataField', 'userIdField', 'versionField', 'correlationIdField'] as const;
const LEGACY_KEYS = [...LEGACY_FIELDS, 'types'];
const STEP_KEYS = ['version', 'rename', 'remove', 'defaults'];

function unknownKeys(ctx: ModelContext, value: Record<string, unknown>, allowed: readonly string[], at: At, what: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) ctx.report('error', 'extension-invalid', `${what}: unknown property "${key}" (allowed: ${allowed.join(', ')})`, ctx.child(at, key));
  }
}

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/**
 * Channel `x-legacy` of a topic carrying `events`: `{ typeField, timestampField?, dataField?, userIdField?,
 * versionField?, correlationIdField?, types?: { <legacy type>: <event type of this channel> } }`.
 */
export function readLegacy(ctx: ModelContext, at: At, events: readonly string[]): LegacyFormat | undefined {
  const raw = ctx.read(at);
  if (raw === undefined) return undefined;
  if (!isRecord(raw)) {
    ctx.report('error', 'extension-invalid', 'x-legacy must be an object such as { typeField: type }', at);
    return undefined;
  }
  unknownKeys(ctx, raw, LEGACY_KEYS, at, 'x-legacy');
  let ok = true;
  const out: Partial<LegacyFormat> = {};
  const seen = new Map<string, string>();
  for (const key of LEGACY_FIELDS) {
    const v = raw[key];
    if (v === undefined) continue;
    if (!nonEmpty(v)) {
      ctx.report('error', 'extension-invalid', `x-legacy.${key} must be a non-empty field name, got ${JSON.stringify(v)}`, ctx.child(at, key));
      ok = false;
      continue;
    }
    const other = seen.get(v);
    if (other !== undefined) {
      ctx.report('error', 'extension-invalid', `x-legacy.${key} names field "${v}", which x-legacy.${other} names too`, ctx.child(at, key));
      ok = false;
    }
    seen.set(v, key);
    out[key] = v;
  }
  if (raw.typeField === undefined) {
    ctx.report('error', 'extension-invalid', 'x-legacy.typeField is required: the field of a legacy record that holds its event type', at);
    ok = false;
  }
  if (raw.types !== undefined) {
    const typesAt = ctx.child(at, 'types');
    if (!isRecord(raw.types)) {
      ctx.report('error', 'extension-invalid', 'x-legacy.types must map legacy types to event types of this channel', typesAt);
      ok = false;
    } else {
      const types: Record<string, string> = {};
      for (const [legacy, target] of Object.entries(raw.types)) {
        if (!nonEmpty(target)) {
          ctx.report('error', 'extension-invalid', `x-legacy.types.${legacy} must be an event type, got ${JSON.stringify(target)}`, ctx.child(typesAt, legacy));
          ok = false;
        } else if (!events.includes(target)) {
          ctx.report('error', 'extension-invalid', `x-legacy.types.${legacy} maps to "${target}", which is not an event of this channel (${events.join(', ') || 'none'})`, ctx.child(typesAt, legacy));
          ok = false;
        } else Object.defineProperty(types, legacy, { value: target, enumerable: true, writable: true, configurable: true });
      }
      out.types = types;
    }
  }
  return ok ? (out as LegacyFormat) : undefined;
}

/**
 * Message `x-previous-versions` of an event at `version`: a list, oldest first, of `{ version, rename?, remove?,
 * defaults? }`, each turning a payload of that (major) version into one of the next listed version or the current one.
 */
export function readPreviousVersions(ctx: ModelContext, at: At, version: string): UpcastStep[] | undefined {
  const raw = ctx.read(at);
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.length === 0) {
    ctx.report('error', 'extension-invalid', 'x-previous-versions must be a non-empty list of upcaster steps such as { version: 1, rename: { price: amount } }', at);
    return undefined;
  }
  const current = /^v?(\d+)(?:[.+-]|$)/.exec(version);
  if (current === null) {
    ctx.report('error', 'extension-invalid', `x-previous-versions needs an x-event-version with a major number (such as 3 or "3.0.0"), got "${version}"`, at);
    return undefined;
  }
  const major = Number(current[1]);
  let ok = true;
  const steps: UpcastStep[] = [];
  raw.forEach((item: unknown, i) => {
    const itemAt = ctx.child(at, i);
    const bad = (message: string, where: At = itemAt): void => {
      ctx.report('error', 'extension-invalid', `x-previous-versions[${i}]${message}`, where);
      ok = false;
    };
    if (!isRecord(item)) return bad(' must be an object { version, rename?, remove?, defaults? }');
    unknownKeys(ctx, item, STEP_KEYS, itemAt, `x-previous-versions[${i}]`);
    const v = item.version;
    const previous = steps[steps.length - 1];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return bad(`.version must be a non-negative integer (a major version), got ${JSON.stringify(v)}`, ctx.child(itemAt, 'version'));
    if (v >= major) return bad(`.version ${v} is not older than the event's version ${version}`, ctx.child(itemAt, 'version'));
    if (previous !== undefined && v <= previous.version) return bad(`.version ${v} must be greater than the step before it (${previous.version}): list steps oldest first`, ctx.child(itemAt, 'version'));
    const step: UpcastStep = { version: v };
    if (item.rename !== undefined) {
      const renameAt = ctx.child(itemAt, 'rename');
      if (!isRecord(item.rename)) bad('.rename must map old field names to new ones', renameAt);
      else {
        const rename: Record<string, string> = {};
        for (const [from, to] of Object.entries(item.rename)) {
          if (!nonEmpty(to)) bad(`.rename.${from} must be a field name, got ${JSON.stringify(to)}`, ctx.child(renameAt, from));
          else Object.defineProperty(rename, from, { value: to, enumerable: true, writable: true, configurable: true });
        }
        step.rename = rename;
      }
    }
    if (item.remove !== undefined) {
      if (!Array.isArray(item.remove) || !item.remove.every(nonEmpty)) bad('.remove must be a list of field names', ctx.child(itemAt, 'remove'));
      else step.remove = [...(item.remove as string[])];
    }
    if (item.defaults !== undefined) {
      if (!isRecord(item.defaults)) bad('.defaults must map field names to values', ctx.child(itemAt, 'defaults'));
      else {
        const defaults: Record<string, JsonValue> = {};
        for (const [k, value] of Object.entries(item.defaults)) Object.defineProperty(defaults, k, { value: value as JsonValue, enumerable: true, writable: true, configurable: true });
        step.defaults = defaults;
      }
    }
    steps.push(step);
  });
  return ok ? steps : undefined;
}
