// What a sign-in has proven so far, kept per oidc-provider interaction (Session and Interaction
// payloads do not keep custom fields).
import type { Queryable } from './database.ts';
import { toUser, USER_COLUMNS, type User, type UserDbRow } from './users.ts';

const JOINED_USER_COLUMNS = USER_COLUMNS.map((c) => `u.${c}`).join(', ');

export class JourneyRepository<State extends object> {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** The journey and its user in one read: every journey request needs both. */
  async load(uid: string): Promise<{ journey: State & { userId: string }; user: User } | undefined> {
    const { rows } = await this.#db.query<UserDbRow & { journey_state: State }>(
      `SELECT j.state AS journey_state, ${JOINED_USER_COLUMNS}
       FROM journeys j JOIN users u ON u.id = j.user_id
       WHERE j.interaction_uid = $1 AND j.expires_at > now()`,
      [uid],
    );
    const row = rows[0];
    return row && { journey: { ...row.journey_state, userId: row.id }, user: toUser(row) };
  }

  async save(uid: string, userId: string, state: State, ttlSeconds: number): Promise<void> {
    await this.#db.query(
      `INSERT INTO journeys (interaction_uid, user_id, state, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4::int))
       ON CONFLICT (interaction_uid) DO UPDATE SET user_id = EXCLUDED.user_id, state = EXCLUDED.state, expires_at = EXCLUDED.expires_at`,
      [uid, userId, JSON.stringify(state), ttlSeconds],
    );
  }

  async remove(uid: string): Promise<void> {
    await this.#db.query('DELETE FROM journeys WHERE interaction_uid = $1', [uid]);
  }
}
