// Reading the audit log, by user, type and time.
import type { AuditEntry } from '../../adapters/postgres/audit-log.ts';
import { optionalString, validLimit, validSince, validUsername } from '../validate.ts';
import { nowOf, type OperationContext } from './context.ts';

export interface AuditQueryInput {
  user?: unknown;
  /** ISO date or a span back from now: 30m, 24h, 7d. */
  since?: unknown;
  type?: unknown;
  limit?: unknown;
}

export async function queryAudit(ctx: OperationContext, input: AuditQueryInput = {}): Promise<AuditEntry[]> {
  const username = input.user === undefined ? undefined : validUsername(input.user, 'user');
  const since = input.since === undefined ? undefined : validSince(input.since, nowOf(ctx));
  const type = optionalString(input.type, 'type');
  const limit = validLimit(input.limit);
  const { audit, users } = ctx.services;
  const user = username ? await users.findByUsername(username) : undefined;
  // Rows keep the user id; the name is only a fallback for users deleted since.
  return audit.query(user ? { userId: user.id, since, type, limit } : { username, since, type, limit });
}
