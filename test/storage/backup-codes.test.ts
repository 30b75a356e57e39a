// Backup codes against real storage: generate, verify once, void on regeneration, count — on PGlite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UserRepository } from '../../adapters/postgres/users.ts';
import { MethodRepository } from '../../adapters/postgres/methods.ts';
import {
  countBackupCodes,
  generateBackupCodes,
  hasBackupCodes,
  normaliseBackupCode,
  verifyBackupCode,
  voidBackupCodes,
} from '../../methods/backup-codes/index.ts';
import { DB_KINDS, openTestDb, type TestDb } from '../helpers/database.ts';

const now = new Date('2026-04-01T09:00:00Z');

describe.each(DB_KINDS)('backup codes in storage (%s)', (kind) => {
  let testDb: TestDb;
  let userId: string;
  let otherId: string;

  beforeAll(async () => {
    testDb = await openTestDb(kind);
    const users = new UserRepository(testDb.db);
    userId = (await users.create({ username: 'suzuki', passwordHash: null })).id;
    otherId = (await users.create({ username: 'sato', passwordHash: null })).id;
  });
  afterAll(() => testDb.close());

  it('generates ten 8-digit codes stored only as salted hashes, under one active method', async () => {
    const { methodId, codes } = await generateBackupCodes(testDb.db, userId, 'digits');
    expect(codes).toHaveLength(10);
    for (const c of codes) expect(c).toMatch(/^\d{8}$/);
    expect(new Set(codes).size).toBeGreaterThan(1);
    const { rows } = await testDb.db.query<{ code_hash: string; method_id: string }>('SELECT code_hash, method_id FROM backup_codes WHERE user_id = $1', [userId]);
    expect(rows).toHaveLength(10);
    for (const r of rows) {
      expect(r.method_id).toBe(methodId);
      expect(r.code_hash).toMatch(/^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
      for (const c of codes) expect(r.code_hash).not.toContain(c);
    }
    expect(new Set(rows.map((r) => r.code_hash.split('$')[4])).size).toBe(10);
    const method = await new MethodRepository(testDb.db).find(methodId);
    expect(method).toMatchObject({ kind: 'backup_codes', status: 'active', isDefault: false });
    expect(await countBackupCodes(testDb.db, userId)).toBe(10);
    expect(await hasBackupCodes(testDb.db, userId)).toBe(true);
  });

  it('accepts each code once, in any typed form, and counts down', async () => {
    const { codes } = await generateBackupCodes(testDb.db, userId, 'digits');
    const [a, b] = codes as [string, string];
    expect(await verifyBackupCode(testDb.db, userId, a, now)).toBe(true);
    expect(await verifyBackupCode(testDb.db, userId, a, now)).toBe(false);
    const fullWidth = [...b].map((d) => String.fromCharCode(0xff10 + Number(d))).join('');
    expect(await verifyBackupCode(testDb.db, userId, `${fullWidth.slice(0, 4)} ー ${fullWidth.slice(4)}`, now)).toBe(true);
    expect(await countBackupCodes(testDb.db, userId)).toBe(8);
    expect(await verifyBackupCode(testDb.db, otherId, codes[2]!, now)).toBe(false);
  });

  it('lets exactly one of many parallel uses of a code succeed', async () => {
    const { codes } = await generateBackupCodes(testDb.db, userId, 'digits');
    const results = await Promise.all(Array.from({ length: 8 }, () => verifyBackupCode(testDb.db, userId, codes[0]!, now)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await countBackupCodes(testDb.db, userId)).toBe(9);
  });

  it('voids every earlier code when a new set is generated', async () => {
    const first = await generateBackupCodes(testDb.db, userId, 'digits');
    const second = await generateBackupCodes(testDb.db, userId, 'digits');
    for (const c of first.codes.filter((c) => !second.codes.includes(c)).slice(0, 3)) {
      expect(await verifyBackupCode(testDb.db, userId, c, now)).toBe(false);
    }
    const { rows } = await testDb.db.query('SELECT id FROM methods WHERE user_id = $1 AND kind = $2', [userId, 'backup_codes']);
    expect(rows).toHaveLength(1);
    expect(await countBackupCodes(testDb.db, userId)).toBe(10);
    expect(await verifyBackupCode(testDb.db, userId, second.codes[9]!, now)).toBe(true);
  });

  it('leaves one set when two generations race', async () => {
    await Promise.all([generateBackupCodes(testDb.db, userId, 'digits'), generateBackupCodes(testDb.db, userId, 'strong')]);
    const { rows } = await testDb.db.query('SELECT id FROM methods WHERE user_id = $1 AND kind = $2', [userId, 'backup_codes']);
    expect(rows).toHaveLength(1);
    expect(await countBackupCodes(testDb.db, userId)).toBe(10);
  });

  it('makes strong codes of 16 symbols in groups of four, typed in any case', async () => {
    const { codes } = await generateBackupCodes(testDb.db, userId, 'strong');
    for (const c of codes) expect(c).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect(await verifyBackupCode(testDb.db, userId, codes[0]!.toLowerCase().replaceAll('-', ' '), now)).toBe(true);
    expect(await verifyBackupCode(testDb.db, userId, codes[0]!, now)).toBe(false);
    expect(await verifyBackupCode(testDb.db, userId, codes[1]!.replaceAll('-', ''), now)).toBe(true);
  });

  it('voids the set on request and then counts none', async () => {
    const { codes } = await generateBackupCodes(testDb.db, otherId, 'digits');
    expect(await voidBackupCodes(testDb.db, otherId)).toBe(true);
    expect(await verifyBackupCode(testDb.db, otherId, codes[0]!, now)).toBe(false);
    expect(await countBackupCodes(testDb.db, otherId)).toBe(0);
    expect(await hasBackupCodes(testDb.db, otherId)).toBe(false);
    expect(await voidBackupCodes(testDb.db, otherId)).toBe(false);
  });
});

describe('backup code input', () => {
  it('normalises either format and refuses anything else', () => {
    expect(normaliseBackupCode('1234 5678')).toBe('12345678');
    expect(normaliseBackupCode('１２３４－５６７８')).toBe('12345678');
    expect(normaliseBackupCode('abcd-efgh-jkmn-pqrs')).toBe('ABCDEFGHJKMNPQRS');
    expect(normaliseBackupCode('O1IL-0000-0000-0000')).toBe('0111000000000000');
    for (const bad of ['', '1234567', '123456789', 'abcdefgh', 'ABCD-EFGH-JKMN-PQRU', '１２３４５６７８９', '😀😀😀😀', '12345678'.repeat(3)]) {
      expect(normaliseBackupCode(bad)).toBeUndefined();
    }
  });
});
