// Temporary access pass: a user who lost their phone signs in with password + pass, must register a
// new authenticator, and the pass then no longer works (--once) or stops at its TTL.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { issueAccessPass } from '../../methods/tap/index.ts';
import { enrolTotp, finish, firstSignIn, start, steppingClock, submitPassword, createUser } from '../helpers/journey.ts';
import { createRp, type Rp } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import type { Page } from '../helpers/agent.ts';
import type { Started } from '../helpers/journey.ts';

describe('temporary access pass', () => {
  const clock = steppingClock();
  let server: TestServer;
  let rp: Rp;
  let userId: string;

  beforeAll(async () => {
    server = await startTestServer({ now: clock.now });
    rp = await createRp(server.url, server.services);
    userId = (await createUser(server.services, 'yamada', 'yamada password')).id;
    await firstSignIn(rp, 'yamada', 'yamada password', clock);
  });
  afterAll(() => server.close());

  async function toPassPage(): Promise<{ s: Started; page: Page }> {
    clock.nextStep();
    const s = await start(rp, { prompt: 'login' });
    const second = await submitPassword(s, rp, 'yamada', 'yamada password');
    expect(second.url).toMatch(/second-factor$/);
    const picker = await s.agent.get(second.url.replace(/second-factor$/, 'methods'));
    expect(picker.html).toContain('/access-pass');
    return { s, page: await s.agent.get(second.url.replace(/second-factor$/, 'access-pass')) };
  }

  it('lets the user register a new authenticator, then the one-time pass is spent', async () => {
    const { code } = await issueAccessPass(server.services.db, userId, { ttlSeconds: 3600, once: true, createdBy: 'test', now: new Date(clock.now()) });
    const { s, page } = await toPassPage();
    const enrol = await s.agent.submit(page, '/access-pass', { pass: code.toLowerCase() }, rp.redirectUri);
    expect(enrol.url).toMatch(/\/enrol$/);
    // The pass alone does not finish the sign-in.
    const skipped = await s.agent.follow(await s.agent.get(enrol.url.replace(/enrol$/, 'after-enrol')), rp.redirectUri);
    expect(skipped.url).toMatch(/\/enrol$/);
    const { page: done } = await enrolTotp(s.agent, enrol, rp, clock);
    const tokens = await finish(s, rp, done);
    expect(tokens.claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
    const methods = await server.services.methods.listForUser(userId, { activeOnly: true });
    expect(methods.filter((m) => m.kind === 'totp')).toHaveLength(2);

    const again = await toPassPage();
    const refused = await again.s.agent.submit(again.page, '/access-pass', { pass: code }, rp.redirectUri);
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('このパスは使用できません');
  });

  it('refuses a pass after its time to live', async () => {
    const { code } = await issueAccessPass(server.services.db, userId, { ttlSeconds: 600, once: false, createdBy: 'test', now: new Date(clock.now()) });
    clock.advance(601_000);
    const { s, page } = await toPassPage();
    const refused = await s.agent.submit(page, '/access-pass', { pass: code }, rp.redirectUri);
    expect(refused.status).toBe(400);
  });
});
