// Users: local (argon2id hash) or directory (LDAP) accounts.
import { dateOrNull, type Queryable } from './database.ts';
import { newId } from './ids.ts';

export type UserSource = 'local' | 'ldap';

export interface User {
  id: string;
  username: string;
  email: string | null;
  name: string | null;
  locale: string | null;
  source: UserSource;
  passwordHash: string | null;
  importedPhone: string | null;
  disabledAt: Date | null;
  mfaResetAt: Date | null;
  createdAt: Date;
}

export interface NewUser {
  username: string;
  email?: string | null;
  name?: string | null;
  locale?: string | null;
  source?: UserSource;
  passwordHash?: string | null;
  importedPhone?: string | null;
}

export type UserPatch = Partial<Pick<User, 'email' | 'name' | 'locale' | 'passwordHash' | 'importedPhone'>>;

export class DuplicateUserError extends Error {
  readonly code = 'duplicate_user';
  constructor(username: string) {
    super(`user ${username} already exists`);
    this.name = 'DuplicateUserError';
  }
}

export interface UserDbRow {
  id: string;
  username: string;
  email: string | null;
  name: string | null;
  locale: string | null;
  source: UserSource;
  password_hash: string | null;
  imported_phone: string | null;
  disabled_at: Date | null;
  mfa_reset_at: Date | null;
  created_at: Date;
}

export const USER_COLUMNS = ['id', 'username', 'email', 'name', 'locale', 'source', 'password_hash', 'imported_phone', 'disabled_at', 'mfa_reset_at', 'created_at'] as const;
const columns = USER_COLUMNS.join(', ');

export function toUser(r: UserDbRow): User {
  return {
    id: r.id,
    username: r.username,
    email: r.email,
    name: r.name,
    locale: r.locale,
    source: r.source,
    passwordHash: r.password_hash,
    importedPhone: r.imported_phone,
    disabledAt: dateOrNull(r.disabled_at),
    mfaResetAt: dateOrNull(r.mfa_reset_at),
    createdAt: new Date(r.created_at),
  };
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505';
}

export class UserRepository {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async findById(id: string): Promise<User | undefined> {
    const { rows } = await this.#db.query<UserDbRow>(`SELECT ${columns} FROM users WHERE id = $1`, [id]);
    return rows[0] && toUser(rows[0]);
  }

  async findByUsername(username: string): Promise<User | undefined> {
    const { rows } = await this.#db.query<UserDbRow>(`SELECT ${columns} FROM users WHERE lower(username) = lower($1)`, [username]);
    return rows[0] && toUser(rows[0]);
  }

  async create(user: NewUser): Promise<User> {
    try {
      const { rows } = await this.#db.query<UserDbRow>(
        `INSERT INTO users (id, username, email, name, locale, source, password_hash, imported_phone)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${columns}`,
        [newId('u'), user.username, user.email ?? null, user.name ?? null, user.locale ?? null, user.source ?? 'local', user.passwordHash ?? null, user.importedPhone ?? null],
      );
      return toUser(rows[0]!);
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateUserError(user.username);
      throw err;
    }
  }

  /** Creates or updates by username; returns whether a row was created. Used by imports. */
  async upsert(user: NewUser): Promise<{ user: User; created: boolean }> {
    const { rows } = await this.#db.query<UserDbRow & { inserted: boolean }>(
      `INSERT INTO users (id, username, email, name, locale, source, imported_phone)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (lower(username)) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name,
         locale = COALESCE(EXCLUDED.locale, users.locale), imported_phone = COALESCE(EXCLUDED.imported_phone, users.imported_phone),
         updated_at = now()
       RETURNING ${columns}, (xmax = 0) AS inserted`,
      [newId('u'), user.username, user.email ?? null, user.name ?? null, user.locale ?? null, user.source ?? 'local', user.importedPhone ?? null],
    );
    return { user: toUser(rows[0]!), created: rows[0]!.inserted };
  }

  /** `upsert` for many rows in one statement (imports); returns how many were created. */
  async upsertMany(users: readonly NewUser[]): Promise<number> {
    if (!users.length) return 0;
    const column = (pick: (u: NewUser) => string | null | undefined) => users.map((u) => pick(u) ?? null);
    const { rows } = await this.#db.query<{ inserted: boolean }>(
      `INSERT INTO users (id, username, email, name, locale, source, imported_phone)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
       ON CONFLICT (lower(username)) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name,
         locale = COALESCE(EXCLUDED.locale, users.locale), imported_phone = COALESCE(EXCLUDED.imported_phone, users.imported_phone),
         updated_at = now()
       RETURNING (xmax = 0) AS inserted`,
      [
        users.map(() => newId('u')),
        column((u) => u.username),
        column((u) => u.email),
        column((u) => u.name),
        column((u) => u.locale),
        column((u) => u.source ?? 'local'),
        column((u) => u.importedPhone),
      ],
    );
    return rows.filter((r) => r.inserted).length;
  }

  async update(id: string, patch: UserPatch): Promise<void> {
    const map: Record<keyof UserPatch, string> = {
      email: 'email',
      name: 'name',
      locale: 'locale',
      passwordHash: 'password_hash',
      importedPhone: 'imported_phone',
    };
    const keys = (Object.keys(patch) as (keyof UserPatch)[]).filter((k) => patch[k] !== undefined);
    if (!keys.length) return;
    const sets = keys.map((k, i) => `${map[k]} = $${i + 2}`).join(', ');
    await this.#db.query(`UPDATE users SET ${sets}, updated_at = now() WHERE id = $1`, [id, ...keys.map((k) => patch[k])]);
  }

  async setDisabled(id: string, disabled: boolean): Promise<void> {
    await this.#db.query(
      `UPDATE users SET disabled_at = CASE WHEN $2::boolean THEN COALESCE(disabled_at, now()) ELSE NULL END, updated_at = now() WHERE id = $1`,
      [id, disabled],
    );
  }

  async markMfaReset(id: string): Promise<void> {
    await this.#db.query('UPDATE users SET mfa_reset_at = now(), updated_at = now() WHERE id = $1', [id]);
  }

  async list(options: { limit?: number; offset?: number; search?: string } = {}): Promise<User[]> {
    const { rows } = await this.#db.query<UserDbRow>(
      `SELECT ${columns} FROM users
       WHERE $1::text IS NULL OR lower(username) LIKE '%' || lower($1) || '%' OR lower(coalesce(email, '')) LIKE '%' || lower($1) || '%'
       ORDER BY lower(username) LIMIT $2 OFFSET $3`,
      [options.search ?? null, options.limit ?? 100, options.offset ?? 0],
    );
    return rows.map(toUser);
  }

  async count(): Promise<number> {
    const { rows } = await this.#db.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
    return rows[0]!.n;
  }
}
