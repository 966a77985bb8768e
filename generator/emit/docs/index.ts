/**
 * `docs/`: Markdown that renders on GitHub (README.md, one page per topic, event, consumer group and shared
 * schema, flow.svg) and `docs/site/`: a static HTML site (same pages, inline SVG flow diagram, client-side
 * search, strict CSP, no network requests) that works from file:// and any static host.
 */
import type { Catalog } from '../../model/types.js';
import type { SymbolTable } from '../../symbols/table.js';
import { sanitizeForComment } from '../../write/banner.js';
import { eventPath } from '../gateway/openapi.js';
import { gatewayRoutes } from '../gateway/routes.js';
import { livePlan } from '../live/index.js';
import type { EmitMemo } from '../memo.js';
import type { EmitOptions, GeneratedFile } from '../types.js';
import { emitObservability } from './grafana.js';
import { searchIndexScript } from './search.js';
import { layoutSaga, renderSagaSvg } from './saga-svg.js';
import { layoutFlow, renderFlowSvg } from './svg.js';
import { asset, template } from './templates.js';
import { buildView, type CatalogView, type LinkView, type SagaStepView } from './view.js';

export const DOCS_DIR = 'docs';
export const SITE_DIR = 'docs/site';

const rootFor = (page: string): string => '../'.repeat(page.split('/').length - 1);

interface PageSpec {
  page: string;
  title: string;
  kind: string;
  template: 'index' | 'topic' | 'event' | 'group' | 'schema' | 'saga';
  data: Record<string, unknown>;
  /**
   * `--watch`: the event types whose definitions the page's data is read from (besides what the `EmitMemo`'s global
   * key covers): an event page its event, a topic page the topic's events, a group page none (names only). Absent:
   * the page is keyed by its whole context (`PageMemo`).
   */
  events?: readonly string[];
}

function pages(catalog: Catalog, view: CatalogView, memo?: EmitMemo): PageSpec[] {
  const topicPage = (f: string): string => `topics/${encodeURIComponent(f)}.html`;
  const groupPage = (f: string): string => `groups/${encodeURIComponent(f)}.html`;
  // A flow diagram reads topics, groups and the event types they carry: all in the memo's global key.
  const draw = (page: string, topics?: string[]): string => renderFlowSvg(layoutFlow(catalog, { topicPage, groupPage, ...(topics ? { topics } : {}) }), { root: rootFor(page) });
  const flow = (page: string, topics?: string[]): string => (memo ? memo.units.get('flow', page, memo.global, () => draw(page, topics)) : draw(page, topics));
  return [
    { page: 'index', title: 'Overview', kind: 'index', template: 'index', data: { flowHtml: flow('index') } },
    ...view.topics.map((topic, i): PageSpec => ({
      page: topic.page,
      title: topic.name,
      kind: 'topic',
      template: 'topic',
      data: { topic, flowHtml: flow(topic.page, [(catalog.topics[i] as Catalog['topics'][number]).id]) },
      events: (catalog.topics[i] as Catalog['topics'][number]).events,
    })),
    ...view.events.map((event): PageSpec => ({ page: event.page, title: event.type, kind: 'event', template: 'event', data: { event }, events: [event.type] })),
    ...view.groups.map((group): PageSpec => ({ page: group.page, title: group.groupId, kind: 'group', template: 'group', data: { group }, events: [] })),
    ...view.schemas.map((schema): PageSpec => ({ page: schema.page, title: schema.name, kind: 'schema', template: 'schema', data: { schema } })),
    ...(view.sagas ?? []).map((saga, i): PageSpec => {
      const model = catalog.sagas?.[i] as NonNullable<Catalog['sagas']>[number];
      const pages = new Map(view.events.map((e) => [e.type, `${e.page}.html`]));
      const svg = renderSagaSvg(layoutSaga(model, (type) => pages.get(type)), { root: rootFor(saga.page), idPrefix: 'saga', title: `Saga ${saga.name}: steps, success, failure and compensation edges` });
      return { page: saga.page, title: saga.name, kind: 'saga', template: 'saga', data: { saga, flowHtml: svg } };
    }),
  ];
}

