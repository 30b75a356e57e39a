// User administration shared by the `sekisho user …` commands and the admin API.
import type { Queryable } from '../../adapters/postgres/database.ts';
import { AuditLog } from '../../adapters/postgres/audit-log.ts';
import { removeAccountModels, sessionsOfAccount } from '../../adapters/postgres/oidc-adapter.ts';
import { MethodRepository, type Method } from '../../adapters/postgres/methods.ts';
import { DuplicateUserError, UserRepository, type User } from '../../adapters/postgres/users.ts';
import type { Config } from '../../config/index.ts';
import { maskPhone, parsePhone, PhoneNumberError } from '../../methods/phone-number.ts';
import { hashPassword } from '../../methods/password/argon2.ts';
import { logoutNoticesFor, queueLogouts } from '../../provider/backchannel-outbox.ts';
import { issueAccessPass, listAccessPasses, TAP_MAX_TTL_SECONDS, TAP_MIN_TTL_SECONDS } from '../../methods/tap/index.ts';
import { conflict, notFound, usage } from '../errors.ts';
import { optionalBoolean, optionalString, validDuration, validEmail, validLimit, validLocale, validName, validUsername } from '../validate.ts';
import { nowOf, type OperationContext } from './context.ts';

export interface UserSummary {
  id: string;
  username: string;
  email: string | null;
  name: string | null;
  locale: string | null;
  source: string;
  /** Masked, e.g. `+81 •• •••• 5678`. */
  phone: string | null;
  disabled: boolean;
  disabledAt: Date | null;
  mfaResetAt: Date | null;
  createdAt: Date;
}

export interface MethodSummary {
  id: string;
  kind: string;
  label: string | null;
  status: string;
  isDefault: boolean;
  phone: string | null;
  flagged: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface UserDetail extends UserSummary {
  methods: MethodSummary[];
  accessPasses: { once: boolean; expiresAt: Date; createdBy: string | null }[];
  /** Failure budgets currently locked, e.g. `password` until a time. */
  locks: { scope: string; failures: number; lockedUntil: Date }[];
}

export interface NewUserInput {
  username?: unknown;
  email?: unknown;
  name?: unknown;
  locale?: unknown;
  phone?: unknown;
  /** Without one the user has no local password (directory sign-in). */
  password?: unknown;
}

function summariseUser(u: User): UserSummary {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    name: u.name,
    locale: u.locale,
    source: u.source,
    phone: u.importedPhone ? maskPhone(u.importedPhone) : null,
    disabled: u.disabledAt !== null,
    disabledAt: u.disabledAt,
    mfaResetAt: u.mfaResetAt,
    createdAt: u.createdAt,
  };
}

function summariseMethod(m: Method): MethodSummary {
  return {
    id: m.id,
    kind: m.kind,
    label: m.label,
    status: m.status,
    isDefault: m.isDefault,
    phone: m.phone ? maskPhone(m.phone) : null,
    flagged: m.flaggedAt !== null,
    createdAt: m.createdAt,
    lastUsedAt: m.lastUsedAt,
  };
}

/** E.164 of a typed phone number under the configured countries; a usage error naming the field otherwise. */
export function validPhone(value: unknown, config: Config, field = 'phone'): string {
  const s = optionalString(value, field) ?? '';
  try {
    return parsePhone(s, { defaultCountry: config.phone.defaultCountry, allowedCountries: config.phone.allowedCountries }).e164;
  } catch (err) {
    if (err instanceof PhoneNumberError) throw usage('invalid_phone', field, { value: s, reason: err.code });
    throw err;
  }
}

async function findUserOrFail(users: UserRepository, username: unknown): Promise<User> {
  const name = validUsername(username);
  const user = await users.findByUsername(name);
  if (!user) throw notFound('user_not_found', { username: name });
  return user;
}

export async function addUser(ctx: OperationContext, input: NewUserInput): Promise<UserSummary> {
  const { config, db } = ctx.services;
  const username = validUsername(input.username);
  const email = validEmail(input.email);
  const name = validName(input.name);
  const locale = input.locale === undefined || input.locale === null ? null : validLocale(input.locale);
  const phone = input.phone === undefined || input.phone === null || input.phone === '' ? null : validPhone(input.phone, config);
  const password = optionalString(input.password, 'password');
  if (password !== undefined && (password.length === 0 || password.length > 1024)) throw usage('invalid_password', 'password');
  const passwordHash = password === undefined ? null : await hashPassword(password);
  try {
    return await db.transaction(async (tx) => {
      const user = await new UserRepository(tx).create({ username, email, name, locale, passwordHash, importedPhone: phone });
      await new AuditLog(tx).record({ type: 'user.add', actor: ctx.actor, userId: user.id, username, details: { withPassword: passwordHash !== null } });
      return summariseUser(user);
    });
  } catch (err) {
    if (err instanceof DuplicateUserError) throw conflict('user_exists', { username }, 'username');
    throw err;
  }
}

export async function listUsers(ctx: OperationContext, options: { search?: unknown; limit?: unknown } = {}): Promise<UserSummary[]> {
  const search = optionalString(options.search, 'search');
  const limit = validLimit(options.limit);
  return (await ctx.services.users.list({ search, limit })).map(summariseUser);
}

async function locksOf(db: Queryable, userId: string, now: Date): Promise<UserDetail['locks']> {
  const { rows } = await db.query<{ scope: string; failures: number; locked_until: Date }>(
    'SELECT scope, failures, locked_until FROM failure_counters WHERE subject = $1 AND locked_until > $2 ORDER BY scope',
    [userId, now],
  );
  return rows.map((r) => ({ scope: r.scope, failures: r.failures, lockedUntil: new Date(r.locked_until) }));
}

