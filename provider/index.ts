// oidc-provider, configured for Sekisho: code flow with PKCE, ES256 ID tokens, acr/amr, the MFA prompt.
import type { Context } from 'koa';
import { errors, Provider, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '../app/logger.ts';
import type { Config } from '../config/index.ts';
import type { ClientReader } from '../adapters/postgres/client-cache.ts';
import type { ClientRepository } from '../adapters/postgres/clients.ts';
import type { Queryable } from '../adapters/postgres/database.ts';
import { createAdapterFactory } from '../adapters/postgres/oidc-adapter.ts';
import type { UserRepository } from '../adapters/postgres/users.ts';
import type { AcrLadder } from './acr.ts';
import { createFindAccount } from './account.ts';
import { CookieSigner } from './cookie-signer.ts';
import { LIFETIMES } from './lifetimes.ts';
import { queueLogouts } from './backchannel-outbox.ts';
import { acrForRequest, buildPolicy, clientExtension, clientPolicyOf, requestedAcrValues } from './policy.ts';

/** Pages oidc-provider renders itself, in the user's language (supplied by interactions/). */
export interface ProviderPages {
  logoutSource(ctx: KoaContextWithOIDC, form: string): Promise<void>;
  postLogoutSuccessSource(ctx: KoaContextWithOIDC): Promise<void>;
  renderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }, error: Error): Promise<void>;
}

export interface ProviderDeps {
  config: Config;
  db: Queryable;
  clients: ClientRepository;
  /** Where oidc-provider's client lookups are served from (the server's cache); `clients` otherwise. */
  clientReads?: ClientReader;
  users: UserRepository;
  ladder: AcrLadder;
  jwks: { keys: object[] };
  cookieKeys: string[];
  pages: ProviderPages;
  /**
   * Host names whose private or loopback addresses oidc-provider may call (back-channel logout to a
   * campus Keycloak on an internal network). Every other outgoing request keeps its SSRF protection.
   */
  privateHosts?: readonly string[];
  /** Told of a logout notification that could neither be sent nor queued for a retry. */
  log?: Pick<Logger, 'error'>;
}

export const CLIENT_EXTENSIONS = ['sekisho_mfa_policy', 'sekisho_first_party', 'sekisho_admin'] as const;

export function createProvider(deps: ProviderDeps): Provider {
  const { config, ladder } = deps;
  const secure = config.issuer.startsWith('https://');
  const cookie = { httpOnly: true, sameSite: 'lax' as const, secure, signed: true };

  const configuration: Configuration = {
    adapter: createAdapterFactory(deps.db, deps.clients, deps.clientReads),
    clients: [],
    jwks: deps.jwks as Configuration['jwks'],
    findAccount: createFindAccount(deps.users),
    cookies: { keys: new CookieSigner(deps.cookieKeys), long: cookie, short: cookie },
    claims: {
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      profile: ['name', 'preferred_username', 'locale'],
      email: ['email', 'email_verified'],
    },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'admin'],
    acrValues: ladder.values,
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_basic',
      // Brokers key logout on sid, so logout tokens carry it unless a client says otherwise.
      backchannel_logout_session_required: true,
    },
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256', 'RS256'],
      clientAuthSigningAlgValues: ['ES256', 'RS256', 'PS256', 'EdDSA', 'HS256'],
    },
    extraClientMetadata: {
      properties: [...CLIENT_EXTENSIONS],
      validator(_ctx, key, value) {
        if (value === undefined) return;
        if (key === 'sekisho_mfa_policy') {
          if (!isMfaPolicy(value, ladder)) throw new errors.InvalidClientMetadata("sekisho_mfa_policy must be 'required', 'optional' or a supported acr value");
        } else if (typeof value !== 'boolean') {
          throw new errors.InvalidClientMetadata(`${key} must be a boolean`);
        }
      },
    },
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // A client may only introspect its own tokens.
        async allowedPolicy(_ctx, client, token) {
          return !token.clientId || token.clientId === client.clientId;
        },
      },
      revocation: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => deps.pages.logoutSource(ctx, form),
        postLogoutSuccessSource: (ctx) => deps.pages.postLogoutSuccessSource(ctx),
      },
      registration: { enabled: config.registration, initialAccessToken: true },
      registrationManagement: { enabled: config.registration },
      resourceIndicators: { enabled: false },
    },
    renderError: (ctx, out, error) => deps.pages.renderError(ctx, out, error),
    fetch: outboundFetch(config, deps.privateHosts ?? config.backchannelPrivateHosts),
    interactions: {
      policy: buildPolicy(ladder),
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    // Refresh tokens for every client allowed the grant; offline_access is not required of brokers.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    async loadExistingGrant(ctx) {
      // The grant just given on the consent page comes first (as in oidc-provider's default).
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      if (clientExtension(ctx.oidc.client, 'sekisho_first_party') !== true) return undefined;
      // First-party clients are trusted by IT: no consent page, the request's scopes are granted.
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId });
      grant.addOIDCScope(ctx.oidc.requestParamScopes ? [...ctx.oidc.requestParamScopes].join(' ') : 'openid');
      grant.addOIDCClaims(Object.keys(ctx.oidc.requestParamClaims ?? {}));
      await grant.save();
      return grant;
    },
    ttl: { ...LIFETIMES },
  };

  const provider = new Provider(config.issuer, configuration);
  provider.proxy = config.trustProxy;
  patchPerRequestBehaviour(provider, ladder);
  provider.use(addSessionState);
  // A logout token that did not arrive (client down) goes to the outbox, which retries it.
  provider.on('backchannel.error', (_ctx, _err, client, accountId, sid) => {
    void queueLogouts(deps.db, [{ clientId: client.clientId, accountId, sid }]).catch((err: unknown) =>
      deps.log?.error('back-channel logout lost', { clientId: client.clientId, err: String(err) }),
    );
  });
  return provider;
}

