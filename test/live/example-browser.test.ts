/**
 * The live example in a real browser (headless Chromium, as for the docs site): the page served by
 * `npm run example:live` connects with the demo token of u1 (then u2), shows live prices that change, and lists only that user's orders;
 * no console error and no Content-Security-Policy violation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, browserRequired, launch, type Session } from '../docs/browser.js';
import { startLiveExample, type ExampleProcess } from './example-process.js';

const run = browserAvailable || browserRequired;
if (!run) console.log('live example browser test skipped: /usr/bin/chromium not found (scripts/install-chromium.sh; REQUIRE_BROWSER=1 makes this a failure)');

describe.runIf(run)('live example in Chromium', () => {
  let session: Session;
  let ex: ExampleProcess;
  beforeAll(async () => {
    if (!browserAvailable) throw new Error('REQUIRE_BROWSER=1 but /usr/bin/chromium is missing: run scripts/install-chromium.sh');
    [session, ex] = await Promise.all([launch(), startLiveExample()]);
  }, 120_000);
  afterAll(async () => {
    await session?.close();
    await ex?.stop();
  });

  it.each(['u1', 'u2'])('shows live prices and only the orders of %s', async (user) => {
    const page = await session.context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(`${ex.base}/?user=${user}`);
    await expect(page.title()).resolves.toBe('eventgen live demo');
    await page.locator('#state', { hasText: 'open' }).waitFor({ timeout: 20_000 });
    // Three symbols, rows created as their first price arrives.
    const poll = { timeout: 20_000, interval: 100 };
    await expect.poll(() => page.locator('#prices tbody tr').count(), poll).toBe(3);
    const first = await page.locator('#prices tbody tr td:nth-child(2)').allTextContents();
    expect(first.every((p) => /^\d+\.\d{2}$/.test(p))).toBe(true);
    // Prices move while the page is open (the example keeps publishing).
    await expect.poll(async () => (await page.locator('#prices tbody tr td:nth-child(2)').allTextContents()).join(), poll).not.toBe(first.join());
    await expect.poll(() => page.locator('#orders li').count(), poll).toBeGreaterThanOrEqual(3);
    const owners = await Promise.all((await page.locator('#orders li').all()).map((li) => li.getAttribute('data-user')));
    expect(owners.length).toBeGreaterThanOrEqual(3);
    expect(new Set(owners)).toEqual(new Set([user]));
    await expect(page.locator('#user').textContent()).resolves.toBe(user);
    expect(await page.evaluate(() => (globalThis as unknown as { __cspViolations: string[] }).__cspViolations)).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });
});
