// Directory sign-in against a real slapd: accounts created on first sign-in, the password never
// stored, local accounts beside them, and a clear message when the directory is down.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createUser, firstSignIn, start, steppingClock, submitPassword } from '../helpers/journey.ts';
import { createRp, type Rp } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startSlapd, type Slapd } from '../helpers/slapd.ts';

describe('sign-in with the university directory', () => {
  const clock = steppingClock();
  let slapd: Slapd;
  let server: TestServer;
  let rp: Rp;

  beforeAll(async () => {
    slapd = await startSlapd({
      users: [{ uid: 'suzuki', cn: '鈴木 花子', mail: 'suzuki@example.ac.jp', preferredLanguage: 'ja', password: 'directory secret' }],
    });
    server = await startTestServer({
      now: clock.now,
      env: {
        SEKISHO_LDAP_URL: slapd.url,
        SEKISHO_LDAP_BASE_DN: slapd.baseDn,
        SEKISHO_LDAP_BIND_DN: slapd.bindDn,
        SEKISHO_LDAP_BIND_PASSWORD: slapd.bindPassword,
        SEKISHO_LDAP_TIMEOUT_MS: '15000',
      },
    });
    rp = await createRp(server.url, server.services);
    await createUser(server.services, 'local-sato', 'local password 1');
  });
  afterAll(async () => {
    await server.close();
    await slapd.stop();
  });

  it('creates the account on the first directory sign-in, with claims from the directory and no stored password', async () => {
    const result = await firstSignIn(rp, 'suzuki', 'directory secret', clock);
    const user = await server.services.users.findByUsername('suzuki');
    expect(user).toMatchObject({ source: 'ldap', name: '鈴木 花子', email: 'suzuki@example.ac.jp', passwordHash: null });
    expect(result.tokens.claims()!.sub).toBe(user!.id);
    const info = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${result.tokens.access_token}` } }).then((r) => r.json());
    expect(info).toMatchObject({ sub: user!.id, name: '鈴木 花子', email: 'suzuki@example.ac.jp' });
  });

  it('refuses a wrong directory password and an unknown name with the same message', async () => {
    const wrong = await submitPassword(await start(rp), rp, 'suzuki', 'not it');
    const unknown = await submitPassword(await start(rp), rp, 'nobody', 'not it');
    expect(wrong.status).toBe(unknown.status);
    const message = (html: string) => /<p class="error"[^>]*>([^<]*)</.exec(html)?.[1];
    expect(message(wrong.html)).toContain('ユーザー名とパスワードを確認してください');
    expect(message(wrong.html)).toBe(message(unknown.html));
  });

  it('keeps local accounts working beside directory ones', async () => {
    clock.nextStep();
    const result = await firstSignIn(rp, 'local-sato', 'local password 1', clock);
    expect(result.tokens.claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
  });

  it('says the directory is unavailable when it is down, without blaming the password', async () => {
    await slapd.stop();
    const page = await submitPassword(await start(rp), rp, 'suzuki', 'directory secret');
    expect(page.status).toBe(503);
    expect(page.html).toContain('学内ディレクトリが応答しない');
  });
});
