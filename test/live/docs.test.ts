/**
 * The generated docs list the live channels (`--with live`): the overview's "Live channels" section in Markdown and
 * on the site, one row per channel of the generated LIVE_CHANNELS with the events it carries and their
 * classification, the restricted events named as never sent, and a nav link; absent without `--with live`; catalog
 * strings of the hostile fixture escaped on the site.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../generator/index.js';
import { fixturePath, ROOT } from '../support/tree.js';

async function docs(fixture: string, services: Array<'live' | 'gateway'>) {
  const result = await generate(path.relative(ROOT, fixturePath(fixture)), { cwd: ROOT, services });
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const file = (p: string): string => {
    const f = result.files.find((x) => x.path === p);
    if (f === undefined) throw new Error(`${p} not generated`);
    return f.content;
  };
  return { result, md: file('docs/README.md'), html: file('docs/site/index.html'), channels: result.files.find((f) => f.path === 'live/channels.ts')?.content };
}

const section = (md: string): string => md.slice(md.indexOf('## Live channels'), md.indexOf('\n## ', md.indexOf('## Live channels') + 3));

describe('docs: live channels', () => {
  it('lists every generated channel with its events and classifications, and the restricted events as never sent', async () => {
    const { md, html, channels } = await docs('live', ['live']);
    expect(channels).toBeDefined();
    const names = [...(channels as string).matchAll(/\{ name: '([^']+)', kind: '(event|topic|pattern)'/g)].map((m) => [m[1], m[2]]);
    expect(names.length).toBeGreaterThan(3);
    const live = section(md);
    const rows = live.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows.map((r) => /^\| `([^`]+)` \| (\w+) \|/.exec(r)?.slice(1))).toEqual(names);
    // Restricted events: no channel row mentions them, the section names them as never sent.
    expect(live).toMatch(/Never sent \(restricted\): \[audit\.recorded\]/);
    expect(rows.some((r) => r.includes('(restricted)'))).toBe(false);
    expect(rows.filter((r) => r.includes('(confidential)')).length).toBeGreaterThan(0);
    // The site: same rows, a nav link, links to event pages.
    expect(html).toContain('<section id="live">');
    expect(html).toContain('href="index.html#live">Live</a>');
    expect((html.match(/<tr><td><code>/g) ?? []).length).toBeGreaterThanOrEqual(names.length);
    for (const [name] of names) expect(html).toContain(`<tr><td><code>${(name as string).replace(/</g, '&lt;')}</code></td>`);
  });

  it('is absent without --with live', async () => {
    const { md, html } = await docs('live', ['gateway']);
    expect(md).not.toContain('## Live channels');
    expect(html).not.toContain('id="live"');
  });

  it('escapes hostile catalog strings on the site', async () => {
    const { html, md } = await docs('hostile', ['live']);
    const live = html.slice(html.indexOf('<section id="live">'), html.indexOf('</section>', html.indexOf('<section id="live">')));
    expect(live.length).toBeGreaterThan(100);
    expect(live).not.toMatch(/<script|<\/script|<img|onerror=/i);
    expect(section(md)).toContain('## Live channels');
  });
});