/**
 * The fields of the catalog view a page other than the overview reads (`_layout.html.hbs`: title bar, nav, footer).
 * `test/watch/docs-memo.test.ts` checks that no other template names anything else of `catalog`.
 */
export const LAYOUT_CATALOG_FIELDS = ['title', 'version', 'sourcePath', 'asyncapiVersion', 'gateway', 'live'] as const;

/**
 * `gen events --watch`: the pages of the previous run with what they were rendered from, so that a page whose inputs
 * are the same is not rendered again. A page is a pure function of its template and its context: its own data (the
 * event, topic, ... view and its diagram), its root, title and kind, the generator version and the layout's fields of
 * the catalog view (`LAYOUT_CATALOG_FIELDS`); the overview reads the whole view and is always rendered. Entries of
 * pages no longer generated are dropped at the end of each run.
 */
export class PageMemo {
  private last = new Map<string, { key: string; content: string }>();
  private next = new Map<string, { key: string; content: string }>();
  hits = 0;
  misses = 0;
  /**
   * Keys of page data objects, by identity. View objects are never changed once built, and an event's view is the
   * previous run's object when its inputs are the same (`buildView` with the session's `EmitMemo`): its key is kept.
   */
  readonly keys = new WeakMap<object, string | undefined>();

  render(id: string, key: string | undefined, render: () => string): string {
    if (key === undefined) return render();
    const before = this.last.get(id);
    let content: string;
    if (before !== undefined && before.key === key) {
      content = before.content;
      this.hits++;
    } else {
      content = render();
      this.misses++;
    }
    this.next.set(id, { key, content });
    return content;
  }

  /** End of a run: what was rendered now is what the next run compares with. */
  commit(): void {
    this.last = this.next;
    this.next = new Map();
  }
}

/**
 * A JSON text with a `null` literal (after `:`, `,`, `[`, or alone) or a `{}`, either of which could stand for something
 * else (NaN, a Map, a function property, ...). A string holding such text only sends the value the slow way.
 */
const AMBIGUOUS = /^null$|[:,[]null|\{\}/;

/**
 * A value as text, or undefined when it holds anything JSON would not tell apart from something else (a non-finite
 * number, a Map, a Set, a function, a class instance, ...): a page with such a context is rendered every time (an
 * undefined property reads in a template as a missing one, as JSON drops it). Plain
 * JSON data (what `buildView` builds) takes the native `JSON.stringify`; only a text with `null` or `{}` in it is
 * looked at value by value.
 */
function contextKey(value: unknown): string | undefined {
  const fast = JSON.stringify(value);
  if (fast === undefined || !AMBIGUOUS.test(fast)) return fast;
  let plain = true;
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) plain = false;
    else if (typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') plain = false;
    else if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype) plain = false;
    return v;
  });
  return plain ? text : undefined;
}

/**
 * The key of a page's data (`{ event }`, `{ topic, flowHtml }`, ...): each value's text, the view objects' by identity
 * (`pages()` is built twice per run, for Markdown and HTML, around the same view objects).
 */
function dataKey(data: Record<string, unknown>, cache: WeakMap<object, string | undefined>): string | undefined {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(data)) {
    let text: string | undefined;
    if (typeof v === 'object' && v !== null) {
      if (cache.has(v)) text = cache.get(v);
      else cache.set(v, (text = contextKey(v)));
    } else text = contextKey(v);
    if (text === undefined) return undefined;
    parts.push(JSON.stringify(k), text);
  }
  return parts.join('\u0000');
}

function layoutKey(view: CatalogView, version: string): string | undefined {
  const layout: Record<string, unknown> = {};
  for (const f of LAYOUT_CATALOG_FIELDS) layout[f] = (view as unknown as Record<string, unknown>)[f];
  return contextKey([layout, version]);
}

/**
 * The overview's table of events, one row per event (`_event-row.<kind>.hbs`), joined by newlines: under `--watch`
 * only the rows of events whose inputs changed are rendered again.
 */
function eventRows(view: CatalogView, kind: 'md' | 'html', memo: EmitMemo | undefined): string {
  const row = template('_event-row', kind);
  return view.events.map((e) => (memo ? memo.units.get(`${kind}-row`, e.type, memo.event(e.type), () => row(e)) : row(e))).join('\n');
}

