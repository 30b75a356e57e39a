// Hostile and clumsy input on every form of the journey (login, TOTP code, enrolment code, consent):
// a 4xx with a localized message, never a 500, never reflected unescaped, and nothing lost.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent, findForm, text, type Page } from '../helpers/agent.ts';
import { createUser, enrolTotp, finish, firstSignIn, start, steppingClock, submitPassword, type Started } from '../helpers/journey.ts';
import { totpCode } from '../helpers/oath.ts';
import { createRp, type Rp } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

type Lang = 'ja' | 'en';
const LANGS: Lang[] = ['ja', 'en'];

const MESSAGES: Record<string, Record<Lang, string>> = {
  tooLong: { ja: '入力が長すぎます。', en: 'An entry is too long.' },
  empty: { ja: 'すべての項目を入力してください。', en: 'Fill in every field and try again.' },
  badCharacters: { ja: '使用できない文字が含まれています。', en: 'An entry contains characters that cannot be used.' },
  badRequest: { ja: 'リクエストを処理できませんでした。', en: 'The request could not be understood.' },
  unsupportedType: { ja: 'この形式のリクエストには対応していません。', en: 'This kind of request is not supported.' },
  tooLarge: { ja: '送信された内容が大きすぎます。', en: 'What was sent is too large.' },
  csrf: { ja: 'このページの有効期限が切れました。', en: 'This page has expired.' },
  sessionExpired: { ja: 'サインインの有効期限が切れたか', en: 'Your sign-in has expired' },
  loginFailed: { ja: 'サインインできませんでした。', en: 'Sign-in failed.' },
  invalidCode: { ja: 'コードが正しくありません。', en: 'That code did not work.' },
};

/** What people and attackers type; `kind` says which answer every field should give. */
const HOSTILE: { name: string; value: string; kind: 'ordinary' | 'badCharacters' | 'empty' }[] = [
  { name: 'empty', value: '', kind: 'empty' },
  { name: 'spaces only', value: '   ', kind: 'empty' },
  { name: 'Japanese', value: '山田　太郎', kind: 'ordinary' },
  { name: 'emoji', value: '😀👨‍👩‍👧', kind: 'ordinary' },
  { name: 'right-to-left', value: 'مرحبا\u202Eabc\u200F', kind: 'ordinary' },
  { name: 'NUL', value: 'abc\u0000def', kind: 'badCharacters' },
  { name: 'control characters', value: 'abc\u0007\u001B[31m', kind: 'badCharacters' },
  { name: 'SQL quotes', value: "' OR '1'='1' --", kind: 'ordinary' },
  { name: 'SQL statement', value: "x'); DROP TABLE users; --", kind: 'ordinary' },
  { name: 'script tag', value: '<script>alert(1)</script>', kind: 'ordinary' },
  { name: 'attribute break-out', value: '"><img src=x onerror=alert(1)>', kind: 'ordinary' },
  { name: 'template syntax', value: '${7*7}{{7*7}}<%= 7*7 %>', kind: 'ordinary' },
  { name: 'LDAP filter', value: '*)(uid=*))(|(uid=*', kind: 'ordinary' },
];

const PASSWORD = 'correct horse battery';

function expectLocalized(page: Page, status: number, key: keyof typeof MESSAGES, lang: Lang): void {
  expect({ status: page.status, message: page.html.includes(MESSAGES[key]![lang]) }).toEqual({ status, message: true });
  expect(page.html).toContain(`<html lang="${lang}">`);
}

