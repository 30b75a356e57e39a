// Password lockout through the real pages: locked after the threshold with the same message as a
// wrong password, unknown and known users indistinguishable, exact counting under 50 parallel
// attempts, and the lock ending by the server's (stepped) clock with growing waits.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { findForm, type Page } from '../helpers/agent.ts';
import { DB_KINDS } from '../helpers/database.ts';
import { createUser, start, steppingClock, type Started } from '../helpers/journey.ts';
import { createRp, type Rp } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const FAILED = {
  ja: 'サインインできませんでした。',
  en: 'Sign-in failed.',
};
const PASSWORD = 'correct horse battery';
const THRESHOLD = 5;
const LOCK_SECONDS = 60;

/** The page with what differs between two interactions (uid, CSRF token, typed name) blanked. */
function normalised(page: Page, username: string): string {
  const form = findForm(page.html, '/login');
  const uid = /\/interaction\/([^/"]+)\//.exec(form.action)![1]!;
  return page.html.replaceAll(uid, 'UID').replaceAll(form.hidden.csrf!, 'CSRF').replaceAll(username, 'NAME');
}

describe.each(DB_KINDS)('password lockout (%s)', (db) => {
  const clock = steppingClock(Date.UTC(2026, 10, 22, 9, 0, 0));
  let server: TestServer;
  let rp: Rp;

  beforeAll(async () => {
    server = await startTestServer({
      db,
      now: clock.now,
      env: { SEKISHO_LOCKOUT_THRESHOLD: String(THRESHOLD), SEKISHO_LOCKOUT_SECONDS: String(LOCK_SECONDS) },
    });
    rp = await createRp(server.url, server.services);
  });
  afterAll(() => server.close());

  function post(s: Started, username: string, password: string) {
    const form = findForm(s.page.html, '/login');
    return s.agent.post(new URL(form.action, s.page.url).toString(), { ...form.hidden, username, password });
  }

  const lockOf = async (username: string) => {
    const user = await server.services.users.findByUsername(username);
    return server.services.counters.get('password', user!.id);
  };

  it.each(['ja', 'en'] as const)('wrong password up to the threshold, then even the right one gets the same message (%s)', async (lang) => {
    const username = `lock-${lang}`;
    await createUser(server.services, username, PASSWORD);
    const s = await start(rp, { ui_locales: lang });
    const wrong: Page[] = [];
    for (let i = 0; i < THRESHOLD; i++) wrong.push(await post(s, username, `wrong ${i}`));
    const locked = await post(s, username, PASSWORD);
    for (const page of [...wrong, locked]) {
      expect(page.status).toBe(401);
      expect(page.html).toContain(FAILED[lang]);
    }
    expect(normalised(locked, username)).toBe(normalised(wrong[0]!, username));
    expect((await lockOf(username))!.lockedUntil).toEqual(new Date(clock.now() + LOCK_SECONDS * 1000));
    const audit = await server.services.audit.query({ username, type: 'signin.failure' });
    expect(audit[0]!.details).toEqual({ reason: 'locked' });
  });

  it.each(['ja', 'en'] as const)('an unknown user and a known user with a wrong password get the identical page (%s)', async (lang) => {
    // Names of equal length, so even the echoed name cannot tell them apart after blanking.
    const known = `known-${lang}`;
    const unknown = `unkno-${lang}`;
    await createUser(server.services, known, PASSWORD);
    const a = await start(rp, { ui_locales: lang });
    const b = await start(rp, { ui_locales: lang });
    const forKnown = await post(a, known, 'not the password');
    const forUnknown = await post(b, unknown, 'not the password');
    expect(forKnown.status).toBe(forUnknown.status);
    expect(normalised(forKnown, known)).toBe(normalised(forUnknown, unknown));
    // Also once both are locked.
    for (let i = 0; i < THRESHOLD; i++) {
      await post(a, known, 'not the password');
      await post(b, unknown, 'not the password');
    }
    const lockedKnown = await post(a, known, PASSWORD);
    const lockedUnknown = await post(b, unknown, PASSWORD);
    expect(lockedKnown.status).toBe(lockedUnknown.status);
    expect(normalised(lockedKnown, known)).toBe(normalised(lockedUnknown, unknown));
  });

  it('50 parallel wrong passwords count exactly 50; after the lock ends the user signs in', async () => {
    const username = 'parallel';
    await createUser(server.services, username, PASSWORD);
    const s = await start(rp);
    const pages = await Promise.all(Array.from({ length: 50 }, (_, i) => post(s, username, `wrong ${i}`)));
    for (const page of pages) {
      expect(page.status).toBe(401);
      expect(page.html).toContain(FAILED.ja);
    }
    const lock = await lockOf(username);
    expect(lock!.failures).toBe(50);
    expect(lock!.lockedUntil).toEqual(new Date(clock.now() + LOCK_SECONDS * 1000));

    expect((await post(s, username, PASSWORD)).status).toBe(401);
    clock.advance(LOCK_SECONDS * 1000);
    const signedIn = await post(s, username, PASSWORD);
    expect(signedIn.status).toBe(303);
    expect(signedIn.location).toMatch(/\/enrol$/);
    expect(await lockOf(username)).toBeUndefined();
  });

  it('each new lock lasts longer (1×, 2×, 4× the base) and ends on the stepped clock', async () => {
    const username = 'growing';
    await createUser(server.services, username, PASSWORD);
    const waits: number[] = [];
    for (let round = 0; round < 3; round++) {
      const s = await start(rp);
      for (let i = 0; i < THRESHOLD; i++) expect((await post(s, username, 'wrong')).status).toBe(401);
      const lock = await lockOf(username);
      waits.push(lock!.lockedUntil!.getTime() - clock.now());
      clock.advance(waits[round]! - 1000);
      expect((await post(s, username, PASSWORD)).status).toBe(401);
      clock.advance(1000);
    }
    expect(waits).toEqual([60_000, 120_000, 240_000]);
    const s = await start(rp);
    const signedIn = await post(s, username, PASSWORD);
    expect(signedIn.status).toBe(303);
  });
});
