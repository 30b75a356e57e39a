// SMS codes and voice calls end to end: a real relying party (openid-client), the real Twilio SDK
// talking to a local fake of Twilio's API, Twilio-signed webhooks for the keys pressed. Sign-in,
// enrolment as the first method, fraud reports, resend, failures of Twilio, races and bad input.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signTwilioRequest } from '../../adapters/twilio/signature.ts';
import { describeTwiml } from '../../adapters/twilio/twiml.ts';
import en from '../../locales/en/index.ts';
import ja from '../../locales/ja/index.ts';
import { findForm, type Page } from '../helpers/agent.ts';
import { DB_KINDS, type DbKind } from '../helpers/database.ts';
import { startFakeTwilio, type FakeTwilio } from '../helpers/fake-twilio.ts';
import { createUser, enrolTotp, finish, skipOffer, start, steppingClock, submitPassword, type Started, type SteppingClock } from '../helpers/journey.ts';
import { createRp, type Rp } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const PASSWORD = 'phone factor password';

function twilioEnv(fake: FakeTwilio, extra: Record<string, string> = {}): Record<string, string> {
  return {
    TWILIO_ACCOUNT_SID: fake.accountSid,
    TWILIO_AUTH_TOKEN: fake.authToken,
    TWILIO_FROM: fake.from,
    TWILIO_API_BASE: fake.url,
    SEKISHO_PHONE_SENDER: 'twilio',
    SEKISHO_TWILIO_TIMEOUT_MS: '1500',
    ...extra,
  };
}

interface Env {
  server: TestServer;
  rp: Rp;
  fake: FakeTwilio;
  clock: SteppingClock;
}

async function setUp(db: DbKind, extra: Record<string, string> = {}): Promise<Env> {
  const clock = steppingClock();
  const fake = await startFakeTwilio();
  const server = await startTestServer({ db, now: clock.now, env: twilioEnv(fake, extra) });
  const rp = await createRp(server.url, server.services);
  return { server, rp, fake, clock };
}

async function tearDown(env: Env | undefined): Promise<void> {
  await env?.server.close();
  await env?.fake.close();
}

let numberSeq = 1000;
/** A fresh mobile number per user, so per-number limits never meet between tests. */
function mobile(): string {
  return `+81901234${String(numberSeq++).padStart(4, '0')}`;
}

async function userWithPhone(env: Env, username: string, kind: 'sms' | 'voice', phone = mobile(), extension?: string) {
  const user = await createUser(env.server.services, username, PASSWORD);
  const method = await env.server.services.methods.create({ userId: user.id, kind, phone, phoneKind: 'mobile', extension });
  await env.server.services.methods.activate(method.id);
  return { user, method, phone };
}

async function signInToPhone(env: Env, username: string, params: Record<string, string> = {}): Promise<Started & { mfa: Page }> {
  const s = await start(env.rp, { prompt: 'login', ...params });
  const mfa = await submitPassword(s, env.rp, username, PASSWORD);
  expect(mfa.url).toMatch(/second-factor$/);
  return { ...s, mfa };
}

/** "Send code" / "Call me" on the start page. */
function send(s: Started, env: Env, page: Page): Promise<Page> {
  return s.agent.submit(page, '/send', {}, env.rp.redirectUri);
}

