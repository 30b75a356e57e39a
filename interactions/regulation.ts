// One failure budget per factor and account. The attempt is charged before it is verified, so
// parallel requests cannot overrun the budget, and a resend or a new journey does not reset it.
import type { Config } from '../config/index.ts';
import type { FailureCounters } from '../adapters/postgres/failure-counters.ts';

export type AttemptOutcome = 'ok' | 'failed' | 'locked';

export interface Regulator {
  attempt(scope: string, subject: string, verify: () => Promise<boolean>): Promise<AttemptOutcome>;
}

export function createRegulator(counters: FailureCounters, config: Pick<Config, 'lockout'>, now: () => number): Regulator {
  const policy = { threshold: config.lockout.threshold, lockSeconds: config.lockout.seconds };
  return {
    async attempt(scope, subject, verify) {
      const at = new Date(now());
      const charge = await counters.charge(scope, subject, policy, at);
      if (!charge.allowed) return 'locked';
      if (await verify()) {
        await counters.succeeded(scope, subject);
        return 'ok';
      }
      await counters.failed(scope, subject, policy, at);
      return 'failed';
    },
  };
}
