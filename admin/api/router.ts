// The admin API: the CLI's operations over HTTP with JSON, for IT tooling. Callers authenticate
// with an access token Sekisho itself issued by client credentials with the `admin` scope, to a
// client registered as an admin client.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import type { Services } from '../../app/services.ts';
import { firstSupported, translator } from '../../app/i18n.ts';
import { AdminError, HTTP_STATUS } from '../errors.ts';
import { queryAudit } from '../operations/audit.ts';
import { addClient, listClients, removeClient, rotateClientSecret, showClient, updateClient } from '../operations/clients.ts';
import type { OperationContext } from '../operations/context.ts';
import { listKeys, rotateKeys } from '../operations/keys.ts';
import { addUser, clearFlags, issueTap, listUsers, resetMfa, setUserDisabled, showUser } from '../operations/users.ts';
import { providerValidator } from '../operations/validator.ts';
import { ApiError, queryParam, readJsonBody } from './body.ts';
import { openApiDocument } from './openapi.ts';

const ADMIN_API_PREFIX = '/admin/api';
const ADMIN_SCOPE = 'admin';

export interface AdminApiDeps {
  services: Services;
  provider: Provider;
}

interface Call {
  op: OperationContext;
  body(): Promise<Record<string, unknown>>;
  param(name: string): string;
  query(name: string): string | undefined;
}

export interface RouteSpec {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** OpenAPI-style path below the prefix, e.g. `/users/{username}`. */
  path: string;
  operationId: string;
  summary: string;
  /** Status of a success. */
  status: number;
  request?: string;
  response: string;
  query?: string[];
  handle(call: Call): Promise<unknown>;
}

export const ROUTES: RouteSpec[] = [
  { method: 'get', path: '/users', operationId: 'listUsers', summary: 'List users', status: 200, response: 'UserList', query: ['search', 'limit'],
    handle: (c) => listUsers(c.op, { search: c.query('search'), limit: c.query('limit') }) },
  { method: 'post', path: '/users', operationId: 'addUser', summary: 'Create a user', status: 201, request: 'NewUser', response: 'User',
    handle: async (c) => addUser(c.op, await c.body()) },
  { method: 'get', path: '/users/{username}', operationId: 'showUser', summary: 'A user with methods, passes and locks', status: 200, response: 'UserDetail',
    handle: (c) => showUser(c.op, c.param('username')) },
  { method: 'post', path: '/users/{username}/disable', operationId: 'disableUser', summary: 'Disable a user and end their sessions', status: 200, response: 'DisableResult',
    handle: (c) => setUserDisabled(c.op, c.param('username'), true) },
  { method: 'post', path: '/users/{username}/enable', operationId: 'enableUser', summary: 'Enable a user', status: 200, response: 'DisableResult',
    handle: (c) => setUserDisabled(c.op, c.param('username'), false) },
  { method: 'post', path: '/users/{username}/reset-mfa', operationId: 'resetMfa', summary: "Remove a user's second factors and sign them out", status: 200, response: 'ResetMfaResult',
    handle: (c) => resetMfa(c.op, c.param('username')) },
  { method: 'post', path: '/users/{username}/tap', operationId: 'issueTap', summary: 'Issue a temporary access pass (the code is in this response only)', status: 201, request: 'TapRequest', response: 'TapResult',
    handle: async (c) => {
      const body = await c.body();
      return issueTap(c.op, c.param('username'), { ttl: body.ttl, once: body.once });
    } },
  { method: 'post', path: '/users/{username}/clear-flag', operationId: 'clearFlags', summary: 'Clear "not me" flags on the methods', status: 200, response: 'ClearFlagsResult',
    handle: (c) => clearFlags(c.op, c.param('username')) },
  { method: 'get', path: '/clients', operationId: 'listClients', summary: 'List clients', status: 200, response: 'ClientList',
    handle: (c) => listClients(c.op) },
  { method: 'post', path: '/clients', operationId: 'addClient', summary: 'Register a client (a generated secret is in this response only)', status: 201, request: 'ClientInput', response: 'ClientWithSecret',
    handle: async (c) => addClient(c.op, await c.body()) },
  { method: 'get', path: '/clients/{clientId}', operationId: 'showClient', summary: 'A client', status: 200, response: 'Client',
    handle: (c) => showClient(c.op, c.param('clientId')) },
  { method: 'patch', path: '/clients/{clientId}', operationId: 'updateClient', summary: 'Change the given fields of a client', status: 200, request: 'ClientInput', response: 'ClientWithSecret',
    handle: async (c) => updateClient(c.op, c.param('clientId'), await c.body()) },
  { method: 'delete', path: '/clients/{clientId}', operationId: 'removeClient', summary: 'Remove a client and its tokens', status: 200, response: 'Removed',
    handle: (c) => removeClient(c.op, c.param('clientId')) },
  { method: 'post', path: '/clients/{clientId}/rotate-secret', operationId: 'rotateClientSecret', summary: "Replace a client's secret", status: 200, response: 'ClientWithSecret',
    handle: (c) => rotateClientSecret(c.op, c.param('clientId')) },
  { method: 'get', path: '/keys', operationId: 'listKeys', summary: 'List signing keys', status: 200, response: 'KeyList',
    handle: (c) => listKeys(c.op) },
  { method: 'post', path: '/keys/rotate', operationId: 'rotateKeys', summary: 'Next phase of signing key rotation', status: 200, response: 'Rotation',
    handle: (c) => rotateKeys(c.op) },
  { method: 'get', path: '/audit', operationId: 'queryAudit', summary: 'Read the audit log', status: 200, response: 'AuditList', query: ['user', 'since', 'type', 'limit'],
    handle: (c) => queryAudit(c.op, { user: c.query('user'), since: c.query('since'), type: c.query('type'), limit: c.query('limit') }) },
];

