/**
 * Payload rules for scalar constraints: length/number bounds, multipleOf, pattern, format, uniqueItems,
 * enum values and consts. Tightening narrows what is accepted; loosening widens it.
 */
import type { ArraySchema, JsonValue, NumberSchema, Schema, StringSchema } from '../model/types.js';
import type { Walker } from './walker.js';

type Bound = 'lower' | 'upper';

/** A numeric bound: raising a lower bound or lowering an upper bound tightens. Absent = unbounded. */
export function compareBound(w: Walker, key: string, bound: Bound, b: Schema, h: Schema, bv: number | undefined, hv: number | undefined, path: string): void {
  if (bv === hv) return;
  const tighter = bv === undefined ? true : hv === undefined ? false : bound === 'lower' ? hv > bv : hv < bv;
  const show = (v: number | undefined): string => (v === undefined ? 'none' : String(v));
  w.report(
    tighter ? 'constraint-tightened' : 'constraint-loosened',
    tighter ? 'narrow' : 'widen',
    path,
    `${key} ${show(bv)} → ${show(hv)}`,
    w.locate('base', b.loc, key),
    w.locate('head', h.loc, key),
  );
}

function compareOptionalText(w: Walker, key: 'pattern' | 'format', b: Schema, h: Schema, bv: string | undefined, hv: string | undefined, path: string): void {
  if (bv === hv) return;
  const [rule, effect] =
    bv === undefined ? ([`${key}-added`, 'narrow'] as const) : hv === undefined ? ([`${key}-removed`, 'widen'] as const) : ([`${key}-changed`, 'both'] as const);
  const show = (v: string | undefined): string => (v === undefined ? 'none' : JSON.stringify(v));
  w.report(rule, effect, path, `${key} ${show(bv)} → ${show(hv)}`, w.locate('base', b.loc, key), w.locate('head', h.loc, key));
}

export function compareStrings(w: Walker, b: StringSchema, h: StringSchema, path: string): void {
  compareBound(w, 'minLength', 'lower', b, h, b.minLength, h.minLength, path);
  compareBound(w, 'maxLength', 'upper', b, h, b.maxLength, h.maxLength, path);
  compareOptionalText(w, 'pattern', b, h, b.pattern, h.pattern, path);
  compareOptionalText(w, 'format', b, h, b.format ?? b.unknownFormat, h.format ?? h.unknownFormat, path);
}

export function compareNumbers(w: Walker, b: NumberSchema, h: NumberSchema, path: string): void {
  compareBound(w, 'minimum', 'lower', b, h, b.minimum, h.minimum, path);
  compareBound(w, 'exclusiveMinimum', 'lower', b, h, b.exclusiveMinimum, h.exclusiveMinimum, path);
  compareBound(w, 'maximum', 'upper', b, h, b.maximum, h.maximum, path);
  compareBound(w, 'exclusiveMaximum', 'upper', b, h, b.exclusiveMaximum, h.exclusiveMaximum, path);
  const bm = b.multipleOf;
  const hm = h.multipleOf;
  if (bm === hm) return;
  const divides = (a: number, c: number): boolean => Number.isInteger(Number((a / c).toFixed(9)));
  const bl = w.locate('base', b.loc, 'multipleOf');
  const hl = w.locate('head', h.loc, 'multipleOf');
  const msg = `multipleOf ${bm ?? 'none'} → ${hm ?? 'none'}`;
  if (bm === undefined || (hm !== undefined && divides(hm, bm))) w.report('constraint-tightened', 'narrow', path, msg, bl, hl);
  else if (hm === undefined || divides(bm, hm)) w.report('constraint-loosened', 'widen', path, msg, bl, hl);
  else w.report('constraint-changed', 'both', path, msg, bl, hl);
}

export function compareArrayBounds(w: Walker, b: ArraySchema, h: ArraySchema, path: string): void {
  compareBound(w, 'minItems', 'lower', b, h, b.minItems, h.minItems, path);
  compareBound(w, 'maxItems', 'upper', b, h, b.maxItems, h.maxItems, path);
  if (!!b.uniqueItems !== !!h.uniqueItems) {
    const tighter = !!h.uniqueItems;
    w.report(tighter ? 'constraint-tightened' : 'constraint-loosened', tighter ? 'narrow' : 'widen', path, `uniqueItems ${!!b.uniqueItems} → ${!!h.uniqueItems}`, w.locate('base', b.loc, 'uniqueItems'), w.locate('head', h.loc, 'uniqueItems'));
  }
}

const same = (a: JsonValue, b: JsonValue): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The values an enum or const admits (undefined for other kinds). */
export function valuesOf(s: Schema): JsonValue[] | undefined {
  if (s.kind === 'enum') return s.values;
  if (s.kind === 'const') return [s.value];
  return undefined;
}

/** enum/const vs enum/const: values added widen, values removed narrow. */
export function compareValues(w: Walker, b: Schema, h: Schema, path: string): void {
  const bv = valuesOf(b) ?? [];
  const hv = valuesOf(h) ?? [];
  const key = (s: Schema): string => (s.kind === 'const' ? 'const' : 'enum');
  const added = hv.filter((v) => !bv.some((x) => same(x, v)));
  const removed = bv.filter((v) => !hv.some((x) => same(x, v)));
  const list = (vs: JsonValue[]): string => vs.map((v) => JSON.stringify(v)).join(', ');
  if (b.kind === 'const' && h.kind === 'const') {
    if (added.length) w.report('const-changed', 'both', path, `const ${list(bv)} → ${list(hv)}`, w.locate('base', b.loc, 'const'), w.locate('head', h.loc, 'const'));
    return;
  }
  if (added.length) w.report('enum-value-added', 'widen', path, `${added.length === 1 ? 'value' : 'values'} ${list(added)} added`, w.locate('base', b.loc, key(b)), w.locate('head', h.loc, key(h)));
  if (removed.length) w.report('enum-value-removed', 'narrow', path, `${removed.length === 1 ? 'value' : 'values'} ${list(removed)} removed`, w.locate('base', b.loc, key(b)), w.locate('head', h.loc, key(h)));
}
