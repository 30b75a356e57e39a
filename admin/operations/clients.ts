// Relying-party clients: what IT types becomes oidc-provider client metadata, checked by
// oidc-provider's own schema before anything is stored.
import { randomBytes } from 'node:crypto';
import { AuditLog } from '../../adapters/postgres/audit-log.ts';
import { clientChangedHere } from '../../adapters/postgres/client-cache.ts';
import { ClientRepository, DuplicateClientError, type ClientRecord } from '../../adapters/postgres/clients.ts';
import type { Queryable } from '../../adapters/postgres/database.ts';
import { createAdapterFactory } from '../../adapters/postgres/oidc-adapter.ts';
import { createAcrLadder } from '../../provider/acr.ts';
import { conflict, notFound, usage } from '../errors.ts';
import { optionalBoolean, optionalString, optionalStringList, requireString, validDuration, validName, validWebUri } from '../validate.ts';
import { nowOf, type OperationContext } from './context.ts';

export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
const DEFAULT_SCOPE = 'openid offline_access profile email';
const RP_SCOPES = new Set(DEFAULT_SCOPE.split(' '));
const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$/;
const SECRET = /^[\x21-\x7e]{24,512}$/;
/** Members that only private keys (or shared secrets) carry. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];
/** Metadata this module writes; anything else (e.g. from dynamic registration) is kept on update. */
const MANAGED_KEYS = [
  'client_name', 'redirect_uris', 'post_logout_redirect_uris', 'grant_types', 'response_types', 'token_endpoint_auth_method',
  'jwks_uri', 'jwks', 'backchannel_logout_uri', 'backchannel_logout_session_required', 'scope',
  'sekisho_mfa_policy', 'sekisho_first_party', 'sekisho_admin',
];

/** What an administrator may give; every field is checked here (they arrive from argv or JSON). */
export interface ClientInput {
  clientId?: unknown;
  name?: unknown;
  redirectUris?: unknown;
  postLogoutRedirectUris?: unknown;
  grantTypes?: unknown;
  authMethod?: unknown;
  jwksUri?: unknown;
  /** A JWKS object (public keys only). */
  jwks?: unknown;
  /** An empty string removes it. */
  backchannelLogoutUri?: unknown;
  firstParty?: unknown;
  /** `required`, `optional` or an acr value the sign-in must reach. */
  mfa?: unknown;
  admin?: unknown;
  scope?: unknown;
  public?: unknown;
  /** Given by the administrator instead of generated. */
  secret?: unknown;
}

interface Settings {
  name?: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** Without client_credentials, which follows from `admin`; undefined means the default. */
  grantTypes?: string[];
  authMethod: AuthMethod;
  jwksUri?: string;
  jwks?: { keys: Record<string, unknown>[] };
  backchannelLogoutUri?: string;
  firstParty: boolean;
  mfa: string;
  admin: boolean;
  /** Undefined means the default for the kind of client. */
  scope?: string;
}

