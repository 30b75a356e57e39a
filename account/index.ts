// The Security info page (/account), wired into the app: its client registered, its keys loaded.
import { createRemoteJWKSet } from 'jose';
import type Router from '@koa/router';
import { loadOrCreateSecret } from '../adapters/postgres/server-secrets.ts';
import type { InteractionDeps } from '../interactions/journey.ts';
import { phoneContextOf } from '../interactions/phone.ts';
import { ensureAccountClient } from './client.ts';
import { createAccountRouter } from './router.ts';
import { cookieJar, SignedValues } from './session.ts';

export async function createAccountPages(deps: InteractionDeps): Promise<Router> {
  const { services } = deps;
  const { issuer } = services.config;
  const client = await ensureAccountClient(services, issuer);
  const signer = new SignedValues(await loadOrCreateSecret(services.db, services.box, 'account-session-key'));
  return createAccountRouter({
    services,
    provider: deps.provider,
    totp: deps.totp,
    regulator: deps.regulator,
    backupCodeFormat: services.config.backupCodeFormat,
    phoneMethods: services.config.phone.methods,
    phone: () => phoneContextOf(deps),
    now: deps.now,
    csrf: deps.csrf,
    signIn: {
      issuer,
      client,
      signer,
      jar: cookieJar(issuer.startsWith('https://')),
      keys: createRemoteJWKSet(new URL(`${issuer}/jwks`)),
      now: deps.now,
    },
  });
}
