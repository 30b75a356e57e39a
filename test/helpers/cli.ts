// Runs the real `bin/sekisho` as a child process against its own database: a PGlite folder, or a
// fresh PostgreSQL database (the CLI's config has no schema option, so a database per test file).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openDatabase, type Database } from '../../adapters/postgres/database.ts';
import type { DbKind } from './database.ts';

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/sekisho');
const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Bad-input matrices run in full on PostgreSQL (cheap starts) and sampled on PGlite (each start loads WebAssembly). */
export function sampleFor<T>(kind: DbKind, cases: T[]): T[] {
  return kind === 'postgres' ? cases : cases.filter((_, i) => i % 4 === 0);
}

export interface CliSandbox {
  kind: DbKind;
  dataDir: string;
  env: Record<string, string>;
  run(args: string[], options?: { stdin?: string; env?: Record<string, string> }): Promise<CliResult>;
  /** Runs with --json and parses standard output; fails the test when the command failed. */
  json<T = unknown>(args: string[], options?: { stdin?: string }): Promise<T>;
  /** Opens the sandbox's database in this process (only between CLI runs: PGlite allows one user). */
  withDb<T>(fn: (db: Database) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function cliSandbox(kind: DbKind): Promise<CliSandbox> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sekisho-cli-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    NODE_ENV: 'test',
    SEKISHO_DATA_DIR: dataDir,
    SEKISHO_LOG_LEVEL: 'silent',
  };
  let database: string | undefined;
  if (kind === 'postgres') {
    database = `sekisho_cli_${randomBytes(6).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${database}`);
    env.DATABASE_URL = `postgres://postgres@127.0.0.1:5432/${database}`;
  }
  const run: CliSandbox['run'] = (args, options = {}) =>
    new Promise((done, fail) => {
      const child = spawn(BIN, args, { env: { ...env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      // A hung command must fail its test, not outlive it.
      const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
      child.on('error', fail);
      child.on('close', (code) => {
        clearTimeout(timer);
        done({ code: code ?? -1, stdout, stderr });
      });
      child.stdin.end(options.stdin ?? '');
    });
  return {
    kind,
    dataDir,
    env,
    run,
    async json<T>(args: string[], options: { stdin?: string } = {}) {
      const r = await run([...args, '--json'], options);
      if (r.code !== 0) throw new Error(`sekisho ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return JSON.parse(r.stdout) as T;
    },
    async withDb(fn) {
      const db = await openDatabase(env.DATABASE_URL ? { url: env.DATABASE_URL, poolSize: 1 } : { dataDir: join(dataDir, 'pglite') });
      try {
        return await fn(db);
      } finally {
        await db.close();
      }
    },
    async close() {
      if (database) await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
