// The admin API over real HTTP: tokens from Sekisho's own token endpoint, on PGlite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addClient } from '../../admin/operations/clients.ts';
import { providerValidator } from '../../admin/operations/validator.ts';
import { ROUTES } from '../../admin/api/router.ts';
import { DB_KINDS } from '../helpers/database.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe.each(DB_KINDS)('admin API (%s)', (kind) => {
  let server: TestServer;
  let token: string;
  let adminSecret: string;

  const api = (path: string, init: RequestInit & { json?: unknown; bearer?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    const bearer = init.bearer === undefined ? token : init.bearer;
    if (bearer) headers.set('authorization', `Bearer ${bearer}`);
    if (init.json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${server.url}/admin/api${path}`, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
  };
  const tokenFor = async (clientId: string, secret: string, scope?: string) => {
    const res = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }),
    });
    const body = (await res.json()) as { access_token?: string; error?: string };
    if (!body.access_token) throw new Error(`token: ${JSON.stringify(body)}`);
    return body.access_token;
  };

  beforeAll(async () => {
    server = await startTestServer({ db: kind });
    const ctx = { services: server.services, actor: 'test', validateClient: providerValidator(server.provider) };
    const helpdesk = await addClient(ctx, { clientId: 'helpdesk', admin: true, name: 'Help desk' });
    adminSecret = helpdesk.secret!;
    token = await tokenFor('helpdesk', adminSecret, 'admin');
  }, 300_000);

  afterAll(async () => {
    await server?.close();
  });

  it('publishes an OpenAPI 3.1 document listing every route, without authentication', async () => {
    const res = await api('/openapi.json', { bearer: null });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { operationId: string }>> };
    expect(doc.openapi).toBe('3.1.0');
    for (const route of ROUTES) expect(doc.paths[route.path]?.[route.method]?.operationId).toBe(route.operationId);
  }, 60_000);

  it('refuses missing or invalid tokens (401), tokens without the admin scope and non-admin clients (403)', async () => {
    const none = await api('/users', { bearer: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const bogus = await api('/users', { bearer: 'not-a-token' });
    expect(bogus.status).toBe(401);
    expect(bogus.headers.get('www-authenticate')).toContain('error="invalid_token"');

    const noScope = await api('/users', { bearer: await tokenFor('helpdesk', adminSecret) });
    expect(noScope.status).toBe(403);
    expect(noScope.headers.get('www-authenticate')).toContain('insufficient_scope');

    // A client that may ask for the admin scope but was never made an admin client (e.g. registered elsewhere).
    await server.services.clients.create({
      clientId: 'sneaky',
      metadata: { client_id: 'sneaky', grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'admin', token_endpoint_auth_method: 'client_secret_basic' },
      secret: 'sneaky-secret-sneaky-secret-sneaky',
      firstParty: false,
      admin: false,
      mfaPolicy: 'required',
    });
    const sneaky = await api('/users', { bearer: await tokenFor('sneaky', 'sneaky-secret-sneaky-secret-sneaky', 'admin') });
    expect(sneaky.status).toBe(403);
    expect(await sneaky.json()).toMatchObject({ error: 'forbidden' });
  }, 60_000);

  it('manages users, answering bad input with 400 naming the field and never 500', async () => {
    const created = await api('/users', { method: 'POST', json: { username: 'hanako', email: 'hanako@example.ac.jp', name: '佐藤 花子', locale: 'ja', phone: '090-1111-2222' } });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ username: 'hanako', name: '佐藤 花子', phone: '+81 •• •••• 2222' });
    expect((await api('/users', { method: 'POST', json: { username: 'HANAKO', email: 'h@example.com', name: 'H' } })).status).toBe(409);

    const bad: [Record<string, unknown>, string][] = [
      [{ username: 'a b', email: 'a@example.com', name: 'A' }, 'username'],
      [{ username: 123, email: 'a@example.com', name: 'A' }, 'username'],
      [{ username: 'ab', email: 'nope', name: 'A' }, 'email'],
      [{ username: 'ab', email: 'a@example.com', name: ['A'] }, 'name'],
      [{ username: 'ab', email: 'a@example.com', name: 'A', locale: 'de' }, 'locale'],
      [{ username: 'ab', email: 'a@example.com', name: 'A', phone: 'call me' }, 'phone'],
      [{ username: 'ab', email: 'a@example.com', name: 'A', password: 42 }, 'password'],
    ];
    for (const [json, field] of bad) {
      const res = await api('/users', { method: 'POST', json });
      expect({ json, status: res.status }).toEqual({ json, status: 400 });
      expect(await res.json()).toMatchObject({ error: 'invalid_request', field, error_description: expect.any(String) });
    }
    const ja = await api('/users', { method: 'POST', json: { username: 'ab', email: 'x', name: 'A' }, headers: { 'accept-language': 'ja' } });
    expect(((await ja.json()) as { error_description: string }).error_description).toContain('メールアドレス');

    const list = (await (await api('/users?search=hana')).json()) as { username: string }[];
    expect(list.map((u) => u.username)).toEqual(['hanako']);
    expect((await api('/users?limit=many')).status).toBe(400);
    expect((await api('/users/nobody')).status).toBe(404);

    const tap = await api('/users/hanako/tap', { method: 'POST', json: { ttl: '1h', once: true } });
    expect(tap.status).toBe(201);
    expect(((await tap.json()) as { code: string }).code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    expect((await api('/users/hanako/tap', { method: 'POST', json: { ttl: '1y' } })).status).toBe(400);
    expect((await api('/users/hanako/tap', { method: 'POST', json: { once: 'yes' } })).status).toBe(400);

    expect(await (await api('/users/hanako/disable', { method: 'POST' })).json()).toMatchObject({ changed: true, user: { disabled: true } });
    expect(await (await api('/users/hanako/enable', { method: 'POST' })).json()).toMatchObject({ changed: true, user: { disabled: false } });
    expect(await (await api('/users/hanako/clear-flag', { method: 'POST' })).json()).toEqual({ username: 'hanako', cleared: 0 });
    expect(await (await api('/users/hanako/reset-mfa', { method: 'POST' })).json()).toMatchObject({ username: 'hanako', passesRemoved: 1 });
    const detail = (await (await api('/users/hanako')).json()) as { accessPasses: unknown[]; mfaResetAt: string | null };
    expect(detail.accessPasses).toEqual([]);
    expect(detail.mfaResetAt).not.toBeNull();
  }, 120_000);

  it('reads only small JSON objects: 415, 413 and 400 before anything runs', async () => {
    const text = await api('/users', { method: 'POST', body: 'username=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(text.status).toBe(415);
    const big = await api('/users', { method: 'POST', json: { username: 'big', email: 'b@example.com', name: 'x'.repeat(70 * 1024) } });
    expect(big.status).toBe(413);
    const broken = await api('/users', { method: 'POST', body: '{"username": ', headers: { 'content-type': 'application/json' } });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ error: 'invalid_request' });
    expect((await api('/users', { method: 'POST', json: ['a'] })).status).toBe(400);
    expect((await api('/users?search=big')).status).toBe(200);
    expect(await (await api('/users?search=big')).json()).toEqual([]);
  }, 60_000);

  it('manages clients that oidc-provider then serves, with metadata extensions mirrored', async () => {
    const res = await api('/clients', {
      method: 'POST',
      json: { clientId: 'portal', name: 'Portal', redirectUris: ['https://portal.example.ac.jp/cb'], firstParty: true, mfa: 'optional' },
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { client: { clientId: string }; secret: string };
    expect(created.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const served = await server.provider.Client.find('portal');
    expect(served?.redirectUris).toEqual(['https://portal.example.ac.jp/cb']);
    expect(served?.metadata()).toMatchObject({ sekisho_first_party: true, sekisho_mfa_policy: 'optional', sekisho_admin: false });
    expect(served?.compareClientSecret(created.secret)).toBe(true);

    const bad = await api('/clients/portal', { method: 'PATCH', json: { redirectUris: ['http://evil.example/cb'] } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ field: 'redirectUris' });
    expect((await api('/clients/portal', { method: 'PATCH', json: { redirectUris: 'https://x.example/cb' } })).status).toBe(400);
    const patched = await api('/clients/portal', { method: 'PATCH', json: { name: 'ポータル' } });
    expect(await patched.json()).toMatchObject({ client: { name: 'ポータル', firstParty: true, redirectUris: ['https://portal.example.ac.jp/cb'] } });
    const rotated = (await (await api('/clients/portal/rotate-secret', { method: 'POST' })).json()) as { secret: string };
    expect((await server.provider.Client.find('portal'))?.compareClientSecret(rotated.secret)).toBe(true);
    expect((await api('/clients', { method: 'POST', json: { clientId: 'portal', redirectUris: ['https://a.example/cb'] } })).status).toBe(409);
    const list = (await (await api('/clients')).json()) as { clientId: string }[];
    expect(list.map((c) => c.clientId)).toEqual(expect.arrayContaining(['helpdesk', 'portal', 'sneaky']));
    expect((await api('/clients/portal', { method: 'DELETE' })).status).toBe(200);
    expect((await api('/clients/portal')).status).toBe(404);
  }, 120_000);

  it('lists and rotates keys, and every call is audited with the calling client', async () => {
    const keys = (await (await api('/keys')).json()) as { status: string }[];
    expect(keys.filter((k) => k.status === 'current').length).toBeGreaterThan(0);
    expect(await (await api('/keys/rotate', { method: 'POST' })).json()).toMatchObject({ step: 'published', next: 'activate' });
    const calls = (await (await api('/audit?type=admin_api&limit=500')).json()) as { actor: string | null; outcome: string; details: { operation: string } }[];
    expect(calls.some((c) => c.details.operation === 'rotateKeys' && c.actor === 'client:helpdesk')).toBe(true);
    expect(calls.some((c) => c.outcome === 'failure' && c.actor === null)).toBe(true);
    const adds = (await (await api('/audit?type=user.add&user=hanako')).json()) as { actor: string }[];
    expect(adds.map((a) => a.actor)).toEqual(['client:helpdesk']);
    expect((await api('/audit?since=whenever')).status).toBe(400);
    const unknown = await api('/nothing/here');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'not_found' });
    const unknownJa = await api('/nothing/here', { headers: { 'accept-language': 'ja' } });
    expect(await unknownJa.json()).toMatchObject({ error: 'not_found', error_description: 'そのような管理 API はありません' });
  }, 60_000);
});
