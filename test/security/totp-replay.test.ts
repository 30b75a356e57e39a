// A TOTP code is good for one sign-in: submitted again it is refused, and 20 parallel submissions of
// one code in one interaction let exactly one through — against the real server.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { findForm, type Page } from '../helpers/agent.ts';
import { DB_KINDS } from '../helpers/database.ts';
import { createUser, finish, firstSignIn, start, steppingClock, submitPassword } from '../helpers/journey.ts';
import { totpCode } from '../helpers/oath.ts';
import { createRp, type Rp } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const INVALID = {
  ja: 'コードが正しくありません。',
  en: 'That code did not work.',
};

describe.each(DB_KINDS)('TOTP replay (%s)', (db) => {
  const clock = steppingClock(Date.UTC(2026, 10, 22, 9, 0, 5));
  let server: TestServer;
  let rp: Rp;

  beforeAll(async () => {
    server = await startTestServer({ db, now: clock.now });
    rp = await createRp(server.url, server.services);
  });
  afterAll(() => server.close());

  async function enrolled(username: string) {
    await createUser(server.services, username, 'correct horse battery');
    const { secret } = await firstSignIn(rp, username, 'correct horse battery', clock);
    clock.nextStep();
    return secret;
  }

  async function atSecondFactor(username: string, lang: 'ja' | 'en') {
    const s = await start(rp, { prompt: 'login', ui_locales: lang });
    const page = await submitPassword(s, rp, username, 'correct horse battery');
    expect(page.url).toMatch(/\/second-factor$/);
    return { s, page };
  }

  function post(s: Awaited<ReturnType<typeof atSecondFactor>>['s'], page: Page, code: string) {
    const form = findForm(page.html, '/verify/');
    return s.agent.post(new URL(form.action, page.url).toString(), { ...form.hidden, code });
  }

  it.each(['ja', 'en'] as const)('a code that signed in once is refused the second time (%s)', async (lang) => {
    const secret = await enrolled(`replay-once-${lang}`);
    const code = totpCode(secret, { at: new Date(clock.now()) });

    const first = await atSecondFactor(`replay-once-${lang}`, lang);
    const accepted = await post(first.s, first.page, code);
    expect(accepted.status).toBe(303);
    const tokens = await finish(first.s, rp, accepted);
    expect(tokens.claims()!.amr).toContain('otp');

    const second = await atSecondFactor(`replay-once-${lang}`, lang);
    const refused = await post(second.s, second.page, code);
    expect(refused.status).toBe(400);
    expect(refused.html).toContain(INVALID[lang]);
    expect(refused.location).toBeUndefined();
    // The page is still the code form: the next step's code gets through.
    clock.nextStep();
    const next = await post(second.s, refused, totpCode(secret, { at: new Date(clock.now()) }));
    expect(next.status).toBe(303);
    await finish(second.s, rp, next);
  });

  it.each(['ja', 'en'] as const)('the same code in 20 parallel requests of one interaction: exactly one success (%s)', async (lang) => {
    const secret = await enrolled(`replay-race-${lang}`);
    const { s, page } = await atSecondFactor(`replay-race-${lang}`, lang);
    const code = totpCode(secret, { at: new Date(clock.now()) });
    const form = findForm(page.html, '/verify/');
    const action = new URL(form.action, page.url).toString();
    const cookies = new Map(s.agent.cookies);

    const results = await Promise.all(Array.from({ length: 20 }, () => s.agent.post(action, { ...form.hidden, code })));

    // Every request carried the same interaction cookies.
    for (const name of ['_interaction', '_interaction.sig']) expect(cookies.get(name)).toBeTruthy();
    const winners = results.filter((r) => r.status === 303);
    const losers = results.filter((r) => r.status !== 303);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(19);
    for (const r of losers) {
      expect(r.status).toBe(400);
      expect(r.html).toContain(INVALID[lang]);
    }
    expect(winners[0]!.location).toMatch(/\/auth\//);
    const tokens = await finish(s, rp, winners[0]!);
    expect(tokens.claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
    const success = await server.services.audit.query({ username: `replay-race-${lang}`, type: 'signin.success' });
    expect(success).toHaveLength(2);
  });
});
