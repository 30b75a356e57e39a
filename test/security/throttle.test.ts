// The per-address ceiling on sign-in forms answers 429 with a localized page; token requests from
// a broker's single address are not throttled.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent } from '../helpers/agent.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('form throttle per address', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { SEKISHO_POSTS_PER_MINUTE_PER_IP: '3' } });
  });
  afterAll(() => server.close());

  it('refuses the fourth form post in a minute with 429 and Retry-After, in the page language', async () => {
    const agent = new Agent({ 'accept-language': 'en' });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await agent.post(`${server.url}/interaction/nope/login`, { username: 'x' })).status);
    expect(statuses.slice(0, 3).every((s) => s !== 429)).toBe(true);
    const last = await agent.post(`${server.url}/interaction/nope/login`, { username: 'x' });
    expect(last.status).toBe(429);
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last.html).toContain('Too many requests');
  });

  it('leaves the token endpoint to oidc-provider', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${server.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=authorization_code' });
      expect(res.status).not.toBe(429);
    }
  });
});