function isMfaPolicy(value: unknown, ladder: AcrLadder): boolean {
  return value === 'required' || value === 'optional' || (typeof value === 'string' && ladder.strengthOf(value) !== undefined);
}

/**
 * oidc-provider refuses to call loopback and private addresses (SSRF protection). Outside
 * production a receiver on this machine (a developer's or a test's) is allowed; IT may name
 * internal hosts that are allowed everywhere. Only the listed host names lose the check.
 */
function outboundFetch(config: Config, privateHosts: readonly string[]): NonNullable<Configuration['fetch']> {
  const allowed = new Set(privateHosts.map((h) => h.toLowerCase()));
  if (config.env !== 'production') for (const host of ['127.0.0.1', 'localhost', '[::1]']) allowed.add(host);
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input);
    if (!init || !allowed.has(url.hostname)) return globalThis.fetch(input, init);
    const { dispatcher: _ssrfGuard, ...rest } = init as RequestInit & { dispatcher?: unknown };
    return globalThis.fetch(input, rest);
  };
}

/**
 * Three behaviours oidc-provider has no option for:
 * - the acr of a session depends on what this request (or, when it asked for nothing, the client's
 *   minimum) names: a GakuNin RP gets GakuNin AAL2 from a session that reached REFEDS MFA;
 * - `sid` goes into every ID token, since brokers key logout on it;
 * - `azp` (the client) goes into every ID token; Keycloak and other brokers check it.
 */
function patchPerRequestBehaviour(provider: Provider, ladder: AcrLadder): void {
  Object.defineProperty(provider.OIDCContext.prototype, 'acr', {
    configurable: true,
    get(this: KoaContextWithOIDC['oidc']) {
      const sessionAcr = this.session?.acr;
      const requested = requestedAcrValues((this.params ?? {}) as Record<string, unknown>, ladder);
      // Nothing asked for: a client whose minimum is an acr value hears that value when it is met.
      const policy = clientPolicyOf(this.client);
      const named = policy && ladder.strengthOf(policy) !== undefined ? [policy] : [];
      return acrForRequest(sessionAcr, requested.length ? requested : named, ladder);
    },
  });
  (provider.Client.prototype as unknown as { includeSid(): boolean }).includeSid = () => true;
  type IdTokenInternals = { client: { clientId: string }; set(key: string, value: unknown): void; issue(o: { use: string }): Promise<string> };
  const idToken = provider.IdToken.prototype as unknown as IdTokenInternals;
  const issue = idToken.issue;
  idToken.issue = function (this: IdTokenInternals, options) {
    if (options.use === 'idtoken') this.set('azp', this.client.clientId);
    return issue.call(this, options);
  };
}

/** Keycloak reads `session_state` from the token response; it carries the session's sid for the client. */
async function addSessionState(ctx: Context, next: () => Promise<void>): Promise<void> {
  await next();
  const oidc = (ctx as unknown as KoaContextWithOIDC).oidc;
  const body = ctx.body as Record<string, unknown> | undefined;
  if (oidc?.route !== 'token' || !body || typeof body.id_token !== 'string') return;
  const payload = JSON.parse(Buffer.from(body.id_token.split('.')[1] ?? '', 'base64url').toString()) as { sid?: string };
  if (payload.sid) body.session_state = payload.sid;
}


