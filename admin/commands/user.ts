// sekisho user …
import { importUsers } from '../operations/import.ts';
import {
  addUser, clearFlags, issueTap, listUsers, resetMfa, setUserDisabled, showUser, type UserSummary,
} from '../operations/users.ts';
import { progressBar } from '../progress.ts';
import { iso, tableOr } from '../table.ts';
import { readSecretFromStdin, readUtf8File } from './input.ts';
import { flag, str, type Command, type CommandEnv } from './types.ts';

function userLine(env: CommandEnv, u: UserSummary): string[] {
  const { t } = env;
  return [
    `${t('cli.user.username')}: ${u.username}`,
    `${t('cli.user.name')}: ${u.name ?? ''}`,
    `${t('cli.user.email')}: ${u.email ?? ''}`,
    `${t('cli.user.locale')}: ${u.locale ?? ''}`,
    `${t('cli.user.phone')}: ${u.phone ?? ''}`,
    `${t('cli.user.status')}: ${u.disabled ? t('cli.user.statusDisabled') : t('cli.user.statusEnabled')}`,
  ];
}

const USERNAME_FIELD = { username: '<username>' };

export const userCommands: Command[] = [
  {
    path: ['user', 'add'],
    args: ['username'],
    usage: 'user add <username> --email E --name N [--locale ja|en] [--phone P] [--password-stdin]',
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      locale: { type: 'string' },
      phone: { type: 'string' },
      'password-stdin': { type: 'boolean' },
    },
    fields: { ...USERNAME_FIELD, email: '--email', name: '--name', locale: '--locale', phone: '--phone', password: '--password-stdin' },
    async run(env, args) {
      const ctx = await env.context();
      // Everything else is checked before reading stdin by the operation; an empty password is refused here.
      const password = flag(args, 'password-stdin') ? await readSecretFromStdin(env, 'password') : undefined;
      const user = await addUser(ctx, {
        username: args.positionals[0],
        email: str(args, 'email'),
        name: str(args, 'name'),
        locale: str(args, 'locale'),
        phone: str(args, 'phone'),
        password,
      });
      return { json: user, text: [env.t('cli.user.added', { username: user.username }), ...userLine(env, user)] };
    },
  },
  {
    path: ['user', 'list'],
    args: [],
    usage: 'user list [--search S] [--limit N]',
    options: { search: { type: 'string' }, limit: { type: 'string' } },
    fields: { search: '--search', limit: '--limit' },
    async run(env, args) {
      const users = await listUsers(await env.context(), { search: str(args, 'search'), limit: str(args, 'limit') });
      const { t } = env;
      return {
        json: users,
        text: tableOr(
          t('cli.user.none'),
          [t('cli.user.username'), t('cli.user.name'), t('cli.user.email'), t('cli.user.status')],
          users.map((u) => [u.username, u.name, u.email, u.disabled ? t('cli.user.statusDisabled') : t('cli.user.statusEnabled')]),
        ),
      };
    },
  },
  {
    path: ['user', 'show'],
    args: ['username'],
    usage: 'user show <username>',
    options: {},
    fields: USERNAME_FIELD,
    async run(env, args) {
      const u = await showUser(await env.context(), args.positionals[0]);
      const { t } = env;
      const text = [...userLine(env, u), `${t('cli.user.mfaResetAt')}: ${iso(u.mfaResetAt)}`, `${t('cli.user.methods')}:`];
      if (!u.methods.length) text.push(`  ${t('cli.user.noMethods')}`);
      for (const m of u.methods) {
        const marks = [m.isDefault ? t('cli.user.default') : '', m.status === 'pending' ? t('cli.user.pending') : '', m.flagged ? t('cli.user.flagged') : '']
          .filter(Boolean)
          .join(', ');
        text.push(`  - ${m.kind}${m.label ? ` "${m.label}"` : ''}${m.phone ? ` ${m.phone}` : ''}${marks ? ` (${marks})` : ''}`);
      }
      for (const p of u.accessPasses) text.push(`${t('cli.user.accessPass')}: ${t('cli.user.expires', { at: iso(p.expiresAt) })}${p.once ? ` (${t('cli.user.once')})` : ''}`);
      for (const l of u.locks) text.push(t('cli.user.locked', { scope: l.scope, until: iso(l.lockedUntil) }));
      return { json: u, text };
    },
  },
  ...(['disable', 'enable'] as const).map(
    (action): Command => ({
      path: ['user', action],
      args: ['username'],
      usage: `user ${action} <username>`,
      options: {},
      fields: USERNAME_FIELD,
      async run(env, args) {
        const result = await setUserDisabled(await env.context(), args.positionals[0], action === 'disable');
        const key = result.changed ? `cli.user.${action}d` : `cli.user.already_${action}d`;
        return { json: result, text: [env.t(key, { username: result.user.username })] };
      },
    }),
  ),
  {
    path: ['user', 'reset-mfa'],
    args: ['username'],
    usage: 'user reset-mfa <username>',
    options: {},
    fields: USERNAME_FIELD,
    async run(env, args) {
      const r = await resetMfa(await env.context(), args.positionals[0]);
      return {
        json: r,
        text: [env.t('cli.user.reset', { username: r.username, methods: r.methodsRemoved, passes: r.passesRemoved, sessions: r.sessions.length })],
      };
    },
  },
  {
    path: ['user', 'tap'],
    args: ['username'],
    usage: 'user tap <username> [--ttl 1h] [--once]',
    options: { ttl: { type: 'string' }, once: { type: 'boolean' } },
    fields: { ...USERNAME_FIELD, ttl: '--ttl', once: '--once' },
    async run(env, args) {
      const r = await issueTap(await env.context(), args.positionals[0], { ttl: str(args, 'ttl'), once: flag(args, 'once') });
      return {
        json: r,
        text: [
          env.t('cli.user.tapIssued', { username: r.username }),
          '',
          `    ${r.code}`,
          '',
          env.t(r.once ? 'cli.user.tapOnce' : 'cli.user.tapReusable', { at: r.expiresAt.toISOString() }),
          env.t('cli.shownOnce'),
        ],
      };
    },
  },
  {
    path: ['user', 'clear-flag'],
    args: ['username'],
    usage: 'user clear-flag <username>',
    options: {},
    fields: USERNAME_FIELD,
    async run(env, args) {
      const r = await clearFlags(await env.context(), args.positionals[0]);
      return { json: r, text: [env.t('cli.user.flagsCleared', { username: r.username, count: r.cleared })] };
    },
  },
  {
    path: ['user', 'import'],
    args: ['file.csv'],
    usage: 'user import <file.csv>',
    options: {},
    fields: { file: '<file.csv>' },
    async run(env, args) {
      const text = await readUtf8File(args.positionals[0]!, 'file');
      const ctx = await env.context();
      const bar = progressBar(env.stderr);
      const result = await importUsers(ctx, text, { onProgress: (done, total) => bar.update(done, total) }).finally(() => bar.finish());
      const problems = result.problems.map((p) => ({
        ...p,
        message: env.t(`cli.errors.${p.key}`, p.params),
      }));
      return {
        json: { ...result, problems },
        text: [
          env.t('cli.user.imported', { total: result.total, created: result.created, updated: result.updated, rejected: problems.length }),
          ...problems.map((p) => env.t('cli.user.importProblem', { line: p.line, field: p.field, message: p.message })),
        ],
        exitCode: problems.length ? 2 : 0,
      };
    },
  },
];
