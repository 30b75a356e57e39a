// Temporary access passes: a code IT hands to a user who lost every factor, valid for a short time.
// Codes carry about 59 random bits (12 symbols of 31), so a salted SHA-256 is enough at rest (no slow hash needed) and
// comparing is cheap; the sign-in attempt limits guard against guessing.
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Queryable } from '../../adapters/postgres/database.ts';
import { newId } from '../../adapters/postgres/ids.ts';
import { stripSeparators } from '../code.ts';

/** No 0/O, 1/I/L: a pass is often read out over the phone. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const GROUPS = 3;
const GROUP_LENGTH = 4;
export const TAP_MIN_TTL_SECONDS = 10 * 60;
export const TAP_MAX_TTL_SECONDS = 30 * 86400;

export interface IssueOptions {
  ttlSeconds: number;
  once: boolean;
  /** Who issued it, e.g. `cli` or `client:helpdesk`. */
  createdBy: string;
  now?: Date;
}

export interface IssuedPass {
  /** Shown once: `ABCD-EFGH-JKMN`. */
  code: string;
  expiresAt: Date;
}

function generateCode(): string {
  const chars = Array.from({ length: GROUPS * GROUP_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]!);
  const groups: string[] = [];
  for (let g = 0; g < GROUPS; g++) groups.push(chars.slice(g * GROUP_LENGTH, (g + 1) * GROUP_LENGTH).join(''));
  return groups.join('-');
}

/** Upper-cases and drops separators; full-width letters, digits and hyphens (IME input) become ASCII. */
export function normalisePass(input: string): string {
  return stripSeparators(input).toUpperCase();
}

function digest(salt: Buffer, normalised: string): Buffer {
  return createHash('sha256').update(salt).update(normalised).digest();
}

function hashPass(code: string): string {
  const salt = randomBytes(16);
  return `sha256$${salt.toString('base64url')}$${digest(salt, normalisePass(code)).toString('base64url')}`;
}

function matches(stored: string, normalised: string): boolean {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'sha256' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = digest(Buffer.from(salt, 'base64url'), normalised);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Issues a new pass; every pass the user still held stops working. */
export async function issueAccessPass(db: Queryable, userId: string, options: IssueOptions): Promise<IssuedPass> {
  const { ttlSeconds } = options;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < TAP_MIN_TTL_SECONDS || ttlSeconds > TAP_MAX_TTL_SECONDS) {
    // The admin operation checks the duration first and words the error for IT; this is only the backstop.
    throw new RangeError(`ttl must be between ${TAP_MIN_TTL_SECONDS} and ${TAP_MAX_TTL_SECONDS} seconds`);
  }
  const now = options.now ?? new Date();
  const code = generateCode();
  const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
  await db.query('UPDATE access_passes SET expires_at = $2 WHERE user_id = $1 AND expires_at > $2', [userId, now]);
  await db.query(
    'INSERT INTO access_passes (id, user_id, code_hash, once, expires_at, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [newId('tap'), userId, hashPass(code), options.once, expiresAt, options.createdBy, now],
  );
  return { code, expiresAt };
}

interface PassRow {
  id: string;
  code_hash: string;
  once: boolean;
}

/**
 * True when the code is a live pass of the user. A one-time pass is consumed by the same
 * statement that checks it is unused, so two concurrent sign-ins cannot both spend it.
 */
export async function verifyAccessPass(db: Queryable, userId: string, code: string, now: Date): Promise<boolean> {
  const normalised = normalisePass(code);
  if (normalised.length !== GROUPS * GROUP_LENGTH) return false;
  const { rows } = await db.query<PassRow>(
    'SELECT id, code_hash, once FROM access_passes WHERE user_id = $1 AND expires_at > $2 AND used_at IS NULL',
    [userId, now],
  );
  const pass = rows.find((r) => matches(r.code_hash, normalised));
  if (!pass) return false;
  if (!pass.once) return true;
  const { rowCount } = await db.query(
    'UPDATE access_passes SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND expires_at > $2',
    [pass.id, now],
  );
  return rowCount === 1;
}

/** Live passes of a user (for `user show`): when each expires and whether it is one-time. */
export async function listAccessPasses(db: Queryable, userId: string, now: Date): Promise<{ once: boolean; expiresAt: Date; createdBy: string | null }[]> {
  const { rows } = await db.query<{ once: boolean; expires_at: Date; created_by: string | null }>(
    'SELECT once, expires_at, created_by FROM access_passes WHERE user_id = $1 AND expires_at > $2 AND used_at IS NULL ORDER BY expires_at',
    [userId, now],
  );
  return rows.map((r) => ({ once: r.once, expiresAt: new Date(r.expires_at), createdBy: r.created_by }));
}
