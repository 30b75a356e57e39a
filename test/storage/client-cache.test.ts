// The server's client cache on PGlite and the real PostgreSQL: a client is read once, then served from
// memory until the clients table's trigger announces a change, whoever makes it; while the listening
// connection is down nothing is served from memory.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SecretBox } from '../../adapters/crypto/secret-box.ts';
import { CachedClients } from '../../adapters/postgres/client-cache.ts';
import { ClientRepository, type NewClient } from '../../adapters/postgres/clients.ts';
import { LISTENER_NAME, openDatabase, type Database } from '../../adapters/postgres/database.ts';
import { DB_KINDS, openTestDb, POSTGRES_URL, type TestDb } from '../helpers/database.ts';

/** Polls until `check` holds: notifications arrive asynchronously, and no test asserts how fast. */
async function eventually(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}

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
    await otherRepo().save(client('rp-a', 'First name'));
    await eventually(() => cache.hearing);
    reads.length = 0;
    const first = await cache.find('rp-a');
    const second = await cache.find('rp-a');
    expect(first?.metadata.client_name).toBe('First name');
    expect(first?.secret).toBe('secret-rp-a');
    expect(second).toBe(first);
    expect(reads).toEqual(['rp-a']);
  });

  it('does not remember client ids that do not exist', async () => {
    reads.length = 0;
    expect(await cache.find('no-such-client')).toBeUndefined();
    expect(await cache.find('no-such-client')).toBeUndefined();
    expect(reads).toEqual(['no-such-client', 'no-such-client']);
  });

  it('an update made elsewhere is seen once the trigger announces it', async () => {
    await otherRepo().save(client('rp-a', 'Second name'));
    await eventually(async () => (await cache.find('rp-a'))?.metadata.client_name === 'Second name');
    reads.length = 0;
    await cache.find('rp-a');
    expect(reads).toEqual([]);
  });

  it('an update by plain SQL (no Sekisho code involved) is seen too', async () => {
    await other.query(`UPDATE clients SET mfa_policy = 'optional' WHERE client_id = 'rp-a'`);
    await eventually(async () => (await cache.find('rp-a'))?.mfaPolicy === 'optional');
  });

  it('a removed client is gone', async () => {
    await otherRepo().remove('rp-a');
    await eventually(async () => (await cache.find('rp-a')) === undefined);
  });

  it('cached records cannot be changed by the code that reads them', async () => {
    await otherRepo().save(client('rp-b', 'Frozen'));
    const record = (await eventually(async () => (await cache.find('rp-b')) !== undefined), await cache.find('rp-b'))!;
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
    await repo.save(client('rp-c', 'Before'));
    await eventually(async () => (await cache.find('rp-c'))?.metadata.client_name === 'Before');

    // Every Sekisho listener on the server is cut off (others reconnect the same way).
    await other.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [LISTENER_NAME]);
    await eventually(() => !cache.hearing);
    await repo.save(client('rp-c', 'While deaf'));
    expect((await cache.find('rp-c'))?.metadata.client_name).toBe('While deaf');

    await eventually(() => cache.hearing);
    await repo.save(client('rp-c', 'After'));
    await eventually(async () => (await cache.find('rp-c'))?.metadata.client_name === 'After');
  });
});
