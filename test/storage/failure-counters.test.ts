// Failure budgets on PGlite and the real PostgreSQL: parallel charges never overrun the budget, locks
// grow, and expiry follows the clock the caller passes in (no sleeping).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FailureCounters, type BudgetPolicy } from '../../adapters/postgres/failure-counters.ts';
import { createRegulator } from '../../interactions/regulation.ts';
import { DB_KINDS, openTestDb, type TestDb } from '../helpers/database.ts';
import { steppingClock } from '../helpers/journey.ts';

const subject = () => `u_${randomBytes(6).toString('hex')}`;
const T0 = Date.UTC(2026, 10, 22, 9, 0, 0);

describe.each(DB_KINDS)('failure counters (%s)', (kind) => {
  let testDb: TestDb;
  let counters: FailureCounters;
  const policy: BudgetPolicy = { threshold: 5, lockSeconds: 60 };

  beforeAll(async () => {
    testDb = await openTestDb(kind);
    counters = new FailureCounters(testDb.db);
  });
  afterAll(() => testDb.close());

  it('50 parallel charges count exactly 50 and allow exactly the threshold', async () => {
    const who = subject();
    const now = new Date(T0);
    const charges = await Promise.all(Array.from({ length: 50 }, () => counters.charge('password', who, policy, now)));
    expect(charges.filter((c) => c.allowed)).toHaveLength(policy.threshold);
    expect(Math.max(...charges.map((c) => c.failures))).toBe(50);
    expect(new Set(charges.map((c) => c.failures)).size).toBe(50);
    const state = await counters.get('password', who);
    expect(state!.failures).toBe(50);
    expect(state!.lockedUntil).toEqual(new Date(T0 + 60_000));
  });

  it('counts per scope and subject', async () => {
    const who = subject();
    const now = new Date(T0);
    for (let i = 0; i < 3; i++) await counters.charge('password', who, policy, now);
    await counters.charge('mfa:totp', who, policy, now);
    await counters.charge('password', subject(), policy, now);
    expect((await counters.get('password', who))!.failures).toBe(3);
    expect((await counters.get('mfa:totp', who))!.failures).toBe(1);
  });

  it('a lock holds until its time by the given clock, then a new window opens; waits grow', async () => {
    const who = subject();
    const clock = steppingClock(T0);
    const exhaust = async () => {
      for (let i = 0; i < policy.threshold; i++) {
        const c = await counters.charge('password', who, policy, new Date(clock.now()));
        expect(c.allowed).toBe(true);
        await counters.failed('password', who, policy, new Date(clock.now()));
      }
    };
    const waits: number[] = [];
    for (let round = 0; round < 3; round++) {
      await exhaust();
      const lockedUntil = (await counters.get('password', who))!.lockedUntil!;
      waits.push(lockedUntil.getTime() - clock.now());
      // Still locked a second before the end, by the injected clock.
      clock.advance(waits[round]! - 1000);
      expect((await counters.charge('password', who, policy, new Date(clock.now()))).allowed).toBe(false);
      clock.advance(1000);
    }
    expect(waits).toEqual([60_000, 120_000, 240_000]);
  });

  it('success clears the counter', async () => {
    const who = subject();
    const now = new Date(T0);
    await counters.charge('password', who, policy, now);
    await counters.failed('password', who, policy, now);
    await counters.succeeded('password', who);
    expect(await counters.get('password', who)).toBeUndefined();
  });

  it('clearSubject clears every scope of a subject', async () => {
    const who = subject();
    const now = new Date(T0);
    await counters.charge('password', who, policy, now);
    await counters.charge('mfa:totp', who, policy, now);
    await counters.clearSubject(who);
    expect(await counters.get('password', who)).toBeUndefined();
    expect(await counters.get('mfa:totp', who)).toBeUndefined();
  });

  describe('the regulator over the counters', () => {
    it('verifies only within the budget, also under 50 parallel attempts', async () => {
      const regulator = createRegulator(counters, { lockout: { threshold: 5, seconds: 60 } }, () => T0);
      const who = subject();
      let verified = 0;
      const outcomes = await Promise.all(
        Array.from({ length: 50 }, () =>
          regulator.attempt('password', who, async () => {
            verified++;
            return false;
          }),
        ),
      );
      expect(verified).toBe(5);
      expect(outcomes.filter((o) => o === 'failed')).toHaveLength(5);
      expect(outcomes.filter((o) => o === 'locked')).toHaveLength(45);
      expect((await counters.get('password', who))!.failures).toBe(50);
    });

    it('after the lock expires on the injected clock the right secret works and clears the count', async () => {
      const clock = steppingClock(T0);
      const regulator = createRegulator(counters, { lockout: { threshold: 3, seconds: 60 } }, clock.now);
      const who = subject();
      for (let i = 0; i < 3; i++) expect(await regulator.attempt('password', who, async () => false)).toBe('failed');
      expect(await regulator.attempt('password', who, async () => true)).toBe('locked');
      clock.advance(60_000);
      expect(await regulator.attempt('password', who, async () => true)).toBe('ok');
      expect(await counters.get('password', who)).toBeUndefined();
    });
  });
});
