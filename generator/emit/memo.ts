/**
 * `gen events --watch`: what the previous run of a session emitted, per unit (an event's schema file, a stub, a topic
 * delegator, a docs page, ...), reused when the unit's inputs are the same, so that an edit of one event re-emits the
 * files of that event and of what lists it, not the whole tree.
 *
 * What "the same inputs" means, without asking each emitter to list what it reads:
 * - **the run's global key**: everything of the catalog except the contents of its message definitions (the entry
 *   file's data without the `components.messages` entries, every other file's hash), and everything the model derived
 *   across events (the catalog model without its events; every event's type, names, topics and payload reference,
 *   which with the rest decide every name and file of the symbol table). When it changes, nothing is reused
 *   (`UnitMemo.clear`);
 * - **an event's key**: the JSON of the message definition it was read from, as loaded (a token that changes when the
 *   JSON does). The event model is a function of that message and of what the global key covers.
 * A unit's key is then the keys of the events it is emitted from (`events`), or `global` for a unit that reads no
 * event definition at all (topic scripts, dashboards, flow diagrams, `handlers.ts`).
 * A message whose definition points into another message (`$ref: '#/components/messages/...'`) has no key: the units
 * of its event are emitted every run. `test/watch/watch-property.test.ts` checks the result against a cold run.
 */
import type { LoadedCatalog, SourceFile } from '../load/index.js';
import { valueAt } from '../load/source.js';
import type { SymbolTable } from '../symbols/table.js';
import { PageMemo } from './docs/index.js';

