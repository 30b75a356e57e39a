// oidc-provider's storage: one jsonb row per model instance, with the lookup keys it needs as columns.
// Clients are the exception: they live in the clients table that IT manages.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { clientChangedHere, type ClientReader } from './client-cache.ts';
import type { ClientRepository } from './clients.ts';
import type { Queryable } from './database.ts';

interface ModelRow {
  payload: AdapterPayload;
  consumed_at: Date | null;
}

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);

class ModelAdapter implements Adapter {
  readonly #db: Queryable;
  readonly #model: string;

  constructor(db: Queryable, model: string) {
    this.#db = db;
    this.#model = model;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const expiresAt = expiresIn ? new Date(Date.now() + expiresIn * 1000) : null;
    await this.#db.query(
      `INSERT INTO oidc_models (model, id, payload, grant_id, uid, user_code, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (model, id) DO UPDATE SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id,
         uid = EXCLUDED.uid, user_code = EXCLUDED.user_code, expires_at = EXCLUDED.expires_at`,
      [
        this.#model,
        id,
        JSON.stringify(payload),
        GRANTABLE.has(this.#model) ? (payload.grantId ?? null) : null,
        payload.uid ?? null,
        payload.userCode ?? null,
        expiresAt,
      ],
    );
  }

  async #findBy(column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
    const { rows } = await this.#db.query<ModelRow>(
      `SELECT payload, consumed_at FROM oidc_models
       WHERE model = $1 AND ${column} = $2 AND (expires_at IS NULL OR expires_at > now())`,
      [this.#model, value],
    );
    const row = rows[0];
    if (!row) return undefined;
    return row.consumed_at ? { ...row.payload, consumed: Math.floor(new Date(row.consumed_at).getTime() / 1000) } : row.payload;
  }

  find(id: string) {
    return this.#findBy('id', id);
  }

  findByUid(uid: string) {
    return this.#findBy('uid', uid);
  }

  findByUserCode(userCode: string) {
    return this.#findBy('user_code', userCode);
  }

  async consume(id: string): Promise<void> {
    await this.#db.query('UPDATE oidc_models SET consumed_at = now() WHERE model = $1 AND id = $2', [this.#model, id]);
  }

  async destroy(id: string): Promise<void> {
    await this.#db.query('DELETE FROM oidc_models WHERE model = $1 AND id = $2', [this.#model, id]);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.#db.query('DELETE FROM oidc_models WHERE grant_id = $1', [grantId]);
  }
}

/** The client metadata extensions oidc-provider reads, from the columns only IT can set. */
function trustMetadata(c: { firstParty: boolean; admin: boolean; mfaPolicy: string }) {
  return { sekisho_first_party: c.firstParty, sekisho_admin: c.admin, sekisho_mfa_policy: c.mfaPolicy };
}

/** Dynamically registered and IT-managed clients share one table. */
class ClientAdapter implements Adapter {
  readonly #clients: ClientRepository;
  readonly #reads: ClientReader;

  constructor(clients: ClientRepository, reads: ClientReader) {
    this.#clients = clients;
    this.#reads = reads;
  }

  async upsert(id: string, payload: AdapterPayload): Promise<void> {
    const { client_secret: secret, ...metadata } = payload as AdapterPayload & { client_secret?: string };
    const existing = await this.#clients.find(id);
    const trust = { firstParty: existing?.firstParty ?? false, admin: existing?.admin ?? false, mfaPolicy: existing?.mfaPolicy ?? 'required' };
    await this.#clients.save({
      clientId: id,
      // Trust comes from IT (the columns), never from what a client registered for itself.
      metadata: { ...metadata, client_id: id, ...trustMetadata(trust) },
      secret: secret ?? null,
      ...trust,
    });
    clientChangedHere(id);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const c = await this.#reads.find(id);
    if (!c) return undefined;
    return { ...c.metadata, client_id: c.clientId, ...trustMetadata(c), ...(c.secret ? { client_secret: c.secret } : {}) } as AdapterPayload;
  }

  async findByUid(): Promise<undefined> {
    return undefined;
  }

  async findByUserCode(): Promise<undefined> {
    return undefined;
  }

  async consume(): Promise<void> {}

  async destroy(id: string): Promise<void> {
    await this.#clients.remove(id);
    clientChangedHere(id);
  }

  async revokeByGrantId(): Promise<void> {}
}

/** `clientReads` serves oidc-provider's client lookups (a cache); writes always go to `clients`. */
export function createAdapterFactory(db: Queryable, clients: ClientRepository, clientReads: ClientReader = clients): (model: string) => Adapter {
  return (model: string) => (model === 'Client' ? new ClientAdapter(clients, clientReads) : new ModelAdapter(db, model));
}

/** Removes expired rows of every model and of the journey tables; returns how many. */
export async function sweepExpired(db: Queryable): Promise<number> {
  let removed = 0;
  for (const sql of [
    'DELETE FROM oidc_models WHERE expires_at < now()',
    'DELETE FROM journeys WHERE expires_at < now()',
    "DELETE FROM challenges WHERE expires_at < now() - interval '1 day'",
    "DELETE FROM totp_used_steps WHERE used_at < now() - interval '1 day'",
    "DELETE FROM phone_sends WHERE sent_at < now() - interval '2 days'",
    "DELETE FROM access_passes WHERE expires_at < now() - interval '1 day'",
  ]) {
    removed += (await db.query(sql)).rowCount;
  }
  return removed;
}

/** The stored Session payloads of one account (the clients each signed in to, for logout notices). */
export async function sessionsOfAccount<T = AdapterPayload>(db: Queryable, accountId: string): Promise<T[]> {
  const { rows } = await db.query<{ payload: T }>(`SELECT payload FROM oidc_models WHERE model = 'Session' AND payload->>'accountId' = $1`, [accountId]);
  return rows.map((r) => r.payload);
}

/**
 * Ends everything oidc-provider keeps for one account: sessions, grants, codes, tokens, and sign-ins
 * under way (an interaction names its account only inside its session). Returns how many rows went.
 */
export async function removeAccountModels(db: Queryable, accountId: string): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM oidc_models WHERE model <> 'Client'
     AND (payload->>'accountId' = $1 OR payload->'session'->>'accountId' = $1)`,
    [accountId],
  );
  return rowCount;
}
