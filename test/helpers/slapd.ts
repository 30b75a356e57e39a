// A real, throwaway OpenLDAP server (Debian's slapd) for the directory tests: its own temp dir,
// mdb database and port on 127.0.0.1, loaded offline with slapadd before it starts.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'ldapts';

const SLAPD = '/usr/sbin/slapd';
const SLAPADD = '/usr/sbin/slapadd';
const SCHEMA_DIR = '/etc/ldap/schema';
const MODULE_DIR = '/usr/lib/ldap';
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

export interface DirectoryUser {
  uid: string;
  cn: string;
  /** Defaults to cn (inetOrgPerson requires a surname). */
  sn?: string;
  mail?: string;
  preferredLanguage?: string;
  password: string;
  /** How userPassword is stored; slapd checks both on bind. Default plain. */
  passwordScheme?: 'plain' | 'ssha';
}

export interface SlapdOptions {
  users: DirectoryUser[];
}

export interface Slapd {
  url: string;
  baseDn: string;
  peopleDn: string;
  bindDn: string;
  bindPassword: string;
  /** Kills the server and removes its files. Safe to call twice. */
  stop(): Promise<void>;
  /**
   * SIGSTOP: the port stays open and connections are accepted by the kernel, but nothing answers.
   * Resolves only once every slapd thread has stopped.
   */
  freeze(): Promise<void>;
  /** SIGCONT: the server carries on where it stopped. */
  thaw(): void;
}

const BASE_DN = 'dc=example,dc=ac,dc=jp';

export function sshaPassword(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

/** LDIF carries anything but plain printable ASCII (Japanese names, leading spaces) as base64. */
function ldifLine(name: string, value: string): string {
  const safe = /^[\x21-\x39\x3b\x3d-\x7e][\x20-\x7e]*$/.test(value) && !value.endsWith(' ');
  return safe ? `${name}: ${value}` : `${name}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
}

function entry(dn: string, lines: [string, string | undefined][]): string {
  const body = lines.filter((l): l is [string, string] => l[1] !== undefined).map(([n, v]) => ldifLine(n, v));
  return [ldifLine('dn', dn), ...body].join('\n');
}

function buildLdif(users: DirectoryUser[], peopleDn: string): string {
  const entries = [
    entry(BASE_DN, [['objectClass', 'dcObject'], ['objectClass', 'organization'], ['dc', 'example'], ['o', 'Example University']]),
    entry(peopleDn, [['objectClass', 'organizationalUnit'], ['ou', 'people']]),
    ...users.map((u) =>
      entry(`uid=${u.uid},${peopleDn}`, [
        ['objectClass', 'inetOrgPerson'],
        ['uid', u.uid],
        ['cn', u.cn],
        ['sn', u.sn ?? u.cn],
        ['mail', u.mail],
        ['preferredLanguage', u.preferredLanguage],
        ['userPassword', u.passwordScheme === 'ssha' ? sshaPassword(u.password) : u.password],
      ]),
    ),
  ];
  return `${entries.join('\n\n')}\n`;
}

function buildConfig(dir: string, bindDn: string, bindPassword: string): string {
  return [
    ...['core', 'cosine', 'inetorgperson', 'nis'].map((s) => `include ${SCHEMA_DIR}/${s}.schema`),
    `pidfile ${join(dir, 'slapd.pid')}`,
    `argsfile ${join(dir, 'slapd.args')}`,
    `modulepath ${MODULE_DIR}`,
    'moduleload back_mdb',
    'database mdb',
    `suffix "${BASE_DN}"`,
    `rootdn "${bindDn}"`,
    `rootpw ${bindPassword}`,
    `directory ${join(dir, 'db')}`,
    'maxsize 10485760',
    // As in a real directory: anyone may search, nobody may read passwords, binds may check them.
    'access to attrs=userPassword by anonymous auth by * none',
    'access to * by * read',
    '',
  ].join('\n');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not pick a free port');
  return address.port;
}

async function answers(url: string): Promise<boolean> {
  const client = new Client({ url, connectTimeout: 1000, timeout: 1000 });
  try {
    await client.search(BASE_DN, { scope: 'base' });
    return true;
  } catch {
    return false;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Resolves once slapd answers a search; rejects if it exits first (a taken port) or takes too long. */
async function waitUntilReady(child: ChildProcess, url: string, stderr: () => string): Promise<void> {
  let gone = false;
  void exited(child).then(() => (gone = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`slapd exited (${child.exitCode ?? child.signalCode}): ${stderr()}`);
    if (await answers(url)) return;
    await sleep(100);
  }
  throw new Error(`slapd did not answer on ${url} within ${READY_TIMEOUT_MS} ms: ${stderr()}`);
}

/** Every thread's scheduler state, from /proc/<pid>/task/<tid>/stat (the field after "(comm)"). */
function threadStates(pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  });
}

/**
 * kill(SIGSTOP) returns before the process has stopped: the kernel wakes one thread to begin the
 * group stop, and until it runs, another thread (the listener) can still serve a request. So
 * wait until the kernel reports every thread stopped.
 */
async function untilStopped(child: ChildProcess): Promise<void> {
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (!threadStates(child.pid!).every((state) => state === 'T')) {
    if (Date.now() > deadline) throw new Error(`slapd (pid ${child.pid}) did not stop within ${STOP_TIMEOUT_MS} ms`);
    await sleep(10);
  }
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  // A stopped process would not act on SIGTERM until continued.
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await done;
  clearTimeout(timer);
}

async function launch(configFile: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  // -d keeps slapd in the foreground (so it is our child and dies with the test); no -u/-g: it runs
  // as whoever runs the tests, root included.
  const child = spawn(SLAPD, ['-f', configFile, '-h', `${url}/`, '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  try {
    await waitUntilReady(child, url, () => stderr.trim());
    return { child, url };
  } catch (error) {
    await kill(child);
    throw error;
  }
}

export async function startSlapd(options: SlapdOptions): Promise<Slapd> {
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-slapd-'));
  mkdirSync(join(dir, 'db'));
  const peopleDn = `ou=people,${BASE_DN}`;
  const bindDn = `cn=admin,${BASE_DN}`;
  const bindPassword = randomBytes(12).toString('hex');
  const configFile = join(dir, 'slapd.conf');
  writeFileSync(configFile, buildConfig(dir, bindDn, bindPassword));
  writeFileSync(join(dir, 'data.ldif'), buildLdif(options.users, peopleDn));
  let started: { child: ChildProcess; url: string } | undefined;
  try {
    execFileSync(SLAPADD, ['-q', '-f', configFile, '-l', join(dir, 'data.ldif')], { stdio: 'pipe' });
    // The port is free when picked but another process could take it before slapd binds; try again then.
    for (let attempt = 1; !started; attempt += 1) {
      try {
        started = await launch(configFile);
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const { child, url } = started;
  // If a test file dies without its afterAll, do not leave a server behind.
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);

  return {
    url,
    baseDn: BASE_DN,
    peopleDn,
    bindDn,
    bindPassword,
    async stop() {
      process.removeListener('exit', onExit);
      await kill(child);
      rmSync(dir, { recursive: true, force: true });
    },
    async freeze() {
      child.kill('SIGSTOP');
      await untilStopped(child);
    },
    thaw() {
      child.kill('SIGCONT');
    },
  };
}
