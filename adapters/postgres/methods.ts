// A user's second factors. Secrets arrive here already sealed; this layer never sees plaintext.
import { dateOrNull, type Queryable } from './database.ts';
import { newId } from './ids.ts';

export type MethodKind = 'totp' | 'sms' | 'voice' | 'backup_codes';
export type MethodStatus = 'pending' | 'active';

export interface Method {
  id: string;
  userId: string;
  kind: MethodKind;
  label: string | null;
  status: MethodStatus;
  isDefault: boolean;
  secretEnc: string | null;
  phone: string | null;
  phoneKind: string | null;
  extension: string | null;
  flaggedAt: Date | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface NewMethod {
  userId: string;
  kind: MethodKind;
  label?: string | null;
  status?: MethodStatus;
  secretEnc?: string | null;
  phone?: string | null;
  phoneKind?: string | null;
  extension?: string | null;
  id?: string;
}

interface MethodDbRow {
  id: string;
  user_id: string;
  kind: MethodKind;
  label: string | null;
  status: MethodStatus;
  is_default: boolean;
  secret_enc: string | null;
  phone: string | null;
  phone_kind: string | null;
  extension: string | null;
  flagged_at: Date | null;
  created_at: Date;
  last_used_at: Date | null;
}

const columns = 'id, user_id, kind, label, status, is_default, secret_enc, phone, phone_kind, extension, flagged_at, created_at, last_used_at';

function toMethod(r: MethodDbRow): Method {
  return {
    id: r.id,
    userId: r.user_id,
    kind: r.kind,
    label: r.label,
    status: r.status,
    isDefault: r.is_default,
    secretEnc: r.secret_enc,
    phone: r.phone,
    phoneKind: r.phone_kind,
    extension: r.extension,
    flaggedAt: dateOrNull(r.flagged_at),
    createdAt: new Date(r.created_at),
    lastUsedAt: dateOrNull(r.last_used_at),
  };
}

export class MethodRepository {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async listForUser(userId: string, options: { activeOnly?: boolean } = {}): Promise<Method[]> {
    const { rows } = await this.#db.query<MethodDbRow>(
      `SELECT ${columns} FROM methods WHERE user_id = $1 AND ($2::boolean IS FALSE OR status = 'active') ORDER BY created_at, id`,
      [userId, options.activeOnly ?? false],
    );
    return rows.map(toMethod);
  }

  async find(id: string): Promise<Method | undefined> {
    const { rows } = await this.#db.query<MethodDbRow>(`SELECT ${columns} FROM methods WHERE id = $1`, [id]);
    return rows[0] && toMethod(rows[0]);
  }

  async create(method: NewMethod): Promise<Method> {
    const { rows } = await this.#db.query<MethodDbRow>(
      `INSERT INTO methods (id, user_id, kind, label, status, secret_enc, phone, phone_kind, extension)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${columns}`,
      [
        method.id ?? newId('m'),
        method.userId,
        method.kind,
        method.label ?? null,
        method.status ?? 'pending',
        method.secretEnc ?? null,
        method.phone ?? null,
        method.phoneKind ?? null,
        method.extension ?? null,
      ],
    );
    return toMethod(rows[0]!);
  }

  /** Activates a pending method; the first active method (other than backup codes) becomes the default. */
  async activate(id: string): Promise<void> {
    await this.#db.query(
      `UPDATE methods m SET status = 'active',
         is_default = m.kind <> 'backup_codes' AND NOT EXISTS (
           SELECT 1 FROM methods o WHERE o.user_id = m.user_id AND o.is_default AND o.id <> m.id)
       WHERE m.id = $1`,
      [id],
    );
  }

  async setDefault(userId: string, id: string): Promise<boolean> {
    const { rowCount } = await this.#db.query(
      `UPDATE methods SET is_default = (id = $2)
       WHERE user_id = $1 AND EXISTS (SELECT 1 FROM methods WHERE id = $2 AND user_id = $1 AND status = 'active' AND kind <> 'backup_codes')`,
      [userId, id],
    );
    return rowCount > 0;
  }

  async rename(userId: string, id: string, label: string): Promise<boolean> {
    const { rowCount } = await this.#db.query('UPDATE methods SET label = $3 WHERE id = $2 AND user_id = $1', [userId, id, label]);
    return rowCount > 0;
  }

  /** Removes one method; when it was the default, the next strongest active one takes over. */
  async remove(userId: string, id: string): Promise<boolean> {
    const { rowCount } = await this.#db.query('DELETE FROM methods WHERE id = $2 AND user_id = $1', [userId, id]);
    if (rowCount > 0) await this.ensureDefault(userId);
    return rowCount > 0;
  }

  async ensureDefault(userId: string): Promise<void> {
    await this.#db.query(
      `UPDATE methods SET is_default = true WHERE id = (
         SELECT id FROM methods WHERE user_id = $1 AND status = 'active' AND kind <> 'backup_codes'
         ORDER BY CASE kind WHEN 'totp' THEN 0 WHEN 'voice' THEN 1 WHEN 'sms' THEN 2 ELSE 3 END, created_at LIMIT 1)
       AND NOT EXISTS (SELECT 1 FROM methods WHERE user_id = $1 AND is_default)`,
      [userId],
    );
  }

  async removePending(userId: string, kind: MethodKind): Promise<void> {
    await this.#db.query(`DELETE FROM methods WHERE user_id = $1 AND kind = $2 AND status = 'pending'`, [userId, kind]);
  }

  async removeAllForUser(userId: string): Promise<number> {
    const { rowCount } = await this.#db.query('DELETE FROM methods WHERE user_id = $1', [userId]);
    return rowCount;
  }

  async markUsed(id: string): Promise<void> {
    await this.#db.query('UPDATE methods SET last_used_at = now() WHERE id = $1', [id]);
  }

  async flag(id: string): Promise<void> {
    await this.#db.query('UPDATE methods SET flagged_at = now() WHERE id = $1', [id]);
  }

  async clearFlags(userId: string): Promise<number> {
    const { rowCount } = await this.#db.query('UPDATE methods SET flagged_at = NULL WHERE user_id = $1 AND flagged_at IS NOT NULL', [userId]);
    return rowCount;
  }

  /** Records a TOTP step as used; false when it was already used (replay, also under concurrency). */
  async useTotpStep(methodId: string, step: number): Promise<boolean> {
    const { rowCount } = await this.#db.query(
      'INSERT INTO totp_used_steps (method_id, step) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [methodId, step],
    );
    return rowCount === 1;
  }
}