function expectSafe(page: Page, typed: string): void {
  expect(page.status).toBeGreaterThanOrEqual(400);
  expect(page.status).toBeLessThan(500);
  // Typed markup only ever appears escaped (the layout itself has no script or img tags).
  expect(page.html).not.toMatch(/<script|<img/i);
  if (/[<>"]/.test(typed)) expect(page.html).not.toContain(typed);
}

describe('bad input on the sign-in journey', () => {
  const clock = steppingClock(Date.UTC(2026, 10, 22, 9, 0, 5));
  let server: TestServer;
  let rp: Rp;
  let thirdParty: Rp;
  let secret: string;
  let usersBefore: number;

  beforeAll(async () => {
    // A high threshold: this file is about input handling, not lockout (tested on its own).
    server = await startTestServer({ now: clock.now, env: { SEKISHO_LOCKOUT_THRESHOLD: '1000' } });
    rp = await createRp(server.url, server.services);
    thirdParty = await createRp(server.url, server.services, { firstParty: false });
    await createUser(server.services, 'tanaka', PASSWORD);
    secret = (await firstSignIn(rp, 'tanaka', PASSWORD, clock)).secret;
    clock.nextStep();
    usersBefore = await server.services.users.count();
  });
  afterAll(() => server.close());

  function postTo(s: Started | { agent: Agent }, page: Page, actionPart: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
    const form = findForm(page.html, actionPart);
    return s.agent.post(new URL(form.action, page.url).toString(), { ...form.hidden, ...fields }, headers);
  }

  function postRaw(s: Started, page: Page, actionPart: string, body: string, contentType: string) {
    const form = findForm(page.html, actionPart);
    return s.agent.request(new URL(form.action, page.url).toString(), { method: 'POST', headers: { 'content-type': contentType }, body });
  }

  /** Fields sent twice, JSON, and an oversized body: refused before any field is read. */
  async function expectEnvelopeRules(s: Started, page: Page, actionPart: string, fieldName: string, lang: Lang) {
    const form = findForm(page.html, actionPart);
    const twice = new URLSearchParams({ ...form.hidden, [fieldName]: '1' });
    twice.append(fieldName, '2');
    expectLocalized(await postRaw(s, page, actionPart, twice.toString(), 'application/x-www-form-urlencoded'), 400, 'badRequest', lang);
    const csrfTwice = new URLSearchParams({ ...form.hidden, [fieldName]: '1' });
    csrfTwice.append('csrf', form.hidden.csrf!);
    expectLocalized(await postRaw(s, page, actionPart, csrfTwice.toString(), 'application/x-www-form-urlencoded'), 400, 'badRequest', lang);
    const json = JSON.stringify({ ...form.hidden, [fieldName]: ['1', '2'] });
    expectLocalized(await postRaw(s, page, actionPart, json, 'application/json'), 415, 'unsupportedType', lang);
    const huge = new URLSearchParams({ ...form.hidden, [fieldName]: 'x'.repeat(17 * 1024) }).toString();
    expectLocalized(await postRaw(s, page, actionPart, huge, 'application/x-www-form-urlencoded'), 413, 'tooLarge', lang);
  }

  /** Missing or wrong CSRF token and a cross-origin Origin header: 403 with the localized page. */
  async function expectCsrfRules(s: Started, page: Page, actionPart: string, fields: Record<string, string>, lang: Lang) {
    const form = findForm(page.html, actionPart);
    const url = new URL(form.action, page.url).toString();
    const { csrf, ...others } = form.hidden;
    expectLocalized(await s.agent.post(url, { ...others, ...fields }), 403, 'csrf', lang);
    // One character changed, whatever the token is (a fixed suffix would sometimes be the token's own).
    const tampered = `${csrf![0] === 'A' ? 'B' : 'A'}${csrf!.slice(1)}`;
    expectLocalized(await s.agent.post(url, { ...others, ...fields, csrf: tampered }), 403, 'csrf', lang);
    expectLocalized(await s.agent.post(url, { ...others, ...fields, csrf: '' }), 403, 'csrf', lang);
    expectLocalized(await s.agent.post(url, { ...form.hidden, ...fields }, { origin: 'https://evil.example' }), 403, 'csrf', lang);
  }

  describe.each(LANGS)('login form (%s)', (lang) => {
    let s: Started;
    beforeAll(async () => {
      s = await start(rp, { ui_locales: lang });
    });

    it.each(HOSTILE)('username: $name', async ({ value, kind }) => {
      const page = await postTo(s, s.page, '/login', { username: value, password: 'whatever' });
      expectSafe(page, value);
      if (kind === 'ordinary') expectLocalized(page, 401, 'loginFailed', lang);
      else expectLocalized(page, 400, kind, lang);
    });

    it.each(HOSTILE)('password: $name', async ({ value, kind }) => {
      const page = await postTo(s, s.page, '/login', { username: 'tanaka', password: value });
      expectSafe(page, value);
      if (kind === 'ordinary') expectLocalized(page, 401, 'loginFailed', lang);
      else expectLocalized(page, 400, kind, lang);
    });

    it('a typed name comes back escaped in the form', async () => {
      const page = await postTo(s, s.page, '/login', { username: '"><script>alert(1)</script>${7*7}', password: 'x' });
      expect(page.html).toContain('value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;${7*7}"');
    });

    it('too long: username over 256, password over 1024 characters', async () => {
      expectLocalized(await postTo(s, s.page, '/login', { username: 'a'.repeat(257), password: 'x' }), 400, 'tooLong', lang);
      expectLocalized(await postTo(s, s.page, '/login', { username: 'tanaka', password: 'p'.repeat(1025) }), 400, 'tooLong', lang);
      expectLocalized(await postTo(s, s.page, '/login', { username: '山'.repeat(257), password: 'x' }), 400, 'tooLong', lang);
    });

    it('a field missing entirely is an empty field', async () => {
      expectLocalized(await postTo(s, s.page, '/login', { password: 'x' }), 400, 'empty', lang);
    });

    it('a field sent twice → 400, JSON → 415, more than 16 KiB → 413', async () => {
      await expectEnvelopeRules(s, s.page, '/login', 'username', lang);
    });

    it('missing or wrong CSRF token, or another origin → 403', async () => {
      await expectCsrfRules(s, s.page, '/login', { username: 'tanaka', password: PASSWORD }, lang);
    });
  });

  describe.each(LANGS)('authenticator code (%s)', (lang) => {
    let s: Started;
    let page: Page;
    beforeAll(async () => {
      clock.nextStep();
      s = await start(rp, { prompt: 'login', ui_locales: lang });
      page = await submitPassword(s, rp, 'tanaka', PASSWORD);
      expect(page.url).toMatch(/\/second-factor$/);
    });

    it.each(HOSTILE)('code: $name', async ({ value, kind }) => {
      const res = await postTo(s, page, '/verify/', { code: value });
      expectSafe(res, value);
      if (kind === 'ordinary') expectLocalized(res, 400, 'invalidCode', lang);
      else expectLocalized(res, 400, kind, lang);
    });

    it('too long (over 64) and wrong lengths', async () => {
      expectLocalized(await postTo(s, page, '/verify/', { code: '1'.repeat(65) }), 400, 'tooLong', lang);
      expectLocalized(await postTo(s, page, '/verify/', { code: '1'.repeat(64) }), 400, 'invalidCode', lang);
      expectLocalized(await postTo(s, page, '/verify/', { code: '12345' }), 400, 'invalidCode', lang);
    });

    it('a field sent twice → 400, JSON → 415, more than 16 KiB → 413', async () => {
      await expectEnvelopeRules(s, page, '/verify/', 'code', lang);
    });

    it('missing or wrong CSRF token, or another origin → 403', async () => {
      await expectCsrfRules(s, page, '/verify/', { code: totpCode(secret, { at: new Date(clock.now()) }) }, lang);
    });

    it('after all that, the right code still signs in', async () => {
      const done = await postTo(s, page, '/verify/', { code: totpCode(secret, { at: new Date(clock.now()) }) });
      expect(done.status).toBe(303);
      const tokens = await finish(s, rp, done);
      expect(tokens.claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
    });
  });

  describe.each(LANGS)('enrolment code (%s)', (lang) => {
    let s: Started;
    let setup: Page;
    let key: string;
    beforeAll(async () => {
      await createUser(server.services, `newbie-${lang}`, PASSWORD);
      s = await start(rp, { ui_locales: lang });
      const enrol = await submitPassword(s, rp, `newbie-${lang}`, PASSWORD);
      expect(enrol.url).toMatch(/\/enrol$/);
      setup = await s.agent.get(`${enrol.url}/app`);
      key = text(setup.html, 'manual-key')!;
    });

    it.each(HOSTILE)('code: $name — the same key is shown again', async ({ value, kind }) => {
      const res = await postTo(s, setup, '/enrol/app', { code: value });
      expectSafe(res, value);
      if (kind === 'ordinary') {
        expectLocalized(res, 400, 'invalidCode', lang);
        expect(text(res.html, 'manual-key')).toBe(key);
      } else {
        expectLocalized(res, 400, kind, lang);
      }
    });

    it('too long (over 64)', async () => {
      expectLocalized(await postTo(s, setup, '/enrol/app', { code: '1'.repeat(65) }), 400, 'tooLong', lang);
    });

    it('a field sent twice → 400, JSON → 415, more than 16 KiB → 413', async () => {
      await expectEnvelopeRules(s, setup, '/enrol/app', 'code', lang);
    });

    it('missing or wrong CSRF token, or another origin → 403', async () => {
      await expectCsrfRules(s, setup, '/enrol/app', { code: '123456' }, lang);
    });

    it('the method is still pending, and the key shown from the start finishes enrolment', async () => {
      const user = await server.services.users.findByUsername(`newbie-${lang}`);
      const methods = await server.services.methods.listForUser(user!.id);
      expect(methods.map((m) => m.status)).toEqual(['pending']);
      const page = await s.agent.get(setup.url);
      expect(text(page.html, 'manual-key')).toBe(key);
      const { page: done } = await enrolTotp(s.agent, { ...setup, url: setup.url.replace(/\/app$/, '') }, rp, clock);
      const tokens = await finish(s, rp, done);
      expect(tokens.claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
    });
  });

  describe.each(LANGS)('consent decision (%s)', (lang) => {
    let s: Started;
    let consent: Page;
    beforeAll(async () => {
      clock.nextStep();
      s = await start(thirdParty, { ui_locales: lang });
      const second = await submitPassword(s, thirdParty, 'tanaka', PASSWORD);
      consent = await postTo(s, second, '/verify/', { code: totpCode(secret, { at: new Date(clock.now()) }) }).then((p) => s.agent.follow(p, thirdParty.redirectUri));
      expect(consent.html).toContain('name="decision"');
    });

    it.each([...HOSTILE, { name: 'unknown word', value: 'maybe', kind: 'ordinary' as const }, { name: 'ALLOW in capitals', value: 'ALLOW', kind: 'ordinary' as const }])(
      'decision: $name',
      async ({ value, kind }) => {
        const res = await postTo(s, consent, '/consent', { decision: value });
        expectSafe(res, value);
        expectLocalized(res, 400, kind === 'ordinary' ? 'badRequest' : kind, lang);
      },
    );

    it('too long', async () => {
      expectLocalized(await postTo(s, consent, '/consent', { decision: 'allow'.repeat(20) }), 400, 'tooLong', lang);
    });

    it('a field sent twice → 400, JSON → 415, more than 16 KiB → 413', async () => {
      await expectEnvelopeRules(s, consent, '/consent', 'decision', lang);
    });

    it('missing or wrong CSRF token, or another origin → 403', async () => {
      await expectCsrfRules(s, consent, '/consent', { decision: 'allow' }, lang);
    });

    it('after all that, deny still returns access_denied to the application', async () => {
      const res = await postTo(s, consent, '/consent', { decision: 'deny' });
      const landing = await s.agent.follow(res, thirdParty.redirectUri);
      const callback = new URL(landing.location!);
      expect(callback.origin + callback.pathname).toBe(thirdParty.redirectUri);
      expect(callback.searchParams.get('error')).toBe('access_denied');
    });
  });

  describe.each(LANGS)('unknown and expired interactions (%s)', (lang) => {
    const agent = () => new Agent({ 'accept-language': lang === 'en' ? 'en-GB,en;q=0.9' : 'ja,en;q=0.5' });

    it('an unknown interaction uid without cookies → 400 session expired', async () => {
      const a = agent();
      for (const path of ['/interaction/nope', '/interaction/nope/second-factor', '/interaction/nope/enrol/app']) {
        expectLocalized(await a.get(`${server.url}${path}`), 400, 'sessionExpired', lang);
      }
      expectLocalized(await a.post(`${server.url}/interaction/nope/login`, { username: 'tanaka', password: PASSWORD }), 400, 'sessionExpired', lang);
    });

    it('another interaction’s uid with this interaction’s cookie → 400 session expired', async () => {
      const s = await start(rp, {}, agent());
      const other = await start(rp, {}, agent());
      const otherUid = /\/interaction\/([^/?#]+)/.exec(other.page.url)![1]!;
      expectLocalized(await s.agent.get(`${server.url}/interaction/${otherUid}`), 400, 'sessionExpired', lang);
      expectLocalized(await s.agent.post(`${server.url}/interaction/${otherUid}/login`, { username: 'tanaka', password: PASSWORD }), 400, 'sessionExpired', lang);
    });

    it('an expired interaction → 400 session expired, also on submit', async () => {
      const s = await start(rp, {}, agent());
      const uid = /\/interaction\/([^/?#]+)/.exec(s.page.url)![1]!;
      await server.services.db.query(`UPDATE oidc_models SET expires_at = now() - interval '1 minute' WHERE model = 'Interaction' AND id = $1`, [uid]);
      expectLocalized(await s.agent.get(s.page.url), 400, 'sessionExpired', lang);
      expectLocalized(await postTo(s, s.page, '/login', { username: 'tanaka', password: PASSWORD }), 400, 'sessionExpired', lang);
    });
  });

  it('nothing was lost: the same users exist, names are stored as typed, and tanaka still signs in', async () => {
    expect(await server.services.users.count()).toBe(usersBefore + 2);
    const logged = await server.services.audit.query({ username: "x'); DROP TABLE users; --" });
    expect(logged.length).toBeGreaterThan(0);
    expect(logged[0]!.username).toBe("x'); DROP TABLE users; --");
    clock.nextStep();
    const s = await start(rp, { prompt: 'login' });
    const page = await submitPassword(s, rp, 'tanaka', PASSWORD);
    const done = await postTo(s, page, '/verify/', { code: totpCode(secret, { at: new Date(clock.now()) }) });
    const tokens = await finish(s, rp, done);
    expect(tokens.claims()!.sub).toBe((await server.services.users.findByUsername('tanaka'))!.id);
  });
});
