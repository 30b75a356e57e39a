// Full sign-ins as a relying party and a browser without JavaScript would make them:
// authorization request with PKCE → login page → password → authenticator page → code →
// back to the RP with an authorization code → token request → ID token signature and claims.
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import * as OTPAuth from 'otpauth';
import { CookieJar, HttpClient, type Reply } from './lib/http.ts';
import type { BenchClient } from './lib/seed.ts';
import { summarise, type LatencySummary } from './lib/stats.ts';
import type { UserPick, UserPicker } from './lib/users.ts';

export class SignInError extends Error {
  readonly code = 'signin_failed';
  constructor(step: string, reply: Reply | undefined, detail = '') {
    super(`${step}: ${reply ? `HTTP ${reply.status} ${reply.location ?? ''} ${reply.body.slice(0, 300).replace(/\s+/g, ' ')}` : ''}${detail}`);
    this.name = 'SignInError';
  }
}

export interface SignInTarget {
  http: HttpClient;
  issuer: string;
  client: BenchClient;
  password: string;
  jwks: ReturnType<typeof createLocalJWKSet>;
  totpPeriod: number;
}

export async function signInTarget(issuer: string, client: BenchClient, password: string, maxSockets: number, totpPeriod = 30): Promise<SignInTarget> {
  const jwks = (await (await fetch(`${issuer}/jwks`)).json()) as JSONWebKeySet;
  return { http: new HttpClient(issuer, maxSockets), issuer, client, password, jwks: createLocalJWKSet(jwks), totpPeriod };
}

const b64url = (b: Buffer) => b.toString('base64url');
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** Action and CSRF token of the form whose action contains `actionPart`. */
function form(html: string, actionPart: string): { action: string; csrf: string } | undefined {
  for (const m of html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)) {
    const action = m[1]!.replaceAll('&amp;', '&');
    if (!action.includes(actionPart)) continue;
    const csrf = /name="csrf" value="([^"]*)"/.exec(m[2]!)?.[1];
    if (csrf !== undefined) return { action, csrf };
  }
  return undefined;
}

function pathOf(location: string, issuer: string): string {
  const u = new URL(location, issuer);
  return u.pathname + u.search;
}

/** Follows redirects on the server until a page answers or the next hop leaves for the RP. */
async function follow(t: SignInTarget, jar: CookieJar, reply: Reply): Promise<Reply> {
  let current = reply;
  for (let hops = 0; current.location && hops < 10; hops++) {
    if (current.location.startsWith(t.client.redirectUri)) return current;
    current = await t.http.send(pathOf(current.location, t.issuer), { jar });
  }
  return current;
}

async function submit(t: SignInTarget, jar: CookieJar, page: Reply, actionPart: string, fields: Record<string, string>): Promise<Reply> {
  const f = form(page.body, actionPart);
  if (!f) throw new SignInError(`no ${actionPart} form`, page);
  const body = new URLSearchParams({ csrf: f.csrf, ...fields }).toString();
  return follow(t, jar, await t.http.send(pathOf(f.action, t.issuer), { method: 'POST', headers: FORM, body, jar }));
}

