// sekisho --help, config check, db migrate, keys and audit through the real binary.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cliSandbox, type CliSandbox } from '../helpers/cli.ts';
import { DB_KINDS } from '../helpers/database.ts';

describe('sekisho help and config check (no database)', () => {
  let cli: CliSandbox;
  beforeAll(async () => {
    cli = await cliSandbox('pglite');
  });
  afterAll(async () => {
    await cli?.close();
  });

  it('the embedded database open in another process: exit 1 with a message in the chosen language', async () => {
    const folder = join(cli.dataDir, 'pglite');
    mkdirSync(folder, { recursive: true });
    // pid 1 always exists: as if a server held the folder.
    writeFileSync(join(folder, 'sekisho.lock'), '1');
    try {
      const ja = await cli.run(['user', 'list', '--lang', 'ja']);
      expect(ja.code).toBe(1);
      expect(ja.stderr).toContain('組み込みデータベースは別のプロセス(起動中のサーバーなど)が使用中です');
      const json = await cli.run(['user', 'list', '--json']);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stderr)).toMatchObject({ error: 'database_in_use', message: expect.stringContaining('admin API') });
    } finally {
      rmSync(join(folder, 'sekisho.lock'), { force: true });
    }
  });

  it('documents every command and the exit codes, in English and Japanese', async () => {
    const en = await cli.run(['--help']);
    expect(en.code).toBe(0);
    for (const command of ['db migrate', 'user add', 'user import', 'user tap', 'client add', 'client rotate-secret', 'keys rotate', 'audit', 'config check']) {
      expect(en.stdout).toContain(command);
    }
    expect(en.stdout).toMatch(/Exit codes:[\s\S]*0 {2}success[\s\S]*2 {2}bad arguments[\s\S]*3 {2}the user or client does not exist[\s\S]*4 {2}it already exists/);
    const ja = await cli.run(['--lang', 'ja', '--help']);
    expect(ja.stdout).toContain('終了コード');
    const sub = await cli.run(['client', 'add', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('--redirect-uri');
    const group = await cli.run(['user', '--help']);
    expect(group.stdout).toContain('sekisho user reset-mfa <username>');
    const unknown = await cli.run(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('frobnicate');
    const badLang = await cli.run(['user', 'list', '--lang', 'fr']);
    expect(badLang.code).toBe(2);
  }, 300_000);

  it('config check: exit 0 with what production would refuse; exit 2 naming each bad variable', async () => {
    const ok = await cli.run(['config', 'check', '--json']);
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.stdout) as { productionProblems: { key: string }[] };
    expect(report.productionProblems.map((p) => p.key)).toEqual(expect.arrayContaining(['SEKISHO_SECRET_KEY', 'DATABASE_URL']));
    expect((await cli.run(['config', 'check', '--production'])).code).toBe(2);
    const bad = await cli.run(['config', 'check'], { env: { SEKISHO_MFA: 'sometimes', PORT: 'eighty' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('SEKISHO_MFA');
    expect(bad.stderr).toContain('PORT: must be a whole number from 0 to 65535');
    const badJa = await cli.run(['config', 'check', '--lang', 'ja'], { env: { PORT: 'eighty' } });
    expect(badJa.code).toBe(2);
    expect(badJa.stderr).toContain('PORT: 0 から 65535 までの整数を指定してください');
    const badJson = await cli.run(['config', 'check', '--json'], { env: { PORT: 'eighty' } });
    expect(JSON.parse(badJson.stderr)).toEqual({
      error: 'config',
      problems: [{ key: 'PORT', reason: 'wholeNumber', params: { min: 0, max: 65535 }, message: 'must be a whole number from 0 to 65535' }],
    });
    const prod = await cli.run(['user', 'list'], { env: { NODE_ENV: 'production' } });
    expect(prod.code).toBe(2);
    expect(prod.stderr).toContain('SEKISHO_COOKIE_KEYS');
  }, 300_000);
});

describe.each(DB_KINDS)('sekisho db, keys and audit (%s)', (kind) => {
  let cli: CliSandbox;
  beforeAll(async () => {
    cli = await cliSandbox(kind);
  });
  afterAll(async () => {
    await cli?.close();
  });

  it('migrates once, then reports the database up to date', async () => {
    const first = await cli.json<{ applied: string[] }>(['db', 'migrate']);
    expect(first.applied).toContain('0001_init');
    expect(await cli.json(['db', 'migrate'])).toEqual({ applied: [] });
  }, 300_000);

  it('rotates signing keys one phase per call and says what comes next', async () => {
    expect(await cli.json(['keys', 'list'])).toEqual([]);
    const published = await cli.run(['keys', 'rotate']);
    expect(published.code).toBe(0);
    expect(published.stdout).toMatch(/Published new keys[\s\S]*run "sekisho keys rotate" again/);
    const keys = await cli.json<{ kid: string; status: string }[]>(['keys', 'list']);
    expect(keys.map((k) => k.status).sort()).toEqual(['current', 'current', 'next', 'next']);
    const activated = await cli.json<{ step: string; next: string; kids: string[] }>(['keys', 'rotate']);
    expect(activated).toMatchObject({ step: 'activated', next: 'publish' });
    const after = await cli.json<{ kid: string; status: string }[]>(['keys', 'list']);
    expect(after.filter((k) => k.status === 'current').map((k) => k.kid).sort()).toEqual([...activated.kids].sort());
    expect(after.filter((k) => k.status === 'retired')).toHaveLength(2);

    // Keys retired longer ago than the longest token lifetime (14 days) are dropped by the next rotation.
    await cli.withDb((db) => db.query(`UPDATE signing_keys SET retired_at = now() - interval '15 days' WHERE status = 'retired'`));
    const pruning = await cli.run(['keys', 'rotate']);
    expect(pruning.stdout).toContain('2 retired keys older than 14 days were removed');
    const left = await cli.json<{ status: string }[]>(['keys', 'list']);
    expect(left.map((k) => k.status).sort()).toEqual(['current', 'current', 'next', 'next']);
  }, 300_000);

  it('filters the audit log by type, time and user, and refuses bad filters', async () => {
    const rotations = await cli.json<{ type: string; actor: string }[]>(['audit', '--type', 'keys', '--since', '1h']);
    expect(rotations.map((r) => r.type)).toEqual(['keys.rotate', 'keys.rotate', 'keys.rotate']);
    expect(await cli.json(['audit', '--since', '2999-01-01'])).toEqual([]);
    expect(await cli.json(['audit', '--limit', '1'])).toHaveLength(1);
    for (const args of [['--since', 'yesterday'], ['--limit', '0'], ['--user', 'no such user']]) {
      const r = await cli.run(['audit', ...args]);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toContain(args[0]);
    }
  }, 300_000);
});
