// RFC 6238 through methods/totp's own verification path (sealed key, window, replay record), and
// otpauth beside it; window edges, clock-skew hint, 60-second periods and how people type codes.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as OTPAuth from 'otpauth';
import { SecretBox } from '../../adapters/crypto/secret-box.ts';
import { MethodRepository, type Method } from '../../adapters/postgres/methods.ts';
import { UserRepository } from '../../adapters/postgres/users.ts';
import { normaliseCode } from '../../methods/code.ts';
import { verifyTotp, type TotpDeps, type TotpSettings } from '../../methods/totp/index.ts';
import { openTestDb, type TestDb } from '../helpers/database.ts';
import { steppingClock } from '../helpers/journey.ts';
import { totpCode } from '../helpers/oath.ts';

type Algorithm = TotpSettings['algorithm'];

// RFC 6238 appendix B: ASCII seeds sized to each hash, eight digits, 30-second steps.
const SEEDS: Record<Algorithm, string> = {
  SHA1: '12345678901234567890',
  SHA256: '12345678901234567890123456789012',
  SHA512: '1234567890123456789012345678901234567890123456789012345678901234',
};

const VECTORS: { time: number; SHA1: string; SHA256: string; SHA512: string }[] = [
  { time: 59, SHA1: '94287082', SHA256: '46119246', SHA512: '90693936' },
  { time: 1111111109, SHA1: '07081804', SHA256: '68084774', SHA512: '25091201' },
  { time: 1111111111, SHA1: '14050471', SHA256: '67062674', SHA512: '99943326' },
  { time: 1234567890, SHA1: '89005924', SHA256: '91819424', SHA512: '93441116' },
  { time: 2000000000, SHA1: '69279037', SHA256: '90698825', SHA512: '38618901' },
  { time: 20000000000, SHA1: '65353130', SHA256: '77737706', SHA512: '47863826' },
];

const ALGORITHMS: Algorithm[] = ['SHA1', 'SHA256', 'SHA512'];

let testDb: TestDb;
let methods: MethodRepository;
let userId: string;
const box = new SecretBox({ id: 'k1', key: randomBytes(32) });

beforeAll(async () => {
  testDb = await openTestDb('pglite');
  methods = new MethodRepository(testDb.db);
  userId = (await new UserRepository(testDb.db).create({ username: 'totp-unit' })).id;
});
afterAll(() => testDb.close());

function depsFor(settings: Partial<TotpSettings>): TotpDeps {
  return { settings: { algorithm: 'SHA1', digits: 6, period: 30, issuer: 'Sekisho', ...settings }, methods, box };
}

/** An active authenticator whose key is sealed exactly as enrolment seals it. */
async function methodWithKey(base32: string): Promise<Method> {
  const id = `m_${randomBytes(12).toString('hex')}`;
  return methods.create({ id, userId, kind: 'totp', status: 'active', secretEnc: box.seal(base32, `totp:${id}`) });
}

const base32Of = (ascii: string) => OTPAuth.Secret.fromLatin1(ascii).base32;

