/**
 * A saga's flow as SVG (docs/sagas.md): trigger events, steps and the events they emit, laid out left to right by
 * depth. Forward steps and their success events run along the top row; failure events, compensations and their
 * events sit below. Edges: success solid, failure dashed red, compensation dotted amber; a legend says so.
 * Deterministic, drawn from the declaration only; every catalog text is escaped for XML.
 */
import type { Saga } from '../../model/types.js';
import { escapeXml } from './escape.js';
import { fitLabel } from './svg.js';

const W = 176;
const H = 46;
const GAP_X = 44;
const GAP_Y = 30;
const PAD = 16;
const LEGEND = 34;

export interface SagaNode {
  id: string;
  kind: 'event' | 'step' | 'compensation';
  label: string;
  sub: string;
  col: number;
  row: number;
  /** Page (relative to the site root) of an event node. */
  page?: string;
}

export interface SagaEdge {
  from: string;
  to: string;
  kind: 'trigger' | 'success' | 'failure' | 'compensation';
}

export interface SagaLayout {
  width: number;
  height: number;
  nodes: SagaNode[];
  edges: SagaEdge[];
}

export function layoutSaga(saga: Saga, eventPage: (type: string) => string | undefined = () => undefined): SagaLayout {
  const nodes = new Map<string, SagaNode>();
  const edges: SagaEdge[] = [];
  const ev = (type: string): string => `event:${type}`;
  const st = (name: string): string => `step:${name}`;
  // Columns: longest path from the saga's entry events (no loops: the model refuses them).
  const col = new Map<string, number>();
  const emitted = new Set(saga.steps.flatMap((s) => [...s.emits, ...(s.failure ? [s.failure] : [])]));
  for (const s of saga.steps) if (!emitted.has(s.on)) col.set(ev(s.on), 0);
  for (let pass = 0; pass <= saga.steps.length * 2 + 1; pass++) {
    let changed = false;
    for (const s of saga.steps) {
      const c = (col.get(ev(s.on)) ?? 0) + 1;
      if ((col.get(st(s.name)) ?? -1) < c) {
        col.set(st(s.name), c);
        changed = true;
      }
      for (const e of [...s.emits, ...(s.failure ? [s.failure] : [])]) {
        if ((col.get(ev(e)) ?? -1) < c + 1) {
          col.set(ev(e), c + 1);
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  const taken = new Set<string>();
  const place = (id: string, kind: SagaNode['kind'], label: string, sub: string, preferredRow: number, page?: string): void => {
    if (nodes.has(id)) return;
    const c = col.get(id) ?? 0;
    let row = preferredRow;
    while (taken.has(`${c}:${row}`)) row++;
    taken.add(`${c}:${row}`);
    nodes.set(id, { id, kind, label, sub, col: c, row, ...(page !== undefined ? { page } : {}) });
  };
  const event = (type: string, row: number, sub = 'event'): void => place(ev(type), 'event', type, sub, row, eventPage(type));
  const forward = saga.steps.filter((s) => s.kind === 'step');
  for (const s of forward) {
    event(s.on, 0);
    place(st(s.name), 'step', s.name, `step · ${s.group}`, 0);
    for (const e of s.emits) event(e, 0);
  }
  for (const s of forward) if (s.failure) event(s.failure, 1, 'failure event');
  for (const s of saga.steps.filter((x) => x.kind === 'compensation')) {
    event(s.on, 1);
    place(st(s.name), 'compensation', s.name, `compensation · ${s.group}`, 1);
    for (const e of s.emits) event(e, 1, 'compensating event');
  }
  for (const s of saga.steps) {
    edges.push({ from: ev(s.on), to: st(s.name), kind: s.kind === 'compensation' ? 'compensation' : 'trigger' });
    for (const e of s.emits) edges.push({ from: st(s.name), to: ev(e), kind: s.kind === 'compensation' ? 'compensation' : 'success' });
    if (s.failure) edges.push({ from: st(s.name), to: ev(s.failure), kind: 'failure' });
  }
  const all = [...nodes.values()];
  const cols = Math.max(1, ...all.map((n) => n.col + 1));
  const rows = Math.max(1, ...all.map((n) => n.row + 1));
  return { width: PAD * 2 + cols * W + (cols - 1) * GAP_X, height: PAD * 2 + rows * H + (rows - 1) * GAP_Y + LEGEND, nodes: all, edges };
}

const x = (n: SagaNode): number => PAD + n.col * (W + GAP_X);
const y = (n: SagaNode): number => PAD + n.row * (H + GAP_Y);

const EDGE_STYLE: Record<SagaEdge['kind'], string> = {
  trigger: 'class="flow-edge"',
  success: 'class="flow-edge"',
  failure: 'class="saga-edge saga-edge-failure" fill="none" stroke="#cf222e" stroke-width="1.5" stroke-dasharray="6 4"',
  compensation: 'class="saga-edge saga-edge-compensation" fill="none" stroke="#bf8700" stroke-width="1.5" stroke-dasharray="2 3"',
};
const NODE_CLASS: Record<SagaNode['kind'], string> = { event: 'flow-topic', step: 'flow-group', compensation: 'flow-producer' };

export function renderSagaSvg(layout: SagaLayout, options: { root?: string; idPrefix?: string; title: string }): string {
  const id = options.idPrefix ?? 'saga';
  const byId = new Map(layout.nodes.map((n) => [n.id, n]));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="flow-svg saga-svg" viewBox="0 0 ${layout.width} ${layout.height}" role="img" aria-labelledby="${id}-title">`,
    `<title id="${id}-title">${escapeXml(options.title)}</title>`,
    `<defs><marker id="${id}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="flow-arrow" d="M0 0L10 5L0 10z"/></marker></defs>`,
  ];
  for (const e of layout.edges) {
    const a = byId.get(e.from);
    const b = byId.get(e.to);
    if (!a || !b) continue;
    const x1 = x(a) + W;
    const y1 = y(a) + H / 2;
    const x2 = x(b) - 2;
    const y2 = y(b) + H / 2;
    const mx = (x1 + x2) / 2;
    const d = y1 === y2 ? `M${x1} ${y1}H${x2}` : `M${x1} ${y1}C${mx} ${y1} ${mx} ${y2} ${x2} ${y2}`;
    out.push(`<path ${EDGE_STYLE[e.kind]} data-kind="${e.kind}" d="${d}" marker-end="url(#${id}-arrow)"/>`);
  }
  for (const n of layout.nodes) {
    const dash = n.kind === 'compensation' ? ' stroke-dasharray="4 3"' : '';
    const box =
      `<g class="flow-node ${NODE_CLASS[n.kind]} saga-${n.kind}"><title>${escapeXml(`${n.label} — ${n.sub}`)}</title>` +
      `<rect class="flow-box" x="${x(n)}" y="${y(n)}" width="${W}" height="${H}" rx="8"${dash}/>` +
      `<text class="flow-label" x="${x(n) + 10}" y="${y(n) + 20}">${escapeXml(fitLabel(n.label, W))}</text>` +
      `<text class="flow-sub" x="${x(n) + 10}" y="${y(n) + 37}">${escapeXml(fitLabel(n.sub, W, 6.6))}</text></g>`;
    out.push(n.page !== undefined ? `<a href="${escapeXml((options.root ?? '') + n.page)}">${box}</a>` : box);
  }
  const ly = layout.height - PAD - 8;
  const legend: Array<[SagaEdge['kind'], string]> = [['success', 'success'], ['failure', 'failure'], ['compensation', 'compensation']];
  legend.forEach(([kind, text], i) => {
    const lx = PAD + i * 150;
    out.push(`<path ${EDGE_STYLE[kind]} d="M${lx} ${ly - 4}H${lx + 34}"/>`, `<text class="flow-sub" x="${lx + 42}" y="${ly}">${text}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
