// sekisho client …
import { usage } from '../errors.ts';
import {
  addClient, createInitialAccessToken, listClients, removeClient, rotateClientSecret, showClient, updateClient,
  type ClientInput, type ClientView, type ClientWithSecret,
} from '../operations/clients.ts';
import { tableOr } from '../table.ts';
import { readSecretFromStdin, readUtf8File } from './input.ts';
import { flag, str, strs, type Command, type CommandArgs, type CommandEnv } from './types.ts';

const CLIENT_OPTIONS = {
  'redirect-uri': { type: 'string', multiple: true },
  'post-logout-redirect-uri': { type: 'string', multiple: true },
  'grant-type': { type: 'string', multiple: true },
  'auth-method': { type: 'string' },
  'jwks-uri': { type: 'string' },
  'jwks-file': { type: 'string' },
  'backchannel-logout-uri': { type: 'string' },
  name: { type: 'string' },
  'secret-stdin': { type: 'boolean' },
  public: { type: 'boolean' },
  'first-party': { type: 'boolean' },
  admin: { type: 'boolean' },
  mfa: { type: 'string' },
  scope: { type: 'string' },
} as const;

const CLIENT_FIELDS = {
  clientId: '--id',
  name: '--name',
  redirectUris: '--redirect-uri',
  postLogoutRedirectUris: '--post-logout-redirect-uri',
  grantTypes: '--grant-type',
  authMethod: '--auth-method',
  jwksUri: '--jwks-uri',
  jwks: '--jwks-file',
  backchannelLogoutUri: '--backchannel-logout-uri',
  firstParty: '--first-party',
  mfa: '--mfa',
  admin: '--admin',
  scope: '--scope',
  public: '--public',
  secret: '--secret-stdin',
};

const FLAG_HELP = '[--name N] [--redirect-uri URI]... [--post-logout-redirect-uri URI]... [--grant-type T]... ' +
  '[--secret-stdin | --public] [--auth-method client_secret_basic|client_secret_post|private_key_jwt|none] ' +
  '[--jwks-uri URI | --jwks-file F] [--backchannel-logout-uri URI] [--first-party] [--admin] ' +
  '[--mfa required|optional|<acr>] [--scope "..."]';

async function readJwks(path: string): Promise<unknown> {
  const text = await readUtf8File(path, 'jwks');
  try {
    return JSON.parse(text);
  } catch {
    throw usage('invalid_jwks', 'jwks');
  }
}

/** Only the flags given: absent ones stay undefined, which `update` reads as "unchanged". */
async function inputFrom(env: CommandEnv, args: CommandArgs): Promise<ClientInput> {
  const jwksFile = str(args, 'jwks-file');
  return {
    name: str(args, 'name'),
    redirectUris: strs(args, 'redirect-uri'),
    postLogoutRedirectUris: strs(args, 'post-logout-redirect-uri'),
    grantTypes: strs(args, 'grant-type'),
    authMethod: str(args, 'auth-method'),
    jwksUri: str(args, 'jwks-uri'),
    jwks: jwksFile === undefined ? undefined : await readJwks(jwksFile),
    backchannelLogoutUri: str(args, 'backchannel-logout-uri'),
    firstParty: flag(args, 'first-party'),
    admin: flag(args, 'admin'),
    mfa: str(args, 'mfa'),
    scope: str(args, 'scope'),
    public: flag(args, 'public'),
    secret: flag(args, 'secret-stdin') ? await readSecretFromStdin(env, 'secret') : undefined,
  };
}

function describe(env: CommandEnv, c: ClientView): string[] {
  const { t } = env;
  const row = (key: string, value: string | string[] | boolean | null) =>
    `${t(`cli.client.${key}`)}: ${Array.isArray(value) ? value.join(' ') : typeof value === 'boolean' ? (value ? t('cli.yes') : t('cli.no')) : (value ?? '')}`;
  return [
    row('id', c.clientId),
    row('name', c.name),
    row('redirectUris', c.redirectUris),
    row('postLogoutRedirectUris', c.postLogoutRedirectUris),
    row('grantTypes', c.grantTypes),
    row('authMethod', c.authMethod),
    row('scope', c.scope),
    row('jwksUri', c.jwksUri ?? (c.jwks ? t('cli.client.inlineJwks') : null)),
    row('backchannelLogoutUri', c.backchannelLogoutUri),
    row('firstParty', c.firstParty),
    row('admin', c.admin),
    row('mfa', c.mfaPolicy),
  ];
}

