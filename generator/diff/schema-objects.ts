/**
 * Payload rules for objects and maps: fields added/removed, required-ness, additionalProperties.
 *
 * Content model: a closed object (`additionalProperties: false`) rejects unknown fields. Adding a field to a
 * closed base breaks in every mode (effect `both`): the closed object promised that no other field appears, and
 * every reader generated from the old catalog dead-letters each record that carries the new field, whatever
 * order producers and consumers are upgraded in (open the object first, then add the field). Removing a field
 * from a closed head narrows (new readers reject old data that has it). For open objects we follow Avro-style
 * practice: a producer never wrote a field the schema did not declare, so adding or removing an optional field
 * is compatible.
 */
import type { ObjectSchema, Schema } from '../model/types.js';
import { combine, type Effect } from './compat.js';
import { describeType, propPath, type Walker } from './walker.js';

const isOpen = (s: ObjectSchema): boolean => s.additionalProperties === true;

export function compareObjects(w: Walker, b: ObjectSchema, h: ObjectSchema, path: string): void {
  for (const bp of b.properties) {
    const hp = h.properties.find((p) => p.name === bp.name);
    const at = propPath(path, bp.name);
    if (!hp) {
      let effect: Effect = bp.required && bp.schema.default === undefined ? 'widen' : 'compatible';
      if (!isOpen(h)) effect = combine(effect, 'narrow');
      const why = [bp.required ? 'was required' : 'was optional', isOpen(h) ? '' : 'the object is closed'].filter(Boolean).join('; ');
      w.report('field-removed', effect, at, `field "${bp.name}" removed (${why})`, bp.schema.loc, h.loc);
      continue;
    }
    if (!bp.required && hp.required) {
      const withDefault = hp.schema.default !== undefined;
      w.report('field-now-required', withDefault ? 'compatible' : 'narrow', at, `field "${bp.name}" is now required${withDefault ? ' (with a default)' : ''}`, bp.schema.loc, hp.schema.loc);
    } else if (bp.required && !hp.required) {
      const hadDefault = bp.schema.default !== undefined;
      w.report('field-now-optional', hadDefault ? 'compatible' : 'widen', at, `field "${bp.name}" is now optional${hadDefault ? ' (old readers apply its default)' : ''}`, bp.schema.loc, hp.schema.loc);
    }
    w.compare(bp.schema, hp.schema, at);
  }
  for (const hp of h.properties) {
    if (b.properties.some((p) => p.name === hp.name)) continue;
    const at = propPath(path, hp.name);
    const closed = isOpen(b) ? '' : '; the base object is closed: readers of the old catalog reject (dead-letter) every record that has it';
    let rule = 'field-added';
    let effect: Effect = 'compatible';
    if (hp.required && hp.schema.default === undefined) {
      rule = 'field-added-required';
      effect = 'narrow';
    } else if (hp.required) rule = 'field-added-with-default';
    if (!isOpen(b)) effect = 'both';
    const what = rule === 'field-added-required' ? 'required field' : rule === 'field-added-with-default' ? 'required field with a default' : 'optional field';
    w.report(rule, effect, at, `${what} "${hp.name}" (${describeType(hp.schema)}) added${closed}`, b.loc, hp.schema.loc);
  }
  compareAdditional(w, b, h, path);
  for (const [key, bound] of [['minProperties', 'lower'], ['maxProperties', 'upper']] as const) {
    const bv = b[key];
    const hv = h[key];
    if (bv === hv) continue;
    const tighter = bv === undefined ? true : hv === undefined ? false : bound === 'lower' ? hv > bv : hv < bv;
    w.report(tighter ? 'constraint-tightened' : 'constraint-loosened', tighter ? 'narrow' : 'widen', path, `${key} ${bv ?? 'none'} → ${hv ?? 'none'}`, w.locate('base', b.loc, key), w.locate('head', h.loc, key));
  }
}

function describeAdditional(a: boolean | Schema): string {
  return a === true ? 'any' : a === false ? 'none (closed)' : describeType(a);
}

function compareAdditional(w: Walker, b: ObjectSchema, h: ObjectSchema, path: string): void {
  const ba = b.additionalProperties;
  const ha = h.additionalProperties;
  if (typeof ba === 'object' && typeof ha === 'object') {
    w.compare(ba, ha, `${path}.*`);
    return;
  }
  if (ba === ha) return;
  // true ⊇ schema ⊇ false.
  const rank = (a: boolean | Schema): number => (a === true ? 2 : a === false ? 0 : 1);
  const narrower = rank(ha) < rank(ba);
  w.report(
    narrower ? 'additional-properties-restricted' : 'additional-properties-allowed',
    narrower ? 'narrow' : 'widen',
    path,
    `additionalProperties ${describeAdditional(ba)} → ${describeAdditional(ha)}`,
    w.locate('base', b.loc, 'additionalProperties'),
    w.locate('head', h.loc, 'additionalProperties'),
  );
}
