// The real server as a child process (`npm start`'s command line), on a database of its own, so its
// memory and CPU can be read from /proc without the bench's own counted in.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export type DbKind = 'postgres' | 'pglite';

export interface BenchDatabase {
  kind: DbKind;
  /** postgres:// URL of the fresh database; undefined on PGlite (the data folder holds it). */
  url?: string;
  name?: string;
  drop(): Promise<void>;
}

/** A fresh PostgreSQL database for this run, dropped afterwards; or nothing to do for PGlite. */
export async function createBenchDatabase(kind: DbKind, adminUrl: string): Promise<BenchDatabase> {
  if (kind === 'pglite') return { kind, drop: async () => undefined };
  const name = `sekisho_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    kind,
    url: url.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** The environment both the server and the bench's seeding read, so they share keys and storage. */
export function benchEnv(port: number, dataDir: string, db: BenchDatabase): Record<string, string> {
  return {
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    ISSUER: `http://127.0.0.1:${port}`,
    SEKISHO_DATA_DIR: dataDir,
    ...(db.url ? { DATABASE_URL: db.url } : {}),
    SEKISHO_SECRET_KEY: randomBytes(32).toString('base64'),
    SEKISHO_COOKIE_KEYS: randomBytes(24).toString('base64url'),
    SEKISHO_DEMO: 'false',
    SEKISHO_LOG_LEVEL: 'warn',
    SEKISHO_LOCKOUT_THRESHOLD: '1000',
    // Every bench browser comes from 127.0.0.1: the per-address ceiling would answer 429.
    SEKISHO_POSTS_PER_MINUTE_PER_IP: '1000000',
  };
}

export function benchDataDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-bench-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ServerProcess {
  pid: number;
  url: string;
  /** What the server wrote (warnings and errors), for the report when something fails. */
  output(): string;
  stop(): Promise<void>;
}

export interface StartCommand {
  /** Variables the start script sets before `node` (VAR=value …). */
  env: Record<string, string>;
  /** Node's options and the script. */
  args: string[];
}

/** `npm start` as package.json spells it, so the bench measures the server as it is deployed. */
export function startCommand(): StartCommand {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (words[0] && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const [name, ...value] = words.shift()!.split('=');
    env[name!] = value.join('=');
  }
  if (words.shift() !== 'node') throw new Error(`npm start does not run node: ${pkg.scripts.start}`);
  return { env, args: words };
}

/**
 * Starts the server as `npm start` does (`nodeArgs` go before the script) and waits until /healthz
 * answers. `script` runs another server under the same command line (the bench's bare baseline).
 */
export async function startServer(env: Record<string, string>, nodeArgs: string[] = [], script?: string, timeoutMs = 60_000): Promise<ServerProcess> {
  const start = startCommand();
  const child: ChildProcess = spawn(process.execPath, [...start.args.slice(0, -1), ...nodeArgs, script ?? start.args.at(-1)!], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...start.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = env.ISSUER!;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not answer /healthz within ${timeoutMs} ms:\n${output}`);
    }
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    pid: child.pid!,
    url,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
