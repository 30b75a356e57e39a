// Back-channel logout that survives a relying party being down. Notifications are rows in
// backchannel_outbox; a delivery posts oidc-provider's own logout token (client.backchannelLogout)
// and removes the row on 200/204, or schedules the next attempt with a growing delay. Several
// instances share the table: each claims due rows with a short lease (FOR UPDATE SKIP LOCKED).
import type { Provider } from 'oidc-provider';
import type { Queryable } from '../adapters/postgres/database.ts';
import { removeAccountModels, sessionsOfAccount } from '../adapters/postgres/oidc-adapter.ts';
import type { Services } from '../app/services.ts';

export interface LogoutNotice {
  clientId: string;
  accountId: string;
  sid: string;
}

export type OutboxServices = Pick<Services, 'db' | 'audit' | 'clients'>;

export interface DeliveryOptions {
  /** Clock in milliseconds; tests move it past the backoff instead of waiting. */
  now?: () => number;
  limit?: number;
}

export interface DeliveryReport {
  delivered: number;
  retrying: number;
  abandoned: number;
}

/** After this many failed attempts (about a day of retries) the notification is dropped and audited. */
export const MAX_ATTEMPTS = 30;
const FIRST_DELAY_MS = 30_000;
const MAX_DELAY_MS = 3600_000;
/** A claimed row is hidden this long; if its instance dies mid-delivery another one picks it up. */
const LEASE_MS = 60_000;

/** Delay before attempt `attempts + 1`: 30 s, doubling, at most an hour. */
export function backoffMs(attempts: number): number {
  return Math.min(FIRST_DELAY_MS * 2 ** Math.max(0, attempts - 1), MAX_DELAY_MS);
}

type BackchannelClient = { backchannelLogout(accountId: string, sid: string): Promise<void> };

/** A queued notification as stored. */
export interface OutboxRow {
  id: number;
  client_id: string;
  account_id: string;
  sid: string;
  attempts: number;
}

/**
 * Queues notifications, due at once, or after `holdMs` when the caller delivers them itself first
 * (the hold keeps the delivery timer of any instance away meanwhile). The same client and sid
 * queued twice stays one row; returns the rows this call added.
 */
export async function queueLogouts(db: Queryable, notices: readonly LogoutNotice[], now: number = Date.now(), holdMs = 0): Promise<OutboxRow[]> {
  const added: OutboxRow[] = [];
  for (const n of notices) {
    const { rows } = await db.query<OutboxRow>(
      `INSERT INTO backchannel_outbox (client_id, account_id, sid, next_attempt_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (client_id, sid) DO NOTHING RETURNING id, client_id, account_id, sid, attempts`,
      [n.clientId, n.accountId, n.sid, new Date(now + holdMs)],
    );
    added.push(...rows);
  }
  return added;
}

async function claimDue(db: Queryable, now: number, options: DeliveryOptions): Promise<OutboxRow[]> {
  const { rows } = await db.query<OutboxRow>(
    `UPDATE backchannel_outbox SET next_attempt_at = $2
     WHERE id IN (
       SELECT id FROM backchannel_outbox
       WHERE next_attempt_at <= $1
       ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
     RETURNING id, client_id, account_id, sid, attempts`,
    [new Date(now), new Date(now + LEASE_MS), options.limit ?? 100],
  );
  return rows;
}

async function deliverOne(services: OutboxServices, provider: Provider, row: OutboxRow, now: number): Promise<keyof DeliveryReport | 'dropped'> {
  const client = await provider.Client.find(row.client_id).catch(() => undefined);
  if (!client?.backchannelLogoutUri) {
    // The client is gone or no longer wants notifications: nothing to deliver.
    await services.db.query('DELETE FROM backchannel_outbox WHERE id = $1', [row.id]);
    return 'dropped';
  }
  try {
    // Not in @types/oidc-provider, but a public method of the Client model (lib/models/client.js).
    await (client as unknown as BackchannelClient).backchannelLogout(row.account_id, row.sid);
    await services.db.query('DELETE FROM backchannel_outbox WHERE id = $1', [row.id]);
    return 'delivered';
  } catch (err) {
    const attempts = row.attempts + 1;
    const error = err instanceof Error ? err.message : String(err);
    const common = { userId: row.account_id, clientId: row.client_id, outcome: 'failure' as const };
    if (attempts >= MAX_ATTEMPTS) {
      await services.db.query('DELETE FROM backchannel_outbox WHERE id = $1', [row.id]);
      await services.audit.record({ type: 'logout.backchannel_abandoned', ...common, details: { attempts, error } });
      return 'abandoned';
    }
    const next = new Date(now + backoffMs(attempts));
    await services.db.query('UPDATE backchannel_outbox SET attempts = $2, next_attempt_at = $3, last_error = $4 WHERE id = $1', [
      row.id,
      attempts,
      next,
      error.slice(0, 500),
    ]);
    await services.audit.record({ type: 'logout.backchannel_failed', ...common, details: { attempts, error, nextAttemptAt: next.toISOString() } });
    return 'retrying';
  }
}

