// Whether the Sekisho session behind the page's cookie still exists. The page's cookie is signed, not
// stored, so without this a "sign out everywhere" (or a logout) in one browser would leave the Security
// info page open in another until its cookie expired.
import type { Queryable } from '../adapters/postgres/database.ts';

export async function sekishoSessionAlive(db: Queryable, clientId: string, userId: string, sid: string): Promise<boolean> {
  const { rows } = await db.query(
    `SELECT 1 FROM oidc_models
     WHERE model = 'Session' AND payload->>'accountId' = $1 AND payload->'authorizations'->($2::text)->>'sid' = $3
       AND (expires_at IS NULL OR expires_at > now())
     LIMIT 1`,
    [userId, clientId, sid],
  );
  return rows.length > 0;
}