/**
 * `--watch`: where a page with known inputs (`PageSpec.events`) is memoised, and its key: the layout's fields and the
 * keys of its events (the rest of its data is in the memo's global key). Undefined: keyed by its context instead.
 */
function pageUnit(p: PageSpec, memo: EmitMemo | undefined, layout: string | undefined): { units: EmitMemo['units']; key: string } | undefined {
  if (memo === undefined || layout === undefined || p.events === undefined) return undefined;
  const events = memo.events(p.events);
  return events === undefined ? undefined : { units: memo.units, key: `${layout}\u0000${events}` };
}

/** Page path (percent-encoded segments) → file path (decoded: file names are the model's safe names). */
const fileOf = (page: string, ext: string): string => page.split('/').map(decodeURIComponent).join('/') + ext;

/** The static site only, paths relative to the site root (`index.html`, `assets/...`). */
export function emitSite(catalog: Catalog, options: EmitOptions, view: CatalogView, memo?: PageMemo): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  const layout = memo ? layoutKey(view, options.version) : undefined;
  for (const p of pages(catalog, view, options.memo)) {
    const extra = p.template === 'index' ? { eventRowsHtml: eventRows(view, 'html', options.memo) } : {};
    const render = (): string => template(p.template, 'html')({ ...p.data, ...extra, root: rootFor(p.page), pageTitle: p.title, pageKind: p.kind, catalog: view, generator: options.version });
    const unit = pageUnit(p, options.memo, layout);
    const data = memo && unit === undefined && layout !== undefined && p.template !== 'index' ? dataKey(p.data, memo.keys) : undefined;
    const inputs = data === undefined ? undefined : `${contextKey([p.template, p.page, p.title, p.kind])}\u0000${data}`;
    const html = unit !== undefined ? unit.units.get('html', p.page, unit.key, render) : memo ? memo.render(`html:${p.page}`, inputs === undefined ? undefined : layout + inputs, render) : render();
    files.push({ path: fileOf(p.page, '.html'), content: html, ownership: 'managed' });
  }
  const banner = `/* ${sanitizeForComment(`Code generated by eventgen ${options.version} from ${catalog.sourcePath}. DO NOT EDIT.`, { markup: true })} */\n`;
  files.push(
    { path: 'assets/style.css', content: banner + asset('style.css'), ownership: 'managed' },
    { path: 'assets/site.js', content: asset('site.js'), ownership: 'managed' },
    { path: 'assets/search-index.js', content: searchIndexScript(view, options.memo), ownership: 'managed' },
  );
  return files;
}

/** The Markdown docs, paths relative to `docs/`. */
export function emitMarkdown(catalog: Catalog, options: EmitOptions, view: CatalogView, memo?: PageMemo): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  const layout = memo ? layoutKey(view, options.version) : undefined;
  for (const p of pages(catalog, view, options.memo)) {
    const page = p.page === 'index' ? 'README' : p.page;
    const extra = p.template === 'index' ? { eventRowsMd: eventRows(view, 'md', options.memo) } : {};
    const render = (): string => tidyMarkdown(template(p.template, 'md')({ ...p.data, ...extra, root: rootFor(page), catalog: view, generator: options.version }));
    const unit = pageUnit(p, options.memo, layout);
    const data = memo && unit === undefined && layout !== undefined && p.template !== 'index' ? dataKey(p.data, memo.keys) : undefined;
    const inputs = data === undefined ? undefined : `${contextKey([p.template, page])}\u0000${data}`;
    const md = unit !== undefined ? unit.units.get('md', page, unit.key, render) : memo ? memo.render(`md:${page}`, inputs === undefined ? undefined : layout + inputs, render) : render();
    files.push({ path: fileOf(page, '.md'), content: md, ownership: 'managed' });
  }
  const draw = (): string => renderFlowSvg(layoutFlow(catalog), { standalone: true, idPrefix: 'flow', title: `${catalog.title}: producers → topics → consumer groups` });
  const svg = options.memo ? options.memo.units.get('flow.svg', '', options.memo.global, draw) : draw();
  files.push({ path: 'flow.svg', content: svg + '\n', ownership: 'managed' });
  return files;
}

