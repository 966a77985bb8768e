/**
 * The docs site in a real browser (Debian's Chromium via playwright-core), opened from file://: navigation,
 * search, the flow diagram, zero console errors and zero failed or network requests; screenshots for review
 * under test/output/docs-browser/; and the XSS checks on hostile catalogs (no script runs, no dialog opens).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, browserRequired, fileUrl, launch, newWatch, watch, type Session, type Watch } from './browser.js';
import { fixturePath, generateAt, OUTPUT, ROOT, writeTree } from '../support/tree.js';

const SHOTS = path.join(OUTPUT, 'docs-browser');

async function writeSite(name: string, catalog: string): Promise<string> {
  const result = await generateAt(catalog);
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const dir = writeTree(`docs-browser/${name}`, result.files.filter((f) => f.path.startsWith('docs/')));
  return path.join(dir, 'docs/site');
}

function htmlPages(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? htmlPages(path.join(dir, e.name), base) : e.name.endsWith('.html') ? [path.join(dir, e.name)] : [],
  );
}

function expectClean(w: Watch): void {
  expect(w.consoleErrors, 'console errors').toEqual([]);
  expect(w.failedRequests, 'failed requests').toEqual([]);
  expect(w.foreignRequests, 'network requests').toEqual([]);
  expect(w.dialogs, 'dialogs').toEqual([]);
}

const run = browserAvailable || browserRequired;
if (!run) console.log('docs browser tests skipped: /usr/bin/chromium not found (run scripts/install-chromium.sh; REQUIRE_BROWSER=1 makes this a failure)');

describe.runIf(run)('docs site in Chromium', () => {
  let session: Session;
  let shop: string;

  beforeAll(async () => {
    if (!browserAvailable) throw new Error('REQUIRE_BROWSER=1 but /usr/bin/chromium is missing: run scripts/install-chromium.sh');
    session = await launch();
    shop = await writeSite('shop', path.join(ROOT, 'catalog/shop.asyncapi.yaml'));
  });
  afterAll(async () => {
    await session?.close();
  });

  it('opens from file://, follows a topic and an event, shows the diagram; no errors, no requests', async () => {
    const w = newWatch();
    const page = await session.context.newPage();
    watch(page, w);
    await page.goto(fileUrl(path.join(shop, 'index.html')));
    await expect(page.title()).resolves.toBe('Overview · Shop Platform Events');
    // The diagram is inline SVG rendered at generation time: present before and without any script.
    const nodes = page.locator('#flow-diagram svg .flow-node');
    expect(await nodes.count()).toBeGreaterThan(10);
    expect(await page.locator('#flow-diagram svg .flow-edge').count()).toBeGreaterThan(10);
    expect(await page.locator('#flow-diagram svg .flow-topic').count()).toBe(7);
    await page.screenshot({ path: path.join(SHOTS, 'index.png'), fullPage: true });

    await page.locator('#topics table a', { hasText: 'shop.orders.v1' }).first().click();
    await page.waitForURL(/topics\/shop-orders-v1\.html$/);
    await expect(page.locator('h1').textContent()).resolves.toContain('shop.orders.v1');
    expect(await page.locator('#consumers table tbody tr').count()).toBeGreaterThan(2);

    await page.locator('#events table a', { hasText: 'order.created' }).first().click();
    await page.waitForURL(/events\/order-created\.html$/);
    await expect(page.locator('h1').textContent()).resolves.toContain('order.created');
    expect(await page.locator('#payload table.fields tbody tr').count()).toBeGreaterThan(20);
    expect(await page.locator('#examples pre.example-json').count()).toBeGreaterThan(0);
    expect(await page.locator('#consumers li').count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(SHOTS, 'event.png'), fullPage: true });

    // A shared schema link from the field table, and back to the overview from the breadcrumb.
    await page.locator('#payload a', { hasText: 'Money' }).first().click();
    await page.waitForURL(/schemas\/money\.html$/);
    await page.locator('.crumbs a', { hasText: 'Overview' }).click();
    await page.waitForURL(/index\.html$/);
    expect(await page.evaluate('window.__cspViolations')).toEqual([]);
    expectClean(w);
    await page.close();
  });

  it('searches events, topics, groups and field names, and navigates to a result', async () => {
    const w = newWatch();
    const page = await session.context.newPage();
    watch(page, w);
    await page.goto(fileUrl(path.join(shop, 'events/order-shipped.html')));
    const input = page.locator('#search-input');
    await expect(input.isVisible()).resolves.toBe(true);

    await input.fill('payment-service');
    await expect(page.locator('#search-results a').first().textContent()).resolves.toContain('payment-service');

    await input.fill('trackingNumber');
    const results = page.locator('#search-results a');
    await expect(results.first().textContent()).resolves.toContain('field');
    await input.fill('shop.inventory');
    expect(await results.count()).toBeGreaterThan(0);
    await input.fill('refund');
    await expect(results.first().textContent()).resolves.toContain('payment.refunded');
    await page.screenshot({ path: path.join(SHOTS, 'search.png') });
    await input.press('Enter');
    await page.waitForURL(/events\/payment-refunded\.html$/);

    await page.locator('#search-input').fill('zzzz-nothing');
    await expect(page.locator('#search-results').textContent()).resolves.toContain('No match');
    expectClean(w);
    await page.close();
  });

  it('is readable on a phone and in dark mode (screenshots for review)', async () => {
    const w = newWatch();
    const page = await session.context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.emulateMedia({ colorScheme: 'dark' });
    watch(page, w);
    await page.goto(fileUrl(path.join(shop, 'index.html')));
    // Nothing but wide tables and the diagram (which scroll in their own boxes) may widen the page.
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    expect(overflow).toBeLessThanOrEqual(1);
    await page.screenshot({ path: path.join(SHOTS, 'index-phone-dark.png') });
    await page.goto(fileUrl(path.join(shop, 'events/payment-authorized.html')));
    expect((await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number).toBeLessThanOrEqual(1);
    await page.screenshot({ path: path.join(SHOTS, 'event-phone-dark.png'), fullPage: true });
    expectClean(w);
    await page.close();
  });

  it.each([
    ['the docs XSS fixture', path.join(ROOT, 'test/docs/fixtures/xss.asyncapi.yaml'), 'xss'],
    ['the hostile fixture', fixturePath('hostile'), 'hostile'],
  ])('runs no injected script on any page of %s', async (_label, catalog, name) => {
    const site = await writeSite(name, catalog);
    const w = newWatch();
    const page = await session.context.newPage();
    watch(page, w);
    const pages = htmlPages(site);
    expect(pages.length).toBeGreaterThan(3);
    for (const file of pages) {
      await page.goto(fileUrl(file));
      // Use the search with hostile text (results are built with textContent, never parsed as HTML).
      await page.locator('#search-input').fill('<script>');
      await page.locator('#search-input').fill('script');
      const state = (await page.evaluate(`({
        xss: window.__xss,
        csp: window.__cspViolations,
        scripts: [...document.scripts].map((s) => s.getAttribute('src') ?? 'inline'),
        handlers: [...document.querySelectorAll('*')].flatMap((el) => [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => el.tagName + ' ' + a.name)),
        badLinks: [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href') ?? '').filter((h) => /^\\s*(javascript|data|vbscript):|^\\s*\\/\\//i.test(h)),
        iframes: document.querySelectorAll('iframe, object, embed, img, style, link:not([rel=stylesheet])').length,
      })`)) as { xss: unknown; csp: string[]; scripts: string[]; handlers: string[]; badLinks: string[]; iframes: number };
      const where = path.relative(site, file);
      expect(state.xss, where).toBeUndefined();
      expect(state.csp, where).toEqual([]);
      expect(state.scripts.every((s) => /assets\/(site|search-index)\.js$/.test(s)), `${where}: ${state.scripts.join(', ')}`).toBe(true);
      expect(state.handlers, where).toEqual([]);
      expect(state.badLinks, where).toEqual([]);
      expect(state.iframes, where).toBe(0);
    }
    expectClean(w);
    await page.close();
  });

  it('the XSS checks catch an injection (negative control: a page with escaping and CSP removed)', async () => {
    const site = await writeSite('control', path.join(ROOT, 'test/docs/fixtures/xss.asyncapi.yaml'));
    const file = path.join(site, 'events/evil-happened.html');
    const broken = readFileSync(file, 'utf8')
      .replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '')
      .replace('</main>', `<script>window.__xss='control'</script><button id="b" onclick="alert('x')">b</button></main>`);
    writeFileSync(path.join(site, 'events/broken.html'), broken);
    const w = newWatch();
    const page = await session.context.newPage();
    watch(page, w);
    await page.goto(fileUrl(path.join(site, 'events/broken.html')));
    await page.click('#b');
    expect(await page.evaluate('window.__xss')).toBe('control');
    expect(w.dialogs).toEqual(['alert: x']);
    await page.close();
  });
});
