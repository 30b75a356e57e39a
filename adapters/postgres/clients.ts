// Relying-party clients, read by oidc-provider through the adapter. Secrets are sealed at rest.
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Queryable } from './database.ts';

export type MfaPolicy = string; // 'required' | 'optional' | a minimum acr value

export interface ClientRecord {
  clientId: string;
  /** oidc-provider metadata, snake_case, without client_secret. */
  metadata: Record<string, unknown>;
  secret: string | null;
  firstParty: boolean;
  admin: boolean;
  mfaPolicy: MfaPolicy;
  createdAt: Date;
  updatedAt: Date;
}

export type NewClient = Omit<ClientRecord, 'createdAt' | 'updatedAt'>;

interface ClientDbRow {
  client_id: string;
  metadata: Record<string, unknown>;
  secret_enc: string | null;
  first_party: boolean;
  admin: boolean;
  mfa_policy: string;
  created_at: Date;
  updated_at: Date;
}

export class DuplicateClientError extends Error {
  readonly code = 'duplicate_client';
  constructor(id: string) {
    super(`client ${id} already exists`);
    this.name = 'DuplicateClientError';
  }
}

export class ClientRepository {
  readonly #db: Queryable;
  readonly #box: SecretBox;

  constructor(db: Queryable, box: SecretBox) {
    this.#db = db;
    this.#box = box;
  }

  #toRecord(r: ClientDbRow): ClientRecord {
    return {
      clientId: r.client_id,
      metadata: r.metadata,
      secret: r.secret_enc ? this.#box.open(r.secret_enc, `client:${r.client_id}`) : null,
      firstParty: r.first_party,
      admin: r.admin,
      mfaPolicy: r.mfa_policy,
      createdAt: new Date(r.created_at),
      updatedAt: new Date(r.updated_at),
    };
  }

  #seal(c: Pick<NewClient, 'clientId' | 'secret'>): string | null {
    return c.secret ? this.#box.seal(c.secret, `client:${c.clientId}`) : null;
  }

  async find(clientId: string): Promise<ClientRecord | undefined> {
    const { rows } = await this.#db.query<ClientDbRow>('SELECT * FROM clients WHERE client_id = $1', [clientId]);
    return rows[0] && this.#toRecord(rows[0]);
  }

  async list(): Promise<ClientRecord[]> {
    const { rows } = await this.#db.query<ClientDbRow>('SELECT * FROM clients ORDER BY client_id');
    return rows.map((r) => this.#toRecord(r));
  }

  async create(c: NewClient): Promise<ClientRecord> {
    const { rows } = await this.#db.query<ClientDbRow>(
      `INSERT INTO clients (client_id, metadata, secret_enc, first_party, admin, mfa_policy)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (client_id) DO NOTHING RETURNING *`,
      [c.clientId, JSON.stringify(c.metadata), this.#seal(c), c.firstParty, c.admin, c.mfaPolicy],
    );
    if (!rows[0]) throw new DuplicateClientError(c.clientId);
    return this.#toRecord(rows[0]);
  }

  async save(c: NewClient): Promise<ClientRecord> {
    const { rows } = await this.#db.query<ClientDbRow>(
      `INSERT INTO clients (client_id, metadata, secret_enc, first_party, admin, mfa_policy)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (client_id) DO UPDATE SET metadata = EXCLUDED.metadata, secret_enc = EXCLUDED.secret_enc,
         first_party = EXCLUDED.first_party, admin = EXCLUDED.admin, mfa_policy = EXCLUDED.mfa_policy, updated_at = now()
       RETURNING *`,
      [c.clientId, JSON.stringify(c.metadata), this.#seal(c), c.firstParty, c.admin, c.mfaPolicy],
    );
    return this.#toRecord(rows[0]!);
  }

  async remove(clientId: string): Promise<boolean> {
    const { rowCount } = await this.#db.query('DELETE FROM clients WHERE client_id = $1', [clientId]);
    return rowCount > 0;
  }
}
