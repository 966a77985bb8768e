/**
 * Avro's own schema-resolution rules, for payload nodes read from an Avro schema on both sides (`Schema.avro`).
 * A registry judges an Avro change by whether a reader schema can resolve data written with the writer schema:
 * BACKWARD = the new schema reads old data, FORWARD = the old schema reads new data, FULL = both. In `Effect`
 * terms (compat.ts) a change that only the new reader survives is `widen`, one that only the old reader survives is
 * `narrow`, and one both survive is `compatible`.
 *
 * Where the JSON Schema rules already judge like Avro (a field added without a default narrows, removing a field
 * without a default widens, a union branch added widens, ...) they are used unchanged. This module decides what
 * they would judge differently: type promotions (int → long → float → double, string ↔ bytes), enum symbols with
 * an enum default, renamed named types and fields through aliases, defaults of existing fields, fixed sizes.
 */
import type { AvroInfo, ObjectSchema, Schema } from '../model/types.js';
import type { Effect } from './compat.js';
import { compareObjects } from './schema-objects.js';
import { propPath, type Walker } from './walker.js';

/** Writer type → the reader types it is promoted to (Avro specification, "Schema Resolution"). */
const PROMOTIONS: Record<string, string[]> = {
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  float: ['double'],
  string: ['bytes'],
  bytes: ['string'],
};

