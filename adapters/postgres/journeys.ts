// What a sign-in has proven so far, kept per oidc-provider interaction (Session and Interaction
// payloads do not keep custom fields).
import type { Queryable } from './database.ts';

export class JourneyRepository<State extends object> {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async load(uid: string): Promise<(State & { userId: string }) | undefined> {
    const { rows } = await this.#db.query<{ user_id: string; state: State }>(
      'SELECT user_id, state FROM journeys WHERE interaction_uid = $1 AND expires_at > now()',
      [uid],
    );
    return rows[0] && { ...rows[0].state, userId: rows[0].user_id };
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
