/** The flow diagram layout (deterministic, non-overlapping, edges where the catalog says) and its SVG. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitLabel, layoutFlow, NODE_H, renderFlowSvg } from '../../generator/emit/docs/svg.js';
import { generateFromString } from '../../generator/index.js';
import type { Catalog } from '../../generator/model/types.js';
import { fixturePath, generateAt, ROOT } from '../support/tree.js';

async function catalogOf(file: string): Promise<Catalog> {
  const r = await generateAt(file);
  if (!r.catalog) throw new Error(JSON.stringify(r.diagnostics));
  return r.catalog;
}

const CATALOG = `
asyncapi: 3.0.0
info: { title: t, version: '1' }
channels:
  a: { address: t.a, messages: { m1: { name: a.one, payload: { type: object } } } }
  b: { address: t.b, messages: { m2: { name: b.one, payload: { type: object } } } }
  c: { address: t.c, messages: { m3: { name: c.one, payload: { type: object } } } }
operations:
  sa: { action: send, channel: { $ref: '#/channels/a' }, bindings: { kafka: { clientId: { type: string, enum: [order-service] } } } }
  sc: { action: send, channel: { $ref: '#/channels/c' } }
  r1: { action: receive, channel: { $ref: '#/channels/c' }, bindings: { kafka: { groupId: { type: string, const: zeta } } } }
  r2: { action: receive, channel: { $ref: '#/channels/a' }, bindings: { kafka: { groupId: { type: string, const: alpha } } } }
  r3: { action: receive, channel: { $ref: '#/channels/b' }, bindings: { kafka: { groupId: { type: string, const: alpha } } } }
  r4: { action: receive, channel: { $ref: '#/channels/a' }, bindings: { kafka: { groupId: { type: string, const: mid } } } }
`;

describe('flow layout', () => {
  const catalog = generateFromString(CATALOG).catalog as Catalog;

  it('labels producers by the application that sends, level with their topics; orders groups by the topics they read', () => {
    const l = layoutFlow(catalog);
    const node = (id: string) => l.nodes.find((n) => n.id === id);
    // The send operation's Kafka clientId, else the catalog's source (here the kebab-case title `t`).
    expect(l.nodes.filter((n) => n.kind === 'producer').map((n) => [n.id, n.label, n.sub])).toEqual([
      ['producer:order-service', 'order-service', 'sends 1 event'],
      ['producer:t', 't', 'sends 1 event'],
    ]);
    expect(node('producer:order-service')?.y).toBe(node('topic:a')?.y);
    expect(node('producer:t')?.y).toBe(node('topic:c')?.y);
    // alpha reads a and b (mean row 0.5), mid reads a (row 0), zeta reads c (row 2).
    const groups = l.nodes.filter((n) => n.kind === 'group').sort((x, y) => x.y - y.y).map((n) => n.label);
    expect(groups).toEqual(['mid', 'alpha', 'zeta']);
    expect(l.edges).toContainEqual({ from: 'producer:order-service', to: 'topic:a' });
    expect(l.edges).toContainEqual({ from: 'producer:t', to: 'topic:c' });
    expect(l.edges).toContainEqual({ from: 'topic:b', to: 'group:alpha' });
    expect(l.edges.filter((e) => e.to === 'group:alpha')).toHaveLength(2);
    expect(l.edges.some((e) => e.to === 'topic:b' && e.from.startsWith('producer:'))).toBe(false);
  });

  it('never overlaps nodes and fits them in the canvas (bundled catalog)', async () => {
    const l = layoutFlow(await catalogOf(path.join(ROOT, 'catalog/shop.asyncapi.yaml')));
    for (const col of ['producer', 'topic', 'group'] as const) {
      const ys = l.nodes.filter((n) => n.kind === col).map((n) => n.y).sort((a, b) => a - b);
      for (let i = 1; i < ys.length; i++) expect((ys[i] as number) - (ys[i - 1] as number)).toBeGreaterThanOrEqual(NODE_H);
    }
    for (const n of l.nodes) {
      expect(n.x).toBeGreaterThanOrEqual(0);
      expect(n.y + NODE_H).toBeLessThanOrEqual(l.height);
    }
  });

  it('is deterministic and can be limited to one topic', async () => {
    const c = await catalogOf(path.join(ROOT, 'catalog/shop.asyncapi.yaml'));
    expect(renderFlowSvg(layoutFlow(c))).toBe(renderFlowSvg(layoutFlow(c)));
    const one = layoutFlow(c, { topics: [c.topics[0]?.id as string] });
    expect(one.nodes.filter((n) => n.kind === 'topic')).toHaveLength(1);
    expect(one.nodes.filter((n) => n.kind === 'group').length).toBeGreaterThan(1);
  });

  it('truncates long labels with an ellipsis', () => {
    expect(fitLabel('x'.repeat(100), 220)).toMatch(/^x+…$/);
    expect(fitLabel('short', 220)).toBe('short');
  });
});

describe('flow SVG', () => {
  it('escapes hostile labels and links only to our own pages', async () => {
    const c = await catalogOf(fixturePath('hostile'));
    const svg = renderFlowSvg(layoutFlow(c, { topicPage: (f) => `topics/${encodeURIComponent(f)}.html`, groupPage: (f) => `groups/${encodeURIComponent(f)}.html` }), { root: '../' });
    expect(svg).not.toMatch(/<script|javascript:|onerror|onload/i);
    expect(svg).toContain('&quot;quoted&quot;');
    for (const m of svg.matchAll(/href="([^"]*)"/g)) expect(m[1]).toMatch(/^\.\.\/(topics|groups)\/[^:]*\.html$/);
  });

  it('standalone SVG has its own styles (light/dark), no links, and is well-formed XML', async () => {
    const c = await catalogOf(fixturePath('hostile'));
    const svg = renderFlowSvg(layoutFlow(c), { standalone: true });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).toContain('prefers-color-scheme: dark');
    expect(svg).not.toContain('<a ');
    // Every tag closes: a cheap well-formedness check (no stray `<` from labels).
    const text = svg.replace(/<style>[\s\S]*?<\/style>/, '');
    const opened = [...text.matchAll(/<([a-z]+)[^>]*?(\/?)>/g)].filter((m) => m[2] !== '/').length;
    const closed = [...text.matchAll(/<\/([a-z]+)>/g)].length;
    expect(opened).toBe(closed);
  });
});
