// Authentication context classes end to end with openid-client: requested and met, requested and
// unmet (an OIDC error, never a weaker acr), step-up of a password-only session asking only for the
// missing factor, essential acr through the claims parameter, and max_age / prompt=login forcing a
// fresh sign-in with a correct auth_time — on PGlite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ACR } from '../../provider/acr.ts';
import { Agent, type Page } from '../helpers/agent.ts';
import { DB_KINDS } from '../helpers/database.ts';
import { createUser, finish, firstSignIn, start, steppingClock, submitPassword, submitTotp, type Started } from '../helpers/journey.ts';
import { createRp, type Rp } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const PASSWORD = 'correct horse battery';
const PHISHING_RESISTANT = 'https://refeds.org/profile/mfa/phishing-resistant';

/** The error a flow ended with, as the relying party receives it on its redirect_uri. */
async function errorAtRp(s: Started, rp: Rp, page: Page = s.page) {
  const landing = await s.agent.follow(page, rp.redirectUri);
  expect(landing.location?.startsWith(rp.redirectUri)).toBe(true);
  const params = new URL(landing.location!).searchParams;
  expect(params.get('state')).toBe(s.request.state);
  expect(params.get('code')).toBeNull();
  return params;
}

const claimsFor = (acr: { essential?: boolean; value?: string; values?: string[] }) => JSON.stringify({ id_token: { acr: acr } });
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe.each(DB_KINDS)('acr values and step-up (%s)', (db) => {
  const clock = steppingClock();
  let server: TestServer;
  let required: Rp;
  let optional: Rp;
  let secret: string;
  let sub: string;

  /** A fresh browser holding a password-only session (client with policy 'optional'). */
  async function passwordOnlySession(): Promise<{ agent: Agent; claims: Record<string, unknown> }> {
    const s = await start(optional);
    expect(s.page.html).toContain('name="password"');
    const page = await submitPassword(s, optional, 'sato', PASSWORD);
    const tokens = await finish(s, optional, page);
    return { agent: s.agent, claims: tokens.claims()! };
  }

  /** Expects the step-up page (the code, not the password) and answers it. */
  async function stepUp(s: Started, rp: Rp) {
    expect(s.page.url).toMatch(/\/second-factor$/);
    expect(s.page.html).not.toContain('name="password"');
    clock.nextStep();
    return finish(s, rp, await submitTotp(s.agent, s.page, rp, secret, clock));
  }

  beforeAll(async () => {
    server = await startTestServer({ db, now: clock.now });
    required = await createRp(server.url, server.services, { mfaPolicy: 'required' });
    optional = await createRp(server.url, server.services, { mfaPolicy: 'optional' });
    sub = (await createUser(server.services, 'sato', PASSWORD)).id;
    secret = (await firstSignIn(required, 'sato', PASSWORD, clock)).secret;
  });
  afterAll(() => server.close());

  it('advertises every acr value in discovery', async () => {
    const discovery = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json();
    expect(discovery.acr_values_supported).toEqual(
      expect.arrayContaining([ACR.sfa, ACR.mfa, ACR.gakuninAal2, ACR.papeMfa, PHISHING_RESISTANT]),
    );
    expect(discovery.claims_parameter_supported).toBe(true);
  });

  it('gives a password-only session acr sfa for a client whose policy is optional', async () => {
    const { claims } = await passwordOnlySession();
    expect(claims.acr).toBe(ACR.sfa);
    expect(claims.amr).toEqual(['pwd']);
    expect(claims.sub).toBe(sub);
  });

  it('steps a password-only session up with acr_values=mfa, asking only for the code', async () => {
    const { agent, claims: before } = await passwordOnlySession();
    const s = await start(optional, { acr_values: ACR.mfa }, agent);
    const tokens = await stepUp(s, optional);
    const claims = tokens.claims()!;
    expect(claims.acr).toBe(ACR.mfa);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(claims.sub).toBe(before.sub);
    expect(claims.sid).toBe(before.sid);
    // The step-up is the latest authentication of the session.
    expect(claims.auth_time).toBeGreaterThanOrEqual(before.auth_time as number);
    expect(claims.auth_time).toBeLessThanOrEqual(nowSeconds());
  });

  it('steps up for an essential acr asked for through the claims parameter', async () => {
    const { agent } = await passwordOnlySession();
    const s = await start(optional, { claims: claimsFor({ essential: true, value: ACR.mfa }) }, agent);
    const claims = (await stepUp(s, optional)).claims()!;
    expect(claims.acr).toBe(ACR.mfa);
    expect(claims.amr).toContain('otp');
  });

  it('steps up for a client whose minimum is an acr value (GakuNin AAL2) and names that value', async () => {
    const gakunin = await createRp(server.url, server.services, { mfaPolicy: ACR.gakuninAal2 });
    const { agent } = await passwordOnlySession();
    const s = await start(gakunin, {}, agent);
    const claims = (await stepUp(s, gakunin)).claims()!;
    expect(claims.acr).toBe(ACR.gakuninAal2);
    // What the request names comes first; without a name the session's own level is reported.
    const named = await start(gakunin, { acr_values: ACR.papeMfa }, agent);
    expect((await finish(named, gakunin, named.page)).claims()!.acr).toBe(ACR.papeMfa);
    const other = await start(optional, {}, agent);
    expect((await finish(other, optional, other.page)).claims()!.acr).toBe(ACR.mfa);
  });

  it('answers each two-factor value asked for by a signed-in two-factor session without asking again', async () => {
    const s = await start(required);
    const page = await submitPassword(s, required, 'sato', PASSWORD);
    clock.nextStep();
    await finish(s, required, await submitTotp(s.agent, page, required, secret, clock));
    for (const acr of [ACR.mfa, ACR.gakuninAal2, ACR.papeMfa]) {
      const again = await start(required, { acr_values: acr }, s.agent);
      expect(again.page.location).toContain(required.redirectUri);
      expect((await finish(again, required, again.page)).claims()!.acr).toBe(acr);
    }
    // Essential, with a list: the first value the session satisfies.
    const listed = await start(required, { claims: claimsFor({ essential: true, values: [PHISHING_RESISTANT, ACR.papeMfa] }) }, s.agent);
    expect((await finish(listed, required, listed.page)).claims()!.acr).toBe(ACR.papeMfa);
    // A single-factor value asked of a two-factor session: the session is stronger, so that value holds.
    const sfa = await start(required, { acr_values: ACR.sfa }, s.agent);
    expect((await finish(sfa, required, sfa.page)).claims()!.acr).toBe(ACR.sfa);
  });

  it('ends with unmet_authentication_requirements when the phishing-resistant value is asked for (acr_values)', async () => {
    const s = await start(required, { acr_values: PHISHING_RESISTANT });
    const params = await errorAtRp(s, required);
    expect(params.get('error')).toBe('unmet_authentication_requirements');
    expect(params.get('iss')).toBe(server.url);
  });

  it('ends with unmet_authentication_requirements for an essential phishing-resistant acr, even from a two-factor session', async () => {
    const s = await start(required);
    const page = await submitPassword(s, required, 'sato', PASSWORD);
    clock.nextStep();
    await finish(s, required, await submitTotp(s.agent, page, required, secret, clock));
    const again = await start(required, { claims: claimsFor({ essential: true, value: PHISHING_RESISTANT }) }, s.agent);
    expect((await errorAtRp(again, required)).get('error')).toBe('unmet_authentication_requirements');
  });

  it('ends with unmet_authentication_requirements for a client whose minimum is phishing-resistant', async () => {
    const strict = await createRp(server.url, server.services, { mfaPolicy: PHISHING_RESISTANT });
    const s = await start(strict);
    expect((await errorAtRp(s, strict)).get('error')).toBe('unmet_authentication_requirements');
  });

  it('ends with unmet_authentication_requirements for an essential acr with no value known here; unknown voluntary values are ignored', async () => {
    const unknown = 'https://example.org/assurance/level-9';
    const s = await start(required, { claims: claimsFor({ essential: true, values: [unknown] }) });
    expect((await errorAtRp(s, required)).get('error')).toBe('unmet_authentication_requirements');
    // The same value asked for voluntarily is only a wish: the sign-in goes ahead.
    const voluntary = await start(required, { acr_values: unknown });
    expect(voluntary.page.html).toContain('name="password"');
  });

  it('answers prompt=none with unmet_authentication_requirements when no sign-in could meet the request', async () => {
    const s = await start(required);
    const page = await submitPassword(s, required, 'sato', PASSWORD);
    clock.nextStep();
    await finish(s, required, await submitTotp(s.agent, page, required, secret, clock));
    const silent = await start(required, { prompt: 'none', acr_values: PHISHING_RESISTANT }, s.agent);
    expect((await errorAtRp(silent, required)).get('error')).toBe('unmet_authentication_requirements');
  });

  it('refuses a client whose sekisho_mfa_policy is neither required, optional nor a supported acr', async () => {
    const odd = await createRp(server.url, server.services, { mfaPolicy: 'https://example.org/unknown-level' });
    const s = await start(odd);
    expect(s.page.status).toBe(400);
    expect(s.page.location).toBeUndefined();
  });

  it('answers prompt=none that needs a step-up with login_required instead of a weaker acr', async () => {
    const { agent } = await passwordOnlySession();
    const s = await start(optional, { acr_values: ACR.mfa, prompt: 'none' }, agent);
    expect((await errorAtRp(s, optional)).get('error')).toBe('login_required');
  });

  it('forces a fresh sign-in (password and code) when the session is older than max_age; auth_time is the new sign-in', async () => {
    const s = await start(required);
    const page = await submitPassword(s, required, 'sato', PASSWORD);
    clock.nextStep();
    const first = (await finish(s, required, await submitTotp(s.agent, page, required, secret, clock))).claims()!;

    // Within max_age the session is reused and auth_time is still the sign-in's.
    const reused = await start(required, { max_age: '3600' }, s.agent);
    expect((await finish(reused, required, reused.page)).claims()!.auth_time).toBe(first.auth_time);

    // Age the session by ten minutes instead of waiting.
    await server.services.db.query(
      `UPDATE oidc_models SET payload = jsonb_set(payload, '{loginTs}', to_jsonb((payload->>'loginTs')::bigint - 600))
       WHERE model = 'Session' AND payload->>'accountId' = $1`,
      [sub],
    );
    const aged = await start(required, { max_age: '300' }, s.agent);
    expect(aged.page.html).toContain('name="password"');
    const code = await submitPassword(aged, required, 'sato', PASSWORD);
    expect(code.url).toMatch(/\/second-factor$/);
    clock.nextStep();
    const fresh = (await finish(aged, required, await submitTotp(s.agent, code, required, secret, clock))).claims()!;
    expect(fresh.auth_time).toBeGreaterThanOrEqual(first.auth_time as number);
    expect(fresh.acr).toBe(ACR.mfa);
  });

  it('forces a fresh sign-in with prompt=login even from a two-factor session', async () => {
    const s = await start(required);
    const page = await submitPassword(s, required, 'sato', PASSWORD);
    clock.nextStep();
    await finish(s, required, await submitTotp(s.agent, page, required, secret, clock));
    const again = await start(required, { prompt: 'login' }, s.agent);
    expect(again.page.html).toContain('name="password"');
    const code = await submitPassword(again, required, 'sato', PASSWORD);
    expect(code.url).toMatch(/\/second-factor$/);
  });
});