async function deliverAll(services: OutboxServices, provider: Provider, rows: readonly OutboxRow[], now: number): Promise<DeliveryReport> {
  const report: DeliveryReport = { delivered: 0, retrying: 0, abandoned: 0 };
  for (const row of rows) {
    const outcome = await deliverOne(services, provider, row, now);
    if (outcome !== 'dropped') report[outcome] += 1;
  }
  return report;
}

/** Delivers every due notification once; failures are rescheduled. */
export async function deliverDueLogouts(services: OutboxServices, provider: Provider, options: DeliveryOptions = {}): Promise<DeliveryReport> {
  const now = (options.now ?? Date.now)();
  return deliverAll(services, provider, await claimDue(services.db, now, options), now);
}

/** Notifications still waiting (for the CLI and tests). */
export async function pendingLogouts(db: Queryable, accountId?: string): Promise<(LogoutNotice & { attempts: number; nextAttemptAt: Date })[]> {
  const { rows } = await db.query<OutboxRow & { next_attempt_at: Date }>(
    `SELECT id, client_id, account_id, sid, attempts, next_attempt_at FROM backchannel_outbox
     WHERE $1::text IS NULL OR account_id = $1 ORDER BY id`,
    [accountId ?? null],
  );
  return rows.map((r) => ({ clientId: r.client_id, accountId: r.account_id, sid: r.sid, attempts: r.attempts, nextAttemptAt: new Date(r.next_attempt_at) }));
}

/** What a stored Session says about the clients it signed in to. */
export interface SessionAuthorizations {
  authorizations?: Record<string, { sid?: string; grantId?: string }>;
}

/** One notification per client each session had signed in to (the sid that client knows). */
export function logoutNoticesFor(accountId: string, sessions: readonly SessionAuthorizations[]): LogoutNotice[] {
  return sessions.flatMap((session) =>
    Object.entries(session.authorizations ?? {}).flatMap(([clientId, a]) => (a.sid ? [{ clientId, accountId, sid: a.sid }] : [])),
  );
}

export interface SignOutReport {
  sessions: number;
  /** Notifications queued for clients with a back-channel logout URI. */
  queued: number;
}

async function wantsBackchannel(services: OutboxServices, clientId: string): Promise<boolean> {
  const client = await services.clients.find(clientId);
  return typeof client?.metadata.backchannel_logout_uri === 'string';
}

/**
 * "Sign out everywhere": ends every session of the user and revokes their grants and tokens (every
 * oidc-provider row whose payload names the account, and interactions under way in their sessions),
 * queues a logout notification for each client a session had signed in to, and delivers those at
 * once; the ones that fail stay queued for the timer, with backoff.
 */
export async function signOutEverywhere(
  services: OutboxServices,
  provider: Provider,
  userId: string,
  options: { now?: () => number } = {},
): Promise<SignOutReport & DeliveryReport> {
  const now = (options.now ?? Date.now)();
  const sessions = await sessionsOfAccount<SessionAuthorizations>(services.db, userId);
  const all = logoutNoticesFor(userId, sessions);
  // Each session names its clients again: a client is read once, however many sessions signed in to it.
  const wanting = new Set<string>();
  for (const clientId of new Set(all.map((n) => n.clientId))) if (await wantsBackchannel(services, clientId)) wanting.add(clientId);
  const notices = all.filter((n) => wanting.has(n.clientId));
  const queued = await services.db.transaction(async (tx) => {
    await removeAccountModels(tx, userId);
    // Held from the delivery timer while this call delivers them itself.
    return queueLogouts(tx, notices, now, LEASE_MS);
  });
  return { sessions: sessions.length, queued: queued.length, ...(await deliverAll(services, provider, queued, now)) };
}

export interface DeliveryTimerOptions {
  now?: () => number;
  intervalMs?: number;
  log?: { warn(message: string, fields?: Record<string, unknown>): void };
}

/** Periodic delivery of due notifications; returns the (unref'd) timer for the app to clear on close. */
export function startBackchannelDelivery(services: OutboxServices, provider: Provider, options: DeliveryTimerOptions = {}): NodeJS.Timeout {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    deliverDueLogouts(services, provider, { now: options.now })
      .catch((err: unknown) => options.log?.warn('back-channel logout delivery failed', { err: String(err) }))
      .finally(() => (running = false));
  }, options.intervalMs ?? 15_000);
  timer.unref();
  return timer;
}