/** JSON of data objects by identity: after a spliced edit, every message but the edited ones is the same object. */
const jsonByIdentity = new WeakMap<object, string>();
function jsonOf(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'undefined';
  let json = jsonByIdentity.get(value);
  if (json === undefined) jsonByIdentity.set(value, (json = JSON.stringify(value)));
  return json;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Source positions are no input of any generated file. */
const withoutLoc = (key: string, value: unknown): unknown => (key === 'loc' ? undefined : value);

/** The catalog without the contents of its message definitions (see the module comment). */
function globalKey(loaded: LoadedCatalog, table: SymbolTable): string {
  const parts: string[] = [];
  const main = loaded.main.data;
  if (isRecord(main)) {
    for (const [k, v] of Object.entries(main)) {
      if (k !== 'components' || !isRecord(v)) {
        parts.push(JSON.stringify(k), jsonOf(v));
        continue;
      }
      for (const [ck, cv] of Object.entries(v)) parts.push(`components.${ck}`, ck === 'messages' && isRecord(cv) ? JSON.stringify(Object.keys(cv)) : jsonOf(cv));
    }
  } else parts.push(jsonOf(main));
  for (const f of new Set(loaded.files.values())) if (f !== loaded.main) parts.push(f.absPath, f.hash ?? jsonOf(f.data));
  const { events: _events, diagnostics: _diagnostics, ...rest } = table.catalog;
  parts.push(JSON.stringify(rest, withoutLoc));
  // The symbol table is a function of these and of the catalog's topics, groups and schemas (`buildSymbolTable` reads
  // an event's type and names only), so its names are covered too.
  parts.push(JSON.stringify(table.catalog.events.map((e) => [e.type, e.messageId, e.names, e.topics, e.payload.kind === 'ref' ? e.payload.target : ''])));
  return parts.join('\u0000');
}

/** Units by kind and id, with the key they were emitted for and the run that last used them. */
export class UnitMemo {
  /**
   * Two levels, so that no id string is built per lookup: the ids are the symbol table's own strings (paths, types),
   * whose hashes the engine keeps, where a `kind:id` string would be built and hashed again for every unit of every run.
   */
  private kinds = new Map<string, Map<string, { key: string; value: unknown; run: number }>>();
  /** The current run; a unit last used before the previous run is not reused (`commit` drops it). */
  private run = 1;
  hits = 0;
  misses = 0;

  /** `make()`, or what it returned last run for the same `kind`, `id` and `key` (undefined key: always `make()`). */
  get<T>(kind: string, id: string, key: string | undefined, make: () => T): T {
    if (key === undefined) return make();
    let units = this.kinds.get(kind);
    if (units === undefined) this.kinds.set(kind, (units = new Map()));
    const unit = units.get(id);
    if (unit !== undefined && unit.run >= this.run - 1 && unit.key === key) {
      unit.run = this.run;
      this.hits++;
      return unit.value as T;
    }
    const value = make();
    this.misses++;
    if (unit !== undefined && unit.run === this.run) {
      // the same unit asked for twice in one run (Markdown and HTML pages share their flow diagrams)
      unit.key = key;
      unit.value = value;
    } else units.set(id, { key, value, run: this.run });
    return value;
  }

  /** End of a run: units not emitted in it are dropped; the next run compares with this one. */
  commit(): void {
    for (const units of this.kinds.values()) for (const [id, unit] of units) if (unit.run !== this.run) units.delete(id);
    this.run++;
  }

  /** Nothing of the previous run may be reused. */
  clear(): void {
    this.kinds.clear();
  }
}

/**
 * One `--watch` session's memo (one per session: a memo only compares with the run before it). `begin` at the start of
 * each run's emit, `commit` at its end.
 */
export class EmitMemo {
  readonly units = new UnitMemo();
  /** Docs pages: rendered again only when their context changed (`PageMemo`). */
  readonly docs = new PageMemo();
  private globalKey: string | undefined;
  private generation = 0;
  private counter = 0;
  /** By message location: its JSON as last seen and the token given to it. */
  private tokens = new Map<string, { json: string; token: number }>();
  /** This run: event type → key. */
  private current = new Map<string, string>();

  begin(loaded: LoadedCatalog, table: SymbolTable): void {
    const global = globalKey(loaded, table);
    if (global !== this.globalKey) {
      this.globalKey = global;
      this.generation++;
      this.units.clear();
    }
    const files = new Map<string, SourceFile>();
    for (const f of loaded.files.values()) files.set(f.displayPath, f);
    const tokens = new Map<string, { json: string; token: number }>();
    this.current = new Map();
    for (const e of table.catalog.events) {
      const file = e.loc ? files.get(e.loc.file) : undefined;
      if (!file || !e.loc) continue;
      const raw = valueAt(file.data, e.loc.pointer);
      if (!isRecord(raw)) continue;
      const json = jsonOf(raw);
      if (json.includes('"#/components/messages/')) continue;
      const id = `${file.absPath}#${e.loc.pointer}`;
      let t = this.tokens.get(id);
      if (t === undefined || t.json !== json) t = { json, token: ++this.counter };
      tokens.set(id, t);
      this.current.set(e.type, `${this.generation}.${t.token}`);
    }
    this.tokens = tokens;
  }

  /** By kind: the value last given to {@link token} and its token. */
  private valueTokens = new Map<string, { value: string; token: string }>();

  /**
   * A short token for `value`, a large input that many units share (a whole naming, say): the same token as last run's
   * when `value` is the same, a new one otherwise. Units then put the token in their keys, so that comparing a key
   * does not compare `value` again for each of them.
   */
  token(kind: string, value: string): string {
    const last = this.valueTokens.get(kind);
    if (last !== undefined && last.value === value) return last.token;
    const token = `${kind}#${++this.counter}`;
    this.valueTokens.set(kind, { value, token });
    return token;
  }

  /** The key of a unit that reads nothing of any event definition (everything it reads is in the global key). */
  readonly global = 'global';

  /** This run's key of one event's inputs; undefined: not known (emit it). */
  event(type: string): string | undefined {
    return this.current.get(type);
  }

  /** The key of a unit emitted from these events (in this order); undefined when one of them has none. */
  events(types: Iterable<string>): string | undefined {
    const keys: string[] = [];
    for (const t of types) {
      const k = this.current.get(t);
      if (k === undefined) return undefined;
      keys.push(k);
    }
    return keys.join(',');
  }

  commit(): void {
    this.units.commit();
  }
}
