/**
 * Payload comparison: walks two schema trees side by side (through refs to shared schemas, with a cycle
 * guard for recursive schemas) and reports every difference with its path and both locations.
 */
import type { CompatibilityMode, JsonValue, NamedSchema, Schema, SourceLocation, UnionSchema } from '../model/types.js';
import { severityFor, type Effect } from './compat.js';
import { compareArrayBounds, compareNumbers, compareStrings, compareValues, valuesOf } from './schema-constraints.js';
import { compareObjects } from './schema-objects.js';
import type { Change, DiffSide } from './types.js';
import { describeType, type Side, type Walker } from './walker.js';
import { locateIn } from './locate.js';
import { compareAvro } from './avro-rules.js';

const SCALARS = new Set(['string', 'number', 'integer', 'boolean']);
/** Comparisons per event: bounds the work on pathological (wide, deeply shared) schema graphs. */
const BUDGET = 20_000;

export interface PayloadDiffInput {
  base: DiffSide;
  head: DiffSide;
  /** Event type (the change subject). */
  subject: string;
  mode: CompatibilityMode;
  out: Change[];
}

/** Compare two payload (or header) schemas of one event; changes are appended to `input.out`. */
export function diffSchemas(input: PayloadDiffInput, b: Schema, h: Schema, path: string): void {
  new SchemaWalker(input).compare(b, h, path);
}

class SchemaWalker implements Walker {
  private readonly shared: Record<Side, Map<string, NamedSchema>>;
  private readonly stack = new Set<string>();
  private budget = BUDGET;

  constructor(private readonly input: PayloadDiffInput) {
    this.shared = {
      base: new Map(input.base.catalog.schemas.map((s) => [s.id, s])),
      head: new Map(input.head.catalog.schemas.map((s) => [s.id, s])),
    };
  }

  report(rule: string, effect: Effect, path: string, message: string, base?: SourceLocation, head?: SourceLocation): void {
    const { subject, mode } = this.input;
    const change: Change = { rule, severity: severityFor(effect, mode), kind: 'event', subject, path, message, compatibility: mode };
    if (base) change.base = base;
    if (head) change.head = head;
    this.input.out.push(change);
  }

  locate(side: Side, loc: SourceLocation | undefined, ...segments: string[]): SourceLocation | undefined {
    return locateIn(this.input[side], loc, ...segments);
  }

  /** Follow refs; the ref's own nullable/default apply to the target. */
  private resolve(side: Side, s: Schema): { schema: Schema; refs: string[] } {
    const refs: string[] = [];
    let cur = s;
    let nullable = s.nullable === true;
    while (cur.kind === 'ref' && refs.length < 32) {
      refs.push(cur.target);
      const target = this.shared[side].get(cur.target)?.schema;
      if (!target) break;
      cur = target;
      nullable ||= cur.nullable === true;
    }
    const schema = { ...cur, loc: cur.loc ?? s.loc } as Schema;
    if (nullable && schema.kind !== 'null') schema.nullable = true;
    if (s.default !== undefined) schema.default = s.default;
    return { schema, refs };
  }

  compare(b0: Schema, h0: Schema, path: string): void {
    if (--this.budget < 0) return;
    const { schema: b, refs: br } = this.resolve('base', b0);
    const { schema: h, refs: hr } = this.resolve('head', h0);
    const key = br.length || hr.length ? `${br.join('>')}|${hr.join('>')}` : undefined;
    if (key !== undefined) {
      if (this.stack.has(key)) return; // a recursive schema met itself again: already being compared
      this.stack.add(key);
    }
    try {
      this.compareResolved(b, h, path);
    } finally {
      if (key !== undefined) this.stack.delete(key);
    }
  }

