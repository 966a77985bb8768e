/**
 * The client-side search index: one entry per event, topic, group and shared schema, with field names, as
 * a small script (`assets/search-index.js`) that sets a global — loaded with a plain <script src>, so search
 * works from file:// (no fetch) under `script-src 'self'`.
 */
import type { EmitMemo } from '../memo.js';
import { jsonForScript } from './escape.js';
import type { CatalogView, RowView } from './view.js';

export interface SearchEntry {
  /** kind: e(vent), t(opic), g(roup), s(chema) */
  k: 'e' | 't' | 'g' | 's';
  /** name */
  n: string;
  /** page (relative to the site root, with .html) */
  u: string;
  /** short description */
  d?: string;
  /** field paths */
  f?: string[];
}

const MAX_DESCRIPTION = 140;

function short(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_DESCRIPTION ? flat.slice(0, MAX_DESCRIPTION - 1) + '…' : flat || undefined;
}

function fieldNames(rows: readonly RowView[]): string[] {
  return [...new Set(rows.map((r) => r.parent + r.name).filter((p) => !p.startsWith('⟨')))];
}

function entry(k: SearchEntry['k'], n: string, page: string, d: string | undefined, f?: string[]): SearchEntry {
  const e: SearchEntry = { k, n, u: `${page}.html` };
  const sd = short(d);
  if (sd !== undefined) e.d = sd;
  if (f && f.length > 0) e.f = f;
  return e;
}

const eventEntry = (e: CatalogView['events'][number]): SearchEntry => entry('e', e.type, e.page, e.heading ?? e.description, fieldNames(e.fields));

/** The entries of topics, groups and shared schemas (few; built every run). */
function otherEntries(view: CatalogView): SearchEntry[] {
  return [
    ...view.topics.map((t) => entry('t', t.name, t.page, t.heading ?? t.description)),
    ...view.groups.map((g) => entry('g', g.groupId, g.page, g.description)),
    ...view.schemas.map((s) => entry('s', s.name, s.page, s.description, fieldNames(s.fields))),
  ];
}

export function searchEntries(view: CatalogView): SearchEntry[] {
  return [...view.events.map(eventEntry), ...otherEntries(view)];
}

/**
 * `window.EVENTGEN_SEARCH = [...]`. The array is written entry by entry (the same bytes as one `jsonForScript` of the
 * whole array: `JSON.stringify` joins elements with `,`, and the escaping is per character), so that under `--watch`
 * an event's entry is reused while its inputs are the same.
 */
export function searchIndexScript(view: CatalogView, memo?: EmitMemo): string {
  const parts = view.events.map((e) => (memo ? memo.units.get('search-entry', e.type, memo.event(e.type), () => jsonForScript(eventEntry(e))) : jsonForScript(eventEntry(e))));
  for (const x of otherEntries(view)) parts.push(jsonForScript(x));
  return `window.EVENTGEN_SEARCH = [${parts.join(',')}];\n`;
}
