import { existsSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { launchBrowser, screenshot } from '../helpers/browser.ts';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

describe('browser helper', () => {
  it('opens a page in Chromium, renders Japanese text and saves a screenshot', async () => {
    const page = await browser.newPage();
    const html = '<!doctype html><meta charset="utf-8"><title>関所</title><h1>サインイン</h1>';
    await page.goto(`data:text/html;charset=utf-8,${encodeURIComponent(html)}`);
    expect(await page.title()).toBe('関所');
    expect(await page.textContent('h1')).toBe('サインイン');
    const path = await screenshot(page, 'browser-launch-smoke');
    expect(existsSync(path)).toBe(true);
    expect(statSync(path).size).toBeGreaterThan(0);
    await page.close();
  });
});
