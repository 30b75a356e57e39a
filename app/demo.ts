// Development only: a demo user, a demo client, and /demo — a tiny relying party that signs in
// through Sekisho and shows the verified ID token's claims.
import { createHash, randomBytes } from 'node:crypto';
import Router from '@koa/router';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { hashPassword } from '../methods/password/argon2.ts';
import { HttpError } from './http/errors.ts';
import { languageOf } from './http/locale.ts';
import { renderPage } from './http/render.ts';
import { translator } from './i18n.ts';
import type { Services } from './services.ts';

export const DEMO_USER = 'demo';
export const DEMO_PASSWORD = 'demo-password';
export const DEMO_CLIENT = 'sekisho-demo';

export async function ensureDemo(services: Services): Promise<string> {
  const { issuer } = services.config;
  if (!(await services.users.findByUsername(DEMO_USER))) {
    await services.users.create({ username: DEMO_USER, name: 'デモ 利用者', email: 'demo@example.ac.jp', locale: 'ja', passwordHash: await hashPassword(DEMO_PASSWORD) });
  }
  await services.clients.save({
    clientId: DEMO_CLIENT,
    metadata: {
      client_id: DEMO_CLIENT,
      client_name: 'Sekisho demo',
      redirect_uris: [`${issuer}/demo/callback`],
      post_logout_redirect_uris: [`${issuer}/demo`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      scope: 'openid profile email',
      sekisho_first_party: true,
      sekisho_mfa_policy: 'required',
    },
    secret: null,
    firstParty: true,
    admin: false,
    mfaPolicy: 'required',
  });
  return [
    '',
    '  Development mode: a demo account is ready.',
    `  Open ${issuer}/demo and sign in as "${DEMO_USER}" with the password "${DEMO_PASSWORD}".`,
    '  SMS codes and calls are printed here, marked [dev SMS] / [dev CALL].',
    '',
  ].join('\n');
}

const COOKIE = 'sekisho_demo';

export function createDemoRouter(services: Services): Router {
  const router = new Router();
  const { issuer } = services.config;
  const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));

  router.get('/demo', async (ctx) => {
    const verifier = randomBytes(32).toString('base64url');
    const state = randomBytes(16).toString('base64url');
    const nonce = randomBytes(16).toString('base64url');
    ctx.cookies.set(COOKIE, [verifier, state, nonce].join('.'), { httpOnly: true, sameSite: 'lax', signed: true, path: '/demo' });
    const url = new URL(`${issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: DEMO_CLIENT,
      response_type: 'code',
      scope: 'openid profile email',
      redirect_uri: `${issuer}/demo/callback`,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      state,
      nonce,
      ui_locales: languageOf(ctx),
    }).toString();
    ctx.redirect(url.toString());
  });

  router.get('/demo/callback', async (ctx) => {
    const [verifier, state, nonce] = (ctx.cookies.get(COOKIE, { signed: true }) ?? '').split('.');
    if (!verifier || ctx.query.state !== state || typeof ctx.query.code !== 'string') throw new HttpError(400, 'errors.badRequest');
    const response = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: ctx.query.code, redirect_uri: `${issuer}/demo/callback`, client_id: DEMO_CLIENT, code_verifier: verifier }),
    });
    const tokens = (await response.json()) as { id_token?: string };
    if (!tokens.id_token) throw new HttpError(400, 'errors.badRequest');
    const { payload } = await jwtVerify(tokens.id_token, jwks, { issuer, audience: DEMO_CLIENT });
    if (payload.nonce !== nonce) throw new HttpError(400, 'errors.badRequest');
    const lang = languageOf(ctx);
    await renderPage(ctx, lang, 'demo', { title: translator(lang)('demo.title'), claims: JSON.stringify(payload, null, 2), logout: `${issuer}/session/end?client_id=${DEMO_CLIENT}&post_logout_redirect_uri=${encodeURIComponent(issuer + '/demo')}` });
  });
  return router;
}
