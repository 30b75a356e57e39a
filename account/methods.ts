// What the Security info page does with a user's methods. Each change is checked against the rules
// that keep a user able to sign in (never remove the last method; backup codes are never the default)
// and is written to the audit log. Method modules do the work; this layer never renders.
import type { Provider } from 'oidc-provider';
import type { Method, MethodKind } from '../adapters/postgres/methods.ts';
import { MethodRepository } from '../adapters/postgres/methods.ts';
import type { User } from '../adapters/postgres/users.ts';
import { notFound } from '../app/http/errors.ts';
import type { Services } from '../app/services.ts';
import { accountLabel } from '../interactions/journey.ts';
import type { Regulator } from '../interactions/regulation.ts';
import {
  BACKUP_CODE_COUNT,
  BACKUP_CODES_LOW,
  countBackupCodes,
  generateBackupCodes,
  type BackupCodeFormat,
} from '../methods/backup-codes/index.ts';
import type { PhoneDeps } from '../methods/phone-challenge.ts';
import { maskPhone } from '../methods/phone-number.ts';
import { beginTotpEnrolment, finishTotpEnrolment, resumeTotpEnrolment, type TotpDeps, type TotpEnrolment } from '../methods/totp/index.ts';
import { signOutEverywhere } from '../provider/backchannel-outbox.ts';

export interface AccountDeps {
  services: Services;
  provider: Provider;
  totp: TotpDeps;
  regulator: Regulator;
  backupCodeFormat: BackupCodeFormat;
  /** Phone methods this server offers (config.phone.methods); phones of other kinds cannot be used. */
  phoneMethods: readonly ('sms' | 'voice')[];
  /** The server's phone services (sender, limits), when phones are wired in. */
  phone: () => PhoneDeps | undefined;
  now: () => number;
}

/** Who asks for a change, and from where (for the audit log). */
export interface Actor {
  user: User;
  ip: string;
  userAgent: string | null;
}

export class LastMethodError extends Error {
  readonly code = 'last_method';
  constructor() {
    super('the last method a user can sign in with cannot be removed');
    this.name = 'LastMethodError';
  }
}

export interface MethodRow {
  id: string;
  kind: MethodKind;
  label: string | null;
  /** Phones only, masked. */
  phone: string | null;
  isDefault: boolean;
  /** Blocked after the user reported a call or code they had not asked for; IT clears it. */
  flagged: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
  canRename: boolean;
  canMakeDefault: boolean;
}

export interface Overview {
  methods: MethodRow[];
  backupCodes?: { left: number; total: number; low: boolean };
}

/**
 * Methods a user can sign in with day to day: active, not blocked by a fraud report, and (phones) of a
 * kind this server still offers. Backup codes are the fallback, never the only way in.
 */
function usable(deps: AccountDeps, m: Method): boolean {
  if (m.status !== 'active' || m.flaggedAt || m.kind === 'backup_codes') return false;
  return m.kind === 'totp' || (deps.phoneMethods as readonly string[]).includes(m.kind);
}

export async function overview(deps: AccountDeps, userId: string): Promise<Overview> {
  const active = await deps.services.methods.listForUser(userId, { activeOnly: true });
  const methods = active.map((m) => ({
    id: m.id,
    kind: m.kind,
    label: m.label,
    phone: m.phone ? maskPhone(m.phone) : null,
    isDefault: m.isDefault,
    flagged: Boolean(m.flaggedAt),
    createdAt: m.createdAt,
    lastUsedAt: m.lastUsedAt,
    canRename: m.kind !== 'backup_codes',
    canMakeDefault: usable(deps, m) && !m.isDefault,
  }));
  if (!active.some((m) => m.kind === 'backup_codes')) return { methods };
  const left = await countBackupCodes(deps.services.db, userId);
  return { methods, backupCodes: { left, total: BACKUP_CODE_COUNT, low: left <= BACKUP_CODES_LOW } };
}

/** Records a change made on the Security info page, by the user themselves. */
export function audit(deps: AccountDeps, actor: Actor, type: string, factor: string | null, details: Record<string, unknown>): Promise<void> {
  return deps.services.audit.record({
    type,
    userId: actor.user.id,
    username: actor.user.username,
    actor: 'user',
    factor,
    ip: actor.ip,
    userAgent: actor.userAgent,
    details: { ...details, via: 'account' },
  });
}

async function ownMethod(deps: AccountDeps, userId: string, methodId: string): Promise<Method> {
  const method = await deps.services.methods.find(methodId);
  if (!method || method.userId !== userId || method.status !== 'active') throw notFound('account.errors.noSuchMethod');
  return method;
}

