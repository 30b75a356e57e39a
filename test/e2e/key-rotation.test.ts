// Two-phase key rotation on a running server: the next key is published before it signs, and
// tokens signed by the old key keep verifying while it stays published.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { rotateSigningKeys } from '../../provider/keys.ts';
import { finish, firstSignIn, start, steppingClock, createUser } from '../helpers/journey.ts';
import { createRp, type Rp } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import type { Agent } from '../helpers/agent.ts';

describe('signing key rotation', () => {
  const clock = steppingClock();
  let server: TestServer;
  let rp: Rp;
  let agent: Agent;

  beforeAll(async () => {
    server = await startTestServer({ now: clock.now });
    rp = await createRp(server.url, server.services);
    await createUser(server.services, 'kato', 'kato password');
  });
  afterAll(() => server.close());

  /** A new ID token from the existing session (no pages: the session already has two factors). */
  async function idToken(): Promise<string> {
    const s = await start(rp, {}, agent);
    return (await finish(s, rp, s.page)).id_token!;
  }

  async function publishedKids(): Promise<string[]> {
    const jwks = (await (await fetch(`${server.url}/jwks`)).json()) as { keys: { kid: string }[] };
    return jwks.keys.map((k) => k.kid);
  }

  it('publishes the next key first, signs with it only after activation, and keeps the old one verifiable', async () => {
    const first = await firstSignIn(rp, 'kato', 'kato password', clock);
    agent = first.agent;
    const oldToken = first.tokens.id_token!;
    const oldKid = decodeProtectedHeader(oldToken).kid!;

    const published = await rotateSigningKeys(server.services.keys, server.services.box);
    expect(published.step).toBe('published');
    expect(await server.app.keys.check()).toBe(true);
    expect(await publishedKids()).toEqual(expect.arrayContaining([oldKid, ...published.kids]));
    // Relying parties refresh their key sets on their own schedule; the next key is there before it signs.
    await rp.refresh();
    expect(decodeProtectedHeader(await idToken()).kid).toBe(oldKid);

    const activated = await rotateSigningKeys(server.services.keys, server.services.box);
    expect(activated.step).toBe('activated');
    await server.app.keys.check();
    const newToken = await idToken();
    const newKid = decodeProtectedHeader(newToken).kid!;
    expect(published.kids).toContain(newKid);
    expect(await publishedKids()).toContain(oldKid);

    const jwks = createRemoteJWKSet(new URL(`${server.url}/jwks`));
    for (const token of [oldToken, newToken]) {
      const { payload } = await jwtVerify(token, jwks, { issuer: server.url, audience: rp.clientId, currentDate: new Date(clock.now()) });
      expect(payload.sub).toBeTruthy();
    }
  });
});
