// `npm start`: validate the configuration, open storage, start the server.
import { ConfigError, loadConfig } from '../config/index.ts';
import { SecretBoxError } from '../adapters/crypto/secret-box.ts';
import { DatabaseInUseError } from '../adapters/postgres/database.ts';
import { createApp } from './create-app.ts';
import { describeConfigProblem, translator } from './i18n.ts';
import { ensureDemo } from './demo.ts';
import { openServices } from './services.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // The server's log speaks English, like its other lines.
    const t = translator('en');
    console.error(t('config.cannotStart'));
    for (const p of err.problems) console.error(`  ${p.key}: ${describeConfigProblem(t, p)}`);
    process.exit(1);
  }
  const services = await openServices(config).catch((err: unknown) => {
    if (!(err instanceof DatabaseInUseError)) throw err;
    console.error(`Sekisho cannot start: ${err.message}`);
    process.exit(1);
  });
  const app = await createApp(services).catch((err: unknown) => {
    if (!(err instanceof SecretBoxError)) throw err;
    // The usual cause is a changed SEKISHO_SECRET_KEY: say so, rather than leave IT a stack trace.
    console.error(
      `Sekisho cannot start: ${err.message}. The signing keys and secrets in the database were sealed with another key: ` +
        'set SEKISHO_SECRET_KEY (and SEKISHO_SECRET_KEY_ID) back, or list the old key in SEKISHO_OLD_SECRET_KEYS as id:key.',
    );
    process.exit(1);
  });
  await app.listen(config.port, config.host);
  console.log(`Sekisho listening on ${config.issuer} (${services.db.kind}${config.databaseUrl ? '' : ', ' + config.dataDir})`);
  if (config.demo) console.log(await ensureDemo(services));
  const stop = async () => {
    await app.close();
    await services.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

await main();
