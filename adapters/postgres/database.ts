// One small SQL port with two implementations: PGlite (embedded, in-process) and pg (a real server).
// The same SQL runs on both; callers never see which one they have.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
}

/** A nullable timestamp column as the Date the row mappers hand out (null stays null). */
export const dateOrNull = (d: Date | null): Date | null => (d ? new Date(d) : null);

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs several statements at once (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs fn in one transaction; use only the tx handle inside (PGlite deadlocks on the outer one). */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Hears NOTIFY messages on one channel until the subscription is closed. */
  listen(channel: string, listener: NotifyListener): Promise<Subscription>;
  close(): Promise<void>;
}

export interface NotifyListener {
  message(payload: string): void;
  /**
   * The subscription started (true) or stopped (false) hearing. Messages sent while it was deaf are
   * lost, so whatever a listener derives from them must be thrown away on false.
   */
  hearing(live: boolean): void;
}

export interface Subscription {
  close(): Promise<void>;
}

export const LISTENER_NAME = 'sekisho-listen';
const RELISTEN_MIN_MS = 500;
const RELISTEN_MAX_MS = 30_000;

/**
 * LISTEN on a connection of its own (a pooled one would be handed to queries and stop listening);
 * when that connection drops, it reconnects with growing waits.
 */
class PgSubscription implements Subscription {
  readonly #config: pg.ClientConfig;
  readonly #channel: string;
  readonly #listener: NotifyListener;
  #client: pg.Client | undefined;
  #timer: NodeJS.Timeout | undefined;
  #delay = RELISTEN_MIN_MS;
  #closed = false;

  constructor(config: pg.ClientConfig, channel: string, listener: NotifyListener) {
    this.#config = config;
    this.#channel = channel;
    this.#listener = listener;
  }

  async connect(): Promise<void> {
    // Named so that IT can tell it apart in pg_stat_activity (it stays connected, idle, for ever).
    const c = new pg.Client({ ...this.#config, application_name: LISTENER_NAME });
    c.on('notification', (n) => {
      if (n.channel === this.#channel) this.#listener.message(n.payload ?? '');
    });
    // pg emits 'error' for a connection lost while idle; without a handler it would end the process.
    c.on('error', () => this.#drop(c));
    c.on('end', () => this.#drop(c));
    try {
      await c.connect();
      await c.query(`LISTEN "${this.#channel}"`);
    } catch {
      c.end().catch(() => undefined);
      this.#retry();
      return;
    }
    if (this.#closed) return void (await c.end().catch(() => undefined));
    this.#client = c;
    this.#delay = RELISTEN_MIN_MS;
    this.#listener.hearing(true);
  }

  #drop(c: pg.Client): void {
    if (this.#client !== c) return;
    this.#client = undefined;
    this.#listener.hearing(false);
    c.end().catch(() => undefined);
    this.#retry();
  }

  #retry(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => void this.connect(), this.#delay);
    this.#timer.unref();
    this.#delay = Math.min(this.#delay * 2, RELISTEN_MAX_MS);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const c = this.#client;
    this.#client = undefined;
    await c?.end().catch(() => undefined);
  }
}

export interface DatabaseOptions {
  /** postgres:// URL; when absent the embedded PGlite is used. */
  url?: string;
  /** Folder for PGlite's files; absent means in memory. */
  dataDir?: string;
  /** PostgreSQL schema to use (tests isolate themselves this way). */
  schema?: string;
  poolSize?: number;
}

// pg prepares a statement once per connection when it has a name; a hash of the text is a stable one.
function statementName(sql: string): string {
  return 's' + createHash('sha1').update(sql).digest('hex').slice(0, 16);
}

/** One statement on the pool or on a transaction's connection. */
async function pgQuery<T>(on: pg.Pool | pg.PoolClient, sql: string, params: readonly unknown[]): Promise<QueryResult<T>> {
  const res = await on.query({ name: statementName(sql), text: sql, values: params as unknown[] });
  return { rows: res.rows as T[], rowCount: res.rowCount ?? 0 };
}

class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #config: pg.ClientConfig;

  constructor(pool: pg.Pool, config: pg.ClientConfig) {
    this.#pool = pool;
    this.#config = config;
  }

  query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
    return pgQuery<T>(this.#pool, sql, params);
  }

  async exec(sql: string): Promise<void> {
    await this.#pool.query(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn({ query: (sql, params = []) => pgQuery(client, sql, params) });
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async listen(channel: string, listener: NotifyListener): Promise<Subscription> {
    const subscription = new PgSubscription(this.#config, channel, listener);
    await subscription.connect();
    return subscription;
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

/** Two processes on one PGlite folder corrupt it, and PGlite itself does not lock it. */
export class DatabaseInUseError extends Error {
  readonly code = 'database_in_use';
  readonly dir: string;
  /** The holder's process id, when the lock file still names a live one. */
  readonly pid: number | undefined;
  constructor(dir: string, pid?: number) {
    super(`the embedded database in ${dir} is in use by ${pid ? `process ${pid}` : 'another process'}; stop it first (or use the admin API while the server runs)`);
    this.name = 'DatabaseInUseError';
    this.dir = dir;
    this.pid = pid;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockFolder(dir: string): () => void {
  const path = join(dir, 'sekisho.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(path, 'utf8'));
      if (holder && holder !== process.pid && isAlive(holder)) throw new DatabaseInUseError(dir, holder);
      // Left behind by a process that died: take it over.
      rmSync(path, { force: true });
    }
  }
  // Lost the race for the file twice: someone else is opening it right now.
  throw new DatabaseInUseError(dir);
}

/** One statement on the database or inside a transaction. */
async function pgliteQuery<T>(on: Pick<PGlite, 'query'>, sql: string, params: readonly unknown[]): Promise<QueryResult<T>> {
  const res = await on.query<T>(sql, params as unknown[]);
  return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length };
}

class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const;
  readonly #db: PGlite;
  readonly #unlock: () => void;

  constructor(db: PGlite, unlock: () => void = () => undefined) {
    this.#db = db;
    this.#unlock = unlock;
  }

  query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
    return pgliteQuery<T>(this.#db, sql, params);
  }

  async exec(sql: string): Promise<void> {
    await this.#db.exec(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.#db.transaction((inner) => fn({ query: (sql, params = []) => pgliteQuery(inner, sql, params) }));
  }

  async listen(channel: string, listener: NotifyListener): Promise<Subscription> {
    // In-process: nothing can drop between the listener and the database.
    const unlisten = await this.#db.listen(channel, (payload) => listener.message(payload));
    listener.hearing(true);
    return { close: () => unlisten() };
  }

  async close(): Promise<void> {
    await this.#db.close();
    this.#unlock();
  }
}

// int8 and numeric come back as strings from pg; counts and epoch values fit in a JS number.
pg.types.setTypeParser(20, (v) => Number(v));

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const config: pg.ClientConfig = {
      connectionString: options.url,
      options: options.schema ? `-c search_path=${options.schema}` : undefined,
    };
    const pool = new pg.Pool({ ...config, max: options.poolSize ?? 10 });
    if (options.schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
    return new PostgresDatabase(pool, config);
  }
  // Loaded lazily: the WebAssembly build is large and production on PostgreSQL never needs it.
  const { PGlite } = await import('@electric-sql/pglite');
  if (!options.dataDir) return new PgliteDatabase(await PGlite.create('memory://'));
  mkdirSync(options.dataDir, { recursive: true });
  const unlock = lockFolder(options.dataDir);
  try {
    return new PgliteDatabase(await PGlite.create(options.dataDir), unlock);
  } catch (err) {
    unlock();
    throw err;
  }
}
