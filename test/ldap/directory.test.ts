import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { LdapConfig } from '../../config/index.ts';
import { createLdapDirectory, DirectoryUnavailableError, userFilter } from '../../adapters/ldap/directory.ts';
import { type Slapd, startSlapd } from '../helpers/slapd.ts';

const users = [
  { uid: 'tanaka', cn: '田中 太郎', sn: '田中', mail: 'tanaka@example.ac.jp', preferredLanguage: 'ja', password: '正しい馬 battery' },
  { uid: 'smith', cn: 'Jane Smith', mail: 'smith@example.ac.jp', preferredLanguage: 'en', password: 's3cret!', passwordScheme: 'ssha' as const },
  { uid: 'dup1', cn: 'Shared One', mail: 'shared@example.ac.jp', password: 'one' },
  { uid: 'dup2', cn: 'Shared Two', mail: 'shared@example.ac.jp', password: 'two' },
];

let directory: Slapd;
/** The address of a directory that was started and then stopped: nothing listens there any more. */
let downUrl: string;

function config(overrides: Partial<LdapConfig> = {}): LdapConfig {
  return {
    url: directory.url,
    bindDn: directory.bindDn,
    bindPassword: directory.bindPassword,
    baseDn: directory.baseDn,
    userFilter: '(uid={username})',
    attributes: { email: 'mail', name: 'cn', locale: 'preferredLanguage' },
    timeoutMs: 5000,
    ...overrides,
  };
}

beforeAll(async () => {
  directory = await startSlapd({ users });
  const stopped = await startSlapd({ users: [] });
  downUrl = stopped.url;
  await stopped.stop();
});

afterAll(async () => {
  await directory?.stop();
});

describe('userFilter', () => {
  it('escapes every character RFC 4515 reserves, leaving others (Japanese too) alone', () => {
    expect(userFilter('(uid={username})', 'a*b(c)\\\0')).toBe('(uid=a\\2ab\\28c\\29\\5c\\00)');
    expect(userFilter('(|(uid={username})(mail={username}))', '田中$&')).toBe('(|(uid=田中$&)(mail=田中$&))');
  });
});

describe('LDAP directory sign-in', () => {
  it('signs in with the right password and maps attributes to a profile', async () => {
    const result = await createLdapDirectory(config()).authenticate('tanaka', '正しい馬 battery');
    expect(result).toEqual({
      ok: true,
      profile: {
        dn: `uid=tanaka,${directory.peopleDn}`,
        email: 'tanaka@example.ac.jp',
        name: '田中 太郎',
        locale: 'ja',
      },
    });
  });

  it('searches anonymously when no service account is configured', async () => {
    const anonymous = createLdapDirectory(config({ bindDn: undefined, bindPassword: undefined }));
    const result = await anonymous.authenticate('tanaka', '正しい馬 battery');
    expect(result.ok).toBe(true);
  });

  it('accepts a password the directory stores hashed ({SSHA})', async () => {
    const result = await createLdapDirectory(config()).authenticate('smith', 's3cret!');
    expect(result).toMatchObject({ ok: true, profile: { name: 'Jane Smith', locale: 'en' } });
  });

  it('matches configured attribute names case-insensitively', async () => {
    const shouting = createLdapDirectory(config({ attributes: { email: 'MAIL', name: 'CN', locale: 'preferredlanguage' } }));
    const result = await shouting.authenticate('tanaka', '正しい馬 battery');
    expect(result).toMatchObject({ ok: true, profile: { email: 'tanaka@example.ac.jp', name: '田中 太郎', locale: 'ja' } });
  });

  it('reports a wrong password as bad_password', async () => {
    const result = await createLdapDirectory(config()).authenticate('tanaka', 'wrong');
    expect(result).toEqual({ ok: false, reason: 'bad_password' });
  });

  it('reports an unknown user as not_found', async () => {
    const result = await createLdapDirectory(config()).authenticate('nobody', 'whatever');
    expect(result).toEqual({ ok: false, reason: 'not_found' });
  });

  it('refuses an empty password without asking the directory (an empty bind would "succeed")', async () => {
    // Pointed at a dead address: any contact with the directory would fail as unavailable.
    const result = await createLdapDirectory(config({ url: downUrl })).authenticate('tanaka', '');
    expect(result).toEqual({ ok: false, reason: 'bad_password' });
  });

  it.each(['*', 'tanaka)(uid=*', '*)(|(uid=*', 'tana*', 'tanaka\\', 'tanaka\0'])(
    'treats the filter-injection username %j as a literal (not_found)',
    async (username) => {
      const result = await createLdapDirectory(config()).authenticate(username, '正しい馬 battery');
      expect(result).toEqual({ ok: false, reason: 'not_found' });
    },
  );

  it('treats a filter that matches more than one entry as not_found, without binding', async () => {
    const byMail = createLdapDirectory(config({ userFilter: '(mail={username})' }));
    expect(await byMail.authenticate('shared@example.ac.jp', 'one')).toEqual({ ok: false, reason: 'not_found' });
    expect(await byMail.lookup('shared@example.ac.jp')).toBeUndefined();
    expect(await byMail.authenticate('smith@example.ac.jp', 's3cret!')).toMatchObject({ ok: true });
  });

  it('looks a user up without a password', async () => {
    const ldap = createLdapDirectory(config());
    expect(await ldap.lookup('smith')).toEqual({
      dn: `uid=smith,${directory.peopleDn}`,
      email: 'smith@example.ac.jp',
      name: 'Jane Smith',
      locale: 'en',
    });
    expect(await ldap.lookup('nobody')).toBeUndefined();
  });

  it('reports a rejected service account as the directory being unavailable, not as a bad password', async () => {
    const misconfigured = createLdapDirectory(config({ bindPassword: 'not-the-service-password' }));
    await expect(misconfigured.authenticate('tanaka', '正しい馬 battery')).rejects.toBeInstanceOf(DirectoryUnavailableError);
  });

  it('refuses a service account without a password instead of binding unauthenticated', async () => {
    const passwordless = createLdapDirectory(config({ bindPassword: undefined }));
    await expect(passwordless.lookup('tanaka')).rejects.toBeInstanceOf(DirectoryUnavailableError);
  });

  it('fails with DirectoryUnavailableError when the directory is down', async () => {
    const down = createLdapDirectory(config({ url: downUrl }));
    await expect(down.authenticate('tanaka', '正しい馬 battery')).rejects.toMatchObject({
      name: 'DirectoryUnavailableError',
      code: 'directory_unavailable',
    });
    await expect(down.lookup('tanaka')).rejects.toBeInstanceOf(DirectoryUnavailableError);
  });

  it('fails with DirectoryUnavailableError, instead of hanging, when the directory does not answer', async () => {
    const impatient = createLdapDirectory(config({ timeoutMs: 1000 }));
    try {
      await directory.freeze();
      await expect(impatient.authenticate('tanaka', '正しい馬 battery')).rejects.toBeInstanceOf(DirectoryUnavailableError);
    } finally {
      directory.thaw();
    }
    // Once it answers again, so do we.
    expect(await createLdapDirectory(config()).authenticate('tanaka', '正しい馬 battery')).toMatchObject({ ok: true });
  });
});
