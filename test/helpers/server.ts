// A real Sekisho server on 127.0.0.1 for one test file, on PGlite or PostgreSQL.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadConfig, type Config } from '../../config/index.ts';
import { createApp, type AppOptions, type SekishoApp } from '../../app/create-app.ts';
import { openServices, type Services } from '../../app/services.ts';
import { openTestDb, type DbKind } from './database.ts';

export interface TestServer {
  url: string;
  config: Config;
  services: Services;
  app: SekishoApp;
  provider: SekishoApp['provider'];
  close(): Promise<void>;
}

export interface TestServerOptions extends AppOptions {
  db?: DbKind;
  env?: Record<string, string>;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const dataDir = mkdtempSync(join(tmpdir(), 'sekisho-test-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: String(port),
    ISSUER: `http://127.0.0.1:${port}`,
    SEKISHO_DATA_DIR: dataDir,
    SEKISHO_LOG_LEVEL: 'silent',
    SEKISHO_DEMO: 'false',
    ...options.env,
  });
  const testDb = await openTestDb(options.db ?? 'pglite');
  const services = await openServices(config, { db: testDb.db, migrate: false });
  const app = await createApp(services, options);
  server.on('request', app.provider.callback());
  return {
    url: config.issuer,
    config,
    services,
    app,
    provider: app.provider,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
      await testDb.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
