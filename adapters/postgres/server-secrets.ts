// Secrets every instance must share (cookie signing keys), sealed in the database.
import { randomBytes } from 'node:crypto';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Queryable } from './database.ts';

export async function loadOrCreateSecret(db: Queryable, box: SecretBox, name: string): Promise<string> {
  const fresh = box.seal(randomBytes(32).toString('base64url'), `server:${name}`);
  // Insert-if-absent then read back, so concurrent first starts agree on one value.
  await db.query('INSERT INTO server_secrets (name, value_enc) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, fresh]);
  const { rows } = await db.query<{ value_enc: string }>('SELECT value_enc FROM server_secrets WHERE name = $1', [name]);
  return box.open(rows[0]!.value_enc, `server:${name}`);
}
