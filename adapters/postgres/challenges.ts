// One-time phone challenges (SMS codes, calls). Codes arrive hashed; every state change is one
// conditional UPDATE, so parallel submissions of one code, or a replayed webhook, win at most once.
import { dateOrNull, type Queryable } from './database.ts';
import { newId } from './ids.ts';

export type ChallengeKind = 'sms' | 'voice_press' | 'voice_code';
export type CallOutcome = 'approved' | 'fraud';

export interface Challenge {
  id: string;
  userId: string;
  methodId: string;
  kind: ChallengeKind;
  callSid: string | null;
  outcome: CallOutcome | null;
  expiresAt: Date;
  consumedAt: Date | null;
  createdAt: Date;
}

interface ChallengeDbRow {
  id: string;
  user_id: string;
  method_id: string;
  kind: ChallengeKind;
  call_sid: string | null;
  outcome: CallOutcome | null;
  expires_at: Date;
  consumed_at: Date | null;
  created_at: Date;
}

const columns = 'id, user_id, method_id, kind, call_sid, outcome, expires_at, consumed_at, created_at';

function toChallenge(r: ChallengeDbRow): Challenge {
  return {
    id: r.id,
    userId: r.user_id,
    methodId: r.method_id,
    kind: r.kind,
    callSid: r.call_sid,
    outcome: r.outcome,
    expiresAt: new Date(r.expires_at),
    consumedAt: dateOrNull(r.consumed_at),
    createdAt: new Date(r.created_at),
  };
}

export class ChallengeRepository {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async create(c: { userId: string; methodId: string; kind: ChallengeKind; codeHash?: string; at: Date; expiresAt: Date; id?: string }): Promise<Challenge> {
    const { rows } = await this.#db.query<ChallengeDbRow>(
      `INSERT INTO challenges (id, user_id, method_id, kind, code_hash, expires_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${columns}`,
      [c.id ?? newId('ch'), c.userId, c.methodId, c.kind, c.codeHash ?? null, c.expiresAt, c.at],
    );
    return toChallenge(rows[0]!);
  }

  /** Voids the method's other open challenges: after a resend only the newest code works. */
  async voidOthers(methodId: string, keepId: string, at: Date): Promise<void> {
    await this.#db.query('UPDATE challenges SET consumed_at = $3 WHERE method_id = $1 AND id <> $2 AND consumed_at IS NULL', [methodId, keepId, at]);
  }

  async find(id: string): Promise<Challenge | undefined> {
    const { rows } = await this.#db.query<ChallengeDbRow>(`SELECT ${columns} FROM challenges WHERE id = $1`, [id]);
    return rows[0] && toChallenge(rows[0]);
  }

  /** When the last challenge for this method was created (for the resend cool-down). */
  async lastCreatedAt(methodId: string): Promise<Date | undefined> {
    const { rows } = await this.#db.query<{ at: Date | null }>('SELECT max(created_at) AS at FROM challenges WHERE method_id = $1', [methodId]);
    return rows[0]?.at ? new Date(rows[0].at) : undefined;
  }

  async setCallSid(id: string, callSid: string): Promise<void> {
    await this.#db.query('UPDATE challenges SET call_sid = $2 WHERE id = $1', [id, callSid]);
  }

  async remove(id: string): Promise<void> {
    await this.#db.query('DELETE FROM challenges WHERE id = $1', [id]);
  }

  /** Uses the code once: true for exactly one caller holding the right, unexpired code. */
  async consumeCode(id: string, userId: string, codeHash: string, at: Date): Promise<boolean> {
    const { rowCount } = await this.#db.query(
      `UPDATE challenges SET consumed_at = $4
       WHERE id = $1 AND user_id = $2 AND code_hash = $3 AND consumed_at IS NULL AND expires_at > $4`,
      [id, userId, codeHash, at],
    );
    return rowCount === 1;
  }

  /** Records what the callee pressed; false when the call was already answered, used or has expired. */
  async answer(id: string, outcome: CallOutcome, at: Date): Promise<boolean> {
    const { rowCount } = await this.#db.query(
      `UPDATE challenges SET outcome = $2
       WHERE id = $1 AND kind = 'voice_press' AND outcome IS NULL AND consumed_at IS NULL AND expires_at > $3`,
      [id, outcome, at],
    );
    return rowCount === 1;
  }

  /** Turns an approved call into a proven factor, once. */
  async consumeApproval(id: string, userId: string, at: Date): Promise<boolean> {
    const { rowCount } = await this.#db.query(
      `UPDATE challenges SET consumed_at = $3
       WHERE id = $1 AND user_id = $2 AND outcome = 'approved' AND consumed_at IS NULL`,
      [id, userId, at],
    );
    return rowCount === 1;
  }
}
