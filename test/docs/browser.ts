/**
 * Chromium for the docs browser tests: Debian's /usr/bin/chromium driven by playwright-core, offline
 * (no background networking, fresh profile). `scripts/install-chromium.sh` installs it; with
 * REQUIRE_BROWSER=1 (CI) a missing browser fails the tests instead of skipping them.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const browserAvailable = existsSync(CHROMIUM);
export const browserRequired = process.env.REQUIRE_BROWSER === '1';

export interface Session {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * A persistent context on a fresh, temporary profile (Playwright passes it as --user-data-dir). Every page
 * records CSP violations in `window.__cspViolations`.
 */
export async function launch(): Promise<Session> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'eventgen-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  // A string, not a function: the test project is type-checked without the DOM lib.
  await context.addInitScript(
    "window.__cspViolations = []; document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));",
  );
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What a page did that a clean docs page never does. */
export interface Watch {
  consoleErrors: string[];
  failedRequests: string[];
  /** Requests to anything but file:// (the site must make no network requests). */
  foreignRequests: string[];
  dialogs: string[];
}

export function watch(page: Page, into: Watch): void {
  page.on('console', (m) => {
    if (m.type() === 'error') into.consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => into.consoleErrors.push(`${page.url()}: ${e.message}`));
  page.on('requestfailed', (r) => into.failedRequests.push(`${r.url()} (${r.failure()?.errorText ?? 'failed'})`));
  page.on('request', (r) => {
    if (!r.url().startsWith('file://')) into.foreignRequests.push(r.url());
  });
  page.on('dialog', (d) => {
    into.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
}

export function newWatch(): Watch {
  return { consoleErrors: [], failedRequests: [], foreignRequests: [], dialogs: [] };
}

export const fileUrl = (file: string): string => 'file://' + file.split(path.sep).map(encodeURIComponent).join('/');
