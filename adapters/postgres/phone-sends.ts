// Every SMS sent and call placed, counted per user, number and country over the last hour: the
// limits against SMS pumping and toll fraud.
import type { Queryable } from './database.ts';

export type PhoneChannel = 'sms' | 'voice';

export interface SendCounts {
  user: number;
  phone: number;
  country: number;
}

export class PhoneSendLog {
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  async record(send: { userId: string; phone: string; country: string; channel: PhoneChannel; at: Date }): Promise<string> {
    const { rows } = await this.#db.query<{ id: string }>(
      'INSERT INTO phone_sends (user_id, phone, country, channel, sent_at) VALUES ($1, $2, $3, $4, $5) RETURNING id',
      [send.userId, send.phone, send.country, send.channel, send.at],
    );
    return String(rows[0]!.id);
  }

  async remove(id: string): Promise<void> {
    await this.#db.query('DELETE FROM phone_sends WHERE id = $1', [id]);
  }

  async countsSince(key: { userId: string; phone: string; country: string }, since: Date): Promise<SendCounts> {
    const { rows } = await this.#db.query<{ by_user: number; by_phone: number; by_country: number }>(
      `SELECT
         (SELECT count(*)::int FROM phone_sends WHERE user_id = $1 AND sent_at > $4) AS by_user,
         (SELECT count(*)::int FROM phone_sends WHERE phone = $2 AND sent_at > $4) AS by_phone,
         (SELECT count(*)::int FROM phone_sends WHERE country = $3 AND sent_at > $4) AS by_country`,
      [key.userId, key.phone, key.country, since],
    );
    const row = rows[0]!;
    return { user: row.by_user, phone: row.by_phone, country: row.by_country };
  }
}
