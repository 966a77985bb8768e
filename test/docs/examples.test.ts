/**
 * Every example payload the docs show (HTML site and Markdown; from the catalog or synthesised from the
 * schema) is valid for the event's generated Zod schema: the committed `generated/` tree for the bundled
 * catalog, and trees generated into test/output for the fixture catalogs.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { synthesizeExample } from '../../generator/emit/docs/example.js';
import type { GeneratedFile } from '../../generator/index.js';
import { FIXTURE_CATALOGS, fixturePath, generateAt, ROOT, writeTree } from '../support/tree.js';

interface Shown {
  file: string;
  event: string;
  synthesised: boolean;
  payload: unknown;
}

const unescapeHtml = (s: string): string =>
  s.replace(/&(amp|lt|gt|quot|#39|#96);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#96': '`' })[e] as string);

/** The examples of the site's event pages (`<pre class="example-json" data-event=...>`). */
export function siteExamples(files: readonly GeneratedFile[]): Shown[] {
  const out: Shown[] = [];
  for (const f of files.filter((x) => /^docs\/site\/events\/.*\.html$/.test(x.path))) {
    for (const m of f.content.matchAll(/<pre class="example-json" data-event="([^"]*)" data-synthesised="(true|false)"><code>([\s\S]*?)<\/code><\/pre>/g)) {
      out.push({ file: f.path, event: unescapeHtml(m[1] as string), synthesised: m[2] === 'true', payload: JSON.parse(unescapeHtml(m[3] as string)) });
    }
  }
  return out;
}

/** The ```json blocks of the Markdown event pages, attributed by the page's `# Event `type`` heading. */
function markdownExamples(files: readonly GeneratedFile[], typeByFile: ReadonlyMap<string, string>): Shown[] {
  const out: Shown[] = [];
  for (const f of files.filter((x) => /^docs\/events\/.*\.md$/.test(x.path))) {
    const event = typeByFile.get(path.basename(f.path, '.md')) as string;
    for (const m of f.content.matchAll(/^(`{3,})json\n([\s\S]*?)\n\1$/gm)) {
      out.push({ file: f.path, event, synthesised: false, payload: JSON.parse(m[2] as string) });
    }
  }
  return out;
}

type ZodLike = { safeParse(v: unknown): { success: boolean; error?: { message: string } } };

async function check(files: readonly GeneratedFile[], schemasModule: Record<string, unknown>, events: ReadonlyArray<{ type: string; names: { schemaName: string; fileName: string } }>): Promise<number> {
  const byType = new Map(events.map((e) => [e.type, e]));
  const typeByFile = new Map(events.map((e) => [e.names.fileName, e.type]));
  const shown = [...siteExamples(files), ...markdownExamples(files, typeByFile)];
  for (const s of shown) {
    const e = byType.get(s.event);
    expect(e, `${s.file}: unknown event ${s.event}`).toBeDefined();
    const schema = schemasModule[e?.names.schemaName ?? ''] as ZodLike;
    const r = schema.safeParse(s.payload);
    expect(r.success, `${s.file} (${s.synthesised ? 'synthesised' : 'catalog'} example of ${s.event}): ${r.error?.message ?? ''}`).toBe(true);
  }
  return shown.length;
}

describe('docs examples are valid for the generated Zod schemas', () => {
  it('bundled catalog (committed generated/ tree), one example at least per event', async () => {
    const result = await generateAt(path.join(ROOT, 'catalog/shop.asyncapi.yaml'));
    const catalog = result.catalog;
    if (!catalog) throw new Error('no catalog');
    const schemas = (await import('../../generated/schemas/index.js')) as Record<string, unknown>;
    const count = await check(result.files, schemas, catalog.events);
    const site = siteExamples(result.files);
    expect(new Set(site.map((s) => s.event))).toEqual(new Set(catalog.events.map((e) => e.type)));
    expect(count).toBeGreaterThanOrEqual(2 * catalog.events.length);
  });

  it.each([...FIXTURE_CATALOGS, 'docs-xss'])('fixture %s (generated into test/output)', async (name) => {
    const catalogPath = name === 'docs-xss' ? path.join(ROOT, 'test/docs/fixtures/xss.asyncapi.yaml') : fixturePath(name);
    const result = await generateAt(catalogPath);
    const catalog = result.catalog;
    if (!catalog) throw new Error(JSON.stringify(result.diagnostics));
    const dir = writeTree(`docs-examples/${name}`, result.files);
    const schemas = (await import(pathToFileURL(path.join(dir, 'schemas/index.ts')).href)) as Record<string, unknown>;
    const count = await check(result.files, schemas, catalog.events);
    expect(count).toBeGreaterThan(0);
  });

  it('synthesises valid examples for events without any (docs XSS fixture: pattern, multipleOf, format, minItems)', async () => {
    const result = await generateAt(path.join(ROOT, 'test/docs/fixtures/xss.asyncapi.yaml'));
    const synthesised = siteExamples(result.files).filter((s) => s.synthesised);
    expect(synthesised.map((s) => s.event)).toEqual(['bare.happened']);
    expect(synthesised[0]?.payload).toEqual({ code: 'ABC-123', count: 3, when: '2024-05-01T12:00:00Z', tags: ['example'] });
  });

  it('synthesises a valid example for every event and shared schema of the bundled catalog (catalog examples ignored)', async () => {
    const result = await generateAt(path.join(ROOT, 'catalog/shop.asyncapi.yaml'));
    const catalog = result.catalog;
    if (!catalog) throw new Error('no catalog');
    const schemas = (await import('../../generated/schemas/index.js')) as Record<string, ZodLike>;
    const byId = new Map(catalog.schemas.map((x) => [x.id, x]));
    let made = 0;
    for (const [name, schema, zodName] of [
      ...catalog.events.map((e) => [e.type, e.payload, e.names.schemaName] as const),
      ...catalog.schemas.map((x) => [x.originalName, x.schema, x.schemaName] as const),
    ]) {
      const value = synthesizeExample(schema, byId);
      if (value === undefined) continue;
      made++;
      const r = (schemas[zodName] as ZodLike).safeParse(value);
      expect(r.success, `${name}: ${JSON.stringify(value)} ${r.error?.message ?? ''}`).toBe(true);
    }
    expect(made).toBe(catalog.events.length + catalog.schemas.length);
  });
});
