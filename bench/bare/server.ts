// The bench's baseline: oidc-provider with nothing of Sekisho around it — its in-memory adapter,
// one static client, users in a Map, two hand-written pages — driven by the same client flow as the
// real server, so the bench can tell what oidc-provider itself costs next to Sekisho's own work.
// A floor, not a product: no TOTP replay store, no lockout, no audit, no database.
// Started by bench/lib/server.ts like the real server; reads PORT, HOST, ISSUER and BARE_SEED_FILE
// (JSON: the seeded users, the bench password and the client).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import argon2 from 'argon2';
import { exportJWK, generateKeyPair } from 'jose';
import type { Context, Next } from 'koa';
import { Provider, type Account, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import * as OTPAuth from 'otpauth';
import { ARGON2_OPTIONS } from '../../methods/password/argon2.ts';
import { LIFETIMES } from '../../provider/lifetimes.ts';
import type { Seeded } from '../lib/seed.ts';

const env = process.env;
const seeded = JSON.parse(readFileSync(env.BARE_SEED_FILE!, 'utf8')) as Seeded;
const issuer = env.ISSUER!;

// Every user shares the one hash, as in the seeded database: each login still pays one full verification.
const passwordHash = await argon2.hash(seeded.password, ARGON2_OPTIONS);
const users = new Map(
  seeded.users.map((u) => [
    u.username,
    new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(u.totpSecret), algorithm: 'SHA1', digits: 6, period: 30 }),
  ]),
);

const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: `bare-${randomBytes(4).toString('hex')}`, alg: 'ES256', use: 'sig' };
const cookie = { httpOnly: true, sameSite: 'lax' as const, secure: false, signed: true };

async function findAccount(_ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> {
  if (!users.has(sub)) return undefined;
  return {
    accountId: sub,
    claims: async () => ({ sub, preferred_username: sub, name: sub, locale: 'ja', email: `${sub}@example.ac.jp`, email_verified: true }),
  };
}

// Sekisho's settings that shape a sign-in's cost: code flow, PKCE required, ES256 ID tokens,
// client_secret_basic, the same claims and lifetimes.
const configuration: Configuration = {
  clients: [
    {
      client_id: seeded.client.clientId,
      client_secret: seeded.client.secret,
      redirect_uris: [seeded.client.redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
      scope: 'openid profile email',
    },
  ],
  jwks: { keys: [signingKey] } as Configuration['jwks'],
  findAccount,
  cookies: { keys: [randomBytes(24).toString('base64url')], long: cookie, short: cookie },
  claims: {
    openid: ['sub', 'acr', 'amr', 'auth_time'],
    profile: ['name', 'preferred_username', 'locale'],
    email: ['email', 'email_verified'],
  },
  scopes: ['openid', 'profile', 'email'],
  responseTypes: ['code'],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: { ...LIFETIMES },
};

const provider = new Provider(issuer, configuration);

// Bound to the interaction: its uid is also the value of the interaction cookie interactionDetails checks.
const csrfKey = randomBytes(32);
const csrfFor = (uid: string) => createHmac('sha256', csrfKey).update(uid).digest('base64url');
function csrfOk(uid: string, sent: string | null): boolean {
  const want = Buffer.from(csrfFor(uid));
  const got = Buffer.from(sent ?? '');
  return got.length === want.length && timingSafeEqual(got, want);
}

async function readForm(ctx: Context): Promise<URLSearchParams> {
  ctx.req.setEncoding('utf8');
  let body = '';
  for await (const chunk of ctx.req as AsyncIterable<string>) {
    body += chunk;
    if (body.length > 4096) ctx.throw(413);
  }
  return new URLSearchParams(body);
}

const page = (title: string, uid: string, action: string, fields: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>` +
  `<form method="post" action="/interaction/${uid}/${action}"><input type="hidden" name="csrf" value="${csrfFor(uid)}">${fields}` +
  `<button type="submit">Continue</button></form></body></html>`;

const loginPage = (uid: string) =>
  page('Sign in', uid, 'login', '<input name="username" autocomplete="username"><input name="password" type="password" autocomplete="current-password">');
const totpPage = (uid: string) => page('Authenticator code', uid, 'verify/totp', '<input name="code" inputmode="numeric" autocomplete="one-time-code">');

/** Who passed the password step of this interaction; kept in the interaction record itself. */
interface PasswordPassed {
  bare: { accountId: string };
}

async function interactionRoutes(ctx: Context, next: Next): Promise<void> {
  if (ctx.path === '/healthz') {
    ctx.body = { status: 'ok' };
    return;
  }
  const m = /^\/interaction\/([^/]+)(?:\/(login|totp|verify\/totp))?$/.exec(ctx.path);
  if (!m) return next();
  const [, uid, step] = m;
  const post = ctx.method === 'POST';
  if (post !== (step === 'login' || step === 'verify/totp')) ctx.throw(405);
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== uid || details.prompt.name !== 'login') ctx.throw(400, 'unexpected interaction');
  const form = post ? await readForm(ctx) : undefined;
  if (form && !csrfOk(uid, form.get('csrf'))) ctx.throw(403, 'bad csrf token');
  const passed = (details.result as Partial<PasswordPassed> | undefined)?.bare?.accountId;
  ctx.type = 'html';

  if (step === undefined) {
    ctx.body = loginPage(uid);
  } else if (step === 'login') {
    const username = form!.get('username') ?? '';
    // Unknown names pay the same verification, so timing does not tell them apart.
    const ok = (await argon2.verify(passwordHash, form!.get('password') ?? '')) && users.has(username);
    if (!ok) {
      ctx.body = loginPage(uid);
      return;
    }
    details.result = { bare: { accountId: username } } satisfies PasswordPassed;
    await details.save(details.exp - Math.floor(Date.now() / 1000));
    // Post/redirect/get, as Sekisho's login does, so both serve the same number of requests.
    ctx.status = 303;
    ctx.redirect(`/interaction/${uid}/totp`);
  } else if (!passed) {
    ctx.redirect(`/interaction/${uid}`);
  } else if (step === 'totp') {
    ctx.body = totpPage(uid);
  } else {
    if (users.get(passed)!.validate({ token: form!.get('code') ?? '', window: 1 }) === null) {
      ctx.body = totpPage(uid);
      return;
    }
    // Consent is not asked: the bench's client gets what it requested, as Sekisho's first-party clients do.
    const grant = new provider.Grant({ accountId: passed, clientId: String(details.params.client_id) });
    grant.addOIDCScope('openid profile email');
    const grantId = await grant.save();
    const returnTo = await provider.interactionResult(
      ctx.req,
      ctx.res,
      { login: { accountId: passed, amr: ['pwd', 'otp'], remember: true }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
    ctx.status = 303;
    ctx.redirect(returnTo);
  }
}

provider.use(interactionRoutes);
const server = provider.listen(Number(env.PORT), env.HOST ?? '127.0.0.1', () => console.log(`bare oidc-provider listening on ${issuer}`));
const stop = () => {
  server.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
