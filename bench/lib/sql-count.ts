// SQL statements per sign-in, by request: the server runs in this process for a few sign-ins on a
// database handle that counts what it is asked, each query attributed to the request that made it.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer } from 'node:http';
import { loadConfig } from '../../config/index.ts';
import { createApp } from '../../app/create-app.ts';
import { openServices } from '../../app/services.ts';
import { openDatabase, type Database, type Queryable } from '../../adapters/postgres/database.ts';
import { join } from 'node:path';
import { signIn, signInTarget } from '../signin.ts';
import type { Seeded } from './seed.ts';
import type { UserPicker } from './users.ts';

export interface SqlCount {
  total: number;
  byRequest: Record<string, number>;
  /** The statements of one sign-in, request by request (first words of each). */
  statements: Record<string, string[]>;
}

const requestLabel = new AsyncLocalStorage<string>();

/** "POST /interaction/:uid/verify/:id" from a concrete URL. */
function label(method: string, url: string): string {
  const path = url.split('?')[0]!
    .replace(/^\/interaction\/[^/]+/, '/interaction/:uid')
    .replace(/\/verify\/[^/]+$/, '/verify/:id')
    .replace(/^\/auth\/[^/]+$/, '/auth/:uid');
  return `${method} ${path}`;
}

function counting(db: Database, seen: (sql: string) => void): Database {
  const wrap = (q: Queryable): Queryable => ({
    query(sql, params) {
      seen(sql);
      return q.query(sql, params);
    },
  });
  return {
    kind: db.kind,
    query: (sql, params) => wrap(db).query(sql, params),
    exec: (sql) => db.exec(sql),
    transaction: (fn) => {
      seen('BEGIN … COMMIT');
      return db.transaction((tx) => fn(wrap(tx)));
    },
    listen: (channel, listener) => db.listen(channel, listener),
    close: () => db.close(),
  };
}

export async function countSql(env: Record<string, string>, seeded: Seeded, picker: UserPicker, signIns = 3): Promise<SqlCount> {
  const config = loadConfig(env);
  const inner = await openDatabase({ url: config.databaseUrl, dataDir: config.databaseUrl ? undefined : join(config.dataDir, 'pglite') });
  let record = false;
  const byRequest: Record<string, number> = {};
  const statements: Record<string, string[]> = {};
  const db = counting(inner, (sql) => {
    if (!record) return;
    const key = requestLabel.getStore() ?? '(outside a request)';
    byRequest[key] = (byRequest[key] ?? 0) + 1;
    (statements[key] ??= []).push(sql.replace(/\s+/g, ' ').slice(0, 90));
  });
  const services = await openServices(config, { db, migrate: false });
  const app = await createApp(services);
  const callback = app.provider.callback();
  const server = createServer((req, res) => requestLabel.run(label(req.method ?? 'GET', req.url ?? '/'), () => callback(req, res)));
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  try {
    const t = await signInTarget(config.issuer, seeded.client, seeded.password, 1);
    await signIn(t, picker.pick()!); // warms caches (keys, templates) before counting
    record = true;
    for (let i = 0; i < signIns; i++) await signIn(t, picker.pick()!);
    record = false;
    t.http.close();
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await app.close();
    await inner.close();
  }
  const perSignIn = Object.fromEntries(Object.entries(byRequest).map(([k, v]) => [k, Math.round((v / signIns) * 10) / 10]));
  const oneSignIn = Object.fromEntries(Object.entries(statements).map(([k, v]) => [k, v.slice(0, Math.ceil(v.length / signIns))]));
  return { total: Object.values(perSignIn).reduce((a, b) => a + b, 0), byRequest: perSignIn, statements: oneSignIn };
}
