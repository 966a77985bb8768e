/**
 * Handlebars for the docs templates (`templates/docs/*.hbs`), with escaping made explicit per context.
 * HTML templates are compiled with Handlebars' default escaping still on (a forgotten helper is escaped
 * anyway), but every value goes through a context helper: `text` (HTML text), `attr` (attribute), `href`
 * (link to a generated page), `prose`/`proseInline` (catalog Markdown subset). Markdown templates are
 * compiled with `noEscape` (HTML entities would show in code) and use `md`, `cell`, `code`, `codeCell`,
 * `mdProse`, `mdProseCell`, `link`. Triple-stash is only used for `...Html` values built by our own code
 * (`test/docs/templates.test.ts` checks both rules).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { escapeAttr, escapeHtml, escapeMarkdown, mdCell, mdCode, mdCodeBlock, mdHref } from './escape.js';
import { proseHtml, proseInlineHtml, proseMarkdown, proseMarkdownCell } from './prose.js';

type Kind = 'html' | 'md';

export const HTML_HELPERS = ['text', 'attr', 'href', 'prose', 'proseInline', 'plural', 'noun'] as const;
export const MD_HELPERS = ['md', 'cell', 'code', 'codeCell', 'codeBlock', 'mdProse', 'mdProseCell', 'link', 'plural', 'noun'] as const;

/** `templates/docs/` of this package (from `generator/emit/docs/` sources and from `dist/`). */
export function templatesDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'templates', 'docs');
    if (existsSync(path.join(dir, 'package.json')) && existsSync(candidate)) return candidate;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('eventgen: cannot find templates/docs');
    dir = up;
  }
}

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const safe = (s: string): Handlebars.SafeString => new Handlebars.SafeString(s);
/** The page-root prefix (`''`, `'../'`) of the page being rendered. */
const rootOf = (options: Handlebars.HelperOptions): string => str((options.data as { root?: { root?: string } }).root?.root);
/** Helpers receive their `options` hash last. */
const last = (args: unknown[]): Handlebars.HelperOptions => args[args.length - 1] as Handlebars.HelperOptions;

function environment(kind: Kind): typeof Handlebars {
  const hb = Handlebars.create();
  // `{{plural n 'topic'}}` → `1 topic`, `2 topics` (our own words; n is a number).
  hb.registerHelper('plural', (n: unknown, word: unknown) => `${Number(n)} ${str(word)}${Number(n) === 1 ? '' : 's'}`);
  hb.registerHelper('noun', (n: unknown, word: unknown) => `${str(word)}${Number(n) === 1 ? '' : 's'}`);
  if (kind === 'html') {
    hb.registerHelper('text', (v: unknown) => safe(escapeHtml(str(v))));
    hb.registerHelper('attr', (v: unknown) => safe(escapeAttr(str(v))));
    hb.registerHelper('href', (page: unknown, ...rest: unknown[]) => {
      const anchor = rest.length > 1 && typeof rest[0] === 'string' ? `#${encodeURIComponent(rest[0])}` : '';
      return safe(escapeAttr(`${rootOf(last(rest))}${str(page)}.html${anchor}`));
    });
    hb.registerHelper('prose', (v: unknown) => safe(proseHtml(typeof v === 'string' ? v : undefined)));
    hb.registerHelper('proseInline', (v: unknown) => safe(proseInlineHtml(typeof v === 'string' ? v : undefined)));
  } else {
    hb.registerHelper('md', (v: unknown) => escapeMarkdown(str(v)));
    hb.registerHelper('cell', (v: unknown) => mdCell(str(v)));
    hb.registerHelper('code', (v: unknown) => mdCode(str(v)));
    hb.registerHelper('codeCell', (v: unknown) => mdCode(str(v), { cell: true }));
    hb.registerHelper('codeBlock', (v: unknown, lang: unknown) => mdCodeBlock(str(v), typeof lang === 'string' ? lang : ''));
    hb.registerHelper('mdProse', (v: unknown) => proseMarkdown(typeof v === 'string' ? v : undefined));
    hb.registerHelper('mdProseCell', (v: unknown) => proseMarkdownCell(typeof v === 'string' ? v : undefined));
    hb.registerHelper('link', (text: unknown, page: unknown, ...rest: unknown[]) => {
      const cell = rest.length > 1 && rest[0] === 'cell';
      const label = cell ? mdCell(str(text)) : escapeMarkdown(str(text));
      return `[${label}](${mdHref(`${rootOf(last(rest))}${str(page)}.md`)})`;
    });
  }
  return hb;
}

type Render = (context: object) => string;
const cache = new Map<string, Render>();

/** A compiled template `templates/docs/<name>.<kind>.hbs` (partials: `_*.<kind>.hbs`), compiled once. */
export function template(name: string, kind: Kind): Render {
  const key = `${name}.${kind}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const dir = templatesDir();
  const hb = environment(kind);
  for (const partial of ['_layout', '_fields']) {
    const file = path.join(dir, `${partial}.${kind}.hbs`);
    if (existsSync(file)) hb.registerPartial(partial.slice(1), readFileSync(file, 'utf8'));
  }
  const compiled = hb.compile(readFileSync(path.join(dir, `${key}.hbs`), 'utf8'), {
    noEscape: kind === 'md',
    strict: false,
    preventIndent: true,
    knownHelpers: Object.fromEntries((kind === 'html' ? HTML_HELPERS : MD_HELPERS).map((h) => [h, true])),
  });
  const render: Render = (context) => compiled(context, { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false });
  cache.set(key, render);
  return render;
}

/** Static assets (`templates/docs/assets/*`), read once. */
const assets = new Map<string, string>();
export function asset(name: string): string {
  let text = assets.get(name);
  if (text === undefined) {
    text = readFileSync(path.join(templatesDir(), 'assets', name), 'utf8');
    assets.set(name, text);
  }
  return text;
}