function plainText(html: string): string {
  return html.replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

describe.each(DB_KINDS)('SMS codes at sign-in (%s)', (db) => {
  let env: Env;
  beforeAll(async () => {
    env = await setUp(db);
  });
  afterAll(() => tearDown(env));

  it('sends a 6-digit code and signs in with amr pwd, sms, mfa', async () => {
    const { phone } = await userWithPhone(env, 'sato', 'sms');
    const s = await signInToPhone(env, 'sato');
    expect(s.mfa.html).toContain('+81 •• •••• ');
    const codePage = await send(s, env, s.mfa);
    expect(codePage.status).toBe(200);
    expect(codePage.html).toContain('name="code"');
    const message = env.fake.messages.at(-1)!;
    expect(message.to).toBe(phone);
    expect(message.body).toContain('Sekisho');
    const code = env.fake.lastCode(phone)!;
    // Full-width digits with a space, as a Japanese IME types them.
    const typed = code.replace(/[0-9]/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0)).replace(/^(...)/, '$1 ');
    const done = await s.agent.submit(codePage, '/verify/', { code: typed }, env.rp.redirectUri);
    const tokens = await finish(s, env.rp, done);
    expect(tokens.claims()!.amr).toEqual(['pwd', 'sms', 'mfa']);
    expect(tokens.claims()!.acr).toBe('https://refeds.org/profile/mfa');
  });

  it('accepts a code once: a second use in another sign-in fails', async () => {
    const { phone } = await userWithPhone(env, 'once', 'sms');
    const s = await signInToPhone(env, 'once');
    const codePage = await send(s, env, s.mfa);
    const code = env.fake.lastCode(phone)!;
    await finish(s, env.rp, await s.agent.submit(codePage, '/verify/', { code }, env.rp.redirectUri));
    const again = await signInToPhone(env, 'once');
    env.clock.advance(60_000);
    const page2 = await send(again, env, again.mfa);
    // The old code against the new challenge: refused.
    const refused = await again.agent.submit(page2, '/verify/', { code: code === '000000' ? '000001' : code }, env.rp.redirectUri);
    if (env.fake.lastCode(phone) !== code) {
      expect(refused.status).toBe(400);
      expect(refused.html).toContain(ja.mfa.invalidCode);
    }
  });

  it('says when the right code came too late, so the user asks for a new one instead of retrying it', async () => {
    const { phone } = await userWithPhone(env, 'late', 'sms');
    const s = await signInToPhone(env, 'late');
    const codePage = await send(s, env, s.mfa);
    const code = env.fake.lastCode(phone)!;
    env.clock.advance(11 * 60_000);
    const late = await s.agent.submit(codePage, '/verify/', { code }, env.rp.redirectUri);
    expect(late.status).toBe(400);
    expect(late.html).toContain(ja.phone.errors.codeExpired);
    const resent = await send(s, env, late);
    const done = await s.agent.submit(resent, '/verify/', { code: env.fake.lastCode(phone)! }, env.rp.redirectUri);
    expect((await finish(s, env.rp, done)).claims()!.amr).toEqual(['pwd', 'sms', 'mfa']);
  });

  it('50 parallel wrong codes are all charged: the counter reads exactly 50 and the account is locked', async () => {
    const { user } = await userWithPhone(env, 'racer', 'sms');
    const s = await signInToPhone(env, 'racer');
    const codePage = await send(s, env, s.mfa);
    const form = findForm(codePage.html, '/verify/');
    const url = new URL(form.action, codePage.url).toString();
    const pages = await Promise.all(Array.from({ length: 50 }, () => s.agent.post(url, { ...form.hidden, code: '000000' === env.fake.lastCode(env.fake.messages.at(-1)!.to) ? '111111' : '000000' })));
    expect(pages.every((p) => p.status === 400)).toBe(true);
    const counter = await env.server.services.counters.get('mfa:sms', user.id);
    expect(counter?.failures).toBe(50);
    expect(counter?.lockedUntil).not.toBeNull();
  });

  it('parallel submissions of one valid code succeed exactly once', async () => {
    const { phone } = await userWithPhone(env, 'twins', 'sms');
    const s = await signInToPhone(env, 'twins');
    const codePage = await send(s, env, s.mfa);
    const code = env.fake.lastCode(phone)!;
    const form = findForm(codePage.html, '/verify/');
    const url = new URL(form.action, codePage.url).toString();
    const pages = await Promise.all(Array.from({ length: 8 }, () => s.agent.post(url, { ...form.hidden, code })));
    const successes = pages.filter((p) => p.status === 303 && !p.location!.includes('/interaction/'));
    expect(successes).toHaveLength(1);
    // The others fail: the code is used up, or the journey they belonged to has finished.
    expect(pages.filter((p) => p.status === 400 || p.location?.includes('/interaction/'))).toHaveLength(7);
  });
});

