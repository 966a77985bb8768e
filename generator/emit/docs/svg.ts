/**
 * The flow diagram producers → topics → consumer groups, laid out deterministically at generation time and
 * rendered as SVG (inline in the site, `flow.svg` next to the Markdown). Layout: three fixed columns; topics
 * in catalog order; producers (the applications that send: a send operation's Kafka `clientId`, else the
 * catalog's `source`) and groups ordered by the mean row of the topics they write or read (ties by name) and
 * pushed down just enough not to overlap — few crossings, no randomness.
 */
import type { Catalog, Topic } from '../../model/types.js';
import { escapeXml } from './escape.js';

export type NodeKind = 'producer' | 'topic' | 'group';

export interface FlowNode {
  id: string;
  kind: NodeKind;
  label: string;
  sub: string;
  x: number;
  y: number;
  /** Page of this node, relative to the site root (topics/x.html); undefined for producers. */
  page?: string;
}

export interface FlowEdge {
  from: string;
  to: string;
}

export interface FlowLayout {
  width: number;
  height: number;
  nodes: FlowNode[];
  edges: FlowEdge[];
}

export const NODE_W = 220;
export const NODE_H = 46;
const GAP_X = 110;
const GAP_Y = 14;
const PAD = 16;
const HEAD = 34;
const CHAR_W = 7.4;

const colX = (col: number): number => PAD + col * (NODE_W + GAP_X);
const rowY = (row: number): number => PAD + HEAD + row * (NODE_H + GAP_Y);

export interface FlowOptions {
  /** Only these topic ids (and their producers and groups); all topics when omitted. */
  topics?: readonly string[];
  /** Page path builders (relative to the site root). */
  topicPage?: (fileName: string) => string;
  groupPage?: (fileName: string) => string;
}

export function layoutFlow(catalog: Catalog, options: FlowOptions = {}): FlowLayout {
  const only = options.topics ? new Set(options.topics) : undefined;
  const topics = catalog.topics.filter((t) => !only || only.has(t.id));
  const row = new Map(topics.map((t, i) => [t.id, i]));
  const nodes: FlowNode[] = [];
  const edges: FlowEdge[] = [];
  topics.forEach((t, i) => {
    const topicNode: FlowNode = {
      id: `topic:${t.id}`,
      kind: 'topic',
      label: t.name,
      sub: `${plural(t.events.length, 'event')}${t.partitions !== undefined ? ` · ${plural(t.partitions, 'partition')}` : ''}`,
      x: colX(1),
      y: rowY(i),
    };
    if (options.topicPage) topicNode.page = options.topicPage(t.names.fileName);
    nodes.push(topicNode);
  });
  let nextProducer = rowY(0);
  for (const app of sendingApplications(catalog, topics)) {
    const rows = app.topics.map((id) => row.get(id) as number);
    const y = Math.max(Math.round(rowY(rows.reduce((a, b) => a + b, 0) / rows.length)), nextProducer);
    nextProducer = y + NODE_H + GAP_Y;
    const id = `producer:${app.name}`;
    nodes.push({ id, kind: 'producer', label: app.name, sub: `sends ${plural(app.events, 'event')}`, x: colX(0), y });
    for (const t of app.topics) edges.push({ from: id, to: `topic:${t}` });
  }
  const groups = catalog.groups
    .map((g) => {
      const subs = g.subscriptions.filter((s) => row.has(s.topic));
      const rows = subs.map((s) => row.get(s.topic) as number);
      return { g, subs, bary: rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : 0 };
    })
    .filter((x) => x.subs.length > 0)
    .sort((a, b) => a.bary - b.bary || (a.g.groupId < b.g.groupId ? -1 : a.g.groupId > b.g.groupId ? 1 : 0));
  let nextFree = rowY(0);
  for (const { g, subs, bary } of groups) {
    const y = Math.max(Math.round(rowY(bary)), nextFree);
    nextFree = y + NODE_H + GAP_Y;
    const events = subs.reduce((n, s) => n + s.events.length, 0);
    const node: FlowNode = {
      id: `group:${g.groupId}`,
      kind: 'group',
      label: g.groupId,
      sub: `${g.isDefault ? 'default group · ' : ''}${plural(events, 'event')}`,
      x: colX(2),
      y,
    };
    if (options.groupPage) node.page = options.groupPage(g.names.fileName);
    nodes.push(node);
    for (const s of subs) edges.push({ from: `topic:${s.topic}`, to: node.id });
  }
  const bottom = Math.max(rowY(Math.max(topics.length, 1)) - GAP_Y, nextFree - GAP_Y, nextProducer - GAP_Y);
  return { width: colX(3) - GAP_X + PAD, height: bottom + PAD, nodes, edges };
}

/**
 * The applications that send to `topics`, ordered by the mean row of their topics (ties by name): a send
 * operation's Kafka `clientId`, else the catalog's `source` (`x-eventgen.source`, else its title).
 */