/** One complete sign-in; throws SignInError naming the step that did not go as a sign-in should. */
export async function signIn(t: SignInTarget, pick: UserPick): Promise<void> {
  const jar = new CookieJar();
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(12));
  const nonce = b64url(randomBytes(12));
  const query = new URLSearchParams({
    client_id: t.client.clientId,
    redirect_uri: t.client.redirectUri,
    response_type: 'code',
    scope: 'openid profile email',
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const login = await follow(t, jar, await t.http.send(`/auth?${query}`, { jar }));
  if (login.status !== 200) throw new SignInError('login page', login);

  const second = await submit(t, jar, login, '/login', { username: pick.user.username, password: t.password });
  if (second.status !== 200) throw new SignInError('after password', second);

  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(pick.user.totpSecret), algorithm: 'SHA1', digits: 6, period: t.totpPeriod });
  const code = totp.generate({ timestamp: pick.step * t.totpPeriod * 1000 });
  const back = await submit(t, jar, second, '/verify/', { code });
  if (!back.location?.startsWith(t.client.redirectUri)) throw new SignInError('after authenticator code', back);

  const callback = new URL(back.location);
  if (callback.searchParams.get('state') !== state) throw new SignInError('callback state', back);
  const authCode = callback.searchParams.get('code');
  if (!authCode) throw new SignInError('callback without code', back);

  const basic = Buffer.from(`${encodeURIComponent(t.client.clientId)}:${encodeURIComponent(t.client.secret)}`).toString('base64');
  const token = await t.http.send('/token', {
    method: 'POST',
    headers: { ...FORM, authorization: `Basic ${basic}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: authCode, redirect_uri: t.client.redirectUri, code_verifier: verifier }).toString(),
  });
  if (token.status !== 200) throw new SignInError('token', token);
  const idToken = (JSON.parse(token.body) as { id_token?: string }).id_token;
  if (!idToken) throw new SignInError('token without id_token', token);
  const { payload } = await jwtVerify(idToken, t.jwks, { issuer: t.issuer, audience: t.client.clientId });
  if (payload.nonce !== nonce) throw new SignInError('id token', undefined, `nonce ${String(payload.nonce)}`);
  if (!Array.isArray(payload.amr) || !payload.amr.includes('otp')) throw new SignInError('id token', undefined, `amr ${JSON.stringify(payload.amr)}`);
}

export interface LoadOptions {
  concurrency: number;
  /** Measure for this long after the warm-up… */
  durationMs?: number;
  warmupMs?: number;
  /** …or run exactly this many sign-ins and measure all of them. */
  total?: number;
  /** Called when the measured window opens and closes (CPU and memory snapshots). */
  onWindowStart?: () => void;
  onWindowEnd?: () => void;
}

export interface LoadResult {
  concurrency: number;
  signIns: number;
  seconds: number;
  perSecond: number;
  latency: LatencySummary;
  errors: number;
  firstErrors: string[];
}

/** Keeps `concurrency` sign-ins in flight; counts those that finish inside the measured window. */
export async function runLoad(t: SignInTarget, picker: UserPicker, o: LoadOptions): Promise<LoadResult> {
  const timed = o.total === undefined;
  let measuring = false;
  let stopped = false;
  let windowStart = 0;
  let windowEnd = 0;
  let started = 0;
  let errors = 0;
  const latencies: number[] = [];
  const firstErrors: string[] = [];
  const timers: NodeJS.Timeout[] = [];
  const open = () => {
    measuring = true;
    windowStart = performance.now();
    o.onWindowStart?.();
    if (timed) timers.push(setTimeout(close, o.durationMs));
  };
  const close = () => {
    measuring = false;
    stopped = true;
    windowEnd = performance.now();
    o.onWindowEnd?.();
  };
  if (timed && o.warmupMs) timers.push(setTimeout(open, o.warmupMs));
  else open();

  async function worker(): Promise<void> {
    while (timed ? !stopped : started < o.total!) {
      const pick = picker.pick();
      if (!pick) {
        await new Promise((r) => setTimeout(r, picker.msToNextStep()));
        continue;
      }
      started++;
      const t0 = performance.now();
      try {
        await signIn(t, pick);
        if (measuring) latencies.push(performance.now() - t0);
      } catch (err) {
        errors++;
        if (firstErrors.length < 5) firstErrors.push(err instanceof Error ? err.message : String(err));
      }
    }
  }
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  timers.forEach(clearTimeout);
  if (!timed) close();
  const seconds = (windowEnd - windowStart) / 1000;
  return {
    concurrency: o.concurrency,
    signIns: latencies.length,
    seconds,
    perSecond: latencies.length / seconds,
    latency: summarise(latencies),
    errors,
    firstErrors,
  };
}
