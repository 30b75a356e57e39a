// The Security info page end to end: it signs in through Sekisho's own pages (password, then the
// authenticator), lists the methods, renames, changes the default, refuses to remove the last method,
// adds an authenticator, makes new backup codes and signs out everywhere — every change audited.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ACCOUNT_CLIENT_ID, ensureAccountClient } from '../../account/client.ts';
import { SignedValues, type AccountSession } from '../../account/session.ts';
import { loadOrCreateSecret } from '../../adapters/postgres/server-secrets.ts';
import { countBackupCodes, verifyBackupCode } from '../../methods/backup-codes/index.ts';
import { Agent, findForm, text, type Page } from '../helpers/agent.ts';
import { DB_KINDS } from '../helpers/database.ts';
import { createUser, firstSignIn, steppingClock } from '../helpers/journey.ts';
import { totpCode } from '../helpers/oath.ts';
import { createRp, type Rp } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const PASSWORD = 'correct horse battery';

describe.each(DB_KINDS)('Security info page (/account) on %s', (db) => {
  const clock = steppingClock();
  let server: TestServer;
  let rp: Rp;
  let userId: string;
  let secret: string;
  let browser: Agent;
  let page: Page;

  const url = (path: string) => `${server.url}${path}`;
  const code = (key: string) => totpCode(key, { at: new Date(clock.now()) });

  /** Follows redirects like a browser and keeps every Set-Cookie line seen on the way. */
  async function followAll(agent: Agent, start: Page): Promise<{ page: Page; setCookies: string[] }> {
    const setCookies = [...start.headers.getSetCookie()];
    let current = start;
    for (let hops = 0; current.location && hops < 20; hops++) {
      current = await agent.get(current.location);
      setCookies.push(...current.headers.getSetCookie());
    }
    return { page: current, setCookies };
  }

  /** Opens /account in a browser with no session: Sekisho's sign-in pages, then back to the page. */
  async function signInToAccount(agent: Agent, key: string): Promise<{ page: Page; setCookies: string[] }> {
    clock.nextStep();
    const login = await agent.follow(await agent.get(url('/account')));
    expect(login.url).toMatch(/\/interaction\/[^/]+$/);
    const mfa = await agent.submit(login, '/login', { username: 'suzuki', password: PASSWORD });
    expect(mfa.url).toMatch(/\/second-factor$/);
    const form = findForm(mfa.html, '/verify/');
    const posted = await agent.post(new URL(form.action, mfa.url).toString(), { ...form.hidden, code: code(key) });
    return followAll(agent, posted);
  }

  const csrfOf = (p: Page) => findForm(p.html, '/account/signout-all').hidden.csrf!;
  const methodsOf = () => server.services.methods.listForUser(userId, { activeOnly: true });
  const auditTypes = async () => (await server.services.audit.query({ userId })).map((e) => e.type);

  async function change(path: string, fields: Record<string, string> = {}): Promise<Page> {
    const current = await browser.get(url('/account'));
    return browser.post(url(path), { csrf: csrfOf(current), ...fields });
  }

  beforeAll(async () => {
    server = await startTestServer({ db, now: clock.now });
    rp = await createRp(server.url, server.services);
    userId = (await createUser(server.services, 'suzuki', PASSWORD, { name: '鈴木 花子' })).id;
    secret = (await firstSignIn(rp, 'suzuki', PASSWORD, clock)).secret;
  });
  afterAll(() => server.close());

  it('registers its own first-party client once, with a secret that stays the same', async () => {
    const before = await server.services.clients.find(ACCOUNT_CLIENT_ID);
    expect(before).toMatchObject({ firstParty: true, mfaPolicy: 'required' });
    expect(before!.metadata.redirect_uris).toEqual([`${server.url}/account/callback`]);
    const again = await ensureAccountClient(server.services, server.url);
    const after = await server.services.clients.find(ACCOUNT_CLIENT_ID);
    expect(again.secret).toBe(before!.secret);
    expect(after!.updatedAt).toEqual(before!.updatedAt);
  });

  it('sends a visitor without a session to Sekisho with PKCE, state and nonce', async () => {
    const agent = new Agent();
    const res = await agent.get(url('/account'));
    expect(res.status).toBe(303);
    const auth = new URL(res.location!);
    expect(auth.pathname).toBe('/auth');
    expect(auth.searchParams.get('client_id')).toBe(ACCOUNT_CLIENT_ID);
    expect(auth.searchParams.get('redirect_uri')).toBe(url('/account/callback'));
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256');
    expect(auth.searchParams.get('nonce')).toBeTruthy();
    expect(auth.searchParams.get('state')).toBeTruthy();
    expect(auth.searchParams.has('prompt')).toBe(false);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('sekisho_account_login='))!;
    expect(cookie).toMatch(/path=\/account/i);
    expect(cookie).toMatch(/httponly/i);
  });

  it('refuses a callback that does not belong to a request it sent', async () => {
    const agent = new Agent();
    await agent.get(url('/account'));
    const res = await agent.get(url('/account/callback?code=abc&state=forged'));
    expect(res.status).toBe(400);
    expect(res.html).toContain('もう一度セキュリティ情報ページを開いてください');
  });

  it('signs in through the password and authenticator pages and lists the methods', async () => {
    browser = new Agent();
    const result = await signInToAccount(browser, secret);
    page = result.page;
    expect(page.url).toBe(url('/account'));
    expect(page.status).toBe(200);
    const cookie = result.setCookies.find((c) => c.startsWith('sekisho_account=') && !/expires=Thu, 01 Jan 1970/i.test(c))!;
    expect(cookie).toMatch(/path=\/account/i);
    expect(cookie).toMatch(/httponly/i);
    expect(cookie).toMatch(/samesite=lax/i);
    expect(cookie).not.toMatch(/secure/i);
    expect(page.html).toContain('セキュリティ情報');
    const [method] = await methodsOf();
    expect(text(page.html, `name-${method!.id}`)).toBe('認証アプリ');
    expect(text(page.html, 'default-marker')).toBe('既定');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('renames a method with a Japanese name', async () => {
    const [method] = await methodsOf();
    const res = await change(`/account/methods/${method!.id}/rename`, { label: '  仕事用スマホ 📱  ' });
    expect(res.status).toBe(303);
    expect(res.location).toBe(url('/account?done=rename'));
    const after = await browser.get(res.location!);
    expect(text(after.html, `name-${method!.id}`)).toBe('仕事用スマホ 📱');
    expect(after.html).toContain('名前を保存しました。');
    expect((await server.services.methods.find(method!.id))!.label).toBe('仕事用スマホ 📱');
  });

  it('refuses empty, oversized and unprintable names with a localized 400', async () => {
    const [method] = await methodsOf();
    const path = `/account/methods/${method!.id}/rename`;
    const empty = await change(path, { label: '   ' });
    expect(empty.status).toBe(400);
    expect(empty.html).toContain('すべての項目');
    const long = await change(path, { label: 'あ'.repeat(65) });
    expect(long.status).toBe(400);
    const bell = await change(path, { label: 'a\u0007b' });
    expect(bell.status).toBe(400);
    const newline = await change(path, { label: 'a\nb' });
    expect(newline.status).toBe(400);
    const huge = await change(path, { label: 'x'.repeat(20_000) });
    expect(huge.status).toBe(413);
    const sixtyFourEmoji = await change(path, { label: '📱'.repeat(64) });
    expect(sixtyFourEmoji.status).toBe(303);
    expect((await server.services.methods.find(method!.id))!.label).toBe('📱'.repeat(64));
    const missing = await change('/account/methods/m_nosuch/rename', { label: 'x' });
    expect(missing.status).toBe(404);
  });

  it('refuses a change without a valid CSRF token (403)', async () => {
    const [method] = await methodsOf();
    const none = await browser.post(url(`/account/methods/${method!.id}/rename`), { label: 'no token' });
    expect(none.status).toBe(403);
    expect(none.html).toContain('ページの有効期限');
    const wrong = await browser.post(url(`/account/methods/${method!.id}/rename`), { label: 'x', csrf: 'A'.repeat(43) });
    expect(wrong.status).toBe(403);
    const crossSite = await browser.post(url('/account/signout-all'), { csrf: csrfOf(await browser.get(url('/account'))) }, { origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
  });

  it('refuses to remove the last method, in the page language', async () => {
    const [method] = await methodsOf();
    const confirm = await browser.get(url(`/account/methods/${method!.id}/remove`));
    expect(confirm.status).toBe(200);
    const res = await browser.submit(confirm, '/remove', {});
    expect(res.status).toBe(409);
    expect(res.html).toContain('サインインに使える唯一の方法のため、削除できません。');
    expect(await methodsOf()).toHaveLength(1);
    browser.cookies.set('sekisho_lang', 'en');
    const en = await browser.post(url(`/account/methods/${method!.id}/remove`), { csrf: csrfOf(await browser.get(url('/account'))) });
    expect(en.status).toBe(409);
    expect(en.html).toContain('This is the only method you can sign in with');
    browser.cookies.delete('sekisho_lang');
  });

  let secondSecret: string;

  it('adds a second authenticator, active only after a correct code', async () => {
    const setup = await browser.get(url('/account/add/app'));
    expect(setup.status).toBe(200);
    secondSecret = text(setup.html, 'manual-key')!.replace(/\s/g, '');
    expect(secondSecret).toMatch(/^[A-Z2-7]{32}$/);
    expect(setup.html).toContain('otpauth://totp/');
    expect(setup.html).toContain('<svg');
    const wrong = await browser.submit(setup, '/account/add/app/', { code: '000000' === code(secondSecret) ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    expect(await methodsOf()).toHaveLength(1);
    clock.nextStep();
    const done = await browser.submit(wrong, '/account/add/app/', { code: code(secondSecret) });
    expect(done.url).toBe(url('/account?done=add'));
    const methods = await methodsOf();
    expect(methods.map((m) => m.kind)).toEqual(['totp', 'totp']);
    expect(methods[0]!.isDefault).toBe(true);
  });

  it('makes the new authenticator the default, then removing it hands the default back', async () => {
    const [first, second] = await methodsOf();
    const res = await change(`/account/methods/${second!.id}/default`);
    expect(res.status).toBe(303);
    expect((await server.services.methods.find(second!.id))!.isDefault).toBe(true);
    expect((await server.services.methods.find(first!.id))!.isDefault).toBe(false);
    const removed = await change(`/account/methods/${second!.id}/remove`);
    expect(removed.status).toBe(303);
    const left = await methodsOf();
    expect(left.map((m) => m.id)).toEqual([first!.id]);
    expect(left[0]!.isDefault).toBe(true);
  });

  it('makes backup codes, shows them once, and a new set voids the old one', async () => {
    const made = await change('/account/backup-codes');
    expect(made.status).toBe(303);
    const shown = await browser.follow(made);
    expect(shown.url).toBe(url('/account/backup-codes'));
    const oldCodes = [...shown.html.matchAll(/<li><code>([0-9]{8})<\/code><\/li>/g)].map((m) => m[1]!);
    expect(oldCodes).toHaveLength(10);
    const download = await browser.get(url('/account/backup-codes/download'));
    expect(download.headers.get('content-disposition')).toContain('attachment');
    expect(download.html).toContain(oldCodes[0]);
    const print = await browser.get(url('/account/backup-codes/print'));
    expect(print.html).toContain(oldCodes[9]);
    expect(await verifyBackupCode(server.services.db, userId, oldCodes[0]!, new Date())).toBe(true);
    const list = await browser.get(url('/account'));
    expect(text(list.html, 'codes-left')).toContain('9 / 10');
    expect(await change('/account/methods/m_x/default').then((r) => r.status)).toBe(404);
    // Backup codes can never become the default.
    const codesMethod = (await methodsOf()).find((m) => m.kind === 'backup_codes')!;
    expect((await change(`/account/methods/${codesMethod.id}/default`)).status).toBe(404);

    const again = await browser.follow(await change('/account/backup-codes'));
    const newCodes = [...again.html.matchAll(/<li><code>([0-9]{8})<\/code><\/li>/g)].map((m) => m[1]!);
    expect(newCodes).toHaveLength(10);
    expect(await verifyBackupCode(server.services.db, userId, oldCodes[1]!, new Date())).toBe(false);
    expect(await countBackupCodes(server.services.db, userId)).toBe(10);
    const saved = await browser.submit(again, '/account/backup-codes/done', {});
    expect(saved.url).toBe(url('/account?done=codes'));
    const gone = await browser.get(url('/account/backup-codes'));
    expect(gone.status).toBe(303);
    expect(gone.location).toBe(url('/account'));
  });

  it('warns when few backup codes are left', async () => {
    for (const c of await freshCodes(7)) expect(await verifyBackupCode(server.services.db, userId, c, new Date())).toBe(true);
    const list = await browser.get(url('/account'));
    expect(list.html).toMatch(/class="notice warning" id="codes-left" data-left="3"/);
    expect(list.html).toContain('残りが少なくなっています');
  });

  /** A new set through the page, returning the first `n` codes. */
  async function freshCodes(n: number): Promise<string[]> {
    const shown = await browser.follow(await change('/account/backup-codes'));
    await browser.submit(shown, '/account/backup-codes/done', {});
    return [...shown.html.matchAll(/<li><code>([0-9]{8})<\/code><\/li>/g)].map((m) => m[1]!).slice(0, n);
  }

  it('removing the backup codes is allowed, but the authenticator stays the last way in', async () => {
    const codesMethod = (await methodsOf()).find((m) => m.kind === 'backup_codes')!;
    expect((await change(`/account/methods/${codesMethod.id}/remove`)).status).toBe(303);
    expect(await countBackupCodes(server.services.db, userId)).toBe(0);
    const [only] = await methodsOf();
    expect((await change(`/account/methods/${only!.id}/remove`)).status).toBe(409);
  });

  it('shows a phone masked, and a phone blocked by a fraud report does not count as a way in', async () => {
    const phone = await server.services.methods.create({ userId, kind: 'sms', phone: '+819012345678', phoneKind: 'mobile' });
    await server.services.methods.activate(phone.id);
    const list = await browser.get(url('/account'));
    expect(text(list.html, `facts-${phone.id}`)).toContain('+81 •• •••• 5678');
    expect(list.html).not.toContain('9012345678');
    await server.services.methods.flag(phone.id);
    const flagged = await browser.get(url('/account'));
    expect(text(flagged.html, `facts-${phone.id}`)).toContain('不正の報告により停止中');
    expect(flagged.html).not.toContain(`/account/methods/${phone.id}/default`);
    const totp = (await methodsOf()).find((m) => m.kind === 'totp')!;
    expect((await change(`/account/methods/${totp.id}/remove`)).status).toBe(409);
    expect((await change(`/account/methods/${phone.id}/remove`)).status).toBe(303);
    expect((await methodsOf()).map((m) => m.id)).toEqual([totp.id]);
  });

  it('asks for the password again before a change when the sign-in is old', async () => {
    // The page's session as it is after reusing a Sekisho session signed in to 16 minutes ago.
    const signer = new SignedValues(await loadOrCreateSecret(server.services.db, server.services.box, 'account-session-key'));
    const current = JSON.parse(Buffer.from(browser.cookies.get('sekisho_account')!.split('.')[0]!, 'base64url').toString()) as AccountSession;
    const now = Math.floor(clock.now() / 1000);
    browser.cookies.set('sekisho_account', signer.sign('account-session', { ...current, authTime: now - 16 * 60, iat: now, exp: now + 600 }));
    const stale = await browser.get(url('/account'));
    expect(stale.status).toBe(200);
    const [method] = await methodsOf();
    const res = await browser.post(url(`/account/methods/${method!.id}/rename`), { csrf: csrfOf(stale), label: 'stale' });
    expect(res.status).toBe(303);
    expect(res.location).toBe(url('/account/signin?fresh=1'));
    expect((await server.services.methods.find(method!.id))!.label).not.toBe('stale');
    const auth = await browser.get(res.location!);
    expect(new URL(auth.location!).searchParams.get('prompt')).toBe('login');
    const login = await browser.follow(auth);
    expect(login.url).toMatch(/\/interaction\/[^/]+$/);
    clock.nextStep();
    const mfa = await browser.submit(login, '/login', { username: 'suzuki', password: PASSWORD });
    const back = await browser.submit(mfa, '/verify/', { code: code(secret) });
    expect(back.url).toBe(url('/account'));
    const ok = await browser.post(url(`/account/methods/${method!.id}/rename`), { csrf: csrfOf(back), label: 'fresh' });
    expect(ok.status).toBe(303);
  });

  it('signs out everywhere: sessions end, other page sessions end, prompt=none needs a login', async () => {
    const other = new Agent();
    expect((await signInToAccount(other, secret)).page.url).toBe(url('/account'));
    const res = await change('/account/signout-all');
    expect(res.status).toBe(303);
    expect(browser.cookies.has('sekisho_account')).toBe(false);
    const done = await browser.follow(res);
    expect(done.url).toBe(url('/account/signed-out'));
    expect(done.html).toContain('すべてサインアウトしました');
    const { rows } = await server.services.db.query(`SELECT 1 FROM oidc_models WHERE model = 'Session' AND payload->>'accountId' = $1`, [userId]);
    expect(rows).toHaveLength(0);
    const request = await rp.authorize({ prompt: 'none' });
    const answer = await browser.follow(await browser.get(request.url), rp.redirectUri);
    expect(new URL(answer.location!).searchParams.get('error')).toBe('login_required');
    const elsewhere = await other.get(url('/account'));
    expect(elsewhere.status).toBe(303);
    expect(new URL(elsewhere.location!).pathname).toBe('/auth');
  });

  it('audits every change with the user as the actor', async () => {
    const entries = await server.services.audit.query({ userId });
    const types = await auditTypes();
    for (const type of ['method.rename', 'method.default', 'method.remove', 'method.add', 'backup_codes.regenerate', 'session.signout_all']) {
      expect(types).toContain(type);
    }
    const rename = entries.find((e) => e.type === 'method.rename')!;
    expect(rename.actor).toBe('user');
    expect(rename.ip).toBeTruthy();
    expect(rename.details).toMatchObject({ via: 'account' });
  });
});
