/**
 * The docs of a catalog with `x-sagas`: a saga page per saga (site: the flow drawn as inline SVG with success,
 * failure and compensation edges in different styles, event nodes linking to their pages; Markdown: the flow as
 * text), linked from the overview, and every catalog-derived text escaped for its context (HTML, SVG, Markdown).
 */
import { describe, expect, it } from 'vitest';
import { layoutSaga, renderSagaSvg } from '../../generator/emit/docs/saga-svg.js';
import { generateFromString } from '../../generator/index.js';
import { fixtureText } from './support.js';

const file = (files: ReadonlyArray<{ path: string; content: string }>, p: string): string => {
  const f = files.find((x) => x.path === p);
  if (!f) throw new Error(`no ${p}; have ${files.filter((x) => x.path.includes('saga')).map((x) => x.path).join(', ')}`);
  return f.content;
};

describe('saga docs (fixture catalog)', () => {
  const r = generateFromString(fixtureText());
  it('writes a saga page (site + Markdown) linked from the overview, with or without --with sagas', () => {
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const index = file(r.files, 'docs/site/index.html');
    expect(index).toContain('<section id="sagas">');
    expect(index).toContain('<a href="sagas/order-fulfillment.html"><code>order-fulfillment</code></a>');
    expect(file(r.files, 'docs/README.md')).toContain('| [order-fulfillment](<sagas/order-fulfillment.md>) | `charge-payment` → `reserve-stock` → `ship-order` | `cancel-order`, `refund-payment` |');
    const md = file(r.files, 'docs/sagas/order-fulfillment.md');
    expect(md).toContain('1. `charge-payment` (group `saga-shop.payment`): on [order.created](<../events/order-created.md>) → [payment.captured](<../events/payment-captured.md>); on failure → [payment.failed](<../events/payment-failed.md>).');
    expect(md).toContain('- `refund-payment` (group `saga-shop.payment`): on [stock.reservation-failed](<../events/stock-reservation-failed.md>) → [payment.refunded](<../events/payment-refunded.md>).');
    expect(md).not.toMatch(/mermaid|<svg/);
  });

  it('draws the flow: one node per step and event, edges styled by kind, events linked to their pages', () => {
    const html = file(r.files, 'docs/site/sagas/order-fulfillment.html');
    const svg = /<svg[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    expect(svg).toContain('aria-labelledby="saga-title"');
    expect((svg.match(/class="flow-node flow-group saga-step"/g) ?? []).length).toBe(3);
    expect((svg.match(/saga-compensation"/g) ?? []).length).toBe(2);
    expect((svg.match(/saga-event"/g) ?? []).length).toBe(8);
    const kinds = [...svg.matchAll(/data-kind="([a-z]+)"/g)].map((m) => m[1]);
    expect(kinds.filter((k) => k === 'trigger').length).toBe(3);
    expect(kinds.filter((k) => k === 'success').length).toBe(3);
    expect(kinds.filter((k) => k === 'failure').length).toBe(2);
    expect(kinds.filter((k) => k === 'compensation').length).toBe(4);
    // Different styles: failure dashed red, compensation dotted amber, success the plain edge.
    expect(svg).toMatch(/class="saga-edge saga-edge-failure"[^>]*stroke-dasharray="6 4"[^>]*data-kind="failure"/);
    expect(svg).toMatch(/class="saga-edge saga-edge-compensation"[^>]*stroke-dasharray="2 3"[^>]*data-kind="compensation"/);
    expect(svg).toContain('<a href="../events/payment-failed.html">');
    expect(html).toContain('<a href="../index.html#sagas">Sagas</a>');
  });

  it('lays forward steps along the top row and failures and compensations below, columns by depth', () => {
    const saga = r.catalog?.sagas?.[0];
    if (!saga) throw new Error('no saga');
    const layout = layoutSaga(saga);
    const at = (id: string): string => {
      const n = layout.nodes.find((x) => x.id === id);
      return `${n?.col}:${n?.row}`;
    };
    expect(['event:order.created', 'step:charge-payment', 'event:payment.captured', 'step:reserve-stock', 'event:stock.reserved', 'step:ship-order', 'event:order.shipped'].map(at)).toEqual(['0:0', '1:0', '2:0', '3:0', '4:0', '5:0', '6:0']);
    expect(['event:payment.failed', 'step:cancel-order', 'event:order.cancelled'].map(at)).toEqual(['2:1', '3:1', '4:2']); // (4, 1) is stock.reservation-failed's: the next free row
    expect(['event:stock.reservation-failed', 'step:refund-payment', 'event:payment.refunded'].map(at)).toEqual(['4:1', '5:1', '6:1']);
  });
});

describe('saga docs escape catalog text', () => {
  const HOSTILE = `<script>alert(1)</script> | *x* [y](javascript:alert(1)) & "q"`;
  const text = fixtureText()
    .replace('description: Order → payment → stock → shipping, with compensations.', `description: ${JSON.stringify(HOSTILE)}`)
    .replaceAll('payment.failed', 'pay<b>"ment\'.failed&');
  const r = generateFromString(text);

  it('generates (event types may hold any character)', () => {
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('HTML page and overview: no tag, quote or script survives; the unsafe link is dropped', () => {
    for (const p of ['docs/site/sagas/order-fulfillment.html', 'docs/site/index.html']) {
      const html = file(r.files, p);
      expect(html).not.toContain('<script>alert');
      expect(html).not.toContain('<b>');
      expect(html).not.toContain('javascript:');
    }
    const page = file(r.files, 'docs/site/sagas/order-fulfillment.html');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('<code>pay&lt;b&gt;&quot;ment&#39;.failed&amp;</code>');
  });

  it('SVG text and titles are XML-escaped', () => {
    const svg = /<svg[\s\S]*?<\/svg>/.exec(file(r.files, 'docs/site/sagas/order-fulfillment.html'))?.[0] ?? '';
    expect(svg).toContain('pay&lt;b&gt;&quot;ment&#39;.failed&amp;');
    expect(svg).not.toMatch(/pay<b>/);
    const direct = renderSagaSvg({ width: 10, height: 10, nodes: [{ id: 'x', kind: 'event', label: '</text><script>', sub: '"&', col: 0, row: 0, page: 'a"b.html' }], edges: [] }, { title: '<t>' });
    expect(direct).not.toMatch(/<script>|<t>/);
    expect(direct).toContain('<a href="a&quot;b.html">');
  });

  it('Markdown: description and event names cannot inject HTML, links or table cells', () => {
    const md = file(r.files, 'docs/sagas/order-fulfillment.md');
    expect(md).not.toContain('<script>');
    expect(md).not.toContain('](javascript:');
    expect(md).not.toContain('<b>');
    const row = file(r.files, 'docs/README.md').split('\n').find((l) => l.includes('sagas/order-fulfillment.md')) ?? '';
    expect(row.split(/(?<!\\)\|/).length).toBe(6); // 4 cells: no unescaped pipe from the description
  });
});
