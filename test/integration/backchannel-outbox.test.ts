// The back-channel logout outbox against a running server and a receiver on 127.0.0.1: one row per
// (client, sid), backoff, giving up after MAX_ATTEMPTS with an audit entry, clients without a
// back-channel URI skipped, and concurrent deliverers sending each notification once — on PGlite
// and PostgreSQL. The clock is moved, never waited for.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backoffMs, deliverDueLogouts, MAX_ATTEMPTS, pendingLogouts, queueLogouts } from '../../provider/backchannel-outbox.ts';
import { DB_KINDS } from '../helpers/database.ts';
import { steppingClock } from '../helpers/journey.ts';
import { startLogoutReceiver, verifyLogoutToken, type LogoutReceiver } from '../helpers/logout-receiver.ts';
import { registerClient } from '../helpers/rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const HOUR = 3600_000;

it('waits 30 s after the first failure, doubling up to an hour', () => {
  expect([1, 2, 3, 4].map(backoffMs)).toEqual([30_000, 60_000, 120_000, 240_000]);
  expect(backoffMs(20)).toBe(HOUR);
});

describe.each(DB_KINDS)('back-channel logout outbox (%s)', (db) => {
  const clock = steppingClock();
  let server: TestServer;
  let receiver: LogoutReceiver;

  async function client(name: string, withUri = true): Promise<string> {
    const { clientId } = await registerClient(server.services, {
      clientId: `${name}-${db}`,
      metadata: withUri ? { backchannel_logout_uri: receiver.uri(name) } : {},
    });
    return clientId;
  }

  /** Delivers until the account has nothing queued, moving the clock past any backoff each round. */
  async function drain(accountId: string, rounds: number): Promise<void> {
    for (let i = 0; i < rounds && (await pendingLogouts(server.services.db, accountId)).length; i++) {
      clock.advance(2 * HOUR);
      await deliverDueLogouts(server.services, server.provider, { now: clock.now });
    }
  }

  beforeAll(async () => {
    receiver = await startLogoutReceiver();
    server = await startTestServer({ db, now: clock.now });
  });
  afterAll(async () => {
    await server.close();
    await receiver.close();
  });

  it('keeps one row per client and sid, and delivers a logout token with that sid and sub', async () => {
    const clientId = await client('once');
    const notice = { clientId, accountId: 'user-once', sid: 'sid-once' };
    expect(await queueLogouts(server.services.db, [notice], clock.now())).toHaveLength(1);
    expect(await queueLogouts(server.services.db, [notice], clock.now())).toHaveLength(0);
    await drain('user-once', 3);
    const [token, ...more] = receiver.tokens('once');
    expect(more).toEqual([]);
    expect(await verifyLogoutToken(token!, server.url, clientId)).toMatchObject({ sid: 'sid-once', sub: 'user-once' });
  });

  it('drops notifications for clients without a back-channel URI and for unknown clients', async () => {
    const quiet = await client('quiet', false);
    await queueLogouts(server.services.db, [
      { clientId: quiet, accountId: 'user-quiet', sid: 's1' },
      { clientId: 'no-such-client', accountId: 'user-quiet', sid: 's2' },
    ], clock.now());
    const report = await deliverDueLogouts(server.services, server.provider, { now: clock.now });
    expect(report).toMatchObject({ delivered: 0, retrying: 0, abandoned: 0 });
    await drain('user-quiet', 3);
    expect(await pendingLogouts(server.services.db, 'user-quiet')).toEqual([]);
    expect(receiver.tokens('quiet')).toEqual([]);
  });

  it('gives up after MAX_ATTEMPTS failures and records it in the audit log', async () => {
    const clientId = await client('down');
    receiver.answer('down', 503);
    await queueLogouts(server.services.db, [{ clientId, accountId: 'user-down', sid: 'sid-down' }], clock.now());
    await drain('user-down', MAX_ATTEMPTS + 5);
    expect(await pendingLogouts(server.services.db, 'user-down')).toEqual([]);
    const [abandoned] = await server.services.audit.query({ userId: 'user-down', type: 'logout.backchannel_abandoned' });
    expect(abandoned).toMatchObject({ clientId, outcome: 'failure' });
    expect(abandoned!.details).toMatchObject({ attempts: MAX_ATTEMPTS });
    expect((await server.services.audit.query({ userId: 'user-down', type: 'logout.backchannel_failed' })).length).toBe(MAX_ATTEMPTS - 1);
  });

  it('sends each notification once when several deliverers run at the same time', async () => {
    const clientId = await client('busy');
    const notices = Array.from({ length: 12 }, (_, i) => ({ clientId, accountId: 'user-busy', sid: `sid-busy-${i}` }));
    await queueLogouts(server.services.db, notices, clock.now());
    await Promise.all([1, 2, 3].map(() => deliverDueLogouts(server.services, server.provider, { now: clock.now })));
    await drain('user-busy', 3);
    const sids = await Promise.all(receiver.tokens('busy').map(async (t) => (await verifyLogoutToken(t, server.url, clientId)).sid));
    expect(sids.sort()).toEqual(notices.map((n) => n.sid).sort());
  });
});
