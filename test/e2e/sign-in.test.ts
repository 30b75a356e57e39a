// The spine end to end with a real relying party: discovery, PKCE, password, TOTP enrolment with
// codes from oathtool, code exchange, ID token verified against JWKS — on PGlite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DB_KINDS } from '../helpers/database.ts';
import { createUser, finish, firstSignIn, start, steppingClock, submitPassword, submitTotp } from '../helpers/journey.ts';
import { createRp, type Rp } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe.each(DB_KINDS)('sign-in with password and authenticator app (%s)', (db) => {
  const clock = steppingClock();
  let server: TestServer;
  let rp: Rp;

  beforeAll(async () => {
    server = await startTestServer({ db, now: clock.now });
    rp = await createRp(server.url, server.services);
    await createUser(server.services, 'tanaka', 'correct horse battery', { name: '田中 太郎' });
  });
  afterAll(() => server.close());

  let secret: string;

  it('enrols an authenticator on first sign-in and issues a verified ID token with amr and acr', async () => {
    const result = await firstSignIn(rp, 'tanaka', 'correct horse battery', clock);
    secret = result.secret;
    const claims = result.tokens.claims()!;
    const user = await server.services.users.findByUsername('tanaka');
    expect(claims.iss).toBe(server.url);
    expect(claims.aud).toContain(rp.clientId);
    expect(claims.sub).toBe(user!.id);
    expect(claims.nonce).toBe(result.request.nonce);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claims.acr).toBe('https://refeds.org/profile/mfa');
    expect(typeof claims.auth_time).toBe('number');
    expect(typeof claims.sid).toBe('string');
    expect(result.tokens.access_token).toBeTruthy();
    expect(result.tokens.refresh_token).toBeTruthy();
    const header = JSON.parse(Buffer.from(result.tokens.id_token!.split('.')[0]!, 'base64url').toString());
    expect(header.alg).toBe('ES256');
  });

  it('asks for the authenticator code on the next sign-in', async () => {
    clock.nextStep();
    const s = await start(rp, { prompt: 'login' });
    const page = await submitPassword(s, rp, 'tanaka', 'correct horse battery');
    expect(page.url).toMatch(/second-factor$/);
    // Enrolling a new authenticator is no way around proving the one the user has.
    for (const step of ['enrol', 'enrol/app']) {
      const sidestep = await s.agent.get(page.url.replace(/second-factor$/, step));
      expect(sidestep.location).toMatch(/second-factor$/);
    }
    const done = await submitTotp(s.agent, page, rp, secret, clock);
    const tokens = await finish(s, rp, done);
    expect(tokens.claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
  });

  it('publishes ES256 and RS256 keys and the acr values', async () => {
    const discovery = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json();
    expect(discovery.acr_values_supported).toContain('https://refeds.org/profile/mfa');
    expect(discovery.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'RS256']));
    const jwks = await (await fetch(`${server.url}/jwks`)).json();
    expect(jwks.keys.map((k: { alg: string }) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(jwks.keys.every((k: { d?: string }) => k.d === undefined)).toBe(true);
  });
});
