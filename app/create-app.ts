// Wires the server: oidc-provider with Sekisho's journey, pages and APIs registered in front of it.
import type { Server } from 'node:http';
import type { Context, Next } from 'koa';
import type { Provider } from 'oidc-provider';
import { CachedClients } from '../adapters/postgres/client-cache.ts';
import { JourneyRepository } from '../adapters/postgres/journeys.ts';
import { sweepExpired } from '../adapters/postgres/oidc-adapter.ts';
import { loadOrCreateSecret } from '../adapters/postgres/server-secrets.ts';
import { providerPages } from '../interactions/pages.ts';
import { createPhoneWiring } from '../interactions/phone-extension.ts';
import { createRegulator } from '../interactions/regulation.ts';
import { createInteractionRouter, type JourneyExtensions } from '../interactions/router.ts';
import { backupCodesExtension } from '../interactions/steps/offer.ts';
import type { InteractionDeps, JourneyState } from '../interactions/journey.ts';
import type { PhoneSender } from '../adapters/twilio/sender.ts';
import { createAccountPages } from '../account/index.ts';
import { createAdminApi } from '../admin/api/router.ts';
import { createAcrLadder, type AcrLadder } from '../provider/acr.ts';
import { startBackchannelDelivery } from '../provider/backchannel-outbox.ts';
import { createProvider } from '../provider/index.ts';
import { startKeyReload, type KeyReloader } from '../provider/key-reload.ts';
import { ensureSigningKeys, loadJwks } from '../provider/keys.ts';
import { createDemoRouter } from './demo.ts';
import { Csrf } from './http/csrf.ts';
import { errorPages } from './http/error-page.ts';
import { languageSwitch } from './http/locale.ts';
import { securityHeaders } from './http/security-headers.ts';
import { staticFiles } from './http/static.ts';
import { throttlePosts } from './http/throttle.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import type { Services } from './services.ts';

export interface AppOptions {
  /** Clock in milliseconds (tests step it to move TOTP windows and lockouts). */
  now?: () => number;
  logger?: Logger;
  /** Modules that add to the journey (phones, backup codes, directory); see JourneyExtensions. */
  extensions?: JourneyExtensions;
  /** SMS and calls; by default Twilio or the console as config.phone.sender says (tests: Twilio at a fake). */
  phoneSender?: PhoneSender;
}

export interface SekishoApp {
  provider: Provider;
  deps: InteractionDeps;
  /** Picks up signing keys rotated elsewhere (also done every 30 s). */
  keys: KeyReloader;
  listen(port: number, host: string): Promise<Server>;
  close(): Promise<void>;
}

/** /healthz: the process answers. /readyz: it can also reach its database (load balancers ask this). */
function health(services: Services) {
  return async (ctx: Context, next: Next) => {
    if (ctx.path === '/healthz') {
      ctx.body = { status: 'ok' };
      return;
    }
    if (ctx.path !== '/readyz') return next();
    try {
      await services.db.query('SELECT 1');
      ctx.body = { status: 'ready' };
    } catch {
      ctx.status = 503;
      ctx.body = { status: 'database unreachable' };
    }
  };
}

/** Several modules' journey extensions as one: choices and routes add up; the first offer that shows a page wins. */
function combineExtensions(parts: Partial<JourneyExtensions>[]): JourneyExtensions {
  const offers = parts.flatMap((p) => (p.offerAfterEnrol ? [p.offerAfterEnrol] : []));
  return {
    enrolChoices: parts.flatMap((p) => p.enrolChoices ?? []),
    offerAfterEnrol: async (turn, journey, user) => {
      for (const offer of offers) if (await offer(turn, journey, user)) return true;
      return false;
    },
    routes: (router, helpers) => parts.forEach((p) => p.routes?.(router, helpers)),
  };
}

export async function createApp(services: Services, options: AppOptions = {}): Promise<SekishoApp> {
  const { config } = services;
  const log = options.logger ?? createLogger(config.logLevel);
  const now = options.now ?? Date.now;
  await ensureSigningKeys(services.keys, services.box);
  const cookieKeys = config.cookieKeys ?? [await loadOrCreateSecret(services.db, services.box, 'cookie-key')];
  const ladder: AcrLadder = createAcrLadder(config.acrPhishingResistant);
  const jwks = await loadJwks(services.keys, services.box);
  const clientReads = new CachedClients(services.clients);
  await clientReads.listen(services.db);
  const provider = createProvider({
    config,
    db: services.db,
    clients: services.clients,
    clientReads,
    users: services.users,
    ladder,
    jwks,
    cookieKeys,
    pages: providerPages,
    log,
  });

  const deps: InteractionDeps = {
    services,
    provider,
    ladder,
    csrf: new Csrf(cookieKeys[0]!, config.issuer),
    journeys: new JourneyRepository<JourneyState>(services.db),
    totp: { settings: config.totp, methods: services.methods, box: services.box },
    regulator: createRegulator(services.counters, config, now),
    // ldapts is only loaded where a directory is configured.
    directory: config.ldap ? (await import('../adapters/ldap/directory.ts')).createLdapDirectory(config.ldap) : undefined,
    now,
  };

  // Registered before oidc-provider's own routes, which answer everything else.
  provider.use(createMetrics(services.audit, config.metricsToken).middleware);
  provider.use(securityHeaders);
  provider.use(errorPages(log));
  provider.use(throttlePosts({ points: config.postsPerMinutePerIp, windowSeconds: 60 }, ['/interaction/', '/account']));
  provider.use(staticFiles);
  provider.use(health(services));
  provider.use(languageSwitch);
  const phone = await createPhoneWiring({ services, deps, log, sender: options.phoneSender });
  for (const router of phone.routers) provider.use(router.routes());
  const interactions = createInteractionRouter(
    deps,
    combineExtensions([
      options.extensions ?? {},
      backupCodesExtension({ format: config.backupCodeFormat, phoneMethods: config.phone.methods }),
      phone.extension,
    ]),
  );
  provider.use(interactions.routes());
  provider.use(interactions.allowedMethods());
  provider.use((await createAccountPages(deps)).routes());
  provider.use(createAdminApi({ services, provider }).routes());
  if (config.demo) provider.use(createDemoRouter(services).routes());

  const every = (ms: number, task: string, run: () => Promise<unknown>) =>
    setInterval(() => void run().catch((err) => log.warn(`${task} failed`, { err: String(err) })), ms);
  const timers = [
    every(10 * 60_000, 'sweep', () => sweepExpired(services.db)),
    // Hourly rather than daily: a server restarted every day (deploys) would otherwise never prune.
    every(3600_000, 'audit prune', () => services.audit.prune(config.auditRetentionDays)),
    startBackchannelDelivery(services, provider, { now, log }),
  ];
  timers.forEach((t) => t.unref());
  const keys = startKeyReload(provider, services.keys, services.box, jwks, 30_000, (err) => log.warn('key reload failed', { err: String(err) }));
  let server: Server | undefined;

  return {
    provider,
    deps,
    keys,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server = provider.listen(port, host);
        server.once('listening', () => resolve(server!));
        server.once('error', reject);
      });
    },
    async close() {
      timers.forEach(clearInterval);
      keys.stop();
      await clientReads.close();
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server!.close(() => resolve()));
      }
    },
  };
}
