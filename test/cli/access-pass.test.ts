// Temporary access passes (methods/tap): format, hashing at rest, expiry, single use under
// concurrency, voiding on re-issue, and the typed forms staff use.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UserRepository } from '../../adapters/postgres/users.ts';
import { issueAccessPass, normalisePass, verifyAccessPass } from '../../methods/tap/index.ts';
import { DB_KINDS, openTestDb, type TestDb } from '../helpers/database.ts';

describe.each(DB_KINDS)('temporary access passes (%s)', (kind) => {
  let testDb: TestDb;
  let userId: string;
  const t0 = new Date('2026-04-01T09:00:00Z');
  const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);

  beforeAll(async () => {
    testDb = await openTestDb(kind);
    userId = (await new UserRepository(testDb.db).create({ username: `tap-${kind}` })).id;
  }, 120_000);
  afterAll(async () => {
    await testDb?.close();
  });

  it('issues a grouped code from an unambiguous alphabet, stored only as a salted hash', async () => {
    const pass = await issueAccessPass(testDb.db, userId, { ttlSeconds: 3600, once: false, createdBy: 'cli', now: t0 });
    expect(pass.code).toMatch(/^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$/);
    expect(pass.expiresAt).toEqual(at(60));
    const { rows } = await testDb.db.query<{ code_hash: string; created_by: string }>('SELECT code_hash, created_by FROM access_passes WHERE user_id = $1', [userId]);
    expect(rows[0]!.code_hash).not.toContain(pass.code.replace(/-/g, ''));
    expect(rows[0]!.created_by).toBe('cli');
  });

  it('accepts lower case, spaces and full-width input; a reusable pass works until it expires', async () => {
    const { code } = await issueAccessPass(testDb.db, userId, { ttlSeconds: 600, once: false, createdBy: 'cli', now: t0 });
    const fullWidth = code.replace(/[A-Z0-9]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).replace(/-/g, 'ー');
    expect(normalisePass(fullWidth)).toBe(code.replace(/-/g, ''));
    expect(await verifyAccessPass(testDb.db, userId, code.toLowerCase().replace(/-/g, ' '), at(1))).toBe(true);
    expect(await verifyAccessPass(testDb.db, userId, fullWidth, at(2))).toBe(true);
    expect(await verifyAccessPass(testDb.db, userId, code, at(9))).toBe(true);
    expect(await verifyAccessPass(testDb.db, userId, code, at(10))).toBe(false);
    expect(await verifyAccessPass(testDb.db, userId, 'ABCD-EFGH-JKMN', at(1))).toBe(false);
    expect(await verifyAccessPass(testDb.db, userId, '', at(1))).toBe(false);
  });

  it('a new pass voids the earlier one', async () => {
    const first = await issueAccessPass(testDb.db, userId, { ttlSeconds: 3600, once: false, createdBy: 'cli', now: t0 });
    const second = await issueAccessPass(testDb.db, userId, { ttlSeconds: 3600, once: false, createdBy: 'cli', now: at(1) });
    expect(await verifyAccessPass(testDb.db, userId, first.code, at(2))).toBe(false);
    expect(await verifyAccessPass(testDb.db, userId, second.code, at(2))).toBe(true);
  });

  it('a one-time pass is consumed by exactly one of many concurrent sign-ins', async () => {
    const { code } = await issueAccessPass(testDb.db, userId, { ttlSeconds: 3600, once: true, createdBy: 'cli', now: t0 });
    const results = await Promise.all(Array.from({ length: 8 }, () => verifyAccessPass(testDb.db, userId, code, at(5))));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await verifyAccessPass(testDb.db, userId, code, at(6))).toBe(false);
  });

  it('refuses lifetimes outside 10 minutes to 30 days', async () => {
    await expect(issueAccessPass(testDb.db, userId, { ttlSeconds: 599, once: true, createdBy: 'cli' })).rejects.toThrow('ttl');
    await expect(issueAccessPass(testDb.db, userId, { ttlSeconds: 30 * 86400 + 1, once: true, createdBy: 'cli' })).rejects.toThrow('ttl');
  });
});
