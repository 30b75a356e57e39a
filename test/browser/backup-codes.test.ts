// The offer after enrolment and the backup-code pages in a real Chromium, in Japanese and English:
// nothing blocked by the CSP, the download arrives as a file, screenshots for review.
import { describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { countBackupCodes, generateBackupCodes, verifyBackupCode } from '../../methods/backup-codes/index.ts';
import { browserSuite, screenshot } from '../helpers/browser.ts';
import { createUser, steppingClock } from '../helpers/journey.ts';
import { totpCode } from '../helpers/oath.ts';
import en from '../../locales/en/index.ts';
import ja from '../../locales/ja/index.ts';

const PASSWORD = 'browser backup password';
const LANGS = [['ja', ja], ['en', en]] as const;

describe('backup codes in a browser', () => {
  const clock = steppingClock();
  const suite = browserSuite(() => ({ db: 'pglite', now: clock.now }));
  const openPage = () => suite.openPage({ acceptDownloads: true });

  async function signIn(page: Page, username: string, lang: string): Promise<void> {
    await page.goto((await suite.rp.authorize({ ui_locales: lang, prompt: 'login' })).url);
    await page.fill('#username', username);
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
  }

  for (const [lang, messages] of LANGS) {
    it(`offers a second method and shows the codes once (${lang})`, async () => {
      const username = `browser-${lang}`;
      const user = await createUser(suite.server.services, username, PASSWORD, { locale: lang });
      const { page, violations } = await openPage();
      await signIn(page, username, lang);
      await page.goto(page.url().replace(/\/enrol$/, '/enrol/app'));
      const key = (await page.textContent('#manual-key'))!.replace(/\s/g, '');
      await page.fill('#code', totpCode(key, { at: new Date(clock.now()) }));
      await page.click('form button[type=submit]');

      await page.waitForURL(/\/after-enrol$/);
      expect(await page.textContent('h1')).toBe(messages.backup.offer.heading);
      expect(await page.isVisible('#offer-codes')).toBe(true);
      expect(await page.getAttribute('#offer-phone', 'href')).toMatch(/\/enrol\/phone$/);
      await screenshot(page, `backup-offer-${lang}`);

      await page.click('#offer-codes');
      await page.waitForURL(/\/backup-codes$/);
      const codes = await page.locator('#backup-codes code').allTextContents();
      expect(codes).toHaveLength(10);
      for (const c of codes) expect(c).toMatch(/^\d{8}$/);
      expect(await page.textContent('h1')).toBe(messages.backup.codes.heading);
      await screenshot(page, `backup-codes-${lang}`);

      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#backup-download')]);
      expect(download.suggestedFilename()).toBe('sekisho-backup-codes.txt');
      const file = await download.createReadStream();
      let text = '';
      for await (const chunk of file) text += chunk;
      for (const c of codes) expect(text).toContain(c);

      await page.click('#backup-print');
      await page.waitForURL(/\/backup-codes\/print$/);
      expect(await page.locator('#backup-codes code').allTextContents()).toEqual(codes);
      await page.emulateMedia({ media: 'print' });
      expect(await page.isVisible('header.top')).toBe(false);
      await screenshot(page, `backup-print-${lang}`);
      await page.emulateMedia({ media: 'screen' });
      await page.goBack();

      await page.click('form[action$="/backup-codes/done"] button');
      await page.waitForURL(/\/after-enrol$/);
      expect(await page.isVisible('#offer-codes')).toBe(false);
      await page.click('#offer-skip');
      await page.waitForURL(`${suite.rp.redirectUri}**`);
      expect(await countBackupCodes(suite.server.services.db, user.id)).toBe(10);
      expect(violations).toEqual([]);
      await page.context().close();
    });

    it(`signs in with a backup code and warns when few are left (${lang})`, async () => {
      clock.nextStep();
      const user = (await suite.server.services.users.findByUsername(`browser-${lang}`))!;
      const { codes } = await generateBackupCodes(suite.server.services.db, user.id, 'digits');
      for (const c of codes.slice(0, 6)) await verifyBackupCode(suite.server.services.db, user.id, c, new Date());
      const { page, violations } = await openPage();
      await signIn(page, user.username, lang);
      await page.waitForURL(/\/second-factor$/);
      await page.click(`a[href$="/methods"]`);
      await page.click(`text=${messages.backup.picker}`);
      expect(await page.textContent('h1')).toBe(messages.backup.verify.heading);
      await page.fill('#code', 'abc');
      await page.click('form button[type=submit]');
      expect(await page.textContent('#form-error')).toBe(messages.backup.verify.format);
      await screenshot(page, `backup-verify-${lang}`);

      await page.fill('#code', `${codes[6]!.slice(0, 4)}-${codes[6]!.slice(4)}`);
      await page.click('form button[type=submit]');
      expect(await page.getAttribute('#backup-left', 'data-left')).toBe('3');
      expect(await page.textContent('h1')).toBe(messages.backup.low.heading);
      await screenshot(page, `backup-low-${lang}`);
      await page.click('form button[type=submit]');
      await page.waitForURL(`${suite.rp.redirectUri}**`);
      expect(violations).toEqual([]);
      await page.context().close();
    });
  }
});
