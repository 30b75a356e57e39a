// The admin API's OpenAPI 3.1 document, built from the same route table the router serves.
import { LANGUAGES } from '../../app/i18n.ts';
import { AUTH_METHODS, GRANT_TYPES } from '../operations/clients.ts';
import type { RouteSpec } from './router.ts';

type Schema = Record<string, unknown>;

const str = { type: 'string' };
const nullableStr = { type: ['string', 'null'] };
const date = { type: 'string', format: 'date-time' };
const nullableDate = { type: ['string', 'null'], format: 'date-time' };
const bool = { type: 'boolean' };
const int = { type: 'integer' };
const strList = { type: 'array', items: str };
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const listOf = (name: string) => ({ type: 'array', items: ref(name) });
const object = (properties: Record<string, unknown>, required: string[] = Object.keys(properties)): Schema => ({
  type: 'object', properties, required,
});

const USER = {
  id: str, username: str, email: nullableStr, name: nullableStr, locale: nullableStr, source: str,
  phone: { ...nullableStr, description: 'masked' }, disabled: bool, disabledAt: nullableDate, mfaResetAt: nullableDate, createdAt: date,
};
const CLIENT = {
  clientId: str, name: nullableStr, redirectUris: strList, postLogoutRedirectUris: strList, grantTypes: strList, authMethod: str,
  scope: str, jwksUri: nullableStr, jwks: bool, backchannelLogoutUri: nullableStr, firstParty: bool, admin: bool, mfaPolicy: str,
  hasSecret: bool, createdAt: date, updatedAt: date,
};
const SESSION = object({ uid: str, authorizations: { type: 'object', additionalProperties: object({ sid: str }, []) } });

const SCHEMAS: Record<string, Schema> = {
  Error: object({ error: str, error_description: str, field: nullableStr }),
  User: object(USER),
  UserList: listOf('User'),
  UserDetail: object({
    ...USER,
    methods: { type: 'array', items: object({ id: str, kind: str, label: nullableStr, status: str, isDefault: bool, phone: nullableStr, flagged: bool, createdAt: date, lastUsedAt: nullableDate }) },
    accessPasses: { type: 'array', items: object({ once: bool, expiresAt: date, createdBy: nullableStr }) },
    locks: { type: 'array', items: object({ scope: str, failures: int, lockedUntil: date }) },
  }),
  NewUser: object({ username: str, email: str, name: str, locale: { enum: LANGUAGES }, phone: str, password: str }, ['username', 'email', 'name']),
  DisableResult: object({ user: ref('User'), changed: bool, sessions: { type: 'array', items: SESSION } }),
  ResetMfaResult: object({ userId: str, username: str, methodsRemoved: int, passesRemoved: int, tokensRevoked: int, sessions: { type: 'array', items: SESSION } }),
  TapRequest: object({ ttl: { ...str, description: '10m to 30d, e.g. 1h (default 1h)' }, once: bool }, []),
  TapResult: object({ username: str, code: str, expiresAt: date, once: bool }),
  ClearFlagsResult: object({ username: str, cleared: int }),
  Client: object(CLIENT),
  ClientList: listOf('Client'),
  ClientInput: object({
    clientId: { ...str, description: 'only when creating' }, name: str, redirectUris: strList, postLogoutRedirectUris: strList,
    grantTypes: { type: 'array', items: { enum: GRANT_TYPES } },
    authMethod: { enum: AUTH_METHODS },
    jwksUri: str, jwks: { type: 'object', description: 'public keys only' }, backchannelLogoutUri: str,
    firstParty: bool, admin: bool, mfa: { ...str, description: 'required, optional or an acr value' }, scope: str, public: bool,
    secret: { ...str, description: 'instead of a generated one' },
  }, []),
  ClientWithSecret: object({ client: ref('Client'), secret: { ...str, description: 'only when generated; shown once' } }, ['client']),
  Removed: object({ clientId: str }),
  Key: object({ kid: str, alg: str, status: { enum: ['next', 'current', 'retired'] }, createdAt: date, activatedAt: nullableDate, retiredAt: nullableDate }),
  KeyList: listOf('Key'),
  Rotation: object({ step: { enum: ['published', 'activated'] }, kids: strList, next: { enum: ['activate', 'publish'] }, pruned: int }),
  AuditEntry: object({
    id: int, at: date, type: str, outcome: { enum: ['success', 'failure'] }, userId: nullableStr, username: nullableStr, clientId: nullableStr,
    actor: nullableStr, factor: nullableStr, ip: nullableStr, userAgent: nullableStr, details: { type: ['object', 'null'] },
  }),
  AuditList: listOf('AuditEntry'),
};

const QUERY_DESCRIPTIONS: Record<string, string> = {
  search: 'part of a username or e-mail address',
  limit: '1 to 1000 (default 100)',
  user: 'username',
  since: 'ISO date/time or a span back from now: 30m, 24h, 7d',
  type: 'event type or prefix, e.g. user or user.tap',
};

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ref('Error') } } });

export function openApiDocument(issuer: string, routes: RouteSpec[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const pathParams = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: str }));
    const queryParams = (r.query ?? []).map((name) => ({ name, in: 'query', required: false, schema: str, description: QUERY_DESCRIPTIONS[name] }));
    (paths[r.path] ??= {})[r.method] = {
      operationId: r.operationId,
      summary: r.summary,
      ...(pathParams.length || queryParams.length ? { parameters: [...pathParams, ...queryParams] } : {}),
      ...(r.request ? { requestBody: { required: true, content: { 'application/json': { schema: ref(r.request) } } } } : {}),
      responses: {
        [r.status]: { description: 'success', content: { 'application/json': { schema: ref(r.response) } } },
        400: errorResponse('invalid input; `field` names it'),
        401: errorResponse('missing, invalid or expired access token'),
        403: errorResponse('the token lacks the admin scope, or its client is not an admin client'),
        ...(r.path.includes('{') ? { 404: errorResponse('no such user or client') } : {}),
        ...(r.method === 'post' && r.request ? { 409: errorResponse('it already exists'), 413: errorResponse('body over 64 KiB'), 415: errorResponse('not application/json') } : {}),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Sekisho admin API', version: '1', description: 'The operations of the sekisho CLI over HTTP. Every call is audited with the calling client.' },
    servers: [{ url: `${issuer}/admin/api` }],
    security: [{ clientCredentials: ['admin'] }],
    paths,
    components: {
      schemas: SCHEMAS,
      securitySchemes: {
        clientCredentials: {
          type: 'oauth2',
          description: 'An access token from Sekisho\'s token endpoint (client credentials grant, scope admin) for a client registered with --admin.',
          flows: { clientCredentials: { tokenUrl: `${issuer}/token`, scopes: { admin: 'administer users, clients and keys' } } },
        },
      },
    },
  };
}
