// Rules of the journey a user can feel: enrolment cannot be skipped, consent only for third parties,
// the page language, cookie flags (Secure behind TLS) and security headers on every page.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent, findForm, text, type Page } from '../helpers/agent.ts';
import { createUser, enrolTotp, finish, firstSignIn, start, steppingClock, submitPassword, submitTotp } from '../helpers/journey.ts';
import { totpCode } from '../helpers/oath.ts';
import { createRp, registerClient, type Rp } from '../helpers/rp.ts';
import { POSTGRES_URL } from '../helpers/database.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const PASSWORD = 'correct horse battery';

/** An agent that keeps every Set-Cookie line it was sent, to check the flags of each. */
class RecordingAgent extends Agent {
  readonly setCookies: string[] = [];
  override async request(url: string, init: RequestInit = {}): Promise<Page> {
    const page = await super.request(url, init);
    this.setCookies.push(...page.headers.getSetCookie());
    return page;
  }
}

const lastCallback = (page: Page) => new URL(page.location!);

describe('journey rules', () => {
  const clock = steppingClock(Date.UTC(2026, 10, 22, 9, 0, 5));
  let server: TestServer;
  let rp: Rp;

  beforeAll(async () => {
    server = await startTestServer({ now: clock.now });
    rp = await createRp(server.url, server.services);
  });
  afterAll(() => server.close());

  describe('enrolment when MFA is required and the user has no method', () => {
    it('cannot be skipped by abandoning it and starting again; no tokens without a second factor', async () => {
      await createUser(server.services, 'quitter', PASSWORD);
      const user = (await server.services.users.findByUsername('quitter'))!;
      const first = await start(rp);
      const enrol = await submitPassword(first, rp, 'quitter', PASSWORD);
      expect(enrol.url).toMatch(/\/enrol$/);
      const setup = await first.agent.get(`${enrol.url}/app`);
      expect(text(setup.html, 'manual-key')).toMatch(/^[A-Z2-7 ]+$/);

      // "Skip" buttons of the journey only continue it: without a factor that is enrolment again.
      const skipped = await first.agent.post(`${server.url}/interaction/${/interaction\/([^/]+)/.exec(enrol.url)![1]}/continue`, findForm(setup.html, '/enrol/app').hidden);
      expect(skipped.location).toMatch(/\/enrol$/);

      // Abandoned: a new authorization request in the same browser asks for the password again and
      // leads to enrolment again, never to the application.
      const again = await start(rp, {}, first.agent);
      expect(again.page.html).toContain('name="password"');
      const enrolAgain = await submitPassword(again, rp, 'quitter', PASSWORD);
      expect(enrolAgain.url).toMatch(/\/enrol$/);
      expect(enrolAgain.location).toBeUndefined();

      // Silent sign-in has no session to use.
      const silent = await rp.authorize({ prompt: 'none' });
      const landing = await first.agent.follow(await first.agent.get(silent.url), rp.redirectUri);
      expect(lastCallback(landing).searchParams.get('error')).toBe('login_required');
      expect(lastCallback(landing).searchParams.get('code')).toBeNull();

      expect((await server.services.methods.listForUser(user.id)).every((m) => m.status === 'pending')).toBe(true);
      expect(await server.services.audit.query({ userId: user.id, type: 'signin.success' })).toEqual([]);
    });

    it('a wrong code keeps the method pending and shows the same key; the right code activates it', async () => {
      await createUser(server.services, 'careful', PASSWORD);
      const user = (await server.services.users.findByUsername('careful'))!;
      const s = await start(rp, { ui_locales: 'en' });
      const enrol = await submitPassword(s, rp, 'careful', PASSWORD);
      const setup = await s.agent.get(`${enrol.url}/app`);
      const key = text(setup.html, 'manual-key')!;
      const secret = key.replace(/\s/g, '');
      const wrongCode = totpCode(secret, { at: new Date(clock.now() + 3600_000) });
      const wrong = await s.agent.submit(setup, '/enrol/app', { code: wrongCode }, rp.redirectUri);
      expect(wrong.status).toBe(400);
      expect(wrong.html).toContain('That code did not work.');
      expect(text(wrong.html, 'manual-key')).toBe(key);
      expect((await server.services.methods.listForUser(user.id)).map((m) => m.status)).toEqual(['pending']);
      // A reload shows the same key too.
      expect(text((await s.agent.get(setup.url)).html, 'manual-key')).toBe(key);

      const done = await s.agent.submit(wrong, '/enrol/app', { code: totpCode(secret, { at: new Date(clock.now()) }) }, rp.redirectUri);
      const methods = await server.services.methods.listForUser(user.id);
      expect(methods.map((m) => [m.kind, m.status, m.isDefault])).toEqual([['totp', 'active', true]]);
      const tokens = await finish(s, rp, done);
      expect(tokens.claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
    });

    it('a code that is right for another time says the phone clock is off and keeps the method pending', async () => {
      await createUser(server.services, 'skewed', PASSWORD);
      const s = await start(rp, { ui_locales: 'ja' });
      const setup = await s.agent.get(`${(await submitPassword(s, rp, 'skewed', PASSWORD)).url}/app`);
      const secret = text(setup.html, 'manual-key')!.replace(/\s/g, '');
      const page = await s.agent.submit(setup, '/enrol/app', { code: totpCode(secret, { at: new Date(clock.now() + 3 * 30_000) }) }, rp.redirectUri);
      expect(page.status).toBe(400);
      expect(page.html).toContain('スマートフォンの時計がずれているようです');
    });
  });

  describe('consent', () => {
    it('is skipped for a first-party client', async () => {
      await createUser(server.services, 'insider', PASSWORD);
      const { tokens } = await firstSignIn(rp, 'insider', PASSWORD, clock);
      expect(tokens.claims()!.sub).toBeTruthy();
      clock.nextStep();
    });

    describe('for a third-party client', () => {
      let thirdParty: Rp;
      let secret: string;
      beforeAll(async () => {
        thirdParty = await createRp(server.url, server.services, { firstParty: false });
        await createUser(server.services, 'visitor', PASSWORD);
        secret = (await firstSignIn(rp, 'visitor', PASSWORD, clock)).secret;
      });

      async function toConsent(lang: 'ja' | 'en') {
        clock.nextStep();
        const s = await start(thirdParty, { prompt: 'login', ui_locales: lang });
        const page = await submitTotp(s.agent, await submitPassword(s, thirdParty, 'visitor', PASSWORD), thirdParty, secret, clock);
        return { s, page };
      }

      it('shows what the client asks for; allow issues tokens', async () => {
        const { s, page } = await toConsent('en');
        expect(page.html).toContain(`Test RP ${thirdParty.clientId} wants to access your account`);
        expect(page.html).toContain('Your e-mail address');
        const done = await s.agent.submit(page, '/consent', { decision: 'allow' }, thirdParty.redirectUri);
        const tokens = await finish(s, thirdParty, done);
        expect(tokens.claims()!.aud).toContain(thirdParty.clientId);
      });

      it('deny returns access_denied to the client, in Japanese too', async () => {
        const { s, page } = await toConsent('ja');
        expect(page.html).toContain('へのアクセスを求めています');
        const landing = await s.agent.submit(page, '/consent', { decision: 'deny' }, thirdParty.redirectUri);
        const callback = lastCallback(landing);
        expect(callback.origin + callback.pathname).toBe(thirdParty.redirectUri);
        expect(callback.searchParams.get('error')).toBe('access_denied');
        expect(callback.searchParams.get('code')).toBeNull();
      });
    });
  });

  describe('language', () => {
    const loginTitle = (page: Page) => /<h1>([^<]*)<\/h1>/.exec(page.html)?.[1];

    it('is Japanese by default', async () => {
      const { page } = await start(rp);
      expect(page.html).toContain('<html lang="ja">');
      expect(loginTitle(page)).toBe('サインイン');
    });

    it('ui_locales=en gives English pages', async () => {
      const { page } = await start(rp, { ui_locales: 'en' });
      expect(page.html).toContain('<html lang="en">');
      expect(loginTitle(page)).toBe('Sign in');
    });

    it('Accept-Language: en gives English pages; ui_locales wins over it', async () => {
      const en = await start(rp, {}, new Agent({ 'accept-language': 'en-US,en;q=0.9' }));
      expect(en.page.html).toContain('<html lang="en">');
      const ja = await start(rp, { ui_locales: 'ja' }, new Agent({ 'accept-language': 'en-US,en;q=0.9' }));
      expect(ja.page.html).toContain('<html lang="ja">');
    });

    it('the switcher (?lang=en) sets a cookie and the later pages of the journey are English', async () => {
      await createUser(server.services, 'switcher', PASSWORD);
      const s = await start(rp);
      expect(s.page.html).toContain('<html lang="ja">');
      const link = /href="([^"]*\?lang=en)"/.exec(s.page.html)![1]!;
      const switched = await s.agent.get(new URL(link, s.page.url).toString());
      expect(switched.status).toBe(302);
      expect(s.agent.cookies.get('sekisho_lang')).toBe('en');
      const english = await s.agent.follow(switched);
      expect(english.html).toContain('<html lang="en">');
      expect(loginTitle(english)).toBe('Sign in');
      const enrol = await s.agent.submit(english, '/login', { username: 'switcher', password: PASSWORD }, rp.redirectUri);
      expect(enrol.html).toContain('<html lang="en">');
      expect(enrol.html).toContain('Set up additional security verification');
      // And a new sign-in in the same browser starts in English.
      const later = await start(rp, {}, s.agent);
      expect(later.page.html).toContain('<html lang="en">');
    });

    it('the switcher on a page shown after a wrong password leads to that form in the other language', async () => {
      const s = await start(rp);
      const failed = await s.agent.submit(s.page, '/login', { username: 'nobody', password: 'x' }, rp.redirectUri);
      expect(failed.status).toBe(401);
      const link = /href="([^"]*\?lang=en)"/.exec(failed.html)![1]!;
      const english = await s.agent.follow(await s.agent.get(new URL(link, failed.url).toString()));
      expect(english.status).toBe(200);
      expect(english.html).toContain('<html lang="en">');
      expect(english.html).toContain('name="password"');
    });

    it('the switcher on a page shown after a wrong code leads to the code form in the other language', async () => {
      await createUser(server.services, 'polyglot', PASSWORD);
      await firstSignIn(rp, 'polyglot', PASSWORD, clock);
      clock.nextStep();
      const s = await start(rp, { prompt: 'login' });
      const codePage = await submitPassword(s, rp, 'polyglot', PASSWORD);
      const failed = await s.agent.submit(codePage, '/verify/', { code: '12345' }, rp.redirectUri);
      expect(failed.status).toBe(400);
      const link = /href="([^"]*\?lang=en)"/.exec(failed.html)![1]!;
      const english = await s.agent.follow(await s.agent.get(new URL(link, failed.url).toString()));
      expect(english.status).toBe(200);
      expect(english.html).toContain('<html lang="en">');
      expect(english.html).toContain('Enter the code from your authenticator app');
    });
  });

  describe('cookies and headers', () => {
    it('every cookie is HttpOnly and SameSite; pages carry CSP without unsafe-inline, no framing, nosniff, no-store', async () => {
      await createUser(server.services, 'cookies', PASSWORD);
      const agent = new RecordingAgent();
      const s = await start(rp, {}, agent);
      const pages: Page[] = [s.page];
      const enrol = await submitPassword(s, rp, 'cookies', PASSWORD);
      pages.push(enrol);
      const { page: done } = await enrolTotp(agent, enrol, rp, clock);
      await finish(s, rp, done);
      pages.push(await agent.get(`${s.page.url}?lang=en`).then((p) => agent.follow(p)));
      pages.push(await agent.get(`${server.url}/interaction/unknown`));

      expect(agent.setCookies.length).toBeGreaterThan(3);
      for (const line of agent.setCookies) {
        expect(line).toMatch(/;\s*httponly/i);
        expect(line).toMatch(/;\s*samesite=(lax|strict)/i);
        expect(line).not.toMatch(/;\s*secure/i);
      }
      for (const page of pages) {
        const csp = page.headers.get('content-security-policy')!;
        expect(csp).toContain("default-src 'self'");
        expect(csp).toContain("frame-ancestors 'none'");
        expect(csp).not.toContain('unsafe-inline');
        expect(csp).not.toContain('unsafe-eval');
        expect(page.headers.get('x-frame-options')).toBe('DENY');
        expect(page.headers.get('x-content-type-options')).toBe('nosniff');
        expect(page.headers.get('cache-control')).toContain('no-store');
        // No inline script or style that the CSP would have to allow.
        expect(page.html).not.toMatch(/<script|style="/i);
      }
    });
  });
});