export interface ClientView {
  clientId: string;
  name: string | null;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: string[];
  authMethod: string;
  scope: string;
  jwksUri: string | null;
  jwks: boolean;
  backchannelLogoutUri: string | null;
  firstParty: boolean;
  admin: boolean;
  mfaPolicy: string;
  hasSecret: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface ClientWithSecret {
  client: ClientView;
  /** Present only when Sekisho generated it: shown once, never again. */
  secret?: string;
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

function viewClient(c: ClientRecord): ClientView {
  const m = c.metadata;
  return {
    clientId: c.clientId,
    name: text(m.client_name) ?? null,
    redirectUris: list(m.redirect_uris),
    postLogoutRedirectUris: list(m.post_logout_redirect_uris),
    grantTypes: list(m.grant_types),
    authMethod: text(m.token_endpoint_auth_method) ?? 'client_secret_basic',
    scope: text(m.scope) ?? '',
    jwksUri: text(m.jwks_uri) ?? null,
    jwks: typeof m.jwks === 'object' && m.jwks !== null,
    backchannelLogoutUri: text(m.backchannel_logout_uri) ?? null,
    firstParty: c.firstParty,
    admin: c.admin,
    mfaPolicy: c.mfaPolicy,
    hasSecret: c.secret !== null,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

function settingsOf(c: ClientRecord): Settings {
  const v = viewClient(c);
  const jwks = c.metadata.jwks as Settings['jwks'] | undefined;
  return {
    name: v.name ?? undefined,
    redirectUris: v.redirectUris,
    postLogoutRedirectUris: v.postLogoutRedirectUris,
    grantTypes: v.grantTypes.filter((g) => g !== 'client_credentials'),
    authMethod: (AUTH_METHODS as readonly string[]).includes(v.authMethod) ? (v.authMethod as AuthMethod) : 'client_secret_basic',
    jwksUri: v.jwksUri ?? undefined,
    jwks: jwks && Array.isArray(jwks.keys) ? jwks : undefined,
    backchannelLogoutUri: v.backchannelLogoutUri ?? undefined,
    firstParty: c.firstParty,
    mfa: c.mfaPolicy,
    admin: c.admin,
    scope: v.scope || undefined,
  };
}

function validClientId(value: unknown): string {
  const s = requireString(value, 'clientId').trim();
  if (!CLIENT_ID.test(s)) throw usage('invalid_client_id', 'clientId', { value: s });
  return s;
}

function uriList(value: unknown, field: string): string[] | undefined {
  const values = optionalStringList(value, field);
  return values?.map((u) => validWebUri(u, field));
}

function validJwks(value: unknown, field = 'jwks'): { keys: Record<string, unknown>[] } {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (typeof value !== 'object' || value === null || !Array.isArray(keys) || keys.length === 0) throw usage('invalid_jwks', field);
  for (const key of keys) {
    if (typeof key !== 'object' || key === null || typeof (key as { kty?: unknown }).kty !== 'string') throw usage('invalid_jwks', field);
    if (PRIVATE_JWK_MEMBERS.some((m) => m in key)) throw usage('private_jwk', field);
  }
  return { keys: keys as Record<string, unknown>[] };
}

function validMfa(ctx: OperationContext, value: unknown): string {
  const s = requireString(value, 'mfa').trim();
  const allowed = ['required', 'optional', ...createAcrLadder(ctx.services.config.acrPhishingResistant).values];
  if (!allowed.includes(s)) throw usage('invalid_mfa_policy', 'mfa', { value: s, allowed: allowed.join(', ') });
  return s;
}

function validSecret(value: unknown): string | undefined {
  const s = optionalString(value, 'secret');
  if (s !== undefined && !SECRET.test(s)) throw usage('weak_secret', 'secret');
  return s;
}

/** Applies the given fields onto `base` (defaults for a new client), checking each. */
function applyInput(ctx: OperationContext, base: Settings, input: ClientInput): Settings {
  const s: Settings = { ...base };
  const name = optionalString(input.name, 'name');
  if (name !== undefined) s.name = validName(name);
  s.redirectUris = uriList(input.redirectUris, 'redirectUris') ?? s.redirectUris;
  s.postLogoutRedirectUris = uriList(input.postLogoutRedirectUris, 'postLogoutRedirectUris') ?? s.postLogoutRedirectUris;
  const grants = optionalStringList(input.grantTypes, 'grantTypes');
  if (grants) {
    for (const g of grants) {
      if (!(GRANT_TYPES as readonly string[]).includes(g)) throw usage('invalid_grant_type', 'grantTypes', { value: g, allowed: GRANT_TYPES.join(', ') });
    }
    s.grantTypes = [...new Set(grants)];
  }
  const method = optionalString(input.authMethod, 'authMethod');
  if (method !== undefined) {
    if (!(AUTH_METHODS as readonly string[]).includes(method)) throw usage('invalid_auth_method', 'authMethod', { value: method, allowed: AUTH_METHODS.join(', ') });
    s.authMethod = method as AuthMethod;
  }
  const isPublic = optionalBoolean(input.public, 'public');
  if (isPublic) {
    if (method !== undefined && method !== 'none') throw usage('public_auth_method', 'authMethod', { value: method });
    if (input.secret !== undefined) throw usage('public_with_secret', 'secret');
    s.authMethod = 'none';
  }
  if (input.jwksUri !== undefined && input.jwks !== undefined) throw usage('jwks_conflict', 'jwks');
  if (input.jwksUri !== undefined) {
    s.jwksUri = validWebUri(input.jwksUri, 'jwksUri');
    s.jwks = undefined;
  }
  if (input.jwks !== undefined) {
    s.jwks = validJwks(input.jwks);
    s.jwksUri = undefined;
  }
  const backchannel = optionalString(input.backchannelLogoutUri, 'backchannelLogoutUri');
  if (backchannel !== undefined) s.backchannelLogoutUri = backchannel === '' ? undefined : validWebUri(backchannel, 'backchannelLogoutUri');
  s.firstParty = optionalBoolean(input.firstParty, 'firstParty') ?? s.firstParty;
  s.admin = optionalBoolean(input.admin, 'admin') ?? s.admin;
  if (input.mfa !== undefined) s.mfa = validMfa(ctx, input.mfa);
  const scope = optionalString(input.scope, 'scope');
  if (scope !== undefined) s.scope = scope.trim().split(/\s+/).filter(Boolean).join(' ');
  return s;
}

/** The resolved grant types and scope, and the checks that need the whole picture. */
function resolve(s: Settings): { grantTypes: string[]; scope: string } {
  const base = s.grantTypes ?? (s.admin && s.redirectUris.length === 0 ? [] : ['authorization_code', 'refresh_token']);
  if (base.includes('client_credentials') && !s.admin) throw usage('grant_requires_admin', 'grantTypes');
  const grantTypes = s.admin ? [...new Set([...base, 'client_credentials'])] : base;
  if (!grantTypes.length) throw usage('no_grant_type', 'grantTypes');
  if (grantTypes.includes('refresh_token') && !grantTypes.includes('authorization_code')) throw usage('refresh_needs_code', 'grantTypes');
  if (grantTypes.includes('authorization_code') && !s.redirectUris.length) throw usage('redirect_uri_required', 'redirectUris');
  if (s.authMethod === 'none' && grantTypes.includes('client_credentials')) throw usage('public_admin', 'public');
  if (s.authMethod === 'private_key_jwt' && !s.jwks && !s.jwksUri) throw usage('jwks_required', 'jwksUri');

  // A pure API client (client credentials only) needs nothing but the admin scope.
  const defaultScope = s.admin && !grantTypes.includes('authorization_code') ? 'admin' : DEFAULT_SCOPE;
  const scopes = (s.scope ?? defaultScope).split(' ');
  for (const sc of scopes) {
    if (!RP_SCOPES.has(sc) && !(s.admin && sc === 'admin')) throw usage('invalid_scope', 'scope', { value: sc });
  }
  const scope = s.admin && !scopes.includes('admin') ? [...scopes, 'admin'] : scopes;
  return { grantTypes, scope: scope.join(' ') };
}

function metadataOf(clientId: string, s: Settings, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const { grantTypes, scope } = resolve(s);
  const kept = Object.fromEntries(Object.entries(previous).filter(([k]) => !MANAGED_KEYS.includes(k)));
  return {
    ...kept,
    client_id: clientId,
    ...(s.name ? { client_name: s.name } : {}),
    redirect_uris: s.redirectUris,
    post_logout_redirect_uris: s.postLogoutRedirectUris,
    grant_types: grantTypes,
    response_types: grantTypes.includes('authorization_code') ? ['code'] : [],
    token_endpoint_auth_method: s.authMethod,
    ...(s.jwksUri ? { jwks_uri: s.jwksUri } : {}),
    ...(s.jwks ? { jwks: s.jwks } : {}),
    ...(s.backchannelLogoutUri ? { backchannel_logout_uri: s.backchannelLogoutUri, backchannel_logout_session_required: true } : {}),
    scope,
    sekisho_mfa_policy: s.mfa,
    sekisho_first_party: s.firstParty,
    sekisho_admin: s.admin,
  };
}

const usesSecret = (m: AuthMethod) => m === 'client_secret_basic' || m === 'client_secret_post';
const generateSecret = () => randomBytes(32).toString('base64url');

async function checkWithProvider(ctx: OperationContext, metadata: Record<string, unknown>, secret: string | null): Promise<void> {
  try {
    await ctx.validateClient({ ...metadata, ...(secret ? { client_secret: secret } : {}) });
  } catch (err) {
    const e = err as { error_description?: string; message?: string };
    throw usage('client_metadata', undefined, { detail: e.error_description ?? e.message ?? String(err) });
  }
}

async function findClientOrFail(ctx: OperationContext, clientId: unknown): Promise<ClientRecord> {
  const id = validClientId(clientId);
  const client = await ctx.services.clients.find(id);
  if (!client) throw notFound('client_not_found', { clientId: id });
  return client;
}

const NEW_CLIENT: Settings = { redirectUris: [], postLogoutRedirectUris: [], authMethod: 'client_secret_basic', firstParty: false, mfa: 'required', admin: false };

export async function addClient(ctx: OperationContext, input: ClientInput): Promise<ClientWithSecret> {
  const clientId = validClientId(input.clientId);
  // SEKISHO_MFA sets what a new client gets when IT does not say.
  const settings = applyInput(ctx, { ...NEW_CLIENT, mfa: ctx.services.config.mfa }, input);
  const metadata = metadataOf(clientId, settings);
  const given = validSecret(input.secret);
  if (given !== undefined && !usesSecret(settings.authMethod)) throw usage('secret_not_used', 'secret', { method: settings.authMethod });
  const secret = usesSecret(settings.authMethod) ? (given ?? generateSecret()) : null;
  await checkWithProvider(ctx, metadata, secret);
  try {
    return await writeClient(ctx, clientId, async (tx) => {
      const record = await new ClientRepository(tx, ctx.services.box).create({
        clientId, metadata, secret, firstParty: settings.firstParty, admin: settings.admin, mfaPolicy: settings.mfa,
      });
      await new AuditLog(tx).record({ type: 'client.add', actor: ctx.actor, clientId, details: { admin: settings.admin, authMethod: settings.authMethod } });
      return { client: viewClient(record), ...(secret && given === undefined ? { secret } : {}) };
    });
  } catch (err) {
    if (err instanceof DuplicateClientError) throw conflict('client_exists', { clientId }, 'clientId');
    throw err;
  }
}

/** One transaction that changes a client; this process's client caches forget it once it commits. */
async function writeClient<T>(ctx: OperationContext, clientId: string, write: (tx: Queryable) => Promise<T>): Promise<T> {
  const result = await ctx.services.db.transaction(write);
  clientChangedHere(clientId);
  return result;
}

export async function listClients(ctx: OperationContext): Promise<ClientView[]> {
  return (await ctx.services.clients.list()).map(viewClient);
}

export async function showClient(ctx: OperationContext, clientId: unknown): Promise<ClientView> {
  return viewClient(await findClientOrFail(ctx, clientId));
}

/** Changes only the given fields; switching to a secret-based method generates a secret (returned once). */
export async function updateClient(ctx: OperationContext, clientId: unknown, input: ClientInput): Promise<ClientWithSecret> {
  if (input.clientId !== undefined) throw usage('client_id_fixed', 'clientId');
  const existing = await findClientOrFail(ctx, clientId);
  const settings = applyInput(ctx, settingsOf(existing), input);
  const metadata = metadataOf(existing.clientId, settings, existing.metadata);
  const given = validSecret(input.secret);
  if (given !== undefined && !usesSecret(settings.authMethod)) throw usage('secret_not_used', 'secret', { method: settings.authMethod });
  const generated = usesSecret(settings.authMethod) && !given && !existing.secret ? generateSecret() : undefined;
  const secret = usesSecret(settings.authMethod) ? (given ?? existing.secret ?? generated!) : null;
  await checkWithProvider(ctx, metadata, secret);
  const changed = Object.keys(input).filter((k) => input[k as keyof ClientInput] !== undefined && k !== 'secret');
  return writeClient(ctx, existing.clientId, async (tx) => {
    const record = await new ClientRepository(tx, ctx.services.box).save({
      clientId: existing.clientId, metadata, secret, firstParty: settings.firstParty, admin: settings.admin, mfaPolicy: settings.mfa,
    });
    await new AuditLog(tx).record({
      type: 'client.update', actor: ctx.actor, clientId: existing.clientId, details: { changed, secretChanged: given !== undefined || generated !== undefined },
    });
    return { client: viewClient(record), ...(generated ? { secret: generated } : {}) };
  });
}

export async function removeClient(ctx: OperationContext, clientId: unknown): Promise<{ clientId: string }> {
  const existing = await findClientOrFail(ctx, clientId);
  return writeClient(ctx, existing.clientId, async (tx) => {
    await new ClientRepository(tx, ctx.services.box).remove(existing.clientId);
    // Its tokens and codes go too: nothing should outlive the registration.
    await tx.query(`DELETE FROM oidc_models WHERE payload->>'clientId' = $1`, [existing.clientId]);
    await new AuditLog(tx).record({ type: 'client.remove', actor: ctx.actor, clientId: existing.clientId });
    return { clientId: existing.clientId };
  });
}

export async function rotateClientSecret(ctx: OperationContext, clientId: unknown): Promise<Required<ClientWithSecret>> {
  const existing = await findClientOrFail(ctx, clientId);
  const method = viewClient(existing).authMethod as AuthMethod;
  if (!usesSecret(method)) throw usage('secret_not_used', 'clientId', { method });
  const secret = generateSecret();
  return writeClient(ctx, existing.clientId, async (tx) => {
    const record = await new ClientRepository(tx, ctx.services.box).save({ ...existing, secret });
    await new AuditLog(tx).record({ type: 'client.rotate_secret', actor: ctx.actor, clientId: existing.clientId });
    return { client: viewClient(record), secret };
  });
}

const IAT_MIN_TTL_SECONDS = 60;
const IAT_MAX_TTL_SECONDS = 30 * 86400;

/**
 * An initial access token for dynamic client registration (RFC 7591), stored the way
 * oidc-provider's InitialAccessToken model stores itself, so the provider accepts it.
 */
export async function createInitialAccessToken(ctx: OperationContext, options: { ttl?: unknown } = {}): Promise<{ token: string; expiresAt: Date; registrationEnabled: boolean }> {
  const ttl = validDuration(options.ttl ?? '1d', 'ttl', IAT_MIN_TTL_SECONDS, IAT_MAX_TTL_SECONDS);
  const { db, clients, config } = ctx.services;
  const token = randomBytes(32).toString('base64url');
  const iat = Math.floor(nowOf(ctx).getTime() / 1000);
  await db.transaction(async (tx) => {
    await createAdapterFactory(tx, clients)('InitialAccessToken').upsert(token, { jti: token, kind: 'InitialAccessToken', iat, exp: iat + ttl }, ttl);
    await new AuditLog(tx).record({ type: 'client.initial_access_token', actor: ctx.actor, details: { ttl } });
  });
  return { token, expiresAt: new Date((iat + ttl) * 1000), registrationEnabled: config.registration };
}
