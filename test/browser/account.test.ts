// The Security info page in a real Chromium, in Japanese and English: sign-in through Sekisho's pages,
// rename, new backup codes, the refusal to remove the last method, sign out everywhere — nothing
// blocked by the CSP, screenshots for review.
import { describe, expect, it } from '@jest/globals';
import { browserSuite, screenshot } from '../helpers/browser.ts';
import { createUser, firstSignIn, steppingClock } from '../helpers/journey.ts';
import { totpCode } from '../helpers/oath.ts';
import en from '../../locales/en/index.ts';
import ja from '../../locales/ja/index.ts';

const PASSWORD = 'browser account password';
const LANGS = [['ja', ja, '研究室の iPhone'], ['en', en, 'Lab phone']] as const;

describe('Security info page in a browser', () => {
  const clock = steppingClock();
  const suite = browserSuite(() => ({ db: 'pglite', now: clock.now }));

  for (const [lang, messages, newName] of LANGS) {
    it(`manages methods on the Security info page (${lang})`, async () => {
      const username = `account-${lang}`;
      await createUser(suite.server.services, username, PASSWORD, { locale: lang });
      const { secret } = await firstSignIn(suite.rp, username, PASSWORD, clock);
      const { page, violations } = await suite.openPage();

      await page.goto(`${suite.server.url}/account?lang=${lang}`);
      await page.waitForURL(/\/interaction\/[^/]+$/);
      await page.fill('#username', username);
      await page.fill('#password', PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForURL(/\/second-factor$/);
      clock.nextStep();
      await page.fill('#code', totpCode(secret, { at: new Date(clock.now()) }));
      await page.click('form button[type=submit]');
      await page.waitForURL(`${suite.server.url}/account`);
      expect(await page.textContent('h1')).toBe(messages.account.heading);
      expect(await page.textContent('#default-marker')).toBe(messages.account.default);
      await screenshot(page, `account-list-${lang}`);

      await page.click('details summary');
      await page.fill('input[name=label]', newName);
      await page.click('details button[type=submit]');
      await page.waitForURL(/\/account\?done=rename$/);
      expect(await page.textContent('.method-name')).toBe(newName);
      expect(await page.textContent('p.notice')).toBe(messages.account.done.rename);

      await page.click('#make-codes');
      await page.waitForURL(/\/account\/backup-codes$/);
      expect(await page.locator('#backup-codes code').allTextContents()).toHaveLength(10);
      await screenshot(page, `account-backup-codes-${lang}`);
      await page.click('form[action="/account/backup-codes/done"] button');
      await page.waitForURL(/\/account\?done=codes$/);
      expect(await page.textContent('#codes-left')).toContain('10');
      await screenshot(page, `account-with-codes-${lang}`);

      await page.locator('li[data-kind=totp] a.button').click();
      await page.waitForURL(/\/remove$/);
      expect(await page.textContent('h1')).toBe(messages.account.remove.heading);
      await screenshot(page, `account-remove-${lang}`);
      await page.click('#confirm-remove');
      expect(await page.textContent('#form-error')).toBe(messages.account.errors.lastMethod);
      await screenshot(page, `account-last-method-${lang}`);

      await page.goto(`${suite.server.url}/account/add/app`);
      expect(await page.textContent('h1')).toBe(messages.enrol.totp.heading);
      expect(await page.isVisible('.qr svg')).toBe(true);
      await screenshot(page, `account-add-app-${lang}`);

      await page.goto(`${suite.server.url}/account`);
      await page.click('#signout-all');
      expect(await page.textContent('#signed-out')).toBe(messages.account.signedOut.message);
      await screenshot(page, `account-signed-out-${lang}`);
      expect(violations).toEqual([]);
      await page.context().close();
    });
  }
});
