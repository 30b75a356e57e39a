// A real headless Chromium (Debian's package; Playwright never downloads browsers here).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { createRp, type Rp } from './rp.ts';
import { startTestServer, type TestServer, type TestServerOptions } from './server.ts';

const SCREENSHOT_DIR = join('test-artifacts', 'screenshots');

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    // No sandbox as root in a container; the rest keeps Chromium from reaching the network on its own.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Saves a full-page screenshot as test-artifacts/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** A page and the Content Security Policy violations its console reported (a test expects none). */
export interface WatchedPage {
  page: Page;
  violations: string[];
}

/**
 * A page in a fresh context that collects CSP violations. With `rpRedirectUri`, the trip back to the
 * relying party is answered here with a page whose `#rp` marks the arrival, so nothing leaves 127.0.0.1.
 */
export async function openWatchedPage(browser: Browser, options: { rpRedirectUri?: string; context?: BrowserContextOptions } = {}): Promise<WatchedPage> {
  const context = await browser.newContext(options.context);
  if (options.rpRedirectUri) {
    await context.route(`${options.rpRedirectUri}**`, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>RP</title><h1 id="rp">back at the RP</h1>' }),
    );
  }
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  return { page, violations };
}

/** What a browser test file works with, ready once its beforeAll has run. */
export interface BrowserSuite {
  server: TestServer;
  rp: Rp;
  browser: Browser;
  /** A watched page whose trip back to the relying party is answered locally. */
  openPage(context?: BrowserContextOptions): Promise<WatchedPage>;
}

/**
 * Registers the file's beforeAll/afterAll: a test server (options read when it starts, so they may
 * use what an earlier beforeAll made), a relying party on it, and Chromium — all closed afterwards.
 */
export function browserSuite(serverOptions: () => TestServerOptions): BrowserSuite {
  const suite = {
    openPage: (context?: BrowserContextOptions) => openWatchedPage(suite.browser, { rpRedirectUri: suite.rp.redirectUri, context }),
  } as BrowserSuite;
  beforeAll(async () => {
    suite.server = await startTestServer(serverOptions());
    suite.rp = await createRp(suite.server.url, suite.server.services);
    suite.browser = await launchBrowser();
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.server?.close();
  });
  return suite;
}
