// Dynamic client registration (RFC 7591) and management (RFC 7592): off unless configured; when on,
// only with an initial access token, and the registration access token manages the client.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createInitialAccessToken } from '../../admin/operations/clients.ts';
import { providerValidator } from '../../admin/operations/validator.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

interface Registered {
  client_id: string;
  client_secret?: string;
  registration_access_token: string;
  registration_client_uri: string;
  redirect_uris: string[];
  client_name?: string;
}

const METADATA = { redirect_uris: ['https://dcr.example.org/cb'], client_name: 'Registered RP' };

describe('dynamic client registration, off by default', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db: 'pglite' });
  }, 300_000);
  afterAll(async () => {
    await server?.close();
  });

  it('is not advertised and the endpoint does not exist', async () => {
    const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.registration_endpoint).toBeUndefined();
    const res = await fetch(`${server.url}/reg`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(METADATA) });
    expect(res.status).toBe(404);
  }, 60_000);
});

describe.each(['pglite', 'postgres'] as const)('dynamic client registration, on (%s)', (kind) => {
  let server: TestServer;
  let endpoint: string;
  const register = (body: unknown, iat?: string) =>
    fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(iat ? { authorization: `Bearer ${iat}` } : {}) },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    server = await startTestServer({ db: kind, env: { SEKISHO_REGISTRATION: 'true' } });
    const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as { registration_endpoint: string };
    endpoint = discovery.registration_endpoint;
  }, 300_000);
  afterAll(async () => {
    await server?.close();
  });

  it('is advertised, and refuses registration without a valid initial access token', async () => {
    expect(endpoint).toBe(`${server.url}/reg`);
    const none = await register(METADATA);
    expect(none.status).toBeGreaterThanOrEqual(400);
    expect(none.status).toBeLessThan(500);
    expect(await none.json()).toMatchObject({ error: 'invalid_token' });
    expect((await register(METADATA, 'made-up')).status).toBe(401);
    expect(await server.services.clients.list()).not.toEqual(expect.arrayContaining([expect.objectContaining({ metadata: expect.objectContaining({ client_name: 'Registered RP' }) })]));
  }, 60_000);

  it('registers with a token from the provider, then reads, updates and deletes with the registration access token', async () => {
    const iat = await new server.provider.InitialAccessToken({}).save();
    const res = await register(METADATA, iat);
    expect(res.status).toBe(201);
    const client = (await res.json()) as Registered;
    expect(client.client_secret).toBeTruthy();
    expect(await server.services.clients.find(client.client_id)).toMatchObject({ admin: false, firstParty: false, secret: client.client_secret });

    const auth = { authorization: `Bearer ${client.registration_access_token}` };
    const read = await fetch(client.registration_client_uri, { headers: auth });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ client_id: client.client_id, redirect_uris: METADATA.redirect_uris });

    const put = await fetch(client.registration_client_uri, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: client.client_id, client_secret: client.client_secret, redirect_uris: ['https://dcr.example.org/cb2'], client_name: 'Renamed RP' }),
    });
    expect(put.status).toBe(200);
    const updated = (await put.json()) as Registered;
    expect(updated).toMatchObject({ client_name: 'Renamed RP', redirect_uris: ['https://dcr.example.org/cb2'] });
    expect((await server.services.clients.find(client.client_id))?.metadata).toMatchObject({ client_name: 'Renamed RP' });

    // The token rotates on update (RFC 7592 allows it; oidc-provider does it by default).
    const next = { authorization: `Bearer ${updated.registration_access_token}` };
    const del = await fetch(client.registration_client_uri, { method: 'DELETE', headers: next });
    expect(del.status).toBe(204);
    expect(await server.services.clients.find(client.client_id)).toBeUndefined();
    expect((await fetch(client.registration_client_uri, { headers: next })).status).toBe(401);
  }, 60_000);

  it('accepts the initial access token the CLI prints, and a client cannot make itself an admin or first-party client', async () => {
    const ctx = { services: server.services, actor: 'test', validateClient: providerValidator(server.provider) };
    const { token } = await createInitialAccessToken(ctx, { ttl: '1h' });
    const res = await register({ ...METADATA, sekisho_admin: true, sekisho_first_party: true }, token);
    expect(res.status).toBe(201);
    const client = (await res.json()) as Registered;
    expect(await server.services.clients.find(client.client_id)).toMatchObject({ admin: false, firstParty: false, mfaPolicy: 'required' });
    const served = await server.provider.Client.find(client.client_id);
    expect(served?.metadata()).toMatchObject({ sekisho_admin: false, sekisho_first_party: false, sekisho_mfa_policy: 'required' });
  }, 60_000);
});
