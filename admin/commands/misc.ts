// sekisho db migrate; keys …, audit, config check
import { describeConfigProblem } from '../../app/i18n.ts';
import { migrate } from '../../adapters/postgres/migrate.ts';
import { queryAudit } from '../operations/audit.ts';
import { listKeys, rotateKeys } from '../operations/keys.ts';
import { iso, tableOr } from '../table.ts';
import { flag, str, type Command } from './types.ts';


export const dbCommands: Command[] = [
  {
    path: ['db', 'migrate'],
    args: [],
    usage: 'db migrate',
    options: {},
    async run(env) {
      const ctx = await env.context({ migrate: false });
      const applied = await migrate(ctx.services.db);
      if (applied.length) await ctx.services.audit.record({ type: 'db.migrate', actor: ctx.actor, details: { applied } });
      return {
        json: { applied },
        text: [applied.length ? env.t('cli.db.migrated', { versions: applied.join(', ') }) : env.t('cli.db.upToDate')],
      };
    },
  },
];

export const operationsCommands: Command[] = [
  {
    path: ['keys', 'list'],
    args: [],
    usage: 'keys list',
    options: {},
    async run(env) {
      const keys = await listKeys(await env.context());
      const { t } = env;
      return {
        json: keys,
        text: tableOr(
          t('cli.keys.none'),
          ['kid', 'alg', t('cli.keys.colStatus'), t('cli.keys.colCreated'), t('cli.keys.colActivated'), t('cli.keys.colRetired')],
          keys.map((k) => [k.kid, k.alg, k.status, iso(k.createdAt), iso(k.activatedAt), iso(k.retiredAt)]),
        ),
      };
    },
  },
  {
    path: ['keys', 'rotate'],
    args: [],
    usage: 'keys rotate',
    options: {},
    async run(env) {
      const r = await rotateKeys(await env.context());
      const text = [env.t(`cli.keys.${r.step}`, { kids: r.kids.join(', ') }), env.t(`cli.keys.next_${r.next}`)];
      if (r.pruned) text.push(env.t('cli.keys.pruned', { count: r.pruned }));
      return { json: r, text };
    },
  },
  {
    path: ['audit'],
    args: [],
    usage: 'audit [--user U] [--since 24h|7d|2026-01-31] [--type X] [--limit N]',
    options: { user: { type: 'string' }, since: { type: 'string' }, type: { type: 'string' }, limit: { type: 'string' } },
    fields: { user: '--user', since: '--since', type: '--type', limit: '--limit' },
    async run(env, args) {
      const rows = await queryAudit(await env.context(), {
        user: str(args, 'user'),
        since: str(args, 'since'),
        type: str(args, 'type'),
        limit: str(args, 'limit'),
      });
      const { t } = env;
      return {
        json: rows,
        text: tableOr(
          t('cli.audit.none'),
          [t('cli.audit.at'), t('cli.audit.type'), t('cli.audit.outcome'), t('cli.audit.user'), t('cli.audit.client'), t('cli.audit.actor')],
          rows.map((r) => [iso(r.at), r.type, r.outcome, r.username ?? r.userId, r.clientId, r.actor]),
        ),
      };
    },
  },
  {
    path: ['config', 'check'],
    args: [],
    usage: 'config check [--production]',
    options: { production: { type: 'boolean' } },
    async run(env, args) {
      const config = env.config();
      const problems = config.productionProblems.map((p) => ({ ...p, message: describeConfigProblem(env.t, p) }));
      const strict = flag(args, 'production') ?? false;
      const text = [env.t('cli.config.ok', { env: config.env })];
      if (problems.length) {
        text.push(env.t('cli.config.productionProblems'));
        for (const p of problems) text.push(`  ${p.key}: ${p.message}`);
      } else {
        text.push(env.t('cli.config.productionReady'));
      }
      return { json: { ok: true, env: config.env, productionProblems: problems }, text, exitCode: strict && problems.length ? 2 : 0 };
    },
  },
];