export async function renameMethod(deps: AccountDeps, actor: Actor, methodId: string, label: string): Promise<void> {
  const method = await ownMethod(deps, actor.user.id, methodId);
  if (method.kind === 'backup_codes') throw notFound('account.errors.noSuchMethod');
  await deps.services.methods.rename(actor.user.id, methodId, label);
  await audit(deps, actor, 'method.rename', method.kind, { methodId, from: method.label, to: label });
}

export async function makeDefault(deps: AccountDeps, actor: Actor, methodId: string): Promise<void> {
  const method = await ownMethod(deps, actor.user.id, methodId);
  if (!(await deps.services.methods.setDefault(actor.user.id, methodId))) throw notFound('account.errors.noSuchMethod');
  await audit(deps, actor, 'method.default', method.kind, { methodId });
}

/**
 * Removes a method, unless it is the last one the user signs in with. The user's row is locked so two
 * removals at once cannot each see the other method still there and leave the user with none.
 */
export async function removeMethod(deps: AccountDeps, actor: Actor, methodId: string): Promise<Method> {
  const userId = actor.user.id;
  const removed = await deps.services.db.transaction(async (tx) => {
    await tx.query('SELECT id FROM users WHERE id = $1 FOR UPDATE', [userId]);
    const methods = new MethodRepository(tx);
    const all = await methods.listForUser(userId, { activeOnly: true });
    const method = all.find((m) => m.id === methodId);
    if (!method) return undefined;
    if (usable(deps, method) && all.filter((m) => usable(deps, m)).length <= 1) throw new LastMethodError();
    // Removing the default hands it to the next strongest method (MethodRepository.remove).
    await methods.remove(userId, methodId);
    return method;
  });
  if (!removed) throw notFound('account.errors.noSuchMethod');
  await audit(deps, actor, 'method.remove', removed.kind, { methodId, label: removed.label, wasDefault: removed.isDefault });
  return removed;
}

/** A new authenticator, pending until a code from it is typed (its key replaces any earlier pending one). */
export function beginAddTotp(deps: AccountDeps, user: User): Promise<TotpEnrolment> {
  return beginTotpEnrolment(deps.totp, user.id, accountLabel(user));
}

/** The user's own method of one of `kinds` that is still waiting to be proven. */
export async function pendingMethod(deps: AccountDeps, user: User, methodId: string, kinds: readonly MethodKind[]): Promise<Method | undefined> {
  const method = await deps.services.methods.find(methodId);
  return method && method.userId === user.id && kinds.includes(method.kind) && method.status === 'pending' ? method : undefined;
}

export function pendingTotp(deps: AccountDeps, user: User, methodId: string): Promise<Method | undefined> {
  return pendingMethod(deps, user, methodId, ['totp']);
}

export function resumeAddTotp(deps: AccountDeps, user: User, method: Method): Promise<TotpEnrolment> {
  return resumeTotpEnrolment(deps.totp, method, accountLabel(user));
}

export type AddTotpOutcome = 'ok' | 'invalid' | 'clock_skew' | 'locked';

/** Activates the pending authenticator when the code is right, within the same failure budget as sign-in enrolment. */
export async function finishAddTotp(deps: AccountDeps, actor: Actor, method: Method, code: string): Promise<AddTotpOutcome> {
  let outcome: AddTotpOutcome = 'invalid';
  const attempt = await deps.regulator.attempt('enrol:totp', actor.user.id, async () => {
    const result = await finishTotpEnrolment(deps.totp, method, code, deps.now());
    if (!result.ok && result.reason === 'clock_skew') outcome = 'clock_skew';
    return result.ok;
  });
  if (attempt === 'locked') return 'locked';
  if (attempt !== 'ok') return outcome;
  await audit(deps, actor, 'method.add', 'totp', { methodId: method.id });
  return 'ok';
}

/** A new set of backup codes; every earlier code stops working. */
export async function regenerateBackupCodes(deps: AccountDeps, actor: Actor): Promise<string[]> {
  const { methodId, codes } = await generateBackupCodes(deps.services.db, actor.user.id, deps.backupCodeFormat);
  await audit(deps, actor, 'backup_codes.regenerate', 'backup_codes', { methodId, count: codes.length, format: deps.backupCodeFormat });
  return codes;
}

/** Ends every Sekisho session of the user and tells the applications that asked to be told. */
export async function signOutAll(deps: AccountDeps, actor: Actor): Promise<void> {
  const report = await signOutEverywhere(deps.services, deps.provider, actor.user.id, { now: deps.now });
  await audit(deps, actor, 'session.signout_all', null, { ...report });
}
