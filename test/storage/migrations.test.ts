// Migrations: applied once, idempotent, and safe when several instances start at the same time.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openDatabase, type Database } from '../../adapters/postgres/database.ts';
import { listMigrations, migrate, splitStatements } from '../../adapters/postgres/migrate.ts';
import { POSTGRES_URL } from '../helpers/database.ts';

const versions = listMigrations().map((m) => m.version);

it('the migration files are numbered and include the initial schema', () => {
  expect(versions[0]).toBe('0001_init');
  expect([...versions].sort()).toEqual(versions);
});

it('splits a migration at semicolons, except inside a $$ function body', () => {
  const sql = `CREATE TABLE a (x int); -- a comment; with a semicolon
CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1;
  RETURN NULL;
END
$$;
CREATE TRIGGER t AFTER INSERT ON a FOR EACH ROW EXECUTE FUNCTION f();`;
  expect(splitStatements(sql)).toEqual([
    'CREATE TABLE a (x int)',
    'CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  PERFORM 1;\n  RETURN NULL;\nEND\n$$',
    'CREATE TRIGGER t AFTER INSERT ON a FOR EACH ROW EXECUTE FUNCTION f()',
  ]);
});

describe('on PGlite', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({});
  });
  afterAll(() => db.close());

  it('applies every migration the first time and nothing the second time', async () => {
    expect(await migrate(db)).toEqual(versions);
    expect(await migrate(db)).toEqual([]);
    const { rows } = await db.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(versions);
    await db.query(`INSERT INTO users (id, username) VALUES ('u_1', 'after-migrate')`);
  });
});

describe('on PostgreSQL', () => {
  const schema = `t_mig_${randomBytes(6).toString('hex')}`;
  let a: Database;
  let b: Database;

  beforeAll(async () => {
    a = await openDatabase({ url: POSTGRES_URL, schema, poolSize: 2 });
    b = await openDatabase({ url: POSTGRES_URL, schema, poolSize: 2 });
  });
  afterAll(async () => {
    await a.exec(`DROP SCHEMA "${schema}" CASCADE`);
    await a.close();
    await b.close();
  });

  it('two instances migrating at once both succeed and each migration is applied exactly once', async () => {
    const [fromA, fromB] = await Promise.all([migrate(a), migrate(b)]);
    expect([...fromA, ...fromB].sort()).toEqual(versions);
    const { rows } = await a.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(versions);
  });

  it('running again applies nothing', async () => {
    expect(await migrate(a)).toEqual([]);
    expect(await migrate(b)).toEqual([]);
  });

  it('five more concurrent starts on a fresh schema all succeed', async () => {
    const fresh = `t_mig_${randomBytes(6).toString('hex')}`;
    const first = await openDatabase({ url: POSTGRES_URL, schema: fresh, poolSize: 1 });
    const others = await Promise.all(Array.from({ length: 4 }, () => openDatabase({ url: POSTGRES_URL, schema: fresh, poolSize: 1 })));
    try {
      const applied = await Promise.all([first, ...others].map((db) => migrate(db)));
      expect(applied.flat().sort()).toEqual(versions);
    } finally {
      await first.exec(`DROP SCHEMA "${fresh}" CASCADE`);
      await Promise.all([first, ...others].map((db) => db.close()));
    }
  });
});
