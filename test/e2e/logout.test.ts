// Sign-out end to end: RP-initiated logout (with and without id_token_hint, post_logout_redirect_uri
// and state), OIDC Back-Channel Logout tokens received by relying parties on 127.0.0.1 and verified
// against the JWKS, "sign out everywhere" revoking sessions and tokens, and the outbox retrying a
// relying party that was down — on PGlite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { resetMfa, setUserDisabled } from '../../admin/operations/users.ts';
import { deliverDueLogouts, pendingLogouts, signOutEverywhere } from '../../provider/backchannel-outbox.ts';
import { Agent, type Page } from '../helpers/agent.ts';
import { DB_KINDS } from '../helpers/database.ts';
import { createUser, finish, firstSignIn, start, steppingClock, submitPassword, submitTotp } from '../helpers/journey.ts';
import { startLogoutReceiver, verifyLogoutToken, type LogoutReceiver } from '../helpers/logout-receiver.ts';
import { createRp, type Rp } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const PASSWORD = 'correct horse battery';
const LOGGED_OUT = 'https://rp.example.ac.jp/logged-out';

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  // Waits for an effect the server produces after answering; generous, and never asserts how long it took.
  for (let i = 0; i < 300; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe.each(DB_KINDS)('logout (%s)', (db) => {
  const clock = steppingClock();
  let server: TestServer;
  let receiver: LogoutReceiver;
  let alpha: Rp;
  let beta: Rp;
  let userId: string;
  let secret: string;

  const withBackchannel = (name: string) => ({ metadata: { backchannel_logout_uri: receiver.uri(name), post_logout_redirect_uris: [LOGGED_OUT] } });

  /** Signs in at rp with the agent's session: password and code when asked, nothing when the session suffices. */
  async function signIn(rp: Rp, agent: Agent) {
    const s = await start(rp, {}, agent);
    let page: Page = s.page;
    if (page.html.includes('name="password"')) page = await submitPassword(s, rp, 'suzuki', PASSWORD);
    if (page.url.endsWith('/second-factor')) {
      clock.nextStep();
      page = await submitTotp(agent, page, rp, secret, clock);
    }
    return finish(s, rp, page);
  }

  /**
   * Delivers what is due until nothing of the user's is left. The server's own delivery timer may
   * take a notification first; either way it arrives, which is what is checked.
   */
  async function deliveredAll(): Promise<void> {
    await until(async () => {
      await deliverDueLogouts(server.services, server.provider, { now: clock.now });
      return (await pendingLogouts(server.services.db, userId)).length === 0;
    }, 'queued logout notifications to be delivered');
  }

  function endSessionUrl(params: Record<string, string>): string {
    return `${server.url}/session/end?${new URLSearchParams(params)}`;
  }

  /**
   * Confirms the logout page ("sign out of Sekisho too") and returns where the browser is sent. With
   * no session left there is nothing to confirm and the page submits itself; this submits it too.
   */
  async function confirmLogout(agent: Agent, page: Page): Promise<URL> {
    expect(page.status).toBe(200);
    const done = await agent.submit(page, '/session/end/confirm', { logout: 'yes' }, 'https://rp.example.ac.jp');
    return new URL(done.location ?? done.url);
  }

  beforeAll(async () => {
    receiver = await startLogoutReceiver();
    server = await startTestServer({ db, now: clock.now });
    alpha = await createRp(server.url, server.services, withBackchannel('alpha'));
    beta = await createRp(server.url, server.services, withBackchannel('beta'));
    userId = (await createUser(server.services, 'suzuki', PASSWORD)).id;
    secret = (await firstSignIn(alpha, 'suzuki', PASSWORD, clock)).secret;
  });
  afterAll(async () => {
    await server.close();
    await receiver.close();
  });

  it('RP-initiated logout with id_token_hint returns to post_logout_redirect_uri with state and notifies every client of the session', async () => {
    const agent = new Agent();
    const a = await signIn(alpha, agent);
    const b = await signIn(beta, agent);
    const [sentA, sentB] = [receiver.tokens('alpha').length, receiver.tokens('beta').length];

    const page = await agent.get(endSessionUrl({ id_token_hint: a.id_token!, post_logout_redirect_uri: LOGGED_OUT, state: 'st-1' }));
    expect(page.html).toContain('op.logoutForm');
    const back = await confirmLogout(agent, page);
    expect(`${back.origin}${back.pathname}`).toBe(LOGGED_OUT);
    expect(back.searchParams.get('state')).toBe('st-1');

    const tokenA = await verifyLogoutToken(receiver.tokens('alpha')[sentA]!, server.url, alpha.clientId);
    const tokenB = await verifyLogoutToken(receiver.tokens('beta')[sentB]!, server.url, beta.clientId);
    expect(tokenA.sub).toBe(userId);
    expect(tokenA.sid).toBe(a.claims()!.sid);
    expect(tokenB.sub).toBe(userId);
    expect(tokenB.sid).toBe(b.claims()!.sid);

    // The Sekisho session is gone: the next request asks for the password again.
    expect((await start(alpha, {}, agent)).page.html).toContain('name="password"');
  });

  it('RP-initiated logout without id_token_hint (client_id) still honours post_logout_redirect_uri and state', async () => {
    const agent = new Agent();
    await signIn(alpha, agent);
    const page = await agent.get(endSessionUrl({ client_id: alpha.clientId, post_logout_redirect_uri: LOGGED_OUT, state: 'st-2' }));
    const back = await confirmLogout(agent, page);
    expect(`${back.origin}${back.pathname}`).toBe(LOGGED_OUT);
    expect(back.searchParams.get('state')).toBe('st-2');
    expect((await start(alpha, {}, agent)).page.html).toContain('name="password"');
  });

  it('RP-initiated logout with no parameters ends the session on Sekisho’s own page', async () => {
    const agent = new Agent();
    await signIn(alpha, agent);
    const back = await confirmLogout(agent, await agent.get(endSessionUrl({})));
    expect(back.origin).toBe(server.url);
    const done = await agent.get(back.toString());
    expect(done.status).toBe(200);
    expect((await start(alpha, {}, agent)).page.html).toContain('name="password"');
  });

  it('accepts an id_token_hint whose session has already ended, and refuses one that was tampered with', async () => {
    const agent = new Agent();
    const a = await signIn(alpha, agent);
    await confirmLogout(agent, await agent.get(endSessionUrl({ id_token_hint: a.id_token!, post_logout_redirect_uri: LOGGED_OUT })));
    // Keycloak may send its logout after the user already signed out at Sekisho.
    const again = await confirmLogout(agent, await agent.get(endSessionUrl({ id_token_hint: a.id_token!, post_logout_redirect_uri: LOGGED_OUT, state: 'st-3' })));
    expect(again.searchParams.get('state')).toBe('st-3');

    const [h, p] = a.id_token!.split('.');
    const forged = `${h}.${p}.${Buffer.from('not the signature').toString('base64url')}`;
    const refused = await agent.get(endSessionUrl({ id_token_hint: forged, post_logout_redirect_uri: LOGGED_OUT, state: 'st-4' }));
    expect(refused.status).toBe(400);
    expect(refused.location).toBeUndefined();
  });

  it('sign out everywhere ends every session, revokes refresh and access tokens and sends each client a logout token', async () => {
    const phone = new Agent();
    const laptop = new Agent();
    const a = await signIn(alpha, phone);
    const b = await signIn(beta, laptop);
    const [sentA, sentB] = [receiver.tokens('alpha').length, receiver.tokens('beta').length];

    const report = await signOutEverywhere(server.services, server.provider, userId, { now: clock.now });
    // Both sessions, and any left by earlier tests, each notify the client they signed in to.
    expect(report.sessions).toBeGreaterThanOrEqual(2);
    expect(report).toMatchObject({ queued: report.sessions, delivered: report.sessions, retrying: 0 });

    const toAlpha = await Promise.all(receiver.tokens('alpha').slice(sentA).map((t) => verifyLogoutToken(t, server.url, alpha.clientId)));
    const toBeta = await Promise.all(receiver.tokens('beta').slice(sentB).map((t) => verifyLogoutToken(t, server.url, beta.clientId)));
    expect(toAlpha.map((t) => t.sid)).toContain(a.claims()!.sid);
    expect(toBeta.map((t) => t.sid)).toEqual([b.claims()!.sid]);
    expect([...toAlpha, ...toBeta].every((t) => t.sub === userId)).toBe(true);

    await expect(oidc.refreshTokenGrant(alpha.config, a.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.fetchUserInfo(beta.config, b.access_token, userId)).rejects.toThrow();
    expect((await start(alpha, {}, phone)).page.html).toContain('name="password"');
    expect((await start(beta, {}, laptop)).page.html).toContain('name="password"');
    expect(await pendingLogouts(server.services.db, userId)).toEqual([]);
  });

  it('keeps a notification for a client that is down and delivers it with backoff once it is back', async () => {
    const agent = new Agent();
    const b = await signIn(beta, agent);
    receiver.answer('beta', 503);
    const sent = receiver.tokens('beta').length;
    const report = await signOutEverywhere(server.services, server.provider, userId, { now: clock.now });
    expect(report).toMatchObject({ queued: 1, delivered: 0, retrying: 1 });
    const [pending] = await pendingLogouts(server.services.db, userId);
    expect(pending).toMatchObject({ clientId: beta.clientId, sid: b.claims()!.sid, attempts: 1 });
    expect(pending!.nextAttemptAt.getTime()).toBeGreaterThan(clock.now());

    // Not due yet: nothing is sent.
    expect(await deliverDueLogouts(server.services, server.provider, { now: clock.now })).toMatchObject({ delivered: 0, retrying: 0 });
    expect(receiver.tokens('beta').length).toBe(sent);

    // Back, and the delay has passed (moved on, not waited for).
    receiver.answer('beta', 200);
    clock.advance(pending!.nextAttemptAt.getTime() - clock.now() + 1);
    await deliveredAll();
    const token = await verifyLogoutToken(receiver.tokens('beta')[sent]!, server.url, beta.clientId);
    expect(token.sid).toBe(b.claims()!.sid);
    const failures = await server.services.audit.query({ userId, type: 'logout.backchannel_failed' });
    expect(failures[0]).toMatchObject({ clientId: beta.clientId, outcome: 'failure' });
  });

  it('retries a logout token that oidc-provider could not deliver during RP-initiated logout', async () => {
    const agent = new Agent();
    const a = await signIn(alpha, agent);
    const sent = receiver.tokens('alpha').length;
    receiver.answer('alpha', 500);
    await confirmLogout(agent, await agent.get(endSessionUrl({ id_token_hint: a.id_token!, post_logout_redirect_uri: LOGGED_OUT })));
    await until(async () => (await pendingLogouts(server.services.db, userId)).length > 0, 'the failed delivery to be queued');
    receiver.answer('alpha', 200);
    // Past any backoff the server's own timer may have added by trying meanwhile.
    clock.advance(2 * 3600_000);
    await deliveredAll();
    expect((await verifyLogoutToken(receiver.tokens('alpha')[sent]!, server.url, alpha.clientId)).sid).toBe(a.claims()!.sid);
  });

  it('IT disabling a user and resetting their MFA (sekisho user disable / reset-mfa) notify the clients', async () => {
    const ctx = { services: server.services, actor: 'cli', validateClient: async () => undefined };
    const agent = new Agent();
    const a = await signIn(alpha, agent);
    const sent = receiver.tokens('alpha').length;
    await setUserDisabled(ctx, 'suzuki', true);
    await deliveredAll();
    const disabled = await Promise.all(receiver.tokens('alpha').slice(sent).map((t) => verifyLogoutToken(t, server.url, alpha.clientId)));
    expect(disabled.map((t) => t.sid)).toContain(a.claims()!.sid);
    await setUserDisabled(ctx, 'suzuki', false);

    const b = await signIn(beta, new Agent());
    const sentB = receiver.tokens('beta').length;
    await resetMfa(ctx, 'suzuki');
    await deliveredAll();
    const reset = await Promise.all(receiver.tokens('beta').slice(sentB).map((t) => verifyLogoutToken(t, server.url, beta.clientId)));
    expect(reset.map((t) => [t.sid, t.sub])).toEqual([[b.claims()!.sid, userId]]);
  });
});
