// The phone methods in a real Chromium, in Japanese and English: the default method, the picker of
// other ways with masked numbers, an SMS code, a call approved with # that the waiting page notices
// by itself (meta refresh, no script), and the phone enrolment form — nothing blocked by the CSP,
// screenshots for review.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import en from '../../locales/en/index.ts';
import ja from '../../locales/ja/index.ts';
import { browserSuite, screenshot } from '../helpers/browser.ts';
import { startFakeTwilio, type FakeTwilio } from '../helpers/fake-twilio.ts';
import { createUser, steppingClock } from '../helpers/journey.ts';

const PASSWORD = 'browser phone password';
const LANGS = [['ja', ja, '1111'], ['en', en, '2222']] as const;

describe('phone methods in a browser', () => {
  const clock = steppingClock();
  let fake: FakeTwilio;

  beforeAll(async () => {
    fake = await startFakeTwilio();
  });
  const suite = browserSuite(() => ({
    db: 'pglite',
    now: clock.now,
    env: {
      TWILIO_ACCOUNT_SID: fake.accountSid,
      TWILIO_AUTH_TOKEN: fake.authToken,
      TWILIO_FROM: fake.from,
      TWILIO_API_BASE: fake.url,
      SEKISHO_PHONE_SENDER: 'twilio',
    },
  }));
  // Declared after the suite's, so the fake outlives the suite.server.
  afterAll(async () => {
    await fake?.close();
  });

  const openPage = () => suite.openPage();

  async function signIn(page: Page, username: string, lang: string): Promise<void> {
    const request = await suite.rp.authorize({ prompt: 'login', ui_locales: lang });
    await page.goto(request.url);
    await page.waitForURL(/\/interaction\/[^/]+$/);
    await page.fill('#username', username);
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/second-factor$/);
  }

  for (const [lang, messages, last4] of LANGS) {
    it(`signs in by SMS and by a call approved with # from the picker (${lang})`, async () => {
      const username = `phone-${lang}`;
      const user = await createUser(suite.server.services, username, PASSWORD, { locale: lang });
      const smsPhone = `+8190555${last4}${last4}`.slice(0, 13);
      const voicePhone = `+8180666${last4}${last4}`.slice(0, 13);
      for (const [kind, phone] of [['voice', voicePhone], ['sms', smsPhone]] as const) {
        const method = await suite.server.services.methods.create({ userId: user.id, kind, phone, phoneKind: 'mobile' });
        await suite.server.services.methods.activate(method.id);
      }
      const { page, violations } = await openPage();

      await signIn(page, username, lang);
      expect(await page.textContent('h1')).toBe(messages.phone.start.voiceTitle);
      await screenshot(page, `phone-default-voice-${lang}`);
      await page.click('#other-way');
      await page.waitForURL(/\/methods$/);
      const choices = await page.locator('ul.methods a').allTextContents();
      expect(choices[0]).toBe(`${messages.phone.picker.voice} · +81 •• •••• ${voicePhone.slice(-4)}`);
      expect(choices[1]).toBe(`${messages.phone.picker.sms} · +81 •• •••• ${smsPhone.slice(-4)}`);
      await screenshot(page, `phone-picker-${lang}`);

      await page.locator('ul.methods a').nth(1).click();
      expect(await page.textContent('h1')).toBe(messages.phone.start.smsTitle);
      await page.click('#phone-send');
      await page.waitForSelector('#code');
      await screenshot(page, `phone-sms-code-${lang}`);
      await page.fill('#code', fake.lastCode(smsPhone)!);
      await page.click('form button[type=submit]');
      await page.waitForSelector('#rp');

      await signIn(page, username, lang);
      await page.click('#phone-send');
      await page.waitForURL(/\/status$/);
      expect(await page.textContent('h1')).toBe(messages.phone.call.title);
      await screenshot(page, `phone-call-waiting-${lang}`);
      const call = fake.calls.at(-1)!;
      expect(call.to).toBe(voicePhone);
      expect((await fake.answerCall(call.sid, '#')).status).toBe(200);
      // No click: the waiting page's meta refresh carries the sign-in on.
      await page.waitForSelector('#rp', { timeout: 20_000 });
      expect(violations).toEqual([]);
      await page.context().close();
    });

    it(`shows the phone enrolment form and its errors (${lang})`, async () => {
      const username = `enrol-${lang}`;
      await createUser(suite.server.services, username, PASSWORD, { locale: lang });
      const { page, violations } = await openPage();
      const request = await suite.rp.authorize({ prompt: 'login', ui_locales: lang });
      await page.goto(request.url);
      await page.fill('#username', username);
      await page.fill('#password', PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForURL(/\/enrol$/);
      await screenshot(page, `phone-enrol-choice-${lang}`);
      await page.click(`a[href$="/enrol/phone"]`);
      await page.waitForURL(/\/enrol\/phone$/);
      await page.fill('#phone-number', '03-1234-5678');
      await page.check('input[name=via][value=sms]');
      await page.click('form button[type=submit]');
      expect(await page.textContent('#form-error')).toBe(messages.phone.errors.notMobile);
      await screenshot(page, `phone-enrol-landline-${lang}`);
      await page.check('input[name=via][value=voice]');
      await page.click('form button[type=submit]');
      await page.waitForURL(/\/enrol\/phone\/verify$/);
      await screenshot(page, `phone-enrol-calling-${lang}`);
      expect(violations).toEqual([]);
      await page.context().close();
    });
  }
});
