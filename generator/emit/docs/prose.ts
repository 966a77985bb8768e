/**
 * Catalog descriptions are CommonMark by the AsyncAPI spec. The docs render a small, safe subset of it —
 * paragraphs, `-`/`*` lists, fenced code blocks, inline code, `**strong**` and `[links](url)` with allowed
 * URLs (see `safeUrl`) — and treat everything else (raw HTML, images, headings, tables) as text. One parser,
 * two renderers (HTML and re-escaped Markdown), so both outputs show the same thing.
 */
import { escapeAttr, escapeHtml, escapeMarkdown, mdCode, mdCodeBlock, safeUrl } from './escape.js';

export type Inline =
  | { kind: 'text'; text: string }
  | { kind: 'code'; text: string }
  | { kind: 'strong'; text: string }
  | { kind: 'link'; text: string; href: string };

export type Block = { kind: 'para'; inline: Inline[] } | { kind: 'list'; items: Inline[][] } | { kind: 'code'; text: string };

const INLINE = /(`+)([\s\S]*?[^`])\1(?!`)|\*\*([^*\n]+?)\*\*|!?\[([^\]\n]*)\]\(([^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:\s+"[^"\n]*")?\)/g;

export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  const push = (t: string): void => {
    if (t === '') return;
    const last = out[out.length - 1];
    if (last?.kind === 'text') last.text += t;
    else out.push({ kind: 'text', text: t });
  };
  let at = 0;
  for (const m of text.matchAll(INLINE)) {
    push(text.slice(at, m.index));
    at = (m.index ?? 0) + m[0].length;
    if (m[1] !== undefined) {
      const code = (m[2] as string).replace(/\n/g, ' ');
      out.push({ kind: 'code', text: code.length > 2 && code.startsWith(' ') && code.endsWith(' ') ? code.slice(1, -1) : code });
    } else if (m[3] !== undefined) {
      out.push({ kind: 'strong', text: m[3] });
    } else {
      const label = m[4] as string;
      const href = m[0].startsWith('!') ? null : safeUrl(m[5] as string);
      // Images are never loaded (no network requests); unsafe links lose their target and keep their text.
      if (href === null) push(label);
      else out.push({ kind: 'link', text: label === '' ? href : label, href });
    }
  }
  push(text.slice(at));
  return out;
}

export function parseProse(source: string | undefined): Block[] {
  if (source === undefined) return [];
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let para: string[] = [];
  let list: string[] | null = null;
  const flush = (): void => {
    if (para.length) blocks.push({ kind: 'para', inline: parseInline(para.join(' ').trim()) });
    if (list) blocks.push({ kind: 'list', items: list.map((i) => parseInline(i.trim())) });
    para = [];
    list = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const fence = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fence) {
      flush();
      const body: string[] = [];
      const close = new RegExp(`^\\s{0,3}${(fence[1] as string)[0] === '`' ? '`' : '~'}{${(fence[1] as string).length},}\\s*$`);
      for (i++; i < lines.length && !close.test(lines[i] as string); i++) body.push(lines[i] as string);
      blocks.push({ kind: 'code', text: body.join('\n') });
      continue;
    }
    if (line.trim() === '') {
      flush();
      continue;
    }
    const item = /^\s{0,3}[-*+]\s+(.*)$/.exec(line);
    if (item) {
      if (para.length) flush();
      (list ??= []).push(item[1] as string);
    } else if (list && /^\s{2,}\S/.test(line)) {
      list[list.length - 1] += ' ' + line.trim();
    } else {
      if (list) flush();
      para.push(line.trim());
    }
  }
  flush();
  return blocks;
}

/* HTML --------------------------------------------------------------------------------------- */

export function inlineHtml(inline: readonly Inline[]): string {
  return inline
    .map((n) => {
      switch (n.kind) {
        case 'text':
          return escapeHtml(n.text);
        case 'code':
          return `<code>${escapeHtml(n.text)}</code>`;
        case 'strong':
          return `<strong>${escapeHtml(n.text)}</strong>`;
        case 'link': {
          const external = /^[a-z]+:/i.test(n.href);
          return `<a href="${escapeAttr(n.href)}"${external ? ' rel="noopener noreferrer external"' : ''}>${escapeHtml(n.text)}</a>`;
        }
      }
    })
    .join('');
}

export function proseHtml(source: string | undefined): string {
  return parseProse(source)
    .map((b) => {
      if (b.kind === 'para') return `<p>${inlineHtml(b.inline)}</p>`;
      if (b.kind === 'list') return `<ul>${b.items.map((i) => `<li>${inlineHtml(i)}</li>`).join('')}</ul>`;
      return `<pre><code>${escapeHtml(b.text)}</code></pre>`;
    })
    .join('\n');
}

/** One line of inline HTML (table cells, summaries): blocks joined by spaces. */
export function proseInlineHtml(source: string | undefined): string {
  return flatten(parseProse(source)).map(inlineHtml).join(' ');
}

function flatten(blocks: readonly Block[]): Inline[][] {
  return blocks.map((b) => (b.kind === 'para' ? b.inline : b.kind === 'list' ? b.items.flat() : [{ kind: 'code', text: b.text }]));
}

/* Markdown ----------------------------------------------------------------------------------- */

export function inlineMarkdown(inline: readonly Inline[], cell = false): string {
  return inline
    .map((n, i) => {
      switch (n.kind) {
        case 'text':
          return escapeMarkdown(n.text, { lineStart: i === 0 && !cell });
        case 'code':
          return mdCode(n.text, { cell });
        case 'strong':
          return `**${escapeMarkdown(n.text)}**`;
        case 'link':
          return `[${escapeMarkdown(n.text)}](<${n.href.replace(/[<>\s|]/g, (c) => encodeURIComponent(c))}>)`;
      }
    })
    .join('');
}

export function proseMarkdown(source: string | undefined): string {
  return parseProse(source)
    .map((b) => {
      if (b.kind === 'para') return inlineMarkdown(b.inline);
      if (b.kind === 'list') return b.items.map((i) => `- ${inlineMarkdown(i)}`).join('\n');
      return mdCodeBlock(b.text, 'text');
    })
    .join('\n\n');
}

/** A single-line Markdown rendering for table cells. */
export function proseMarkdownCell(source: string | undefined): string {
  const out = flatten(parseProse(source)).map((i) => inlineMarkdown(i, true)).join(' ').trim();
  return out === '' ? ' ' : out;
}
