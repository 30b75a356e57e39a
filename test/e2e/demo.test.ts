// Development's first run: the demo account and /demo, a built-in relying party that shows the
// verified ID token's claims.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEMO_PASSWORD, DEMO_USER, ensureDemo } from '../../app/demo.ts';
import { Agent, text } from '../helpers/agent.ts';
import { totpCode } from '../helpers/oath.ts';
import { steppingClock } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('demo relying party', () => {
  const clock = steppingClock();
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ now: clock.now, env: { SEKISHO_DEMO: 'true' } });
    await ensureDemo(server.services);
    await ensureDemo(server.services); // idempotent
  });
  afterAll(() => server.close());

  it('signs the demo user in through the real pages and shows the verified claims', async () => {
    const agent = new Agent();
    const login = await agent.follow(await agent.get(`${server.url}/demo`));
    expect(login.url).toMatch(/\/interaction\//);
    const enrol = await agent.submit(login, '/login', { username: DEMO_USER, password: DEMO_PASSWORD });
    const setup = await agent.get(enrol.url + '/app');
    const secret = text(setup.html, 'manual-key')!.replace(/\s/g, '');
    let page = await agent.submit(setup, '/enrol/app', { code: totpCode(secret, { at: new Date(clock.now()) }) });
    if (page.url.endsWith('/after-enrol')) page = await agent.submit(page, '/continue', {});
    expect(page.url).toContain('/demo/callback');
    expect(page.status).toBe(200);
    const claims = JSON.parse(text(page.html, 'claims')!);
    expect(claims).toMatchObject({ iss: server.url, aud: 'sekisho-demo', amr: ['pwd', 'otp', 'mfa'], acr: 'https://refeds.org/profile/mfa' });
  });
});