describe('RFC 6238 appendix B vectors', () => {
  it.each(ALGORITHMS)('%s: otpauth generates every listed code', (algorithm) => {
    const totp = new OTPAuth.TOTP({ algorithm, digits: 8, period: 30, secret: OTPAuth.Secret.fromLatin1(SEEDS[algorithm]) });
    for (const v of VECTORS) expect(totp.generate({ timestamp: v.time * 1000 })).toBe(v[algorithm]);
  });

  it.each(ALGORITHMS)('%s: verifyTotp accepts each listed code at its time, with the stepping clock', async (algorithm) => {
    const deps = depsFor({ algorithm, digits: 8 });
    const method = await methodWithKey(base32Of(SEEDS[algorithm]));
    const clock = steppingClock(0);
    for (const v of VECTORS) {
      clock.advance(v.time * 1000 - clock.now());
      expect(await verifyTotp(deps, method, v[algorithm], clock.now())).toEqual({ ok: true });
    }
  });

  it.each(ALGORITHMS)('%s: the listed code is refused at a time an hour away', async (algorithm) => {
    const deps = depsFor({ algorithm, digits: 8 });
    const method = await methodWithKey(base32Of(SEEDS[algorithm]));
    for (const v of VECTORS) {
      expect(await verifyTotp(deps, method, v[algorithm], (v.time + 3600) * 1000)).toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it('a code of the wrong length is refused before any key is opened', async () => {
    const method = await methodWithKey(base32Of(SEEDS.SHA1));
    expect(await verifyTotp(depsFor({ digits: 8 }), method, '287082', 59_000)).toEqual({ ok: false, reason: 'invalid' });
  });
});

describe('window, skew and replay (SHA-1, 6 digits)', () => {
  // A fixed moment in the middle of a step, so ±n steps are exact.
  const T0 = Date.UTC(2026, 10, 22, 9, 0, 15);
  // Fixed key and time: every outcome below is deterministic (no chance collision between steps).
  const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
  const codeAt = (offsetSteps: number, period = 30) => totpCode(secret, { period, at: new Date(T0 + offsetSteps * period * 1000) });

  it.each([-1, 0, 1])('accepts the code of step %i', async (offset) => {
    const method = await methodWithKey(secret);
    expect(await verifyTotp(depsFor({}), method, codeAt(offset), T0)).toEqual({ ok: true });
  });

  it.each([-2, 2, -5, 8])('refuses the code of step %i and says the clock is off', async (offset) => {
    const method = await methodWithKey(secret);
    expect(await verifyTotp(depsFor({}), method, codeAt(offset), T0)).toEqual({ ok: false, reason: 'clock_skew' });
  });

  it('a code from far away (a day) is simply invalid', async () => {
    const method = await methodWithKey(secret);
    expect(await verifyTotp(depsFor({}), method, codeAt(2880), T0)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('a code accepted once is refused as replayed, also one step later while still inside the window', async () => {
    const method = await methodWithKey(secret);
    const code = codeAt(0);
    expect(await verifyTotp(depsFor({}), method, code, T0)).toEqual({ ok: true });
    expect(await verifyTotp(depsFor({}), method, code, T0)).toEqual({ ok: false, reason: 'replayed' });
    expect(await verifyTotp(depsFor({}), method, code, T0 + 30_000)).toEqual({ ok: false, reason: 'replayed' });
    // The next step's code is a different step: it is accepted.
    expect(await verifyTotp(depsFor({}), method, codeAt(1), T0 + 30_000)).toEqual({ ok: true });
  });

  it('works with 60-second periods: ±1 step accepted, ±2 refused with the clock hint', async () => {
    const deps = depsFor({ period: 60 });
    const clock = steppingClock(T0);
    for (const offset of [-1, 0, 1]) {
      const method = await methodWithKey(secret);
      expect(await verifyTotp(deps, method, codeAt(offset, 60), clock.now())).toEqual({ ok: true });
    }
    for (const offset of [-2, 2]) {
      const method = await methodWithKey(secret);
      expect(await verifyTotp(deps, method, codeAt(offset, 60), clock.now())).toEqual({ ok: false, reason: 'clock_skew' });
    }
    // Half a minute later the 60-second step has not changed, so the same code still belongs to it.
    const method = await methodWithKey(secret);
    const code = codeAt(0, 60);
    clock.advance(30_000);
    expect(await verifyTotp(deps, method, code, clock.now())).toEqual({ ok: true });
  });

  it('accepts full-width digits, spaces and hyphens', async () => {
    const code = codeAt(0);
    const fullWidth = [...code].map((d) => String.fromCharCode(0xff10 + Number(d))).join('');
    const spaced = `${fullWidth.slice(0, 3)}\u3000${fullWidth.slice(3)}`;
    expect(await verifyTotp(depsFor({}), await methodWithKey(secret), spaced, T0)).toEqual({ ok: true });
    expect(await verifyTotp(depsFor({}), await methodWithKey(secret), ` ${code.slice(0, 3)} ${code.slice(3)} `, T0)).toEqual({ ok: true });
    expect(await verifyTotp(depsFor({}), await methodWithKey(secret), `${code.slice(0, 3)}-${code.slice(3)}`, T0)).toEqual({ ok: true });
  });

  it('refuses letters, injection attempts and empty codes as invalid', async () => {
    const method = await methodWithKey(secret);
    for (const typed of ['', 'abcdef', "1' OR '1'='1", '12345６７', '<script>', '１２３４５']) {
      expect(await verifyTotp(depsFor({}), method, typed, T0)).toEqual({ ok: false, reason: 'invalid' });
    }
  });
});

describe('normaliseCode', () => {
  it.each([
    ['１２３４５６', '123456'],
    ['123 456', '123456'],
    ['１２３　４５６', '123456'],
    ['123-456', '123456'],
    ['１２３ー４５６', '123456'],
    [' 12345678 ', '12345678'],
  ])('%j → %s', (typed, expected) => {
    expect(normaliseCode(typed)).toBe(expected);
  });

  it.each(['', '   ', 'abc123', '12', '1234567890123', '12\u000045', '١٢٣٤٥٦x'])('%j → undefined', (typed) => {
    expect(normaliseCode(typed)).toBeUndefined();
  });
});
