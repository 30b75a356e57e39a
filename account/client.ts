// The Security info page signs users in through Sekisho itself, as a first-party confidential client.
// Its secret is a server secret, so every instance (and every restart) registers the same client.
import { isDeepStrictEqual } from 'node:util';
import { loadOrCreateSecret } from '../adapters/postgres/server-secrets.ts';
import type { Services } from '../app/services.ts';

export const ACCOUNT_CLIENT_ID = 'sekisho-account';

export interface AccountClient {
  clientId: string;
  secret: string;
  redirectUri: string;
}

/** Registers (or repairs) the client; leaves it alone when it is already as it should be. */
export async function ensureAccountClient(services: Pick<Services, 'db' | 'box' | 'clients'>, issuer: string): Promise<AccountClient> {
  const secret = await loadOrCreateSecret(services.db, services.box, 'account-client-secret');
  const redirectUri = `${issuer}/account/callback`;
  const wanted = {
    clientId: ACCOUNT_CLIENT_ID,
    metadata: {
      client_id: ACCOUNT_CLIENT_ID,
      client_name: 'Sekisho セキュリティ情報 / Security info',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'openid',
      sekisho_first_party: true,
      sekisho_mfa_policy: 'required',
    },
    secret,
    firstParty: true,
    admin: false,
    mfaPolicy: 'required',
  };
  const existing = await services.clients.find(ACCOUNT_CLIENT_ID);
  const same =
    existing &&
    existing.secret === wanted.secret &&
    existing.firstParty === wanted.firstParty &&
    existing.admin === wanted.admin &&
    existing.mfaPolicy === wanted.mfaPolicy &&
    isDeepStrictEqual(existing.metadata, wanted.metadata);
  if (!same) await services.clients.save(wanted);
  return { clientId: ACCOUNT_CLIENT_ID, secret, redirectUri };
}
