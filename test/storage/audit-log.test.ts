// The audit log on PGlite and the real PostgreSQL: what is recorded, the query filters, pruning.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuditLog } from '../../adapters/postgres/audit-log.ts';
import { DB_KINDS, openTestDb, type TestDb } from '../helpers/database.ts';

const DAY = 24 * 3600_000;

describe.each(DB_KINDS)('audit log (%s)', (kind) => {
  let testDb: TestDb;
  let audit: AuditLog;

  beforeAll(async () => {
    testDb = await openTestDb(kind);
    audit = new AuditLog(testDb.db);
    await audit.record({ type: 'signin.success', userId: 'u_1', username: 'Tanaka', clientId: 'portal', factor: 'password+totp', ip: '192.0.2.1', userAgent: 'x'.repeat(2000), details: { acr: 'mfa', amr: ['pwd', 'otp'] } });
    await audit.record({ type: 'signin.failure', outcome: 'failure', userId: 'u_1', username: 'tanaka', factor: 'password', details: { reason: 'bad_credentials' } });
    await audit.record({ type: 'signin.failure', outcome: 'failure', username: "nobody'; DROP TABLE users; --", factor: 'password' });
    await audit.record({ type: 'method.add', userId: 'u_2', username: 'suzuki', actor: 'admin:it', factor: 'totp' });
    await audit.record({ type: 'signinx', userId: 'u_3' });
  });
  afterAll(() => testDb.close());

  it('records every field, newest first, and cuts a long user agent', async () => {
    const all = await audit.query();
    expect(all.map((e) => e.type)).toEqual(['signinx', 'method.add', 'signin.failure', 'signin.failure', 'signin.success']);
    const first = all[all.length - 1]!;
    expect(first).toMatchObject({
      type: 'signin.success',
      outcome: 'success',
      userId: 'u_1',
      username: 'Tanaka',
      clientId: 'portal',
      actor: null,
      factor: 'password+totp',
      ip: '192.0.2.1',
      details: { acr: 'mfa', amr: ['pwd', 'otp'] },
    });
    expect(first.userAgent).toHaveLength(512);
    expect(first.at).toBeInstanceOf(Date);
    expect(typeof first.id).toBe('number');
  });

  it('filters by user id, by username in any case, by type or type prefix', async () => {
    expect((await audit.query({ userId: 'u_1' })).map((e) => e.type)).toEqual(['signin.failure', 'signin.success']);
    expect((await audit.query({ username: 'TANAKA' })).length).toBe(2);
    expect((await audit.query({ username: "nobody'; DROP TABLE users; --" })).length).toBe(1);
    expect((await audit.query({ type: 'signin' })).map((e) => e.type)).toEqual(['signin.failure', 'signin.failure', 'signin.success']);
    expect((await audit.query({ type: 'signin.failure' })).every((e) => e.outcome === 'failure')).toBe(true);
    expect((await audit.query({ type: 'method.add', userId: 'u_2' }))[0]!.actor).toBe('admin:it');
  });

  it('filters by time and limits the count', async () => {
    expect((await audit.query({ since: new Date(Date.now() + DAY) })).length).toBe(0);
    expect((await audit.query({ since: new Date(Date.now() - DAY) })).length).toBe(5);
    expect((await audit.query({ limit: 2 })).map((e) => e.type)).toEqual(['signinx', 'method.add']);
  });

  it('prune removes only entries older than the retention period', async () => {
    expect(await audit.prune(30)).toBe(0);
    expect((await audit.query()).length).toBe(5);
    // Seen from 31 days on, everything recorded now is older than 30 days.
    expect(await audit.prune(30, new Date(Date.now() + 31 * DAY))).toBe(5);
    expect(await audit.query()).toEqual([]);
  });
});
