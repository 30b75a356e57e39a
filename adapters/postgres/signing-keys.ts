// Token signing keys. Private halves are sealed; the public JWK is kept beside for listing.
import { dateOrNull, type Queryable } from './database.ts';

export type KeyStatus = 'next' | 'current' | 'retired';

export interface SigningKeyRow {
  kid: string;
  alg: string;
  privateEnc: string;
  publicJwk: Record<string, unknown>;
  status: KeyStatus;
  createdAt: Date;
  activatedAt: Date | null;
  retiredAt: Date | null;
}

interface KeyDbRow {
  kid: string;
  alg: string;
  private_enc: string;
  public_jwk: Record<string, unknown>;
  status: KeyStatus;
  created_at: Date;
  activated_at: Date | null;
  retired_at: Date | null;
}

const toRow = (r: KeyDbRow): SigningKeyRow => ({
  kid: r.kid,
  alg: r.alg,
  privateEnc: r.private_enc,
  publicJwk: r.public_jwk,
  status: r.status,
  createdAt: new Date(r.created_at),
  activatedAt: dateOrNull(r.activated_at),
  retiredAt: dateOrNull(r.retired_at),
});

export class SigningKeyRepository {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async list(): Promise<SigningKeyRow[]> {
    const { rows } = await this.#db.query<KeyDbRow>(
      `SELECT * FROM signing_keys ORDER BY CASE status WHEN 'current' THEN 0 WHEN 'next' THEN 1 ELSE 2 END, created_at DESC`,
    );
    return rows.map(toRow);
  }

  async insert(key: Pick<SigningKeyRow, 'kid' | 'alg' | 'privateEnc' | 'publicJwk' | 'status'>): Promise<void> {
    await this.#db.query(
      `INSERT INTO signing_keys (kid, alg, private_enc, public_jwk, status, activated_at)
       VALUES ($1, $2, $3, $4, $5, CASE WHEN $5 = 'current' THEN now() END)`,
      [key.kid, key.alg, key.privateEnc, JSON.stringify(key.publicJwk), key.status],
    );
  }

  /** The 'next' key of an algorithm starts signing; the previous 'current' one is retired. */
  async promoteNext(alg: string): Promise<boolean> {
    const { rowCount } = await this.#db.query(
      `WITH promoted AS (
         UPDATE signing_keys SET status = 'current', activated_at = now() WHERE alg = $1 AND status = 'next' RETURNING kid)
       UPDATE signing_keys SET status = 'retired', retired_at = now()
       WHERE alg = $1 AND status = 'current' AND EXISTS (SELECT 1 FROM promoted) AND kid NOT IN (SELECT kid FROM promoted)`,
      [alg],
    );
    return rowCount > 0;
  }

  /** Drops retired keys retired before the cut-off (tokens they signed have all expired). */
  async dropRetiredBefore(cutoff: Date): Promise<number> {
    const { rowCount } = await this.#db.query(`DELETE FROM signing_keys WHERE status = 'retired' AND retired_at < $1`, [cutoff]);
    return rowCount;
  }
}
