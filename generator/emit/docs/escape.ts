/**
 * Escaping for every context catalog text reaches in the docs: HTML text, HTML attribute, URL, SVG/XML text,
 * Markdown text, Markdown table cell, Markdown code span/block, JSON inside a script file. Pure, total
 * functions; templates call them through the helpers in `templates.ts`, never Handlebars' default escaping.
 */

/**
 * C0/C1 controls (except tab and line feed), lone surrogates, non-characters that XML forbids, and bidi
 * overrides/isolates (which can visually reorder a page) become U+FFFD.
 */
const UNSAFE_CHARS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function scrub(s: string): string {
  return s.replace(UNSAFE_CHARS, '\uFFFD');
}

const HTML_TEXT: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** HTML text content (also safe in a double- or single-quoted attribute). */
export function escapeHtml(s: string): string {
  return scrub(s).replace(/[&<>"'`]/g, (c) => HTML_TEXT[c] as string);
}

/** A double-quoted HTML attribute value: as text, plus line breaks as character references. */
export function escapeAttr(s: string): string {
  return escapeHtml(s).replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

/** SVG (XML 1.0) text or attribute: the five XML entities, forbidden characters replaced. */
export function escapeXml(s: string): string {
  return scrub(s).replace(/[&<>"']/g, (c) => (c === "'" ? '&#39;' : (HTML_TEXT[c] as string)));
}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;
const ALLOWED_SCHEMES = new Set(['http', 'https', 'mailto']);

/**
 * A URL a catalog author wrote (Markdown link), or `null` when it is not allowed: only `http:`, `https:`,
 * `mailto:` and relative references (not protocol-relative `//host`). Browsers ignore tabs/newlines and
 * leading control characters when parsing a scheme, so those are stripped before the check.
 */
export function safeUrl(raw: string): string | null {
  const url = raw.replace(/[\u0000-\u0020\u007F-\u009F]+/g, '');
  if (url === '') return null;
  const scheme = SCHEME.exec(url);
  if (scheme) return ALLOWED_SCHEMES.has((scheme[1] as string).toLowerCase()) ? url : null;
  if (/^[\\/]{2}/.test(url) || url.includes(':') && /^[^/?#]*:/.test(url)) return null;
  return url;
}

/** A path segment of a link we build (file names from the model): percent-encoded. */
export function urlSegment(s: string): string {
  return encodeURIComponent(s);
}

/* ------------------------------------------------------------------------------------------ */
/* Markdown                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/** ASCII punctuation that Markdown (CommonMark + GFM tables, strikethrough, math, HTML, entities) acts on. */
const MD_ACTIVE = /[\\`*_[\]<>#|~$&]/g;

/**
 * Markdown text: Markdown-active ASCII punctuation is backslash-escaped (CommonMark allows escaping any ASCII
 * punctuation) and line breaks become spaces, so text can never start a heading, blockquote, table, HTML
 * block, link, image, math, emphasis or code span. With `lineStart` (text that begins a line), a leading
 * `-`, `+`, `=` or `1.` is escaped too (list items, setext underlines).
 */
export function escapeMarkdown(s: string, options: { lineStart?: boolean } = {}): string {
  const out = scrub(s).replace(/\r\n|\r|\n/g, ' ').replace(MD_ACTIVE, (c) => '\\' + c);
  return options.lineStart === true ? out.replace(/^(\s*)([-+=])/, '$1\\$2').replace(/^(\s*\d+)([.)])/, '$1\\$2') : out;
}

/** A GFM table cell: escaped text; pipes are escaped by `escapeMarkdown` already. */
export function mdCell(s: string): string {
  const out = escapeMarkdown(s).trim();
  return out === '' ? ' ' : out;
}

/**
 * An inline code span: a backtick fence longer than any backtick run inside, padded with spaces when the
 * content touches a backtick. In a table cell, pipes are escaped (GFM splits cells before code spans).
 */
export function mdCode(s: string, options: { cell?: boolean } = {}): string {
  let text = scrub(s).replace(/\r\n|\r|\n/g, ' ');
  if (options.cell === true) text = text.replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || (text.startsWith(' ') && text.endsWith(' ') && text.trim() !== '') ? ' ' : '';
  return `${fence}${pad}${text === '' ? ' ' : text}${pad}${fence}`;
}

/** A fenced code block whose fence cannot be closed by the content. */
export function mdCodeBlock(s: string, lang = ''): string {
  const text = scrub(s);
  const longest = Math.max(0, ...(text.match(/`{3,}/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${text}\n${fence}`;
}

/** A link destination we build (relative path): angle brackets keep spaces and parentheses harmless. */
export function mdHref(path: string): string {
  return `<${path.replace(/[<>\\\n\r]/g, (c) => encodeURIComponent(c))}>`;
}

/* ------------------------------------------------------------------------------------------ */
/* Script data                                                                                  */
/* ------------------------------------------------------------------------------------------ */

/** JSON for a JavaScript file: `<`, `>`, `&`, U+2028/2029 as `\u` escapes (also safe if ever inlined). */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}