/** Collapse the blank-line runs template control flow leaves behind; end with one newline. */
function tidyMarkdown(md: string): string {
  return md.replace(/[ \t]+$/gm, '').replace(/\n{3,}/g, '\n\n').trim() + '\n';
}

/**
 * With the event gateway (`options.services` includes `gateway`): the overview links its OpenAPI document
 * (`docs/openapi.json`, written by the gateway's emitter) and each published event shows its route.
 */
export function withGateway(view: CatalogView, table: SymbolTable, options: EmitOptions): CatalogView {
  if (options.services?.includes('gateway') !== true) return view;
  const routes = gatewayRoutes(table).routes;
  const http = new Map(routes.map((r) => [r.event.event.type, `POST ${eventPath(r.event.event.type)}`]));
  return {
    ...view,
    gateway: { routes: routes.length },
    events: view.events.map((e) => {
      const route = http.get(e.type);
      return route === undefined ? e : { ...e, http: route };
    }),
  };
}

/** With the live fan-out (`options.services` includes `live`): the overview lists its channels and who may receive what. */
export function withLive(view: CatalogView, table: SymbolTable, options: EmitOptions): CatalogView {
  if (options.services?.includes('live') !== true) return view;
  const plan = livePlan(table);
  const pages = new Map(view.events.map((e) => [e.type, e.page]));
  const link = (type: string): LinkView => ({ text: type, page: pages.get(type) ?? 'index' });
  return {
    ...view,
    live: {
      channels: plan.channels.map((c) => ({
        name: c.name,
        kind: c.kind,
        ...(c.description ? { description: c.description } : {}),
        overflow: c.overflow ?? 'drop-oldest',
        events: c.events.map((e) => ({ ...link(e.event.type), classification: e.event.classification })),
      })),
      restricted: plan.events.filter((e) => e.classification === 'restricted').map((e) => link(e.event.event.type)),
    },
  };
}

/** The catalog's sagas (`x-sagas`, docs/sagas.md): a page each, drawn as a flow, listed on the overview. */
export function withSagas(view: CatalogView, catalog: Catalog): CatalogView {
  const sagas = catalog.sagas ?? [];
  if (sagas.length === 0) return view;
  const pages = new Map(view.events.map((e) => [e.type, e.page]));
  const link = (type: string): LinkView => ({ text: type, page: pages.get(type) ?? 'index' });
  const step = (s: NonNullable<Catalog['sagas']>[number]['steps'][number]): SagaStepView => ({
    name: s.name,
    kind: s.kind,
    group: s.group,
    on: link(s.on),
    emits: s.emits.map(link),
    ...(s.failure ? { failure: link(s.failure) } : {}),
    ...(s.description ? { description: s.description } : {}),
  });
  return {
    ...view,
    sagas: sagas.map((saga) => ({
      name: saga.name,
      page: `sagas/${encodeURIComponent(saga.names.fileName)}`,
      ...(saga.description ? { description: saga.description } : {}),
      steps: saga.steps.filter((s) => s.kind === 'step').map(step),
      compensations: saga.steps.filter((s) => s.kind === 'compensation').map(step),
    })),
  };
}

/** `gen events`: Markdown under `docs/`, the site under `docs/site/`. */
export function emitDocs(table: SymbolTable, options: EmitOptions, memo?: PageMemo): GeneratedFile[] {
  const catalog = table.catalog;
  const view = withSagas(withLive(withGateway(buildView(table, options.memo), table, options), table, options), catalog);
  const files = [
    ...emitMarkdown(catalog, options, view, memo).map((f) => ({ ...f, path: `${DOCS_DIR}/${f.path}` })),
    // Dashboards and alert rules read topics and groups only (the memo's global key).
    ...(options.memo ? options.memo.units.get('observability', '', options.memo.global, () => emitObservability(catalog, options)) : emitObservability(catalog, options)).map((f) => ({ ...f, path: `${DOCS_DIR}/${f.path}` })),
    ...emitSite(catalog, options, view, memo).map((f) => ({ ...f, path: `${SITE_DIR}/${f.path}` })),
  ];
  memo?.commit();
  return files;
}
