// Signing keys on PGlite and the real PostgreSQL: created once, rotated in two phases (published,
// then signing), the old key kept published after it stops signing.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SecretBox } from '../../adapters/crypto/secret-box.ts';
import { SigningKeyRepository } from '../../adapters/postgres/signing-keys.ts';
import { ensureSigningKeys, loadJwks, rotateSigningKeys } from '../../provider/keys.ts';
import { DB_KINDS, openTestDb, type TestDb } from '../helpers/database.ts';

describe.each(DB_KINDS)('signing keys (%s)', (kind) => {
  let testDb: TestDb;
  let repo: SigningKeyRepository;
  const box = new SecretBox({ id: 'k1', key: randomBytes(32) });

  beforeAll(async () => {
    testDb = await openTestDb(kind);
    repo = new SigningKeyRepository(testDb.db);
  });
  afterAll(() => testDb.close());

  const byStatus = async () => {
    const rows = await repo.list();
    return Object.fromEntries(['current', 'next', 'retired'].map((s) => [s, rows.filter((r) => r.status === s).map((r) => r.kid).sort()]));
  };
  /** The kid oidc-provider signs with for an algorithm: the first key of that alg in the JWKS. */
  const signingKid = async (alg: string) => (await loadJwks(repo, box)).keys.find((k) => k.alg === alg)!.kid;

  let original: string[];

  it('ensureSigningKeys creates one current ES256 and one RS256 key, once', async () => {
    await ensureSigningKeys(repo, box);
    await ensureSigningKeys(repo, box);
    const rows = await repo.list();
    expect(rows.map((r) => `${r.alg}:${r.status}`).sort()).toEqual(['ES256:current', 'RS256:current']);
    original = rows.map((r) => r.kid).sort();
    for (const r of rows) {
      expect(r.publicJwk.d).toBeUndefined();
      expect(r.privateEnc).not.toContain('"d"');
      expect(JSON.parse(box.open(r.privateEnc, `key:${r.kid}`)).d).toBeTruthy();
      expect(r.activatedAt).toBeInstanceOf(Date);
    }
  });

  let next: string[];

  it('the first rotation step publishes new keys without signing with them', async () => {
    const step = await rotateSigningKeys(repo, box);
    expect(step.step).toBe('published');
    next = [...step.kids].sort();
    expect(await byStatus()).toEqual({ current: original, next, retired: [] });
    const jwks = await loadJwks(repo, box);
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([...original, ...next].sort());
    for (const alg of ['ES256', 'RS256']) expect(original).toContain(await signingKid(alg));
  });

  it('the second step makes them sign and retires the old ones, which stay published', async () => {
    const step = await rotateSigningKeys(repo, box);
    expect(step.step).toBe('activated');
    expect([...step.kids].sort()).toEqual(next);
    expect(await byStatus()).toEqual({ current: next, next: [], retired: original });
    for (const alg of ['ES256', 'RS256']) expect(next).toContain(await signingKid(alg));
    const published = (await loadJwks(repo, box)).keys.map((k) => k.kid);
    for (const kid of original) expect(published).toContain(kid);
    const retired = (await repo.list()).filter((r) => r.status === 'retired');
    for (const r of retired) expect(r.retiredAt).toBeInstanceOf(Date);
  });

  it('ensureSigningKeys adds nothing after a rotation', async () => {
    await ensureSigningKeys(repo, box);
    expect((await repo.list()).length).toBe(4);
  });

  it('retired keys are dropped only once their cut-off has passed', async () => {
    expect(await repo.dropRetiredBefore(new Date(Date.now() - 24 * 3600_000))).toBe(0);
    expect(await repo.dropRetiredBefore(new Date(Date.now() + 60_000))).toBe(2);
    expect(await byStatus()).toEqual({ current: next, next: [], retired: [] });
  });
});
