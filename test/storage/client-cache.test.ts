// The server's client cache on PGlite and the real PostgreSQL: a client is read once, then served from
// memory until the clients table's trigger announces a change, whoever makes it; while the listening
// connection is down nothing is served from memory.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SecretBox } from '../../adapters/crypto/secret-box.ts';
import { CachedClients, clientChangedHere } from '../../adapters/postgres/client-cache.ts';
import { ClientRepository, type NewClient } from '../../adapters/postgres/clients.ts';
import { LISTENER_NAME, openDatabase, type Database } from '../../adapters/postgres/database.ts';
import { DB_KINDS, openTestDb, POSTGRES_URL, type TestDb } from '../helpers/database.ts';

/** Polls until `check` holds: notifications arrive asynchronously, and no test asserts how fast. */
async function eventually(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}

// Other test files on the same PostgreSQL announce their clients' changes on the same channel.
const run = randomBytes(3).toString('hex');
const client = (id: string, name: string): NewClient => ({
  clientId: id,
  metadata: { client_id: id, client_name: name, redirect_uris: ['https://rp.example.ac.jp/cb'] },
  secret: 'secret-' + id,
  firstParty: false,
  admin: false,
  mfaPolicy: 'required',
});

describe.each(DB_KINDS)('client cache (%s)', (kind) => {
  const box = new SecretBox({ id: 'k1', key: randomBytes(32) });
  let testDb: TestDb;
  // Another process's view of the same tables (the CLI, a second server); on PGlite, which one process
  // owns, the server's own handle.
  let other: Database;
  let cache: CachedClients;
  let reads: string[];

  beforeAll(async () => {
    testDb = await openTestDb(kind);
    if (kind === 'postgres') {
      const { rows } = await testDb.db.query<{ schema: string }>('SELECT current_schema() AS schema');
      other = await openDatabase({ url: POSTGRES_URL, schema: rows[0]!.schema, poolSize: 1 });
    } else other = testDb.db;
    const repo = new ClientRepository(testDb.db, box);
    // Saved before the cache listens, so no announcement of it can arrive in the middle of a test.
    await repo.save(client(`rp-a-${run}`, 'First name'));
    reads = [];
    cache = new CachedClients({ find: (id) => (reads.push(id), repo.find(id)) });
    await cache.listen(testDb.db);
  });
  afterAll(async () => {
    await cache.close();
    if (other !== testDb.db) await other.close();
    await testDb.close();
  });

  const otherRepo = () => new ClientRepository(other, box);

  it('reads a client once and then serves it from memory, secret opened', async () => {
    await eventually(() => cache.hearing);
    reads.length = 0;
    const first = await cache.find(`rp-a-${run}`);
    const second = await cache.find(`rp-a-${run}`);
    expect(first?.metadata.client_name).toBe('First name');
    expect(first?.secret).toBe(`secret-rp-a-${run}`);
    expect(second).toBe(first);
    expect(reads).toEqual([`rp-a-${run}`]);
  });

  it('does not remember client ids that do not exist', async () => {
    reads.length = 0;
    expect(await cache.find('no-such-client')).toBeUndefined();
    expect(await cache.find('no-such-client')).toBeUndefined();
    expect(reads).toEqual(['no-such-client', 'no-such-client']);
  });

  it('an update made elsewhere is seen once the trigger announces it', async () => {
    await otherRepo().save(client(`rp-a-${run}`, 'Second name'));
    await eventually(async () => (await cache.find(`rp-a-${run}`))?.metadata.client_name === 'Second name');
    reads.length = 0;
    await cache.find(`rp-a-${run}`);
    expect(reads).toEqual([]);
  });

  it('a change committed by this process is seen by the very next read, before its announcement arrives', async () => {
    const repo = new ClientRepository(testDb.db, box);
    await repo.save(client(`rp-here-${run}`, 'Before'));
    await eventually(async () => (await cache.find(`rp-here-${run}`))?.metadata.client_name === 'Before');
    await repo.save(client(`rp-here-${run}`, 'After'));
    clientChangedHere(`rp-here-${run}`);
    expect((await cache.find(`rp-here-${run}`))?.metadata.client_name).toBe('After');
  });

  it('an update by plain SQL (no Sekisho code involved) is seen too', async () => {
    await other.query(`UPDATE clients SET mfa_policy = 'optional' WHERE client_id = $1`, [`rp-a-${run}`]);
    await eventually(async () => (await cache.find(`rp-a-${run}`))?.mfaPolicy === 'optional');
  });

  it('a removed client is gone', async () => {
    await otherRepo().remove(`rp-a-${run}`);
    await eventually(async () => (await cache.find(`rp-a-${run}`)) === undefined);
  });

  it('reads a client again once its entry is older than the maximum age, even when no change was heard', async () => {
    let now = 1_000_000;
    const counted: string[] = [];
    const repo = new ClientRepository(testDb.db, box);
    await repo.save(client(`rp-age-${run}`, 'Aging'));
    const aging = new CachedClients({ find: (id) => (counted.push(id), repo.find(id)) }, { maxAgeMs: 60_000, now: () => now });
    // A channel that hears but never speaks: what a transaction-pooling PgBouncer would give.
    await aging.listen({ listen: async (_channel, listener) => (listener.hearing(true), { close: async () => undefined }) });
    try {
      await aging.find(`rp-age-${run}`);
      now += 59_999;
      await aging.find(`rp-age-${run}`);
      expect(counted).toEqual([`rp-age-${run}`]);
      now += 1;
      await aging.find(`rp-age-${run}`);
      expect(counted).toEqual([`rp-age-${run}`, `rp-age-${run}`]);
    } finally {
      await aging.close();
    }
  });

  it('cached records cannot be changed by the code that reads them', async () => {
    await otherRepo().save(client(`rp-b-${run}`, 'Frozen'));
    const record = (await eventually(async () => (await cache.find(`rp-b-${run}`)) !== undefined), await cache.find(`rp-b-${run}`))!;
    expect(Object.isFrozen(record)).toBe(true);
  });
});

describe('client cache when the listening connection drops (postgres)', () => {
  const box = new SecretBox({ id: 'k1', key: randomBytes(32) });
  let testDb: TestDb;
  let other: Database;
  let cache: CachedClients;

  beforeAll(async () => {
    testDb = await openTestDb('postgres');
    const { rows } = await testDb.db.query<{ schema: string }>('SELECT current_schema() AS schema');
    other = await openDatabase({ url: POSTGRES_URL, schema: rows[0]!.schema, poolSize: 1 });
    cache = new CachedClients(new ClientRepository(testDb.db, box));
    await cache.listen(testDb.db);
  });
  afterAll(async () => {
    await cache.close();
    await other.close();
    await testDb.close();
  });

  it('reads through while deaf, so a change it could not hear is still seen, and caches again after reconnecting', async () => {
    const repo = new ClientRepository(other, box);
    await repo.save(client(`rp-c-${run}`, 'Before'));
    await eventually(async () => (await cache.find(`rp-c-${run}`))?.metadata.client_name === 'Before');

    // Every Sekisho listener on the server is cut off (others reconnect the same way).
    await other.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [LISTENER_NAME]);
    await eventually(() => !cache.hearing);
    await repo.save(client(`rp-c-${run}`, 'While deaf'));
    expect((await cache.find(`rp-c-${run}`))?.metadata.client_name).toBe('While deaf');

    await eventually(() => cache.hearing);
    await repo.save(client(`rp-c-${run}`, 'After'));
    await eventually(async () => (await cache.find(`rp-c-${run}`))?.metadata.client_name === 'After');
  });
});