function challenge(ctx: Context, error?: 'invalid_token' | 'insufficient_scope'): void {
  const parts = ['realm="sekisho-admin"', `scope="${ADMIN_SCOPE}"`, ...(error ? [`error="${error}"`] : [])];
  ctx.set('WWW-Authenticate', `Bearer ${parts.join(', ')}`);
}

/** Who is calling: the client id of a live admin token, or an ApiError (401/403). */
async function authenticate(ctx: Context, deps: AdminApiDeps): Promise<string> {
  const match = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)\s*$/i.exec(ctx.get('authorization'));
  if (!match) {
    challenge(ctx);
    throw new ApiError(401, 'invalid_token', 'unauthorized');
  }
  const token = await deps.provider.ClientCredentials.find(match[1]!);
  if (!token || token.isExpired || !token.clientId) {
    challenge(ctx, 'invalid_token');
    throw new ApiError(401, 'invalid_token', 'unauthorized');
  }
  if (!token.scopes.has(ADMIN_SCOPE)) {
    challenge(ctx, 'insufficient_scope');
    throw new ApiError(403, 'insufficient_scope', 'forbidden');
  }
  const client = await deps.services.clients.find(token.clientId);
  if (!client?.admin) throw new ApiError(403, 'forbidden', 'forbidden');
  return client.clientId;
}

const ERROR_CODES: Record<AdminError['code'], string> = { usage: 'invalid_request', not_found: 'not_found', conflict: 'conflict' };

function sendError(ctx: Context, err: unknown): void {
  const t = translator(firstSupported(ctx.get('accept-language')) ?? 'en');
  if (err instanceof AdminError) {
    ctx.status = HTTP_STATUS[err.code];
    ctx.body = { error: ERROR_CODES[err.code], error_description: t(`cli.errors.${err.key}`, err.params), field: err.field ?? null };
  } else if (err instanceof ApiError) {
    ctx.status = err.status;
    ctx.body = { error: err.code, error_description: t(`cli.errors.${err.key}`), field: null };
  } else {
    // The API answers in JSON even when something unexpected broke; details stay in the server log.
    ctx.app.emit('error', err, ctx);
    ctx.status = 500;
    ctx.body = { error: 'server_error', error_description: t('cli.errors.server_error'), field: null };
  }
}

export function createAdminApi(deps: AdminApiDeps): Router {
  const router = new Router({ prefix: ADMIN_API_PREFIX });
  const validateClient = providerValidator(deps.provider);

  // The route table and issuer are fixed for the server's life: build the document once.
  const document = openApiDocument(deps.services.config.issuer, ROUTES);
  router.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });

  for (const route of ROUTES) {
    const path = route.path.replace(/\{(\w+)\}/g, ':$1');
    router[route.method](path, async (ctx) => {
      let clientId: string | undefined;
      try {
        clientId = await authenticate(ctx, deps);
        const op: OperationContext = { services: deps.services, actor: `client:${clientId}`, validateClient };
        ctx.body = await route.handle({
          op,
          body: () => readJsonBody(ctx),
          param: (name) => ctx.params[name]!,
          query: (name) => queryParam(ctx, name),
        });
        ctx.status = route.status;
      } catch (err) {
        sendError(ctx, err);
      }
      ctx.set('Cache-Control', 'no-store');
      await deps.services.audit.record({
        type: 'admin_api.call',
        outcome: ctx.status < 400 ? 'success' : 'failure',
        actor: clientId ? `client:${clientId}` : null,
        clientId: clientId ?? null,
        ip: ctx.ip,
        userAgent: ctx.get('user-agent') || null,
        details: { operation: route.operationId, status: ctx.status },
      });
    });
  }
  // Anything else under the prefix is a JSON 404, not the provider's HTML page.
  router.all('/{*rest}', (ctx) => {
    sendError(ctx, new ApiError(404, 'not_found', 'route_not_found'));
  });
  return router;
}
