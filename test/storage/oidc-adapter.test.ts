// oidc-provider's storage on PGlite and the real PostgreSQL: every adapter method for every model the
// provider uses, expiry, the sweep, and the Client path through the clients table.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { SecretBox } from '../../adapters/crypto/secret-box.ts';
import { ClientRepository } from '../../adapters/postgres/clients.ts';
import { JourneyRepository } from '../../adapters/postgres/journeys.ts';
import { createAdapterFactory, removeAccountModels, sessionsOfAccount, sweepExpired } from '../../adapters/postgres/oidc-adapter.ts';
import { UserRepository } from '../../adapters/postgres/users.ts';
import { DB_KINDS, openTestDb, type TestDb } from '../helpers/database.ts';

const MODELS = [
  'Session',
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'ClientCredentials',
  'InitialAccessToken',
  'RegistrationAccessToken',
  'Interaction',
  'ReplayDetection',
  'BackchannelAuthenticationRequest',
  'PushedAuthorizationRequest',
  'Grant',
  'PreAuthorizedCode',
];
const GRANTABLE = ['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode'];

const newId = () => randomBytes(16).toString('base64url');

describe.each(DB_KINDS)('oidc-provider adapter (%s)', (kind) => {
  let testDb: TestDb;
  let adapter: (model: string) => Adapter;
  let clients: ClientRepository;
  const box = new SecretBox({ id: 'k1', key: randomBytes(32) });

  beforeAll(async () => {
    testDb = await openTestDb(kind);
    clients = new ClientRepository(testDb.db, box);
    adapter = createAdapterFactory(testDb.db, clients);
  });
  afterAll(() => testDb.close());

  describe.each(MODELS)('%s', (model) => {
    it('upsert then find returns the payload; upsert again replaces it', async () => {
      const a = adapter(model);
      const id = newId();
      const payload: AdapterPayload = { jti: id, kind: model, accountId: 'u_1', scope: 'openid 日本語', extra: { nested: [1, 2] } };
      await a.upsert(id, payload, 600);
      expect(await a.find(id)).toEqual(payload);
      await a.upsert(id, { ...payload, scope: 'openid email' }, 600);
      expect((await a.find(id))?.scope).toBe('openid email');
      expect(await adapter(model === 'Session' ? 'Grant' : 'Session').find(id)).toBeUndefined();
    });

    it('find of an unknown id returns nothing', async () => {
      expect(await adapter(model).find(newId())).toBeUndefined();
    });

    it('consume marks the row: find returns it with a truthy consumed', async () => {
      const a = adapter(model);
      const id = newId();
      await a.upsert(id, { jti: id, kind: model }, 600);
      expect((await a.find(id))?.consumed).toBeUndefined();
      await a.consume(id);
      const found = await a.find(id);
      expect(found?.jti).toBe(id);
      expect(found?.consumed).toBeTruthy();
    });

    it('destroy removes the row', async () => {
      const a = adapter(model);
      const id = newId();
      await a.upsert(id, { jti: id, kind: model }, 600);
      await a.destroy(id);
      expect(await a.find(id)).toBeUndefined();
    });

    it('an expired row is not found; a row without expiry is kept', async () => {
      const a = adapter(model);
      const expired = newId();
      const forever = newId();
      await a.upsert(expired, { jti: expired, kind: model }, -60);
      await a.upsert(forever, { jti: forever, kind: model });
      expect(await a.find(expired)).toBeUndefined();
      expect(await a.find(forever)).toEqual({ jti: forever, kind: model });
    });
  });

  it('Session: findByUid finds the session by its stable uid, not by another model', async () => {
    const id = newId();
    const uid = newId();
    await adapter('Session').upsert(id, { jti: id, uid, kind: 'Session', accountId: 'u_1' }, 600);
    expect((await adapter('Session').findByUid(uid))?.jti).toBe(id);
    expect(await adapter('Session').findByUid(newId())).toBeUndefined();
    expect(await adapter('Interaction').findByUid(uid)).toBeUndefined();
    const expiredUid = newId();
    await adapter('Session').upsert(newId(), { uid: expiredUid, kind: 'Session' }, -60);
    expect(await adapter('Session').findByUid(expiredUid)).toBeUndefined();
  });

  it("an account's models go together, sign-ins under way included, and no one else's", async () => {
    const mine = `u_${newId()}`;
    const other = `u_${newId()}`;
    await adapter('Session').upsert(newId(), { uid: newId(), kind: 'Session', accountId: mine, authorizations: { rp: { sid: 's1' } } }, 600);
    await adapter('Grant').upsert(newId(), { kind: 'Grant', accountId: mine }, 600);
    await adapter('AccessToken').upsert(newId(), { kind: 'AccessToken', accountId: mine }, 600);
    await adapter('Interaction').upsert(newId(), { kind: 'Interaction', session: { accountId: mine } }, 600);
    const kept = newId();
    await adapter('Session').upsert(kept, { uid: newId(), kind: 'Session', accountId: other }, 600);
    expect(await sessionsOfAccount(testDb.db, mine)).toEqual([expect.objectContaining({ authorizations: { rp: { sid: 's1' } } })]);
    expect(await removeAccountModels(testDb.db, mine)).toBe(4);
    expect(await sessionsOfAccount(testDb.db, mine)).toEqual([]);
    expect((await adapter('Session').find(kept))?.accountId).toBe(other);
  });

  it("a user's sessions are looked up through an index on the account, not by reading every session", async () => {
    await adapter('Session').upsert(newId(), { uid: newId(), kind: 'Session', accountId: 'u_indexed' }, 600);
    // Tables this small are cheaper to scan, so the planner is told not to, to show the index serves.
    const plan = await testDb.db.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      const { rows } = await tx.query<Record<string, string>>(
        `EXPLAIN SELECT payload FROM oidc_models WHERE model = 'Session' AND payload->>'accountId' = $1`,
        ['u_indexed'],
      );
      return rows.map((r) => Object.values(r)[0]).join('\n');
    });
    expect(plan).toContain('oidc_models_session_account');
  });

  it('DeviceCode: findByUserCode finds it by the code the user types', async () => {
    const id = newId();
    await adapter('DeviceCode').upsert(id, { jti: id, userCode: 'ABCD-EFGH', kind: 'DeviceCode', grantId: 'g_x' }, 600);
    expect((await adapter('DeviceCode').findByUserCode('ABCD-EFGH'))?.jti).toBe(id);
    expect(await adapter('DeviceCode').findByUserCode('ZZZZ-ZZZZ')).toBeUndefined();
  });

  it("revokeByGrantId removes every grant-bound row of that grant and only those", async () => {
    const grant = newId();
    const other = newId();
    const ids = new Map<string, { mine: string; theirs: string }>();
    for (const model of GRANTABLE) {
      const mine = newId();
      const theirs = newId();
      ids.set(model, { mine, theirs });
      await adapter(model).upsert(mine, { jti: mine, kind: model, grantId: grant }, 600);
      await adapter(model).upsert(theirs, { jti: theirs, kind: model, grantId: other }, 600);
    }
    const sessionId = newId();
    await adapter('Session').upsert(sessionId, { jti: sessionId, uid: newId(), kind: 'Session' }, 600);
    await adapter('Grant').upsert(grant, { jti: grant, kind: 'Grant', accountId: 'u_1' }, 600);

    for (const model of GRANTABLE) await adapter(model).revokeByGrantId(grant);

    for (const [model, { mine, theirs }] of ids) {
      expect(await adapter(model).find(mine)).toBeUndefined();
      expect((await adapter(model).find(theirs))?.grantId).toBe(other);
    }
    expect(await adapter('Session').find(sessionId)).toBeDefined();
    // The Grant itself is destroyed by the provider separately, not by revokeByGrantId.
    expect(await adapter('Grant').find(grant)).toBeDefined();
  });

  it('sweepExpired removes expired rows of models and journeys and keeps live ones', async () => {
    const dead = newId();
    const live = newId();
    await adapter('AccessToken').upsert(dead, { jti: dead, kind: 'AccessToken' }, -3600);
    await adapter('AccessToken').upsert(live, { jti: live, kind: 'AccessToken' }, 3600);
    const user = await new UserRepository(testDb.db).create({ username: `sweep-${newId()}` });
    const journeys = new JourneyRepository<{ factors: string[] }>(testDb.db);
    await journeys.save('gone', user.id, { factors: ['password'] }, -60);
    await journeys.save('kept', user.id, { factors: ['password'] }, 600);
    expect(await journeys.load('gone')).toBeUndefined();

    const removed = await sweepExpired(testDb.db);
    expect(removed).toBeGreaterThanOrEqual(2);
    const { rows } = await testDb.db.query<{ id: string }>('SELECT id FROM oidc_models WHERE id = ANY($1)', [[dead, live]]);
    expect(rows.map((r) => r.id)).toEqual([live]);
    const left = await testDb.db.query<{ interaction_uid: string }>(
      `SELECT interaction_uid FROM journeys WHERE interaction_uid IN ('gone', 'kept')`,
    );
    expect(left.rows.map((r) => r.interaction_uid)).toEqual(['kept']);
    const kept = await journeys.load('kept');
    expect(kept?.journey).toEqual({ factors: ['password'], userId: user.id });
    expect(kept?.user).toEqual(user);
    expect(await sweepExpired(testDb.db)).toBe(0);
  });

  describe('Client', () => {
    const metadata = {
      client_name: 'Library',
      redirect_uris: ['https://library.example.ac.jp/cb'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    } as const;

    it('a client registered through the adapter is found with its secret, sealed at rest', async () => {
      const a = adapter('Client');
      const secret = `s-${newId()}`;
      await a.upsert('library', { client_id: 'library', client_secret: secret, ...metadata });
      expect(await a.find('library')).toEqual({ client_id: 'library', client_secret: secret, ...metadata, sekisho_admin: false, sekisho_first_party: false, sekisho_mfa_policy: 'required' });
      const { rows } = await testDb.db.query<{ secret_enc: string; metadata: Record<string, unknown> }>(
        'SELECT secret_enc, metadata FROM clients WHERE client_id = $1',
        ['library'],
      );
      expect(rows[0]!.secret_enc).not.toContain(secret);
      expect(rows[0]!.metadata.client_secret).toBeUndefined();
    });

    it('an update through the adapter keeps what IT set (first party, admin, MFA policy)', async () => {
      await clients.save({ clientId: 'portal', metadata: { client_id: 'portal', ...metadata }, secret: 'portal-secret-0123456789abcdef', firstParty: true, admin: true, mfaPolicy: 'optional' });
      await adapter('Client').upsert('portal', { client_id: 'portal', client_secret: 'portal-secret-new-0123456789', ...metadata, client_name: 'Portal' });
      const record = await clients.find('portal');
      expect(record).toMatchObject({ firstParty: true, admin: true, mfaPolicy: 'optional', secret: 'portal-secret-new-0123456789' });
      expect(record!.metadata.client_name).toBe('Portal');
    });

    it('a public client has no secret; unknown clients and lookups by uid or user code find nothing', async () => {
      const a = adapter('Client');
      await a.upsert('spa', { client_id: 'spa', ...metadata, token_endpoint_auth_method: 'none' as const });
      expect((await a.find('spa'))?.client_secret).toBeUndefined();
      expect(await a.find('nobody')).toBeUndefined();
      expect(await a.findByUid('spa')).toBeUndefined();
      expect(await a.findByUserCode('spa')).toBeUndefined();
    });

    it('destroy removes the client', async () => {
      const a = adapter('Client');
      await a.upsert('temp', { client_id: 'temp', ...metadata });
      await a.destroy('temp');
      expect(await a.find('temp')).toBeUndefined();
      expect(await clients.find('temp')).toBeUndefined();
    });
  });
});
