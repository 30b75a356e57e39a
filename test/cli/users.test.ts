// `sekisho user …` through the real binary, on PGlite and on PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliSandbox, sampleFor, type CliSandbox } from '../helpers/cli.ts';
import { DB_KINDS } from '../helpers/database.ts';

interface UserJson {
  id: string;
  username: string;
  name: string;
  email: string;
  locale: string | null;
  phone: string | null;
  disabled: boolean;
}

describe.each(DB_KINDS)('sekisho user (%s)', (kind) => {
  let cli: CliSandbox;
  const usernames = async () => (await cli.json<UserJson[]>(['user', 'list'])).map((u) => u.username).sort();

  beforeAll(async () => {
    cli = await cliSandbox(kind);
    expect((await cli.run(['db', 'migrate'])).code).toBe(0);
  }, 300_000);

  afterAll(async () => {
    await cli?.close();
  });

  it('adds a user with a Japanese name, a domestic phone and a password from stdin', async () => {
    const user = await cli.json<UserJson>(
      ['user', 'add', 'taro', '--email', 'taro@example.ac.jp', '--name', '山田 太郎', '--locale', 'ja', '--phone', '090-1234-5678', '--password-stdin'],
      { stdin: 'correct horse\n' },
    );
    expect(user).toMatchObject({ username: 'taro', name: '山田 太郎', locale: 'ja', phone: '+81 •• •••• 5678', disabled: false });
    const hash = await cli.withDb(async (db) => (await db.query<{ password_hash: string }>('SELECT password_hash FROM users')).rows[0]!.password_hash);
    expect(hash).toMatch(/^\$argon2id\$/);
    const argon2 = (await import('argon2')).default;
    expect(await argon2.verify(hash, 'correct horse')).toBe(true);
  }, 300_000);

  it('refuses bad input with exit code 2, names the argument and changes nothing', async () => {
    const cases: [string[], string, string?][] = [
      [['user', 'add', 'bad name', '--email', 'a@example.com', '--name', 'A'], '<username>'],
      [['user', 'add', 'hanako', '--email', 'not-an-address', '--name', 'A'], '--email'],
      [['user', 'add', 'hanako', '--email', 'a@example.com', '--name', 'A', '--locale', 'fr'], '--locale'],
      [['user', 'add', 'hanako', '--email', 'a@example.com', '--name', 'A', '--phone', '12ab'], '--phone'],
      [['user', 'add', 'hanako', '--email', 'a@example.com', '--name', 'A', '--password-stdin'], '--password-stdin', '\n'],
      [['user', 'add', 'hanako', '--email', 'a@example.com'], '--name'],
      [['user', 'add', 'hanako', '--email', 'a@example.com', '--name', 'A', '--colour', 'red'], '--colour'],
      [['user', 'add'], '<username>'],
      [['user', 'tap', 'taro', '--ttl', '5m'], '--ttl'],
      [['user', 'tap', 'taro', '--ttl', '31d'], '--ttl'],
      [['user', 'list', '--limit', 'lots'], '--limit'],
    ];
    for (const [args, arg, stdin] of sampleFor(kind, cases)) {
      const r = await cli.run(args, { stdin });
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toContain(arg);
    }
    expect(await usernames()).toEqual(['taro']);
    const passes = await cli.withDb(async (db) => (await db.query('SELECT id FROM access_passes')).rowCount);
    expect(passes).toBe(0);
  }, 300_000);

  it('reports a duplicate with exit 4 and an unknown user with exit 3, in JSON too', async () => {
    const dup = await cli.run(['user', 'add', 'TARO', '--email', 'x@example.com', '--name', 'X', '--json']);
    expect(dup.code).toBe(4);
    expect(JSON.parse(dup.stderr)).toMatchObject({ error: 'conflict', field: '<username>' });
    const missing = await cli.run(['user', 'show', 'nobody']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('nobody');
  }, 300_000);

  it('shows, disables and enables a user; disabling ends their sessions', async () => {
    const id = (await cli.json<UserJson>(['user', 'show', 'taro'])).id;
    await cli.withDb((db) =>
      db.query(
        `INSERT INTO oidc_models (model, id, payload) VALUES ('Session', 's1', $1), ('AccessToken', 'at1', $2), ('Session', 'other', $3)`,
        [
          JSON.stringify({ accountId: id, uid: 'u1', authorizations: { rp1: { sid: 'sid1' } } }),
          JSON.stringify({ accountId: id, clientId: 'rp1' }),
          JSON.stringify({ accountId: 'someone-else', uid: 'u2' }),
        ],
      ),
    );
    const disabled = await cli.json<{ changed: boolean; user: UserJson; sessions: unknown[] }>(['user', 'disable', 'taro']);
    expect(disabled).toMatchObject({ changed: true, user: { disabled: true }, sessions: [{ uid: 'u1', authorizations: { rp1: { sid: 'sid1' } } }] });
    const again = await cli.run(['user', 'disable', 'taro']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already');
    const left = await cli.withDb(async (db) => (await db.query<{ id: string }>('SELECT id FROM oidc_models ORDER BY id')).rows.map((r) => r.id));
    expect(left).toEqual(['other']);
    expect(await cli.json(['user', 'enable', 'taro'])).toMatchObject({ changed: true, user: { disabled: false } });
    const text = await cli.run(['user', 'show', 'taro', '--lang', 'ja']);
    expect(text.stdout).toContain('氏名: 山田 太郎');
    expect(text.stdout).toContain('+81 •• •••• 5678');
    expect(text.stdout).not.toContain('090');
  }, 300_000);

  it('issues a temporary access pass once, shows it only as an expiry, and resets MFA', async () => {
    const tap = await cli.json<{ code: string; once: boolean; expiresAt: string }>(['user', 'tap', 'taro', '--ttl', '2h', '--once']);
    expect(tap.code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    expect(tap.once).toBe(true);
    const shown = await cli.json<{ id: string; accessPasses: { once: boolean }[] }>(['user', 'show', 'taro']);
    expect(shown.accessPasses).toEqual([expect.objectContaining({ once: true })]);
    expect(JSON.stringify(shown)).not.toContain(tap.code);
    await cli.withDb(async (db) => {
      const { rows } = await db.query<{ code_hash: string }>('SELECT code_hash FROM access_passes');
      expect(rows[0]!.code_hash).not.toContain(tap.code.replace(/-/g, ''));
      await db.query(`INSERT INTO methods (id, user_id, kind, status, flagged_at) VALUES ('m1', $1, 'totp', 'active', now())`, [shown.id]);
      await db.query(`INSERT INTO oidc_models (model, id, payload) VALUES ('RefreshToken', 'rt1', $1)`, [JSON.stringify({ accountId: shown.id })]);
    });
    expect(await cli.json(['user', 'clear-flag', 'taro'])).toEqual({ username: 'taro', cleared: 1 });
    const reset = await cli.json<Record<string, unknown>>(['user', 'reset-mfa', 'taro']);
    expect(reset).toMatchObject({ username: 'taro', methodsRemoved: 1, passesRemoved: 1, tokensRevoked: 1 });
    const after = await cli.json<{ methods: unknown[]; accessPasses: unknown[]; mfaResetAt: string | null }>(['user', 'show', 'taro']);
    expect(after).toMatchObject({ methods: [], accessPasses: [] });
    expect(after.mfaResetAt).not.toBeNull();
    const audit = await cli.json<{ type: string; actor: string }[]>(['audit', '--user', 'taro', '--since', '1h']);
    expect(audit.map((a) => a.type)).toEqual(
      expect.arrayContaining(['user.add', 'user.disable', 'user.enable', 'user.tap', 'user.clear_flag', 'user.reset_mfa']),
    );
    expect(new Set(audit.map((a) => a.actor))).toEqual(new Set(['cli']));
  }, 300_000);

  it('imports a spreadsheet CSV (BOM, CRLF, Japanese, any column order), reports bad rows by line, and re-runs idempotently', async () => {
    const good = Array.from({ length: 300 }, (_, i) => `"Staff 職員${i}",s${i}@example.ac.jp,user${i},ja,ignored,${i % 2 ? '' : '03-1234-5678'}`);
    const rows = [
      'name,email,username,locale,department,phone',
      ...good.slice(0, 100),
      '"佐藤, 花子",hanako@example.ac.jp,hanako,ja,総務,090-1111-2222',
      'Bad Row,bad@example.ac.jp,bad user,,,',
      'No Mail,not-an-address,nomail,,,',
      'Wrong Lang,w@example.ac.jp,wronglang,fr,,',
      'Bad Phone,p@example.ac.jp,badphone,,,12345',
      'Again,again@example.ac.jp,User0,,,',
      ...good.slice(100),
    ];
    const file = join(cli.dataDir, 'staff.csv');
    writeFileSync(file, '\ufeff' + rows.join('\r\n') + '\r\n');
    const first = await cli.run(['user', 'import', file, '--json']);
    expect(first.code).toBe(2);
    const result = JSON.parse(first.stdout) as { total: number; created: number; updated: number; problems: { line: number; field: string; message: string }[] };
    expect(result).toMatchObject({ total: 306, created: 301, updated: 0 });
    expect(result.problems.map((p) => [p.line, p.field])).toEqual([
      [103, 'username'],
      [104, 'email'],
      [105, 'locale'],
      [106, 'phone'],
      [107, 'username'],
    ]);
    expect(result.problems[4]!.message).toContain('line 2');
    const hanako = await cli.json<UserJson>(['user', 'show', 'hanako']);
    expect(hanako).toMatchObject({ name: '佐藤, 花子', email: 'hanako@example.ac.jp', locale: 'ja', phone: '+81 •• •••• 2222' });

    const second = await cli.run(['user', 'import', file]);
    expect(second.code).toBe(2);
    expect(second.stdout).toContain('0 users created, 301 updated, 5 rows refused');
    expect(second.stdout).toContain('line 103, username');
    expect(second.stderr).toBe('');
    expect((await cli.json<UserJson[]>(['user', 'list', '--limit', '1000'])).length).toBe(302);
  }, 300_000);

  it('refuses a CSV without the needed columns, or not in UTF-8, without importing anything', async () => {
    const noName = join(cli.dataDir, 'no-name.csv');
    writeFileSync(noName, 'username,email\nnew1,new1@example.com\n');
    const r1 = await cli.run(['user', 'import', noName]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain('"name"');
    const sjis = join(cli.dataDir, 'sjis.csv');
    writeFileSync(sjis, Buffer.from([0x75, 0x2c, 0x65, 0x2c, 0x6e, 0x0a, 0x61, 0x2c, 0x62, 0x2c, 0x8e, 0x52, 0x93, 0x63, 0x0a]));
    const r2 = await cli.run(['user', 'import', sjis]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('UTF-8');
    const r3 = await cli.run(['user', 'import', join(cli.dataDir, 'missing.csv')]);
    expect(r3.code).toBe(2);
    expect(await cli.json<UserJson[]>(['user', 'list', '--search', 'new1'])).toEqual([]);
  }, 300_000);
});