const promotes = (writer: string, reader: string): boolean => PROMOTIONS[writer]?.includes(reader) === true;
const PRIMITIVE = new Set(['boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/**
 * The effect of a change the reader of one direction resolves: `oldReadsNew` (FORWARD) and `newReadsOld`
 * (BACKWARD) as booleans.
 */
function effectOf(newReadsOld: boolean, oldReadsNew: boolean): Effect {
  if (newReadsOld && oldReadsNew) return 'compatible';
  if (newReadsOld) return 'widen';
  if (oldReadsNew) return 'narrow';
  return 'both';
}

/** Compare two Avro nodes; true when handled here (the JSON Schema rules then do not run for this node). */
export function compareAvro(w: Walker, b: Schema, h: Schema, path: string): boolean {
  const ba = b.avro;
  const ha = h.avro;
  if (!ba || !ha) return false;
  if (ba.name !== undefined && ha.name !== undefined && ba.name !== ha.name) reportRename(w, ba, ha, b, h, path);

  if (PRIMITIVE.has(ba.type) && PRIMITIVE.has(ha.type) && ba.type !== ha.type) {
    const newReadsOld = promotes(ba.type, ha.type);
    const oldReadsNew = promotes(ha.type, ba.type);
    if (!newReadsOld && !oldReadsNew) return false; // int → string and the like: the JSON rules say type-changed
    const effect = effectOf(newReadsOld, oldReadsNew);
    const rule = effect === 'compatible' ? 'avro-type-promoted' : newReadsOld ? 'avro-type-promoted' : 'avro-type-demoted';
    const how = effect === 'compatible' ? 'readers on both sides convert it' : newReadsOld ? 'new readers promote old data; old readers cannot read new data' : 'old readers promote new data; new readers cannot read old data';
    w.report(rule, effect, path, `Avro type ${ba.type} → ${ha.type}: ${how}`, w.locate('base', b.loc, 'type'), w.locate('head', h.loc, 'type'));
    return true;
  }
  if (ba.type === 'fixed' && ha.type === 'fixed' && ba.size !== ha.size) {
    w.report('avro-fixed-size-changed', 'both', path, `Avro fixed size ${ba.size ?? '?'} → ${ha.size ?? '?'}: neither side can read the other's values`, w.locate('base', b.loc, 'size'), w.locate('head', h.loc, 'size'));
    return true;
  }
  if (ba.type === 'enum' && ha.type === 'enum' && b.kind === 'enum' && h.kind === 'enum') {
    enums(w, b, h, ba, ha, path);
    return true;
  }
  if (ba.type === 'record' && ha.type === 'record' && b.kind === 'object' && h.kind === 'object') {
    records(w, b, h, path);
    return true;
  }
  return false;
}

/** A named type's fullname changed: readers match named types by name, or by the reader's aliases. */
function reportRename(w: Walker, ba: AvroInfo, ha: AvroInfo, b: Schema, h: Schema, path: string): void {
  const newReadsOld = ha.aliases?.includes(ba.name as string) === true;
  const oldReadsNew = ba.aliases?.includes(ha.name as string) === true;
  const effect = effectOf(newReadsOld, oldReadsNew);
  const how = newReadsOld ? `the new schema lists "${ba.name}" in its aliases, so new readers read old data` : `add "aliases": ["${ba.name}"] to the new type so new readers read old data`;
  w.report('avro-name-changed', effect, path, `Avro type ${ba.name} → ${ha.name}: readers match named types by fullname; ${how}`, w.locate('base', b.loc, 'name'), w.locate('head', h.loc, 'name'));
}

/**
 * Enum symbols. A reader meeting a symbol it does not know fails, unless the reader's enum has a `default`: added
 * symbols break old readers (FORWARD) without an old default, removed ones break new readers (BACKWARD) without a
 * new default.
 */
function enums(w: Walker, b: Extract<Schema, { kind: 'enum' }>, h: Extract<Schema, { kind: 'enum' }>, ba: AvroInfo, ha: AvroInfo, path: string): void {
  const added = h.values.filter((v) => !b.values.includes(v));
  const removed = b.values.filter((v) => !h.values.includes(v));
  const list = (vs: unknown[]): string => vs.map((v) => JSON.stringify(v)).join(', ');
  const bl = w.locate('base', b.loc, 'symbols');
  const hl = w.locate('head', h.loc, 'symbols');
  if (added.length) {
    const oldDefault = ba.enumDefault !== undefined;
    w.report('avro-enum-symbol-added', oldDefault ? 'compatible' : 'widen', path, `symbol${added.length === 1 ? '' : 's'} ${list(added)} added${oldDefault ? ` (old readers read them as the enum default "${ba.enumDefault}")` : ': old readers fail on them (an enum "default" in the old schema would map them)'}`, bl, hl);
  }
  if (removed.length) {
    const newDefault = ha.enumDefault !== undefined;
    w.report('avro-enum-symbol-removed', newDefault ? 'compatible' : 'narrow', path, `symbol${removed.length === 1 ? '' : 's'} ${list(removed)} removed${newDefault ? ` (new readers read them as the enum default "${ha.enumDefault}")` : ': new readers fail on old data that has them (an enum "default" would map them)'}`, bl, hl);
  }
}

/**
 * Record fields, matched by name and by the new field's aliases (a rename the new reader resolves). Adding and
 * removing fields is judged by the object rules (the same as Avro's for open objects); an existing field gaining or
 * losing its default changes nothing for data either side writes, so it is only `info` here.
 */
function records(w: Walker, b: ObjectSchema, h: ObjectSchema, path: string): void {
  const renamed = new Map<string, string>(); // base field name → head field name
  for (const hp of h.properties) {
    if (b.properties.some((p) => p.name === hp.name)) continue;
    const old = b.properties.find((p) => hp.avroAliases?.includes(p.name) && !h.properties.some((x) => x.name === p.name));
    if (old) renamed.set(old.name, hp.name);
  }
  for (const [from, to] of renamed) {
    const bp = b.properties.find((p) => p.name === from);
    const hp = h.properties.find((p) => p.name === to);
    if (!bp || !hp) continue;
    // New readers find the old field through the alias; old readers miss the field unless it had a default.
    const oldHadDefault = bp.schema.default !== undefined;
    w.report('avro-field-renamed', oldHadDefault ? 'compatible' : 'widen', propPath(path, to), `field "${from}" renamed to "${to}" (an alias of the new field)${oldHadDefault ? '' : `: old readers find no "${to}" in new data and "${from}" has no default`}`, bp.schema.loc, hp.schema.loc);
    w.compare(bp.schema, hp.schema, propPath(path, to));
  }
  // Defaults of fields present on both sides: Avro data always carries every field its writer declares.
  const strip = (o: ObjectSchema, side: 'base' | 'head'): ObjectSchema => ({
    ...o,
    properties: o.properties
      .filter((p) => (side === 'base' ? !renamed.has(p.name) : ![...renamed.values()].includes(p.name)))
      .map((p) => {
        const other = (side === 'base' ? h : b).properties.find((x) => x.name === p.name);
        return other ? { ...p, required: true } : p;
      }),
  });
  for (const bp of b.properties) {
    const hp = h.properties.find((p) => p.name === bp.name);
    if (!hp || bp.required === hp.required) continue;
    w.report(hp.required ? 'avro-field-default-removed' : 'avro-field-default-added', 'info', propPath(path, bp.name), hp.required ? `field "${bp.name}" no longer has a default: data is unaffected, but it can no longer be removed compatibly (FORWARD)` : `field "${bp.name}" now has a default: new readers fill it in when old data lacks it`, bp.schema.loc, hp.schema.loc);
  }
  compareObjects(w, strip(b, 'base'), strip(h, 'head'), path);
}
