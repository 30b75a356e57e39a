// `sekisho client …` through the real binary, on PGlite and on PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { secretBoxFor } from '../../app/services.ts';
import { loadConfig } from '../../config/index.ts';
import { cliSandbox, sampleFor, type CliSandbox } from '../helpers/cli.ts';
import { DB_KINDS } from '../helpers/database.ts';

interface ClientJson {
  clientId: string;
  name: string | null;
  redirectUris: string[];
  grantTypes: string[];
  authMethod: string;
  scope: string;
  firstParty: boolean;
  admin: boolean;
  mfaPolicy: string;
  hasSecret: boolean;
  backchannelLogoutUri: string | null;
}

describe.each(DB_KINDS)('sekisho client (%s)', (kind) => {
  let cli: CliSandbox;
  let publicJwks: string;
  let privateJwks: string;
  let moodleSecret: string;
  const secretOf = async (id: string) => {
    const sealed = (await metadataOf(id))!.secret_enc!;
    return secretBoxFor(loadConfig({ NODE_ENV: 'test', SEKISHO_DATA_DIR: cli.dataDir })).open(sealed, `client:${id}`);
  };
  const ids = async () => (await cli.json<ClientJson[]>(['client', 'list'])).map((c) => c.clientId);
  const metadataOf = (id: string) =>
    cli.withDb(async (db) => (await db.query<{ metadata: Record<string, unknown>; secret_enc: string | null }>('SELECT metadata, secret_enc FROM clients WHERE client_id = $1', [id])).rows[0]);

  beforeAll(async () => {
    cli = await cliSandbox(kind);
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    publicJwks = join(cli.dataDir, 'public.jwks.json');
    privateJwks = join(cli.dataDir, 'private.jwks.json');
    writeFileSync(publicJwks, JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'ES256' }] }));
    writeFileSync(privateJwks, JSON.stringify({ keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'k1' }] }));
  }, 300_000);

  afterAll(async () => {
    await cli?.close();
  });

  it('registers a confidential client, prints its generated secret once and stores metadata oidc-provider reads', async () => {
    const r = await cli.json<{ client: ClientJson; secret: string }>([
      'client', 'add', '--id', 'moodle', '--name', '学習支援システム',
      '--redirect-uri', 'https://lms.example.ac.jp/cb', '--redirect-uri', 'https://lms.example.ac.jp/cb2',
      '--post-logout-redirect-uri', 'https://lms.example.ac.jp/', '--backchannel-logout-uri', 'https://lms.example.ac.jp/bcl',
      '--first-party', '--mfa', 'https://refeds.org/profile/mfa',
    ]);
    expect(r.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    moodleSecret = r.secret;
    expect(r.client).toMatchObject({
      clientId: 'moodle', authMethod: 'client_secret_basic', hasSecret: true, firstParty: true, admin: false,
      grantTypes: ['authorization_code', 'refresh_token'], scope: 'openid offline_access profile email',
    });
    const stored = (await metadataOf('moodle'))!;
    expect(stored.secret_enc).not.toContain(r.secret);
    expect(stored.metadata).toMatchObject({
      client_id: 'moodle', client_name: '学習支援システム', response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic',
      backchannel_logout_uri: 'https://lms.example.ac.jp/bcl', backchannel_logout_session_required: true,
      post_logout_redirect_uris: ['https://lms.example.ac.jp/'],
      sekisho_mfa_policy: 'https://refeds.org/profile/mfa', sekisho_first_party: true, sekisho_admin: false,
    });
    expect(stored.metadata).not.toHaveProperty('client_secret');
    const text = await cli.run(['client', 'show', 'moodle']);
    expect(text.stdout).toContain('学習支援システム');
    expect(text.stdout).not.toContain(r.secret);
  }, 300_000);

  it('registers public, admin and private_key_jwt clients, and a given secret from stdin', async () => {
    const spa = await cli.json<{ client: ClientJson; secret?: string }>(['client', 'add', '--id', 'spa', '--redirect-uri', 'http://localhost:5173/cb', '--public']);
    expect(spa.secret).toBeUndefined();
    expect(spa.client).toMatchObject({ authMethod: 'none', hasSecret: false });
    const admin = await cli.json<{ client: ClientJson; secret: string }>(['client', 'add', '--id', 'helpdesk', '--admin']);
    expect(admin.client).toMatchObject({ admin: true, grantTypes: ['client_credentials'], scope: 'admin', redirectUris: [] });
    expect((await metadataOf('helpdesk'))!.metadata).toMatchObject({ response_types: [], sekisho_admin: true });
    const jwt = await cli.json<{ client: ClientJson; secret?: string }>([
      'client', 'add', '--id', 'jwt-rp', '--redirect-uri', 'https://rp.example.org/cb', '--auth-method', 'private_key_jwt', '--jwks-file', publicJwks,
    ]);
    expect(jwt.secret).toBeUndefined();
    expect((await metadataOf('jwt-rp'))!.metadata).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kid: 'k1' }] } });
    const given = await cli.json<{ client: ClientJson; secret?: string }>(
      ['client', 'add', '--id', 'given', '--redirect-uri', 'https://g.example.org/cb', '--secret-stdin', '--auth-method', 'client_secret_post'],
      { stdin: 'a-very-long-secret-chosen-by-it-staff-0123\n' },
    );
    expect(given.secret).toBeUndefined();
    expect(given.client.hasSecret).toBe(true);
    expect(await secretOf('given')).toBe('a-very-long-secret-chosen-by-it-staff-0123');
  }, 300_000);

  it('refuses bad input with exit code 2 naming the flag, and registers nothing', async () => {
    const base = ['client', 'add', '--id', 'bad'];
    const cases: [string[], string, string?][] = [
      [['client', 'add', '--id', 'no spaces', '--redirect-uri', 'https://a.example/cb'], '--id'],
      [['client', 'add', '--redirect-uri', 'https://a.example/cb'], '--id'],
      [[...base], '--redirect-uri'],
      [[...base, '--redirect-uri', 'http://insecure.example/cb'], '--redirect-uri'],
      [[...base, '--redirect-uri', 'https://a.example/cb#frag'], '--redirect-uri'],
      [[...base, '--redirect-uri', 'not a url'], '--redirect-uri'],
      [[...base, '--redirect-uri', 'https://a.example/cb', '--post-logout-redirect-uri', 'ftp://a.example/'], '--post-logout-redirect-uri'],
      [[...base, '--redirect-uri', 'https://a.example/cb', '--public', '--auth-method', 'client_secret_basic'], '--auth-method'],
      [[...base, '--redirect-uri', 'https://a.example/cb', '--public', '--secret-stdin'], '--secret-stdin', 'a-very-long-secret-chosen-by-it-staff'],
      [[...base, '--redirect-uri', 'https://a.example/cb', '--secret-stdin'], '--secret-stdin', 'short\n'],
      [[...base, '--redirect-uri', 'https://a.example/cb', '--auth-method', 'private_key_jwt'], '--jwks-uri'],
      [[...base, '--redirect-uri', 'https://a.example/cb', '--auth-method', 'private_key_jwt', '--jwks-file', privateJwks], '--jwks-file'],
      [[...base, '--redirect-uri', 'https://a.example/cb', '--auth-method', 'tls_client_auth'], '--auth-method'],
      [[...base, '--redirect-uri', 'https://a.example/cb', '--grant-type', 'implicit'], '--grant-type'],
      [[...base, '--redirect-uri', 'https://a.example/cb', '--grant-type', 'client_credentials'], '--grant-type'],
      [[...base, '--redirect-uri', 'https://a.example/cb', '--mfa', 'sometimes'], '--mfa'],
      [[...base, '--redirect-uri', 'https://a.example/cb', '--scope', 'openid admin'], '--scope'],
      [[...base, '--redirect-uri', 'https://a.example/cb', '--backchannel-logout-uri', 'http://rp.example/bcl'], '--backchannel-logout-uri'],
      [[...base, '--admin', '--public'], '--public'],
      [['client', 'add', '--id', 'moodle', '--redirect-uri', 'https://a.example/cb'], '--id'],
    ];
    for (const [args, flag, stdin] of sampleFor(kind, cases)) {
      const r = await cli.run(args, { stdin });
      const expected = args.includes('moodle') ? 4 : 2;
      expect({ args, code: r.code }).toEqual({ args, code: expected });
      expect(r.stderr).toContain(flag);
    }
    expect((await ids()).sort()).toEqual(['given', 'helpdesk', 'jwt-rp', 'moodle', 'spa']);
  }, 300_000);

  it('updates only the given fields, rotates secrets, removes clients and prints initial access tokens', async () => {
    const updated = await cli.json<{ client: ClientJson; secret?: string }>(['client', 'update', 'moodle', '--name', 'Moodle', '--no-first-party']);
    expect(updated.secret).toBeUndefined();
    expect(updated.client).toMatchObject({ name: 'Moodle', firstParty: false, mfaPolicy: 'https://refeds.org/profile/mfa', redirectUris: ['https://lms.example.ac.jp/cb', 'https://lms.example.ac.jp/cb2'] });
    const after = (await metadataOf('moodle'))!;
    expect(await secretOf('moodle')).toBe(moodleSecret);
    expect(after.metadata).toMatchObject({ sekisho_first_party: false, backchannel_logout_uri: 'https://lms.example.ac.jp/bcl' });

    const bad = await cli.run(['client', 'update', 'moodle', '--redirect-uri', 'http://evil.example/cb']);
    expect(bad.code).toBe(2);
    expect((await metadataOf('moodle'))!.metadata).toEqual(after.metadata);
    expect((await cli.run(['client', 'update', 'nope', '--name', 'X'])).code).toBe(3);

    const rotated = await cli.json<{ secret: string }>(['client', 'rotate-secret', 'moodle']);
    expect(rotated.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await secretOf('moodle')).toBe(rotated.secret);
    expect((await cli.run(['client', 'rotate-secret', 'spa'])).code).toBe(2);

    expect(await cli.json(['client', 'remove', 'spa'])).toEqual({ clientId: 'spa' });
    expect((await cli.run(['client', 'show', 'spa'])).code).toBe(3);
    expect((await cli.run(['client', 'remove', 'spa'])).code).toBe(3);

    const iat = await cli.json<{ token: string; expiresAt: string; registrationEnabled: boolean }>(['client', 'initial-access-token', '--ttl', '2h']);
    expect(iat.registrationEnabled).toBe(false);
    const stored = await cli.withDb(async (db) => (await db.query<{ payload: Record<string, unknown> }>(`SELECT payload FROM oidc_models WHERE model = 'InitialAccessToken' AND id = $1`, [iat.token])).rows[0]);
    expect(stored?.payload).toMatchObject({ jti: iat.token, kind: 'InitialAccessToken' });
    expect((await cli.run(['client', 'initial-access-token', '--ttl', '90d'])).code).toBe(2);

    const audit = await cli.json<{ type: string; clientId: string | null }[]>(['audit', '--type', 'client']);
    expect(audit.map((a) => a.type)).toEqual(
      expect.arrayContaining(['client.add', 'client.update', 'client.rotate_secret', 'client.remove', 'client.initial_access_token']),
    );
  }, 300_000);
});