describe('voice calls, enrolment, resend, failures and bad input (pglite)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await setUp('pglite');
  });
  afterAll(() => tearDown(env));

  /** Password, "call me": the page waiting for #, and the call placed. */
  async function calling(username: string, params: Record<string, string> = {}) {
    const s = await signInToPhone(env, username, params);
    const waiting = await send(s, env, s.mfa);
    expect(waiting.status).toBe(200);
    expect(waiting.url).toMatch(/\/status$/);
    expect(waiting.html).toMatch(/<meta http-equiv="refresh" content="3; url=\/interaction\/[^"]+\/status">/);
    const call = env.fake.calls.at(-1)!;
    return { s, waiting, call };
  }

  it('signs in when the callee presses #: amr pwd, tel, mfa', async () => {
    const { phone } = await userWithPhone(env, 'suzuki', 'voice');
    const { s, waiting, call } = await calling('suzuki');
    expect(call.to).toBe(phone);
    const spoken = describeTwiml(call.twiml!);
    expect(spoken.says[0]).toBe(ja.phone.voice.prompt);
    // Before the key, the page keeps waiting.
    expect((await s.agent.get(waiting.url)).status).toBe(200);
    const answer = await env.fake.answerCall(call.sid, '#');
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('<Say');
    const done = await s.agent.follow(await s.agent.get(waiting.url), env.rp.redirectUri);
    const tokens = await finish(s, env.rp, done);
    expect(tokens.claims()!.amr).toEqual(['pwd', 'tel', 'mfa']);
  });

  it('speaks English to an English user', async () => {
    await userWithPhone(env, 'smith', 'voice');
    const { call } = await calling('smith', { ui_locales: 'en' });
    expect(describeTwiml(call.twiml!).says[0]).toBe(en.phone.voice.prompt);
    expect(call.twiml).toContain('en-US');
  });

  it('refuses the sign-in when the callee presses 0, audits it and flags the method', async () => {
    const { user, method } = await userWithPhone(env, 'victim', 'voice');
    const { s, waiting, call } = await calling('victim');
    const answer = await env.fake.answerCall(call.sid, '0');
    expect(answer.status).toBe(200);
    const end = await s.agent.follow(await s.agent.get(waiting.url), env.rp.redirectUri);
    expect(end.location).toContain(env.rp.redirectUri);
    expect(new URL(end.location!).searchParams.get('error')).toBe('access_denied');
    expect((await env.server.services.methods.find(method.id))!.flaggedAt).not.toBeNull();
    const audit = await env.server.services.audit.query({ userId: user.id, type: 'phone.fraud' });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details).toMatchObject({ methodId: method.id, callSid: call.sid });
    // The flagged method is no longer offered, and with nothing else left the password alone must not
    // lead to enrolment (an attacker would register their own method): IT has to clear the flag.
    const next = await start(env.rp, { prompt: 'login' });
    const blocked = await submitPassword(next, env.rp, 'victim', PASSWORD);
    expect(blocked.status).toBe(403);
    expect(plainText(blocked.html)).toContain(ja.phone.errors.flagged);
    const enrol = await next.agent.get(blocked.url.replace(/\/login$/, '/enrol/phone'));
    expect(enrol.status).toBe(302);
    expect(await env.server.services.methods.clearFlags(user.id)).toBe(1);
    const cleared = await start(env.rp, { prompt: 'login' });
    expect((await submitPassword(cleared, env.rp, 'victim', PASSWORD)).url).toMatch(/second-factor$/);
  });

  it('refuses replayed, unsigned and forged webhooks, and unknown calls, with 4xx', async () => {
    await userWithPhone(env, 'hook', 'voice');
    const { call } = await calling('hook');
    expect((await env.fake.answerCallUnsigned(call.sid, '#')).status).toBe(403);
    expect((await env.fake.answerCall(call.sid, '#', { signature: 'Zm9yZ2Vk' })).status).toBe(403);
    expect((await env.fake.answerCall(call.sid, '#')).status).toBe(200);
    expect((await env.fake.answerCall(call.sid, '#')).status).toBe(409);
    expect((await env.fake.answerCall(call.sid, '0')).status).toBe(409);
    const url = `${env.server.url}/webhooks/twilio/voice/ch_unknown?lang=ja`;
    const params = { AccountSid: env.fake.accountSid, CallSid: call.sid, Digits: '#' };
    const signed = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signTwilioRequest(env.fake.authToken, url, params) },
      body: new URLSearchParams(params),
    });
    expect(signed.status).toBe(404);
    const junk = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(junk.status).toBe(415);
    const dev = await fetch(`${env.server.url}/dev/phone/answer`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'challenge=x&key=%23' });
    expect(dev.status).toBe(404);
  });

  it('says when "call again" comes too early, then calls again after the cool-down; an unanswered call expires', async () => {
    await userWithPhone(env, 'redial', 'voice');
    const { s, waiting } = await calling('redial');
    const calls = env.fake.calls.length;
    const early = await s.agent.submit(waiting, '/send', {}, env.rp.redirectUri);
    expect(early.status).toBe(400);
    expect(early.html).toMatch(/秒後に再送信できます/);
    expect(env.fake.calls.length).toBe(calls);
    env.clock.advance(31_000);
    const again = await s.agent.submit(early, '/send', {}, env.rp.redirectUri);
    expect(again.url).toMatch(/\/status$/);
    expect(env.fake.calls.length).toBe(calls + 1);
    env.clock.advance(6 * 60_000);
    const expired = await s.agent.get(again.url);
    expect(expired.status).toBe(400);
    expect(expired.html).toContain(ja.phone.errors.callExpired);
    expect((await env.fake.answerCall(env.fake.calls.at(-1)!.sid, '#')).status).toBe(409);
  });

  it('enrols a phone as the first method, proven by an SMS code typed in full-width digits', async () => {
    const user = await createUser(env.server.services, 'newbie', PASSWORD);
    const s = await start(env.rp, { prompt: 'login' });
    const choose = await submitPassword(s, env.rp, 'newbie', PASSWORD);
    expect(choose.url).toMatch(/\/enrol$/);
    expect(choose.html).toContain(ja.phone.enrol.choice);
    const form = await s.agent.get(`${choose.url}/phone`);
    expect(form.status).toBe(200);
    const proof = await s.agent.submit(form, '/enrol/phone', { kind: 'mobile', number: '０９０－５５５５－１２３４', via: 'sms' }, env.rp.redirectUri);
    expect(proof.url).toMatch(/\/enrol\/phone\/verify$/);
    const pending = (await env.server.services.methods.listForUser(user.id))[0]!;
    expect(pending).toMatchObject({ kind: 'sms', status: 'pending', phone: '+819055551234', phoneKind: 'mobile' });
    const done = await s.agent.submit(proof, '/enrol/phone/verify', { code: env.fake.lastCode('+819055551234')! }, env.rp.redirectUri);
    const tokens = await finish(s, env.rp, await skipOffer(s.agent, done, env.rp));
    expect(tokens.claims()!.amr).toEqual(['pwd', 'sms', 'mfa']);
    expect((await env.server.services.methods.find(pending.id))!.status).toBe('active');
  });

  it('offers a phone number imported by IT pre-filled, and still proves it (by a call)', async () => {
    const user = await createUser(env.server.services, 'imported', PASSWORD);
    await env.server.services.users.update(user.id, { importedPhone: '090-7777-1234' });
    const s = await start(env.rp, { prompt: 'login' });
    const choose = await submitPassword(s, env.rp, 'imported', PASSWORD);
    const form = await s.agent.get(`${choose.url}/phone`);
    expect(form.html).toContain('value="090-7777-1234"');
    expect(form.html).toContain('id="imported-notice"');
    const waiting = await s.agent.submit(form, '/enrol/phone', { kind: 'mobile', number: '090-7777-1234', via: 'voice' }, env.rp.redirectUri);
    expect(waiting.html).toContain('http-equiv="refresh"');
    expect((await env.server.services.methods.listForUser(user.id))[0]!.status).toBe('pending');
    const call = env.fake.calls.at(-1)!;
    expect(call.to).toBe('+819077771234');
    expect((await env.fake.answerCall(call.sid, '#')).status).toBe(200);
    const done = await s.agent.follow(await s.agent.get(waiting.url), env.rp.redirectUri);
    const tokens = await finish(s, env.rp, await skipOffer(s.agent, done, env.rp));
    expect(tokens.claims()!.amr).toEqual(['pwd', 'tel', 'mfa']);
  });

  it('gives landlines voice only, and dials an office extension', async () => {
    const user = await createUser(env.server.services, 'office', PASSWORD);
    const s = await start(env.rp, { prompt: 'login' });
    const choose = await submitPassword(s, env.rp, 'office', PASSWORD);
    const form = await s.agent.get(`${choose.url}/phone`);
    const refused = await s.agent.submit(form, '/enrol/phone', { kind: 'office', number: '03-1234-5678', via: 'sms' }, env.rp.redirectUri);
    expect(refused.status).toBe(400);
    expect(plainText(refused.html)).toContain(ja.phone.errors.notMobile);
    const waiting = await s.agent.submit(refused, '/enrol/phone', { kind: 'office', number: '03-1234-5678', extension: '4321', via: 'voice' }, env.rp.redirectUri);
    expect(waiting.status).toBe(200);
    const call = env.fake.calls.at(-1)!;
    expect(call.to).toBe('+81312345678');
    expect(call.twiml).toContain('wwww4321');
    const method = (await env.server.services.methods.listForUser(user.id))[0]!;
    expect(method).toMatchObject({ kind: 'voice', phoneKind: 'office', extension: '4321' });
  });

  it('refuses numbers that are not numbers, too long, or from a country not allowed, with a message', async () => {
    await createUser(env.server.services, 'typo', PASSWORD);
    const s = await start(env.rp, { prompt: 'login' });
    const choose = await submitPassword(s, env.rp, 'typo', PASSWORD);
    const form = await s.agent.get(`${choose.url}/phone`);
    for (const [number, message] of [
      ['not a number', ja.phone.errors.invalid],
      ['+81', ja.phone.errors.invalid],
      ['<script>alert(1)</script>', ja.phone.errors.invalid],
      ['+44 7400 123456', ja.phone.errors.countryNotAllowed],
      ['0'.repeat(40), ja.phone.errors.tooLong],
    ] as const) {
      const page = await s.agent.submit(form, '/enrol/phone', { kind: 'mobile', number, via: 'sms' }, env.rp.redirectUri);
      expect(page.status).toBe(400);
      expect(plainText(page.html)).toContain(message);
      expect(page.html).not.toContain('<script>alert');
    }
    const action = new URL(findForm(form.html, '/enrol/phone').action, form.url).toString();
    const hidden = findForm(form.html, '/enrol/phone').hidden;
    expect((await s.agent.post(action, { ...hidden, kind: 'mobile', number: '0'.repeat(65), via: 'sms' })).status).toBe(400);
    expect((await s.agent.post(action, { ...hidden, number: 'x'.repeat(20_000) })).status).toBe(413);
    expect((await s.agent.post(action, { kind: 'mobile', number: '09012345678', via: 'sms' })).status).toBe(403);
    expect((await s.agent.post(action, { ...hidden, kind: 'mobile', number: '090-1234-5678', extension: '12ab', via: 'voice' })).status).toBe(400);
  });

  it('resends only after the cool-down, and a resend does not reset the failure budget', async () => {
    const { user, phone } = await userWithPhone(env, 'patient', 'sms');
    const s = await signInToPhone(env, 'patient');
    const codePage = await send(s, env, s.mfa);
    const first = env.fake.lastCode(phone)!;
    const sent = env.fake.messages.length;
    const wrong = await s.agent.submit(codePage, '/verify/', { code: first === '123456' ? '654321' : '123456' }, env.rp.redirectUri);
    expect(wrong.status).toBe(400);
    const early = await s.agent.submit(wrong, '/send', {}, env.rp.redirectUri);
    expect(early.status).toBe(400);
    expect(early.html).toMatch(/秒後に再送信できます/);
    expect(env.fake.messages.length).toBe(sent);
    env.clock.advance(31_000);
    const resent = await s.agent.submit(early, '/send', {}, env.rp.redirectUri);
    expect(resent.status).toBe(200);
    expect(env.fake.messages.length).toBe(sent + 1);
    expect((await env.server.services.counters.get('mfa:sms', user.id))?.failures).toBe(1);
    const second = env.fake.lastCode(phone)!;
    if (second !== first) {
      const stale = await s.agent.submit(resent, '/verify/', { code: first }, env.rp.redirectUri);
      expect(stale.status).toBe(400);
    }
    const done = await s.agent.submit(resent, '/verify/', { code: second }, env.rp.redirectUri);
    expect((await finish(s, env.rp, done)).claims()!.amr).toContain('sms');
  });

  it('shows a localized message and the other methods when Twilio fails (500, timeout, refused number)', async () => {
    const { phone } = await userWithPhone(env, 'unlucky', 'sms');
    const s = await signInToPhone(env, 'unlucky', { ui_locales: 'en' });
    env.fake.failNext(500);
    const failed = await send(s, env, s.mfa);
    expect(failed.status).toBe(400);
    expect(plainText(failed.html)).toContain(en.phone.errors.unavailable);
    expect(failed.html).toContain('id="other-way"');
    env.fake.hangNext();
    const hung = await send(s, env, failed);
    expect(hung.status).toBe(400);
    expect(plainText(hung.html)).toContain(en.phone.errors.unavailable);
    env.fake.refuseNumber(phone);
    const refused = await send(s, env, hung);
    expect(plainText(refused.html)).toContain(en.phone.errors.refused);
    const picker = await s.agent.get(new URL(/id="other-way" href="([^"]+)"/.exec(refused.html)![1]!, refused.url).toString());
    expect(picker.status).toBe(200);
    expect(picker.html).toContain(en.phone.picker.sms);
  });

  it('lists methods strongest first with masked numbers in the picker', async () => {
    const { user } = await userWithPhone(env, 'many', 'sms', '+819011112222');
    const voice = await env.server.services.methods.create({ userId: user.id, kind: 'voice', phone: '+819033334444' });
    await env.server.services.methods.activate(voice.id);
    const s = await signInToPhone(env, 'many');
    const picker = await s.agent.get(s.mfa.url.replace(/second-factor$/, 'methods'));
    const voiceAt = picker.html.indexOf(`${ja.phone.picker.voice} · +81 •• •••• 4444`);
    const smsAt = picker.html.indexOf(`${ja.phone.picker.sms} · +81 •• •••• 2222`);
    expect(voiceAt).toBeGreaterThan(0);
    expect(smsAt).toBeGreaterThan(voiceAt);
  });
});

