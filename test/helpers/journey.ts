// Walks whole sign-ins through the real pages: password, enrolment, authenticator codes.
import { expect } from '@jest/globals';
import type { Services } from '../../app/services.ts';
import { hashPassword } from '../../methods/password/argon2.ts';
import { Agent, text, type Page } from './agent.ts';
import { totpCode } from './oath.ts';
import type { AuthRequest, Rp } from './rp.ts';

/** A clock the server reads instead of Date.now, moved by the test (a TOTP step at a time). */
export function steppingClock(start = Date.now()) {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
    /** Moves to the next 30-second TOTP step so a new code is due. */
    nextStep(period = 30) {
      t += period * 1000;
    },
  };
}
export type SteppingClock = ReturnType<typeof steppingClock>;

export async function createUser(services: Services, username: string, password: string, extra: { email?: string; name?: string; locale?: string } = {}) {
  return services.users.create({
    username,
    email: extra.email ?? `${username}@example.ac.jp`,
    name: extra.name ?? username,
    locale: extra.locale ?? 'ja',
    passwordHash: await hashPassword(password),
  });
}

export interface Started {
  agent: Agent;
  request: AuthRequest;
  page: Page;
}

/** Starts an authorization request and lands on the first Sekisho page. */
export async function start(rp: Rp, params: Record<string, string> = {}, agent = new Agent()): Promise<Started> {
  const request = await rp.authorize(params);
  const page = await agent.follow(await agent.get(request.url), rp.redirectUri);
  return { agent, request, page };
}

export async function submitPassword(s: Started, rp: Rp, username: string, password: string): Promise<Page> {
  return s.agent.submit(s.page, '/login', { username, password }, rp.redirectUri);
}

/** Enrols an authenticator on the enrolment pages; returns the key and the page after enrolment. */
export async function enrolTotp(agent: Agent, page: Page, rp: Rp, clock: SteppingClock): Promise<{ secret: string; page: Page }> {
  expect(page.url).toMatch(/\/enrol$/);
  const setup = await agent.follow(await agent.get(page.url + '/app'), rp.redirectUri);
  const secret = text(setup.html, 'manual-key')!.replace(/\s/g, '');
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  const done = await agent.submit(setup, '/enrol/app', { code: totpCode(secret, { at: new Date(clock.now()) }) }, rp.redirectUri);
  return { secret, page: done };
}

/** Declines the offer of a second method shown right after enrolment ("skip for now"). */
export async function skipOffer(agent: Agent, page: Page, rp: Rp): Promise<Page> {
  if (!/\/after-enrol$/.test(page.url)) return page;
  return agent.submit(page, '/continue', {}, rp.redirectUri);
}

export async function submitTotp(agent: Agent, page: Page, rp: Rp, secret: string, clock: SteppingClock): Promise<Page> {
  return agent.submit(page, '/verify/', { code: totpCode(secret, { at: new Date(clock.now()) }) }, rp.redirectUri);
}

/** Follows the page on to the relying party's callback (declining a second-method offer on the way) and exchanges the code. */
export async function finish(s: Started, rp: Rp, page: Page) {
  const landing = await skipOffer(s.agent, await s.agent.follow(page, rp.redirectUri), rp);
  if (!landing.location?.startsWith(rp.redirectUri)) throw new Error(`did not reach the RP: ${landing.status} ${landing.url}\n${landing.html.slice(0, 1500)}`);
  return rp.callback(landing.location!, s.request);
}

/** A complete first sign-in: password, enrolment of an authenticator, tokens. */
export async function firstSignIn(rp: Rp, username: string, password: string, clock: SteppingClock, params: Record<string, string> = {}) {
  const s = await start(rp, params);
  const afterPassword = await submitPassword(s, rp, username, password);
  const { secret, page } = await enrolTotp(s.agent, afterPassword, rp, clock);
  const tokens = await finish(s, rp, await skipOffer(s.agent, page, rp));
  return { ...s, secret, tokens };
}
