// The embedded database folder is opened by one process at a time; a lock left by a dead process
// does not keep it shut.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { DatabaseInUseError, openDatabase } from '../../adapters/postgres/database.ts';

describe('PGlite folder lock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-lock-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a second opener while the first holds the folder, then lets it in', async () => {
    // A live process other than this one holds the lock (pid 1 always exists).
    writeFileSync(join(dir, 'sekisho.lock'), '1');
    await expect(openDatabase({ dataDir: dir })).rejects.toBeInstanceOf(DatabaseInUseError);
    rmSync(join(dir, 'sekisho.lock'));
    const db = await openDatabase({ dataDir: dir });
    await db.close();
  });

  it('takes over a lock left by a process that no longer exists', async () => {
    writeFileSync(join(dir, 'sekisho.lock'), '999999');
    const db = await openDatabase({ dataDir: dir });
    expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
    await db.close();
  });
});