const PUBLIC = 'https://sso.example.ac.jp';

/** Walks to the page after the password through a proxy that says the request came over https. */
async function passwordBehindProxy(server: TestServer, username: string) {
  const { clientId, redirectUri } = await registerClient(server.services);
  await createUser(server.services, username, PASSWORD);
  const local = `http://127.0.0.1:${server.config.port}`;
  const toLocal = (url: string) => url.replace(PUBLIC, local);
  const agent = new RecordingAgent({ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'sso.example.ac.jp' });
  const params = new URLSearchParams({
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid',
    state: 'st',
    nonce: 'no',
    code_challenge: createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url'),
    code_challenge_method: 'S256',
  });
  let login = await agent.get(`${local}/auth?${params}`);
  for (let hops = 0; login.location && !login.location.startsWith(redirectUri) && hops < 10; hops++) login = await agent.get(toLocal(login.location));
  expect(login.html).toContain('name="password"');
  const form = findForm(login.html, '/login');
  const next = await agent.post(`${local}${form.action}`, { ...form.hidden, username, password: PASSWORD });
  return { agent, login, next, toLocal };
}

describe('behind a TLS-terminating proxy', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ env: { ISSUER: PUBLIC, SEKISHO_TRUST_PROXY: 'true' } });
  });
  afterAll(() => server.close());

  it('every cookie carries Secure, HttpOnly and SameSite, and HSTS is sent', async () => {
    const { agent, login, next, toLocal } = await passwordBehindProxy(server, 'secure');
    expect(login.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(next.location).toMatch(/\/enrol$/);
    await agent.get(`${toLocal(next.location!)}?lang=en`);

    const names = new Set(agent.setCookies.map((l) => l.split('=')[0]));
    for (const name of ['_interaction', '_interaction_resume', 'sekisho_lang']) expect(names).toContain(name);
    for (const line of agent.setCookies) {
      expect(line).toMatch(/;\s*secure/i);
      expect(line).toMatch(/;\s*httponly/i);
      expect(line).toMatch(/;\s*samesite=(lax|strict)/i);
    }
  });
});

describe('a production site without Twilio (SEKISHO_PHONE_METHODS=none)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      db: 'postgres',
      env: {
        NODE_ENV: 'production',
        ISSUER: PUBLIC,
        SEKISHO_TRUST_PROXY: 'true',
        DATABASE_URL: POSTGRES_URL,
        SEKISHO_SECRET_KEY: randomBytes(32).toString('base64'),
        SEKISHO_COOKIE_KEYS: randomBytes(24).toString('base64url'),
        SEKISHO_PHONE_METHODS: 'none',
      },
    });
  });
  afterAll(() => server.close());

  it('starts, and enrolment offers the authenticator app only', async () => {
    expect(server.config.env).toBe('production');
    expect(server.config.phone.methods).toEqual([]);
    const { agent, next, toLocal } = await passwordBehindProxy(server, 'no-phone');
    expect(next.location).toMatch(/\/enrol$/);
    const choice = await agent.get(toLocal(next.location!));
    expect(choice.status).toBe(200);
    const links = [...choice.html.matchAll(/href="(\/interaction\/[^"]+\/enrol\/[^"]+)"/g)].map((m) => m[1]!.replace(/.*\/enrol\//, ''));
    expect(links).toEqual(['app']);
  });
});
