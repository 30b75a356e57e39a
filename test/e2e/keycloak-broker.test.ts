// A relying party that sends what Keycloak's OIDC identity-provider broker sends (scope openid,
// code + PKCE, state, nonce, login_hint, ui_locales, its own kc_* extras, prompt, max_age, acr by
// acr_values or the claims parameter) and checks what Keycloak checks (iss, aud, azp, nonce, sid,
// session_state, the signature against the JWKS, userinfo sub), with each client authentication
// Keycloak offers. Then RP-initiated and back-channel logout the way Keycloak uses them.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { ACR } from '../../provider/acr.ts';
import { Agent, type Page } from '../helpers/agent.ts';
import { DB_KINDS } from '../helpers/database.ts';
import { createUser, finish, firstSignIn, start, steppingClock, submitPassword, submitTotp } from '../helpers/journey.ts';
import { startLogoutReceiver, verifyLogoutToken, type LogoutReceiver } from '../helpers/logout-receiver.ts';
import { registerClient, relyingParty, type AuthRequest, type Rp } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const PASSWORD = 'correct horse battery';
const REALM = 'https://sso.example.ac.jp/realms/campus/broker/sekisho/endpoint';
const LOGOUT_RESPONSE = `${REALM}/logout_response`;

type AuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

interface Broker extends Rp {
  /** The checks Keycloak makes on a token response; returns the ID token's claims. */
  check(tokens: Awaited<ReturnType<Rp['callback']>>, request: AuthRequest): Promise<Record<string, unknown>>;
}

async function createBroker(server: TestServer, method: AuthMethod, extra: Record<string, unknown> = {}): Promise<Broker> {
  const clientId = `keycloak-${method.replace(/_/g, '-')}-${Math.random().toString(36).slice(2, 8)}`;
  let auth: oidc.ClientAuth;
  let metadata: Record<string, unknown> = { token_endpoint_auth_method: method, post_logout_redirect_uris: [LOGOUT_RESPONSE], ...extra };
  let secret: string | null = `secret-${clientId}-0123456789abcdef`;
  if (method === 'private_key_jwt') {
    // Keycloak's "JWT signed with private key": its public key registered inline as jwks.
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const kid = `kc-${clientId}`;
    metadata = { ...metadata, token_endpoint_auth_signing_alg: 'ES256', jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] } };
    secret = null;
    auth = oidc.PrivateKeyJwt({ key: privateKey, kid });
  } else {
    auth = method === 'client_secret_basic' ? oidc.ClientSecretBasic(secret) : oidc.ClientSecretPost(secret);
  }
  const registered = await registerClient(server.services, { clientId, secret, redirectUri: REALM, metadata });
  const rp = await relyingParty(server.url, registered, {
    auth,
    execute: [oidc.allowInsecureRequests],
    // What Keycloak puts on the URL, including parameters meant for itself that Sekisho must ignore.
    authorizeParams: { scope: 'openid', response_type: 'code', kc_idp_hint: 'sekisho', kc_action: 'none', session_code: 'x7Q2', tab_id: 'Mf3aZq' },
  });
  const jwks = createRemoteJWKSet(new URL(rp.config.serverMetadata().jwks_uri!));

  return Object.assign<Rp, Pick<Broker, 'check'>>(rp, {
    async check(tokens, request) {
      expect(tokens.access_token).toBeTruthy();
      expect(tokens.id_token).toBeTruthy();
      expect(tokens.token_type.toLowerCase()).toBe('bearer');
      const { payload } = await jwtVerify(tokens.id_token!, jwks, { issuer: server.url, audience: clientId });
      expect(payload.iss).toBe(server.url);
      expect(payload.aud === clientId || (Array.isArray(payload.aud) && payload.aud.includes(clientId))).toBe(true);
      expect(payload.azp).toBe(clientId);
      expect(payload.nonce).toBe(request.nonce);
      expect(typeof payload.sid).toBe('string');
      expect(tokens.session_state).toBe(payload.sid);
      const userinfo = await oidc.fetchUserInfo(rp.config, tokens.access_token, payload.sub!);
      expect(userinfo.sub).toBe(payload.sub);
      return payload as Record<string, unknown>;
    },
  });
}

