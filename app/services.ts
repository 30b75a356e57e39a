// Opens storage and the repositories over it. Shared by the server, the CLI and the tests.
import type { Config } from '../config/index.ts';
import { loadOrCreateKeyFile } from '../adapters/crypto/key-file.ts';
import { SecretBox } from '../adapters/crypto/secret-box.ts';
import { AuditLog } from '../adapters/postgres/audit-log.ts';
import { ClientRepository } from '../adapters/postgres/clients.ts';
import { openDatabase, type Database } from '../adapters/postgres/database.ts';
import { FailureCounters } from '../adapters/postgres/failure-counters.ts';
import { MethodRepository } from '../adapters/postgres/methods.ts';
import { migrate } from '../adapters/postgres/migrate.ts';
import { SigningKeyRepository } from '../adapters/postgres/signing-keys.ts';
import { UserRepository } from '../adapters/postgres/users.ts';
import { join } from 'node:path';

export interface Services {
  config: Config;
  db: Database;
  box: SecretBox;
  users: UserRepository;
  methods: MethodRepository;
  clients: ClientRepository;
  audit: AuditLog;
  keys: SigningKeyRepository;
  counters: FailureCounters;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** An already open database (tests share one per file). */
  db?: Database;
  /** Apply pending migrations first (the server and `db migrate` do). */
  migrate?: boolean;
  schema?: string;
}

export function secretBoxFor(config: Config): SecretBox {
  // Production refuses to start without SEKISHO_SECRET_KEY (config/); development keeps one in the data folder.
  const key = config.secretKey ?? loadOrCreateKeyFile(config.dataDir);
  return new SecretBox(key, config.oldSecretKeys);
}

export async function openServices(config: Config, options: OpenOptions = {}): Promise<Services> {
  const db =
    options.db ??
    (await openDatabase({ url: config.databaseUrl, dataDir: config.databaseUrl ? undefined : join(config.dataDir, 'pglite'), schema: options.schema }));
  if (options.migrate ?? true) await migrate(db);
  const box = secretBoxFor(config);
  return {
    config,
    db,
    box,
    users: new UserRepository(db),
    methods: new MethodRepository(db),
    clients: new ClientRepository(db, box),
    audit: new AuditLog(db),
    keys: new SigningKeyRepository(db),
    counters: new FailureCounters(db),
    close: () => (options.db ? Promise.resolve() : db.close()),
  };
}
