// Backup codes end to end with a real relying party: offered after the first enrolment, shown once with a
// download and a print view, then used from the picker; each code once (also in parallel), regeneration
// voids the old set, a warning when few are left, the strong format, and bad input refused with a message.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { countBackupCodes, generateBackupCodes, verifyBackupCode } from '../../methods/backup-codes/index.ts';
import { Agent, findForm, type Page } from '../helpers/agent.ts';
import { DB_KINDS } from '../helpers/database.ts';
import { createUser, enrolTotp, finish, start, steppingClock, submitPassword, type Started } from '../helpers/journey.ts';
import { createRp, type Rp } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import ja from '../../locales/ja/index.ts';
import en from '../../locales/en/index.ts';

const PASSWORD = 'backup codes password';
// Failures from the refused-code checks must not lock the account between tests.
const ENV = { SEKISHO_LOCKOUT_THRESHOLD: '1000' };

function codesOn(page: Page): string[] {
  return [...page.html.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1]!);
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;');

/** Password, then "sign in another way" → "use a backup code": the backup-code form. */
async function toBackupCodePage(rp: Rp, username: string, params: Record<string, string> = {}, agent = new Agent()): Promise<Started & { form: Page }> {
  const s = await start(rp, { prompt: 'login', ...params }, agent);
  const mfa = await submitPassword(s, rp, username, PASSWORD);
  expect(mfa.url).toMatch(/second-factor$/);
  const picker = await s.agent.get(mfa.url.replace(/second-factor$/, 'methods'));
  const label = (params.ui_locales === 'en' ? en : ja).backup.picker;
  const href = new RegExp(`href="([^"]+)">${label}<`).exec(picker.html)?.[1];
  expect(href).toBeDefined();
  const form = await s.agent.follow(await s.agent.get(new URL(href!.replace(/&amp;/g, '&'), picker.url).toString()), rp.redirectUri);
  expect(form.html).toContain('name="code"');
  return { ...s, form };
}

function submitCode(s: Started & { form: Page }, rp: Rp, code: string): Promise<Page> {
  return s.agent.submit(s.form, '/verify/', { code }, rp.redirectUri);
}

