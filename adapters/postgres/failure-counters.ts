// Failure budgets that parallel requests cannot overrun: every attempt is charged *before* it is
// verified, in one atomic statement, and only attempts inside the budget are verified at all.
import { dateOrNull, type Queryable } from './database.ts';

export interface Charge {
  /** Whether this attempt may be verified. */
  allowed: boolean;
  /** Attempts since the last success (for audit and tests). */
  failures: number;
  lockedUntil: Date | null;
}

export interface BudgetPolicy {
  threshold: number;
  lockSeconds: number;
}

interface CounterRow {
  failures: number;
  window_failures: number;
  locked_until: Date | null;
}

export class FailureCounters {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async charge(scope: string, subject: string, policy: BudgetPolicy, now: Date): Promise<Charge> {
    const { rows } = await this.#db.query<CounterRow>(
      `INSERT INTO failure_counters (scope, subject, failures, window_failures, updated_at) VALUES ($1, $2, 1, 1, $3)
       ON CONFLICT (scope, subject) DO UPDATE SET
         failures = failure_counters.failures + 1,
         window_failures = CASE WHEN failure_counters.locked_until <= $3 THEN 1 ELSE failure_counters.window_failures + 1 END,
         locked_until = CASE WHEN failure_counters.locked_until <= $3 THEN NULL ELSE failure_counters.locked_until END,
         updated_at = $3
       RETURNING failures, window_failures, locked_until`,
      [scope, subject, now],
    );
    const row = rows[0]!;
    const lockedUntil = dateOrNull(row.locked_until);
    const allowed = lockedUntil === null && row.window_failures <= policy.threshold;
    if (!allowed && lockedUntil === null) await this.lock(scope, subject, policy, now);
    return { allowed, failures: row.failures, lockedUntil };
  }

  /** Called after a charged attempt failed: locks once the window's budget is spent, each lock longer. */
  async failed(scope: string, subject: string, policy: BudgetPolicy, now: Date): Promise<void> {
    const { rows } = await this.#db.query<CounterRow>(
      'SELECT failures, window_failures, locked_until FROM failure_counters WHERE scope = $1 AND subject = $2',
      [scope, subject],
    );
    if (rows[0] && rows[0].window_failures >= policy.threshold && !rows[0].locked_until) await this.lock(scope, subject, policy, now);
  }

  async succeeded(scope: string, subject: string): Promise<void> {
    await this.#db.query('DELETE FROM failure_counters WHERE scope = $1 AND subject = $2', [scope, subject]);
  }

  async get(scope: string, subject: string): Promise<{ failures: number; lockedUntil: Date | null } | undefined> {
    const { rows } = await this.#db.query<CounterRow>(
      'SELECT failures, window_failures, locked_until FROM failure_counters WHERE scope = $1 AND subject = $2',
      [scope, subject],
    );
    return rows[0] && { failures: rows[0].failures, lockedUntil: dateOrNull(rows[0].locked_until) };
  }

  async clearSubject(subject: string): Promise<void> {
    await this.#db.query('DELETE FROM failure_counters WHERE subject = $1', [subject]);
  }

  private async lock(scope: string, subject: string, policy: BudgetPolicy, now: Date): Promise<void> {
    // Waits grow: 1×, 2×, 4× … the base, capped at a day.
    await this.#db.query(
      `UPDATE failure_counters SET
         locked_until = $3::timestamptz + make_interval(secs => LEAST(86400, $4::int * power(2, lockouts))),
         lockouts = lockouts + 1
       WHERE scope = $1 AND subject = $2 AND locked_until IS NULL`,
      [scope, subject, now, policy.lockSeconds],
    );
  }
}