  private compareResolved(b: Schema, h: Schema, path: string): void {
    const bNull = b.nullable === true;
    const hNull = h.nullable === true;
    if (bNull !== hNull && b.kind !== 'null' && h.kind !== 'null') {
      this.report(hNull ? 'nullable-added' : 'nullable-removed', hNull ? 'widen' : 'narrow', path, hNull ? 'now accepts null' : 'no longer accepts null', b.loc, h.loc);
    }
    if (JSON.stringify(b.default) !== JSON.stringify(h.default)) {
      const show = (v: JsonValue | undefined): string => (v === undefined ? 'none' : JSON.stringify(v));
      this.report('default-changed', 'info', path, `default ${show(b.default)} → ${show(h.default)}`, this.locate('base', b.loc, 'default'), this.locate('head', h.loc, 'default'));
    }
    if (!b.deprecated && h.deprecated) this.report('field-deprecated', 'info', path, 'marked deprecated', b.loc, h.loc);
    // Avro payloads on both sides: Avro's own resolution rules where they judge differently (diff/avro-rules.ts).
    if (compareAvro(this, b, h, path)) return;
    if (b.kind === h.kind) return this.sameKind(b, h, path);
    if ((b.kind === 'integer' && h.kind === 'number') || (b.kind === 'number' && h.kind === 'integer')) {
      const wider = h.kind === 'number';
      this.report(wider ? 'type-widened' : 'type-narrowed', wider ? 'widen' : 'narrow', path, `type ${b.kind} → ${h.kind}`, this.locate('base', b.loc, 'type'), this.locate('head', h.loc, 'type'));
      return compareNumbers(this, b as never, h as never, path);
    }
    if (valuesOf(b) && valuesOf(h)) return compareValues(this, b, h, path);
    this.typeChanged(b, h, path);
  }

  private typeChanged(b: Schema, h: Schema, path: string): void {
    const msg = `type ${describeType(b)} → ${describeType(h)}`;
    const bl = this.locate('base', b.loc, 'type');
    const hl = this.locate('head', h.loc, 'type');
    if (h.kind === 'unknown' || b.kind === 'never') return this.report('type-widened', 'widen', path, msg, bl, hl);
    if (b.kind === 'unknown' || h.kind === 'never') return this.report('type-narrowed', 'narrow', path, msg, bl, hl);
    // X → X | Y widens (and X | Y → X narrows); the matching member is compared further.
    if (h.kind === 'union' && b.kind !== 'union') {
      const m = h.members.find((x) => this.sameFamily(b, x));
      if (m) {
        this.report('type-widened', 'widen', path, msg, bl, hl);
        return this.compare(b, m, path);
      }
    }
    if (b.kind === 'union' && h.kind !== 'union') {
      const m = b.members.find((x) => this.sameFamily(x, h));
      if (m) {
        this.report('type-narrowed', 'narrow', path, msg, bl, hl);
        return this.compare(m, h, path);
      }
    }
    // string → enum of strings narrows; the reverse widens.
    const hv = valuesOf(h);
    const bv = valuesOf(b);
    if (hv && SCALARS.has(b.kind) && hv.every((v) => fits(v, b.kind))) return this.report('type-narrowed', 'narrow', path, msg, bl, hl);
    if (bv && SCALARS.has(h.kind) && bv.every((v) => fits(v, h.kind))) return this.report('type-widened', 'widen', path, msg, bl, hl);
    this.report('type-changed', 'both', path, msg, bl, hl);
  }

  private sameFamily(a: Schema, b: Schema): boolean {
    const ra = this.resolve('base', a).schema.kind;
    const rb = this.resolve('head', b).schema.kind;
    const num = (k: string): string => (k === 'integer' ? 'number' : k);
    return num(ra) === num(rb);
  }