describe('voice calls that read the code aloud (pglite)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await setUp('pglite', { SEKISHO_VOICE_MODE: 'read' });
  });
  afterAll(() => tearDown(env));

  it('reads a 6-digit code that is typed like an SMS code: amr tel', async () => {
    await userWithPhone(env, 'reader', 'voice');
    const s = await signInToPhone(env, 'reader');
    const codePage = await send(s, env, s.mfa);
    expect(codePage.html).toContain('name="code"');
    const says = describeTwiml(env.fake.calls.at(-1)!.twiml!).says;
    expect(says[0]).toBe(ja.phone.voice.readPrompt);
    const code = says[1]!.replace(/\D/g, '');
    expect(code).toMatch(/^\d{6}$/);
    const done = await s.agent.submit(codePage, '/verify/', { code }, env.rp.redirectUri);
    expect((await finish(s, env.rp, done)).claims()!.amr).toEqual(['pwd', 'tel', 'mfa']);
  });
});

describe('a phone as the second method, and who may enrol (pglite)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await setUp('pglite');
  });
  afterAll(() => tearDown(env));

  it('adds a phone from the offer after the first enrolment without counting it as another factor', async () => {
    const user = await createUser(env.server.services, 'second', PASSWORD);
    const s = await start(env.rp, { prompt: 'login' });
    const { page: offer } = await enrolTotp(s.agent, await submitPassword(s, env.rp, 'second', PASSWORD), env.rp, env.clock);
    expect(offer.url).toMatch(/\/after-enrol$/);
    const href = /id="offer-phone" href="([^"]+)"/.exec(offer.html)?.[1];
    expect(href).toMatch(/\/enrol\/phone$/);
    const form = await s.agent.get(new URL(href!, offer.url).toString());
    expect(form.status).toBe(200);
    const proof = await s.agent.submit(form, '/enrol/phone', { kind: 'alternate', number: '080-2222-3333', via: 'sms' }, env.rp.redirectUri);
    const back = await s.agent.submit(proof, '/enrol/phone/verify', { code: env.fake.lastCode('+818022223333')! }, env.rp.redirectUri);
    expect(back.url).toMatch(/\/after-enrol$/);
    expect(back.html).not.toContain('id="offer-phone"');
    const tokens = await finish(s, env.rp, await skipOffer(s.agent, back, env.rp));
    expect(tokens.claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
    const methods = await env.server.services.methods.listForUser(user.id, { activeOnly: true });
    expect(methods.map((m) => [m.kind, m.isDefault, m.phoneKind])).toEqual([
      ['totp', true, null],
      ['sms', false, 'alternate'],
    ]);
  });

  it('does not let a user who has a method enrol a phone instead of proving it', async () => {
    await userWithPhone(env, 'sneaky', 'sms');
    const s = await signInToPhone(env, 'sneaky');
    const form = await s.agent.get(s.mfa.url.replace(/second-factor$/, 'enrol/phone'));
    expect(form.status).toBe(302);
    expect(form.location).toMatch(/second-factor$/);
    const csrf = findForm(s.mfa.html, '/send').hidden.csrf!;
    const posted = await s.agent.post(s.mfa.url.replace(/second-factor$/, 'enrol/phone'), { csrf, kind: 'mobile', number: '090-9999-0000', via: 'sms' });
    expect(posted.location).toMatch(/second-factor$/);
    expect(env.fake.messages.some((m) => m.to === '+819099990000')).toBe(false);
  });
});

describe('development with the console sender', () => {
  const clock = steppingClock();
  let server: TestServer;
  let rp: Rp;
  beforeAll(async () => {
    server = await startTestServer({ now: clock.now, env: { NODE_ENV: 'development', SEKISHO_PHONE_SENDER: 'console' } });
    rp = await createRp(server.url, server.services);
  });
  afterAll(() => server.close());

  it('lets a developer press # on a console call from the waiting page', async () => {
    const user = await createUser(server.services, 'dev', PASSWORD);
    const method = await server.services.methods.create({ userId: user.id, kind: 'voice', phone: '+819012120000' });
    await server.services.methods.activate(method.id);
    const s = await start(rp, { prompt: 'login' });
    const mfa = await submitPassword(s, rp, 'dev', PASSWORD);
    const waiting = await s.agent.submit(mfa, '/send', {}, rp.redirectUri);
    expect(waiting.html).toContain('id="dev-answer"');
    const done = await s.agent.submit(waiting, '/dev/phone/answer', { key: '#' }, rp.redirectUri);
    const tokens = await finish(s, rp, done);
    expect(tokens.claims()!.amr).toEqual(['pwd', 'tel', 'mfa']);
  });
});