describe.each(DB_KINDS)('backup codes (%s)', (db) => {
  const clock = steppingClock();
  let server: TestServer;
  let rp: Rp;
  let userId: string;
  let codes: string[];

  beforeAll(async () => {
    server = await startTestServer({ db, now: clock.now, env: ENV });
    rp = await createRp(server.url, server.services);
    userId = (await createUser(server.services, 'ito', PASSWORD)).id;
  });
  afterAll(() => server.close());

  it('offers backup codes after the first enrolment, shows ten once with download and print, then signs in', async () => {
    const s = await start(rp);
    const { page: offer } = await enrolTotp(s.agent, await submitPassword(s, rp, 'ito', PASSWORD), rp, clock);
    expect(offer.url).toMatch(/\/after-enrol$/);
    expect(offer.html).toContain(ja.backup.offer.heading);
    expect(offer.html).toContain('id="offer-codes"');
    expect(offer.html).toMatch(/id="offer-phone" href="\/interaction\/[^/"]+\/enrol\/phone"/);

    const shown = await s.agent.submit(offer, '/backup-codes', {}, rp.redirectUri);
    expect(shown.url).toMatch(/\/backup-codes$/);
    codes = codesOn(shown);
    expect(codes).toHaveLength(10);
    for (const c of codes) expect(c).toMatch(/^\d{8}$/);
    expect(shown.html).toContain(ja.backup.codes.count.replace('{{count}}', '10'));
    expect(await countBackupCodes(server.services.db, userId)).toBe(10);

    const download = await s.agent.get(`${shown.url}/download`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="sekisho-backup-codes.txt"');
    expect(download.headers.get('cache-control')).toBe('no-store');
    for (const c of codes) expect(download.html).toContain(c);
    expect(download.html).toContain('ito@example.ac.jp');
    // When they were made, as staff read a date in Japan (not an ISO time in UTC).
    const made = new Intl.DateTimeFormat('ja-JP', { dateStyle: 'medium', timeZone: 'Asia/Tokyo' }).format(new Date(clock.now()));
    expect(download.html).toContain(made);
    expect(download.html).not.toMatch(/\d{4}-\d\d-\d\dT/);

    const print = await s.agent.get(`${shown.url}/print`);
    expect(print.status).toBe(200);
    expect(codesOn(print)).toEqual(codes);
    expect(print.html).toContain(made);
    expect(print.headers.get('content-security-policy')).toContain("script-src 'self'");

    // Reloading the page shows the same set: nothing is generated twice.
    expect(codesOn(await s.agent.get(shown.url))).toEqual(codes);

    const after = await s.agent.submit(shown, '/backup-codes/done', {}, rp.redirectUri);
    expect(after.url).toMatch(/\/after-enrol$/);
    expect(after.html).not.toContain('id="offer-codes"');
    expect(after.html).toContain('id="offer-phone"');
    expect((await s.agent.get(`${shown.url}/download`)).status).toBe(404);
    expect((await s.agent.get(`${shown.url}/print`)).status).toBe(404);
    const back = await s.agent.follow(await s.agent.get(shown.url), rp.redirectUri);
    expect(back.url).toMatch(/\/after-enrol$/);

    const tokens = await finish(s, rp, await s.agent.submit(after, '/continue', {}, rp.redirectUri));
    expect(tokens.claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
  });

  it('signs in with a backup code from the picker: amr otp + pwd + mfa, no warning while many are left', async () => {
    clock.nextStep();
    const s = await toBackupCodePage(rp, 'ito');
    const done = await submitCode(s, rp, `${codes[0]!.slice(0, 4)} ${codes[0]!.slice(4)}`);
    const tokens = await finish(s, rp, done);
    expect(tokens.claims()!.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    expect(tokens.claims()!.acr).toBe('https://refeds.org/profile/mfa');
    expect(await countBackupCodes(server.services.db, userId)).toBe(9);
  });

  it('refuses a used code with a message, and accepts the next one', async () => {
    const s = await toBackupCodePage(rp, 'ito');
    const refused = await submitCode(s, rp, codes[0]!);
    expect(refused.status).toBe(400);
    expect(refused.html).toContain(escapeHtml(ja.backup.verify.invalid));
    const tokens = await finish(s, rp, await submitCode({ ...s, form: refused }, rp, codes[1]!));
    expect(tokens.claims()!.amr).toContain('otp');
  });

  it('voids the old set when a new one is generated', async () => {
    const fresh = await generateBackupCodes(server.services.db, userId, 'digits');
    const s = await toBackupCodePage(rp, 'ito');
    const old = codes.slice(2).find((c) => !fresh.codes.includes(c))!;
    const refused = await submitCode(s, rp, old);
    expect(refused.status).toBe(400);
    await finish(s, rp, await submitCode({ ...s, form: refused }, rp, fresh.codes[0]!));
    codes = fresh.codes.slice(1);
  });

  it('lets one of two parallel submissions of the same code through', async () => {
    const a = await toBackupCodePage(rp, 'ito');
    const b = await toBackupCodePage(rp, 'ito');
    const [ra, rb] = await Promise.all([submitCode(a, rp, codes[0]!), submitCode(b, rp, codes[0]!)]);
    const through = [ra, rb].filter((r) => r.location?.startsWith(rp.redirectUri));
    const refused = [ra, rb].filter((r) => r.status === 400);
    expect(through).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.html).toContain(escapeHtml(ja.backup.verify.invalid));
    codes = codes.slice(1);
  });

  it('warns when three or fewer are left, then continues to the application', async () => {
    // 8 left: spend 4 directly so the next sign-in leaves 3.
    for (const c of codes.splice(0, 4)) expect(await verifyBackupCode(server.services.db, userId, c, new Date())).toBe(true);
    expect(await countBackupCodes(server.services.db, userId)).toBe(4);
    const s = await toBackupCodePage(rp, 'ito', { ui_locales: 'en' });
    const warning = await submitCode(s, rp, codes.shift()!);
    expect(warning.status).toBe(200);
    expect(warning.html).toContain('data-left="3"');
    expect(warning.html).toContain(en.backup.low.body.replace('{{count}}', '3'));
    const tokens = await finish(s, rp, await s.agent.submit(warning, '/continue', {}, rp.redirectUri));
    expect(tokens.claims()!.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
  });
});

describe('backup codes: strong format, bad input, who may generate', () => {
  const clock = steppingClock();
  let server: TestServer;
  let rp: Rp;
  let userId: string;
  let strong: string[];

  beforeAll(async () => {
    server = await startTestServer({ db: 'pglite', now: clock.now, env: { ...ENV, SEKISHO_BACKUP_CODE_FORMAT: 'strong' } });
    rp = await createRp(server.url, server.services);
    userId = (await createUser(server.services, 'kimura', PASSWORD)).id;
    await createUser(server.services, 'mori', PASSWORD);
  });
  afterAll(() => server.close());

  it('generates 80-bit codes shown in groups of four, accepted however they are typed', async () => {
    const s = await start(rp, { ui_locales: 'en' });
    const { page: offer } = await enrolTotp(s.agent, await submitPassword(s, rp, 'kimura', PASSWORD), rp, clock);
    expect(offer.html).toContain(en.backup.offer.heading);
    const shown = await s.agent.submit(offer, '/backup-codes', {}, rp.redirectUri);
    strong = codesOn(shown);
    expect(strong).toHaveLength(10);
    for (const c of strong) expect(c).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    await s.agent.submit(shown, '/backup-codes/done', {}, rp.redirectUri);

    clock.nextStep();
    const b = await toBackupCodePage(rp, 'kimura');
    const typed = strong[0]!.toLowerCase().replaceAll('-', ' ');
    const tokens = await finish(b, rp, await submitCode(b, rp, typed));
    expect(tokens.claims()!.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
  });

  it('still accepts an 8-digit code where strong codes are the default', async () => {
    const digits = await generateBackupCodes(server.services.db, userId, 'digits');
    const b = await toBackupCodePage(rp, 'kimura');
    await finish(b, rp, await submitCode(b, rp, digits.codes[0]!));
  });

  it('refuses bad input with a 4xx and a localized message, never a 500', async () => {
    const cases: [string, number, string][] = [
      ['x'.repeat(65), 400, ja.errors.fieldTooLong],
      ['', 400, ja.errors.fieldEmpty],
      ['   ', 400, ja.errors.fieldEmpty],
      ['abcdefgh', 400, ja.backup.verify.format],
      ['１２３４５６７', 400, ja.backup.verify.format],
      ['😀😀😀😀😀😀😀😀', 400, ja.backup.verify.format],
      ['1234\u00005678', 400, ja.errors.badCharacters],
      ["' OR 1=1 --", 400, ja.backup.verify.format],
    ];
    const b = await toBackupCodePage(rp, 'kimura');
    for (const [code, status, message] of cases) {
      const res = await submitCode(b, rp, code);
      expect([code, res.status]).toEqual([code, status]);
      expect(res.html).toContain(escapeHtml(message));
    }
    const form = findForm(b.form.html, '/verify/');
    const huge = await b.agent.post(new URL(form.action, b.form.url).toString(), { ...form.hidden, code: '1'.repeat(20_000) });
    expect(huge.status).toBe(413);
    expect(huge.html).toContain(escapeHtml(ja.errors.tooLarge));
    expect(await countBackupCodes(server.services.db, userId)).toBe(9);
  });

  it('generates nothing for a journey that has not just enrolled a method', async () => {
    clock.nextStep();
    const first = await start(rp);
    const { page: offer } = await enrolTotp(first.agent, await submitPassword(first, rp, 'mori', PASSWORD), rp, clock);
    await finish(first, rp, await first.agent.submit(offer, '/continue', {}, rp.redirectUri));
    const mori = (await server.services.users.findByUsername('mori'))!;

    // Signed in with the password only: the second-factor page carries a CSRF token for this interaction.
    const s = await start(rp, { prompt: 'login' });
    const mfa = await submitPassword(s, rp, 'mori', PASSWORD);
    const form = findForm(mfa.html, '/verify/');
    const url = mfa.url.replace(/second-factor$/, 'backup-codes');
    const res = await s.agent.post(url, { csrf: form.hidden.csrf! });
    expect(res.status).toBe(303);
    expect((await s.agent.follow(res, rp.redirectUri)).url).toMatch(/second-factor$/);
    expect(await countBackupCodes(server.services.db, mori.id)).toBe(0);
    expect((await s.agent.get(url + '/download')).status).toBe(404);
    expect((await s.agent.post(url, {})).status).toBe(403);
  });
});