  private sameKind(b: Schema, h: Schema, path: string): void {
    switch (b.kind) {
      case 'string':
        return compareStrings(this, b, h as typeof b, path);
      case 'number':
      case 'integer':
        return compareNumbers(this, b, h as typeof b, path);
      case 'enum':
      case 'const':
        return compareValues(this, b, h, path);
      case 'object':
        return compareObjects(this, b, h as typeof b, path);
      case 'record':
        return this.compare(b.values, (h as typeof b).values, `${path}.*`);
      case 'array':
        compareArrayBounds(this, b, h as typeof b, path);
        return this.compare(b.items, (h as typeof b).items, `${path}[]`);
      case 'tuple':
        return this.tuples(b, h as typeof b, path);
      case 'union':
        return this.unions(b, h as UnionSchema, path);
      case 'allOf': {
        const hm = (h as typeof b).members;
        if (hm.length !== b.members.length) {
          return this.report('type-changed', 'both', path, `allOf with ${b.members.length} → ${hm.length} members`, b.loc, h.loc);
        }
        b.members.forEach((m, i) => this.compare(m, hm[i] as Schema, path));
        return;
      }
      default:
        return; // boolean, null, unknown, never, ref (resolved before): nothing more to compare
    }
  }

  private tuples(b: Extract<Schema, { kind: 'tuple' }>, h: Extract<Schema, { kind: 'tuple' }>, path: string): void {
    const n = Math.min(b.items.length, h.items.length);
    for (let i = 0; i < n; i++) this.compare(b.items[i] as Schema, h.items[i] as Schema, `${path}[${i}]`);
    if (b.items.length !== h.items.length || (b.minItems ?? 0) !== (h.minItems ?? 0)) {
      this.report('type-changed', 'both', path, `tuple of ${b.items.length} (min ${b.minItems ?? 0}) → ${h.items.length} (min ${h.minItems ?? 0}) items`, b.loc, h.loc);
    }
    if (b.rest !== false && h.rest !== false) this.compare(b.rest, h.rest, `${path}[…]`);
    else if (b.rest !== h.rest) {
      const narrower = h.rest === false;
      this.report(narrower ? 'constraint-tightened' : 'constraint-loosened', narrower ? 'narrow' : 'widen', path, narrower ? 'no more items allowed after the tuple' : 'more items allowed after the tuple', b.loc, h.loc);
    }
  }

  /** Members are matched by discriminator value, ref target, or kind; the rest were added or removed. */
  private unions(b: UnionSchema, h: UnionSchema, path: string): void {
    if (b.mode !== h.mode) {
      const narrower = h.mode === 'oneOf';
      this.report('union-mode-changed', narrower ? 'narrow' : 'widen', path, `${b.mode} → ${h.mode}`, this.locate('base', b.loc, b.mode), this.locate('head', h.loc, h.mode));
    }
    const bl = this.labels('base', b);
    const hl = this.labels('head', h);
    for (const [label, bm] of bl) {
      const hm = hl.get(label);
      if (hm) this.compare(bm, hm, `${path}<${label}>`);
      else this.report('union-member-removed', 'narrow', path, `member ${label} removed`, bm.loc, h.loc);
    }
    for (const [label, hm] of hl) {
      if (!bl.has(label)) this.report('union-member-added', 'widen', path, `member ${label} added`, b.loc, hm.loc);
    }
  }

  private labels(side: Side, u: UnionSchema): Map<string, Schema> {
    const out = new Map<string, Schema>();
    for (const m of u.members) {
      let label = m.kind === 'ref' ? m.target : m.kind;
      const resolved = this.resolve(side, m).schema;
      if (u.discriminator && resolved.kind === 'object') {
        const p = resolved.properties.find((x) => x.name === u.discriminator);
        const v = p ? valuesOf(this.resolve(side, p.schema).schema) : undefined;
        if (v && v.length === 1) label = `${u.discriminator}=${String(v[0])}`;
      } else if (m.kind !== 'ref' && valuesOf(resolved)) label = describeType(resolved);
      let unique = label;
      for (let i = 2; out.has(unique); i++) unique = `${label}#${i}`;
      out.set(unique, m);
    }
    return out;
  }
}

function fits(v: JsonValue, kind: string): boolean {
  if (kind === 'string') return typeof v === 'string';
  if (kind === 'boolean') return typeof v === 'boolean';
  if (kind === 'integer') return typeof v === 'number' && Number.isInteger(v);
  return typeof v === 'number';
}
