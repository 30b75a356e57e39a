// Signing in to the Security info page: the authorization code flow with PKCE and a nonce against
// Sekisho's own endpoints, like any other relying party. The code is exchanged at the token endpoint
// over HTTP (the page is a client, not a back door into the provider) and the ID token is checked
// against the provider's published keys; only a sign-in with two factors opens the page.
import { createHash, randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import { jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { HttpError } from '../app/http/errors.ts';
import type { Lang } from '../app/i18n.ts';
import type { AccountClient } from './client.ts';
import {
  LOGIN_COOKIE,
  LOGIN_SECONDS,
  SESSION_COOKIE,
  SESSION_SECONDS,
  type AccountSession,
  type CookieJar,
  type LoginState,
  type SignedValues,
} from './session.ts';

export interface SignInDeps {
  issuer: string;
  client: AccountClient;
  signer: SignedValues;
  jar: CookieJar;
  /** The provider's signing keys (its JWKS). */
  keys: JWTVerifyGetKey;
  now: () => number;
}

/** The token endpoint is this server; a slow answer means it cannot be reached at the issuer address. */
const TOKEN_TIMEOUT_MS = 10_000;
const random = () => randomBytes(32).toString('base64url');
const seconds = (ms: number) => Math.floor(ms / 1000);

/** Starts a sign-in and returns the address to send the browser to; `fresh` asks for the password again. */
export function beginSignIn(deps: SignInDeps, ctx: Context, options: { fresh: boolean; lang: Lang }): string {
  const login: LoginState = { state: random(), nonce: random(), verifier: random(), exp: seconds(deps.now()) + LOGIN_SECONDS };
  deps.jar.write(ctx, LOGIN_COOKIE, deps.signer.sign('account-login', login), LOGIN_SECONDS);
  const url = new URL(`${deps.issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: deps.client.clientId,
    redirect_uri: deps.client.redirectUri,
    response_type: 'code',
    scope: 'openid',
    state: login.state,
    nonce: login.nonce,
    code_challenge: createHash('sha256').update(login.verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ui_locales: options.lang,
    ...(options.fresh ? { prompt: 'login' } : {}),
  }).toString();
  return url.toString();
}

async function exchangeCode(deps: SignInDeps, code: string, verifier: string): Promise<string> {
  const basic = Buffer.from(`${encodeURIComponent(deps.client.clientId)}:${encodeURIComponent(deps.client.secret)}`).toString('base64');
  let res: Response;
  try {
    res = await fetch(`${deps.issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: deps.client.redirectUri, code_verifier: verifier }).toString(),
      signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
    });
  } catch (err) {
    // The server cannot reach its own issuer address (a proxy that does not route back to itself).
    throw new HttpError(503, 'account.errors.signInFailed', `token endpoint unreachable: ${err instanceof Error ? err.message : String(err)}`);
  }
  const body = (await res.json().catch(() => ({}))) as { id_token?: unknown; error?: unknown };
  if (!res.ok || typeof body.id_token !== 'string') throw new HttpError(400, 'account.errors.signInFailed', `token endpoint: ${res.status} ${String(body.error)}`);
  return body.id_token;
}

async function verifyIdToken(deps: SignInDeps, idToken: string, nonce: string): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(idToken, deps.keys, {
      issuer: deps.issuer,
      audience: deps.client.clientId,
      algorithms: ['ES256', 'RS256'],
      currentDate: new Date(deps.now()),
    });
    if (payload.nonce !== nonce) throw new Error('nonce mismatch');
    return payload;
  } catch (err) {
    throw new HttpError(400, 'account.errors.signInFailed', `id token: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Finishes the sign-in at /account/callback and starts the page's session. */
export async function completeSignIn(deps: SignInDeps, ctx: Context): Promise<AccountSession> {
  const nowSeconds = seconds(deps.now());
  const login = deps.signer.verify<LoginState>('account-login', deps.jar.read(ctx, LOGIN_COOKIE), nowSeconds);
  deps.jar.clear(ctx, LOGIN_COOKIE);
  const query = ctx.query as Record<string, string | string[] | undefined>;
  if (!login || query.state !== login.state) throw new HttpError(400, 'account.errors.signInExpired', 'state missing or different');
  if (typeof query.error === 'string') throw new HttpError(400, 'account.errors.signInCancelled', `authorization error ${query.error}`);
  if (typeof query.code !== 'string' || query.code.length > 512) throw new HttpError(400, 'account.errors.signInFailed', 'no code');
  const claims = await verifyIdToken(deps, await exchangeCode(deps, query.code, login.verifier), login.nonce);
  const amr = Array.isArray(claims.amr) ? claims.amr : [];
  if (!amr.includes('mfa')) throw new HttpError(403, 'account.errors.mfaRequired', 'sign-in without two factors');
  if (typeof claims.sub !== 'string' || typeof claims.sid !== 'string' || typeof claims.auth_time !== 'number' || typeof claims.iat !== 'number') {
    throw new HttpError(400, 'account.errors.signInFailed', 'id token without sub, sid, iat or auth_time');
  }
  // The sign-in's age is measured on the provider's clock (iat − auth_time) and carried over to ours,
  // so clocks that differ between instances (or an injected clock in tests) cannot make it look younger.
  const authTime = nowSeconds - Math.max(0, claims.iat - claims.auth_time);
  const session: AccountSession = { sub: claims.sub, sid: claims.sid, authTime, iat: nowSeconds, exp: nowSeconds + SESSION_SECONDS };
  deps.jar.write(ctx, SESSION_COOKIE, deps.signer.sign('account-session', session), SESSION_SECONDS);
  return session;
}

export function readSession(deps: Pick<SignInDeps, 'signer' | 'jar' | 'now'>, ctx: Context): AccountSession | undefined {
  return deps.signer.verify<AccountSession>('account-session', deps.jar.read(ctx, SESSION_COOKIE), seconds(deps.now()));
}
