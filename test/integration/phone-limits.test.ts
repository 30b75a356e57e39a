// The send rules of the phone methods against a real database and the real Twilio SDK at the fake:
// cool-down, hourly limits per user, per number and per country, allowed countries, codes used once
// and only within ten minutes, and a failed delivery that costs nothing.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ChallengeRepository } from '../../adapters/postgres/challenges.ts';
import { MethodRepository } from '../../adapters/postgres/methods.ts';
import { PhoneSendLog } from '../../adapters/postgres/phone-sends.ts';
import { UserRepository } from '../../adapters/postgres/users.ts';
import { PhoneDeliveryError } from '../../adapters/twilio/sender.ts';
import { createTwilioSender } from '../../adapters/twilio/twilio-sender.ts';
import { PhoneSendError, verifyCode, type PhoneDeps, type PhoneTarget } from '../../methods/phone-challenge.ts';
import { sendSmsCode } from '../../methods/sms/index.ts';
import { openTestDb, type TestDb } from '../helpers/database.ts';
import { startFakeTwilio, type FakeTwilio } from '../helpers/fake-twilio.ts';
import { steppingClock } from '../helpers/journey.ts';

const HOUR = 3600_000;
const clock = steppingClock();
let db: TestDb;
let fake: FakeTwilio;
let deps: PhoneDeps;
let users: UserRepository;
let methods: MethodRepository;
let seq = 0;

async function target(phone: string): Promise<PhoneTarget> {
  const user = await users.create({ username: `limit${seq++}` });
  const method = await methods.create({ userId: user.id, kind: 'sms', phone });
  return { userId: user.id, methodId: method.id, phone };
}

/** Another method of the same user (a second phone), which has its own cool-down. */
async function sameUser(t: PhoneTarget, phone: string): Promise<PhoneTarget> {
  const method = await methods.create({ userId: t.userId, kind: 'sms', phone });
  return { ...t, methodId: method.id, phone };
}

const text = (code: string) => `Sekisho code ${code}`;

async function refusal(attempt: Promise<unknown>): Promise<string> {
  const error = await attempt.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(PhoneSendError);
  return (error as PhoneSendError).code;
}

beforeAll(async () => {
  db = await openTestDb('pglite');
  fake = await startFakeTwilio();
  users = new UserRepository(db.db);
  methods = new MethodRepository(db.db);
  deps = {
    sender: createTwilioSender({ accountSid: fake.accountSid, authToken: fake.authToken, from: fake.from, apiBase: fake.url, timeoutMs: 5000 }),
    challenges: new ChallengeRepository(db.db),
    sends: new PhoneSendLog(db.db),
    codeKey: 'test-code-key',
    settings: {
      allowedCountries: ['JP', 'US'],
      defaultCountry: 'JP',
      limits: { perUserPerHour: 3, perNumberPerHour: 2, perCountryPerHour: 6 },
      resendSeconds: 30,
      voiceMode: 'press',
    },
    now: clock.now,
  };
});
afterAll(async () => {
  await fake.close();
  await db.close();
});

describe('phone send rules', () => {
  it('waits out the cool-down before a resend, per method', async () => {
    clock.advance(2 * HOUR);
    const t = await target('+819010000001');
    await sendSmsCode(deps, t, text);
    const code = await refusal(sendSmsCode(deps, t, text));
    expect(code).toBe('cooldown');
    clock.advance(31_000);
    await sendSmsCode(deps, t, text);
    expect(fake.messages.filter((m) => m.to === t.phone)).toHaveLength(2);
  });

  it('limits sends per number per hour, whoever asks', async () => {
    clock.advance(2 * HOUR);
    const a = await target('+819010000002');
    const b = await target('+819010000002');
    await sendSmsCode(deps, a, text);
    await sendSmsCode(deps, b, text);
    expect(await refusal(sendSmsCode(deps, await target('+819010000002'), text))).toBe('rate_limited');
    clock.advance(HOUR + 1000);
    await sendSmsCode(deps, await target('+819010000002'), text);
  });

  it('limits sends per user per hour, across their numbers', async () => {
    clock.advance(2 * HOUR);
    const first = await target('+819010000003');
    await sendSmsCode(deps, first, text);
    await sendSmsCode(deps, await sameUser(first, '+819010000004'), text);
    await sendSmsCode(deps, await sameUser(first, '+819010000005'), text);
    expect(await refusal(sendSmsCode(deps, await sameUser(first, '+819010000006'), text))).toBe('rate_limited');
  });

  it('limits sends per country per hour, and refuses countries not allowed', async () => {
    clock.advance(2 * HOUR);
    for (let i = 0; i < 6; i++) await sendSmsCode(deps, await target(`+8190200000${String(i).padStart(2, '0')}`), text);
    expect(await refusal(sendSmsCode(deps, await target('+819020000099'), text))).toBe('rate_limited');
    // Another allowed country has its own budget; a country not allowed gets nothing.
    await sendSmsCode(deps, await target('+12015550123'), text);
    expect(await refusal(sendSmsCode(deps, await target('+447400123456'), text))).toBe('country_not_allowed');
  });

  it('parallel sends never pass a limit', async () => {
    clock.advance(2 * HOUR);
    const sent = fake.messages.length;
    const targets = await Promise.all(Array.from({ length: 6 }, () => target('+819010000007')));
    await Promise.allSettled(targets.map((t) => sendSmsCode(deps, t, text)));
    expect(fake.messages.length - sent).toBeLessThanOrEqual(2);
  });

  it('accepts a code once, only within ten minutes, and only the newest after a resend', async () => {
    clock.advance(2 * HOUR);
    const t = await target('+819010000008');
    const first = await sendSmsCode(deps, t, text);
    const firstCode = fake.lastCode(t.phone)!;
    clock.advance(31_000);
    const second = await sendSmsCode(deps, t, text);
    const secondCode = fake.lastCode(t.phone)!;
    expect(await verifyCode(deps, first, t.userId, firstCode)).toBe(false);
    expect(await verifyCode(deps, second, 'someone-else', secondCode)).toBe(false);
    expect(await verifyCode(deps, second, t.userId, secondCode)).toBe(true);
    expect(await verifyCode(deps, second, t.userId, secondCode)).toBe(false);
    clock.advance(HOUR);
    const third = await sendSmsCode(deps, t, text);
    clock.advance(10 * 60_000 + 1000);
    expect(await verifyCode(deps, third, t.userId, fake.lastCode(t.phone)!)).toBe(false);
  });

  it('stores codes only as HMACs', async () => {
    clock.advance(2 * HOUR);
    const t = await target('+819010000009');
    const id = await sendSmsCode(deps, t, text);
    const { rows } = await db.db.query<{ code_hash: string }>('SELECT code_hash FROM challenges WHERE id = $1', [id]);
    expect(rows[0]!.code_hash).not.toContain(fake.lastCode(t.phone)!);
    expect(rows[0]!.code_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('a failed delivery leaves no challenge and counts no send', async () => {
    clock.advance(2 * HOUR);
    const t = await target('+819010000010');
    fake.failNext(503);
    const error = await sendSmsCode(deps, t, text).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(PhoneDeliveryError);
    const { rows } = await db.db.query<{ n: number }>('SELECT count(*)::int AS n FROM phone_sends WHERE phone = $1', [t.phone]);
    expect(rows[0]!.n).toBe(0);
    // No cool-down either: the user can try again at once.
    await sendSmsCode(deps, t, text);
  });
});
