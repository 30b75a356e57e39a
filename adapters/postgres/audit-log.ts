// The audit log: every sign-in, every change to methods, clients, keys and users, every admin call.
import type { Queryable } from './database.ts';

export interface AuditEvent {
  type: string;
  outcome?: 'success' | 'failure';
  userId?: string | null;
  username?: string | null;
  clientId?: string | null;
  actor?: string | null;
  factor?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditEntry extends Required<Omit<AuditEvent, 'details'>> {
  id: number;
  at: Date;
  details: Record<string, unknown> | null;
}

export interface AuditQuery {
  userId?: string;
  username?: string;
  type?: string;
  since?: Date;
  limit?: number;
}

interface AuditDbRow {
  id: number;
  at: Date;
  type: string;
  outcome: 'success' | 'failure';
  user_id: string | null;
  username: string | null;
  client_id: string | null;
  actor: string | null;
  factor: string | null;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown> | null;
}

export type AuditListener = (e: AuditEvent) => void;

export class AuditLog {
  readonly #db: Queryable;
  readonly #listeners: AuditListener[] = [];

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** Hears every recorded event (metrics count them); a listener must not throw. */
  onRecord(listener: AuditListener): void {
    this.#listeners.push(listener);
  }

  async record(e: AuditEvent): Promise<void> {
    for (const listener of this.#listeners) listener(e);
    await this.#db.query(
      `INSERT INTO audit_log (type, outcome, user_id, username, client_id, actor, factor, ip, user_agent, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        e.type,
        e.outcome ?? 'success',
        e.userId ?? null,
        e.username ?? null,
        e.clientId ?? null,
        e.actor ?? null,
        e.factor ?? null,
        e.ip ?? null,
        e.userAgent?.slice(0, 512) ?? null,
        e.details ? JSON.stringify(e.details) : null,
      ],
    );
  }

  async query(q: AuditQuery = {}): Promise<AuditEntry[]> {
    const { rows } = await this.#db.query<AuditDbRow>(
      `SELECT id, at, type, outcome, user_id, username, client_id, actor, factor, ip, user_agent, details FROM audit_log
       WHERE ($1::text IS NULL OR user_id = $1)
         AND ($2::text IS NULL OR lower(username) = lower($2))
         AND ($3::text IS NULL OR type = $3 OR type LIKE $3 || '.%')
         AND ($4::timestamptz IS NULL OR at >= $4)
       ORDER BY id DESC LIMIT $5`,
      [q.userId ?? null, q.username ?? null, q.type ?? null, q.since ?? null, q.limit ?? 100],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      at: new Date(r.at),
      type: r.type,
      outcome: r.outcome,
      userId: r.user_id,
      username: r.username,
      clientId: r.client_id,
      actor: r.actor,
      factor: r.factor,
      ip: r.ip,
      userAgent: r.user_agent,
      details: r.details,
    }));
  }

  /** Deletes rows older than the retention period; returns how many. */
  async prune(retentionDays: number, now = new Date()): Promise<number> {
    const { rowCount } = await this.#db.query(
      `DELETE FROM audit_log WHERE at < $1::timestamptz - make_interval(days => $2::int)`,
      [now, retentionDays],
    );
    return rowCount;
  }
}