function withSecret(env: CommandEnv, result: ClientWithSecret, headline: string): string[] {
  const lines = [headline, ...describe(env, result.client)];
  if (result.secret) lines.push('', env.t('cli.client.secret'), '', `    ${result.secret}`, '', env.t('cli.shownOnce'));
  return lines;
}

const ID_ARG = { clientId: '<client-id>' };

export const clientCommands: Command[] = [
  {
    path: ['client', 'add'],
    args: [],
    usage: `client add --id ID --redirect-uri URI ${FLAG_HELP}`,
    options: { id: { type: 'string' }, ...CLIENT_OPTIONS },
    fields: CLIENT_FIELDS,
    async run(env, args) {
      const input = { clientId: str(args, 'id'), ...(await inputFrom(env, args)) };
      const result = await addClient(await env.context(), input);
      return { json: result, text: withSecret(env, result, env.t('cli.client.added', { clientId: result.client.clientId })) };
    },
  },
  {
    path: ['client', 'list'],
    args: [],
    usage: 'client list',
    options: {},
    async run(env) {
      const clients = await listClients(await env.context());
      const { t } = env;
      return {
        json: clients,
        text: tableOr(
          t('cli.client.none'),
          [t('cli.client.id'), t('cli.client.name'), t('cli.client.authMethod'), t('cli.client.mfa'), t('cli.client.admin')],
          clients.map((c) => [c.clientId, c.name, c.authMethod, c.mfaPolicy, c.admin ? t('cli.yes') : '']),
        ),
      };
    },
  },
  {
    path: ['client', 'show'],
    args: ['client-id'],
    usage: 'client show <client-id>',
    options: {},
    fields: ID_ARG,
    async run(env, args) {
      const c = await showClient(await env.context(), args.positionals[0]);
      return { json: c, text: describe(env, c) };
    },
  },
  {
    path: ['client', 'update'],
    args: ['client-id'],
    usage: `client update <client-id> ${FLAG_HELP}`,
    options: CLIENT_OPTIONS,
    fields: { ...CLIENT_FIELDS, ...ID_ARG },
    async run(env, args) {
      const result = await updateClient(await env.context(), args.positionals[0], await inputFrom(env, args));
      return { json: result, text: withSecret(env, result, env.t('cli.client.updated', { clientId: result.client.clientId })) };
    },
  },
  {
    path: ['client', 'remove'],
    args: ['client-id'],
    usage: 'client remove <client-id>',
    options: {},
    fields: ID_ARG,
    async run(env, args) {
      const r = await removeClient(await env.context(), args.positionals[0]);
      return { json: r, text: [env.t('cli.client.removed', { clientId: r.clientId })] };
    },
  },
  {
    path: ['client', 'rotate-secret'],
    args: ['client-id'],
    usage: 'client rotate-secret <client-id>',
    options: {},
    fields: ID_ARG,
    async run(env, args) {
      const result = await rotateClientSecret(await env.context(), args.positionals[0]);
      return { json: result, text: withSecret(env, result, env.t('cli.client.rotated', { clientId: result.client.clientId })) };
    },
  },
  {
    path: ['client', 'initial-access-token'],
    args: [],
    usage: 'client initial-access-token [--ttl 1d]',
    options: { ttl: { type: 'string' } },
    fields: { ttl: '--ttl' },
    async run(env, args) {
      const r = await createInitialAccessToken(await env.context(), { ttl: str(args, 'ttl') });
      const text = [env.t('cli.client.iat', { at: r.expiresAt.toISOString() }), '', `    ${r.token}`, '', env.t('cli.shownOnce')];
      if (!r.registrationEnabled) text.push(env.t('cli.client.registrationOff'));
      return { json: r, text };
    },
  },
];
