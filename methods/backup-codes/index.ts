// Backup codes: a set of ten one-time codes for when no other method is at hand. A user has at most
// one set (one `methods` row of kind 'backup_codes'); generating a new set voids every earlier code.
// Each code is stored as its own salted scrypt hash: 8 digits are few enough that a fast hash could be
// searched through if the table leaked. A code is spent by one conditional UPDATE, so two parallel
// sign-ins with the same code get one success between them.
import { randomBytes, randomInt, scrypt, timingSafeEqual, type BinaryLike, type ScryptOptions } from 'node:crypto';
import type { Database, Queryable } from '../../adapters/postgres/database.ts';
import { newId } from '../../adapters/postgres/ids.ts';
import { MethodRepository } from '../../adapters/postgres/methods.ts';
import { normaliseCode, stripSeparators } from '../code.ts';

/** 'digits': 8 digits (≈27 bits, the familiar format); 'strong': 16 symbols of 32 (80 bits, NIST SP 800-63B-4 ≥ 64). */
export type BackupCodeFormat = 'digits' | 'strong';

export const BACKUP_CODE_COUNT = 10;
/** At or below this many unused codes the user is warned to generate new ones. */
export const BACKUP_CODES_LOW = 3;

const DIGITS_LENGTH = 8;
const STRONG_LENGTH = 16;
const STRONG_GROUP = 4;
/** Crockford's base32: no I, L, O or U, so codes read aloud or copied by hand stay unambiguous. */
const STRONG_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Crockford's decoding of look-alikes typed by hand. */
const LOOK_ALIKES: Record<string, string> = { O: '0', I: '1', L: '1' };

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 } as const;

export interface GeneratedBackupCodes {
  methodId: string;
  /** Shown to the user once, as they should be written (strong codes in groups of four). */
  codes: string[];
}

function scryptAsync(password: BinaryLike, salt: BinaryLike, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));
}

async function hashCode(canonical: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(canonical, salt, SCRYPT.keylen, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

async function matches(stored: string, canonical: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(canonical, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(expected, actual);
}

function randomCode(format: BackupCodeFormat): string {
  if (format === 'digits') return Array.from({ length: DIGITS_LENGTH }, () => randomInt(10)).join('');
  return Array.from({ length: STRONG_LENGTH }, () => STRONG_ALPHABET[randomInt(STRONG_ALPHABET.length)]).join('');
}

/** How a code is shown: digits as they are, strong codes as XXXX-XXXX-XXXX-XXXX. */
export function displayCode(canonical: string): string {
  if (canonical.length !== STRONG_LENGTH) return canonical;
  return canonical.match(new RegExp(`.{${STRONG_GROUP}}`, 'g'))!.join('-');
}

/**
 * The canonical form of a typed code in either format, or undefined when it is neither:
 * full-width characters, spaces and hyphens are dropped, letters upper-cased, look-alikes mapped.
 */
export function normaliseBackupCode(input: string): string | undefined {
  const digits = normaliseCode(input);
  if (digits) return digits.length === DIGITS_LENGTH ? digits : undefined;
  const cleaned = stripSeparators(input)
    .toUpperCase()
    .replace(/[OIL]/g, (c) => LOOK_ALIKES[c]!);
  if (cleaned.length !== STRONG_LENGTH) return undefined;
  return [...cleaned].every((c) => STRONG_ALPHABET.includes(c)) ? cleaned : undefined;
}

/**
 * Makes a new set of codes for the user and voids every earlier one. The user's row is locked first
 * so two generations at once cannot leave two sets behind.
 */
export async function generateBackupCodes(db: Database, userId: string, format: BackupCodeFormat): Promise<GeneratedBackupCodes> {
  const codes = Array.from({ length: BACKUP_CODE_COUNT }, () => randomCode(format));
  const hashes = await Promise.all(codes.map(hashCode));
  const methodId = await db.transaction(async (tx) => {
    await tx.query('SELECT id FROM users WHERE id = $1 FOR UPDATE', [userId]);
    // Removing the old set's method removes its codes with it (ON DELETE CASCADE).
    await tx.query(`DELETE FROM methods WHERE user_id = $1 AND kind = 'backup_codes'`, [userId]);
    const method = await new MethodRepository(tx).create({ userId, kind: 'backup_codes', status: 'active' });
    for (const codeHash of hashes) {
      await tx.query('INSERT INTO backup_codes (id, user_id, method_id, code_hash) VALUES ($1, $2, $3, $4)', [newId('bc'), userId, method.id, codeHash]);
    }
    return method.id;
  });
  return { methodId, codes: codes.map(displayCode) };
}

interface CodeRow {
  id: string;
  code_hash: string;
}

/** True when the typed code is an unused code of the user's current set; it is spent by this call. */
export async function verifyBackupCode(db: Queryable, userId: string, typed: string, now: Date): Promise<boolean> {
  const canonical = normaliseBackupCode(typed);
  if (!canonical) return false;
  const { rows } = await db.query<CodeRow>(
    `SELECT c.id, c.code_hash FROM backup_codes c JOIN methods m ON m.id = c.method_id
     WHERE c.user_id = $1 AND m.status = 'active' AND c.used_at IS NULL`,
    [userId],
  );
  const checked = await Promise.all(rows.map(async (r) => ((await matches(r.code_hash, canonical)) ? r : undefined)));
  const hit = checked.find(Boolean);
  if (!hit) return false;
  const { rowCount } = await db.query('UPDATE backup_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL', [hit.id, now]);
  return rowCount === 1;
}

/** Unused codes left in the user's current set (0 when there is no set). */
export async function countBackupCodes(db: Queryable, userId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM backup_codes c JOIN methods m ON m.id = c.method_id
     WHERE c.user_id = $1 AND m.status = 'active' AND c.used_at IS NULL`,
    [userId],
  );
  return Number(rows[0]?.n ?? 0);
}

/** Voids the user's set (the Security info page's "remove"); false when there was none. */
export async function voidBackupCodes(db: Queryable, userId: string): Promise<boolean> {
  const { rowCount } = await db.query(`DELETE FROM methods WHERE user_id = $1 AND kind = 'backup_codes'`, [userId]);
  return rowCount > 0;
}

/** True when the user holds a set of backup codes (used up or not). */
export async function hasBackupCodes(db: Queryable, userId: string): Promise<boolean> {
  const { rows } = await db.query(`SELECT 1 FROM methods WHERE user_id = $1 AND kind = 'backup_codes' AND status = 'active' LIMIT 1`, [userId]);
  return rows.length > 0;
}