export async function showUser(ctx: OperationContext, username: unknown): Promise<UserDetail> {
  const { users, methods, db } = ctx.services;
  const user = await findUserOrFail(users, username);
  const now = nowOf(ctx);
  return {
    ...summariseUser(user),
    methods: (await methods.listForUser(user.id)).map(summariseMethod),
    accessPasses: await listAccessPasses(db, user.id, now),
    locks: await locksOf(db, user.id, now),
  };
}

/** A revoked session: `authorizations` maps client ids to their sid, for back-channel logout. */
export interface RevokedSession {
  uid: string;
  authorizations: Record<string, { sid?: string; grantId?: string }>;
}

/** Ends the user's sessions, grants, codes, tokens and sign-ins under way; returns the sessions for logout notices. */
async function revokeUserSessions(tx: Queryable, userId: string): Promise<{ sessions: RevokedSession[]; revoked: number }> {
  const sessions = await sessionsOfAccount<Partial<RevokedSession>>(tx, userId);
  const revoked = await removeAccountModels(tx, userId);
  // The server's delivery timer sends these; a client without a back-channel URI is skipped there.
  await queueLogouts(tx, logoutNoticesFor(userId, sessions));
  return { sessions: sessions.map((s) => ({ uid: s.uid ?? '', authorizations: s.authorizations ?? {} })), revoked };
}

export interface DisableResult {
  user: UserSummary;
  changed: boolean;
  sessions: RevokedSession[];
}

/** Disabling also ends the user's sessions and tokens at once. */
export async function setUserDisabled(ctx: OperationContext, username: unknown, disabled: boolean): Promise<DisableResult> {
  const user = await findUserOrFail(ctx.services.users, username);
  const changed = (user.disabledAt !== null) !== disabled;
  return ctx.services.db.transaction(async (tx) => {
    const users = new UserRepository(tx);
    await users.setDisabled(user.id, disabled);
    const { sessions, revoked } = disabled ? await revokeUserSessions(tx, user.id) : { sessions: [], revoked: 0 };
    await new AuditLog(tx).record({
      type: disabled ? 'user.disable' : 'user.enable',
      actor: ctx.actor,
      userId: user.id,
      username: user.username,
      details: { changed, tokensRevoked: revoked },
    });
    return { user: summariseUser((await users.findById(user.id))!), changed, sessions };
  });
}

export interface ResetMfaResult {
  userId: string;
  username: string;
  methodsRemoved: number;
  passesRemoved: number;
  tokensRevoked: number;
  /** Sessions ended; the server notifies their clients by back-channel logout. */
  sessions: RevokedSession[];
}

/** Removes every second factor, backup code and pass, and signs the user out everywhere. */
export async function resetMfa(ctx: OperationContext, username: unknown): Promise<ResetMfaResult> {
  const user = await findUserOrFail(ctx.services.users, username);
  return ctx.services.db.transaction(async (tx) => {
    await tx.query('DELETE FROM backup_codes WHERE user_id = $1', [user.id]);
    await tx.query('DELETE FROM challenges WHERE user_id = $1', [user.id]);
    await tx.query('DELETE FROM journeys WHERE user_id = $1', [user.id]);
    const methodsRemoved = await new MethodRepository(tx).removeAllForUser(user.id);
    const passesRemoved = (await tx.query('DELETE FROM access_passes WHERE user_id = $1', [user.id])).rowCount;
    await new UserRepository(tx).markMfaReset(user.id);
    const { sessions, revoked } = await revokeUserSessions(tx, user.id);
    await new AuditLog(tx).record({
      type: 'user.reset_mfa',
      actor: ctx.actor,
      userId: user.id,
      username: user.username,
      details: { methodsRemoved, passesRemoved, tokensRevoked: revoked },
    });
    return { userId: user.id, username: user.username, methodsRemoved, passesRemoved, tokensRevoked: revoked, sessions };
  });
}

export interface TapResult {
  username: string;
  code: string;
  expiresAt: Date;
  once: boolean;
}

export async function issueTap(ctx: OperationContext, username: unknown, options: { ttl?: unknown; once?: unknown }): Promise<TapResult> {
  const ttlSeconds = validDuration(options.ttl ?? '1h', 'ttl', TAP_MIN_TTL_SECONDS, TAP_MAX_TTL_SECONDS);
  const once = optionalBoolean(options.once, 'once') ?? false;
  const user = await findUserOrFail(ctx.services.users, username);
  return ctx.services.db.transaction(async (tx) => {
    const pass = await issueAccessPass(tx, user.id, { ttlSeconds, once, createdBy: ctx.actor, now: nowOf(ctx) });
    await new AuditLog(tx).record({
      type: 'user.tap',
      actor: ctx.actor,
      userId: user.id,
      username: user.username,
      details: { expiresAt: pass.expiresAt.toISOString(), once },
    });
    return { username: user.username, code: pass.code, expiresAt: pass.expiresAt, once };
  });
}

export async function clearFlags(ctx: OperationContext, username: unknown): Promise<{ username: string; cleared: number }> {
  const user = await findUserOrFail(ctx.services.users, username);
  return ctx.services.db.transaction(async (tx) => {
    const cleared = await new MethodRepository(tx).clearFlags(user.id);
    await new AuditLog(tx).record({ type: 'user.clear_flag', actor: ctx.actor, userId: user.id, username: user.username, details: { cleared } });
    return { username: user.username, cleared };
  });
}
