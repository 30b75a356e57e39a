// A real relying party (openid-client 6) registered in the server under test.
import * as client from 'openid-client';
import type { Services } from '../../app/services.ts';

export interface RpOptions {
  clientId?: string;
  secret?: string | null;
  firstParty?: boolean;
  mfaPolicy?: string;
  metadata?: Record<string, unknown>;
  redirectUri?: string;
}

export interface AuthRequest {
  url: string;
  verifier: string;
  nonce: string;
  state: string;
  maxAge?: number;
}

export interface Rp {
  clientId: string;
  redirectUri: string;
  config: client.Configuration;
  authorize(params?: Record<string, string>): Promise<AuthRequest>;
  /** Discovers again, fetching the JWKS afresh (as an RP does on its key-refresh schedule). */
  refresh(): Promise<void>;
  /** Exchanges the code in the callback URL and returns the tokens with the verified ID token claims. */
  callback(callbackUrl: string, request: AuthRequest): Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers>;
}

export async function registerClient(services: Services, o: RpOptions = {}): Promise<{ clientId: string; secret: string | null; redirectUri: string }> {
  const clientId = o.clientId ?? `rp-${Math.random().toString(36).slice(2, 10)}`;
  const secret = o.secret === undefined ? `secret-${clientId}-0123456789abcdef` : o.secret;
  const redirectUri = o.redirectUri ?? 'https://rp.example.ac.jp/callback';
  await services.clients.save({
    clientId,
    metadata: {
      client_id: clientId,
      client_name: `Test RP ${clientId}`,
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: ['https://rp.example.ac.jp/logged-out'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: secret ? 'client_secret_basic' : 'none',
      scope: 'openid offline_access profile email',
      sekisho_first_party: o.firstParty ?? true,
      sekisho_mfa_policy: o.mfaPolicy ?? 'required',
      ...o.metadata,
    },
    secret,
    firstParty: o.firstParty ?? true,
    admin: false,
    mfaPolicy: o.mfaPolicy ?? 'required',
  });
  return { clientId, secret, redirectUri };
}

export async function createRp(issuer: string, services: Services, o: RpOptions = {}): Promise<Rp> {
  return relyingParty(issuer, await registerClient(services, o), {
    execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
    authorizeParams: { scope: 'openid profile email' },
  });
}

export interface RelyingPartyOptions {
  /** How it authenticates at the token endpoint; by default its secret in a Basic header, or none. */
  auth?: client.ClientAuth;
  execute: ((config: client.Configuration) => void)[];
  /** What it puts on every authorization URL besides PKCE, nonce and state (a test's params win). */
  authorizeParams: Record<string, string>;
}

/** An openid-client relying party for a client already registered in the server. */
export async function relyingParty(
  issuer: string,
  registered: { clientId: string; secret: string | null; redirectUri: string },
  o: RelyingPartyOptions,
): Promise<Rp> {
  const { clientId, secret, redirectUri } = registered;
  const auth = o.auth ?? (secret ? client.ClientSecretBasic(secret) : client.None());
  const discover = () => client.discovery(new URL(issuer), clientId, secret ?? undefined, auth, { execute: o.execute });
  let config = await discover();
  return {
    clientId,
    redirectUri,
    get config() {
      return config;
    },
    async refresh() {
      config = await discover();
    },
    async authorize(params = {}) {
      const verifier = client.randomPKCECodeVerifier();
      const nonce = client.randomNonce();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        nonce,
        state,
        ...o.authorizeParams,
        ...params,
      });
      return { url: url.toString(), verifier, nonce, state, maxAge: params.max_age ? Number(params.max_age) : undefined };
    },
    async callback(callbackUrl, request) {
      return client.authorizationCodeGrant(config, new URL(callbackUrl), {
        pkceCodeVerifier: request.verifier,
        expectedNonce: request.nonce,
        expectedState: request.state,
        maxAge: request.maxAge,
        idTokenExpected: true,
      });
    },
  };
}
