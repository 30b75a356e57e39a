// A fresh database for one test file: PGlite in memory, or its own schema on the real PostgreSQL.
import { randomBytes } from 'node:crypto';
import { openDatabase, type Database } from '../../adapters/postgres/database.ts';
import { migrate } from '../../adapters/postgres/migrate.ts';

export type DbKind = 'pglite' | 'postgres';
export const DB_KINDS: DbKind[] = ['pglite', 'postgres'];
export const POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDb {
  db: Database;
  kind: DbKind;
  close(): Promise<void>;
}

export async function openTestDb(kind: DbKind): Promise<TestDb> {
  if (kind === 'pglite') {
    const db = await openDatabase({});
    await migrate(db);
    return { db, kind, close: () => db.close() };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const db = await openDatabase({ url: POSTGRES_URL, schema, poolSize: 12 });
  await migrate(db);
  return {
    db,
    kind,
    async close() {
      await db.exec(`DROP SCHEMA "${schema}" CASCADE`);
      await db.close();
    },
  };
}