function sendingApplications(catalog: Catalog, topics: readonly Topic[]): Array<{ name: string; topics: string[]; events: number }> {
  const apps = new Map<string, { topics: string[]; events: Set<string> }>();
  for (const t of topics) {
    if (t.produced.length === 0) continue;
    for (const s of t.senders ?? [{ events: t.produced }]) {
      const name = ('clientId' in s ? s.clientId : undefined) ?? catalog.source;
      const app = apps.get(name) ?? { topics: [], events: new Set<string>() };
      if (!app.topics.includes(t.id)) app.topics.push(t.id);
      for (const e of s.events) app.events.add(e);
      apps.set(name, app);
    }
  }
  const row = new Map(topics.map((t, i) => [t.id, i]));
  const mean = (ids: string[]): number => ids.reduce((a, id) => a + (row.get(id) as number), 0) / ids.length;
  return [...apps.entries()]
    .map(([name, a]) => ({ name, topics: a.topics, events: a.events.size }))
    .sort((a, b) => mean(a.topics) - mean(b.topics) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Cut a label to what fits in a node (by a conservative average glyph width). */
export function fitLabel(label: string, width: number, charWidth = CHAR_W): string {
  const max = Math.max(4, Math.floor((width - 24) / charWidth));
  const chars = Array.from(label);
  return chars.length <= max ? label : chars.slice(0, max - 1).join('') + '…';
}

const STANDALONE_STYLE = [
  '.flow-head{font:600 12px system-ui,sans-serif;fill:#57606a;letter-spacing:.06em;text-transform:uppercase}',
  '.flow-box{stroke-width:1.5}',
  '.flow-producer .flow-box{fill:#eef6ff;stroke:#3b82f6}',
  '.flow-topic .flow-box{fill:#f3f0ff;stroke:#7c3aed}',
  '.flow-group .flow-box{fill:#ecfdf3;stroke:#16a34a}',
  '.flow-label{font:600 13px ui-monospace,SFMono-Regular,Menlo,monospace;fill:#1f2328}',
  '.flow-sub{font:12px system-ui,sans-serif;fill:#57606a}',
  '.flow-edge{fill:none;stroke:#8c959f;stroke-width:1.5}',
  '.flow-arrow{fill:#8c959f}',
  '@media (prefers-color-scheme: dark){.flow-bg{fill:#0d1117}.flow-head,.flow-sub{fill:#9198a1}.flow-label{fill:#e6edf3}',
  '.flow-producer .flow-box{fill:#0c2d4f;stroke:#58a6ff}.flow-topic .flow-box{fill:#271a4a;stroke:#a371f7}',
  '.flow-group .flow-box{fill:#0f2e1b;stroke:#3fb950}.flow-edge{stroke:#6e7681}.flow-arrow{fill:#6e7681}}',
].join('');

export interface SvgOptions {
  /** A standalone .svg file (own styles, no links) instead of inline SVG in a page. */
  standalone?: boolean;
  /** Prefix for links from inline SVG to pages (`''` or `'../'`). */
  root?: string;
  /** Unique id prefix when several diagrams share a page. */
  idPrefix?: string;
  title?: string;
}

export function renderFlowSvg(layout: FlowLayout, options: SvgOptions = {}): string {
  const id = options.idPrefix ?? 'flow';
  const title = options.title ?? 'Event flow: producers → topics → consumer groups';
  const byId = new Map(layout.nodes.map((n) => [n.id, n]));
  const out: string[] = [];
  const size = options.standalone === true ? ` width="${layout.width}" height="${layout.height}"` : '';
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="flow-svg" viewBox="0 0 ${layout.width} ${layout.height}"${size} role="img" aria-labelledby="${id}-title">`,
    `<title id="${id}-title">${escapeXml(title)}</title>`,
  );
  if (options.standalone === true) out.push(`<style>${STANDALONE_STYLE}</style>`, `<rect class="flow-bg" width="100%" height="100%" fill="none"/>`);
  out.push(
    `<defs><marker id="${id}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="flow-arrow" d="M0 0L10 5L0 10z"/></marker></defs>`,
  );
  ['Producers', 'Topics', 'Consumer groups'].forEach((h, i) => out.push(`<text class="flow-head" x="${colX(i)}" y="${PAD + 14}">${h}</text>`));
  for (const e of layout.edges) {
    const a = byId.get(e.from);
    const b = byId.get(e.to);
    if (!a || !b) continue;
    const x1 = a.x + NODE_W;
    const y1 = a.y + NODE_H / 2;
    const x2 = b.x - 2;
    const y2 = b.y + NODE_H / 2;
    const mx = (x1 + x2) / 2;
    const d = y1 === y2 ? `M${x1} ${y1}H${x2}` : `M${x1} ${y1}C${mx} ${y1} ${mx} ${y2} ${x2} ${y2}`;
    out.push(`<path class="flow-edge" d="${d}" marker-end="url(#${id}-arrow)"/>`);
  }
  for (const n of layout.nodes) {
    const box =
      `<g class="flow-node flow-${n.kind}"><title>${escapeXml(`${n.label} — ${n.sub}`)}</title>` +
      `<rect class="flow-box" x="${n.x}" y="${n.y}" width="${NODE_W}" height="${NODE_H}" rx="8"/>` +
      `<text class="flow-label" x="${n.x + 12}" y="${n.y + 20}">${escapeXml(fitLabel(n.label, NODE_W))}</text>` +
      `<text class="flow-sub" x="${n.x + 12}" y="${n.y + 37}">${escapeXml(fitLabel(n.sub, NODE_W, 6.6))}</text></g>`;
    out.push(n.page !== undefined && options.standalone !== true ? `<a href="${escapeXml((options.root ?? '') + n.page)}">${box}</a>` : box);
  }
  out.push('</svg>');
  return out.join('\n');
}
