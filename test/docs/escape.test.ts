/** Escaping per output context (HTML text, attribute, URL, SVG, Markdown) and the safe Markdown subset. */
import { describe, expect, it } from 'vitest';
import { escapeAttr, escapeHtml, escapeMarkdown, escapeXml, jsonForScript, mdCell, mdCode, mdCodeBlock, safeUrl } from '../../generator/emit/docs/escape.js';
import { parseInline, proseHtml, proseMarkdown, proseMarkdownCell } from '../../generator/emit/docs/prose.js';

const HOSTILE = `<script>alert(1)</script> "x" 'y' \`z\` & </textarea> <img src=x onerror=alert(1)>`;

describe('HTML', () => {
  it('escapes text so no tag, entity or quote survives', () => {
    const out = escapeHtml(HOSTILE);
    expect(out).not.toMatch(/[<>"'`]/);
    expect(out).toBe('&lt;script&gt;alert(1)&lt;/script&gt; &quot;x&quot; &#39;y&#39; &#96;z&#96; &amp; &lt;/textarea&gt; &lt;img src=x onerror=alert(1)&gt;');
  });
  it('escapes attributes including line breaks', () => {
    expect(escapeAttr('a"\nb\'c')).toBe('a&quot;&#10;b&#39;c');
  });
  it('replaces control characters, lone surrogates and bidi overrides', () => {
    expect(escapeHtml('a\u0000b\u202Ec\uD800d\u2066e')).toBe('a\uFFFDb\uFFFDc\uFFFDd\uFFFDe');
    expect(escapeHtml('😀 é')).toBe('😀 é');
  });
});

describe('URLs', () => {
  it.each(['http://a.example/x', 'https://a.example/?q=1#f', 'mailto:team@example.com', 'HTTPS://A.EXAMPLE', 'docs/x.html', '../x.md', '#anchor', '?q'])('allows %s', (u) => {
    expect(safeUrl(u)).toBe(u);
  });
  it.each([
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    '  javascript:alert(1)',
    'java\tscript:alert(1)',
    'java\nscript:alert(1)',
    '\u0000javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:x',
    'file:///etc/passwd',
    '//evil.example/x',
    '\\\\evil.example\\x',
    '',
  ])('refuses %j', (u) => {
    expect(safeUrl(u)).toBeNull();
  });
});

describe('SVG/XML', () => {
  it('escapes the XML specials and characters XML 1.0 forbids', () => {
    expect(escapeXml(`<a href="x">&'\u0001</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;\uFFFD&lt;/a&gt;');
  });
});

describe('Markdown', () => {
  it('escapes every Markdown-active character and flattens lines', () => {
    const out = escapeMarkdown('# h\n| a | b |\n[x](javascript:alert(1)) ![i](x) <b> *e* _u_ `c` ~s~ $m$ &amp;');
    expect(out).toBe('\\# h \\| a \\| b \\| \\[x\\](javascript:alert(1)) !\\[i\\](x) \\<b\\> \\*e\\* \\_u\\_ \\`c\\` \\~s\\~ \\$m\\$ \\&amp;');
    expect(out).not.toMatch(/\n/);
  });
  it('escapes list/heading starters only at a line start', () => {
    expect(escapeMarkdown('1. x', { lineStart: true })).toBe('1\\. x');
    expect(escapeMarkdown('- x', { lineStart: true })).toBe('\\- x');
    expect(escapeMarkdown('1.4.0')).toBe('1.4.0');
  });
  it('table cells never contain an unescaped pipe or a newline', () => {
    const cell = mdCell('a|b\nc');
    expect(cell).toBe('a\\|b c');
    expect(mdCell('')).toBe(' ');
    expect(mdCode('a|b', { cell: true })).toBe('`a\\|b`');
  });
  it('code spans and blocks use fences longer than the content', () => {
    expect(mdCode('a`b')).toBe('``a`b``');
    expect(mdCode('`x`')).toBe('`` `x` ``');
    expect(mdCodeBlock('```\nx\n````', 'json')).toBe('`````json\n```\nx\n````\n`````');
  });
});

describe('script data', () => {
  it('cannot close a script element or break a JS string', () => {
    const out = jsonForScript({ a: '</script><!--\u2028&' });
    expect(out).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(out)).toEqual({ a: '</script><!--\u2028&' });
  });
});

describe('catalog Markdown subset', () => {
  it('keeps code, strong and safe links; drops unsafe link targets and images', () => {
    expect(parseInline('a `b` **c** [d](https://x.example) [e](javascript:alert(1)) ![f](https://x.example/i.png)')).toEqual([
      { kind: 'text', text: 'a ' },
      { kind: 'code', text: 'b' },
      { kind: 'text', text: ' ' },
      { kind: 'strong', text: 'c' },
      { kind: 'text', text: ' ' },
      { kind: 'link', text: 'd', href: 'https://x.example' },
      { kind: 'text', text: ' e f' },
    ]);
  });
  it('renders HTML with everything else as text', () => {
    const html = proseHtml('Hi <b>x</b>\n\n- one\n- [two](https://t.example/?a=1&b="2")\n\n```\n<script>\n```');
    expect(html).toBe(
      '<p>Hi &lt;b&gt;x&lt;/b&gt;</p>\n<ul><li>one</li><li><a href="https://t.example/?a=1&amp;b=&quot;2&quot;" rel="noopener noreferrer external">two</a></li></ul>\n<pre><code>&lt;script&gt;</code></pre>',
    );
    expect(proseHtml('<img src=x onerror=alert(1)> [x](javascript:alert(1))')).toBe('<p>&lt;img src=x onerror=alert(1)&gt; x</p>');
  });
  it('renders Markdown that cannot inject headings, HTML, tables or links', () => {
    const md = proseMarkdown('# H\n<script>x</script>\n| a |\n[x](javascript:alert(1)) [ok](https://ok.example/a|b)');
    expect(md).toBe('\\# H \\<script\\>x\\</script\\> \\| a \\| x [ok](<https://ok.example/a%7Cb>)');
    expect(proseMarkdownCell('a\n\nb | c')).toBe('a b \\| c');
  });
  it('an unclosed code fence stays a code block to the end', () => {
    expect(proseHtml('x\n```\nunclosed <b>')).toBe('<p>x</p>\n<pre><code>unclosed &lt;b&gt;</code></pre>');
  });
});