describe.each(DB_KINDS)('Keycloak broker checklist (%s)', (db) => {
  const clock = steppingClock();
  let server: TestServer;
  let receiver: LogoutReceiver;
  let basic: Broker;
  let secret: string;
  let sub: string;

  /** Signs in through the broker with the agent's session, answering whatever Sekisho asks. */
  async function signIn(broker: Broker, agent: Agent, params: Record<string, string> = {}) {
    const s = await start(broker, params, agent);
    let page: Page = s.page;
    if (page.html.includes('name="password"')) page = await submitPassword(s, broker, 'kato', PASSWORD);
    if (page.url.endsWith('/second-factor')) {
      clock.nextStep();
      page = await submitTotp(agent, page, broker, secret, clock);
    }
    const tokens = await finish(s, broker, page);
    return { tokens, claims: await broker.check(tokens, s.request), request: s.request, first: s.page };
  }

  /** Where the flow ended at the broker, when it ended with an error. */
  async function errorAtBroker(broker: Broker, agent: Agent, params: Record<string, string>) {
    const s = await start(broker, params, agent);
    expect(s.page.location?.startsWith(REALM)).toBe(true);
    const result = new URL(s.page.location!).searchParams;
    expect(result.get('state')).toBe(s.request.state);
    expect(result.get('iss')).toBe(server.url);
    return result.get('error');
  }

  beforeAll(async () => {
    receiver = await startLogoutReceiver();
    server = await startTestServer({ db, now: clock.now });
    basic = await createBroker(server, 'client_secret_basic', { backchannel_logout_uri: receiver.uri('keycloak') });
    sub = (await createUser(server.services, 'kato', PASSWORD, { email: 'kato@example.ac.jp' })).id;
    secret = (await firstSignIn(basic, 'kato', PASSWORD, clock)).secret;
  });
  afterAll(async () => {
    await server.close();
    await receiver.close();
  });

  it('publishes in discovery what Keycloak imports', async () => {
    const d = basic.config.serverMetadata();
    expect(d.issuer).toBe(server.url);
    expect(d.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'private_key_jwt']));
    expect(d.acr_values_supported).toEqual(expect.arrayContaining([ACR.mfa, ACR.sfa]));
    expect(d.claims_parameter_supported).toBe(true);
    expect(d.end_session_endpoint).toBe(`${server.url}/session/end`);
    expect(d.backchannel_logout_supported).toBe(true);
    expect(d.backchannel_logout_session_supported).toBe(true);
    expect(d.code_challenge_methods_supported).toEqual(['S256']);
  });

  it('client_secret_basic: a sign-in with login_hint, ui_locales and kc_* extras passes every broker check', async () => {
    const agent = new Agent();
    const { claims, first } = await signIn(basic, agent, { login_hint: 'kato', ui_locales: 'en' });
    expect(first.html).toMatch(/<input[^>]*id="username"[^>]*value="kato"/);
    expect(first.html).toContain('<html lang="en">');
    expect(claims.sub).toBe(sub);
    expect(claims.acr).toBe(ACR.mfa);
  });

  it('client_secret_post and private_key_jwt work, and a client cannot use a method it did not register', async () => {
    const agent = new Agent();
    await signIn(basic, agent);
    for (const method of ['client_secret_post', 'private_key_jwt'] as const) {
      const broker = await createBroker(server, method);
      const { claims } = await signIn(broker, agent);
      expect(claims.sub).toBe(sub);
    }
    // A private_key_jwt client presenting a shared secret instead is refused.
    const jwtClient = await createBroker(server, 'private_key_jwt');
    const s = await start(jwtClient, {}, agent);
    const wrong = await oidc.discovery(new URL(server.url), jwtClient.clientId, 'guessed-secret', oidc.ClientSecretBasic('guessed-secret'), {
      execute: [oidc.allowInsecureRequests],
    });
    const refused = await oidc
      .authorizationCodeGrant(wrong, new URL(s.page.location!), { pkceCodeVerifier: s.request.verifier, expectedNonce: s.request.nonce, expectedState: s.request.state })
      .then(() => undefined, (err: unknown) => err as { status?: number; cause?: { parameters?: { error?: string } }[] });
    expect(refused?.status).toBe(401);
    expect(refused?.cause?.[0]?.parameters?.error).toBe('invalid_client');
  });

  it('a refresh keeps answering with access_token, id_token (azp, sid) and session_state', async () => {
    const { tokens, claims } = await signIn(basic, new Agent());
    const refreshed = await oidc.refreshTokenGrant(basic.config, tokens.refresh_token!);
    expect(refreshed.access_token).toBeTruthy();
    const again = refreshed.claims()!;
    expect([again.sub, again.azp, again.sid]).toEqual([sub, basic.clientId, claims.sid]);
    expect(refreshed.session_state).toBe(claims.sid);
  });

  it('ui_locales picks the page language', async () => {
    const ja = await start(basic, { ui_locales: 'ja' });
    expect(ja.page.html).toContain('<html lang="ja">');
    const en = await start(basic, { ui_locales: 'en-US ja' });
    expect(en.page.html).toContain('<html lang="en">');
  });

  it('prompt=none: login_required without a session, a silent code with one', async () => {
    expect(await errorAtBroker(basic, new Agent(), { prompt: 'none' })).toBe('login_required');
    const agent = new Agent();
    const before = await signIn(basic, agent);
    const silent = await signIn(basic, agent, { prompt: 'none' });
    expect(silent.first.location?.startsWith(REALM)).toBe(true);
    expect(silent.claims.sid).toBe(before.claims.sid);
    expect(silent.claims.auth_time).toBe(before.claims.auth_time);
  });

  it('prompt=login and max_age=0 ask for the password and code again; max_age within the session does not', async () => {
    const agent = new Agent();
    await signIn(basic, agent);
    const forcing: Record<string, string>[] = [{ prompt: 'login' }, { max_age: '0' }];
    for (const params of forcing) {
      const again = await signIn(basic, agent, params);
      expect(again.first.html).toContain('name="password"');
      expect(typeof again.claims.auth_time).toBe('number');
    }
    const within = await signIn(basic, agent, { max_age: '3600' });
    expect(within.first.location?.startsWith(REALM)).toBe(true);
  });

  it('prompt=consent shows the consent page even to a first-party client', async () => {
    const agent = new Agent();
    await signIn(basic, agent);
    const s = await start(basic, { prompt: 'consent' }, agent);
    expect(s.page.url).toMatch(/\/interaction\/[^/]+$/);
    expect(s.page.html).toContain('name="decision"');
    const done = await s.agent.submit(s.page, '/consent', { decision: 'allow' }, REALM);
    await basic.check(await finish(s, basic, done), s.request);
  });

  it('acr through the claims parameter (essential) and acr_values; an unreachable acr is an error, never a weaker one', async () => {
    const agent = new Agent();
    await signIn(basic, agent);
    const essential = JSON.stringify({ id_token: { acr: { essential: true, values: [ACR.mfa] } } });
    expect((await signIn(basic, agent, { claims: essential })).claims.acr).toBe(ACR.mfa);
    expect((await signIn(basic, agent, { acr_values: ACR.gakuninAal2 })).claims.acr).toBe(ACR.gakuninAal2);
    const unreachable = JSON.stringify({ id_token: { acr: { essential: true, value: server.config.acrPhishingResistant } } });
    expect(await errorAtBroker(basic, agent, { claims: unreachable })).toBe('unmet_authentication_requirements');
  });

  it('RP-initiated logout as Keycloak sends it, and a back-channel logout token Keycloak can match', async () => {
    const agent = new Agent();
    const { tokens, claims } = await signIn(basic, agent);
    const sent = receiver.tokens('keycloak').length;
    const params = new URLSearchParams({
      id_token_hint: tokens.id_token!,
      client_id: basic.clientId,
      post_logout_redirect_uri: LOGOUT_RESPONSE,
      state: 'kc-logout-state',
      ui_locales: 'en',
    });
    const page = await agent.get(`${server.url}/session/end?${params}`);
    expect(page.html).toContain('op.logoutForm');
    const back = await agent.submit(page, '/session/end/confirm', { logout: 'yes' }, LOGOUT_RESPONSE);
    const url = new URL(back.location!);
    expect(`${url.origin}${url.pathname}`).toBe(LOGOUT_RESPONSE);
    expect(url.searchParams.get('state')).toBe('kc-logout-state');

    const token = await verifyLogoutToken(receiver.tokens('keycloak')[sent]!, server.url, basic.clientId);
    expect(token.sub).toBe(sub);
    expect(token.sid).toBe(claims.sid);
    expect(token.sid).toBe(tokens.session_state);
  });
});
